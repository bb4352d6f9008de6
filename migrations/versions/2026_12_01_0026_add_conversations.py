"""add conversation and talk_message: a member's private line to the moderator team

Revision ID: 0026
Revises: 0029
Create Date: 2026-12-01

`conversation`: one member and the moderator team (never member to member); at most one open
per member (a partial unique index). `urgent` puts it first in /mod/talk; `member_unread` is the
header's quiet count, kept in SQL by the service; `awaiting_team` says the member spoke last.
`talk_message`: the words, as typed and rendered once (sanitised like posts). A conversation goes
with the member's account (CASCADE); its messages go with it. A moderator's own erasure keeps their
answers in members' conversations (author SET NULL): the team spoke, and the member keeps the words.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("status = 'open'")


def upgrade() -> None:
    op.create_table(
        "conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_message_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("awaiting_team", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("member_unread", sa.Integer(), server_default="0", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["member_id"], ["user.id"], name=op.f("fk_conversation_member_id_user"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name=op.f("fk_conversation_post_id_post"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation")),
    )
    op.create_index(op.f("ix_conversation_member_id"), "conversation", ["member_id"])
    op.create_index(
        "ix_conversation_status_urgent_created", "conversation", ["status", "urgent", "created_at"]
    )
    op.create_index(
        "uq_conversation_open_member",
        "conversation",
        ["member_id"],
        unique=True,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.create_table(
        "talk_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("from_team", sa.Boolean(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("body_source", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("sanitizer_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["user.id"], name=op.f("fk_talk_message_author_id_user"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversation.id"],
            name=op.f("fk_talk_message_conversation_id_conversation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_talk_message")),
    )
    op.create_index(op.f("ix_talk_message_conversation_id"), "talk_message", ["conversation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_talk_message_conversation_id"), table_name="talk_message")
    op.drop_table("talk_message")
    op.drop_index("uq_conversation_open_member", table_name="conversation")
    op.drop_index("ix_conversation_status_urgent_created", table_name="conversation")
    op.drop_index(op.f("ix_conversation_member_id"), table_name="conversation")
    op.drop_table("conversation")
