"""Reports and the append-only moderation log."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Text, false, text
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import UTCDateTime, utcnow
from app.models.forum import NO_LAZY, Post
from app.models.user import User


class ReportStatus(StrEnum):
    open = "open"
    dismissed = "dismissed"
    actioned = "actioned"


class Report(SQLModel, table=True):
    __table_args__ = (
        # One open report per member per post: a second report updates the first.
        Index(
            "uq_report_open_post_reporter",
            "post_id",
            "reporter_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_report_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    reporter_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    reason: str = Field(sa_column=Column(String(32), nullable=False))
    note: str = Field(default="", sa_column=Column(String(1000), nullable=False, default=""))
    snapshot: str = Field(sa_column=Column(Text, nullable=False))
    # The author erased the post: the snapshot is emptied, the report itself stays for moderators.
    snapshot_erased: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, default=False, server_default=false())
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    status: str = Field(default=ReportStatus.open, sa_column=Column(String(16), nullable=False))
    resolved_by_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    resolved_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))

    post: Post = Relationship(sa_relationship_kwargs={**NO_LAZY, "foreign_keys": "Report.post_id"})
    reporter: User | None = Relationship(
        sa_relationship_kwargs={**NO_LAZY, "foreign_keys": "Report.reporter_id"}
    )


class ModAction(SQLModel, table=True):
    __tablename__ = "mod_action"

    id: int | None = Field(default=None, primary_key=True)
    moderator_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    action: str = Field(sa_column=Column(String(32), nullable=False))
    post_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("post.id", ondelete="SET NULL"), nullable=True)
    )
    thread_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("thread.id", ondelete="SET NULL"), nullable=True)
    )
    target_user_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id", ondelete="SET NULL"), nullable=True)
    )
    # Names copied at the time: the log still reads when the account is erased.
    moderator_name: str = Field(default="", sa_column=Column(String(30), nullable=False, default=""))
    target_name: str = Field(default="", sa_column=Column(String(30), nullable=False, default=""))
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
