"""Accounts without e-mail: join, sign in, sessions, recovery codes, roles."""

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, case, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import get_settings
from app.errors import InvalidInput, NotFound
from app.models import LoginSession, Role, User, utcnow
from app.models.user import MODERATOR_ROLES
from app.security import new_token, token_hash
from app.services import conversations, pseudonyms, reporting

MIN_PASSPHRASE = 10
MAX_PASSPHRASE = 1024
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread
WRONG_SIGN_IN = "That pseudonym and passphrase do not match. Please try again."
WRONG_PASSPHRASE = "That is not your current passphrase."  # noqa: S105 - a message


@lru_cache
def _hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(time_cost=s.argon2_time_cost, memory_cost=s.argon2_memory_kib)


@lru_cache
def _dummy_hash() -> str:
    return _hasher().hash("not-a-real-passphrase")


def _verify(stored_hash: str, given: str) -> bool:
    try:
        return _hasher().verify(stored_hash, given)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def hash_secret(secret: str) -> str:
    return _hasher().hash(secret)


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(20))
    return "-".join(raw[i : i + 5] for i in range(0, 20, 5))


def _normal_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _passphrase_problem(passphrase: str) -> str | None:
    if len(passphrase) < MIN_PASSPHRASE:
        return (
            f"A passphrase is at least {MIN_PASSPHRASE} characters. A few words you will remember work well."
        )
    if len(passphrase) > MAX_PASSPHRASE:
        return f"A passphrase can be up to {MAX_PASSPHRASE:,} characters; this one has {len(passphrase):,}."
    return None


@dataclass
class Joined:
    user: User
    recovery_code: str  # shown once, never stored in the clear
    token: str  # the first session's cookie value


@dataclass
class SignedIn:
    user: User
    token: str


@dataclass
class Recovered:
    user: User
    recovery_code: str  # the next one-time code, shown once
    token: str


def join(
    session: Session,
    *,
    pseudonym: str,
    passphrase: str,
    accepted_guidelines: bool,
    now: datetime | None = None,
) -> Joined:
    """Create an account and its first session; one transaction. The recovery code is stored hashed."""
    now = now or utcnow()
    errors = {}
    if problem := pseudonyms.problem(pseudonym):
        errors["pseudonym"] = problem
    if problem := _passphrase_problem(passphrase):
        errors["passphrase"] = problem
    if not accepted_guidelines:
        errors["guidelines"] = "Please read the community guidelines and tick the box to agree."
    # A look-alike of a member's name, or of a name held after an erasure: the same plain words.
    if not errors and pseudonyms.taken(session, name=pseudonym, now=now):
        errors["pseudonym"] = pseudonyms.TAKEN
    if errors:
        raise InvalidInput("Your account was not created yet.", fields=errors)
    pseudonyms.forget_freed(session, now=now)
    code = new_recovery_code()
    user = User(
        pseudonym=pseudonyms.normalize(pseudonym),
        pseudonym_key=pseudonyms.key(pseudonym),
        pseudonym_skeleton=pseudonyms.skeleton(pseudonym),
        passphrase_hash=_hasher().hash(passphrase),
        recovery_hash=_hasher().hash(_normal_code(code)),
        role=Role.member,
    )
    session.add(user)
    try:
        session.flush()
        token = _add_session(session, user=user)
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput(
            "Your account was not created yet.",
            fields={"pseudonym": pseudonyms.TAKEN},
        ) from None
    return Joined(user=user, recovery_code=code, token=token)


def _find(session: Session, pseudonym: str) -> User | None:
    user = session.scalar(select(User).where(User.pseudonym_key == pseudonyms.key(pseudonym)))
    # End the read before the deliberately slow hash, so no lock is held while it runs.
    session.commit()
    return user


def authenticate(session: Session, *, pseudonym: str, passphrase: str) -> User:
    user = _find(session, pseudonym)
    # Verify against a dummy hash when the name is unknown, so timing does not tell which names exist.
    ok = _verify(user.passphrase_hash if user else _dummy_hash(), passphrase)
    if not (user and ok):
        raise InvalidInput(WRONG_SIGN_IN, fields={"passphrase": WRONG_SIGN_IN})
    return user


def verify_passphrase(user: User, passphrase: str) -> bool:
    return _verify(user.passphrase_hash, passphrase)


def _add_session(session: Session, *, user: User) -> str:
    """A new random session id at every sign-in; only its hash is stored. The caller commits."""
    token = new_token()
    now = utcnow()
    days = get_settings().session_days
    session.add(
        LoginSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    return token


def sign_in(session: Session, *, pseudonym: str, passphrase: str, old_token: str | None = None) -> SignedIn:
    """A new session in place of the one this browser held; one transaction.

    A session made before sign-in is never reused (no session fixation): the old one ends and
    a new id is issued. A refused sign-in changes nothing.
    """
    user = authenticate(session, pseudonym=pseudonym, passphrase=passphrase)
    if _hasher().check_needs_rehash(user.passphrase_hash):
        user.passphrase_hash = _hasher().hash(passphrase)
    if old_token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(old_token)))
    token = _add_session(session, user=user)
    session.commit()
    return SignedIn(user=user, token=token)


@dataclass(frozen=True)
class Member:
    """Who a session cookie names, with the counts their header shows."""

    user: User
    token_hash: str  # the sign-in's stored hash: what its CSRF tokens are bound to
    talk_unread: int  # the team's answers they have not read (a member's header)
    open_reports: int | None  # posts with open reports (a moderator's header; None for others)


def member_for_token(session: Session, token: str | None, *, now: datetime | None = None) -> Member | None:
    """The member a session cookie names, with the header's count of unread answers: one query."""
    if not token:
        return None
    hashed = token_hash(token)
    row = session.execute(MEMBER_FOR_TOKEN, {"token_hash": hashed, "now": now or utcnow()}).first()
    return Member(row[0], hashed, int(row[1] or 0), row[2]) if row else None


# Built once (every signed-in request runs it), bound per request. The sign-in row only matches:
# its hash is the one just computed, so no entity is built for it.
MEMBER_FOR_TOKEN = (
    select(
        User,
        conversations.unread_total(User.id),
        # Counted only for a moderator: CASE evaluates the subquery only in the branch taken.
        case((User.role.in_(list(MODERATOR_ROLES)), reporting.OPEN_REPORTED_POSTS), else_=None),
    )
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        LoginSession.token_hash == bindparam("token_hash"),
        LoginSession.expires_at > bindparam("now", type_=LoginSession.expires_at.type),
    )
)


def end_session(session: Session, *, token: str | None) -> None:
    """Sign out: the session row is deleted, so the cookie is worthless even if copied. Commits."""
    if token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == token_hash(token)))
        session.commit()


def recover(session: Session, *, pseudonym: str, recovery_code: str, passphrase: str) -> Recovered:
    """A new passphrase with the one-time code, a fresh code and a new session in place of every
    old one; one transaction."""
    wrong = "That pseudonym and recovery code do not match."
    user = _find(session, pseudonym)
    ok = _verify(user.recovery_hash if user else _dummy_hash(), _normal_code(recovery_code))
    if not (user and ok):
        raise InvalidInput(wrong, fields={"recovery_code": wrong})
    if problem := _passphrase_problem(passphrase):
        raise InvalidInput("Your passphrase was not changed yet.", fields={"passphrase": problem})
    code = new_recovery_code()
    user.passphrase_hash = _hasher().hash(passphrase)
    user.recovery_hash = _hasher().hash(_normal_code(code))
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    token = _add_session(session, user=user)
    session.commit()
    return Recovered(user=user, recovery_code=code, token=token)


def _other_sessions(user: User, token: str | None):
    query = delete(LoginSession).where(LoginSession.user_id == user.id)
    return query.where(LoginSession.token_hash != token_hash(token)) if token else query


def change_passphrase(
    session: Session, *, user: User, current: str, passphrase: str, token: str | None
) -> None:
    """A new passphrase; every other session ends, this one stays. One transaction; nothing on refusal."""
    errors = {}
    if not verify_passphrase(user, current):
        errors["current"] = WRONG_PASSPHRASE
    elif problem := _passphrase_problem(passphrase):
        errors["passphrase"] = problem
    if errors:
        raise InvalidInput("Your passphrase was not changed yet.", fields=errors)
    user.passphrase_hash = _hasher().hash(passphrase)
    session.add(user)
    session.execute(_other_sessions(user, token))
    session.commit()


SESSION_SCOPES = ("others", "all")


def end_sessions(session: Session, *, user: User, token: str | None, scope: str) -> bool:
    """Sign out everywhere else (`others`) or everywhere (`all`); one transaction.

    Returns whether this session ended too.
    """
    if scope not in SESSION_SCOPES:
        raise InvalidInput("Please choose to sign out everywhere else, or everywhere including here.")
    everywhere = scope == "all"
    session.execute(_other_sessions(user, None if everywhere else token))
    session.commit()
    return everywhere


def renew_recovery_code(session: Session, *, user: User, passphrase: str) -> str:
    """A new one-time recovery code in place of the old one, after the passphrase; one transaction.

    The code is returned once, to be shown once, and stored hashed.
    """
    if not verify_passphrase(user, passphrase):
        raise InvalidInput("No new recovery code was made.", fields={"passphrase": WRONG_PASSPHRASE})
    code = new_recovery_code()
    user.recovery_hash = _hasher().hash(_normal_code(code))
    session.add(user)
    session.commit()
    return code


@dataclass(frozen=True)
class OpenSession:
    """A signed-in session as its member sees it: the day it began, nothing about the device."""

    began: date
    current: bool


def open_sessions(session: Session, *, user: User, token: str | None = None) -> list[OpenSession]:
    """The member's unexpired sessions, oldest first (one query)."""
    mine = token_hash(token) if token else None
    rows = session.execute(
        select(LoginSession.created_at, LoginSession.token_hash)
        .where(LoginSession.user_id == user.id, LoginSession.expires_at > utcnow())
        .order_by(LoginSession.created_at, LoginSession.id)
    )
    return [OpenSession(began=at.date(), current=hashed == mine) for at, hashed in rows]


def set_role(session: Session, *, pseudonym: str, role: str) -> User:
    if role not in Role.__members__:
        raise InvalidInput(f"Unknown role {role!r}: use member, moderator or admin.")
    user = session.scalar(select(User).where(User.pseudonym_key == pseudonyms.key(pseudonym)))
    if user is None:
        raise NotFound(f"No member is called {pseudonym!r}.")
    user.role = Role(role)
    session.commit()
    return user


def suggest_free_pseudonym(session: Session) -> str:
    for _ in range(20):
        name = pseudonyms.suggest()
        if not pseudonyms.taken(session, name=name, now=utcnow()):
            return name
    return pseudonyms.suggest()
