"""A reply to a thread locked meanwhile is refused with 409 and keeps the words (found on PostgreSQL)."""

from sqlalchemy import update

from app.models import Thread
from tests.factories import join_via_http, make_thread, make_user
from tests.http import csrf_of


def _locked_thread(session) -> Thread:
    thread = make_thread(session, make_user(session), title="Evenings are long")
    session.execute(update(Thread).where(Thread.id == thread.id).values(locked=True))
    session.commit()
    return thread


def test_reply_to_locked_thread_is_refused_with_409_and_keeps_the_text(client, session):
    join_via_http(client)
    thread = _locked_thread(session)
    refused = client.post(f"/t/{thread.id}/reply", data={"body": "Kept words", "csrf_token": csrf_of(client)})
    assert refused.status_code == 409
    assert "Kept words" in refused.text and "Evenings are long" in refused.text


def test_htmx_reply_to_locked_thread_is_refused_with_409_and_keeps_the_text(client, session):
    join_via_http(client)
    thread = _locked_thread(session)
    refused = client.post(
        f"/t/{thread.id}/reply",
        data={"body": "Kept words", "csrf_token": csrf_of(client)},
        headers={"HX-Request": "true"},
    )
    assert refused.status_code == 409 and "Kept words" in refused.text
