"""add notice (in-app notices) and the member's unread count and turned-off kinds

Revision ID: 0031
Revises: 0026
Create Date: 2026-12-01

`notice`: one row per member and event (replies grouped per thread while unread), erased with
the account (FK cascade); it holds no member's words (titles are read live). `user.notices_unread`
is the header's count, kept in the same transaction as the rows; `user.notices_off` lists the kinds
the member turned off.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNREAD_GROUP = sa.text("unread AND group_key IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("count", sa.Integer(), server_default="1", nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=True),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), server_default="", nullable=False),
        sa.Column("reason", sa.String(length=500), server_default="", nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=True),
        sa.Column("unread", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_notice_post_id_post"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["thread_id"], ["thread.id"], name=op.f("fk_notice_thread_id_thread"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_notice_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice")),
    )
    op.create_index("ix_notice_user_id_id", "notice", ["user_id", "id"], unique=False)
    op.create_index(
        "uq_notice_unread_group",
        "notice",
        ["user_id", "group_key"],
        unique=True,
        sqlite_where=UNREAD_GROUP,
        postgresql_where=UNREAD_GROUP,
    )
    # Plain ALTER TABLE (as in 0030): no batch copy of `user`.
    op.add_column("user", sa.Column("notices_unread", sa.Integer(), server_default="0", nullable=False))
    op.add_column("user", sa.Column("notices_off", sa.String(length=200), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("user", "notices_off")
    op.drop_column("user", "notices_unread")
    op.drop_index("uq_notice_unread_group", table_name="notice")
    op.drop_index("ix_notice_user_id_id", table_name="notice")
    op.drop_table("notice")
