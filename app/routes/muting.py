"""Muting: mute whoever wrote a post (revealing nothing about them), and lift a mute."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, PostDep, RowId, SessionDep
from app.services import muting
from app.web import after_action, path_for, post_path, render, wants_fragment

router = APIRouter()


@router.post("/p/{post_id:int}/mute-author", name="muting:mute", dependencies=[CSRF])
def mute_author(request: Request, session: SessionDep, user: CurrentUser, post: PostDep) -> Response:
    muted = muting.mute_author(session, post=post, muter=user)
    if wants_fragment(request):
        # The post as the muter now sees it: folded, under the same byline as before.
        return render(request, "partials/post.html", {"post": muted.post, "mine": muted.mine, "thread": None})
    return after_action(request, post_path(request, post))


@router.post("/me/mutes/{mute_id:int}/delete", name="muting:unmute", dependencies=[CSRF])
def unmute(request: Request, session: SessionDep, user: CurrentUser, mute_id: RowId) -> Response:
    remaining = muting.unmute(session, mute_id=mute_id, user=user)
    if wants_fragment(request):
        return render(request, "partials/mutes.html", {"mutes": remaining})
    return after_action(request, path_for(request, "settings:show", anchor="mutes"))
