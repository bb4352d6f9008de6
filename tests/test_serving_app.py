"""The app as `peerbearing serve` makes it in each worker: templates compiled, start-up out of GC sight."""

import gc

from fastapi.testclient import TestClient

from app.main import serving_app
from app.web import templates


def test_the_served_app_compiles_every_template_and_freezes_what_start_made(database_url):
    templates.env.cache.clear()
    gc.unfreeze()
    try:
        app = serving_app()
        frozen = gc.get_freeze_count()
        compiled = {name for _, name in templates.env.cache}
        assert {"pages/front.html", "pages/thread.html", "partials/post.html"} <= compiled
        assert len(compiled) == len(templates.env.list_templates(extensions=["html"]))
        assert frozen > 10_000, "start-up's objects (modules, routes, templates) are frozen"
        with TestClient(app) as client:
            assert client.get("/").status_code == 200
    finally:
        gc.unfreeze()  # the rest of the test run collects as usual
