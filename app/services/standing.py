"""A member's standing: whether they may write right now."""

from datetime import datetime

from app.errors import NotAllowed
from app.models import User
from app.services import timewords


def ensure_can_write(user: User, now: datetime) -> None:
    """Suspended members read but do not post, react or report; they are told until when."""
    if user.is_suspended(now):
        until = timewords.exact(user.suspended_until)
        raise NotAllowed(f"Your account is paused until {until}. You can still read everything.")


def ensure_can_moderate(user: User, now: datetime) -> None:
    """Only moderators act on reports and threads; a paused moderator reads, but does not act."""
    if not user.is_moderator:
        raise NotAllowed("This is for moderators.")
    ensure_can_write(user, now)
