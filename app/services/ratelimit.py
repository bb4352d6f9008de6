"""Rate limits: counters live in the configured storage (`rate_limit_storage`), keyed by scope and key."""

import time
from functools import lru_cache

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import get_settings
from app.errors import TooMany


@lru_cache
def _limiter(uri: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(storage_from_string(uri))


def hit(scope: str, key: str, limit: str) -> None:
    """Counts one attempt; raises TooMany (with retry_after) once `limit`, e.g. "20/hour", is spent."""
    settings = get_settings()
    if not settings.rate_limits_enabled:
        return
    item = parse(limit)
    limiter = _limiter(settings.rate_limit_storage)
    if not limiter.hit(item, scope, key):
        reset_at, _remaining = limiter.get_window_stats(item, scope, key)
        raise TooMany(
            "That was a lot in a short time, so we paused it. Please wait a little, then try again.",
            retry_after=max(1, int(reset_at - time.time()) + 1),
        )
