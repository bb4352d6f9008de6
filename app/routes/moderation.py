"""Moderators: the report queue, decisions, thread tools and the moderation log."""

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import db
from app.deps import CSRF, Cursor, ModeratorUser, PageNumber, PostDep, RowId, SessionDep, Text, ThreadDep
from app.models import Thread
from app.services import claims, decisions, moderation_log, moderation_queue, thread_tools
from app.web import FormSpec, after_action, keep_form, post_path, render, see_other, wants_fragment

router = APIRouter()
DECISION_FORM = FormSpec(
    page="pages/mod_decision.html",
    partial="partials/report_group.html",
    target="report-group-p{group.post_id}",
)


@router.get("/mod", name="mod:queue")
async def queue(
    request: Request, session: SessionDep, moderator: ModeratorUser, page: PageNumber = 1
) -> Response:
    queue = await db.run_reads(session, moderation_queue.queue, session, page=page, moderator_id=moderator.id)
    return render(request, "pages/mod_queue.html", {"queue": queue})


@router.post("/mod/reports/{report_id:int}", name="mod:decide", dependencies=[CSRF])
def decide(
    request: Request,
    session: SessionDep,
    moderator: ModeratorUser,
    report_id: RowId,
    action: Text = "",
    reason: Text = "",
    days: Text = "",
) -> Response:
    group = partial(db.read, moderation_queue.group_for_report, report_id)  # read only if an error shows it
    keep_form(request, DECISION_FORM, group=group, reason=reason, days=days)
    decision = decisions.decide(
        session, report_id=report_id, moderator=moderator, action=action, reason=reason, days=days
    )
    if wants_fragment(request):
        ctx = {"decision": decision, "open_reports": moderation_queue.open_report_count(session)}
        return render(request, "partials/report_handled.html", ctx)
    return see_other(request, "mod:queue")


def _group_back(request: Request, session: SessionDep, report_id: int, post_id: int) -> Response:
    """After a claim or a release: htmx gets the group with the claim as it now stands; a form, /mod."""
    if wants_fragment(request):
        return render(
            request, DECISION_FORM.partial, {"group": moderation_queue.group_for_report(session, report_id)}
        )
    return see_other(request, "mod:queue", anchor=f"report-group-p{post_id}")


@router.post("/mod/reports/{report_id:int}/claim", name="mod:claim", dependencies=[CSRF])
def claim(
    request: Request, session: SessionDep, moderator: ModeratorUser, report_id: RowId, level: Text = ""
) -> Response:
    group = partial(db.read, moderation_queue.group_for_report, report_id)  # read only if an error shows it
    keep_form(request, DECISION_FORM, group=group, level=level)
    held = claims.claim(session, report_id=report_id, moderator=moderator, level=level)
    return _group_back(request, session, report_id, held.post_id)


@router.post("/mod/reports/{report_id:int}/release", name="mod:release", dependencies=[CSRF])
def release(request: Request, session: SessionDep, moderator: ModeratorUser, report_id: RowId) -> Response:
    keep_form(request, DECISION_FORM, group=partial(db.read, moderation_queue.group_for_report, report_id))
    post_id = claims.release(session, report_id=report_id, moderator=moderator)
    return _group_back(request, session, report_id, post_id)


@router.post("/mod/posts/{post_id:int}/restore", name="mod:restore_post", dependencies=[CSRF])
def restore_post(
    request: Request, session: SessionDep, moderator: ModeratorUser, post: PostDep, reason: Text = ""
) -> Response:
    post = decisions.restore_post(session, post=post, moderator=moderator, reason=reason)
    return after_action(request, post_path(request, post))


def _tools(request: Request, thread: Thread) -> Response:
    if wants_fragment(request):
        return render(request, "partials/thread_tools.html", {"thread": thread})
    return see_other(request, "threads:show", thread_id=thread.id)


@router.post("/mod/threads/{thread_id:int}/lock", name="mod:lock", dependencies=[CSRF])
def lock(
    request: Request, session: SessionDep, moderator: ModeratorUser, thread: ThreadDep, on: Text = ""
) -> Response:
    return _tools(request, thread_tools.set_locked(session, thread=thread, moderator=moderator, on=on))


@router.post("/mod/threads/{thread_id:int}/pin", name="mod:pin", dependencies=[CSRF])
def pin(
    request: Request, session: SessionDep, moderator: ModeratorUser, thread: ThreadDep, on: Text = ""
) -> Response:
    return _tools(request, thread_tools.set_pinned(session, thread=thread, moderator=moderator, on=on))


@router.get("/mod/log", name="mod:log")
def log(request: Request, session: SessionDep, moderator: ModeratorUser, before: Cursor = None) -> Response:
    page = moderation_log.log(session, before=before)
    return render(request, "pages/mod_log.html", {"page": page})
