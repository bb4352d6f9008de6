"""Claims on at-risk items: one moderator takes a post's at-risk reports on, so only one reaches out.

A claim keys on the post (the at-risk item is the group of open reports on one post); its primary
key decides a race. Taking and releasing are logged in the same transaction; a decision on the
post's reports ends the claim in the decision's own transaction (`end`).
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from app import db
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import CLAIM_LEVELS, FORMER_MEMBER, Claim, Post, Report, ReportStatus, Role, User, utcnow
from app.services import crisis_resources, moderation_log, standing
from app.services.reporting import AT_RISK

LABELS = {"low": "Low", "medium": "Medium", "high": "High"}
NOT_AT_RISK = "Only a report that someone may be at risk can be taken on."
DECIDED = "These reports are already decided, so there is nothing to take on."


@dataclass(frozen=True)
class LevelChoice:
    value: str
    label: str
    guidance: str  # the operator's words for this level (the crisis resources file)


@dataclass(frozen=True)
class ClaimView:
    """Plain values, for the queue: who holds the item, at what level, and what that level asks."""

    post_id: int
    moderator_id: int
    holder: str
    level: str
    label: str
    guidance: str
    since: datetime


def levels() -> list[LevelChoice]:
    """The three levels with the operator's guidance (read once at start; no query)."""
    known = crisis_resources.current().levels
    return [LevelChoice(v, LABELS[v], known[v].guidance if v in known else "") for v in CLAIM_LEVELS]


def claim(session: Session, *, report_id: int, moderator: User, level: str) -> Claim:
    """Take the at-risk item of this report's post; one transaction. 409 names who already holds it.

    The holder claiming again changes the level (a second click is harmless).
    """
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    if level not in CLAIM_LEVELS:
        raise InvalidInput(
            "Nothing was taken on yet.", fields={"level": "Choose a level: low, medium or high."}
        )
    post = _locked_open_at_risk(session, report_id)
    inserted = session.scalar(
        db.insert(session, Claim)
        .values(post_id=post.id, moderator_id=moderator.id, level=level, created_at=now)
        .on_conflict_do_nothing(index_elements=["post_id"])
        .returning(Claim.post_id)
    )
    held = session.scalar(
        select(Claim).where(Claim.post_id == post.id).execution_options(populate_existing=True)
    )
    if not inserted and held.moderator_id != moderator.id:
        holder = session.get(User, held.moderator_id)
        words = f"{holder.pseudonym if holder else FORMER_MEMBER} has already taken this on"
        session.rollback()
        raise Conflict(f"{words} (level: {LABELS[held.level].lower()}).")
    if inserted or held.level != level:
        held.level = level
        reason = f"Level: {LABELS[level].lower()}"
        moderation_log.record(
            session,
            moderator=moderator,
            action="claim",
            post=post,
            target=post.author,
            reason=reason,
            now=now,
        )
    session.commit()
    return held


def release(session: Session, *, report_id: int, moderator: User) -> int:
    """Give the item back to the team; only the holder, or an admin, may. One transaction, logged.

    Answers the post's id.
    """
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    post = _locked_post(session, report_id)
    held = session.scalar(select(Claim).where(Claim.post_id == post.id))
    if held is None:
        session.rollback()
        raise Conflict("Nobody holds this any more, so there is nothing to release.")
    if held.moderator_id != moderator.id and moderator.role != Role.admin:
        session.rollback()
        raise NotAllowed("Only the moderator who took this on, or an admin, can release it.")
    holder = session.get(User, held.moderator_id)
    session.delete(held)
    reason = "" if holder.id == moderator.id else f"Held by {holder.pseudonym}"
    moderation_log.record(
        session, moderator=moderator, action="release", post=post, target=post.author, reason=reason, now=now
    )
    session.commit()
    return post.id


def end(session: Session, *, post_id: int) -> None:
    """The post's reports were decided: its claim goes, in the caller's transaction."""
    session.execute(delete(Claim).where(Claim.post_id == post_id))


def view(post_id: int, moderator_id: int, holder: str, level: str, since: datetime) -> ClaimView:
    """A claim as the queue shows it, from the columns the queue reads with its groups (no query)."""
    guidance = next((c.guidance for c in levels() if c.value == level), "")
    return ClaimView(post_id, moderator_id, holder, level, LABELS[level], guidance, since)


def _locked_post(session: Session, report_id: int) -> Post:
    post_id = session.scalar(select(Report.post_id).where(Report.id == report_id))
    if post_id is None:
        raise NotFound("That report does not exist.")
    # FOR UPDATE: a claim and a decision on the same post take turns (SQLite: BEGIN IMMEDIATE).
    query = select(Post).where(Post.id == post_id).options(selectinload(Post.author))
    return session.scalar(query.with_for_update(of=Post))


def _locked_open_at_risk(session: Session, report_id: int) -> Post:
    post = _locked_post(session, report_id)
    reason, status = session.execute(select(Report.reason, Report.status).where(Report.id == report_id)).one()
    if status != ReportStatus.open or reason != AT_RISK:
        session.rollback()
        raise Conflict(DECIDED if status != ReportStatus.open else NOT_AT_RISK)
    return post
