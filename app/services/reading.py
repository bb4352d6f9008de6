"""What readers see: thread lists and thread pages, paginated by keyset (never OFFSET)."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from app.config import get_settings
from app.errors import NotFound
from app.models import Category, Post, PostStatus, Reaction, Thread, User
from app.models.user import ANONYMOUS_NAME, FORMER_MEMBER

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def page_size() -> int:
    """Read at call time, so a test (or an operator) can change it without a restart of the code."""
    return get_settings().page_size


@dataclass(frozen=True)
class Byline:
    """The author's name as this reader may see it; templates render it and decide nothing."""

    name: str
    as_member: bool = False  # posted as "a member", shown by name to its author or a moderator


@dataclass
class ThreadPage:
    threads: list[Thread]
    next_cursor: str | None  # the `before` of the next, older page
    bylines: dict[int, Byline] = field(default_factory=dict)  # thread id -> who started it


@dataclass(frozen=True)
class PostView:
    """A post as this reader may see it: words they may not read never reach the template."""

    id: int
    thread_id: int
    position: int
    author_id: int | None  # compared with the viewer's id (edit, report), never shown
    byline: Byline
    created_at: datetime
    edited_at: datetime | None
    status: str
    body_html: str  # empty unless the post is visible
    content_note: str  # likewise
    moderation_reason: str  # only for the post's author, on a hidden or removed post
    hug_count: int
    strength_count: int
    thanks_count: int
    metoo_count: int
    celebrate_count: int


def as_seen_by(post: Post, *, reader: User | None) -> PostView:
    """What of this post the reader is handed (moderators, too, read hidden posts in the queue only)."""
    visible = post.status == PostStatus.visible
    # The author of a hidden or removed post is told the moderator's reason; nobody else is.
    told = post.status in (PostStatus.hidden, PostStatus.removed)
    own = told and reader is not None and reader.id == post.author_id
    return PostView(
        id=post.id,
        thread_id=post.thread_id,
        position=post.position,
        author_id=post.author_id,
        byline=post_byline(post, reader=reader),
        created_at=post.created_at,
        edited_at=post.edited_at,
        status=post.status,
        body_html=post.body_html if visible else "",
        content_note=post.content_note if visible else "",
        moderation_reason=post.moderation_reason if own else "",
        hug_count=post.hug_count,
        strength_count=post.strength_count,
        thanks_count=post.thanks_count,
        metoo_count=post.metoo_count,
        celebrate_count=post.celebrate_count,
    )


@dataclass
class PostPage:
    posts: list[PostView]
    next_cursor: int | None  # the `after` of the next page: the position it starts after
    mine: dict[int, set[str]]  # post id -> kinds the reader pressed


def byline(author: User | None, *, anonymous: bool, reader=None) -> Byline:
    """Who wrote it, for this reader: "a member" unless the reader wrote it or moderates.

    `reader` is a User or the request's Viewer (anything with `id` and `is_moderator`). An
    anonymous post whose author left stays "a member": "a former member" would tell when they left.
    """
    if not anonymous:
        return Byline(author.pseudonym if author else FORMER_MEMBER)
    if author is not None and reader is not None and (reader.id == author.id or reader.is_moderator):
        return Byline(author.pseudonym, as_member=True)
    return Byline(ANONYMOUS_NAME)


def post_byline(post: Post, *, reader=None) -> Byline:
    return byline(post.author, anonymous=post.anonymous, reader=reader)


def listed_byline(pseudonym: str | None, *, anonymous: bool) -> Byline:
    """Lists (front page, categories, search) name an anonymous author "a member" to everyone."""
    if anonymous:
        return Byline(ANONYMOUS_NAME)
    return Byline(pseudonym or FORMER_MEMBER)


def thread_bylines(threads: list[Thread]) -> dict[int, Byline]:
    return {
        t.id: listed_byline(t.author.pseudonym if t.author else None, anonymous=t.anonymous) for t in threads
    }


def encode_cursor(thread: Thread) -> str:
    # Whole microseconds in integers: a float timestamp can land one microsecond off the stored value.
    micros = (thread.last_activity_at - EPOCH) // MICROSECOND
    return f"{micros}.{thread.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    try:
        micros, thread_id = cursor.split(".")
        return EPOCH + int(micros) * MICROSECOND, int(thread_id)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


def categories(session: Session) -> list[Category]:
    return list(session.scalars(select(Category).order_by(Category.position)))


def category(session: Session, slug: str) -> Category:
    found = session.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        raise NotFound("There is no category at that address.")
    return found


def _thread_list(session: Session, query, before: str | None, size: int | None) -> ThreadPage:
    size = size or page_size()
    cursor = decode_cursor(before)
    if cursor:
        at, thread_id = cursor
        query = query.where(
            or_(Thread.last_activity_at < at, and_(Thread.last_activity_at == at, Thread.id < thread_id))
        )
    rows = list(
        session.scalars(
            query.options(selectinload(Thread.author), selectinload(Thread.category))
            .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
            .limit(size + 1)
        )
    )
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    threads = rows[:size]
    return ThreadPage(threads=threads, next_cursor=next_cursor, bylines=thread_bylines(threads))


# Threads sent only to the moderators are listed nowhere (their status is not `visible`).
LISTED = Thread.status == PostStatus.visible


def latest_threads(session: Session, *, before: str | None = None, size: int | None = None) -> ThreadPage:
    return _thread_list(session, select(Thread).where(LISTED), before, size)


def category_threads(
    session: Session, *, category: Category, before: str | None = None, size: int | None = None
) -> ThreadPage:
    """Unpinned threads of a category; pinned ones come from pinned_threads, always on top."""
    query = select(Thread).where(Thread.category_id == category.id, Thread.pinned.is_(False), LISTED)
    return _thread_list(session, query, before, size)


def pinned_threads(session: Session, *, category: Category) -> list[Thread]:
    query = (
        select(Thread)
        .where(Thread.category_id == category.id, Thread.pinned.is_(True), LISTED)
        .options(selectinload(Thread.author), selectinload(Thread.category))
        .order_by(Thread.last_activity_at.desc())
    )
    return list(session.scalars(query))


def thread_with_category(session: Session, thread_id: int) -> Thread:
    thread = session.scalar(
        select(Thread).where(Thread.id == thread_id).options(selectinload(Thread.category))
    )
    if thread is None or thread.status != PostStatus.visible:
        raise NotFound("That thread does not exist, or it was deleted.")
    return thread


def thread_posts(
    session: Session,
    *,
    thread: Thread,
    reader: User | None,
    after: int | None = None,
    size: int | None = None,
) -> PostPage:
    """One page of the thread, each post as this reader may see it."""
    size = size or page_size()
    # Replies sent only to the moderators sit below position 0, outside every page of the thread.
    query = (
        select(Post)
        .where(Post.thread_id == thread.id, Post.position >= 0, Post.status != PostStatus.moderators_only)
        .options(selectinload(Post.author))
    )
    if after is not None:
        query = query.where(Post.position > after)
    rows = list(session.scalars(query.order_by(Post.position).limit(size + 1)))
    next_cursor = rows[size - 1].position if len(rows) > size else None
    posts = rows[:size]
    return PostPage(
        posts=[as_seen_by(p, reader=reader) for p in posts],
        next_cursor=next_cursor,
        mine=pressed_by(session, reader=reader, posts=posts),
    )


def pressed_by(session: Session, *, reader: User | None, posts: list[Post]) -> dict[int, set[str]]:
    """Which encouragements the reader gave on these posts (one query)."""
    mine: dict[int, set[str]] = {p.id: set() for p in posts}
    if reader is None or not posts:
        return mine
    rows = session.execute(
        select(Reaction.post_id, Reaction.kind).where(
            Reaction.user_id == reader.id, Reaction.post_id.in_([p.id for p in posts])
        )
    )
    for post_id, kind in rows:
        mine[post_id].add(kind)
    return mine


def threads_by(session: Session, *, author: User, size: int = 50) -> list[Thread]:
    query = (
        select(Thread)
        .where(Thread.author_id == author.id, LISTED)
        .options(selectinload(Thread.category))
        .order_by(Thread.created_at.desc())
        .limit(size)
    )
    return list(session.scalars(query))


def page_start_for(position: int, size: int | None = None) -> int | None:
    """The `after` cursor of the thread page that holds this position (positions never move)."""
    size = size or page_size()
    start = (position // size) * size
    return start - 1 if start else None
