"""Members report a post: the form page, and the report itself."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, PostDep, SessionDep
from app.services import ratelimit, reporting
from app.web import keep_form, render, see_other, wants_fragment

router = APIRouter()
Text = Annotated[str, Form()]


@router.get("/p/{post_id:int}/report", name="reports:form")
def report_form(request: Request, user: CurrentUser, post: PostDep, sent: str = "") -> Response:
    return render(request, "pages/report.html", {"post": post, "reason": "", "note": "", "sent": sent == "1"})


@router.post("/p/{post_id:int}/report", name="reports:create", dependencies=[CSRF])
def create(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    post: PostDep,
    reason: Text = "",
    note: Text = "",
) -> Response:
    keep_form(
        request,
        page="pages/report.html",
        partial="partials/report_form.html",
        target=f"report-form-p{post.id}",
        post=post,
        reason=reason,
        note=note,
    )
    ratelimit.report(user=user)
    outcome = reporting.report(session, post=post, reporter=user, reason=reason, note=note)
    if wants_fragment(request):
        return render(request, "partials/report_sent.html", {"post": post, "outcome": outcome})
    return see_other(request, "reports:form", post_id=post.id, query={"sent": "1"})
