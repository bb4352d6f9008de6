"""Content notes from a fixed list, and each reader's fold / show / hide, decided in the service."""

import json

import pytest
from alembic import command
from sqlalchemy import create_engine, select, text
from sqlalchemy.pool import NullPool

from app.errors import InvalidInput
from app.models import Post, Thread, User
from app.services import content_notes, membership, moderation_queue, posting, reading, search
from tests import queries
from tests.factories import PASSPHRASE, load, make_thread, make_user, opening_post, report
from tests.html import by_id, one, parse, roots, shape
from tests.http import csrf_of, htmx, submit
from tests.test_migrations import _config

READER = "Quietreader"
WRITER = "Steadywriter"
WORD = "harbour"  # in every body, so search finds each post
OPENING = f"The {WORD} at night, and what I did to myself."
REPLY = f"Losing my dad, and the {WORD} we walked to."


# --- the rule, in the service ----------------------------------------------------------------


def test_one_hidden_kind_hides_one_folded_folds_and_only_all_shown_shows_open():
    choices = {**content_notes.choices_of(None), "self-harm": "hide", "grief": "show", "legal": "show"}
    assert content_notes.decide("", "", choices) == content_notes.NO_NOTE
    hidden = content_notes.decide("self-harm,grief", "", choices)
    assert (hidden.choice, hidden.hidden, hidden.placeholder) == (
        "hide",
        "self-harm",
        "Hidden by your settings: self-harm",
    )
    assert content_notes.decide("relapse,grief", "", choices).choice == "fold"
    assert content_notes.decide("grief,legal", "", choices).choice == "show"
    # Reading a hidden post once shows it open, whatever was chosen.
    assert content_notes.decide("self-harm", "", choices, reveal=True).choice == "show"


def test_anonymous_readers_always_fold_and_the_words_name_kinds_then_the_authors_note():
    assert set(content_notes.choices_of(None).values()) == {"fold"}
    assert content_notes.words_of(("relapse", "grief"), "") == "relapse, grief"
    assert content_notes.words_of(("relapse", "other"), "a funeral") == "relapse: a funeral"
    assert content_notes.words_of(("other",), "relapse details") == "relapse details"
    assert content_notes.words_of(("other",), "") == "other"


def test_posting_keeps_kinds_in_list_order_counts_bare_words_as_other_and_refuses_unknown_kinds(session):
    writer = make_user(session, WRITER)
    thread = posting.start_thread(
        session,
        author=writer,
        category_slug="stories",
        title="Hard week",
        body="words",
        content_note_kinds=["grief", "relapse", "grief"],
    )
    assert (thread.content_note_kinds, opening_post(session, thread).content_note_kinds) == (
        "relapse,grief",
        "relapse,grief",
    )
    reply = posting.reply(session, thread_id=thread.id, author=writer, body="more", content_note="court date")
    assert reply.content_note_kinds == "other"
    with pytest.raises(InvalidInput) as refused:
        posting.reply(
            session, thread_id=thread.id, author=writer, body="more", content_note_kinds=["spoilers"]
        )
    assert refused.value.fields == {"content_note_kind": content_notes.UNKNOWN_KIND}


def test_editing_the_opening_posts_kinds_moves_the_threads_along(session):
    writer = make_user(session, WRITER)
    thread = make_thread(session, writer)
    post = posting.get_post(session, opening_post(session, thread).id)
    posting.edit(session, post=post, author=writer, body="new words", content_note_kinds=["abuse"])
    assert load(Thread, thread.id).content_note_kinds == "abuse"
    assert load(Post, post.id).content_note_kinds == "abuse"


def test_reader_choices_are_saved_only_when_every_field_is_known(session):
    reader = make_user(session, READER)
    saved = content_notes.save_choices(
        session, user=reader, fields={"note_self-harm": "hide", "note_grief": "show"}
    )
    assert saved["self-harm"] == "hide" and saved["relapse"] == "fold"
    assert load(User, reader.id).note_choices == "self-harm:hide,grief:show"
    for bad in ({"note_grief": "loud"}, {"note_spoilers": "hide"}):
        with pytest.raises(InvalidInput) as refused:
            content_notes.save_choices(session, user=reader, fields=bad)
        assert set(refused.value.fields) == set(bad)
    assert content_notes.choices_of(load(User, reader.id))["self-harm"] == "hide"


# --- the three pages ---------------------------------------------------------------------------


@pytest.fixture
def noted_thread(session):
    """A thread opening with self-harm and a reply with grief, both by WRITER; returns their ids."""
    writer = make_user(session, WRITER)
    thread = posting.start_thread(
        session,
        author=writer,
        category_slug="stories",
        title=f"The {WORD} and the night",
        body=OPENING,
        content_note_kinds=["self-harm"],
    )
    reply = posting.reply(
        session,
        thread_id=thread.id,
        author=writer,
        body=REPLY,
        content_note="my dad",
        content_note_kinds=["grief"],
    )
    return thread.id, opening_post(session, thread).id, reply.id


def _choose(client, **choices: str):
    fields = {f"note_{kind.replace('_', '-')}": value for kind, value in choices.items()}
    response = submit(client, "/me/settings", fields)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/me/settings?done=saved"


def test_the_thread_page_folds_shows_or_hides_each_post_as_the_reader_chose(
    session, client, browsers, noted_thread
):
    thread_id, opening_id, reply_id = noted_thread
    make_user(session, READER)
    # Anonymous: everything folds, with the kinds' words.
    page = parse(client.get(f"/t/{thread_id}").text)
    assert (
        one(by_id(page, f"p{opening_id}"), "details.content-note summary")
        .get_text(" ", strip=True)
        .startswith("Content note: self-harm")
    )
    assert "Content note: grief: my dad" in by_id(page, f"p{reply_id}").get_text(" ")
    reader = browsers(READER)
    _choose(reader, self_harm="hide", grief="show")
    html = reader.get(f"/t/{thread_id}").text
    page = parse(html)
    opening = by_id(page, f"p{opening_id}")
    assert "Hidden by your settings: self-harm" in opening.get_text(" ")
    assert OPENING not in html and f"The {WORD} and the night" not in one(page, "h1").get_text()
    assert one(page, "h1").get_text(strip=True) == "Hidden by your settings: self-harm"
    shown = by_id(page, f"p{reply_id}")
    assert shown.find("details", class_="content-note") is None and REPLY in shown.get_text(" ")
    # Read it once: the link the placeholder offers shows the post open, on that request only.
    once = one(opening, ".content-note-hidden a")["href"]
    assert once == f"/t/{thread_id}?show=p{opening_id}#p{opening_id}"
    revealed = parse(reader.get(once.split("#")[0]).text)
    assert OPENING in by_id(revealed, f"p{opening_id}").get_text(" ")
    assert OPENING not in reader.get(f"/t/{thread_id}").text


def test_the_category_page_gives_a_hidden_opening_the_placeholder_title_and_folds_name_their_kinds(
    session, client, browsers, noted_thread
):
    thread_id, _opening_id, _reply_id = noted_thread
    make_user(session, READER)
    title = f"The {WORD} and the night"
    item = one(parse(client.get("/c/stories").text), ".thread-item")
    assert item.find("a").get_text() == title and "Content note: self-harm" in item.get_text(" ")
    reader = browsers(READER)
    _choose(reader, self_harm="hide")
    html = reader.get("/c/stories").text
    item = one(parse(html), ".thread-item")
    assert item.find("a").get_text() == "Hidden by your settings: self-harm"
    assert item.find("a")["href"] == f"/t/{thread_id}" and title not in html
    _choose(reader, self_harm="show")
    item = one(parse(reader.get("/c/stories").text), ".thread-item")
    assert item.find("a").get_text() == title


def test_search_results_keep_folded_words_out_hide_the_placeholder_way_and_show_snippets_when_chosen(
    session, client, browsers, noted_thread
):
    make_user(session, READER)
    found = parse(client.get(f"/search?q={WORD}").text).select(".search-hit")
    assert len(found) == 2
    assert all(OPENING not in h.get_text(" ") and REPLY not in h.get_text(" ") for h in found)
    assert any("Content note self-harm" in " ".join(h.get_text(" ").split()) for h in found)
    reader = browsers(READER)
    _choose(reader, self_harm="hide", grief="show")
    html = reader.get(f"/search?q={WORD}").text
    texts = [" ".join(h.get_text(" ").split()) for h in parse(html).select(".search-hit")]
    assert OPENING.split(",")[0] not in html and "what I did to myself" not in html
    assert all(t.startswith("Hidden by your settings: self-harm") for t in texts)  # the thread's title
    assert any("Losing my dad" in t for t in texts)  # grief shown: its snippet is there


def test_search_decides_for_the_reader_in_the_service(session, noted_thread):
    reader = make_user(session, READER)
    content_notes.save_choices(session, user=reader, fields={"note_grief": "hide"})
    hits = {h.position: h for h in search.search(session, q=WORD, reader=reader).hits}
    assert hits[1].note.choice == "hide" and str(hits[1].snippet) == "" and hits[1].content_note == ""
    assert hits[0].note.choice == "fold" and hits[0].content_note == "self-harm"
    anonymous = {h.position: h for h in search.search(session, q=WORD).hits}
    assert anonymous[1].note.choice == "fold" and anonymous[1].content_note == "grief: my dad"


# --- forms over HTTP ---------------------------------------------------------------------------


def test_a_thread_with_kinds_posts_without_js_and_an_unknown_kind_comes_back_422_with_the_form_kept(
    session, client
):
    make_user(session, WRITER)
    submit(client, "/login", {"pseudonym": WRITER, "passphrase": PASSPHRASE})
    form = parse(client.get("/new").text)
    legend = one(form, "fieldset.content-note-kinds legend")
    assert legend.get_text(" ").startswith("Content note")
    assert [i["value"] for i in form.select("input[name=content_note_kind]")] == list(content_notes.KINDS)
    token = csrf_of(client, "/new")
    data = {"title": "Slow week", "body": "My words.", "category": "stories", "csrf_token": token}
    refused = client.post("/new", data={**data, "content_note_kind": ["grief", "spoilers"]})
    assert refused.status_code == 422
    page = parse(refused.text)
    assert by_id(page, "thread-form-content_note_kind-error").get_text() == content_notes.UNKNOWN_KIND
    assert by_id(page, "thread-form-note-grief").has_attr("checked")
    assert "My words." in by_id(page, "thread-form-body").get_text()
    posted = client.post(
        "/new", data={**data, "content_note_kind": ["relapse", "grief"], "content_note": "slip"}
    )
    assert posted.status_code == 303
    html = client.get(posted.headers["location"]).text
    assert "Content note: relapse, grief: slip" in " ".join(parse(html).get_text(" ").split())


def test_a_reply_with_htmx_answers_its_folded_post_and_a_bad_kind_retargets_the_reply_form(
    session, client, noted_thread
):
    thread_id = noted_thread[0]
    make_user(session, READER)
    submit(client, "/login", {"pseudonym": READER, "passphrase": PASSPHRASE})
    token = csrf_of(client, f"/t/{thread_id}")
    path = f"/t/{thread_id}/reply"
    ok = client.post(path, data={"body": "With you.", "content_note_kind": "relapse"}, headers=htmx(token))
    assert ok.status_code == 200 and ok.headers["Vary"] == "HX-Request"
    assert "Content note: relapse" in one(parse(ok.text), "details.content-note summary").get_text()
    bad = client.post(path, data={"body": "With you.", "content_note_kind": "loud"}, headers=htmx(token))
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == "#reply-form"
    assert "With you." in by_id(parse(bad.text), "reply-form-body").get_text()


def test_the_edit_form_ticks_the_posts_kinds_and_saves_new_ones(session, client, noted_thread):
    _thread_id, opening_id, _reply_id = noted_thread
    submit(client, "/login", {"pseudonym": WRITER, "passphrase": PASSPHRASE})
    form = parse(client.get(f"/p/{opening_id}/edit").text)
    assert by_id(form, "edit-form-note-self-harm").has_attr("checked")
    assert form.find(id="edit-form-anonymous") is None
    saved = submit(
        client,
        f"/p/{opening_id}/edit",
        {"body": "Other words.", "content_note_kind": "suicide"},
        page=f"/p/{opening_id}/edit",
    )
    assert saved.status_code == 303
    assert load(Post, opening_id).content_note_kinds == "suicide"


def test_settings_save_without_js_with_htmx_and_refuse_unknown_values_with_the_form_kept(session, client):
    assert client.get("/me/settings").status_code == 303  # sign in first
    reader_id = make_user(session, READER).id
    submit(client, "/login", {"pseudonym": READER, "passphrase": PASSPHRASE})
    page = parse(client.get("/me/settings").text)
    assert [s["name"] for s in page.select("#settings-form select")] == [
        f"note_{k}" for k in content_notes.KINDS
    ]
    token = csrf_of(client, "/me/settings")
    plain = client.post("/me/settings", data={"csrf_token": token, "note_grief": "hide"})
    assert (plain.status_code, plain.headers["location"]) == (303, "/me/settings?done=saved")
    after = parse(client.get("/me/settings?done=saved").text)
    assert one(after, "#settings-form-note_grief option[selected]")["value"] == "hide"
    assert "saved" in one(after, "#settings-form .notice").get_text()
    fragment = client.post("/me/settings", data={"note_legal": "show"}, headers=htmx(token))
    assert fragment.status_code == 200 and fragment.headers["Vary"] == "HX-Request"
    assert [shape(root) for root in roots(fragment.text)] == ["form#settings-form"]
    assert content_notes.choices_of(load(User, reader_id))["legal"] == "show"
    bad = client.post("/me/settings", data={"note_grief": "hide", "note_legal": "loud"}, headers=htmx(token))
    assert bad.status_code == 422 and bad.headers["HX-Retarget"] == "#settings-form"
    kept = parse(bad.text)
    assert one(kept, "#settings-form-note_grief option[selected]")["value"] == "hide"
    assert by_id(kept, "settings-form-note_legal-error")
    unknown = client.post("/me/settings", data={"csrf_token": token, "note_spoilers": "hide"})
    assert unknown.status_code == 422 and "settings-form" in unknown.text
    assert content_notes.choices_of(load(User, reader_id))["legal"] == "show"  # nothing changed


def test_reader_choices_are_in_the_export_and_go_with_the_account(session):
    reader = make_user(session, READER)
    content_notes.save_choices(session, user=reader, fields={"note_suicide": "hide"})
    thread = posting.start_thread(
        session, author=reader, category_slug="stories", title="Mine", body="x", content_note_kinds=["legal"]
    )
    data = json.loads(json.dumps(membership.export(session, user=reader)))
    assert data["content_note_settings"]["suicide"] == "hide"
    assert data["posts"][0]["content_note_kinds"] == ["legal"]
    membership.erase(session, user=load(User, reader.id), passphrase=PASSPHRASE, erase_posts=True)
    assert session.scalar(select(User).where(User.note_choices != "")) is None
    assert load(Thread, thread.id).content_note_kinds == ""


# --- the thread page's query count ---------------------------------------------------------------


def test_the_thread_page_sends_the_same_statements_whatever_the_notes_and_the_choices(
    session, client, browsers, noted_thread
):
    thread_id = noted_thread[0]
    make_user(session, READER)
    session.commit()
    reader = browsers(READER)

    def statements() -> int:
        # Viewed once first, so the read marker is up to date and writes nothing (read_markers.seen).
        reader.get(f"/t/{thread_id}")
        return queries.count(lambda: reader.get(f"/t/{thread_id}"))

    before = statements()
    _choose(reader, self_harm="hide", grief="show", relapse="hide", legal="show")
    with_choices = statements()
    writer = session.scalar(select(User).where(User.pseudonym == WRITER))
    thread = load(Thread, thread_id)
    for kinds in (["abuse"], ["using", "other"], ["suicide"], []):
        posting.reply(session, thread_id=thread.id, author=writer, body="more", content_note_kinds=kinds)
    with_more_notes = statements()
    assert before == with_choices == with_more_notes
    assert queries.count(lambda: client.get(f"/t/{thread_id}")) <= before


# --- the migration -----------------------------------------------------------------------------


def test_migration_0030_turns_every_free_text_note_into_other_with_its_words(blank_database_url):
    cfg = _config(blank_database_url)
    command.upgrade(cfg, "0024")
    engine = create_engine(blank_database_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO "user" (id, pseudonym, pseudonym_key, pseudonym_skeleton, passphrase_hash, '
                "recovery_hash, role, created_at) "
                "VALUES (1, 'Willow', 'willow', 'willow', 'h', 'r', 'member', '2026-11-30 10:00:00+00:00')"
            )
        )
        category = conn.scalar(text("SELECT id FROM category WHERE slug = 'stories'"))
        for tid, note in ((1, "relapse details"), (2, "")):
            conn.execute(
                text(
                    "INSERT INTO thread (id, category_id, author_id, title, created_at, last_activity_at, "
                    "reply_count, pinned, locked, status) "
                    "VALUES (:id, :c, 1, 'T', :at, :at, 1, false, false, 'visible')"
                ),
                {"id": tid, "c": category, "at": "2026-11-30 10:00:00+00:00"},
            )
            for position, post_note in ((0, note), (1, "grief")):
                conn.execute(
                    text(
                        "INSERT INTO post (thread_id, author_id, position, body_source, body_html, "
                        "sanitizer_version, content_note, created_at, status, moderation_reason, hug_count, "
                        "strength_count, thanks_count, metoo_count, celebrate_count) VALUES (:t, 1, :p, 'b', "
                        "'<p>b</p>', 1, :n, :at, 'visible', '', 0, 0, 0, 0, 0)"
                    ),
                    {"t": tid, "p": position, "n": post_note, "at": "2026-11-30 10:00:00+00:00"},
                )
    command.upgrade(cfg, "head")
    with engine.connect() as conn:
        posts = conn.execute(
            text("SELECT thread_id, position, content_note, content_note_kinds FROM post ORDER BY id")
        ).all()
        threads = conn.execute(text("SELECT id, content_note_kinds FROM thread ORDER BY id")).all()
        choices = conn.scalar(text('SELECT note_choices FROM "user"'))
    engine.dispose()
    assert [tuple(p) for p in posts] == [
        (1, 0, "relapse details", "other"),
        (1, 1, "grief", "other"),
        (2, 0, "", ""),
        (2, 1, "grief", "other"),
    ]
    assert [tuple(t) for t in threads] == [(1, "other"), (2, "")]
    assert choices == ""


def test_moderators_read_a_reported_posts_note_in_the_kinds_words(session, noted_thread):
    _thread_id, opening_id, reply_id = noted_thread
    reporter = make_user(session, READER)
    for post_id in (opening_id, reply_id):
        report(session, posting.get_post(session, post_id), reporter)
    notes = {g.post_id: g.content_note for g in moderation_queue.queue(session).groups}
    assert notes == {opening_id: "self-harm", reply_id: "grief: my dad"}


def test_a_hidden_post_reaches_the_template_without_its_words_or_its_authors_note(session, noted_thread):
    _thread_id, _opening_id, reply_id = noted_thread
    reader = make_user(session, READER)
    content_notes.save_choices(session, user=reader, fields={"note_grief": "hide"})
    post = posting.get_post(session, reply_id)
    seen = reading.as_seen_by(post, reader=reader)
    assert (seen.note.choice, seen.note.placeholder) == ("hide", "Hidden by your settings: grief")
    assert (seen.body_html, seen.content_note, seen.note.words) == ("", "", "")
    once = reading.as_seen_by(post, reader=reader, reveal=True)
    assert once.note.choice == "show" and REPLY in once.body_html
    assert reading.as_seen_by(post, reader=None).note.choice == "fold"
