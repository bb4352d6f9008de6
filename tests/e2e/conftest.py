"""Real-browser tests: the real app (`peerbearing serve`) driven by Debian's Chromium via Playwright.

Collected with the normal suite. Deselected (not skipped) when Chromium is missing outside CI, or
when the suite runs against another engine (PEERBEARING_TEST_ENGINE): one browser run is enough.
In CI (or with PEERBEARING_E2E_REQUIRED=1, as `make test-e2e` sets) a missing Chromium is a
failure, never a silent pass.
"""

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, Browse, Watch
from tests.live import LiveServer, running_app

E2E_DIR = Path(__file__).resolve().parent


def why_not_run() -> str | None:
    engine = os.environ.get("PEERBEARING_TEST_ENGINE", "sqlite") or "sqlite"
    if engine != "sqlite":
        return f"browser tests run once, with SQLite (PEERBEARING_TEST_ENGINE={engine})"
    required = os.environ.get("CI") or os.environ.get("PEERBEARING_E2E_REQUIRED")
    if not Path(CHROMIUM).exists() and not required:
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


# Without Playwright there is nothing to import; only acceptable when the tests are deselected anyway.
if why_not_run() and importlib.util.find_spec("playwright") is None:
    collect_ignore_glob = ["test_*.py"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if why_not_run() is None:
        return
    keep, drop = [], []
    for item in items:
        (drop if E2E_DIR in item.path.parents else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    with running_app(tmp_path_factory.mktemp("e2e")) as server:
        yield server


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"The browser tests need Chromium at {CHROMIUM}: apt-get install -y chromium")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": LAUNCH_ARGS}


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def browse(browser, live_server: LiveServer, watch: Watch) -> Iterator[Callable[..., object]]:
    opener = Browse(browser, live_server.url, watch)
    log_start = live_server.log_path.stat().st_size
    yield opener
    for context in opener.contexts:
        for page in context.pages:
            # Callbacks from the page arrive only during a Playwright call: give late ones a moment.
            page.wait_for_timeout(50)
        context.close()
    with live_server.log_path.open(errors="replace") as log:
        log.seek(log_start)
        server_errors = [line for line in log if "Traceback" in line or "ERROR" in line]
    assert not watch.problems, "the browser reported problems:\n" + "\n".join(watch.problems)
    assert not server_errors, "the server logged errors:\n" + "".join(server_errors)
