"""Domain errors: a status code and plain words. One handler (in app.web) renders them.

The words for each status live here, once: an error page's title and, when nothing more precise
was said, what to do next. Domain errors and the web layer's own error pages both read them.
"""

STATUS_WORDS: dict[int, tuple[str, str]] = {
    400: ("That request did not make sense to us", "Please go back and try again."),
    401: ("Please sign in", "Please sign in first."),
    403: ("That is not possible here", "You do not have permission to do that."),
    404: ("We could not find that page", "It may have been moved or deleted, or the address has a typo."),
    405: ("That is not possible here", "This page cannot be used that way."),
    409: ("That has changed in the meantime", "Please reload the page and try again."),
    413: (
        "That is more than we can take",
        "What you sent is too large. Your browser's back button keeps your text.",
    ),
    422: ("Please check what you entered", "Some of what you sent could not be understood."),
    429: ("Let's slow down a little", "Please wait a moment, then try again."),
    431: (
        "That request was more than we can take",
        "Your browser sent more with it than we accept. Clearing this site's cookies usually helps.",
    ),
    500: (
        "Something went wrong on our side",
        "It is not your fault. Your words were not lost if you go back; please try again in a moment.",
    ),
    503: ("The forum cannot save or show posts for a moment", "Please try again in a minute."),
}
# What a 503 says beside the words someone wrote: on the error page, or in their form.
UNAVAILABLE_KEPT = "Nothing you wrote is lost: it is below, copy it if you like, and try again in a minute."
UNAVAILABLE_IN_FORM = (
    "The forum cannot save or show posts for a moment. Nothing you wrote is lost: it is still in the form "
    "below, copy it if you like, and try again in a minute."
)


def words_for(status: int) -> tuple[str, str]:
    """(title, what to do) for a status; a status without words of its own gets those of 400."""
    return STATUS_WORDS.get(status, STATUS_WORDS[400])


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    @property
    def title(self) -> str:
        return words_for(self.status_code)[0]


class InvalidInput(DomainError):
    status_code = 422


class NotAllowed(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class TooMany(DomainError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int = 60, fields: dict[str, str] | None = None):
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class StorageUnavailable(DomainError):
    """The database is away, read-only or full: nothing was saved, and trying again soon may work."""

    status_code = 503
    retry_after = 30

    def __init__(self, message: str = UNAVAILABLE_IN_FORM):
        super().__init__(message)


class SignInRequired(DomainError):
    status_code = 401


class CheckFirst(DomainError):
    """Not a failure: a draft that suggests danger comes back once, with help, before it is stored."""

    status_code = 200
    crisis_prompt = True
