"""Several app processes, one truth: two `peerbearing serve` processes on one PostgreSQL database.

Each check signs in, acts and reads through real HTTP on both processes. The second process runs
two uvicorn workers, so requests to it also cross worker processes.
"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import redis
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import db
from app.models import Claim, Post, PostStatus, Reaction, Report, Thread, User
from tests.factories import PASSPHRASE, make_moderator, make_thread, make_user, opening_post, report
from tests.html import by_id, form_values
from tests.http import csrf_of
from tests.live import LiveServer

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def servers(two_app_processes) -> tuple[LiveServer, LiveServer]:
    return two_app_processes(workers=2)


def _signed_in(server: LiveServer, name: str) -> httpx.Client:
    client = server.client()
    token = csrf_of(client, "/login")
    response = client.post("/login", data={"pseudonym": name, "passphrase": PASSPHRASE, "csrf_token": token})
    assert response.status_code == 303, response.text
    return client


def _same_member_on(server: LiveServer, signed_in: httpx.Client) -> httpx.Client:
    return server.client(cookies=dict(signed_in.cookies))


def test_a_session_started_on_one_process_is_valid_on_the_other(servers, session):
    a, b = servers
    make_user(session, "Steady-Lantern")
    on_a = _signed_in(a, "Steady-Lantern")
    on_b = _same_member_on(b, on_a)
    page = on_b.get("/me")
    assert page.status_code == 200 and "Steady-Lantern" in page.text
    thread = make_thread(session, make_user(session))
    token = csrf_of(on_b)
    assert token == csrf_of(on_a)
    reply = on_b.post(f"/t/{thread.id}/reply", data={"body": "Written on b.", "csrf_token": token})
    assert reply.status_code == 303
    assert "Written on b." in on_a.get(f"/t/{thread.id}").text


def test_a_reply_made_on_one_process_shows_in_the_header_count_on_the_other(servers, session):
    a, b = servers
    make_user(session, "Quiet-Harbour")
    make_user(session, "Kind-Reply")
    author = _signed_in(b, "Quiet-Harbour")
    thread = make_thread(session, session.scalar(select(User).where(User.pseudonym == "Quiet-Harbour")))
    session.commit()

    def count() -> str:
        return " ".join(by_id(author.get("/guidelines").text, "notices-link").get_text().split())

    assert count() == "Notices"
    replier = _signed_in(a, "Kind-Reply")
    for body in ("First, on a.", "Second, on a."):
        answer = replier.post(f"/t/{thread.id}/reply", data={"body": body, "csrf_token": csrf_of(replier)})
        assert answer.status_code == 303
        assert count() == "Notices (1)", "two replies, one grouped notice, seen by every worker of b"
    assert "2 new replies in" in author.get("/me/notifications").text
    assert count() == "Notices"


def _react(server: LiveServer, cookies: dict, token: str, post_id: int, kind: str, gate: threading.Barrier):
    with server.client(cookies=cookies) as client:
        gate.wait()
        return client.post(f"/p/{post_id}/react/{kind}", data={"want": "on", "csrf_token": token}).status_code


def _counts(post_id: int, kind: str) -> tuple[int, int]:
    with db.new_session() as s:
        rows = s.scalar(
            select(func.count())
            .select_from(Reaction)
            .where(Reaction.post_id == post_id, Reaction.kind == kind)
        )
        stored = s.scalar(select(getattr(Post, f"{kind}_count")).where(Post.id == post_id))
    return stored, rows


def test_reactions_pressed_at_once_on_both_processes_count_each_member_once(servers, session):
    a, b = servers
    post = opening_post(session, make_thread(session, make_user(session)))
    members = [make_user(session, f"Member-Tide-{i}").pseudonym for i in range(4)]
    signed = [_signed_in(a, name) for name in members]
    tasks = []
    # One member presses "hug" four times at once, twice on each process.
    first = signed[0]
    for server in (a, b, a, b):
        tasks.append((server, dict(first.cookies), csrf_of(first), post.id, "hug"))
    # Every member presses "strength" on both processes at once.
    for client in signed:
        for server in (a, b):
            tasks.append((server, dict(client.cookies), csrf_of(client), post.id, "strength"))
    gate = threading.Barrier(len(tasks))
    with ThreadPoolExecutor(max_workers=len(tasks)) as pool:
        statuses = list(pool.map(lambda task: _react(*task, gate), tasks))
    assert statuses == [303] * len(tasks)
    assert _counts(post.id, "hug") == (1, 1)
    assert _counts(post.id, "strength") == (len(members), len(members))


def _lock_thread_in_database(session: Session, thread: Thread) -> None:
    session.execute(update(Thread).where(Thread.id == thread.id).values(locked=True))
    session.commit()


def _lock_thread_through_mod(session: Session, thread: Thread, server: LiveServer) -> None:
    make_moderator(session, "Lock-Keeper")
    moderator = _signed_in(server, "Lock-Keeper")
    data = {"on": "1", "csrf_token": csrf_of(moderator)}
    locked = moderator.post(f"/mod/threads/{thread.id}/lock", data=data)
    assert locked.status_code == 303, locked.text


# How a thread gets locked: by hand in the database, or by a moderator through /mod on process a.
LOCKERS: dict[str, Callable[[Session, Thread, LiveServer], None]] = {
    "locked in the database": lambda session, thread, _server: _lock_thread_in_database(session, thread),
    "locked by a moderator on one process": _lock_thread_through_mod,
}


@pytest.mark.parametrize("lock", LOCKERS.values(), ids=LOCKERS.keys())
def test_a_locked_thread_refuses_replies_on_both_processes_at_once(servers, session, lock):
    a, b = servers
    make_user(session, "Even-Keel")
    thread = make_thread(session, make_user(session))
    on_a = _signed_in(a, "Even-Keel")
    on_b = _same_member_on(b, on_a)
    token = csrf_of(on_a)
    for client in (on_a, on_b):
        assert (
            client.post(f"/t/{thread.id}/reply", data={"body": "Before.", "csrf_token": token}).status_code
            == 303
        )
    lock(session, thread, a)
    for client in (on_a, on_b):
        refused = client.post(f"/t/{thread.id}/reply", data={"body": "After the lock.", "csrf_token": token})
        assert refused.status_code == 409 and "After the lock." in refused.text


def test_a_post_removed_in_the_database_is_gone_from_both_processes_at_once(servers, session):
    a, b = servers
    make_user(session, "Calm-Shore")
    post = opening_post(session, make_thread(session, make_user(session), body="Words to remove"))
    on_a = _signed_in(a, "Calm-Shore")
    on_b = _same_member_on(b, on_a)
    session.execute(update(Post).where(Post.id == post.id).values(status=PostStatus.removed))
    session.commit()
    token = csrf_of(on_a)
    for client in (on_a, on_b):
        page = client.get(f"/t/{post.thread_id}").text
        assert "Words to remove" not in page and "removed by a moderator" in page
        pressed = client.post(f"/p/{post.id}/react/hug", data={"want": "on", "csrf_token": token})
        assert pressed.status_code == 409


def test_a_moderator_decision_on_one_process_is_seen_on_the_other_and_taken_once(servers, session):
    a, b = servers
    author = make_user(session, "Tender-Ground")
    post = opening_post(session, make_thread(session, author, body="A cruel line about someone"))
    for i in range(3):  # the default hide threshold: the post waits for a moderator
        report(session, post, make_user(session, f"Kind-Reader-{i}"))
    report_id = session.scalar(select(Report.id).where(Report.post_id == post.id).limit(1))
    for name in ("Night-Watch", "Day-Watch"):
        make_moderator(session, name)
    night_on_a = _signed_in(a, "Night-Watch")
    day_on_b = _signed_in(b, "Day-Watch")
    assert "A cruel line about someone" in day_on_b.get("/mod").text

    # Both moderators decide at the same moment, one on each process: one decision is taken.
    gate = threading.Barrier(2)

    def decide(client: httpx.Client, action: str) -> int:
        data = {"action": action, "reason": f"{action} by this moderator", "csrf_token": csrf_of(client)}
        gate.wait()
        return client.post(f"/mod/reports/{report_id}", data=data).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        removing = pool.submit(decide, night_on_a, "remove")
        dismissing = pool.submit(decide, day_on_b, "dismiss")
        statuses = {"remove": removing.result(), "dismiss": dismissing.result()}
    assert sorted(statuses.values()) == [303, 409], statuses
    taken = "remove" if statuses["remove"] == 303 else "dismiss"

    # Whichever process took it, the queue on both is clear and readers on both see the outcome.
    for moderator in (night_on_a, day_on_b):
        assert "A cruel line about someone" not in moderator.get("/mod").text
    author_on_b = _signed_in(b, "Tender-Ground")
    author_on_a = _same_member_on(a, author_on_b)
    for client in (author_on_a, author_on_b):
        page = client.get(f"/t/{post.thread_id}").text
        if taken == "remove":
            assert "This post was removed by a moderator." in page
            assert "remove by this moderator" in page and "A cruel line about someone" not in page
        else:
            assert "A cruel line about someone" in page


def test_two_moderators_claiming_an_at_risk_post_on_both_processes_at_once_one_holds_it(servers, session):
    a, b = servers
    post = opening_post(session, make_thread(session, make_user(session), body="I can't do this any more"))
    at_risk = report(session, post, make_user(session), reason="at_risk").report
    for name in ("Night-Watch", "Day-Watch"):
        make_moderator(session, name)
    clients = {"Night-Watch": _signed_in(a, "Night-Watch"), "Day-Watch": _signed_in(b, "Day-Watch")}
    gate = threading.Barrier(2)

    def claim(client: httpx.Client) -> httpx.Response:
        data = {"level": "high", "csrf_token": csrf_of(client)}
        gate.wait()
        return client.post(f"/mod/reports/{at_risk.id}/claim", data=data)

    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = dict(zip(clients, pool.map(claim, clients.values()), strict=True))
    assert sorted(r.status_code for r in answers.values()) == [303, 409]
    [holder] = [name for name, r in answers.items() if r.status_code == 303]
    [refused] = [r for r in answers.values() if r.status_code == 409]
    assert f"{holder} has already taken this on (level: high)." in refused.text
    with db.new_session() as s:
        assert s.scalars(select(Claim.moderator_id)).all() == [
            s.scalar(select(User.id).where(User.pseudonym == holder))
        ]
    for client in clients.values():
        claimed = by_id(client.get("/mod").text, f"report-group-p{post.id}-claim").get_text(" ")
        assert f"{holder} is reaching out" in " ".join(claimed.split())


REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def shared_limits(two_app_processes) -> tuple[LiveServer, LiveServer]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"these tests need Redis at {REDIS_URL}")
    # Limit keys are HMACs under the secret key: a fresh one keeps this run's counts its own.
    env = {
        "PEERBEARING_RATE_LIMITS_ENABLED": "true",
        "PEERBEARING_RATE_LIMIT_STORAGE": REDIS_URL,
        "PEERBEARING_SECRET_KEY": uuid.uuid4().hex * 2,
    }
    return two_app_processes(env)


def test_rate_limits_are_shared_by_both_processes_through_redis(shared_limits, session):
    a, b = shared_limits
    make_user(session, "Quiet-Harbour")
    clients = {server: server.client() for server in (a, b)}
    tokens = {server: csrf_of(client, "/login") for server, client in clients.items()}

    def sign_in(server: LiveServer, passphrase: str) -> httpx.Response:
        data = {"pseudonym": "Quiet-Harbour", "passphrase": passphrase, "csrf_token": tokens[server]}
        return clients[server].post("/login", data=data)

    # Ten wrong tries per pseudonym in 15 minutes, wherever they land: five on each process.
    for server in (a, b) * 5:
        assert sign_in(server, "not the passphrase").status_code == 422
    # Each process alone has seen only five, yet both refuse: the count lives in Redis.
    for server in (a, b):
        refused = sign_in(server, PASSPHRASE)
        assert refused.status_code == 429, refused.text
        assert "Please wait about" in refused.text and int(refused.headers["Retry-After"]) > 800
        assert form_values(by_id(refused.text, "login-form"))["pseudonym"] == "Quiet-Harbour"
