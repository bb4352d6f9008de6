"""The private history of an edited post: the words each edit replaced, for moderators only."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import NotFound
from app.models import Post, PostVersion, User


@dataclass(frozen=True)
class History:
    post: Post
    versions: list[PostVersion]  # newest first: the words the latest edit replaced come first


def history_of(session: Session, *, post: Post, reader: User | None) -> History:
    """Moderators only: anyone else is answered as for an unknown post (404). Read-only, one query."""
    if reader is None or not reader.is_moderator:
        raise NotFound("That post does not exist, or it was deleted.")
    versions = session.scalars(
        select(PostVersion)
        .where(PostVersion.post_id == post.id)
        .order_by(PostVersion.replaced_at.desc(), PostVersion.id.desc())
    )
    return History(post=post, versions=list(versions))
