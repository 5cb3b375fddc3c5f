"""Typed failures of talking to Soku.

Every failure the client can meet becomes one of these, so callers branch on type
and HTTP status, never on message text. No error ever carries the API key: the
client never puts headers into an error, and messages are built from our own words
plus (sanitised later) server text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


class SokuError(Exception):
    """Base of every failure talking to Soku. ``str(err)`` is a sentence a user can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SokuUnreachable(SokuError):
    """No HTTP answer at all: DNS, refused connection, reset, TLS, or a time-out."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        # One of: "timeout", "connect", "reset", "protocol", "other".
        self.reason = reason


class SokuApiError(SokuError):
    """Soku (or a proxy in front of it) answered with a non-2xx status."""

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: str | None = None,
        error_type: str | None = None,
        server_message: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
        details: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.error_type = error_type
        # Soku's own text, untrusted: sanitise before showing.
        self.server_message = server_message
        self.request_id = request_id
        # Seconds to wait before asking again, from Retry-After or X-RateLimit-Reset.
        self.retry_after = retry_after
        self.details = details or {}

    @property
    def is_auth_problem(self) -> bool:
        """401 or 403: the key, a token, or the subscription; waiting will not fix it."""
        return self.status in (401, 403)

    @property
    def is_rate_limited(self) -> bool:
        return self.status == 429


class SokuBadResponse(SokuError):
    """A 2xx answer we cannot use: not JSON, the wrong shape, or too big."""

    def __init__(self, message: str, *, status: int, kind: str) -> None:
        super().__init__(message)
        self.status = status
        # One of: "malformed_json", "wrong_shape", "too_large".
        self.kind = kind


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What the X-RateLimit-* headers of one answer said (each may be missing)."""

    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None
