"""What a member owns: an export of everything held about them, and erasure."""

from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.errors import InvalidInput
from app.models import Post, PostStatus, Reaction, Report, Thread, User
from app.services import accounts, reactions

ERASED_TITLE = "(title removed by its author)"


def export(session: Session, *, user: User) -> dict[str, Any]:
    """Everything stored about the member, in plain data (no hashes: they identify nobody)."""
    posts = session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id))
    threads = session.scalars(select(Thread).where(Thread.author_id == user.id).order_by(Thread.id))
    reactions = session.execute(
        select(Reaction.post_id, Reaction.kind, Reaction.created_at)
        .where(Reaction.user_id == user.id)
        .order_by(Reaction.id)
    )
    reports = session.scalars(select(Report).where(Report.reporter_id == user.id).order_by(Report.id))
    return {
        "account": {
            "pseudonym": user.pseudonym,
            "role": user.role,
            "joined": user.created_at.isoformat(),
            "suspended_until": user.suspended_until.isoformat() if user.suspended_until else None,
            "recovery_start": user.recovery_start.isoformat() if user.recovery_start else None,
        },
        "threads": [{"id": t.id, "title": t.title, "created": t.created_at.isoformat()} for t in threads],
        "posts": [
            {
                "id": p.id,
                "thread_id": p.thread_id,
                "body": p.body_source,
                "content_note": p.content_note,
                "status": p.status,
                "created": p.created_at.isoformat(),
                "edited": p.edited_at.isoformat() if p.edited_at else None,
            }
            for p in posts
        ],
        "encouragements_given": [
            {"post_id": pid, "kind": kind, "created": at.isoformat()} for pid, kind, at in reactions
        ],
        "reports_made": [
            {
                "post_id": r.post_id,
                "reason": r.reason,
                "note": r.note,
                "created": r.created_at.isoformat(),
                "status": r.status,
            }
            for r in reports
        ],
    }


def erase(session: Session, *, user: User, passphrase: str, erase_posts: bool) -> None:
    """Delete the account in one transaction; posts are erased or kept as FORMER_MEMBER's."""
    if not accounts.verify_passphrase(user, passphrase):
        raise InvalidInput("Your account was not deleted.", fields={"passphrase": accounts.WRONG_PASSPHRASE})
    if erase_posts:
        session.execute(
            update(Post)
            .where(Post.author_id == user.id)
            .values(status=PostStatus.deleted, body_source="", body_html="", content_note="")
        )
        session.execute(update(Thread).where(Thread.author_id == user.id).values(title=ERASED_TITLE))
    # The encouragement they gave goes with them; the stored counts follow in the same transaction.
    touched = list(session.scalars(select(Reaction.post_id).where(Reaction.user_id == user.id).distinct()))
    session.execute(delete(Reaction).where(Reaction.user_id == user.id))
    reactions.recount(session, post_ids=touched)
    session.execute(delete(User).where(User.id == user.id))
    session.commit()
