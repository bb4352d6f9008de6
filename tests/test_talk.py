"""The private line between a member and the moderator team: /talk and /mod/talk, with and without JS."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app import db
from app.errors import InvalidInput
from app.models import Conversation, ConversationStatus, ModAction, TalkMessage, User, utcnow
from app.services import conversations, talk, text
from tests import queries
from tests.factories import PASSPHRASE, load, make_moderator, make_thread, make_user, opening_post, report
from tests.html import by_id, form_values, has_id, parse, root
from tests.http import csrf_of, htmx

WORDS = "I have been craving all evening and I do not know who to tell."
ANSWER = "Thank you for telling us. We are here; what would help most right now?"


@pytest.fixture
def member(session) -> User:
    user = make_user(session, "Quiet-Fern")
    session.commit()
    return user


def rows(session, model) -> list:
    found = list(session.scalars(select(model).order_by(model.id).execution_options(populate_existing=True)))
    session.commit()  # end the read: the app's requests need the write lock
    return found


def header_link(html: str) -> str:
    return " ".join(by_id(html, "talk-link").get_text().split())


def only_conversation(session) -> Conversation:
    [conversation] = rows(session, Conversation)
    return conversation


# --- the whole conversation, both ways -----------------------------------------------------------


def test_the_whole_conversation_without_js_member_writes_moderator_answers_member_reads_and_it_closes(
    session, mod, member, browsers
):
    fern, willow = browsers("Quiet-Fern"), browsers("Mod-Willow")
    first = fern.get("/talk")
    assert first.status_code == 200 and "Start a conversation" in first.text
    assert header_link(first.text) == "Moderators"

    sent = fern.post("/talk", data={"body": WORDS, "csrf_token": csrf_of(fern, "/talk")})
    assert (sent.status_code, sent.headers["location"]) == (303, "/talk#talk-form")
    conversation = only_conversation(session)
    assert WORDS in fern.get("/talk").text

    inbox = willow.get("/mod/talk")
    assert inbox.status_code == 200 and "Conversation with Quiet-Fern" in inbox.text
    assert "Waiting for an answer" in inbox.text
    path = f"/mod/talk/{conversation.id}"
    assert f'href="{path}"' in inbox.text
    page = willow.get(path)
    assert page.status_code == 200 and WORDS in page.text and "Quiet-Fern" in page.text

    answered = willow.post(path, data={"body": ANSWER, "csrf_token": csrf_of(willow, path)})
    assert (answered.status_code, answered.headers["location"]) == (303, f"{path}#talk-end")
    assert "Answered" in willow.get("/mod/talk").text
    assert "Mod-Willow" in willow.get(path).text  # moderators see which of them answered

    # The member sees a quiet count on every page, then reads the answer, signed by the team.
    elsewhere = fern.get("/guidelines").text
    assert header_link(elsewhere) == "Moderators (1 new)"
    assert 'class="count"' in str(by_id(elsewhere, "talk-link")) and "badge" not in elsewhere
    reading = fern.get("/talk").text
    assert ANSWER in reading and "A moderator" in reading and "Mod-Willow" not in reading
    assert header_link(reading) == "Moderators"
    assert header_link(fern.get("/guidelines").text) == "Moderators"

    closed = willow.post(path, data={"action": "close", "csrf_token": csrf_of(willow, path)})
    assert (closed.status_code, closed.headers["location"]) == (303, "/mod/talk")
    assert "Conversation with Quiet-Fern" not in willow.get("/mod/talk").text
    after = fern.get("/talk").text
    assert "A moderator closed this conversation" in after and ANSWER in after

    # A closed conversation: the member's next message starts a new one.
    again = fern.post("/talk", data={"body": "Me again.", "csrf_token": csrf_of(fern, "/talk")})
    assert again.status_code == 303
    first_one, second_one = rows(session, Conversation)
    assert (first_one.status, second_one.status) == (ConversationStatus.closed, ConversationStatus.open)
    fresh = fern.get("/talk").text
    assert "Me again." in fresh and ANSWER not in fresh


def test_each_post_with_htmx_answers_its_fragment(session, mod, member, browsers):
    fern, willow = browsers("Quiet-Fern"), browsers("Mod-Willow")
    sent = fern.post("/talk", data={"body": WORDS}, headers=htmx(csrf_of(fern, "/talk")))
    assert (
        sent.status_code == 200 and root(sent.text) == "section#talk" and sent.headers["Vary"] == "HX-Request"
    )
    assert WORDS in sent.text and form_values(by_id(sent.text, "talk-form"))["body"] == ""
    conversation = only_conversation(session)
    path = f"/mod/talk/{conversation.id}"
    token = csrf_of(willow, path)

    answered = willow.post(path, data={"body": ANSWER, "action": "answer"}, headers=htmx(token))
    assert answered.status_code == 200 and root(answered.text) == f"section#talk-c{conversation.id}"
    assert ANSWER in answered.text and answered.headers["Vary"] == "HX-Request"

    closed = willow.post(path, data={"action": "close"}, headers=htmx(token))
    assert closed.status_code == 200 and root(closed.text) == f"section#talk-c{conversation.id}"
    assert "This conversation is closed" in closed.text
    assert load(Conversation, conversation.id).status == ConversationStatus.closed

    post = opening_post(session, make_thread(session, member))
    reached = willow.post(
        "/mod/talk", data={"post_id": str(post.id), "body": "Checking in."}, headers=htmx(token)
    )
    assert reached.status_code == 200 and root(reached.text) == f"div#reach-out-p{post.id}"
    assert "Sent." in reached.text and form_values(by_id(reached.text, f"reach-out-p{post.id}"))["body"] == ""


# --- reaching out from the queue ------------------------------------------------------------------


def test_a_moderator_reaches_out_from_an_at_risk_report_and_the_conversation_is_urgent_and_first(
    session, mod, member, browsers
):
    earlier = make_user(session, "Early-Bird")
    talk.member_writes(session, member=earlier, body="An ordinary question.")
    post = opening_post(session, make_thread(session, member, body="I cannot see a way through tonight."))
    report(session, post, make_user(session), reason="at_risk")
    session.commit()
    willow = browsers("Mod-Willow")

    queue = willow.get("/mod").text
    block = by_id(queue, f"reach-out-p{post.id}")
    form = block.form
    assert form["action"] == "/mod/talk" and form_values(form)["post_id"] == str(post.id)
    assert "Write to the author privately" in block.get_text()

    reached = willow.post(
        "/mod/talk", data={"post_id": str(post.id), "body": ANSWER, "csrf_token": csrf_of(willow, "/mod")}
    )
    assert reached.status_code == 303
    urgent = session.scalar(select(Conversation).where(Conversation.member_id == member.id))
    session.commit()
    assert reached.headers["location"] == f"/mod/talk/{urgent.id}#talk-end"
    assert (urgent.urgent, urgent.post_id, urgent.member_unread, urgent.awaiting_team) == (
        True,
        post.id,
        1,
        False,
    )

    inbox = parse(willow.get("/mod/talk").text)
    names = [a.get_text() for a in inbox.select(".talk-inbox a")]
    assert names == ["Conversation with Quiet-Fern", "Conversation with Early-Bird"]  # urgent first

    fern = browsers("Quiet-Fern")
    assert header_link(fern.get("/").text) == "Moderators (1 new)"
    page = fern.get("/talk").text
    assert ANSWER in page and "A moderator wrote about" in page and "Mod-Willow" not in page
    # A second reach-out joins the member's open conversation rather than opening another.
    talk.reach_out(session, post_id=str(post.id), moderator=mod, body="Still here for you.")
    theirs = [c for c in rows(session, Conversation) if c.member_id == member.id]
    assert len(theirs) == 1 and len(rows(session, TalkMessage)) == 3


def test_the_member_ticking_i_need_help_soon_makes_the_conversation_urgent(session, mod, member, browsers):
    talk.member_writes(session, member=make_user(session), body="Earlier, not urgent.")
    fern = browsers("Quiet-Fern")
    fern.post("/talk", data={"body": WORDS, "soon": "on", "csrf_token": csrf_of(fern, "/talk")})
    [first, *_] = conversations.inbox(session)
    assert (first.member_name, first.urgent) == ("Quiet-Fern", True)


def test_reaching_out_to_an_unknown_post_is_404_and_to_an_erased_author_409(session, mod, member, browsers):
    willow = browsers("Mod-Willow")
    token = csrf_of(willow, "/mod")
    unknown = willow.post("/mod/talk", data={"post_id": "987654", "body": "Hello", "csrf_token": token})
    assert unknown.status_code == 404
    gone = make_user(session, "Gone-Soon")
    post = opening_post(session, make_thread(session, gone))
    session.execute(User.__table__.delete().where(User.id == gone.id))
    session.commit()
    refused = willow.post("/mod/talk", data={"post_id": str(post.id), "body": "Hello", "csrf_token": token})
    assert refused.status_code == 409 and "nobody to write to" in refused.text
    assert rows(session, TalkMessage) == [] and rows(session, ModAction) == []


# --- the log note, in the same transaction, without the words ----------------------------------


def test_every_message_is_logged_with_who_and_when_but_never_the_words(session, mod, member, browsers):
    conversation = talk.member_writes(session, member=member, body=WORDS)
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body=ANSWER)
    post = opening_post(session, make_thread(session, member))
    talk.reach_out(session, post_id=str(post.id), moderator=mod, body="Reaching out.")
    talk.close(session, conversation_id=conversation.id, moderator=mod)
    entries = rows(session, ModAction)
    messages = rows(session, TalkMessage)
    assert [e.action for e in entries] == ["talk_member", "talk_answer", "talk_reach_out", "talk_close"]
    assert [(e.moderator_name, e.target_name) for e in entries] == [
        ("", "Quiet-Fern"),
        ("Mod-Willow", "Quiet-Fern"),
        ("Mod-Willow", "Quiet-Fern"),
        ("Mod-Willow", "Quiet-Fern"),
    ]
    assert all(e.reason == "" for e in entries) and entries[2].post_id == post.id
    assert [e.created_at for e in entries[:3]] == [m.created_at for m in messages]  # the same moment

    log_page = browsers("Mod-Willow").get("/mod/log").text
    assert "Quiet-Fern</strong>" in log_page and "wrote privately to the moderators" in log_page
    assert "wrote privately to" in log_page and "reached out privately to" in log_page
    assert "closed the private conversation with" in log_page and f"post {post.id}" in log_page
    for words in (WORDS, ANSWER, "Reaching out."):
        assert words not in log_page


def test_a_message_whose_log_note_cannot_be_written_is_not_stored_either(session, member, browsers):
    def refuse_log(_conn, _cursor, sql, *_):
        if sql.lstrip().upper().startswith("INSERT INTO MOD_ACTION"):
            raise RuntimeError("the log is unavailable")

    fern = browsers("Quiet-Fern")
    token = csrf_of(fern, "/talk")
    engine = db.get_engine()
    event.listen(engine, "before_cursor_execute", refuse_log)
    try:
        failed = fern.post("/talk", data={"body": WORDS, "csrf_token": token})
    finally:
        event.remove(engine, "before_cursor_execute", refuse_log)
    assert failed.status_code == 500
    assert rows(session, Conversation) == [] and rows(session, TalkMessage) == []


# --- erasure and export ---------------------------------------------------------------------------


def test_erasing_the_account_removes_its_conversations_and_messages_and_the_log_keeps_no_link(
    session, mod, member, browsers
):
    other = make_user(session, "Stays-Here")
    kept = talk.member_writes(session, member=other, body="Not erased.")
    conversation = talk.member_writes(session, member=member, body=WORDS)
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body=ANSWER)
    session.commit()
    fern = browsers("Quiet-Fern")
    erased = fern.post(
        "/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": csrf_of(fern, "/me/delete")}
    )
    assert erased.status_code == 303
    assert [c.id for c in rows(session, Conversation)] == [kept.id]
    assert [m.body_source for m in rows(session, TalkMessage)] == ["Not erased."]
    assert browsers("Mod-Willow").get(f"/mod/talk/{conversation.id}").status_code == 404
    notes = [e for e in rows(session, ModAction) if e.target_name == "Quiet-Fern"]
    assert len(notes) == 2 and all(e.target_user_id is None for e in notes)


def test_the_export_holds_the_conversations_with_their_words_and_names_no_moderator(
    session, mod, member, browsers
):
    conversation = talk.member_writes(session, member=member, body=WORDS, soon=True)
    talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body=ANSWER)
    talk.close(session, conversation_id=conversation.id, moderator=mod)
    talk.member_writes(session, member=member, body="A new start.")
    exported = browsers("Quiet-Fern").get("/me/export")
    data = exported.json()["conversations_with_moderators"]
    assert [(c["status"], c["urgent"]) for c in data] == [("closed", True), ("open", False)]
    assert [(m["from"], m["body"]) for m in data[0]["messages"]] == [("you", WORDS), ("moderators", ANSWER)]
    assert data[0]["closed"] and data[1]["closed"] is None
    assert "Mod-Willow" not in exported.text


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), [("get", "/mod/talk"), ("get", "/mod/talk/1"),
                                               ("post", "/mod/talk"), ("post", "/mod/talk/1")])  # fmt: skip
def test_mod_talk_refuses_members_with_403(session, member, browsers, method, path):
    conversation = talk.member_writes(session, member=member, body=WORDS)
    post = opening_post(session, make_thread(session, member))
    fern = browsers("Quiet-Fern")
    data = {"post_id": str(post.id), "body": "Let me in", "action": "close", "csrf_token": csrf_of(fern)}
    refused = fern.get(path) if method == "get" else fern.post(path, data=data)
    assert refused.status_code == 403
    assert load(Conversation, conversation.id).status == ConversationStatus.open
    assert len(rows(session, TalkMessage)) == 1


def test_unknown_conversation_ids_are_404_and_a_member_has_no_id_to_try(session, mod, member, browsers):
    talk.member_writes(session, member=member, body=WORDS)
    other = browsers(make_user(session, "Other-One").pseudonym)
    session.commit()
    # The member side has no id in its URL: another member's /talk is always their own.
    assert other.get("/talk/1").status_code == 404 and WORDS not in other.get("/talk").text
    willow = browsers("Mod-Willow")
    assert willow.get("/mod/talk/999999").status_code == 404
    missing = willow.post("/mod/talk/999999", data={"body": "Hi", "csrf_token": csrf_of(willow, "/mod/talk")})
    assert missing.status_code == 404 and "Hi" in missing.text


def test_an_empty_message_is_422_stores_nothing_and_keeps_the_form(session, mod, member, browsers):
    fern = browsers("Quiet-Fern")
    token = csrf_of(fern, "/talk")
    plain = fern.post("/talk", data={"body": "   \n ", "soon": "on", "csrf_token": token})
    assert plain.status_code == 422 and "Please write something before sending." in plain.text
    form = by_id(plain.text, "talk-form")
    assert form_values(form)["soon"] == "on" and by_id(form, "talk-form-body")["aria-invalid"] == "true"
    fragment = fern.post("/talk", data={"body": ""}, headers=htmx(token))
    assert fragment.status_code == 422 and fragment.headers["HX-Retarget"] == "#talk"
    assert root(fragment.text) == "section#talk"
    assert rows(session, Conversation) == [] and rows(session, ModAction) == []

    conversation = talk.member_writes(session, member=member, body=WORDS)
    willow = browsers("Mod-Willow")
    path = f"/mod/talk/{conversation.id}"
    answer = willow.post(path, data={"body": " ", "csrf_token": csrf_of(willow, path)})
    assert answer.status_code == 422 and has_id(answer.text, f"talk-c{conversation.id}")
    answer_htmx = willow.post(path, data={"body": ""}, headers=htmx(csrf_of(willow, path)))
    assert (
        answer_htmx.status_code == 422 and answer_htmx.headers["HX-Retarget"] == f"#talk-c{conversation.id}"
    )
    post = opening_post(session, make_thread(session, member))
    reach = willow.post(
        "/mod/talk", data={"post_id": str(post.id), "body": "", "csrf_token": csrf_of(willow)}
    )
    assert reach.status_code == 422 and has_id(reach.text, f"reach-out-p{post.id}")
    reach_htmx = willow.post("/mod/talk", data={"post_id": str(post.id)}, headers=htmx(csrf_of(willow)))
    assert reach_htmx.status_code == 422 and reach_htmx.headers["HX-Retarget"] == f"#reach-out-p{post.id}"
    assert len(rows(session, TalkMessage)) == 1 and len(rows(session, ModAction)) == 1


def test_a_message_too_long_is_422_and_the_words_are_kept(session, member, browsers):
    fern = browsers("Quiet-Fern")
    long = "word " * 4001 + "end"
    refused = fern.post("/talk", data={"body": long, "csrf_token": csrf_of(fern, "/talk")})
    assert refused.status_code == 422 and "Messages can be up to 20,000 characters" in refused.text
    assert form_values(by_id(refused.text, "talk-form"))["body"] == long
    assert rows(session, TalkMessage) == []


def test_answering_or_closing_a_closed_conversation_is_409(session, mod, member, browsers):
    conversation = talk.member_writes(session, member=member, body=WORDS)
    talk.close(session, conversation_id=conversation.id, moderator=mod)
    willow = browsers("Mod-Willow")
    path = f"/mod/talk/{conversation.id}"
    token = csrf_of(willow, path)
    assert willow.post(path, data={"body": ANSWER, "csrf_token": token}).status_code == 409
    assert willow.post(path, data={"action": "close", "csrf_token": token}).status_code == 409
    assert willow.post(path, data={"action": "shout", "csrf_token": token}).status_code == 422
    assert len(rows(session, TalkMessage)) == 1


def test_markdown_in_messages_is_rendered_once_and_sanitised_like_posts(session, member):
    with pytest.raises(InvalidInput):
        talk.member_writes(session, member=member, body="")
    talk.member_writes(
        session, member=member, body='**hold on** <script>alert(1)</script> <a href="javascript:x">y</a>'
    )
    [message] = rows(session, TalkMessage)
    assert "<strong>hold on</strong>" in message.body_html
    html = parse(message.body_html)
    assert html.find("script") is None and all(
        not a.get("href", "").startswith("javascript") for a in html.find_all("a")
    )
    assert "&lt;script&gt;" in message.body_html  # typed HTML is shown as text, never run


def test_a_members_quick_second_message_is_rate_limited_with_429_and_kept(
    session, member, browsers, limits_on
):
    fern = browsers("Quiet-Fern")
    token = csrf_of(fern, "/talk")
    assert fern.post("/talk", data={"body": "First.", "csrf_token": token}).status_code == 303
    second = fern.post("/talk", data={"body": "Second, kept.", "csrf_token": token})
    assert second.status_code == 429 and "Please wait" in second.text and "Retry-After" in second.headers
    assert form_values(by_id(second.text, "talk-form"))["body"] == "Second, kept."
    assert len(rows(session, TalkMessage)) == 1


# --- what it costs ---------------------------------------------------------------------------------


def _talk_queries(client, path="/guidelines") -> list[str]:
    with queries.statements() as seen:
        assert client.get(path).status_code == 200
    return [sql for sql, _ in seen if re.search(r"\bconversation\b", sql)]


def test_the_header_count_rides_in_the_sign_in_query_for_a_member_and_costs_visitors_nothing(
    session, mod, member, browsers, client
):
    fern = browsers("Quiet-Fern")
    [sign_in] = _talk_queries(fern)
    assert "login_session" in sign_in, "the count is read with the member, not in a query of its own"
    for n in range(3):  # more conversations and messages do not add queries
        conversation = talk.member_writes(session, member=member, body=f"Message {n}")
        talk.team_answers(session, conversation_id=conversation.id, moderator=mod, body="Answer")
        talk.close(session, conversation_id=conversation.id, moderator=mod)
    session.commit()
    assert _talk_queries(fern) == [sign_in] and header_link(fern.get("/").text) == "Moderators (3 new)"
    assert _talk_queries(client) == []
    count = session.scalar(select(func.count()).select_from(Conversation))
    session.commit()
    assert count == 3


def test_resanitize_rerenders_private_messages_too(session, member):
    talk.member_writes(session, member=member, body="**still here**")
    session.execute(TalkMessage.__table__.update().values(body_html="stale", sanitizer_version=0))
    session.commit()
    assert text.resanitize_all(session) == 1
    [message] = rows(session, TalkMessage)
    assert (message.body_html, message.sanitizer_version) == ("<p><strong>still here</strong></p>", 1)


def test_a_paused_member_can_still_write_to_the_moderators(session, member, browsers):
    session.execute(
        User.__table__.update()
        .where(User.id == member.id)
        .values(suspended_until=utcnow() + timedelta(days=3))
    )
    session.commit()
    fern = browsers("Quiet-Fern")
    sent = fern.post("/talk", data={"body": "Why was I paused?", "csrf_token": csrf_of(fern, "/talk")})
    assert sent.status_code == 303 and [m.body_source for m in rows(session, TalkMessage)] == [
        "Why was I paused?"
    ]


def test_the_talk_pages_send_a_fixed_number_of_queries_whatever_the_number_of_messages(
    session, mod, member, browsers
):
    fern, willow = browsers("Quiet-Fern"), browsers("Mod-Willow")
    conversation = talk.member_writes(session, member=member, body="One.")
    path = f"/mod/talk/{conversation.id}"
    few = [
        queries.count(lambda p=p, c=c: c.get(p))
        for c, p in ((fern, "/talk"), (willow, path), (willow, "/mod/talk"))
    ]
    for n in range(4):
        talk.team_answers(
            session, conversation_id=conversation.id, moderator=make_moderator(session), body=f"A{n}"
        )
        talk.member_writes(session, member=make_user(session), body="Another member's line.")
    session.commit()
    fern.get("/talk")  # the first read marks the answers read: one write, once
    many = [
        queries.count(lambda p=p, c=c: c.get(p))
        for c, p in ((fern, "/talk"), (willow, path), (willow, "/mod/talk"))
    ]
    assert many == few, (few, many)
