"""Small cryptographic helpers: random tokens, their hashes, HMAC-bound CSRF tokens."""

import hashlib
import hmac
import secrets

from app.config import get_settings


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_for(binding: str) -> str:
    """A CSRF token bound to one session (or one anonymous visitor cookie)."""
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()


def csrf_ok(binding: str, given: str) -> bool:
    return bool(given) and hmac.compare_digest(csrf_for(binding), given)
