"""add appeal: the author of a hidden or removed post, or a paused member, asks for a second look

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-01

One appeal per decision: `mod_action_id` (the log entry of the hide, remove or pause appealed) is
unique. Erased with the author's account (CASCADE); a moderator's erasure keeps the outcome for
the author (`decided_by_id` SET NULL; the log keeps the moderator's name). The post going away
leaves the appeal (SET NULL), as the log does.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "appeal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mod_action_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_appeal_author_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_appeal_decided_by_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["mod_action_id"],
            ["mod_action.id"],
            name=op.f("fk_appeal_mod_action_id_mod_action"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_appeal_post_id_post"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal")),
        sa.UniqueConstraint("mod_action_id", name=op.f("uq_appeal_mod_action_id")),
    )
    op.create_index(op.f("ix_appeal_author_id"), "appeal", ["author_id"])
    op.create_index("ix_appeal_status_created", "appeal", ["status", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_appeal_status_created", table_name="appeal")
    op.drop_index(op.f("ix_appeal_author_id"), table_name="appeal")
    op.drop_table("appeal")
