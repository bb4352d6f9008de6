"""SIGKILL mid-stream: the server's whole process group dies while members reply and react.

Breaks: the app processes (master and both workers) at an arbitrary instant, with requests and
transactions in flight; no shutdown, no cleanup. Proves: after a restart on the same database,
every reply that got its 303 is stored exactly once, nothing is stored twice, every thread's reply
count, positions and last activity and every post's reaction counts equal their rows, and the
restarted server answers. Acknowledged means durable (SQLite synchronous=FULL; PostgreSQL commit).
"""

import time

from tests.faults.workload import Ledger, Workload, assert_consistent, seed, sign_in

MEMBERS = 24
THREADS = 6
KILL_AFTER_S = 8


def test_every_reply_acknowledged_before_a_sigkill_is_there_once_after_the_restart(session, serve, figures):
    forum = seed(session, members=MEMBERS, threads=THREADS)
    server = serve()
    members = [sign_in(server, name) for name in forum.names]
    ledger = Ledger()
    work = Workload(server, forum, members, ledger).start()
    time.sleep(KILL_AFTER_S)
    server.kill()
    in_flight = len(ledger.sent) - len(ledger.acknowledged)
    work.stop()
    assert ledger.acknowledged, "no reply was acknowledged before the kill"
    assert ledger.server_errors() == 0, ledger.summary("before the kill")

    restarted = serve()
    with restarted.client(cookies=members[0].cookies) as client:
        assert client.get("/").status_code == 200
        assert client.get(f"/t/{forum.thread_ids[0]}").status_code == 200
    checked = assert_consistent(ledger)
    figures(ledger.summary(f"SIGKILL after {KILL_AFTER_S} s, {MEMBERS} members"))
    figures(
        f"  after the restart: {checked['acknowledged']} acknowledged replies present once; "
        f"{checked['stored']} stored of {checked['sent']} sent ({in_flight} unanswered at the kill)"
    )
