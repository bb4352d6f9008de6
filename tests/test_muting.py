"""Muting a member: their posts fold for the muter only, their threads leave the muter's lists,
and a mute made from a post shown as "a member" tells nobody who wrote it."""

import re

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from app.errors import Conflict, NotFound
from app.models import Mute, Post
from app.services import membership, moderation_queue, muting, posting, reactions
from tests import html, queries
from tests.factories import PASSPHRASE, make_moderator, make_thread, make_user, opening_post, report
from tests.http import csrf_of, htmx, submit

AUTHOR = "Quietfern"
AUTHOR_ID = 37  # an id no other number on these small pages takes, so a leak of it is seen
WORD = "lighthouse"
TITLE = "A quiet harbour"


@pytest.fixture
def author(session):
    for n in range(AUTHOR_ID - 1):
        make_user(session, f"Filler-{n}")
    user = make_user(session, AUTHOR)
    assert user.id == AUTHOR_ID
    return user


@pytest.fixture
def reader(session, author):
    return make_user(session, "Brightpath")


@pytest.fixture
def anonymous_reply(session, author, reader):
    """A named thread by the reader, with a reply by AUTHOR shown as "a member"."""
    thread = make_thread(session, reader, title=TITLE, body=f"Open {WORD}")
    return posting.reply(
        session, thread_id=thread.id, author=author, body=f"Quiet {WORD} words", anonymous=True
    )


@pytest.fixture
def named_thread(session, author):
    return make_thread(session, author, title="Named thread", body=f"Named {WORD}", category="general")


def assert_reveals_nobody(text: str, author) -> None:
    """The author's pseudonym and id are nowhere: not in the text, not in any attribute."""
    assert AUTHOR.casefold() not in text.casefold() and author.pseudonym_key not in text.casefold()
    soup = BeautifulSoup(text, "html.parser")
    own_id = re.compile(rf"\b{author.id}\b")
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            for v in value if isinstance(value, list) else [value]:
                assert not own_id.search(v), (tag.name, name, v)
    assert not own_id.search(soup.get_text()), "the author's id is in the text"


def _mutes(session) -> list[tuple[int, int, bool]]:
    session.rollback()
    return [tuple(r) for r in session.execute(select(Mute.muter_id, Mute.muted_id, Mute.as_member))]


# --- muting from a post shown as "a member" --------------------------------------------------------


def test_muting_an_anonymous_post_without_js_reveals_nothing_and_folds_it(
    session, author, reader, anonymous_reply, browsers
):
    me = browsers("Brightpath")
    r = submit(me, f"/p/{anonymous_reply.id}/mute-author", {}, page=f"/t/{anonymous_reply.thread_id}")
    assert (
        r.status_code == 303
        and r.headers["location"] == f"/t/{anonymous_reply.thread_id}#p{anonymous_reply.id}"
    )
    assert_reveals_nobody(r.text + " ".join(f"{k}: {v}" for k, v in r.headers.items()), author)
    assert _mutes(session) == [(reader.id, author.id, True)]
    page = me.get(f"/t/{anonymous_reply.thread_id}").text
    assert_reveals_nobody(page, author)
    folded = html.by_id(page, f"muted-p{anonymous_reply.id}")
    assert folded.name == "details" and "You muted this member" in folded.summary.get_text()
    assert WORD in folded.get_text(), "the reader may still open it"
    settings = me.get("/me/settings").text
    assert_reveals_nobody(settings, author)
    items = html.parse(settings).select("#mutes li")
    assert (
        len(items) == 1
        and items[0].get_text(" ").split("Unmute")[0].strip() == f"the author of a post in ‘{TITLE}’"
    )


def test_muting_an_anonymous_post_with_htmx_answers_the_folded_post_and_reveals_nothing(
    session, author, reader, anonymous_reply, browsers
):
    reactions.toggle(session, post_id=anonymous_reply.id, user=reader, kind="hug", want="on")
    me = browsers("Brightpath")
    token = csrf_of(me, f"/t/{anonymous_reply.thread_id}")
    r = me.post(f"/p/{anonymous_reply.id}/mute-author", headers=htmx(token))
    assert r.status_code == 200 and r.headers["Vary"] == "HX-Request"
    assert html.root(r.text) == f"article#p{anonymous_reply.id}"
    assert html.has_id(r.text, f"muted-p{anonymous_reply.id}")
    assert html.by_id(r.text, f"react-p{anonymous_reply.id}-hug")["aria-pressed"] == "true", "as they left it"
    assert_reveals_nobody(r.text, author)
    assert _mutes(session) == [(reader.id, author.id, True)]


def test_others_see_the_post_unfolded(session, author, reader, anonymous_reply, browsers, client):
    muting.mute_author(session, post=load_post(session, anonymous_reply.id), muter=reader)
    make_user(session, "Otherone")
    for viewer in (browsers("Otherone"), client):
        assert not html.has_id(
            viewer.get(f"/t/{anonymous_reply.thread_id}").text, f"muted-p{anonymous_reply.id}"
        )


def load_post(session, post_id: int) -> Post:
    session.rollback()
    return posting.get_post(session, post_id)


# --- muting a named author -------------------------------------------------------------------------


def test_a_named_mute_folds_their_named_posts_and_takes_their_threads_off_the_lists(
    session, author, reader, named_thread, anonymous_reply, browsers
):
    me = browsers("Brightpath")
    opener = opening_post(session, named_thread)
    r = submit(me, f"/p/{opener.id}/mute-author", {}, page=f"/t/{named_thread.id}")
    assert r.status_code == 303
    assert html.has_id(me.get(f"/t/{named_thread.id}").text, f"muted-p{opener.id}")
    for path in ("/", "/c/general"):
        assert f"/t/{named_thread.id}" not in me.get(path).text, path
        assert f"/t/{named_thread.id}" not in me.get(path, headers={"HX-Request": "true"}).text, path
    assert f"#p{opener.id}" not in me.get("/search", params={"q": WORD}).text
    # Their post shown as "a member" is not tied to the name: it stays unfolded and searchable.
    assert not html.has_id(me.get(f"/t/{anonymous_reply.thread_id}").text, f"muted-p{anonymous_reply.id}")
    assert f"#p{anonymous_reply.id}" in me.get("/search", params={"q": WORD}).text
    assert html.text_of(me.get("/me/settings").text, "mutes").startswith("Members you muted")
    assert AUTHOR in html.text_of(me.get("/me/settings").text, "mutes")
    # Everyone else still sees the thread.
    assert f"/t/{named_thread.id}" in browsers(AUTHOR).get("/").text


def test_muting_twice_is_one_mute(session, author, reader, named_thread):
    opener = load_post(session, opening_post(session, named_thread).id)
    first = muting.mute_author(session, post=opener, muter=reader)
    again = muting.mute_author(session, post=load_post(session, opener.id), muter=reader)
    assert first.post.muted and again.post.muted and first.mine == set()
    assert _mutes(session) == [(reader.id, author.id, False)]
    assert [m.label for m in muting.mutes_of(session, user=reader)] == [AUTHOR]


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("hx", [False, True])
def test_muting_yourself_is_refused_with_409(session, author, anonymous_reply, browsers, hx):
    me = browsers(AUTHOR)
    token = csrf_of(me)
    headers = htmx(token) if hx else {}
    r = me.post(f"/p/{anonymous_reply.id}/mute-author", data={"csrf_token": token}, headers=headers)
    assert r.status_code == 409 and "you cannot mute yourself" in r.text
    if hx:
        assert r.headers["HX-Retarget"] == "#flash"
    assert _mutes(session) == []


@pytest.mark.parametrize("hx", [False, True])
def test_muting_a_named_moderator_is_refused_with_409_and_the_reason(session, reader, browsers, hx):
    moderator = make_moderator(session, "Steady-Mod")
    thread = make_thread(session, reader)
    named = posting.reply(session, thread_id=thread.id, author=moderator, body="Here if you need us.")
    me = browsers("Brightpath")
    # A named moderator's post does not offer the button at all; a hand-made request is refused.
    assert f"/p/{named.id}/mute-author" not in me.get(f"/t/{thread.id}").text
    token = csrf_of(me)
    r = me.post(f"/p/{named.id}/mute-author", data={"csrf_token": token}, headers=htmx(token) if hx else {})
    assert r.status_code == 409 and "Moderators cannot be muted" in r.text
    assert _mutes(session) == []


@pytest.mark.parametrize("hx", [False, True])
def test_muting_a_moderators_post_shown_as_a_member_answers_as_for_anyone(session, reader, browsers, hx):
    """A refusal there would tell the reader that "a member" is a moderator."""
    moderator = make_moderator(session, "Steady-Mod")
    member = make_user(session, "Plain-Member")
    thread = make_thread(session, reader)
    theirs = posting.reply(
        session, thread_id=thread.id, author=moderator, body="From a member.", anonymous=True
    )
    other = posting.reply(session, thread_id=thread.id, author=member, body="Me too.", anonymous=True)
    me = browsers("Brightpath")
    token = csrf_of(me)
    answers = [
        me.post(f"/p/{p.id}/mute-author", data={"csrf_token": token}, headers=htmx(token) if hx else {})
        for p in (theirs, other)
    ]
    assert [a.status_code for a in answers] == ([200, 200] if hx else [303, 303])
    for answer in answers:
        assert "Steady-Mod" not in answer.text and "moderator" not in answer.text.lower().replace(
            "moderators", ""
        )
    assert len(_mutes(session)) == 2


def test_the_service_refuses_self_and_moderators(session, author, anonymous_reply):
    with pytest.raises(Conflict, match="yourself"):
        muting.mute_author(session, post=load_post(session, anonymous_reply.id), muter=author)


# --- unmuting --------------------------------------------------------------------------------------


def test_unmuting_without_js_and_with_htmx(session, author, reader, named_thread, anonymous_reply, browsers):
    muting.mute_author(session, post=load_post(session, opening_post(session, named_thread).id), muter=reader)
    muting.mute_author(session, post=load_post(session, anonymous_reply.id), muter=reader)
    first, second = [m.id for m in muting.mutes_of(session, user=reader)]
    me = browsers("Brightpath")
    r = submit(me, f"/me/mutes/{first}/delete", {}, page="/me/settings")
    assert r.status_code == 303 and r.headers["location"] == "/me/settings#mutes"
    token = csrf_of(me, "/me/settings")
    r = me.post(f"/me/mutes/{second}/delete", headers=htmx(token))
    assert r.status_code == 200 and html.root(r.text) == "section#mutes"
    assert "You have not muted anyone" in r.text
    assert _mutes(session) == []
    assert f"/t/{named_thread.id}" in me.get("/").text


def test_a_mute_of_someone_else_cannot_be_lifted(session, author, reader, named_thread, browsers):
    muting.mute_author(session, post=load_post(session, opening_post(session, named_thread).id), muter=reader)
    mute_id = muting.mutes_of(session, user=reader)[0].id
    make_user(session, "Otherone")
    r = submit(browsers("Otherone"), f"/me/mutes/{mute_id}/delete", {}, page="/me/settings")
    assert r.status_code == 404 and len(_mutes(session)) == 1
    with pytest.raises(NotFound):
        muting.unmute(session, mute_id=mute_id, user=author)


# --- moderators' quiet note ------------------------------------------------------------------------


def test_moderators_see_a_quiet_note_once_five_members_muted_an_author(
    session, author, named_thread, browsers
):
    opener_id = opening_post(session, named_thread).id
    report(session, load_post(session, opener_id), make_user(session))
    muters = [make_user(session) for _ in range(5)]
    make_moderator(session, "Steady-Mod")
    mod = browsers("Steady-Mod")
    for n, muter in enumerate(muters, start=1):
        muting.mute_author(session, post=load_post(session, opener_id), muter=muter)
        group = html.by_id(mod.get("/mod").text, f"report-group-p{opener_id}")
        noted = "Several members have muted this author" in group.get_text()
        assert noted is (n >= 5), n
    assert html.one(group, ".muted-note").get_text() == "Several members have muted this author."
    assert not any(m.pseudonym in group.get_text() for m in muters), "never who muted"


def test_the_queue_reads_mutes_in_one_query_whatever_the_number_of_groups(session, author, named_thread):
    opener = load_post(session, opening_post(session, named_thread).id)
    report(session, opener, make_user(session))
    one = queries.count(lambda: moderation_queue.queue(session))
    session.rollback()
    for n in range(3):
        other = make_user(session)
        post = posting.reply(session, thread_id=named_thread.id, author=other, body=f"r{n}")
        report(session, load_post(session, post.id), make_user(session))
        muting.mute_author(session, post=load_post(session, post.id), muter=make_user(session))
    assert len(moderation_queue.queue(session).groups) == 4
    session.rollback()
    assert queries.count(lambda: moderation_queue.queue(session)) == one


# --- the thread page's queries ---------------------------------------------------------------------


def test_the_thread_page_makes_the_same_number_of_queries_whatever_the_number_of_mutes(
    session, author, reader, anonymous_reply, browsers
):
    me = browsers("Brightpath")
    path = f"/t/{anonymous_reply.thread_id}"
    me.get(path)
    none = queries.count(lambda: me.get(path))
    muting.mute_author(session, post=load_post(session, anonymous_reply.id), muter=reader)
    for _ in range(3):
        other = make_user(session)
        post = posting.reply(session, thread_id=anonymous_reply.thread_id, author=other, body="hi")
        muting.mute_author(session, post=load_post(session, post.id), muter=reader)
    session.rollback()
    page = me.get(path).text
    assert len(html.parse(page).select("details.muted-author")) == 4
    assert queries.count(lambda: me.get(path)) == none


# --- export and erasure ----------------------------------------------------------------------------


def test_the_export_lists_the_members_own_mutes_labelled_as_in_the_settings(
    session, author, reader, named_thread, anonymous_reply, browsers
):
    muting.mute_author(session, post=load_post(session, opening_post(session, named_thread).id), muter=reader)
    muting.mute_author(session, post=load_post(session, anonymous_reply.id), muter=reader)
    exported = browsers("Brightpath").get("/me/export").json()["mutes"]
    assert [m["muted"] for m in exported] == [AUTHOR, f"the author of a post in ‘{TITLE}’"]
    assert browsers(AUTHOR).get("/me/export").json()["mutes"] == [], "being muted is not in their export"
    session.rollback()
    assert list(membership.SECTIONS).count("mutes") == 1


@pytest.mark.parametrize("who", ["muter", "muted"])
def test_erasing_either_account_takes_the_mute_with_it(session, author, reader, named_thread, browsers, who):
    muting.mute_author(session, post=load_post(session, opening_post(session, named_thread).id), muter=reader)
    leaving = browsers("Brightpath" if who == "muter" else AUTHOR)
    r = submit(leaving, "/me/delete", {"passphrase": PASSPHRASE, "erase_posts": "yes"})
    assert r.status_code == 303
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Mute)) == 0
