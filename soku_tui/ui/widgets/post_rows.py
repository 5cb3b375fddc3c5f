"""What the screen hands the failed-posts table: plain, frozen data, one object per post.

Rows are compared by value (``==``) when the table decides whether a visible line
changed, and hashed as part of a render-cache key, so every field is immutable. All
text fields hold untrusted server text; the table sanitises it when it renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

PostKey: TypeAlias = str
"""A post's row key: its ``postSubmissionId``."""

RunKey: TypeAlias = tuple[str, str]
"""A platform run's row key: ``(post_id, target_id)``."""

RowKey: TypeAlias = PostKey | RunKey


@dataclass(frozen=True, slots=True)
class PlatformMark:
    """One platform of a post, as a compact mark in the Platforms column."""

    platform: str
    ok: bool | None  # True succeeded, False failed, None still pending / unknown
    status: int | None  # HTTP status of a failed run


@dataclass(frozen=True, slots=True)
class RunRow:
    """One platform run, shown as a child row under its expanded post."""

    target_id: str
    platform: str
    account: str | None
    status: str
    http_status: int | None
    code: str | None
    message: str
    attempt: int
    retryable: bool


@dataclass(frozen=True, slots=True)
class PostRow:
    """One failed post: a top-level row of the table."""

    post_id: str
    when: datetime | None
    caption: str
    platforms: tuple[PlatformMark, ...]
    worst_status: int | None
    retryable: int
    retry_state: str | None  # e.g. "retrying…", "retried → ok", "failed again"
    runs: tuple[RunRow, ...]
    acknowledged: bool = False
    marked: bool = False


__all__ = ["PlatformMark", "PostKey", "PostRow", "RowKey", "RunKey", "RunRow"]
