"""Domain errors: raised by services with a Chinese message, turned into 4xx by the API."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain forbids the change; `field` names the input at fault, if any."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = message
        self.field = field
        self.code = code


class ConflictError(DomainError):
    """The object's state does not allow the change (e.g. already published)."""

    status_code = 409


class CredentialsError(DomainError):
    status_code = 401


class ThrottledError(DomainError):
    """Too many attempts; `retry_after` (seconds), when known, is sent as `Retry-After`."""

    status_code = 429

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str = "throttled",
        retry_after: int | None = None,
    ):
        super().__init__(message, field=field, code=code)
        self.retry_after = retry_after
