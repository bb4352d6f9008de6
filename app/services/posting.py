"""Starting threads, replying, editing and deleting: validation, rules and one commit each."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, literal, select, update
from sqlalchemy.orm import Session, selectinload

from app import db
from app.config import get_settings
from app.errors import Conflict, InvalidInput, NotAllowed, NotFound
from app.models import Category, Post, PostStatus, PostVersion, Thread, User, utcnow
from app.models.base import UTCDateTime
from app.services import content_notes, erasure, notices, reporting, standing, text

TITLE_MIN, TITLE_MAX = 3, 150
NOTE_MAX = 120


@dataclass(frozen=True)
class Draft:
    """What the author wrote, cleaned: the body, the free-text note, the stored kinds, the byline."""

    body: str
    note: str
    kinds: str
    anonymous: bool


def _draft(
    body: str, content_note: str, kinds: Sequence[str], anonymous: bool, errors: dict[str, str]
) -> Draft:
    """The words as they will be stored; what is wrong with them goes to `errors`, by field."""
    body = body.replace("\r\n", "\n").strip()
    note = " ".join(content_note.split())
    if not body:
        errors["body"] = "Please write something before posting."
    elif len(body) > text.MAX_BODY:
        errors["body"] = (
            f"Posts can be up to {text.MAX_BODY:,} characters; this one has {len(body):,}. "
            "You could split it into two posts."
        )
    if len(note) > NOTE_MAX:
        errors["content_note"] = f"A content note is a short warning, up to {NOTE_MAX} characters."
    return Draft(body, note, content_notes.clean_kinds(kinds, note, errors), anonymous)


def _add_post(
    session: Session,
    draft: Draft,
    *,
    body_html: str,
    thread_id: int,
    author: User,
    position: int,
    now: datetime,
    status: str,
) -> Post:
    """The post row, written (flushed) so what follows in the transaction can name its id."""
    post = Post(
        status=status,
        thread_id=thread_id,
        author_id=author.id,
        position=position,
        body_source=draft.body,
        body_html=body_html,
        sanitizer_version=text.SANITIZER_VERSION,
        content_note=draft.note,
        content_note_kinds=draft.kinds,
        created_at=now,
        anonymous=draft.anonymous,
    )
    session.add(post)
    session.flush()
    return post


def _thread_fields(session: Session, title: str, category_slug: str, errors: dict[str, str]):
    title = " ".join(title.split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        errors["title"] = f"A title is {TITLE_MIN} to {TITLE_MAX} characters long."
    category = session.scalar(select(Category).where(Category.slug == category_slug))
    if category is None:
        errors["category"] = "Please choose where your thread belongs."
    return title, category


def start_thread(
    session: Session,
    *,
    author: User,
    category_slug: str,
    title: str,
    body: str,
    content_note: str = "",
    content_note_kinds: Sequence[str] = (),
    anonymous: bool = False,
    to_moderators: bool = False,
) -> Thread:
    """A thread and its opening post, in one transaction; `anonymous` shows both under "a member".

    `to_moderators`: neither is listed or shown to readers, and an urgent item opens for moderators.
    """
    now = utcnow()
    standing.ensure_can_write(author, now)
    errors: dict[str, str] = {}
    title, category = _thread_fields(session, title, category_slug, errors)
    draft = _draft(body, content_note, content_note_kinds, anonymous, errors)
    if errors:
        raise InvalidInput("Your thread was not posted yet. Your words are still here.", fields=errors)
    status = PostStatus.moderators_only if to_moderators else PostStatus.visible
    thread = Thread(
        category_id=category.id,
        author_id=author.id,
        title=title,
        created_at=now,
        last_activity_at=now,
        status=status,
        anonymous=draft.anonymous,  # lists name the author as the opening post does
        content_note_kinds=draft.kinds,
    )
    session.add(thread)
    session.flush()
    body_html = text.render_markdown(draft.body)
    opening = _add_post(
        session,
        draft,
        body_html=body_html,
        thread_id=thread.id,
        author=author,
        position=0,
        now=now,
        status=status,
    )
    if to_moderators:
        reporting.open_for_moderators(session, post=opening, author=author, now=now)
    session.commit()
    return thread


def _later_of(now):
    """The thread's last activity never goes back: `now` was read before the row's lock was taken, so
    a reply that waited for it may carry an earlier time than one already committed. `now` is a time
    or a bound parameter (BUMP)."""
    if isinstance(now, datetime):
        now = literal(now, UTCDateTime())
    return case((Thread.last_activity_at > now, Thread.last_activity_at), else_=now)


# The reply's counter bump, built once: it locks the thread row, so concurrent replies get distinct
# positions, and it takes only a visible, unlocked thread (else nothing is written: 404 or 409).
NOW = bindparam("now", type_=UTCDateTime())
BUMP = (
    update(Thread)
    .where(Thread.id == bindparam("thread_id"), Thread.status == PostStatus.visible, Thread.locked.is_(False))
    .values(reply_count=Thread.reply_count + 1, last_activity_at=_later_of(NOW))
    .returning(Thread.reply_count)
)
THREAD_STATUS = select(Thread.status).where(Thread.id == bindparam("thread_id"))
THREAD_STATUS_LOCKED = THREAD_STATUS.with_for_update()
LOCKED_REPLY = (
    "This thread has been locked by a moderator, so it does not take new replies. "
    "Your words are below if you want to keep them."
)


def reply(
    session: Session,
    *,
    thread_id: int,
    author: User,
    body: str,
    content_note: str = "",
    content_note_kinds: Sequence[str] = (),
    anonymous: bool = False,
    to_moderators: bool = False,
) -> Post:
    """A reply at the end of the thread; refuses locked threads (409). One transaction, which reads the
    thread itself (404 unless it is there and visible): the words are rendered before it begins.

    `to_moderators`: kept out of the thread (a negative position, no counter bumped) with an urgent
    item for moderators; a locked thread takes it, since it is not a reply to anyone.
    """
    now = utcnow()
    standing.ensure_can_write(author, now)
    errors: dict[str, str] = {}
    draft = _draft(body, content_note, content_note_kinds, anonymous, errors)
    if errors:
        # Nothing will be written: the thread is read (404 first, as ever) without the write lock.
        db.reads_only(session)
        _visible_thread(session.connection(), thread_id)
        raise InvalidInput("Your reply was not posted yet. Your words are still here.", fields=errors)
    body_html = text.render_markdown(draft.body)  # before the write: nothing else waits on it
    if to_moderators:
        return _reply_to_moderators(
            session, thread_id=thread_id, author=author, draft=draft, body_html=body_html, now=now
        )
    conn = session.connection()
    position = conn.scalar(BUMP, {"thread_id": thread_id, "now": now})
    if position is None:
        # Nothing was written; the request's session is closed (and rolled back) after this.
        _visible_thread(conn, thread_id)
        raise Conflict(LOCKED_REPLY)
    post = _add_post(
        session,
        draft,
        body_html=body_html,
        thread_id=thread_id,
        author=author,
        position=position,
        now=now,
        status=PostStatus.visible,
    )
    notices.new_reply(session, post=post, now=now)
    session.commit()
    post.author = author
    return post


def _visible_thread(conn, thread_id: int, *, lock: bool = False) -> None:
    """404 unless the thread is there for readers (one sent only to the moderators is not)."""
    query = THREAD_STATUS_LOCKED if lock else THREAD_STATUS
    if conn.scalar(query, {"thread_id": thread_id}) != PostStatus.visible:
        raise NotFound("That thread does not exist, or it was deleted.")


def _reply_to_moderators(
    session: Session, *, thread_id: int, author: User, draft: Draft, body_html: str, now: datetime
) -> Post:
    # Positions below zero are outside every thread page; the locked row keeps them distinct.
    _visible_thread(session.connection(), thread_id, lock=True)
    lowest = session.scalar(select(func.min(Post.position)).where(Post.thread_id == thread_id)) or 0
    position = min(lowest, 0) - 1
    post = _add_post(
        session,
        draft,
        body_html=body_html,
        thread_id=thread_id,
        author=author,
        position=position,
        now=now,
        status=PostStatus.moderators_only,
    )
    reporting.open_for_moderators(session, post=post, author=author, now=now)
    session.commit()
    post.author = author
    return post


def publish(session: Session, *, post: Post, author: User) -> Post:
    """The author posts what they sent only to the moderators after all: visible, counted, one transaction.

    The at-risk item stays open for the moderators. A locked thread refuses a reply (409).
    """
    now = utcnow()
    standing.ensure_can_write(author, now)
    if post.author_id != author.id:
        raise NotAllowed("Only the person who wrote a post can post it.")
    session.refresh(post, with_for_update={"of": Post})
    if post.status != PostStatus.moderators_only:
        raise Conflict(
            "This is no longer waiting for you: it was posted, deleted, or a moderator acted on it."
        )
    if post.position == 0:
        session.execute(
            update(Thread)
            .where(Thread.id == post.thread_id)
            .values(status=PostStatus.visible, last_activity_at=now, created_at=now)
        )
    else:
        position = session.scalar(
            update(Thread)
            .where(Thread.id == post.thread_id, Thread.locked.is_(False), Thread.status == PostStatus.visible)
            .values(reply_count=Thread.reply_count + 1, last_activity_at=_later_of(now))
            .returning(Thread.reply_count)
        )
        if position is None:
            raise Conflict(
                "This thread has been locked by a moderator, so it does not take new replies. "
                "Your words are still on your page, and the moderators can read them."
            )
        post.position = position
    post.status = PostStatus.visible
    post.created_at = now
    if post.position > 0:  # now a reply like any other: the thread's members hear of it
        session.flush()
        notices.new_reply(session, post=post, now=now)
    session.commit()
    return post


def sent_to_moderators(session: Session, *, author: User) -> list[Post]:
    """What the member sent only to the moderators and has not posted, newest first (one query)."""
    return list(
        session.scalars(
            select(Post)
            .where(Post.author_id == author.id, Post.status == db.constant(PostStatus.moderators_only))
            .options(selectinload(Post.thread))
            .order_by(Post.created_at.desc(), Post.id.desc())
        )
    )


def _own_post(post: Post, user: User) -> None:
    if post.author_id != user.id:
        raise NotAllowed("Only the person who wrote a post can change it.")
    if post.status in (PostStatus.removed, PostStatus.deleted):
        raise Conflict("This post can no longer be changed.")


def edit_window() -> timedelta:
    return timedelta(minutes=get_settings().edit_window_minutes)


# Hidden from readers (by reports, or a moderator): the author may edit at any time, to answer the
# reports; the post stays hidden until a moderator decides (an edit never changes the status).
EDITABLE_WHILE_HIDDEN = (PostStatus.hidden_pending_review, PostStatus.hidden)


def edit_open(post: Post, *, now: datetime) -> bool:
    """Whether the author may still edit: inside the window after posting, or while it is hidden."""
    return post.status in EDITABLE_WHILE_HIDDEN or now < post.created_at + edit_window()


def ensure_editable(*, post: Post, author: User, now: datetime | None = None) -> None:
    """The author's own post, still changeable and inside the edit window; else 403 or 409."""
    _own_post(post, author)
    if not edit_open(post, now=now or utcnow()):
        hours = get_settings().edit_window_minutes / 60
        span = f"{hours:g} hours" if hours != 1 else "an hour"
        raise Conflict(
            f"A post can be changed for {span} after it was written, and this one is older, "
            "so it stays as it is. You can still delete it."
        )


def edit(
    session: Session,
    *,
    post: Post,
    author: User,
    body: str,
    content_note: str = "",
    content_note_kinds: Sequence[str] = (),
    now: datetime | None = None,
) -> Post:
    """Inside the window (409 after it), or while hidden; the replaced words are kept for moderators.

    The status is never touched: a hidden post stays hidden until a moderator decides. One commit.

    An opening post's kinds follow onto its thread."""
    now = now or utcnow()
    standing.ensure_can_write(author, now)
    ensure_editable(post=post, author=author, now=now)
    errors: dict[str, str] = {}
    draft = _draft(body, content_note, content_note_kinds, post.anonymous, errors)
    body, note, kinds = draft.body, draft.note, draft.kinds
    if errors:
        raise InvalidInput("Your changes were not saved yet. Your words are still here.", fields=errors)
    if (body, note) != (post.body_source, post.content_note):
        session.add(
            PostVersion(
                post_id=post.id, body_source=post.body_source, content_note=post.content_note, replaced_at=now
            )
        )
    post.body_source = body
    post.body_html = text.render_markdown(body)
    post.sanitizer_version = text.SANITIZER_VERSION
    post.content_note = note
    post.content_note_kinds = kinds
    post.edited_at = now
    if post.position == 0:
        session.execute(update(Thread).where(Thread.id == post.thread_id).values(content_note_kinds=kinds))
    session.add(post)
    session.commit()
    return post


def delete(session: Session, *, post: Post, author: User) -> Post:
    """The author takes their words back from every copy; the place in the thread is kept."""
    _own_post(post, author)
    erasure.erase_words(session, post_ids=[post.id])
    session.commit()
    return post


def get_post(session: Session, post_id: int) -> Post:
    # selectin, not joined: a joined author would ride into the refresh(with_for_update) of reporting
    # and editing, and PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    post = session.scalar(select(Post).where(Post.id == post_id).options(selectinload(Post.author)))
    if post is None:
        raise NotFound("That post does not exist, or it was deleted.")
    return post


def get_thread(session: Session, thread_id: int) -> Thread:
    thread = session.get(Thread, thread_id)
    if thread is None:
        raise NotFound("That thread does not exist, or it was deleted.")
    return thread
