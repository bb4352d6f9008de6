"""Mutes: one member folds another's posts away, for themselves only."""

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Integer, UniqueConstraint, false
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class Mute(SQLModel, table=True):
    """`as_member`: made from a post shown as "a member"; it then folds only that member's posts
    shown as "a member", so a mute never ties an anonymous post to a name (and the reverse)."""

    __table_args__ = (UniqueConstraint("muter_id", "muted_id", "as_member"),)

    id: int | None = Field(default=None, primary_key=True)
    muter_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False)
    )
    muted_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    as_member: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    # The post muted from: the settings list names an anonymous author by its thread, never by name.
    from_post_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), nullable=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
