"""path_for reads the route table once at start-up and builds the same paths url_path_for would."""

from fastapi.routing import iter_route_contexts
from starlette.convertors import IntegerConvertor

from app.web import path_for


class _Request:
    def __init__(self, app):
        self.app = app


def test_every_named_route_gets_the_path_url_path_for_would_build(app):
    request = _Request(app)
    named = [r for r in iter_route_contexts(app.routes) if r.name and r.name != "static"]
    assert len(named) > 50 and len(app.state.route_paths) > 50
    for route in named:
        params = {
            k: 7 if isinstance(c, IntegerConvertor) else "stories" for k, c in route.param_convertors.items()
        }
        assert path_for(request, route.name, **params) == str(app.url_path_for(route.name, **params)), (
            route.name
        )


def test_links_keep_their_query_and_anchor_and_unknown_names_still_fail_loudly(app):
    import pytest
    from starlette.routing import NoMatchFound

    request = _Request(app)
    path = path_for(request, "threads:show", thread_id=42, anchor="p9", query={"after": 20, "empty": ""})
    assert path == "/t/42?after=20#p9"
    assert path_for(request, "static", path="css/site.css") == "/static/css/site.css"
    with pytest.raises(NoMatchFound):
        path_for(request, "threads:show")
    with pytest.raises(NoMatchFound):
        path_for(request, "no-such-route")
