"""The one request limit the server does not hold by itself: the size of the request's head."""

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.web import error_page

# h11's own bound (uvicorn keeps its default), which h11 checks only while a head is still arriving:
# a longer one that comes in a single read reaches the app whole (a 16 KiB cookie did, on loopback).
MAX_HEAD_BYTES = 16 * 1024


def head_bytes(scope: Scope) -> int:
    """The request line and headers, about as sent."""
    line = len(scope["method"]) + len(scope.get("raw_path") or b"") + len(scope["query_string"]) + 12
    return line + sum(len(name) + len(value) + 4 for name, value in scope["headers"])


class HeadLimit:
    """A request whose head is over MAX_HEAD_BYTES gets the calm 431 page, however its bytes arrived."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and head_bytes(scope) > MAX_HEAD_BYTES:
            response = await error_page(Request(scope, receive), 431)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
