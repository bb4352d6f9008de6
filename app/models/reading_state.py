"""Read markers: how far a member has read each thread, for "N new replies since your last visit"."""

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel


class ReadMarker(SQLModel, table=True):
    """One row per (member, thread) they read to the end; erased with either (FK cascade).

    Holds a position only (no time): the last post position the member saw on the thread's last page.
    """

    __tablename__ = "read_marker"

    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    )
    thread_id: int = Field(
        sa_column=Column(Integer, ForeignKey("thread.id", ondelete="CASCADE"), primary_key=True, index=True)
    )
    position: int = Field(sa_column=Column(Integer, nullable=False))
