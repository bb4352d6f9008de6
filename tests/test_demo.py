"""seed-demo's data: every counter the pages read equals its rows, and the same seed gives the same forum."""

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from app.config import get_settings
from app.models import Category, Post, Reaction, Report, Thread, User
from app.services import demo, reading
from app.services.reactions import COLUMN
from tests.factories import make_moderator, sign_in_via_http

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SMALL = {"threads": 40, "replies": 5, "reactions": 2, "members": 12, "reports": 15, "longest": 60}


def _seed(session, **overrides):
    made = demo.seed(session, **{**SMALL, "now": NOW, **overrides})
    session.expire_all()
    return made


def test_seeded_counts_equal_their_rows(session):
    made = _seed(session)
    assert (made.threads, made.posts, made.members) == (40, 40 + 40 * 5, 12)
    assert session.scalar(select(func.count()).select_from(Post)) == made.posts
    assert session.scalar(select(func.count()).select_from(Reaction)) == made.reactions == made.posts * 2
    # Reply counts, positions without gaps and the last activity are those of the posts.
    per_thread = session.execute(
        select(
            Thread.reply_count,
            Thread.last_activity_at,
            func.count(Post.id),
            func.max(Post.position),
            func.max(Post.created_at),
        )
        .join(Post, Post.thread_id == Thread.id)
        .group_by(Thread.id)
    ).all()
    assert len(per_thread) == 40
    categories = session.scalar(select(func.count()).select_from(Category))
    assert session.scalar(select(func.count(func.distinct(Thread.category_id)))) == categories, "each has one"
    for reply_count, last_activity, posts, last_position, last_post_at in per_thread:
        assert posts == reply_count + 1 == last_position + 1
        assert reading_time(last_activity) == reading_time(last_post_at)
    replies = sorted(row[0] for row in per_thread)
    assert replies[-1] == 60, "the one long thread"
    assert replies[len(replies) // 2] < 5 < replies[-2], "long-tailed: most threads a few replies"
    # Every stored encouragement count is the number of its rows.
    for kind, column in COLUMN.items():
        stored = dict(session.execute(select(Post.id, getattr(Post, column))).all())
        counted = dict(
            session.execute(
                select(Reaction.post_id, func.count()).where(Reaction.kind == kind).group_by(Reaction.post_id)
            ).all()
        )
        assert {p: n for p, n in stored.items() if n} == counted
    # Post ids follow time, and every reply comes after its thread's opening post.
    times = list(session.scalars(select(Post.created_at).order_by(Post.id)))
    assert times == sorted(times)
    assert session.scalar(text("SELECT count(*) FROM thread WHERE created_at > last_activity_at")) == 0


def reading_time(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def test_seeded_reports_are_open_by_others_and_below_the_hiding_threshold(session):
    _seed(session)
    reports = session.execute(
        select(Report.post_id, Report.reporter_id, Report.status, Post.author_id).join(Post)
    ).all()
    assert len(reports) == 15
    assert {r.status for r in reports} == {"open"}
    assert all(r.reporter_id != r.author_id for r in reports)
    per_post = (
        session.execute(select(func.count()).select_from(Report).group_by(Report.post_id)).scalars().all()
    )
    assert max(per_post) < get_settings().report_hide_threshold
    assert len({r.reporter_id for r in reports}) > 2, "by several members"
    assert session.scalar(select(func.count()).select_from(Post).where(Post.status != "visible")) == 0


@pytest.mark.sqlite_only
def test_seeded_posts_are_all_in_the_search_index_as_the_trigger_would_put_them(session):
    _seed(session)
    indexed = dict(session.execute(text("SELECT rowid, title FROM post_search")).all())
    expected = dict(
        session.execute(select(Post.id, Thread.title).join(Thread).where(Post.position == 0)).all()
    )
    assert len(indexed) == session.scalar(select(func.count()).select_from(Post))
    assert {i: t for i, t in indexed.items() if t} == expected
    # The per-row trigger is back: a post written later is indexed too.
    trigger = session.scalar(text("SELECT count(*) FROM sqlite_master WHERE name = 'post_search_insert'"))
    assert trigger == 1


def _fingerprint(session) -> tuple:
    first_thread = session.scalar(select(func.min(Thread.id)))
    first_post = session.scalar(select(func.min(Post.id)))
    name = dict(session.execute(select(User.id, User.pseudonym)).all())
    return (
        sorted(session.execute(select(User.pseudonym, User.created_at)).all()),
        [
            (t.id - first_thread, t.title, name[t.author_id], t.reply_count, t.created_at, t.category_id)
            for t in session.scalars(select(Thread).order_by(Thread.id))
        ],
        [
            (p.id - first_post, p.thread_id - first_thread, p.position, p.body_source, name[p.author_id])
            for p in session.scalars(select(Post).order_by(Post.id))
        ],
        sorted((r.post_id - first_post, name[r.user_id], r.kind) for r in session.scalars(select(Reaction))),
        sorted(
            (r.post_id - first_post, name[r.reporter_id], r.reason) for r in session.scalars(select(Report))
        ),
    )


def test_the_same_seed_gives_the_same_forum_and_another_seed_another(session):
    _seed(session)
    first = _fingerprint(session)
    for table in ("report", "reaction", "post", "thread", "user"):
        session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 - fixed names
    session.commit()
    _seed(session)
    assert _fingerprint(session) == first
    for table in ("report", "reaction", "post", "thread", "user"):
        session.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 - fixed names
    session.commit()
    _seed(session, seed=8)
    assert _fingerprint(session) != first


def test_seeded_pages_render_the_stored_counts(session, client):
    _seed(session)
    longest = session.scalar(select(Thread).order_by(Thread.reply_count.desc()).limit(1))
    assert client.get("/").status_code == 200
    page = client.get(f"/t/{longest.id}")
    assert page.status_code == 200 and longest.title in page.text
    last = client.get(f"/t/{longest.id}", params={"after": reading.page_start_for(longest.reply_count)})
    assert last.status_code == 200
    last_post = session.scalar(select(Post).where(Post.thread_id == longest.id, Post.position == 60))
    assert f'id="p{last_post.id}"' in last.text
    make_moderator(session, "Mod-Seeded")
    sign_in_via_http(client, "Mod-Seeded")
    queue = client.get("/mod")
    assert queue.status_code == 200
    shown = dict(re.findall(r'id="report-group-p(\d+)".*?(\d+) open reports?', queue.text, re.DOTALL))
    counted = session.execute(select(Report.post_id, func.count()).group_by(Report.post_id)).all()
    assert shown and {int(p): int(n) for p, n in shown.items()} == {
        p: n for p, n in counted if str(p) in shown
    }


def test_seed_demo_command_says_what_it_added(database_url, capsys):
    from app.cli import main

    args = ["seed-demo", "--threads", "20", "--replies", "3", "--reactions", "1", "--users", "7"]
    assert main([*args, "--reports", "4", "--longest", "30", "--seed", "3"]) == 0
    said = capsys.readouterr().out
    assert "Added 20 demo threads, 80 posts, 80 encouragements and 4 open reports by 7 members" in said
