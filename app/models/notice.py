"""In-app notices: what happened that concerns a member, kept for them alone (nothing leaves the server)."""

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, text, true
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class Notice(SQLModel, table=True):
    """One notice for one member; erased with them (FK cascade, and membership.erase).

    No member's words are stored here: the thread's title is read live at display time (so an
    erased title is gone from notices too), and `reason` holds only a moderator's reason.
    """

    __table_args__ = (
        Index("ix_notice_user_id_id", "user_id", "id"),
        # One unread notice per member and group ("3 new replies in ..."): a new one replaces it.
        Index(
            "uq_notice_unread_group",
            "user_id",
            "group_key",
            unique=True,
            sqlite_where=text("unread AND group_key IS NOT NULL"),
            postgresql_where=text("unread AND group_key IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False))
    kind: str = Field(sa_column=Column(String(32), nullable=False))
    count: int = Field(default=1, sa_column=Column(Integer, nullable=False, server_default="1"))
    thread_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("thread.id", ondelete="CASCADE"), nullable=True)
    )
    post_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), nullable=True)
    )
    # A stored word naming what happened ("removed", "kept"...), looked up in notices.WORDS.
    outcome: str = Field(default="", sa_column=Column(String(16), nullable=False, server_default=""))
    # The moderator's reason, as the author is shown it on the post (never the moderator's name).
    reason: str = Field(default="", sa_column=Column(String(500), nullable=False, server_default=""))
    group_key: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    unread: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default=true()))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
