"""Orders of the failed-posts table: by time, platform or status, always total and stable.

Every order ends in the post id, so two posts never compare equal and rows never swap
places between two refreshes of the same data. Each key's natural direction is the one an
on-call person wants on top:

* ``time``: newest first (``Submission.when``; posts without a time last), then post id.
* ``platform``: by the failed platforms' display names, A→Z (a post that failed on
  Facebook and X sorts as "Facebook"), then newest first, then post id.
* ``status``: worst HTTP status first (5xx before 4xx, 500 before 401; posts without a
  status last), then newest first, then post id.

``reverse=True`` flips the primary key only; the tie-breaks keep their direction, so the
result is still deterministic.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final, Literal, get_args

from soku_tui.core.facts import facts
from soku_tui.core.models import Submission

__all__ = ["SORT_KEYS", "SortKey", "next_sort_key", "sort_submissions"]

SortKey = Literal["time", "platform", "status"]
SORT_KEYS: Final[tuple[SortKey, ...]] = get_args(SortKey)


def _by_time(submission: Submission) -> tuple[float, str]:
    return (-facts(submission).when, submission.post_submission_id)


def _by_status(submission: Submission) -> tuple[int, float, str]:
    post = facts(submission)
    return (-post.worst_status, -post.when, submission.post_submission_id)


def _by_platform(submission: Submission) -> tuple[int, tuple[str, ...], float, str]:
    post = facts(submission)
    # Posts with no platform at all go last in the A→Z order.
    return (0 if post.platforms else 1, post.platforms, -post.when, submission.post_submission_id)


def _platform_only(submission: Submission) -> tuple[int, tuple[str, ...]]:
    platforms = facts(submission).platforms
    return (0 if platforms else 1, platforms)


def sort_submissions(
    items: Iterable[Submission], key: SortKey = "time", reverse: bool = False
) -> list[Submission]:
    """A new list of ``items`` in the ``key`` order (see the module docstring).

    The per-post facts are cached (:mod:`soku_tui.core.facts`), and input already in
    order (a snapshot is kept newest first) sorts in near-linear time.
    """
    if key == "time":
        ordered = sorted(items, key=_by_time)
        if reverse:
            # Oldest first, ties still by ascending id.
            ordered.sort(key=lambda s: facts(s).when)
        return ordered
    if key == "status":
        ordered = sorted(items, key=_by_status)
        if reverse:
            ordered.sort(key=lambda s: facts(s).worst_status)
        return ordered
    if key == "platform":
        ordered = sorted(items, key=_by_platform)
        if reverse:
            # Stable, so equal platform sets keep newest-first-then-id.
            ordered.sort(key=_platform_only, reverse=True)
        return ordered
    raise ValueError(f"unknown sort key {key!r}; expected one of {', '.join(SORT_KEYS)}")


def next_sort_key(key: SortKey) -> SortKey:
    """The key after ``key`` in ``SORT_KEYS`` (for a "cycle sort" binding)."""
    return SORT_KEYS[(SORT_KEYS.index(key) + 1) % len(SORT_KEYS)]
