"""What a member owns: an export of everything held about them, and erasure."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import (
    Appeal,
    Claim,
    Conversation,
    Mute,
    Notice,
    Post,
    PostVersion,
    Reaction,
    ReadMarker,
    Report,
    TalkMessage,
    Thread,
    User,
    utcnow,
)
from app.services import (
    accounts,
    appeal_reads,
    content_notes,
    conversations,
    erasure,
    milestones,
    muting,
    notice_list,
    notices,
    own_reports,
    posting,
    pseudonyms,
    reactions,
    read_markers,
)

# What /me says after an action that lands there (`?done=`); unknown words say nothing.
DONE = {
    "passphrase": "Your passphrase is changed. You are still signed in here; everywhere else is signed out.",
    "others": "You are signed out everywhere else. You are still signed in here.",
}


@dataclass
class OwnPage:
    """What /me shows the member about themselves."""

    user: User
    paused_until: datetime | None  # set only while the account is suspended
    threads: list[read_markers.ThreadNews]  # theirs and those they replied to, newest activity first
    milestones: milestones.Summary
    sessions: list[accounts.OpenSession]  # oldest first, by day only
    sent_to_moderators: list[Post]  # what only the moderators can read, with its thread
    reports: own_reports.OwnReports  # the reports they made, newest first, with what came of them
    done: str  # a confirmation of what was just done, or ""
    appeals: list[appeal_reads.OwnAppeal]  # theirs, newest first, with the outcome
    can_appeal_pause: bool  # paused, and the pause not appealed yet


def own_page(session: Session, *, user: User, token: str | None, done: str = "") -> OwnPage:
    """Read-only; five queries (threads with their new-reply counts, their categories, sessions, posts
    sent only to the moderators, the reports they made, appeals), and one more while paused."""
    now = utcnow()
    paused = user.suspended_until if user.is_suspended(now) else None
    return OwnPage(
        user=user,
        paused_until=paused,
        threads=read_markers.news(session, user=user),
        milestones=milestones.summary(user=user, today=milestones.today()),
        sessions=accounts.open_sessions(session, user=user, token=token),
        sent_to_moderators=posting.sent_to_moderators(session, author=user),
        reports=own_reports.of(session, reporter=user),
        done=DONE.get(done, ""),
        appeals=appeal_reads.own(session, user=user),
        can_appeal_pause=appeal_reads.pause_appealable(session, user=user, now=now),
    )


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _account(session: Session, user: User) -> dict[str, Any]:
    return {
        "pseudonym": user.pseudonym,
        "role": user.role,
        "joined": _iso(user.created_at),
        "suspended_until": _iso(user.suspended_until),
        "recovery_start": _iso(user.recovery_start),
    }


def _threads(session: Session, user: User) -> list[dict[str, Any]]:
    threads = session.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))
    return [{"id": t.id, "title": t.title, "created": _iso(t.created_at)} for t in threads]


def _posts(session: Session, user: User) -> list[dict[str, Any]]:
    posts = session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    return [
        {
            "id": p.id,
            "thread_id": p.thread_id,
            "body": p.body_source,
            "content_note": p.content_note,
            "content_note_kinds": list(content_notes.kinds_of(p.content_note_kinds)),
            "status": p.status,
            "anonymous": p.anonymous,
            "created": _iso(p.created_at),
            "edited": _iso(p.edited_at),
        }
        for p in posts
    ]


def _encouragements(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Reaction.post_id, Reaction.kind, Reaction.created_at)
        .where(Reaction.user_id == user.id)
        .order_by(Reaction.id)
    )
    return [{"post_id": pid, "kind": kind, "created": _iso(at)} for pid, kind, at in rows]


def _sessions(session: Session, user: User) -> list[dict[str, Any]]:
    # When each open session began, by day: nothing about devices or addresses is kept.
    return [{"began": s.began.isoformat()} for s in accounts.open_sessions(session, user=user)]


def _note_settings(session: Session, user: User) -> dict[str, str]:
    # A column on the user row: erased with it; no query of its own.
    return content_notes.choices_of(user)


def _reports(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Report, Post.status)
        .join(Post, Post.id == Report.post_id)
        .where(Report.reporter_id == user.id)
        .order_by(Report.id)
    )
    fields = ("post_id", "reason", "note", "status")
    return [
        {
            **{f: getattr(r, f) for f in fields},
            "outcome": own_reports.outcome(r.status, status),  # no moderator named, as on /me
            "created": _iso(r.created_at),
        }
        for r, status in rows
    ]


def _claims(session: Session, user: User) -> list[dict[str, Any]]:
    # A moderator's own work: which at-risk posts they took on, at what level (no one's words).
    claims = session.scalars(select(Claim).where(Claim.moderator_id == user.id).order_by(Claim.created_at))
    return [{"post_id": c.post_id, "level": c.level, "claimed": _iso(c.created_at)} for c in claims]


def _milestones(session: Session, user: User) -> dict[str, Any]:
    return {
        "recovery_start": _iso(user.recovery_start),
        "show_days": user.show_days,
        "keep_longest": user.keep_longest,
        "longest_days": user.longest_days,
    }


def _read_markers(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(ReadMarker.thread_id, ReadMarker.position)
        .where(ReadMarker.user_id == user.id)
        .order_by(ReadMarker.thread_id)
    )
    return [{"thread_id": tid, "read_up_to_position": pos} for tid, pos in rows]


def _mutes(session: Session, user: User) -> list[dict[str, Any]]:
    # Labelled as the settings list shows them: an author who posted as "a member" stays unnamed.
    return [{"muted": m.label, "since": _iso(m.created_at)} for m in muting.mutes_of(session, user=user)]


def _earlier_versions(session: Session, user: User) -> list[dict[str, Any]]:
    """The words the member's own edits replaced: theirs, though only moderators read them here."""
    versions = session.scalars(
        select(PostVersion)
        .join(Post, Post.id == PostVersion.post_id)
        .where(Post.author_id == user.id)
        .order_by(PostVersion.id)
    )
    return [
        {
            "post_id": v.post_id,
            "body": v.body_source,
            "content_note": v.content_note,
            "replaced": _iso(v.replaced_at),
        }
        for v in versions
    ]


def _appeals(session: Session, user: User) -> list[dict[str, Any]]:
    return [
        {
            "kind": a.kind,
            "post_id": a.post_id,
            "note": a.note,
            "status": a.status,
            "outcome_reason": a.outcome_reason,
            "created": _iso(a.created_at),
            "decided": _iso(a.decided_at),
        }
        for a in appeal_reads.own(session, user=user)
    ]


def _conversations(session: Session, user: User) -> list[dict[str, Any]]:
    return conversations.export(session, member=user)


def _notices(session: Session, user: User) -> dict[str, Any]:
    off = sorted(notices.off_kinds(user))
    return {"turned_off": off, "notices": notice_list.export(session, user=user)}


# Each part of the export, in the order it is written; a new table adds its reader here.
SECTIONS = {
    "account": _account,
    "threads": _threads,
    "posts": _posts,
    "encouragements_given": _encouragements,
    "sessions": _sessions,
    "reports_made": _reports,
    "at_risk_items_claimed": _claims,
    "milestones": _milestones,
    "read_markers": _read_markers,
    "content_note_settings": _note_settings,
    "mutes": _mutes,
    "earlier_versions_of_posts": _earlier_versions,
    "conversations_with_moderators": _conversations,
    "notices": _notices,
    "appeals": _appeals,
}


def export(session: Session, *, user: User) -> dict[str, Any]:
    """Everything stored about the member, in plain data (no hashes: they identify nobody)."""
    return {name: read(session, user) for name, read in SECTIONS.items()}


def erase(session: Session, *, user: User, passphrase: str, erase_posts: bool) -> None:
    """Delete the account in one transaction; posts are erased or kept as FORMER_MEMBER's."""
    if not accounts.verify_passphrase(user, passphrase):
        raise InvalidInput("Your account was not deleted.", fields={"passphrase": accounts.WRONG_PASSPHRASE})
    if erase_posts:
        erasure.erase_words(session, post_ids=select(Post.id).where(Post.author_id == user.id))
    # The encouragement they gave goes with them; the stored counts follow in the same transaction.
    touched = list(session.scalars(select(Reaction.post_id).where(Reaction.user_id == user.id).distinct()))
    session.execute(delete(Reaction).where(Reaction.user_id == user.id))
    reactions.recount(session, post_ids=touched)
    # Milestones live on the user row; read markers follow by ON DELETE CASCADE (both go below).
    # Their posts' earlier versions go even when the posts stay (as "a former member"'s).
    own_posts = select(Post.id).where(Post.author_id == user.id)
    session.execute(delete(PostVersion).where(PostVersion.post_id.in_(own_posts)))
    # Both sides of every mute: theirs, and other members' mutes of them (the keys cascade too).
    session.execute(delete(Mute).where(or_(Mute.muter_id == user.id, Mute.muted_id == user.id)))
    # Their private conversations with the team go too, every message in them (secure_delete zeroes them).
    theirs = select(Conversation.id).where(Conversation.member_id == user.id)
    session.execute(delete(TalkMessage).where(TalkMessage.conversation_id.in_(theirs)))
    session.execute(delete(Conversation).where(Conversation.member_id == user.id))
    # Their notices (the key cascades too; said here so the erasure reads whole).
    session.execute(delete(Notice).where(Notice.user_id == user.id))
    # Their appeals go with them (the log keeps what moderators decided). Appeals a moderator decided
    # stay with their authors, `decided_by` emptied by SET NULL.
    session.execute(delete(Appeal).where(Appeal.author_id == user.id))
    pseudonyms.hold(session, pseudonym=user.pseudonym)  # nobody can take the name and speak as them
    session.execute(delete(User).where(User.id == user.id))
    session.commit()
