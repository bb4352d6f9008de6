"""Several app processes, one truth: two `peerbearing serve` processes on one PostgreSQL database.

Each check signs in, acts and reads through real HTTP on both processes. The second process runs
two uvicorn workers, so requests to it also cross worker processes.
"""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app import db
from app.models import Post, PostStatus, Reaction, Thread
from tests.conftest import csrf_of
from tests.factories import PASSPHRASE, make_thread, make_user, opening_post
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


# How a thread gets locked; a moderator's decision through /mod on one process belongs here too.
LOCKERS: dict[str, Callable[[Session, Thread], None]] = {"locked in the database": _lock_thread_in_database}


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
    lock(session, thread)
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
