"""Encouragement: press or take back one kind on one post."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, PostDep, SessionDep
from app.services import ratelimit, reactions
from app.web import after_action, post_path, render, wants_fragment

router = APIRouter()


@router.post("/p/{post_id:int}/react/{kind}", name="reactions:toggle", dependencies=[CSRF])
def toggle(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post: PostDep,
    kind: str,
    want: Annotated[str, Form()] = "",
) -> Response:
    ratelimit.react(user=user)
    toggled = reactions.toggle(session, post=post, user=user, kind=kind, want=want)
    if wants_fragment(request):
        return render(request, "partials/reactions.html", {"post": toggled.post, "mine": toggled.mine})
    return after_action(request, post_path(request, post))
