"""Categories, threads and posts."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import UTCDateTime, utcnow
from app.models.user import User

NO_LAZY = {"lazy": "raise"}


class PostStatus(StrEnum):
    visible = "visible"
    hidden_pending_review = "hidden_pending_review"
    hidden = "hidden"
    removed = "removed"
    deleted = "deleted"
    # The author chose "Send it only to the moderators": no reader sees it until the author posts it.
    moderators_only = "moderators_only"


class Category(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_column=Column(String(40), nullable=False, unique=True))
    name: str = Field(sa_column=Column(String(60), nullable=False))
    description: str = Field(default="", sa_column=Column(String(300), nullable=False, default=""))
    position: int = Field(default=0)


class Thread(SQLModel, table=True):
    __table_args__ = (
        Index("ix_thread_activity", "last_activity_at", "id"),
        Index("ix_thread_category_activity", "category_id", "pinned", "last_activity_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    category_id: int = Field(sa_column=Column(Integer, ForeignKey("category.id"), nullable=False))
    author_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    title: str = Field(sa_column=Column(String(150), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    last_activity_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    reply_count: int = Field(default=0)
    pinned: bool = Field(default=False)
    locked: bool = Field(default=False)
    status: str = Field(default=PostStatus.visible, sa_column=Column(String(24), nullable=False))
    # The opening post's `anonymous`, copied so thread lists need no query per row.
    anonymous: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # The opening post's content-note kinds, copied so thread lists decide without a query per row.
    content_note_kinds: str = Field(
        default="", sa_column=Column(String(80), nullable=False, default="", server_default="")
    )

    category: Category = Relationship(sa_relationship_kwargs=NO_LAZY)
    author: User | None = Relationship(sa_relationship_kwargs=NO_LAZY)


class Post(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("thread_id", "position"),
        # Only removed posts: the /mod queue counts each reported author's without reading all their posts.
        Index(
            "ix_post_author_id_removed",
            "author_id",
            sqlite_where=text("status = 'removed'"),
            postgresql_where=text("status = 'removed'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    thread_id: int = Field(
        sa_column=Column(Integer, ForeignKey("thread.id", ondelete="CASCADE"), nullable=False)
    )
    author_id: int | None = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True, index=True),
    )
    position: int = Field(default=0)
    body_source: str = Field(sa_column=Column(Text, nullable=False))
    body_html: str = Field(sa_column=Column(Text, nullable=False))
    sanitizer_version: int = Field(default=1)
    content_note: str = Field(default="", sa_column=Column(String(120), nullable=False, default=""))
    # Kinds from content_notes.KINDS, comma-separated in that order (validated there): no query per post.
    content_note_kinds: str = Field(
        default="", sa_column=Column(String(80), nullable=False, default="", server_default="")
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    edited_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    status: str = Field(default=PostStatus.visible, sa_column=Column(String(24), nullable=False))
    # Posted as "a member": only the author and the moderators see who wrote it.
    anonymous: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # The moderator's reason, shown to the author of a removed or hidden post.
    moderation_reason: str = Field(default="", sa_column=Column(String(500), nullable=False, default=""))
    # Encouragement counts, kept equal to the reaction rows in the same transaction.
    hug_count: int = Field(default=0)
    strength_count: int = Field(default=0)
    thanks_count: int = Field(default=0)
    metoo_count: int = Field(default=0)
    celebrate_count: int = Field(default=0)

    thread: Thread = Relationship(sa_relationship_kwargs=NO_LAZY)
    author: User | None = Relationship(sa_relationship_kwargs=NO_LAZY)
