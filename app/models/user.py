"""Members and their sign-in sessions. No e-mail, no real name, no IP address."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class Role(StrEnum):
    member = "member"
    moderator = "moderator"
    admin = "admin"


MODERATOR_ROLES = frozenset({Role.moderator, Role.admin})
FORMER_MEMBER = "a former member"  # shown in place of an erased account's pseudonym


def is_moderator_role(role: str) -> bool:
    """The one rule for who moderates, for a User and for the request's plain Viewer alike."""
    return role in MODERATOR_ROLES


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(sa_column=Column(String(30), nullable=False))
    # NFKC + casefold of the pseudonym: decides uniqueness, so look-alikes collide.
    pseudonym_key: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    passphrase_hash: str = Field(sa_column=Column(String(255), nullable=False))
    recovery_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: str = Field(default=Role.member, sa_column=Column(String(16), nullable=False, default="member"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    suspended_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    recovery_start: date | None = Field(default=None)

    @property
    def is_moderator(self) -> bool:
        return is_moderator_role(self.role)

    def is_suspended(self, now: datetime) -> bool:
        return self.suspended_until is not None and self.suspended_until > now


class LoginSession(SQLModel, table=True):
    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    # SHA-256 of the cookie's random token: a stolen table holds no usable session.
    token_hash: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    user_id: int = Field(
        sa_column=Column(Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
