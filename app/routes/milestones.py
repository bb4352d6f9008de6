"""The member's private milestones: /me/milestones."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, SessionDep, Text
from app.services import milestones
from app.web import FormSpec, keep_form, render, see_other, wants_fragment

router = APIRouter()
MILESTONES_FORM = FormSpec(
    page="pages/milestones.html", partial="partials/milestones_form.html", target="milestones-form"
)
SAVED = "Saved. Only you can see this page."


@router.get("/me/milestones", name="milestones:show")
def show(request: Request, user: CurrentUser, done: str = "") -> Response:
    summary = milestones.summary(user=user, today=milestones.today())
    ctx = {"summary": summary, "saved": SAVED if done == "saved" else "", **_typed(summary)}
    return render(request, "pages/milestones.html", ctx)


@router.post("/me/milestones", name="milestones:save", dependencies=[CSRF])
def save(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    recovery_start: Text = "",
    show_days: Text = "",
    keep_longest: Text = "",
) -> Response:
    today = milestones.today()
    typed = {"recovery_start": recovery_start, "show_days": show_days, "keep_longest": keep_longest}
    keep_form(request, MILESTONES_FORM, summary=milestones.summary(user=user, today=today), **typed)
    summary = milestones.save(
        session,
        user=user,
        recovery_start=recovery_start,
        show_days=show_days == "on",
        keep_longest=keep_longest == "on",
        today=today,
    )
    if wants_fragment(request):
        ctx = {"summary": summary, "saved": SAVED, **_typed(summary)}
        return render(request, "partials/milestones_form.html", ctx)
    return see_other(request, "milestones:show", query={"done": "saved"})


def _typed(summary: milestones.Summary) -> dict[str, str]:
    """The form's fields as the stored values fill them."""
    return {
        "recovery_start": summary.start.isoformat() if summary.start else "",
        "show_days": "on" if summary.show_days else "",
        "keep_longest": "on" if summary.keep_longest else "",
    }
