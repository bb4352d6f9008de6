"""Appeals: the author asks for a second look (a post, or their pause), and a moderator answers."""

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app import db
from app.deps import CSRF, CurrentUser, ModeratorUser, PostDep, RowId, SessionDep, Text
from app.services import appeal_reads, appeals, moderation_queue
from app.web import FormSpec, after_action, keep_form, path_for, post_path, render, see_other, wants_fragment

router = APIRouter()
APPEAL_FORM = FormSpec(
    page="pages/appeal.html", partial="partials/appeal_form.html", target="appeal-p{post_id}"
)
PAUSE_FORM = FormSpec(page="pages/appeal.html", partial="partials/pause_appeal.html", target="pause-appeal")
MOD_APPEAL_FORM = FormSpec(
    page="pages/mod_appeal.html", partial="partials/appeal_item.html", target="appeal-{item.id}"
)
SENT = appeal_reads.PostAppeal(decision_id=0, status="open", outcome_reason="")


@router.post("/p/{post_id:int}/appeal", name="appeals:post", dependencies=[CSRF])
def appeal_post(
    request: Request, session: SessionDep, user: CurrentUser, post: PostDep, note: Text = ""
) -> Response:
    keep_form(request, APPEAL_FORM, post_id=post.id, note=note, appeal=None)
    appeals.appeal_post(session, post=post, author=user, note=note)
    if wants_fragment(request):
        return render(request, APPEAL_FORM.partial, {"post_id": post.id, "appeal": SENT})
    return after_action(request, post_path(request, post))


@router.post("/me/appeal", name="appeals:pause", dependencies=[CSRF])
def appeal_pause(request: Request, session: SessionDep, user: CurrentUser, note: Text = "") -> Response:
    keep_form(request, PAUSE_FORM, note=note, sent=False)
    appeals.appeal_pause(session, member=user, note=note)
    if wants_fragment(request):
        return render(request, PAUSE_FORM.partial, {"sent": True})
    return after_action(request, path_for(request, "accounts:me", anchor="pause-appeal"))


@router.post("/mod/appeals/{appeal_id:int}", name="mod:appeal", dependencies=[CSRF])
def decide(
    request: Request,
    session: SessionDep,
    moderator: ModeratorUser,
    appeal_id: RowId,
    outcome: Text = "",
    reason: Text = "",
) -> Response:
    item = partial(
        db.read, moderation_queue.appeal_item, appeal_id, moderator.id
    )  # only if an error shows it
    keep_form(request, MOD_APPEAL_FORM, item=item, reason=reason)
    appeals.decide(session, appeal_id=appeal_id, moderator=moderator, outcome=outcome, reason=reason)
    if wants_fragment(request):
        ctx = {"item": moderation_queue.appeal_item(session, appeal_id, moderator.id)}
        return render(request, MOD_APPEAL_FORM.partial, ctx)
    return see_other(request, "mod:queue", anchor="appeals")
