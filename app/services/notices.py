"""In-app notices: written in the transaction of the event that causes them, read on /me/notifications.

Nothing leaves the server. A notice never names a moderator, a reporter or a replier (so a post made
"as a member" cannot be tied to a name through one), and nobody is told of their own action. Each
member's unread count lives on their user row (`notices_unread`), changed in SQL in the same
transaction as the rows, so the header costs no query. A kind the member turned off is not written.
Replies by a member the recipient muted do not notify them (the mute asked not to hear from them).
"""

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import and_, bindparam, delete, exists, insert, not_, or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app import db
from app.models import Mute, Notice, Post, PostStatus, User, utcnow
from app.services import notice_list

# Stored kinds (never rename one), with how /me/settings names each.
KINDS = {
    "reply": "New replies in your threads and in threads you replied to",
    "post_hidden": "One of your posts was hidden",
    "post_removed": "One of your posts was removed",
    "post_restored": "One of your posts was shown again",
    "team_answer": "Messages from the moderators",
    "report_outcome": "What a moderator decided about a post you reported",
    "appeal_decided": "The answer to an appeal you made",
}
FIELD_PREFIX = "notice_"
TALK_GROUP = "talk"
SAVED = "Your notice choices are saved. Kinds you turned off are not written at all."


def off_kinds(user: User) -> set[str]:
    return {k for k in (user.notices_off or "").split(",") if k in KINDS}


def _wanting(kind: str):
    """The SQL condition: this member has not turned `kind` off."""
    return not_(("," + User.notices_off + ",").contains(f",{kind},"))


# Built once, run through the connection: plain rows, no object per notice for the ORM to track.
REPLACED_NOTICES = (
    delete(Notice)
    .where(
        Notice.user_id.in_(bindparam("user_ids", expanding=True)),
        Notice.group_key == bindparam("group_key"),
        Notice.unread,
    )
    .returning(Notice.user_id, Notice.count, Notice.post_id)
)
NEW_NOTICE = insert(Notice)


def _write(
    session: Session,
    *,
    user_ids: Collection[int],
    kind: str,
    thread_id: int | None = None,
    post_id: int | None = None,
    outcome: str = "",
    reason: str = "",
    group_key: str | None = None,
    now: datetime,
) -> None:
    """Rows and counters for these members; a grouped notice still unread is replaced by one counting
    one more (a new row, so it comes first), keeping its first post. The caller commits."""
    if not user_ids:
        return
    session.flush()  # what the caller added is written first: a notice may name it
    before: dict[int, tuple[int, int | None]] = {}
    if group_key is not None:
        gone = session.connection().execute(
            REPLACED_NOTICES, {"user_ids": list(user_ids), "group_key": group_key}
        )
        before = {uid: (count, first) for uid, count, first in gone}
    # One INSERT for all of them, in this order (ids follow it).
    rows = []
    for uid in user_ids:
        count, first = before.get(uid, (0, post_id))
        rows.append(
            {
                "user_id": uid,
                "kind": kind,
                "count": count + 1,
                "thread_id": thread_id,
                "post_id": first,
                "outcome": outcome,
                "reason": reason,
                "group_key": group_key,
                "unread": True,
                "created_at": now,
            }
        )
    session.connection().execute(NEW_NOTICE, rows)
    fresh = [uid for uid in user_ids if uid not in before]
    if fresh:
        session.execute(update(User).where(User.id.in_(fresh)).values(notices_unread=User.notices_unread + 1))


def notify(
    session: Session,
    *,
    user_id: int | None,
    kind: str,
    actor_id: int | None = None,
    thread_id: int | None = None,
    post_id: int | None = None,
    outcome: str = "",
    reason: str = "",
    group_key: str | None = None,
    now: datetime | None = None,
) -> bool:
    """One notice for one member, unless it is their own action or they turned the kind off.

    Inside the caller's transaction (the caller commits). Answers whether it was written.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown notice kind {kind!r}")
    if user_id is None or user_id == actor_id:
        return False
    wanted = session.scalar(select(User.id).where(User.id == user_id, _wanting(kind)))
    if wanted is None:
        return False
    _write(
        session,
        user_ids=[user_id],
        kind=kind,
        thread_id=thread_id,
        post_id=post_id,
        outcome=outcome,
        reason=reason,
        group_key=group_key,
        now=now or utcnow(),
    )
    return True


# Who hears of a reply, built once: the thread's other writers who want it and did not mute its author.
_IN_THREAD = select(Post.author_id).where(
    Post.thread_id == bindparam("thread_id"),
    Post.position >= 0,
    Post.status.not_in((PostStatus.deleted, PostStatus.moderators_only)),
    Post.author_id.is_not(None),
)
_MUTED_THEM = exists().where(
    Mute.muter_id == User.id,
    Mute.muted_id == bindparam("author_id"),
    Mute.as_member == bindparam("anonymous"),
)
REPLY_RECIPIENTS = select(User.id).where(
    User.id.in_(_IN_THREAD), User.id != bindparam("author_id"), _wanting("reply"), not_(_MUTED_THEM)
)


def new_reply(session: Session, *, post: Post, now: datetime) -> None:
    """The thread's author and everyone who replied in it hear of a new reply (grouped per thread).

    Not its author; not members who muted the author (in the shape the post was made: named or as a
    member); not erased accounts. The caller commits.
    """
    found = session.connection().execute(
        REPLY_RECIPIENTS,
        {"thread_id": post.thread_id, "author_id": post.author_id, "anonymous": post.anonymous},
    )
    recipients = list(found.scalars())
    _write(
        session,
        user_ids=recipients,
        kind="reply",
        thread_id=post.thread_id,
        post_id=post.id,
        group_key=f"reply:{post.thread_id}",
        now=now,
    )


def report_outcome(
    session: Session, *, post: Post, reporter_ids: Iterable[int | None], moderator: User, outcome: str, now
) -> None:
    """Each member whose report a decision closed hears what became of the post (never by whom)."""
    for reporter_id in sorted({r for r in reporter_ids if r is not None and r != post.author_id}):
        notify(
            session,
            user_id=reporter_id,
            kind="report_outcome",
            actor_id=moderator.id,
            thread_id=post.thread_id,
            post_id=post.id,
            outcome=outcome,
            now=now,
        )


def to_author(
    session: Session, *, post: Post, kind: str, actor_id: int | None, now, outcome: str = ""
) -> None:
    """The author hears what happened to their post, with the moderator's reason as the post shows it.

    Nothing about a post only the moderators can read, or one the author already deleted."""
    if post.status in (PostStatus.deleted, PostStatus.moderators_only):
        return
    notify(
        session,
        user_id=post.author_id,
        kind=kind,
        actor_id=actor_id,
        thread_id=post.thread_id,
        post_id=post.id,
        outcome=outcome,
        reason=post.moderation_reason,
        now=now,
    )


def seen_page(session: Session, *, user: User, before: int | None = None) -> notice_list.NoticePage:
    """The member's notices, newest first; what the page shows is marked read (read when seen).

    One SELECT; then, only if something shown was unread, one UPDATE of those rows (as they were
    shown: a reply grouped in meanwhile stays unread) and one of the counter, in a short write.
    """
    page, unread = notice_list.page(session, user=user, before=before)
    session.commit()  # end the read before writing (SQLite never upgrades a stale read)
    if unread:
        db.writes_next(session)
        marked = session.execute(
            update(Notice)
            .where(Notice.unread, or_(*(and_(Notice.id == i, Notice.count == c) for i, c in unread)))
            .values(unread=False)
        ).rowcount
        _lower_count(session, user=user, marked=marked)
        session.commit()
        page.unread = user.notices_unread
    return page


def _lower_count(session: Session, *, user: User, marked: int) -> None:
    """The counter follows the rows just marked read, in SQL; the loaded user is told without a write."""
    if marked:
        session.execute(
            update(User).where(User.id == user.id).values(notices_unread=User.notices_unread - marked)
        )
        set_committed_value(user, "notices_unread", max(user.notices_unread - marked, 0))


def seen_group(session: Session, *, user: User, group_key: str) -> None:
    """The member read what a grouped notice points to (their /talk): it is read too. The caller
    commits; nothing is sent when nothing is unread (the count is on the loaded user row)."""
    if not user.notices_unread:
        return
    marked = session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.group_key == group_key, Notice.unread)
        .values(unread=False)
    ).rowcount
    _lower_count(session, user=user, marked=marked)


def save_kinds(session: Session, *, user: User, wanted: Collection[str]) -> set[str]:
    """The kinds the member keeps (unknown names are ignored); the rest are off. One commit.

    Turning a kind off writes no more of it; notices already written stay until seen."""
    off = [k for k in KINDS if k not in wanted]
    user.notices_off = ",".join(off)
    session.add(user)
    session.commit()
    return set(off)
