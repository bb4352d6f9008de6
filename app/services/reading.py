"""What readers see: thread lists and thread pages, paginated by keyset (never OFFSET)."""

from collections.abc import Collection
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, exists, select, tuple_
from sqlalchemy.orm import Session

from app import db
from app.config import get_settings
from app.errors import NotFound
from app.models import Category, Mute, Post, PostStatus, Reaction, Thread, User, utcnow
from app.models.user import ANONYMOUS_NAME, FORMER_MEMBER, is_moderator_role
from app.services import appeal_reads, content_notes, milestones, posting
from app.services.content_notes import Note

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
    # The author's "N days" badge: thread pages only, only if they chose show_days, never on a post
    # made "as a member" (a day count next to "a member" would say who it is).
    days: str = ""


@dataclass(frozen=True, slots=True)
class ListedCategory:
    slug: str
    name: str


@dataclass(frozen=True, slots=True)
class ListedThread:
    """A thread as lists show it: only the columns a list reads, from one query (no entity to build)."""

    id: int
    title: str
    pinned: bool
    locked: bool
    reply_count: int
    last_activity_at: datetime
    anonymous: bool
    content_note_kinds: str
    author_pseudonym: str | None  # None: the author left
    category: ListedCategory


@dataclass
class ThreadPage:
    threads: list[ListedThread]
    next_cursor: str | None  # the `before` of the next, older page
    bylines: dict[int, Byline] = field(default_factory=dict)  # thread id -> who started it
    notes: dict[int, Note] = field(default_factory=dict)  # thread id -> its opening post's note, decided


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
    content_note: str  # likewise (and when the reader hides its kind): the author's free words
    note: Note  # fold, show or hide, decided for this reader; body_html is empty when hidden
    page_after: int | None  # the `after` of the thread page holding it (the "read it once" link)
    moderation_reason: str  # only for the post's author, on a hidden or removed post
    hug_count: int
    strength_count: int
    thanks_count: int
    metoo_count: int
    celebrate_count: int
    muted: bool = False  # the reader muted its author: folded behind "You muted this member"
    can_edit: bool = False  # the reader wrote it and the edit window is open
    can_mute: bool = False  # offered to signed-in readers but the author (never on a named moderator)
    # Only for the author of a post hidden or removed: they are told and may edit (while hidden) or
    # appeal the moderator's decision; `appeal` is that decision and their appeal of it, if any.
    own_hidden: bool = False
    appeal: appeal_reads.PostAppeal | None = None


# The thread page reads posts, it never changes them: plain rows of the columns it shows, the author's
# joined in, cost a fraction of ORM instances (whose construction, and the selectin query for their
# authors, was most of the page's time outside the template). as_seen_by takes these or a Post alike.
@dataclass(frozen=True, slots=True)
class AuthorRow:
    """What a byline (byline, days_badge) and the Mute offer (_offers) read of a post's author."""

    id: int
    pseudonym: str
    role: str
    show_days: bool
    recovery_start: date | None

    @property
    def is_moderator(self) -> bool:
        return is_moderator_role(self.role)


@dataclass(frozen=True, slots=True)
class PostRow:
    """What as_seen_by (and posting.edit_open) read of a post, for a page of the thread."""

    id: int
    thread_id: int
    position: int
    author_id: int | None
    anonymous: bool
    status: str
    created_at: datetime
    edited_at: datetime | None
    body_html: str
    content_note: str
    content_note_kinds: str
    moderation_reason: str
    hug_count: int
    strength_count: int
    thanks_count: int
    metoo_count: int
    celebrate_count: int
    author: AuthorRow | None  # None once the author erased their account


POST, USER = Post.__table__.c, User.__table__.c
# The selected columns are the rows' fields, in their order: a field added is a column selected.
POST_COLUMNS = [POST[f.name] for f in fields(PostRow) if f.name != "author"]
AUTHOR_COLUMNS = [USER[f.name] for f in fields(AuthorRow)]


# Posts with their authors (if any left), one Core query: callers add the where and the order.
POSTS_WITH_AUTHORS = select(*POST_COLUMNS, *AUTHOR_COLUMNS).outerjoin_from(
    Post.__table__, User.__table__, USER.id == POST.author_id
)


# Statuses whose author is told on the post's placeholder (and offered an edit or an appeal).
TOLD_AUTHOR = (PostStatus.hidden_pending_review, PostStatus.hidden, PostStatus.removed)
# (author id, posted as a member) pairs the reader muted: a mute covers one of the two shapes.
Muted = Collection[tuple[int | None, bool]]


# The stored encouragement counts a PostView carries, as the post has them.
REACTION_COUNTS = ("hug_count", "strength_count", "thanks_count", "metoo_count", "celebrate_count")


def as_seen_by(
    post: Post | PostRow,
    *,
    reader: User | None,
    choices: dict[str, str] | None = None,
    reveal: bool = False,
    today: date | None = None,
    muted: Muted = (),
    now: datetime | None = None,
    appeal: appeal_reads.PostAppeal | None = None,
) -> PostView:
    """What of this post the reader is handed (moderators, too, read hidden posts in the queue only).

    `choices` are the reader's content-note choices, read once per page (content_notes.choices_of);
    `reveal` is the reader asking to read this one post once, whatever they chose; `today` gives
    the author's day-count badge, on thread pages only; `muted` folds the posts of members the
    reader muted; `appeal`, the decision on the reader's own hidden or removed post (appeal_reads.on_posts).
    """
    visible = post.status == PostStatus.visible
    note = _note(post, reader=reader, choices=choices, reveal=reveal) if visible else content_notes.NO_NOTE
    shown = visible and note.choice != content_notes.HIDE
    # The author of a hidden or removed post is told the moderator's reason; nobody else is.
    told = post.status in (PostStatus.hidden, PostStatus.removed)
    own = told and reader is not None and reader.id == post.author_id
    own_hidden = post.status in TOLD_AUTHOR and reader is not None and reader.id == post.author_id
    offered = visible or (own_hidden and post.status in posting.EDITABLE_WHILE_HIDDEN)
    can_edit, can_mute = _offers(post, reader=reader, now=now) if offered else (False, False)
    return PostView(
        id=post.id,
        thread_id=post.thread_id,
        position=post.position,
        author_id=post.author_id,
        byline=post_byline(post, reader=reader, today=today),
        created_at=post.created_at,
        edited_at=post.edited_at,
        status=post.status,
        body_html=post.body_html if shown else "",
        content_note=post.content_note if shown else "",
        note=note,
        page_after=page_start_for(post.position),
        moderation_reason=post.moderation_reason if own else "",
        **{count: getattr(post, count) for count in REACTION_COUNTS},
        muted=visible and (post.author_id, post.anonymous) in muted,
        can_edit=can_edit,
        can_mute=can_mute,
        own_hidden=own_hidden,
        appeal=appeal if own_hidden else None,
    )


def _note(post: Post | PostRow, *, reader: User | None, choices: dict[str, str] | None, reveal: bool) -> Note:
    """How this reader meets the post's content note: fold, show or hide, as they chose."""
    if choices is None:
        choices = content_notes.choices_of(reader)
    return content_notes.decide(post.content_note_kinds, post.content_note, choices, reveal=reveal)


def _offers(post: Post | PostRow, *, reader: User | None, now: datetime | None) -> tuple[bool, bool]:
    """Whether this reader is offered Edit (theirs, inside the window) and Mute (anyone else's but a
    named moderator's; on a post shown as "a member" always, so the offer reveals nothing)."""
    if reader is None:
        return False, False
    if reader.id == post.author_id:
        return posting.edit_open(post, now=now or utcnow()), False
    named_moderator = not post.anonymous and post.author is not None and post.author.is_moderator
    return False, post.author_id is not None and not named_moderator


@dataclass
class PostPage:
    posts: list[PostView]
    next_cursor: int | None  # the `after` of the next page: the position it starts after
    mine: dict[int, set[str]]  # post id -> kinds the reader pressed
    title_note: Note = content_notes.NO_NOTE  # the thread's title, met as the opening post's note says

    @property
    def last_position(self) -> int | None:
        """On the thread's last page, the position of its last post (what a read marker keeps)."""
        return self.posts[-1].position if self.posts and self.next_cursor is None else None


def byline(
    author: User | AuthorRow | None, *, anonymous: bool, reader=None, today: date | None = None
) -> Byline:
    """Who wrote it, for this reader: "a member" unless the reader wrote it or moderates.

    `reader` is a User or the request's Viewer (anything with `id` and `is_moderator`). An
    anonymous post whose author left stays "a member": "a former member" would tell when they left.
    With `today` (thread pages), a named author who chose show_days gets their day count.
    """
    if not anonymous:
        if author is None:
            return Byline(FORMER_MEMBER)
        return Byline(author.pseudonym, days=days_badge(author, today))
    if author is not None and reader is not None and (reader.id == author.id or reader.is_moderator):
        return Byline(author.pseudonym, as_member=True)
    return Byline(ANONYMOUS_NAME)


def days_badge(author: User | AuthorRow, today: date | None) -> str:
    if today is None or not author.show_days or author.recovery_start is None:
        return ""
    return milestones.days_words(milestones.days_counted(author.recovery_start, today))


def post_byline(post: Post | PostRow, *, reader=None, today: date | None = None) -> Byline:
    return byline(post.author, anonymous=post.anonymous, reader=reader, today=today)


def listed_byline(pseudonym: str | None, *, anonymous: bool) -> Byline:
    """Lists (front page, categories, search) name an anonymous author "a member" to everyone."""
    if anonymous:
        return Byline(ANONYMOUS_NAME)
    return Byline(pseudonym or FORMER_MEMBER)


def thread_notes(threads: list[ListedThread], *, reader: User | None) -> dict[int, Note]:
    """Each thread's opening note as this reader chose to meet it (the kinds are on the thread row)."""
    choices = content_notes.choices_of(reader)
    return {t.id: content_notes.decide(t.content_note_kinds, "", choices) for t in threads}


def thread_bylines(threads: list[ListedThread]) -> dict[int, Byline]:
    return {t.id: listed_byline(t.author_pseudonym, anonymous=t.anonymous) for t in threads}


def encode_cursor(thread: Thread | ListedThread) -> str:
    # Whole microseconds in integers: a float timestamp can land one microsecond off the stored value.
    micros = (thread.last_activity_at - EPOCH) // MICROSECOND
    return f"{micros}.{thread.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    try:
        micros, thread_id = cursor.split(".")
        return EPOCH + int(micros) * MICROSECOND, int(thread_id)
    except (AttributeError, ValueError, OverflowError, OSError):
        return None


CATEGORY_LINKS = select(Category.slug, Category.name).order_by(Category.position)


def categories(session: Session) -> list[ListedCategory]:
    """The categories in their order, as the front page and the new-thread form list them."""
    return [ListedCategory(*row) for row in session.connection().execute(CATEGORY_LINKS)]


CATEGORY_BY_SLUG = select(Category).where(Category.slug == bindparam("slug"))


def category(session: Session, slug: str) -> Category:
    found = session.scalar(CATEGORY_BY_SLUG, {"slug": slug})
    if found is None:
        raise NotFound("There is no category at that address.")
    return found


def muted_pairs(session: Session, *, reader: User | None) -> set[tuple[int, bool]]:
    """Whom the reader muted, and in which shape (one query; none for a visitor)."""
    if reader is None:
        return set()
    rows = session.connection().execute(READERS_MUTES, {"reader_id": reader.id})
    return {(muted_id, bool(as_member)) for muted_id, as_member in rows}


# Built once, bound per request (as the lists and pages below).
READERS_MUTES = select(Mute.muted_id, Mute.as_member).where(Mute.muter_id == bindparam("reader_id"))


# What a thread list shows, with its category and author in the same query.
LISTED_COLUMNS = (
    Thread.id,
    Thread.title,
    Thread.pinned,
    Thread.locked,
    Thread.reply_count,
    Thread.last_activity_at,
    Thread.anonymous,
    Thread.content_note_kinds,
    User.pseudonym,
    Category.slug,
    Category.name,
)


# Threads sent only to the moderators are listed nowhere (their status is not `visible`).
LISTED = Thread.status == PostStatus.visible
# Built once: a statement is immutable, and each page only adds its own conditions to it.
LISTED_THREADS = (
    select(*LISTED_COLUMNS)
    .join(Category, Category.id == Thread.category_id)
    .outerjoin(User, User.id == Thread.author_id)
    .where(LISTED)
)
NEWEST_FIRST = (Thread.last_activity_at.desc(), Thread.id.desc())


# A reader's mutes, as a bound condition (the reader's id is bound per request).
MUTED_BY_READER = exists().where(
    Mute.muter_id == bindparam("reader_id"),
    Mute.muted_id == Thread.author_id,
    Mute.as_member == Thread.anonymous,
)


@cache
def _list_query(*, category: bool, pinned: bool, reader: bool, cursor: bool):
    """A list's statement, built once for each shape; a request only binds its values.

    Building the statement and its cache key each time cost more than running it (0.24 ms against
    0.08 ms for the front page's list)."""
    query = LISTED_THREADS
    if category:
        query = query.where(Thread.category_id == bindparam("category_id"), Thread.pinned.is_(pinned))
    if reader:  # threads whose author the reader muted, in the shape they started it, leave the list
        query = query.where(~MUTED_BY_READER)
    if cursor:
        # A row value, not an OR of two comparisons: both engines seek the (activity, id) index straight
        # to the cursor, where the OR made SQLite walk it from the newest thread (7x slower 100k deep).
        at = bindparam("at", type_=Thread.last_activity_at.type)
        query = query.where(tuple_(Thread.last_activity_at, Thread.id) < tuple_(at, bindparam("thread_id")))
    if pinned:
        return query.order_by(Thread.last_activity_at.desc())
    return query.order_by(*NEWEST_FIRST).limit(db.row_limit("rows"))


def _listed_threads(session: Session, params: dict, **shape: bool) -> list[ListedThread]:
    # Plain rows through the connection: nothing here is an entity for the ORM to track.
    rows = session.connection().execute(_list_query(**shape), params)
    return [ListedThread(*row[:-2], category=ListedCategory(row.slug, row.name)) for row in rows]


def _thread_list(
    session: Session,
    *,
    category: Category | None,
    before: str | None,
    size: int | None,
    reader: User | None = None,
) -> ThreadPage:
    size = size or page_size()
    params: dict = {"rows": size + 1}
    if category is not None:
        params["category_id"] = category.id
    if reader is not None:
        params["reader_id"] = reader.id
    cursor = decode_cursor(before)
    if cursor:
        params["at"], params["thread_id"] = cursor
    shape = {"category": category is not None, "reader": reader is not None, "cursor": cursor is not None}
    rows = _listed_threads(session, params, pinned=False, **shape)
    next_cursor = encode_cursor(rows[size - 1]) if len(rows) > size else None
    threads = rows[:size]
    return ThreadPage(
        threads=threads,
        next_cursor=next_cursor,
        bylines=thread_bylines(threads),
        notes=thread_notes(threads, reader=reader),
    )


def latest_threads(
    session: Session, *, before: str | None = None, size: int | None = None, reader: User | None = None
) -> ThreadPage:
    return _thread_list(session, category=None, before=before, size=size, reader=reader)


def category_threads(
    session: Session,
    *,
    category: Category,
    before: str | None = None,
    size: int | None = None,
    reader: User | None = None,
) -> ThreadPage:
    """Unpinned threads of a category; pinned ones come from pinned_threads, always on top."""
    return _thread_list(session, category=category, before=before, size=size, reader=reader)


def pinned_threads(session: Session, *, category: Category, reader: User | None = None) -> list[ListedThread]:
    params = {"category_id": category.id, "reader_id": reader.id if reader else None}
    return _listed_threads(
        session, params, category=True, pinned=True, reader=reader is not None, cursor=False
    )


@dataclass(frozen=True, slots=True)
class ShownThread:
    """A thread as its page shows it: the columns the page reads, its category joined (no entity)."""

    id: int
    title: str
    status: str
    pinned: bool
    locked: bool
    content_note_kinds: str
    category: ListedCategory


# One Core query for the thread and its category: building the entities cost a quarter of a short page.
SHOWN_COLUMNS = [getattr(Thread, f.name) for f in fields(ShownThread) if f.name != "category"]
THREAD_WITH_CATEGORY = (
    select(*SHOWN_COLUMNS, Category.slug, Category.name)
    .join_from(Thread, Category, Category.id == Thread.category_id)
    .where(Thread.id == bindparam("thread_id"))
)


def thread_with_category(session: Session, thread_id: int) -> ShownThread:
    row = session.connection().execute(THREAD_WITH_CATEGORY, {"thread_id": thread_id}).first()
    if row is None or row.status != PostStatus.visible:
        raise NotFound("That thread does not exist, or it was deleted.")
    return ShownThread(*row[:-2], category=ListedCategory(row.slug, row.name))


def _post_rows(session: Session, query, params: dict) -> list[PostRow]:
    split = len(POST_COLUMNS)
    return [
        PostRow(*row[:split], author=AuthorRow(*row[split:]) if row[split] is not None else None)
        for row in session.connection().execute(query, params)
    ]


# One page of a thread, built once (each request binds its thread, where it starts and how many).
# One lower bound only: given `position >= 0` and `position > after`, SQLite seeks the index to
# the first and walks every post before the second (the 10,000th reply's page read 10,000 rows).
THREAD_PAGE = (
    POSTS_WITH_AUTHORS.where(
        POST.thread_id == bindparam("thread_id"),
        POST.position > bindparam("start"),
        POST.status != PostStatus.moderators_only,
    )
    .order_by(POST.position)
    .limit(db.row_limit("rows"))
)


def thread_posts(
    session: Session,
    *,
    thread: Thread | ShownThread,
    reader: User | None,
    after: int | None = None,
    size: int | None = None,
    reveal: int | None = None,
    now: datetime | None = None,
) -> PostPage:
    """One page of the thread, each post as this reader may see it (`reveal`: a post id to read once).

    The reader's mutes add one query, however many; their content-note choices none (the user row)."""
    size = size or page_size()
    # Replies sent only to the moderators sit below position 0, outside every page of the thread.
    start = -1 if after is None else max(after, -1)
    rows = _post_rows(session, THREAD_PAGE, {"thread_id": thread.id, "start": start, "rows": size + 1})
    next_cursor = rows[size - 1].position if len(rows) > size else None
    posts = rows[:size]
    today = milestones.today()  # one day for the whole page
    choices = content_notes.choices_of(reader)  # once for the page: the choices are on the user row
    opener_revealed = bool(posts) and posts[0].position == 0 and posts[0].id == reveal
    muted = muted_pairs(session, reader=reader)
    decided = _own_decided(session, reader=reader, posts=posts)
    seen = {"reader": reader, "choices": choices, "today": today, "muted": muted, "now": now}
    return PostPage(
        posts=[as_seen_by(p, reveal=p.id == reveal, appeal=decided.get(p.id), **seen) for p in posts],
        next_cursor=next_cursor,
        mine=pressed_by(session, reader=reader, posts=posts),
        title_note=content_notes.decide(thread.content_note_kinds, "", choices, reveal=opener_revealed),
    )


def _own_decided(session: Session, *, reader: User | None, posts: list[PostRow]) -> dict:
    """Decisions on the reader's own hidden or removed posts of the page: one query, only if any."""
    if reader is None:
        return {}
    own = [
        p.id
        for p in posts
        if p.author_id == reader.id and p.status in (PostStatus.hidden, PostStatus.removed)
    ]
    return appeal_reads.on_posts(session, author=reader, post_ids=own)


def pressed_by(
    session: Session, *, reader: User | None, posts: list[Post] | list[PostRow]
) -> dict[int, set[str]]:
    """Which encouragements the reader gave on these posts (one query)."""
    mine: dict[int, set[str]] = {p.id: set() for p in posts}
    if reader is None or not posts:
        return mine
    params = {"reader_id": reader.id, "post_ids": [p.id for p in posts]}
    for post_id, kind in session.connection().execute(READERS_REACTIONS, params):
        mine[post_id].add(kind)
    return mine


READERS_REACTIONS = select(Reaction.post_id, Reaction.kind).where(
    Reaction.user_id == bindparam("reader_id"), Reaction.post_id.in_(bindparam("post_ids", expanding=True))
)


def page_start_for(position: int, size: int | None = None) -> int | None:
    """The `after` cursor of the thread page that holds this position (positions never move)."""
    size = size or page_size()
    start = (position // size) * size
    return start - 1 if start else None
