"""add the member's private milestones (user columns) and read markers per member and thread

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-01

`user.show_days`, `user.keep_longest` (both off for everyone), `user.longest_days` (none): with the
existing `user.recovery_start`, what /me/milestones sets. `read_marker` (user, thread, position):
how far a member read a thread, erased with the member or the thread (ON DELETE CASCADE).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE ADD COLUMN, not a batch copy of `user` (SQLite adds such columns in place).


def upgrade() -> None:
    for name in ("show_days", "keep_longest"):
        op.add_column("user", sa.Column(name, sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("user", sa.Column("longest_days", sa.Integer(), nullable=True))
    op.create_table(
        "read_marker",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name="fk_read_marker_user_id_user", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["thread.id"], name="fk_read_marker_thread_id_thread", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "thread_id", name="pk_read_marker"),
    )
    op.create_index("ix_read_marker_thread_id", "read_marker", ["thread_id"])


def downgrade() -> None:
    op.drop_index("ix_read_marker_thread_id", table_name="read_marker")
    op.drop_table("read_marker")
    for name in ("longest_days", "keep_longest", "show_days"):
        op.drop_column("user", name)
