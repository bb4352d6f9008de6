"""Erasure reaches every copy of a member's words: post, report snapshots, thread title, search index.

Each test writes unique words, checks that they are stored (so the search below can see them),
takes them back through the real routes, then looks for them everywhere: on SQLite in the bytes
of the database file and its WAL after a checkpoint; on PostgreSQL in every text column of every
table, listed from information_schema.
"""

import secrets
from contextlib import ExitStack
from pathlib import Path

import sqlean
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from app.config import PROJECT_ROOT
from app.db import plain_engine
from app.models import Post, PostVersion, Report, Thread, User
from app.services import posting
from app.services.erasure import ERASED_TITLE
from tests.factories import (
    PASSPHRASE,
    join_via_http,
    load,
    make_moderator,
    make_thread,
    make_user,
    opening_post,
    report,
    signed_in_client,
)
from tests.http import csrf_of

TEXT_TYPES = ("text", "character varying", "character")


def _word() -> str:
    # One token for both tokenizers (letters and digits), lower case as the indexes fold it.
    return "erasure" + secrets.token_hex(5)


def copies_of(database_url: str, session: Session, word: str) -> list[str]:
    """Where the word is stored: file names on SQLite, table.column on PostgreSQL."""
    session.rollback()
    if database_url.startswith("sqlite"):
        path = Path(make_url(database_url).database)
        check = sqlean.connect(path, isolation_level=None)
        busy = check.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        check.close()
        assert busy == 0, "the checkpoint must reach every page"
        needle = word.encode()
        files = [path, path.with_name(path.name + "-wal")]
        return [f.name for f in files if f.exists() and needle in f.read_bytes()]
    columns = session.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = ANY(:types)"
        ),
        {"types": list(TEXT_TYPES)},
    ).all()
    assert ("report", "snapshot") in columns and ("thread", "title") in columns
    found = [
        f"{table}.{column}"
        for table, column in columns
        if session.scalar(
            text(f'SELECT count(*) FROM "{table}" WHERE "{column}" ILIKE :pattern'),  # noqa: S608 - catalog names
            {"pattern": f"%{word}%"},
        )
    ]
    session.rollback()
    return found


def _me(session: Session, name: str) -> User:
    session.rollback()
    return session.scalar(select(User).where(User.pseudonym == name))


def _delete(client, post_id: int):
    token = csrf_of(client, "/guidelines")
    return client.post(f"/p/{post_id}/delete", data={"csrf_token": token})


def test_a_reported_then_edited_reply_leaves_no_word_anywhere_when_deleted(
    app, client, session, database_url
):
    first, edited, note = _word(), _word(), _word()
    # Only in the moderators' history once the second edit replaces it (no snapshot holds it).
    replaced = _word()
    name = join_via_http(client)
    thread = make_thread(session, make_user(session), title="Evenings are the hard part")
    reply = posting.reply(
        session,
        thread_id=thread.id,
        author=_me(session, name),
        body=f"What I did: {first}",
        content_note=note,
    )
    report(session, reply, make_user(session), reason="unkind")
    token = csrf_of(client, f"/p/{reply.id}/edit")
    for body in (f"Said another way: {replaced}", f"Said better: {edited}"):
        r = client.post(f"/p/{reply.id}/edit", data={"body": body, "content_note": note, "csrf_token": token})
        assert r.status_code == 303
    session.rollback()
    kept = session.scalars(select(PostVersion.body_source).where(PostVersion.post_id == reply.id)).all()
    assert kept == [f"What I did: {first}", f"Said another way: {replaced}"]
    assert copies_of(database_url, session, replaced), "the post's history holds the replaced words"
    assert copies_of(database_url, session, first), "the report's snapshot holds the first words"
    assert copies_of(database_url, session, edited) and copies_of(database_url, session, note)
    assert f'#p{reply.id}"' in client.get(f"/search?q={edited}").text

    r = _delete(client, reply.id)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#p{reply.id}")
    for word in (first, replaced, edited, note):
        assert copies_of(database_url, session, word) == [], word
    assert session.scalar(select(PostVersion.id).where(PostVersion.post_id == reply.id)) is None
    kept = session.scalar(select(Report).where(Report.post_id == reply.id))
    assert kept is not None and kept.snapshot == "" and kept.snapshot_erased
    assert f'#p{reply.id}"' not in client.get(f"/search?q={edited}").text


def test_the_moderation_queue_says_the_author_erased_the_post_instead_of_its_words(app, client, session):
    word = _word()
    name = join_via_http(client)
    thread = make_thread(session, make_user(session), title="Checking in")
    reply = posting.reply(session, thread_id=thread.id, author=_me(session, name), body=f"Words {word}")
    report(session, reply, make_user(session), reason="spam")
    moderator = make_moderator(session)
    with ExitStack() as stack:
        mod = signed_in_client(app, stack, moderator.pseudonym)
        assert word in mod.get("/mod").text
        assert _delete(client, reply.id).status_code == 303
        queue = mod.get("/mod")
        assert queue.status_code == 200
        assert "The author erased this post." in queue.text and word not in queue.text
        assert f'id="report-group-p{reply.id}"' in queue.text, "the report stays for moderators"


def test_deleting_an_opening_post_erases_the_thread_title_and_keeps_the_replies(
    client, other_client, session, database_url
):
    title_word, body_word, reply_word = _word(), _word(), _word()
    name = join_via_http(client)
    thread = make_thread(
        session, _me(session, name), title=f"About {title_word}", body=f"Opening {body_word}"
    )
    posting.reply(session, thread_id=thread.id, author=make_user(session), body=f"Kind answer {reply_word}")
    assert copies_of(database_url, session, title_word)
    opener = opening_post(session, thread)

    token = csrf_of(client, "/guidelines")
    r = client.post(f"/p/{opener.id}/delete", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and r.text.lstrip().startswith(f'<article id="p{opener.id}"')
    assert copies_of(database_url, session, title_word) == []
    assert copies_of(database_url, session, body_word) == []
    assert copies_of(database_url, session, reply_word), "replies are other members' words; they stay"
    assert load(Thread, thread.id).title == ERASED_TITLE
    page = other_client.get(f"/t/{thread.id}").text
    assert ERASED_TITLE in page and reply_word in page and title_word not in page
    assert ERASED_TITLE in other_client.get("/").text


def test_erasing_the_account_with_its_posts_reaches_snapshots_titles_and_the_index(
    client, session, database_url
):
    title_word, body_word, reported_word = _word(), _word(), _word()
    name = join_via_http(client)
    me = _me(session, name)
    own = make_thread(session, me, title=f"My {title_word}", body=f"Start {body_word}")
    elsewhere = make_thread(session, make_user(session), title="Someone else's thread")
    reply = posting.reply(session, thread_id=elsewhere.id, author=me, body=f"Reported {reported_word}")
    report(session, reply, make_user(session), reason="unkind")
    posting.reply(session, thread_id=own.id, author=make_user(session), body="Glad you wrote")
    for word in (title_word, body_word, reported_word):
        assert copies_of(database_url, session, word), word

    token = csrf_of(client, "/me/delete")
    r = client.post(
        "/me/delete",
        data={"passphrase": PASSPHRASE, "erase_posts": "yes"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert r.status_code == 204 and r.headers["HX-Redirect"] == "/"
    for word in (title_word, body_word, reported_word):
        assert copies_of(database_url, session, word) == [], word
    assert load(Thread, own.id).title == ERASED_TITLE
    assert load(Thread, elsewhere.id).title == "Someone else's thread"
    assert load(Post, reply.id).status == "deleted"
    assert session.scalar(select(Report.snapshot_erased).where(Report.post_id == reply.id)) is True
    page = client.get(f"/t/{own.id}").text
    assert ERASED_TITLE in page and "Glad you wrote" in page


def test_erasing_the_account_but_keeping_posts_keeps_snapshots_and_titles(client, session, database_url):
    word = _word()
    name = join_via_http(client)
    thread = make_thread(session, _me(session, name), title=f"Kept {word}")
    report(session, opening_post(session, thread), make_user(session), reason="unkind")
    token = csrf_of(client, "/me/delete")
    r = client.post("/me/delete", data={"passphrase": PASSPHRASE, "csrf_token": token})
    assert r.status_code == 303
    assert load(Thread, thread.id).title == f"Kept {word}"
    assert session.scalar(select(Report.snapshot_erased)) is False


_OLD_DELETE = [
    # What deleting an opening post did before revision 0022: the post emptied, nothing else.
    "INSERT INTO thread (id, category_id, title, created_at, last_activity_at, reply_count, pinned,"
    " locked, status) SELECT 1, id, :title, :now, :now, 0, false, false, 'visible' FROM category"
    " WHERE slug = 'stories'",
    "INSERT INTO post (id, thread_id, position, body_source, body_html, sanitizer_version, content_note,"
    " created_at, status, moderation_reason, hug_count, strength_count, thanks_count, metoo_count,"
    " celebrate_count) VALUES (1, 1, 0, :body, :body, 1, '', :now, 'visible', '', 0, 0, 0, 0, 0)",
    "INSERT INTO report (post_id, reason, note, snapshot, created_at, status)"
    " VALUES (1, 'unkind', '', :body, :now, 'open')",
    "UPDATE post SET status = 'deleted', body_source = '', body_html = '' WHERE id = 1",
]


def test_the_migration_erases_what_earlier_deletes_left_behind(blank_database_url):
    title_word, body_word = _word(), _word()
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.attributes.update(configure_logger=False, url=blank_database_url)
    command.upgrade(cfg, "0020")
    engine = plain_engine(blank_database_url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            values = {
                "title": f"About {title_word}",
                "body": f"Said {body_word}",
                "now": "2026-11-30 10:00:00",
            }
            for statement in _OLD_DELETE:
                conn.execute(text(statement), values)
        with Session(engine) as session:
            assert copies_of(blank_database_url, session, title_word)
            assert copies_of(blank_database_url, session, body_word)
        command.upgrade(cfg, "head")
        with Session(engine) as session:
            assert copies_of(blank_database_url, session, title_word) == []
            assert copies_of(blank_database_url, session, body_word) == []
            assert session.execute(text("SELECT snapshot, snapshot_erased FROM report")).one() == ("", True)
            assert session.scalar(text("SELECT title FROM thread")) == ERASED_TITLE
    finally:
        engine.dispose()
