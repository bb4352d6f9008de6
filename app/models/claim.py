"""Claims on at-risk items: the one moderator reaching out to a post's author, and at what level."""

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow

CLAIM_LEVELS = ("low", "medium", "high")


class Claim(SQLModel, table=True):
    """One row per post: the primary key decides a race between two moderators."""

    __table_args__ = (CheckConstraint("level IN ('low', 'medium', 'high')", name="level"),)

    # The at-risk item is the group of open reports on one post, so the claim keys on the post.
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True)
    )
    # Erased with the moderator's account: nobody is left holding an item nobody works on.
    moderator_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    level: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
