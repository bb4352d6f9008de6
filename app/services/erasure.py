"""Erasing a member's words from every table that holds a copy of them.

The one step both ways of taking words back go through (deleting a post, erasing an account
with its posts), inside the caller's transaction. The copies:
- the post itself (body, rendered body, content note and its kinds);
- report snapshots: emptied and marked, the report stays for moderators;
- the thread title, when the post opened the thread (the member wrote it): a placeholder;
- the search index: SQLite's `post_search` follows by trigger, with FTS5 'secure-delete' on
  (migration 0022), so the terms leave the index segments too (5-11 ms a post in a 1M-post
  index, so an account's 1,000 posts hold the write lock for seconds: bench/erasure_cost.py);
  PostgreSQL's GIN indexes are expressions over the live rows. PostgreSQL keeps an updated
  row's old version, and its index entries, until VACUUM prunes them; VACUUM makes the space
  reusable but does not zero it, so old bytes stay in the data files and WAL until
  overwritten (VACUUM FULL or REINDEX rewrite them). Nothing is done about that at run time;
- post versions (the words each edit replaced, for moderators): deleted here, with the rest;
- appeal notes on these posts (the author's words about them): emptied; the appeal stays.
"""

from collections.abc import Collection

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session

from app.models import Appeal, Post, PostStatus, PostVersion, Report, Thread

ERASED_TITLE = "A thread whose first post was taken back"


def erase_words(session: Session, *, post_ids: Collection[int] | Select) -> None:
    """The words of these posts, gone from every table; the caller commits (one transaction)."""
    ids = post_ids if isinstance(post_ids, Select) else list(post_ids)
    openers = select(Post.thread_id).where(Post.id.in_(ids), Post.position == 0)
    session.execute(
        update(Thread).where(Thread.id.in_(openers)).values(title=ERASED_TITLE, content_note_kinds="")
    )
    session.execute(update(Report).where(Report.post_id.in_(ids)).values(snapshot="", snapshot_erased=True))
    session.execute(delete(PostVersion).where(PostVersion.post_id.in_(ids)))
    session.execute(update(Appeal).where(Appeal.post_id.in_(ids)).values(note=""))
    session.execute(
        update(Post)
        .where(Post.id.in_(ids))
        .values(
            status=PostStatus.deleted, body_source="", body_html="", content_note="", content_note_kinds=""
        )
    )
