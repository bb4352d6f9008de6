"""Search: one URL answers the page, or with HTMX the results fragment (the "More results" pager)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.deps import ClientKey, OptionalUser, QueryText, SessionDep
from app.services import ratelimit, search
from app.web import FormSpec, keep_form, render, wants_fragment

router = APIRouter()
SEARCH_FORM = FormSpec(
    page="pages/search.html", partial="partials/search_results.html", target="search-results"
)


@router.get("/search", name="search:results")
def results(
    request: Request,
    session: SessionDep,
    client: ClientKey,
    reader: OptionalUser,
    q: QueryText = "",
    cursor: str | None = None,
) -> Response:
    keep_form(request, SEARCH_FORM, q=q)
    ratelimit.search(client=client)
    found = search.search(session, q=q, cursor=cursor, reader=reader)
    ctx = {"q": q, "found": found}
    if wants_fragment(request):
        return render(request, "partials/search_results.html", ctx)
    return render(request, "pages/search.html", ctx)
