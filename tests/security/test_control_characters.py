"""NUL and the other control characters in every text field, on both engines: dropped before the
database (PostgreSQL refuses NUL in text), or refused with 422 — never a 500 — and the server answers on."""

import pytest
from sqlalchemy import select

from app import db
from app.models import Appeal, ModAction, Post, Report, TalkMessage, Thread, User
from app.services import decisions, text
from tests.factories import (
    PASSPHRASE,
    join_via_http,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
    start_thread_via_http,
)
from tests.http import csrf_of

# Every C0 and C1 control character and DEL, but the tab and the line breaks a member may type.
CONTROLS = "".join(chr(c) for c in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
KEPT = "\t\r\n"


def dirty(words: str) -> str:
    """`words` with NUL and every control character slipped between its letters."""
    return words[:3] + CONTROLS + words[3:] + "\x00"


def fresh(model, *where):
    with db.new_session() as s:
        return s.scalars(select(model).where(*where)).all()


def assert_clean(value: str | None) -> None:
    assert value is not None
    assert not any(ch in CONTROLS for ch in value), repr(value)


def assert_still_answers(client) -> None:
    assert client.get("/guidelines").status_code == 200


def test_without_controls_keeps_tab_and_line_breaks_and_drops_the_rest():
    assert text.without_controls(f"a{CONTROLS}b{KEPT}c") == f"ab{KEPT}c"
    assert text.without_controls("Café — 日本 🌱") == "Café — 日本 🌱"


def test_title_body_and_content_note_lose_their_control_characters(client):
    join_via_http(client)
    where = start_thread_via_http(
        client, title=dirty("Nul title"), body=dirty("Nul body here"), content_note=dirty("relapse")
    )
    assert client.get(where).status_code == 200
    (thread,) = fresh(Thread)
    (post,) = fresh(Post, Post.thread_id == thread.id)
    for value in (thread.title, post.body_source, post.body_html, post.content_note):
        assert_clean(value)
    assert thread.title == "Nul title"
    assert post.content_note == "relapse"
    assert_still_answers(client)


def test_a_reply_and_an_edit_lose_their_control_characters(client):
    join_via_http(client)
    where = start_thread_via_http(client)
    token = csrf_of(client, where)
    r = client.post(f"{where}/reply", data={"body": dirty("A reply"), "csrf_token": token})
    assert r.status_code == 303, r.text
    reply = fresh(Post, Post.position == 1)[0]
    assert reply.body_source == "A reply"
    r = client.post(f"/p/{reply.id}/edit", data={"body": dirty("Edited words"), "csrf_token": token})
    assert r.status_code == 303, r.text
    assert fresh(Post, Post.id == reply.id)[0].body_source == "Edited words"
    assert_still_answers(client)


def test_a_pseudonym_with_control_characters_is_stored_without_them_or_refused(client):
    token = csrf_of(client, "/join")
    r = client.post(
        "/join",
        data={
            "pseudonym": dirty("Quiet-Fern"),
            "passphrase": PASSPHRASE,
            "guidelines": "yes",
            "csrf_token": token,
        },
    )
    assert r.status_code in (200, 422), r.text
    for user in fresh(User):
        assert_clean(user.pseudonym)
    assert_still_answers(client)
    # Signing in with the dirty name, or a dirty passphrase, is a calm answer too.
    client.cookies.clear()
    token = csrf_of(client, "/login")
    data = {"pseudonym": dirty("Nobody"), "passphrase": dirty("x" * 12), "csrf_token": token}
    r = client.post("/login", data=data)
    assert r.status_code in (303, 422), r.text
    assert_still_answers(client)


def test_a_report_note_and_a_moderator_reason_lose_their_control_characters(session, browsers):
    member, mod = make_user(session, "Reporter-Ash"), make_moderator(session, "Mod-Birch")
    post = opening_post(session, make_thread(session, make_user(session, "Writer-Elm")))
    session.commit()
    reporter = browsers(member.pseudonym)
    token = csrf_of(reporter, f"/p/{post.id}/report")
    r = reporter.post(
        f"/p/{post.id}/report", data={"reason": "unkind", "note": dirty("Harsh words"), "csrf_token": token}
    )
    assert r.status_code == 303, r.text
    (found,) = fresh(Report)
    assert found.note == "Harsh words"
    assert_clean(found.snapshot)
    moderator = browsers(mod.pseudonym)
    token = csrf_of(moderator)
    r = moderator.post(
        f"/mod/reports/{found.id}",
        data={"action": "hide", "reason": dirty("Too harsh"), "csrf_token": token},
    )
    assert r.status_code in (303, 422), r.text
    assert_still_answers(moderator)
    for action in fresh(ModAction):
        assert_clean(action.reason or "")


def test_talk_messages_lose_their_control_characters(session, browsers):
    make_user(session, "Talker-Oak")
    mod = make_moderator(session, "Mod-Rowan")
    session.commit()
    member = browsers("Talker-Oak")
    r = member.post("/talk", data={"body": dirty("Can we talk"), "csrf_token": csrf_of(member, "/talk")})
    assert r.status_code == 303, r.text
    (message,) = fresh(TalkMessage)
    assert message.body_source == "Can we talk"
    moderator = browsers(mod.pseudonym)
    where = f"/mod/talk/{message.conversation_id}"
    r = moderator.post(where, data={"body": dirty("Of course"), "csrf_token": csrf_of(moderator, where)})
    assert r.status_code == 303, r.text
    for found in fresh(TalkMessage):
        assert_clean(found.body_source)
        assert_clean(found.body_html)
    assert_still_answers(moderator)


def test_an_appeal_note_loses_its_control_characters(session, browsers):
    writer, mod = make_user(session, "Writer-Yew"), make_moderator(session, "Mod-Alder")
    post = opening_post(session, make_thread(session, writer))
    found = report(session, post, make_user(session), reason="unkind").report
    decisions.decide(session, report_id=found.id, moderator=mod, action="remove", reason="Too harsh")
    session.commit()
    client = browsers(writer.pseudonym)
    token = csrf_of(client, f"/t/{post.thread_id}")
    r = client.post(f"/p/{post.id}/appeal", data={"note": dirty("Please look again"), "csrf_token": token})
    assert r.status_code == 303, r.text
    (appeal,) = fresh(Appeal)
    assert appeal.note == "Please look again"
    assert_still_answers(client)


@pytest.mark.parametrize("q", [dirty("hello"), "\x00", "\x00\x00%", CONTROLS])
def test_search_words_with_control_characters_answer_calmly(client, q):
    r = client.get("/search", params={"q": q})
    assert r.status_code == 200, r.text
    assert "\x00" not in r.text
    assert_still_answers(client)


@pytest.mark.parametrize("path", ["/c/%00", "/c/a%00b", "/?before=%00", "/t/1?show=p%00"])
def test_control_characters_in_paths_and_other_query_fields_are_never_a_500(client, path):
    r = client.get(path)
    assert r.status_code < 500, r.text
    assert_still_answers(client)
