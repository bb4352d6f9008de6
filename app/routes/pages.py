"""Reading pages: front page, categories, guidelines, help, health."""

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy.orm import Session

from app import db
from app.config import PROJECT_ROOT, get_settings
from app.deps import OptionalUser, SessionDep, Slug
from app.models import User
from app.services import health as health_service
from app.services import reading
from app.web import render, wants_fragment

router = APIRouter()
ROBOTS_DISALLOW = "User-agent: *\nDisallow: /\n"
ROBOTS_ALLOW = "User-agent: *\nAllow: /\n"


@router.get("/", name="pages:front")
async def front(
    request: Request, session: SessionDep, reader: OptionalUser, before: str | None = None
) -> Response:
    fragment = wants_fragment(request)
    page, categories = await db.run_reads(session, _front_page, session, before, reader, not fragment)
    ctx = {"page": page, "list_route": "pages:front", "list_params": {}}
    if fragment:
        return render(request, "partials/thread_list.html", ctx)
    return render(request, "pages/front.html", {**ctx, "categories": categories})


def _front_page(session: Session, before: str | None, reader: User | None, with_categories: bool):
    page = reading.latest_threads(session, before=before, reader=reader)
    return page, reading.categories(session) if with_categories else []


@router.get("/c/{slug}", name="pages:category")
async def category(
    request: Request, session: SessionDep, reader: OptionalUser, slug: Slug, before: str | None = None
) -> Response:
    fragment = wants_fragment(request)
    found, page, pinned = await db.run_reads(
        session, _category_page, session, slug, before, reader, not fragment
    )
    ctx = {"page": page, "category": found, "list_route": "pages:category", "list_params": {"slug": slug}}
    if fragment:
        return render(request, "partials/thread_list.html", ctx)
    ctx |= {
        "pinned": pinned,
        "pinned_bylines": reading.thread_bylines(pinned),
        "pinned_notes": reading.thread_notes(pinned, reader=reader),
    }
    return render(request, "pages/category.html", ctx)


def _category_page(session: Session, slug: str, before: str | None, reader: User | None, with_pinned: bool):
    """The category, a page of its threads, and its pinned threads (on its first page, for the full page)."""
    found = reading.category(session, slug)
    page = reading.category_threads(session, category=found, before=before, reader=reader)
    with_pinned = with_pinned and not before
    return found, page, reading.pinned_threads(session, category=found, reader=reader) if with_pinned else []


@router.get("/guidelines", name="pages:guidelines")
def guidelines(request: Request) -> Response:
    return render(request, "pages/guidelines.html")


@router.get("/help", name="pages:help")
def crisis_help(request: Request) -> Response:
    return render(request, "pages/help.html")


@router.get("/healthz", name="pages:health")
def health(session: SessionDep) -> Response:
    if not health_service.database_answers(session):
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/robots.txt", name="pages:robots", include_in_schema=False)
def robots() -> Response:
    return PlainTextResponse(ROBOTS_ALLOW if get_settings().allow_indexing else ROBOTS_DISALLOW)


@router.get("/favicon.ico", name="pages:favicon", include_in_schema=False)
def favicon() -> Response:
    return FileResponse(PROJECT_ROOT / "static" / "favicon.svg", media_type="image/svg+xml")
