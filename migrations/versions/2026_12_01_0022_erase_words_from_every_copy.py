"""erase words from every copy: a marker on report snapshots, FTS5 secure-delete on SQLite

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-01

`report.snapshot_erased`: the author erased the post, so the snapshot is emptied and the
report, kept for moderators, says so.

SQLite: FTS5's 'secure-delete' (SQLite 3.42+, the bundled library of sqlean.py) removes a
deleted row's terms from the index segments at delete time, instead of leaving them until a
merge; a one-time 'optimize' then drops what earlier deletes left behind. Once it is on, a
library older than 3.42 cannot read `post_search` (downgrade turns it off and rebuilds).

Posts deleted before this revision: their report snapshots are emptied and the titles of
threads whose opening post was deleted become the placeholder, as erasure now does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy of app.services.erasure.ERASED_TITLE at the time (migrations do not import the app).
ERASED_TITLE = "A thread whose first post was taken back"


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(
            sa.Column("snapshot_erased", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    deleted = "SELECT id FROM post WHERE status = 'deleted'"
    op.execute(
        f"UPDATE report SET snapshot = '', snapshot_erased = true WHERE post_id IN ({deleted})"  # noqa: S608
    )
    op.execute(
        sa.text(
            "UPDATE thread SET title = :title WHERE id IN "
            "(SELECT thread_id FROM post WHERE position = 0 AND status = 'deleted')"
        ).bindparams(title=ERASED_TITLE)
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute("INSERT INTO post_search (post_search, rank) VALUES ('secure-delete', 1)")
        op.execute("INSERT INTO post_search (post_search) VALUES ('optimize')")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # Turning it off keeps the newer index format; a rebuild writes one that 3.40 reads again.
        op.execute("INSERT INTO post_search (post_search, rank) VALUES ('secure-delete', 0)")
        op.execute("INSERT INTO post_search (post_search) VALUES ('rebuild')")
    with op.batch_alter_table("report") as batch:
        batch.drop_column("snapshot_erased")
