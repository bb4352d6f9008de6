"""Earlier versions of edited posts: read by moderators only, erased with the post or the account."""

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer, String, Text
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class PostVersion(SQLModel, table=True):
    """The words an edit replaced (the post itself holds the current ones)."""

    __tablename__ = "post_version"

    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(
        sa_column=Column(Integer, ForeignKey("post.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    body_source: str = Field(sa_column=Column(Text, nullable=False))
    content_note: str = Field(default="", sa_column=Column(String(120), nullable=False, default=""))
    replaced_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
