"""Threads and posts: read, start, reply, edit, delete."""

from functools import partial
from typing import Annotated, NamedTuple

from fastapi import APIRouter, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app import db
from app.deps import CSRF, CurrentUser, Cursor, OptionalUser, PostDep, RowId, SessionDep, Text
from app.models import User
from app.services import crisis_check, history, milestones, posting, ratelimit, read_markers, reading
from app.web import FormSpec, after_action, keep_form, path_for, post_path, render, wants_fragment

router = APIRouter()
Kinds = Annotated[list[str], Form()]  # content_note_kind, repeatable: checked against the list in the service
THREAD_FORM = FormSpec(
    page="pages/new_thread.html", partial="partials/thread_form.html", target="thread-form"
)
REPLY_FORM = FormSpec(page="pages/reply.html", partial="partials/reply_form.html", target="reply-form")
SENT = "sent-to-moderators"  # the part of /me that lists what was sent only to the moderators
EDIT_FORM = FormSpec(page="pages/edit_post.html", partial="partials/edit_form.html", target="edit-form")
# After the edit window: the reason, what was typed, and the offer to delete, in place of the form.
EDIT_CLOSED = FormSpec(page="pages/edit_closed.html", partial="partials/edit_closed.html", target="edit-form")


class ThreadRef(NamedTuple):
    """A thread as an answer names it without reading it: its id (the fresh reply form's address)."""

    id: int


@router.get("/t/{thread_id:int}", name="threads:show")
async def show(
    request: Request,
    session: SessionDep,
    reader: OptionalUser,
    thread_id: RowId,
    after: Cursor = None,
    show: str = "",
) -> Response:
    reveal = int(show[1:]) if show[:1] == "p" and show[1:].isdigit() and len(show) < 12 else None
    thread, page, behind = await db.run_reads(
        session, _thread_page, session, thread_id, reader, after, reveal
    )
    if behind:  # the reader's marker moves on: a write, so in the thread pool (it may wait for the lock)
        marker = {"reader": reader, "thread_id": thread.id, "last_position": page.last_position}
        await run_in_threadpool(read_markers.move_forward, session, **marker)
    ctx = {"thread": thread, "page": page}
    if wants_fragment(request):
        return render(request, "partials/post_list.html", ctx)
    return render(request, "pages/thread.html", ctx)


def _thread_page(
    session: Session, thread_id: int, reader: User | None, after: int | None, reveal: int | None
):
    """The page's reads, in one call: the thread, its posts as this reader sees them, whether they read on."""
    thread = reading.thread_with_category(session, thread_id)
    page = reading.thread_posts(session, thread=thread, reader=reader, after=after, reveal=reveal)
    last = page.last_position
    return thread, page, read_markers.behind(session, reader=reader, thread_id=thread.id, last_position=last)


@router.get("/new", name="threads:new")
def new_form(
    request: Request, session: SessionDep, user: CurrentUser, category: str = "", title: str = ""
) -> Response:
    # `title` prefills the form (the milestone link on /me); the service checks it when posted.
    ctx = {"categories": reading.categories(session), "category": category, "title": title[:150]}
    return render(request, "pages/new_thread.html", ctx)


@router.post("/new", name="threads:create", dependencies=[CSRF])
def create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    title: Text = "",
    body: Text = "",
    category: Text = "",
    content_note: Text = "",
    content_note_kind: Kinds = [],  # noqa: B006 - FastAPI copies form defaults
    anonymous: Text = "",
    confirm: Text = "",
) -> Response:
    typed = {"title": title, "body": body, "category": category, "content_note": content_note}
    typed |= {"content_note_kinds": content_note_kind, "confirm": confirm}
    keep_form(request, THREAD_FORM, categories=reading.categories(session), anonymous=anonymous, **typed)
    crisis_check.ask_first(confirm=confirm, title=title, body=body)  # before the limit counts anything
    ratelimit.new_thread(user=user)
    thread = posting.start_thread(
        session,
        author=user,
        category_slug=category,
        title=title,
        body=body,
        content_note=content_note,
        content_note_kinds=content_note_kind,
        anonymous=anonymous == "on",
        to_moderators=confirm == crisis_check.MODERATORS,
    )
    if confirm == crisis_check.MODERATORS:
        return after_action(request, path_for(request, "accounts:me", anchor=SENT))
    return after_action(request, path_for(request, "threads:show", thread_id=thread.id))


@router.post("/t/{thread_id:int}/reply", name="threads:reply", dependencies=[CSRF])
def reply(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    thread_id: RowId,
    body: Text = "",
    content_note: Text = "",
    content_note_kind: Kinds = [],  # noqa: B006 - FastAPI copies form defaults
    anonymous: Text = "",
    confirm: Text = "",
) -> Response:
    typed = {"body": body, "content_note": content_note, "content_note_kinds": content_note_kind}
    # The service reads the thread in its own write; the form's copy is read only if the form is shown.
    thread = partial(db.read, posting.get_thread, thread_id)
    keep_form(request, REPLY_FORM, thread=thread, anonymous=anonymous, confirm=confirm, **typed)
    crisis_check.ask_first(confirm=confirm, body=body)  # before the limit counts anything
    ratelimit.reply(user=user)
    to_moderators = confirm == crisis_check.MODERATORS
    post = posting.reply(
        session,
        thread_id=thread_id,
        author=user,
        body=body,
        content_note=content_note,
        content_note_kinds=content_note_kind,
        anonymous=anonymous == "on",
        to_moderators=to_moderators,
    )
    if to_moderators:
        return after_action(request, path_for(request, "accounts:me", anchor=SENT))
    if wants_fragment(request):
        seen = reading.as_seen_by(post, reader=user, today=milestones.today())  # a thread page: badge too
        # The fresh reply form (out of band) names only the thread's id.
        ctx = {"post": seen, "thread": ThreadRef(thread_id), "mine": set()}
        return render(request, "partials/reply_created.html", ctx)
    return after_action(request, post_path(request, post))


@router.get("/p/{post_id:int}/edit", name="posts:edit_form")
def edit_form(request: Request, user: CurrentUser, post: PostDep) -> Response:
    keep_form(request, EDIT_CLOSED, post=post, body=post.body_source, content_note=post.content_note)
    posting.ensure_editable(post=post, author=user)
    return render(
        request,
        "pages/edit_post.html",
        {
            "post": post,
            "body": post.body_source,
            "content_note": post.content_note,
            "content_note_kinds": post.content_note_kinds.split(","),
        },
    )


@router.post("/p/{post_id:int}/edit", name="posts:edit", dependencies=[CSRF])
def edit(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post: PostDep,
    body: Text = "",
    content_note: Text = "",
    content_note_kind: Kinds = [],  # noqa: B006 - FastAPI copies form defaults
) -> Response:
    typed = {"body": body, "content_note": content_note, "content_note_kinds": content_note_kind}
    keep_form(request, EDIT_CLOSED, post=post, **typed)
    posting.ensure_editable(post=post, author=user)  # 409 answers the closed form, with the delete offer
    keep_form(request, EDIT_FORM, post=post, **typed)
    posting.edit(
        session,
        post=post,
        author=user,
        body=body,
        content_note=content_note,
        content_note_kinds=content_note_kind,
    )
    return after_action(request, post_path(request, post))


@router.get("/p/{post_id:int}/history", name="posts:history")
def post_history(request: Request, session: SessionDep, reader: OptionalUser, post: PostDep) -> Response:
    found = history.history_of(session, post=post, reader=reader)
    return render(request, "pages/post_history.html", {"history": found})


@router.post("/p/{post_id:int}/publish", name="posts:publish", dependencies=[CSRF])
def publish(request: Request, session: SessionDep, user: CurrentUser, post: PostDep) -> Response:
    """What was sent only to the moderators, posted to the thread after all."""
    post = posting.publish(session, post=post, author=user)
    return after_action(request, post_path(request, post))


@router.post("/p/{post_id:int}/delete", name="posts:delete", dependencies=[CSRF])
def delete(request: Request, session: SessionDep, user: CurrentUser, post: PostDep) -> Response:
    posting.delete(session, post=post, author=user)
    if wants_fragment(request):
        seen = reading.as_seen_by(post, reader=user)
        return render(request, "partials/post.html", {"post": seen, "mine": set(), "thread": None})
    return after_action(request, post_path(request, post))
