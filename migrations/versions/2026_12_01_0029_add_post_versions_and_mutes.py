"""add post_version (earlier words of edited posts) and mute (a member folds another's posts)

Revision ID: 0029
Revises: 0030
Create Date: 2026-12-01

`post_version`: what each edit replaced; moderators read it at /p/{id}/history; deleted by
erasure.erase_words with the post's words, and with the account. `mute`: muter, muted,
whether it was made from a post shown as "a member", and that post (for the settings label);
both user keys cascade, so erasing either member takes the mute with them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "post_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("content_note", sa.String(length=120), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_post_version_post_id_post"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_version")),
    )
    op.create_index(op.f("ix_post_version_post_id"), "post_version", ["post_id"], unique=False)
    op.create_table(
        "mute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("muter_id", sa.Integer(), nullable=False),
        sa.Column("muted_id", sa.Integer(), nullable=False),
        sa.Column("as_member", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("from_post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["from_post_id"], ["post.id"], name=op.f("fk_mute_from_post_id_post"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["muted_id"], ["user.id"], name=op.f("fk_mute_muted_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["muter_id"], ["user.id"], name=op.f("fk_mute_muter_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mute")),
        sa.UniqueConstraint(
            "muter_id", "muted_id", "as_member", name=op.f("uq_mute_muter_id_muted_id_as_member")
        ),
    )
    op.create_index(op.f("ix_mute_muted_id"), "mute", ["muted_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_mute_muted_id"), table_name="mute")
    op.drop_table("mute")
    op.drop_index(op.f("ix_post_version_post_id"), table_name="post_version")
    op.drop_table("post_version")
