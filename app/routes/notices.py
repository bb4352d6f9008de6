"""In-app notices: the member's own list, read when seen, and which kinds they want."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.deps import CSRF, CurrentUser, Cursor, SessionDep
from app.services import notices
from app.web import after_action, path_for, read_form, render, wants_fragment

router = APIRouter()


async def wanted_kinds(request: Request) -> set[str]:
    """The kinds ticked (`notice_<kind>=on`); a box left unticked is a kind turned off."""
    form = await read_form(request)
    prefix = notices.FIELD_PREFIX
    return {k[len(prefix) :] for k, v in form.items() if k.startswith(prefix) and v == "on"}


WantedKinds = Annotated[set[str], Depends(wanted_kinds)]


@router.get("/me/notifications", name="notices:show")
def show(request: Request, session: SessionDep, user: CurrentUser, before: Cursor = None) -> Response:
    page = notices.seen_page(session, user=user, before=before)
    # The header was counted before this page marked what it shows as read.
    return render(request, "pages/notices.html", {"page": page, "notices_unread": page.unread})


@router.post("/me/settings/notices", name="notices:settings", dependencies=[CSRF])
def save(request: Request, session: SessionDep, user: CurrentUser, wanted: WantedKinds) -> Response:
    off = notices.save_kinds(session, user=user, wanted=wanted)
    if wants_fragment(request):
        return render(
            request, "partials/notice_settings.html", {"notices_off": off, "notice_saved": notices.SAVED}
        )
    target = path_for(request, "settings:show", query={"done": "notices"}, anchor="notice-settings")
    return after_action(request, target)
