"""The reader's own settings: how each kind of content note meets them, and whom they muted."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, SessionDep
from app.services import content_notes, muting, notices, text
from app.web import FormSpec, after_action, keep_form, path_for, read_form, render, wants_fragment

router = APIRouter()
SETTINGS_FORM = FormSpec(
    page="pages/settings.html", partial="partials/settings_form.html", target="settings-form"
)
SAVED = "Your choices are saved. They hold on every page you read while signed in."


async def note_fields(request: Request) -> dict[str, str]:
    """Every `note_<kind>` field as sent (unknown ones too: the service refuses them, 422)."""
    form = await read_form(request)
    return {
        k: text.without_controls(str(v)) for k, v in form.items() if k.startswith(content_notes.FIELD_PREFIX)
    }


NoteFields = Annotated[dict[str, str], Depends(note_fields)]


@router.get("/me/settings", name="settings:show")
def show(request: Request, session: SessionDep, user: CurrentUser, done: str = "") -> Response:
    ctx = {
        "choices": content_notes.choices_of(user),
        "saved": SAVED if done == "saved" else "",
        "mutes": muting.mutes_of(session, user=user),
        "notices_off": notices.off_kinds(user),
        "notice_saved": notices.SAVED if done == "notices" else "",
    }
    return render(request, "pages/settings.html", ctx)


@router.post("/me/settings", name="settings:save", dependencies=[CSRF])
def save(request: Request, session: SessionDep, user: CurrentUser, fields: NoteFields) -> Response:
    typed = {k: fields.get(content_notes.FIELD_PREFIX + k, "") for k in content_notes.KINDS}
    keep_form(request, SETTINGS_FORM, choices=typed, saved="")
    choices = content_notes.save_choices(session, user=user, fields=fields)
    if wants_fragment(request):
        return render(request, "partials/settings_form.html", {"choices": choices, "saved": SAVED})
    return after_action(request, path_for(request, "settings:show", query={"done": "saved"}))
