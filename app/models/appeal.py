"""Appeals: the author of a hidden or removed post, or a paused member, asks for a second look."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Index, Integer, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class AppealStatus(StrEnum):
    open = "open"
    upheld = "upheld"  # the decision stands
    overturned = "overturned"  # the post is restored, the pause lifted


class Appeal(SQLModel, table=True):
    """One appeal per decision: the unique key on the ModAction it appeals decides a double submit."""

    __table_args__ = (Index("ix_appeal_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    # The log entry of the decision appealed (hide, remove, suspend); the log is never deleted.
    mod_action_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("mod_action.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    # Erased with the member's account: the appeal is theirs.
    author_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    post_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), nullable=True)
    )
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # "post" or "account"
    note: str = Field(default="", sa_column=Column(String(1000), nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default=AppealStatus.open, sa_column=Column(String(16), nullable=False))
    # A moderator's erasure keeps the outcome for the author (SET NULL); the log keeps their name.
    decided_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    decided_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    outcome_reason: str = Field(default="", sa_column=Column(String(500), nullable=False, default=""))
