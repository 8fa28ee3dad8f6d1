"""Errors the domain layer raises; views turn them into form errors or 404s."""


class DomainError(Exception):
    """A rule of the service was broken; ``field`` names the form field when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """The object does not exist (or must not be revealed to this user)."""
