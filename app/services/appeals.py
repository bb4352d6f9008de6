"""Appeals: the author of a hidden or removed post, or a paused member, asks for a second look.

One appeal per decision (the unique key on the ModAction appealed decides); a moderator upholds or
overturns it with a reason, logged in the same transaction; with more than one active moderator,
whoever made the decision does not decide its appeal.
"""

from datetime import datetime

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app import db
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import (
    Appeal,
    AppealStatus,
    ModAction,
    Post,
    PostStatus,
    User,
    utcnow,
)
from app.models.user import MODERATOR_ROLES
from app.services import moderation_log, notices, standing
from app.services.moderation_actions import APPEAL_OUTCOMES, APPEAL_OVERTURNED, APPEAL_UPHELD, APPEALABLE

NOTE_MAX = 1000
REASON_MAX = 500
POST, ACCOUNT = "post", "account"
ALREADY = "You have already appealed this decision. A moderator will answer it once."
ANYWAY = (
    "Reports hid this post until a moderator looks at it, and a moderator will look at it anyway: "
    "there is no decision to appeal yet. You can edit it meanwhile; once they decide, you can appeal."
)
STALE = "Another moderator already decided this appeal."


def _clean_note(note: str) -> str:
    note = note.replace("\r\n", "\n").strip()
    if not note:
        raise InvalidInput(
            "Your appeal was not sent yet.",
            fields={"note": "Please say in a few words why the moderators should look again."},
        )
    if len(note) > NOTE_MAX:
        raise InvalidInput(
            "Your appeal was not sent yet. What you wrote is still here.",
            fields={"note": f"An appeal can be up to {NOTE_MAX:,} characters; this one has {len(note):,}."},
        )
    return note


def _latest_decision(session: Session, *where) -> ModAction | None:
    return session.scalar(
        select(ModAction)
        .where(ModAction.action.in_(APPEALABLE), *where)
        .order_by(ModAction.id.desc())
        .limit(db.row_limit(1))
    )


def _file(session: Session, *, decision: ModAction, author: User, post_id: int | None, kind: str, note: str):
    """Insert the one appeal of this decision; a second (or a double click) answers 409."""
    stmt = (
        db.insert(session, Appeal)
        .values(
            mod_action_id=decision.id,
            author_id=author.id,
            post_id=post_id,
            kind=kind,
            note=note,
            created_at=utcnow(),
            status=AppealStatus.open,
            outcome_reason="",
        )
        .on_conflict_do_nothing(index_elements=["mod_action_id"])
        .returning(Appeal.id)
    )
    appeal_id = session.scalar(stmt)
    if appeal_id is None:
        session.rollback()
        raise Conflict(ALREADY)
    session.commit()
    return session.get(Appeal, appeal_id)


def appeal_post(session: Session, *, post: Post, author: User, note: str = "") -> Appeal:
    """The author appeals the moderator's decision on their post (a paused author too). One commit."""
    if post.author_id != author.id:
        raise NotAllowed("Only the person who wrote a post can appeal a decision on it.")
    if post.status == PostStatus.hidden_pending_review:
        raise Conflict(ANYWAY)
    if post.status not in (PostStatus.hidden, PostStatus.removed):
        raise Conflict("No moderator has hidden or removed this post, so there is nothing to appeal.")
    note = _clean_note(note)
    decision = _latest_decision(session, ModAction.post_id == post.id)
    if decision is None:
        raise Conflict("No moderator decision on this post was found, so there is nothing to appeal.")
    return _file(session, decision=decision, author=author, post_id=post.id, kind=POST, note=note)


def appeal_pause(session: Session, *, member: User, note: str = "") -> Appeal:
    """A paused member appeals the pause (from /me). One commit."""
    if not member.is_suspended(utcnow()):
        raise Conflict("Your account is not paused, so there is nothing to appeal.")
    note = _clean_note(note)
    decision = _latest_decision(session, ModAction.action == "suspend", ModAction.target_user_id == member.id)
    if decision is None:
        raise Conflict("No moderator decision about your account was found, so there is nothing to appeal.")
    return _file(session, decision=decision, author=member, post_id=decision.post_id, kind=ACCOUNT, note=note)


_ACTIVE = aliased(User, name="active_moderator")
# Moderators and admins who are not paused at `now` (bound): the queue reads it as a column of its own.
ACTIVE_MODERATORS = (
    select(func.count())
    .select_from(_ACTIVE)
    .where(
        _ACTIVE.role.in_(list(MODERATOR_ROLES)),
        or_(_ACTIVE.suspended_until.is_(None), _ACTIVE.suspended_until <= bindparam("now")),
    )
)


def active_moderators(session: Session, *, now: datetime) -> int:
    """Moderators and admins who are not paused (one query)."""
    return session.scalar(ACTIVE_MODERATORS, {"now": now})


def same_moderator_rule(*, decided_by: int | None, moderator_id: int, active: int) -> str:
    """Why this moderator may not decide the appeal, or "" if they may."""
    if decided_by == moderator_id and active > 1:
        return "You made this decision, so another moderator decides its appeal: a second pair of eyes."
    return ""


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    errors = {}
    if not reason:
        errors["reason"] = "Please give a reason: the author reads it."
    elif len(reason) > REASON_MAX:
        errors["reason"] = f"A reason can be up to {REASON_MAX} characters; this one has {len(reason)}."
    if errors:
        raise InvalidInput("Nothing was changed yet.", fields=errors)
    return reason


def decide(session: Session, *, appeal_id: int, moderator: User, outcome: str, reason: str = "") -> Appeal:
    """Uphold or overturn, logged in the same transaction; a decided appeal answers 409."""
    now = utcnow()
    standing.ensure_can_moderate(moderator, now)
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound("That appeal does not exist.")
    if outcome not in APPEAL_OUTCOMES:
        raise InvalidInput(
            "That is not one of the answers.", fields={"outcome": "Choose uphold or overturn."}
        )
    reason = _clean_reason(reason)
    decision = session.get(ModAction, appeal.mod_action_id)
    why_not = same_moderator_rule(
        decided_by=decision.moderator_id,
        moderator_id=moderator.id,
        active=active_moderators(session, now=now),
    )
    if why_not:
        raise NotAllowed(why_not)
    status = AppealStatus.overturned if outcome == "overturn" else AppealStatus.upheld
    # The guarded UPDATE decides between two moderators (or two clicks): only one finds it open.
    decided = session.scalar(
        update(Appeal)
        .where(Appeal.id == appeal_id, Appeal.status == AppealStatus.open)
        .values(status=status, decided_by_id=moderator.id, decided_at=now, outcome_reason=reason)
        .returning(Appeal.id)
    )
    if decided is None:
        session.rollback()
        raise Conflict(STALE)
    author = session.get(User, appeal.author_id)
    post = session.get(Post, appeal.post_id, with_for_update=True) if appeal.post_id else None
    if status == AppealStatus.overturned:
        _overturn(decision, post=post, author=author)
    moderation_log.record(
        session,
        action=APPEAL_OVERTURNED if status == AppealStatus.overturned else APPEAL_UPHELD,
        moderator=moderator,
        post=post,
        target=author,
        reason=reason,
        now=now,
    )
    _tell_author(session, appeal, post=post, moderator=moderator, status=status, reason=reason, now=now)
    session.commit()
    session.refresh(appeal)
    return appeal


def _overturn(decision: ModAction, *, post: Post | None, author: User | None) -> None:
    """The decision undone: the post shown again (unless its author deleted it), the pause lifted."""
    if post is not None and post.status in (PostStatus.hidden, PostStatus.removed):
        post.status = PostStatus.visible
        post.moderation_reason = ""
    if decision.action == "suspend" and author is not None:
        author.suspended_until = None


def _tell_author(
    session: Session, appeal: Appeal, *, post: Post | None, moderator: User, status: str, reason: str, now
) -> None:
    """The outcome, as an in-app notice to the author (the moderator's reason, never their name)."""
    overturned = status == AppealStatus.overturned
    if appeal.kind == "account":
        outcome = "pause_lifted" if overturned else "pause_kept"
    else:
        outcome = "restored" if overturned else "upheld"
    notices.notify(
        session,
        user_id=appeal.author_id,
        kind="appeal_decided",
        actor_id=moderator.id,
        thread_id=post.thread_id if post else None,
        post_id=post.id if post else None,
        outcome=outcome,
        reason=reason,
        now=now,
    )
