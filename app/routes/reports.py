"""Members report a post: the form page, and the report itself."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, PostDep, SessionDep, Text
from app.services import ratelimit, reporting
from app.web import FormSpec, keep_form, render, see_other, wants_fragment

router = APIRouter()
REPORT_FORM = FormSpec(
    page="pages/report.html", partial="partials/report_form.html", target="report-form-p{post.id}"
)


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
    keep_form(request, REPORT_FORM, post=post, reason=reason, note=note)
    ratelimit.report(user=user)
    outcome = reporting.report(session, post=post, reporter=user, reason=reason, note=note)
    if wants_fragment(request):
        return render(request, "partials/report_sent.html", {"post": post, "outcome": outcome})
    return see_other(request, "reports:form", post_id=post.id, query={"sent": "1"})
