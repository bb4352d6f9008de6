"""Builders that go through the real services (and, for clients, the real HTTP routes)."""

import itertools
import threading
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import new_session
from app.models import Post, Thread, User
from app.services import accounts, posting, reporting
from tests.http import submit

PASSPHRASE = "correct horse battery"
_counter = itertools.count(1)
# Builders' members joined a month ago: old enough for their reports to count toward hiding a post.
ESTABLISHED = timedelta(days=30)


def make_user(
    session: Session, name: str | None = None, *, role: str = "member", age: timedelta = ESTABLISHED
) -> User:
    """A member who joined `age` ago (`age=timedelta(0)`: just now, a brand-new account)."""
    name = name or f"Member-{next(_counter)}"
    user = accounts.join(session, pseudonym=name, passphrase=PASSPHRASE, accepted_guidelines=True).user
    if age:
        user.created_at = user.created_at - age
        session.commit()  # ends the transaction: the test's session holds no read snapshot
    if role != "member":
        user = accounts.set_role(session, pseudonym=name, role=role)
    return user


def make_thread(
    session: Session,
    author: User,
    *,
    title: str = "Day one, again",
    body: str = "Hello **all**",
    category: str = "stories",
    content_note: str = "",
) -> Thread:
    return posting.start_thread(
        session, author=author, category_slug=category, title=title, body=body, content_note=content_note
    )


def opening_post(session: Session, thread: Thread) -> Post:
    return session.scalar(select(Post).where(Post.thread_id == thread.id, Post.position == 0))


def join_via_http(client: TestClient, name: str | None = None) -> str:
    """Join through the real /join form; the client is then signed in."""
    name = name or f"Member-{next(_counter)}"
    response = submit(client, "/join", {"pseudonym": name, "passphrase": PASSPHRASE, "guidelines": "yes"})
    assert response.status_code == 200, response.text
    return name


def sign_in_via_http(client: TestClient, name: str) -> None:
    response = submit(client, "/login", {"pseudonym": name, "passphrase": PASSPHRASE})
    assert response.status_code == 303, response.text


def start_thread_via_http(client: TestClient, **fields: str) -> str:
    """A signed-in client starts a thread through the real /new form; returns the thread's path."""
    form = {"title": "Slow and steady", "body": "Opening words.", "category": "general", **fields}
    response = submit(client, "/new", form)
    assert response.status_code == 303, response.text
    return response.headers["location"]


# --- reports and moderation ----------------------------------------------------------------------


def make_moderator(session: Session, name: str | None = None) -> User:
    return make_user(session, name, role="moderator")


def report(session: Session, post: Post, reporter: User, *, reason: str = "unkind", note: str = ""):
    """A member reports a post through the reporting service."""
    return reporting.report(session, post=post, reporter=reporter, reason=reason, note=note)


def load(model, ident):
    """A fresh read in its own short session (never holds the database lock between HTTP calls)."""
    with new_session() as s:
        return s.get(model, ident)


def signed_in_client(app, stack, name: str) -> TestClient:
    """A new browser (its own cookies) signed in as an existing member; closed by the ExitStack."""
    client = stack.enter_context(TestClient(app, follow_redirects=False))
    sign_in_via_http(client, name)
    return client


def at_once(*actions):
    """Run each action in its own thread, released together; returns each result or exception, in order."""
    barrier = threading.Barrier(len(actions))
    outcomes: list = [None] * len(actions)

    def run(i, action):
        barrier.wait()
        try:
            outcomes[i] = action()
        except Exception as exc:  # noqa: BLE001 - the caller inspects what each action raised
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
