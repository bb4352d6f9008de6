"""add claim: the one moderator reaching out to the author of an at-risk post, with a level

Revision ID: 0027
Revises: 0024
Create Date: 2026-12-01

One row per post (the primary key decides a race between two moderators). It goes when the
post's reports are decided, when it is released, with the post, and with the moderator's account.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('low', 'medium', 'high')", name=op.f("ck_claim_level")),
        sa.ForeignKeyConstraint(
            ["moderator_id"], ["user.id"], name=op.f("fk_claim_moderator_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_claim_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_claim")),
    )
    with op.batch_alter_table("claim") as batch:
        batch.create_index(batch.f("ix_claim_moderator_id"), ["moderator_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("claim") as batch:
        batch.drop_index(batch.f("ix_claim_moderator_id"))
    op.drop_table("claim")
