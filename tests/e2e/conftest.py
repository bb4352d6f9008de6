"""Real-browser tests: the real app (`peerbearing serve`) driven by Debian's Chromium via Playwright.

Collected with the normal suite. Deselected (not skipped) when Chromium is missing outside CI, or
when the suite runs against another engine (PEERBEARING_TEST_ENGINE): one browser run is enough.
In CI (or with PEERBEARING_E2E_REQUIRED=1, as `make test-e2e` sets) a missing Chromium is a
failure, never a silent pass.
"""

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("PEERBEARING_SCREENSHOTS_DIR") or ROOT / "screenshots")
MOBILE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
SERVER_ENV = {
    "PEERBEARING_SECURE_COOKIES": "false",
    "PEERBEARING_RATE_LIMITS_ENABLED": "false",
    "PEERBEARING_ARGON2_TIME_COST": "1",
    "PEERBEARING_ARGON2_MEMORY_KIB": "1024",
}


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


# --- the app under test --------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen

    def cli(self, *args: str) -> str:
        """Run a `peerbearing` subcommand against this server's database (e.g. promote)."""
        done = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(workdir: Path, *, seed: bool = False) -> Iterator[LiveServer]:
    """Migrate a fresh SQLite file, start `peerbearing serve` on a free port, stop it by PID afterwards."""
    env = {**os.environ, **SERVER_ENV, "DATABASE_URL": f"sqlite:///{workdir / 'e2e.db'}"}
    env.pop("PEERBEARING_ENVIRONMENT", None)
    server = LiveServer("", env, workdir / "server.log", None)  # type: ignore[arg-type]
    server.cli("migrate")
    if seed:
        server.cli("seed-demo", "--threads", "8", "--replies", "3")
    port = _free_port()
    with server.log_path.open("w") as log:
        server.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server.url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def _wait_until_healthy(server: LiveServer, attempts: int = 200) -> None:
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        # Waiting on the process doubles as the pause between attempts and notices a crash at once.
        try:
            server.process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"peerbearing serve exited with {server.process.returncode}:\n{server.log()}")
    pytest.fail(f"peerbearing serve did not become healthy:\n{server.log()}")


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


# --- pages that fail the test on console errors, CSP violations and server errors ---------------

CSP_LISTENER = """document.addEventListener('securitypolicyviolation', e =>
  window.__reportCsp(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} on ${e.documentURI}`));"""


@dataclass
class Watch:
    """What went wrong in the browser while a test ran; checked when the test ends."""

    problems: list[str] = field(default_factory=list)

    def attach(self, context) -> None:
        context.expose_binding("__reportCsp", lambda _source, text: self.problems.append(f"CSP: {text}"))
        context.add_init_script(CSP_LISTENER)
        context.on("console", self._console)
        context.on("weberror", lambda e: self.problems.append(f"page error: {e.error}"))
        context.on("response", self._response)
        context.on("requestfailed", self._failed)

    def _console(self, message) -> None:
        # Chromium also reports CSP refusals here, with or without page JavaScript. Its "Failed to
        # load resource" lines also cover pages answered 404 or 422 on purpose; _response judges those.
        if message.type == "error" and not message.text.startswith("Failed to load resource: the server"):
            self.problems.append(f"console: {message.text} ({message.location.get('url', '')})")

    def _failed(self, request) -> None:
        # Aborted means the page moved on (a navigation cancels the favicon), not that something broke.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        # A page or an htmx fragment may rightly answer 4xx; a stylesheet, script or image may not.
        if response.status >= 500 or (
            response.status >= 400 and response.request.resource_type not in ("document", "xhr", "fetch")
        ):
            self.problems.append(f"HTTP {response.status}: {response.request.resource_type} {response.url}")


@dataclass
class Browse:
    """Opens browser contexts like real visitors: JavaScript on or off, desktop or phone, light or dark."""

    browser: object
    base_url: str
    watch: Watch
    contexts: list = field(default_factory=list)

    def __call__(self, *, js: bool = True, mobile: bool = False, dark: bool = False, storage_state=None):
        context = self.browser.new_context(
            base_url=self.base_url,
            java_script_enabled=js,
            viewport=MOBILE if mobile else DESKTOP,
            is_mobile=mobile,
            has_touch=mobile,
            color_scheme="dark" if dark else "light",
            storage_state=storage_state,
        )
        context.set_default_timeout(10_000)
        self.watch.attach(context)
        self.contexts.append(context)
        return context.new_page()


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
