"""Private conversations between one member and the moderator team, and their messages."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Text, false, text
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import UTCDateTime, utcnow
from app.models.forum import NO_LAZY, Post
from app.models.user import User


class ConversationStatus(StrEnum):
    open = "open"
    closed = "closed"


class Conversation(SQLModel, table=True):
    __table_args__ = (
        # One open conversation per member: /talk needs no id, and a second "reach out" joins the first.
        Index(
            "uq_conversation_open_member",
            "member_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_conversation_status_urgent_created", "status", "urgent", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    status: str = Field(default=ConversationStatus.open, sa_column=Column(String(16), nullable=False))
    # Opened from an at-risk report, or the member ticked "I need help soon": first in /mod/talk.
    urgent: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # The post a moderator reached out about (kept apart from the words: no copy of the post).
    post_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_message_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    # The last word was the member's: the team owes an answer.
    awaiting_team: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # The team's messages the member has not read yet: the header's quiet count, kept in SQL.
    member_unread: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    closed_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    member: User = Relationship(sa_relationship_kwargs={**NO_LAZY, "foreign_keys": "Conversation.member_id"})
    post: Post | None = Relationship(
        sa_relationship_kwargs={**NO_LAZY, "foreign_keys": "Conversation.post_id"}
    )


class TalkMessage(SQLModel, table=True):
    __tablename__ = "talk_message"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    from_team: bool = Field(sa_column=Column(Boolean, nullable=False))
    # The moderator who wrote it (never shown to the member); SET NULL keeps the answer when they go.
    author_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    body_source: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    sanitizer_version: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))

    author: User | None = Relationship(
        sa_relationship_kwargs={**NO_LAZY, "foreign_keys": "TalkMessage.author_id"}
    )
