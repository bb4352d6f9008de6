"""Encouragement reactions: one of each kind per member per post."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class ReactionKind(StrEnum):
    hug = "hug"
    strength = "strength"
    thanks = "thanks"
    metoo = "metoo"
    celebrate = "celebrate"


class Reaction(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
