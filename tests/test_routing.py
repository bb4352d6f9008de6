"""The routers are listed busiest first (app/main.py): that is safe only while no path is answered by two."""

import itertools
import re

from fastapi import APIRouter
from starlette.routing import Match

from app.main import ROUTERS


def _paths(template: str, words: list[str]) -> list[str]:
    """The template with its int parameters as 7 and each string parameter as each of `words`."""
    template = re.sub(r"\{\w+:int\}", "7", template)
    slots = re.findall(r"\{\w+\}", template)
    found = []
    for chosen in itertools.product(words, repeat=len(slots)):
        path = template
        for word in chosen:
            path = re.sub(r"\{\w+\}", word, path, count=1)
        found.append(path)
    return found


def _overlaps(routers: dict[str, APIRouter]) -> list[tuple[str, str, str, str]]:
    """(method, path, router, other router) wherever routes of two routers both fully match."""
    routes = [(owner, route) for owner, router in routers.items() for route in router.routes]
    # A string parameter is tried as every literal word of every path: /c/{slug} against /c/new, say.
    words = sorted({w for _, r in routes for w in r.path.split("/") if w and "{" not in w} | {"stories"})
    found = []
    for owner, route in routes:
        for path, method in itertools.product(_paths(route.path, words), route.methods):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            found += [
                (method, path, owner, other_owner)
                for other_owner, other in routes
                if other_owner != owner and other.matches(scope)[0] == Match.FULL
            ]
    return found


def test_no_path_and_method_is_answered_by_routes_of_two_routers():
    routers = {module.__name__: module.router for module in ROUTERS}
    assert sum(len(r.routes) for r in routers.values()) > 50
    assert _overlaps(routers) == []


def test_an_overlap_is_found():
    from app.routes import pages, threads

    probe = APIRouter()
    probe.add_api_route("/t/{name}", lambda name: name, methods=["GET"])
    probe.add_api_route("/c/new", lambda: "", methods=["GET"])
    found = _overlaps({"threads": threads.router, "pages": pages.router, "probe": probe})
    assert ("GET", "/t/7", "threads", "probe") in found
    assert ("GET", "/c/new", "probe", "pages") in found
