"""PostgreSQL stopped and started again under load, the app processes left running.

Breaks: the database server (a private cluster, `pg_ctl stop -m fast`: sessions ended, transactions
rolled back, then connections refused) for a few seconds while members read, reply and react.
Proves: while it is away every answer is the calm 503 page (its words, Retry-After, no trace, and
a reply's typed words kept), never a 500 and never a dropped connection; once it is back the same
server process, without a restart, answers 200 and 303 again within a bounded wait (the pool
drops its dead connections: pool_pre_ping, invalidation on disconnect); every acknowledged reply
is stored exactly once and every counter equals its rows.
"""

import re
import time
from collections.abc import Iterator

import pytest

from app import db
from app.cli import migrate
from tests.engines import reset_caches
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.workload import Ledger, Workload, assert_consistent, seed, sign_in
from tests.live import APP_ENV

pytestmark = pytest.mark.postgres_only

MEMBERS = 16
THREADS = 6
BEFORE_S, AWAY_S, AFTER_S = 4, 5, 4
RECOVERY_LIMIT_S = 30  # a bound on waiting, not a measurement
CALM = "The forum cannot save or show posts for a moment"
INTERNALS = re.compile(r"Traceback|sqlalchemy|psycopg|OperationalError", re.IGNORECASE)


@pytest.fixture
def private_forum(monkeypatch) -> Iterator[tuple[PrivatePostgres, str]]:
    """A migrated forum on a cluster of this test's own; DATABASE_URL points at it."""
    cluster = PrivatePostgres()
    try:
        url = cluster.init().create_database("forum")
        migrate(url)
        monkeypatch.setenv("DATABASE_URL", url)
        for name, value in APP_ENV.items():
            monkeypatch.setenv(name, value)
        reset_caches()
        yield cluster, url
    finally:
        reset_caches()
        cluster.remove()


def _answers(server, member) -> bool:
    with server.client(cookies=member.cookies) as client:
        return client.get("/").status_code == 200


def test_postgres_away_under_load_gets_calm_503s_and_the_same_process_recovers_losing_nothing(
    private_forum, serve, figures
):
    cluster, url = private_forum
    with db.new_session() as session:
        forum = seed(session, members=MEMBERS, threads=THREADS)
    server = serve(url)
    process = server.process
    members = [sign_in(server, name) for name in forum.names]
    ledger = Ledger()
    work = Workload(server, forum, members, ledger).start()
    try:
        time.sleep(BEFORE_S)
        cluster.stop()
        time.sleep(AWAY_S)
        words = "Written while the database was away, and not lost."
        with server.client(cookies=members[0].cookies) as client:
            away = client.post(
                f"/t/{forum.thread_ids[0]}/reply", data={"body": words, "csrf_token": members[0].token}
            )
        unavailable = ledger.count(lambda _kind, status: status == 503)
        cluster.start()
        back = time.monotonic()
        while not _answers(server, members[0]):
            assert time.monotonic() - back < RECOVERY_LIMIT_S, "the app did not recover in time"
            time.sleep(0.2)
        recovered_s = time.monotonic() - back
        acknowledged_before = len(ledger.acknowledged)
        time.sleep(AFTER_S)
    finally:
        work.stop()

    figures(ledger.summary(f"PostgreSQL stopped for {AWAY_S} s under {MEMBERS} members"))
    figures(f"  503s while away: {unavailable}; answering again {recovered_s:.1f} s after the start")
    assert away.status_code == 503 and words in away.text, away.text
    assert int(away.headers["Retry-After"]) > 0
    assert unavailable > 0, "no request met the outage"
    calm = ledger.pages[503]
    assert CALM in calm and not INTERNALS.search(calm) and not INTERNALS.search(away.text)
    assert ledger.count(lambda _kind, status: status not in (200, 303, 503)) == 0, (
        ledger.summary("odd") + server.log()[-4000:]
    )
    assert process.poll() is None and server.process is process, "the app was not restarted"
    assert len(ledger.acknowledged) > acknowledged_before, "no write acknowledged after the recovery"
    assert "Traceback" not in server.log(), server.log()[-3000:]
    checked = assert_consistent(ledger)
    figures(f"  checked: {checked['acknowledged']} acknowledged replies stored once, counters equal rows")
