"""add post.anonymous and thread.anonymous: a post shown under "a member"

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-01

`post.anonymous`: the author chose to post as "a member"; readers other than the author and
the moderators never see who wrote it. `thread.anonymous` copies the opening post's flag, so
thread lists (front page, category, search) name the author without a query per row.
Existing rows are not anonymous (server default false).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch copy: copying `post` on SQLite would break the search triggers
# of 0020 that name it. SQLite adds (and, from 3.35, drops) such a column in place.


def upgrade() -> None:
    for table in ("post", "thread"):
        op.add_column(table, sa.Column("anonymous", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    for table in ("thread", "post"):
        op.drop_column(table, "anonymous")
