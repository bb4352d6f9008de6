"""Rate limits that hold across workers and hosts, kept by the `limits` library.

Storage is `PEERBEARING_RATE_LIMIT_STORAGE`: `memory://` (one process only: fine for a
single worker and for tests) or `redis://host:port/db`, shared by every worker on every host.

The limits, and whom they count:

| scope        | key                       | limit                                           |
|--------------|---------------------------|-------------------------------------------------|
| sign_in      | the name skeleton, hashed | 10 per 15 minutes                               |
| sign_in      | the client                | 30 per 15 minutes                               |
| passphrase   | the member                | 10 per 15 minutes                               |
| passphrase   | the client                | 30 per 15 minutes                               |
| join         | the client                | 5 per hour                                      |
| thread       | the member                | 5 per hour; 2 per hour in an account's first day |
| reply        | the member                | 1 per 10 seconds and 60 per hour;               |
|              |                           | 1 per 30 seconds and 60 per hour the first day  |
| react        | the member                | 60 per minute                                   |
| report       | the member                | 20 per day                                      |
| search       | the client                | 30 per minute                                   |
| talk         | the member                | 1 per 5 seconds and 30 per hour                 |

"The client" is `client_key(ip)`: an HMAC of the address (IPv6 grouped to its /64) under a
key that changes every UTC day, so neither the limiter's storage nor anything else holds a
raw address, and yesterday's keys cannot be linked to today's. Signing in and recovery share
the sign_in limits (both cost an argon2 hash); a signed-in member's passphrase checks (changing
it, a new recovery code, deleting the account) have the same limits of their own.

Routes call the helpers below on the line after `keep_form`, before the service: a limit is
about how fast someone acts over HTTP, not a rule of the forum, so the services stay free of
client keys, and a refusal still shows the form with the typed text (429, Retry-After).
"""

import hashlib
import hmac
import ipaddress
import logging
import math
import threading
import time
from datetime import UTC, date, datetime, timedelta

from limits import RateLimitItem, parse_many
from limits.errors import StorageError
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.config import REDIS_SCHEMES, Settings, get_settings
from app.errors import TooMany
from app.models import User, utcnow
from app.services import pseudonyms, timewords

log = logging.getLogger("peerbearing.ratelimit")

KEY_PREFIX = "peerbearing"

SIGN_IN_PER_NAME = "10 per 15 minutes"
SIGN_IN_PER_CLIENT = "30 per 15 minutes"
JOINS = "5 per hour"
THREADS, THREADS_NEW_ACCOUNT = "5 per hour", "2 per hour"
REPLIES, REPLIES_NEW_ACCOUNT = "1 per 10 seconds; 60 per hour", "1 per 30 seconds; 60 per hour"
REACTIONS = "60 per minute"
REPORTS = "20 per day"
SEARCHES = "30 per minute"
TALK = "1 per 5 seconds; 30 per hour"  # a member's messages to the moderators (moderators are not limited)
NEW_ACCOUNT = timedelta(days=1)

# What someone is told, before "Please wait about N minutes, then try again."
REASONS = {
    "sign_in": "You have tried to sign in many times.",
    "passphrase": "You have tried your passphrase many times.",
    "join": "Several accounts were made from this connection in a short time.",
    "thread": "You have started several threads in a short time.",
    "reply": "You are replying faster than we can take; your reply is kept below.",
    "react": "You have given a lot of encouragement in a short time.",
    "report": "You have sent many reports today. Thank you for looking out for others.",
    "search": "You have searched many times in a short time.",
    "talk": "You have sent several messages in a short time; your message is kept below.",
}
DEFAULT_REASON = "You have done that many times in a short time."


# --- the limiter: one per settings object, so tests that change settings get a fresh one ---

_lock = threading.Lock()
_cached: tuple[Settings, MovingWindowRateLimiter] | None = None


def make_storage(url: str, *, key_prefix: str = KEY_PREFIX) -> Storage:
    if url.startswith(REDIS_SCHEMES):
        # Short timeouts: a slow Redis must not hold requests; errors are wrapped so we can fail open.
        return storage_from_string(
            url, key_prefix=key_prefix, wrap_exceptions=True, socket_timeout=1, socket_connect_timeout=1
        )
    return storage_from_string(url)


def make_limiter(url: str, *, key_prefix: str = KEY_PREFIX) -> MovingWindowRateLimiter:
    # Moving window: no burst of twice the limit around a window's edge, as fixed windows allow.
    return MovingWindowRateLimiter(make_storage(url, key_prefix=key_prefix))


def limiter() -> MovingWindowRateLimiter:
    """The limiter for the current settings (rebuilt when the settings cache is cleared)."""
    global _cached
    settings = get_settings()
    cached = _cached
    if cached is None or cached[0] is not settings:
        with _lock:
            if _cached is None or _cached[0] is not settings:
                _cached = (settings, make_limiter(settings.rate_limit_storage))
            cached = _cached
    return cached[1]


# --- the one primitive -------------------------------------------------------------------


def hit(scope: str, key: str, limit: str) -> None:
    """Count one action of `scope` by `key`; over `limit` ("10 per 15 minutes"; several with ";")
    raise TooMany with plain words and the seconds until a try would succeed."""
    if not get_settings().rate_limits_enabled:
        return
    items: list[RateLimitItem] = parse_many(limit)
    lim = limiter()
    try:
        for item in items:
            if not lim.hit(item, scope, key):
                reset = lim.get_window_stats(item, scope, key).reset_time
                retry_after = max(1, math.ceil(reset - time.time()))
                reason = REASONS.get(scope, DEFAULT_REASON)
                raise TooMany(
                    f"{reason} Please wait {timewords.wait(retry_after)}, then try again.",
                    retry_after=retry_after,
                )
    except StorageError as exc:
        # Fail open: a Redis outage must not lock everyone out of a support forum.
        log.warning(
            "rate-limit storage unavailable (%s); %s not limited", type(exc.storage_error).__name__, scope
        )


# --- who is counted ----------------------------------------------------------------------


def normalise_ip(ip: str) -> str:
    """IPv4 as is; IPv6 grouped to its /64 (one household or phone gets a whole /64)."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return f"other:{ip.strip()}"
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.ipv4_mapped is not None:
            return str(addr.ipv4_mapped)
        return str(ipaddress.IPv6Network((addr, 64), strict=False))
    return str(addr)


def client_key(ip: str, *, day: date | None = None) -> str:
    """A keyed hash of the client's address; the key rotates every UTC day. Never the address."""
    day = day or datetime.now(UTC).date()
    key = f"{get_settings().secret_key}:client:{day.isoformat()}".encode()
    return hmac.new(key, normalise_ip(ip).encode(), hashlib.sha256).hexdigest()[:32]


def _name_key(pseudonym: str) -> str:
    # The uniqueness key (UTS #39 skeleton), so look-alike spellings share one limit; hashed so the
    # store holds no names.
    key = f"{get_settings().secret_key}:sign-in-name".encode()
    return hmac.new(key, pseudonyms.skeleton(pseudonym).encode(), hashlib.sha256).hexdigest()[:32]


def _is_new(user: User) -> bool:
    return user.created_at is not None and utcnow() - user.created_at < NEW_ACCOUNT


# --- one line in each route --------------------------------------------------------------


def sign_in(*, pseudonym: str, client: str) -> None:
    hit("sign_in", f"client:{client}", SIGN_IN_PER_CLIENT)
    hit("sign_in", f"name:{_name_key(pseudonym)}", SIGN_IN_PER_NAME)


def passphrase_check(*, user: User, client: str) -> None:
    """Like sign_in, for a signed-in member typing their passphrase again."""
    hit("passphrase", f"client:{client}", SIGN_IN_PER_CLIENT)
    hit("passphrase", f"member:{user.id}", SIGN_IN_PER_NAME)


def join(*, client: str) -> None:
    hit("join", client, JOINS)


def new_thread(*, user: User) -> None:
    hit("thread", str(user.id), THREADS_NEW_ACCOUNT if _is_new(user) else THREADS)


def reply(*, user: User) -> None:
    hit("reply", str(user.id), REPLIES_NEW_ACCOUNT if _is_new(user) else REPLIES)


def react(*, user: User) -> None:
    hit("react", str(user.id), REACTIONS)


def report(*, user: User) -> None:
    hit("report", str(user.id), REPORTS)


def search(*, client: str) -> None:
    hit("search", client, SEARCHES)


def talk(*, user: User) -> None:
    hit("talk", str(user.id), TALK)
