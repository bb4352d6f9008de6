"""Load held: 32 connections of mixed reading, replying and reacting against 2 workers, loopback only.

Breaks: nothing but capacity; the machine runs the clients too, so latency is measured, never
asserted. Proves: for PEERBEARING_FAULT_LOAD_SECONDS (default 60) no answer is a 5xx, every request
is answered, the server log never says "database is locked" (SQLite's writers wait their turn
under BEGIN IMMEDIATE and busy_timeout), every acknowledged reply is stored exactly once and every
counter equals its rows. The figures (requests per kind, rate, p50/p99) go in the run's summary.
"""

import os
import time

from tests.faults.workload import Ledger, Workload, assert_consistent, seed, sign_in

CONNECTIONS = 32
THREADS = 12
SECONDS = float(os.environ.get("PEERBEARING_FAULT_LOAD_SECONDS", "60"))


def test_32_connections_for_a_minute_get_no_server_error_and_lose_no_acknowledged_write(
    session, serve, figures
):
    forum = seed(session, members=CONNECTIONS, threads=THREADS)
    server = serve()
    members = [sign_in(server, name) for name in forum.names]
    ledger = Ledger()
    work = Workload(server, forum, members, ledger).start()
    try:
        time.sleep(SECONDS)
    finally:
        work.stop()
    figures(ledger.summary(f"load held, {CONNECTIONS} connections, {SECONDS:.0f} s, 2 workers"))
    log = server.log()
    assert ledger.server_errors() == 0, ledger.summary("5xx seen")
    assert ledger.count(lambda _kind, status: str(status).startswith("no answer")) == 0, ledger.summary(
        "unanswered"
    )
    assert "database is locked" not in log and "SQLITE_BUSY" not in log, log[-2000:]
    assert ledger.acknowledged, "no reply was acknowledged"
    checked = assert_consistent(ledger)
    figures(f"  checked: {checked['acknowledged']} acknowledged replies stored once, counters equal rows")
