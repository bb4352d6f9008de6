"""Domain errors: a status code and plain words. One handler (in app.web) renders them."""


class DomainError(Exception):
    status_code = 400
    title = "Something is not right"

    def __init__(self, message: str, *, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    status_code = 422
    title = "Please check what you entered"


class NotAllowed(DomainError):
    status_code = 403
    title = "That is not possible here"


class NotFound(DomainError):
    status_code = 404
    title = "We could not find that"


class Conflict(DomainError):
    status_code = 409
    title = "That has changed in the meantime"


class TooMany(DomainError):
    status_code = 429
    title = "Let's slow down a little"

    def __init__(self, message: str, *, retry_after: int = 60, fields: dict[str, str] | None = None):
        super().__init__(message, fields=fields)
        self.retry_after = retry_after


class SignInRequired(DomainError):
    status_code = 401
    title = "Please sign in"
