"""Members and their sign-in sessions. No e-mail, no real name, no IP address."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, false
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


# How the author of a post made "as a member" is named to every reader but its author and moderators.
ANONYMOUS_NAME = "a member"


class User(SQLModel, table=True):
    # A new name is refused when its skeleton is anyone's; twins from before the rule keep theirs.
    __table_args__ = (
        Index("uq_user_pseudonym_skeleton", "pseudonym_skeleton", "skeleton_twin", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    pseudonym: str = Field(sa_column=Column(String(30), nullable=False))
    # NFKC + casefold of the pseudonym: how sign-in finds the account (case and width do not matter).
    pseudonym_key: str = Field(sa_column=Column(String(120), nullable=False, unique=True))
    # UTS #39 skeleton of that key, separators left out: decides uniqueness, so look-alikes collide.
    pseudonym_skeleton: str = Field(sa_column=Column(String(255), nullable=False))
    # 0 for every name; the account's own id when migration 0021 found its name looked like an
    # earlier member's (both kept their names; nobody new can take a third look-alike).
    skeleton_twin: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, default=0, server_default="0")
    )
    passphrase_hash: str = Field(sa_column=Column(String(255), nullable=False))
    recovery_hash: str = Field(sa_column=Column(String(255), nullable=False))
    role: str = Field(default=Role.member, sa_column=Column(String(16), nullable=False, default="member"))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False))
    suspended_until: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    # Private recovery milestones (/me/milestones): only the day count is ever public, and only
    # with `show_days`, next to their name on thread pages (never on posts made "as a member").
    recovery_start: date | None = Field(default=None)
    show_days: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default=false()))
    keep_longest: bool = Field(
        default=False, sa_column=Column(Boolean, nullable=False, server_default=false())
    )
    # The longest stretch that ended at a reset, in days; kept only while `keep_longest` is on.
    longest_days: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    # This reader's content-note choices ("self-harm:hide,grief:show"; unlisted kinds fold), read with
    # the user on every request, so deciding what a page shows costs no query (content_notes).
    note_choices: str = Field(
        default="", sa_column=Column(String(200), nullable=False, default="", server_default="")
    )

    # Unread notices, kept equal to the notice rows in the same transaction (services/notices): the
    # header's quiet count costs no query. `notices_off`: the kinds the member turned off ("reply,...").
    notices_unread: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    notices_off: str = Field(
        default="", sa_column=Column(String(200), nullable=False, default="", server_default="")
    )

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


class HeldPseudonym(SQLModel, table=True):
    """An erased member's name, kept from others for a while so nobody can speak as them.

    Not the member's data any more (they are gone, and it names nobody): not in any export,
    on no page; it is deleted once it frees (at a join or an erasure).
    """

    __tablename__ = "held_pseudonym"

    id: int | None = Field(default=None, primary_key=True)
    # HMAC of the name's skeleton under the secret key: says whether a name is held, not whose it was.
    skeleton_hmac: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    frees_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
