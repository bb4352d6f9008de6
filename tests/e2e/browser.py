"""The browser side of the real-browser tests: Chromium's launch, screens, and what a test watches for."""

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
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
# Every journey runs with JavaScript (htmx) and without, and on a desktop and a phone.
JS = pytest.mark.parametrize("js", [True, False], ids=["js", "no-js"])
SCREEN = pytest.mark.parametrize("mobile", [False, True], ids=["desktop", "phone"])


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
