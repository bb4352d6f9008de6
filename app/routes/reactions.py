"""Encouragement: press or take back one kind on one post."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, RowId, SessionDep
from app.services import ratelimit, reactions
from app.web import after_action, post_path, render, wants_fragment

router = APIRouter()


@router.post("/p/{post_id:int}/react/{kind}", name="reactions:toggle", dependencies=[CSRF])
def toggle(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post_id: RowId,
    kind: str,
    want: Annotated[str, Form()] = "",
) -> Response:
    ratelimit.react(user=user)
    # The service reads the post in its own write (404, 409): no read transaction of its own first.
    fragment = wants_fragment(request)
    toggled = reactions.toggle(session, post_id=post_id, user=user, kind=kind, want=want, with_mine=fragment)
    if fragment:
        return render(request, "partials/reactions.html", {"post": toggled.post, "mine": toggled.mine})
    return after_action(request, post_path(request, toggled.post))
