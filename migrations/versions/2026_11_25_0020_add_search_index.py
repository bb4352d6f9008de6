"""add the search index (FTS5 on SQLite, GIN over tsvector expressions on PostgreSQL)

Revision ID: 0020
Revises: 0002
Create Date: 2026-11-25

SQLite: `post_search`, an FTS5 table keyed by post id (rowid), holding the thread title (on
the opening post only) and the body of visible posts. Triggers keep it in step on every write
path (services, moderation, raw SQL, cascades): a post that stops being visible, is edited,
or is deleted leaves the index in the same statement. The table keeps its own copy of the
indexed text, so removing a row never needs the old values (a contentless table would need
them exactly, and SQLite 3.40 has no `contentless_delete`).

PostgreSQL: two expression GIN indexes, nothing to keep in step: the index is a function of
the row, so every write updates it. The post index is partial (visible posts only), so
hidden, removed and deleted posts are not even in it. No column is added, so the models and
`alembic check` see no drift.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The title goes with the opening post only, so a title match finds the thread once.
_ROW = """
    SELECT NEW.id,
           CASE WHEN NEW.position = 0 THEN (SELECT title FROM thread WHERE id = NEW.thread_id) ELSE '' END,
           NEW.body_source
    WHERE NEW.status = 'visible'
"""

SQLITE_UP = [
    "CREATE VIRTUAL TABLE post_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER post_search_insert AFTER INSERT ON post BEGIN
        INSERT INTO post_search (rowid, title, body) {_ROW};
    END""",
    # Only the columns that change what is found: reaction counts do not re-index a post.
    f"""CREATE TRIGGER post_search_update
        AFTER UPDATE OF body_source, status, position, thread_id, id ON post BEGIN
        DELETE FROM post_search WHERE rowid = OLD.id;
        INSERT INTO post_search (rowid, title, body) {_ROW};
    END""",  # noqa: S608 - constant SQL, no outside input
    """CREATE TRIGGER post_search_delete AFTER DELETE ON post BEGIN
        DELETE FROM post_search WHERE rowid = OLD.id;
    END""",
    """CREATE TRIGGER post_search_title AFTER UPDATE OF title ON thread BEGIN
        UPDATE post_search SET title = NEW.title
        WHERE rowid IN (SELECT id FROM post WHERE thread_id = NEW.id AND position = 0);
    END""",
    """INSERT INTO post_search (rowid, title, body)
       SELECT post.id, CASE WHEN post.position = 0 THEN thread.title ELSE '' END, post.body_source
       FROM post JOIN thread ON thread.id = post.thread_id
       WHERE post.status = 'visible'""",
]

SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS post_search_title",
    "DROP TRIGGER IF EXISTS post_search_delete",
    "DROP TRIGGER IF EXISTS post_search_update",
    "DROP TRIGGER IF EXISTS post_search_insert",
    "DROP TABLE IF EXISTS post_search",
]

POSTGRES_UP = [
    "CREATE INDEX ix_post_search ON post USING gin (to_tsvector('simple', body_source)) "
    "WHERE status = 'visible'",
    "CREATE INDEX ix_thread_search ON thread USING gin (to_tsvector('simple', title))",
]

POSTGRES_DOWN = [
    "DROP INDEX IF EXISTS ix_thread_search",
    "DROP INDEX IF EXISTS ix_post_search",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_UP)
    elif dialect == "postgresql":
        _run(POSTGRES_UP)
    else:
        raise NotImplementedError(f"search index for {dialect}")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(SQLITE_DOWN)
    elif dialect == "postgresql":
        _run(POSTGRES_DOWN)
