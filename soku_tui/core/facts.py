"""What filtering and sorting need to know about a post, computed once per post object.

At 50,000 posts even reading ``submission.failed_runs`` once per post costs ~90 ms on
the target machines, and a filter runs on every keystroke. So the facts filters and sorts
use are derived once per :class:`Submission` *object* and kept on that object (a slot
made for it), so they go when the snapshot holding the post goes. A poll that changes
nothing (304), or a post that did not change, keeps the same objects and their facts.

Cheap to call from any thread: storing the facts is one attribute write under the GIL,
and computing the same facts twice in a race is harmless.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any, Final, TypeVar

from soku_tui.core.models import Run, Submission, platform_name

__all__ = ["PostFacts", "RunFacts", "facts", "run_facts", "warm"]

_T = TypeVar("_T")

# (platform code casefolded, HTTP status or None, error code casefolded or None,
#  account id casefolded or None) of one run.
RunFacts = tuple[str, int | None, str | None, str | None]

# Fields of one post joined for free-text search; a needle never spans two fields.
_SEP: Final = "\x00"


def _intern(text: str) -> str:
    # Platforms, codes and accounts repeat across thousands of runs: keep one copy each.
    return sys.intern(text.casefold())


def run_facts(run: Run) -> RunFacts:
    """The facts of one run (uncached; :func:`facts` caches a whole post's)."""
    error = run.error
    code = error.code if error is not None else None
    return (
        _intern(run.platform),
        error.status if error is not None else None,
        _intern(code) if code else None,
        _intern(run.account_id) if run.account_id else None,
    )


class PostFacts:
    """Derived, read-only facts of one post.

    ``runs``: the failed runs (all runs when none failed), as :data:`RunFacts`.
    ``when``: ``Submission.when`` as a POSIX timestamp (``-inf`` when unknown).
    ``worst_status``: the highest HTTP status among failed runs (``-1`` when none).
    ``platforms``: casefolded display names of ``runs``' platforms, sorted, unique.
    """

    # The searchable text is kept in three strings, not one, for memory (50,000 posts):
    # the caption alone (often non-ASCII: one emoji makes a whole str 4 bytes a char),
    # the post's own ASCII ids, and the run texts (platform, account, message, code),
    # which repeat across thousands of posts and are shared (interned).
    __slots__ = ("_caption", "_own", "_shared", "platforms", "runs", "when", "worst_status")

    def __init__(self, submission: Submission) -> None:
        all_runs = submission.runs
        failed = [run for run in all_runs if run.status == "failed"]
        chosen = failed or all_runs
        self.runs: tuple[RunFacts, ...] = _share(tuple(_share(run_facts(run)) for run in chosen))
        moment = submission.updated_at or submission.created_at
        self.when: float = moment.timestamp() if moment is not None else float("-inf")
        statuses = [run.error.status for run in failed if run.error and run.error.status]
        self.worst_status: int = max(statuses) if statuses else -1
        self.platforms: tuple[str, ...] = _share(
            tuple(sorted({_intern(platform_name(run.platform)) for run in chosen}))
        )
        self._caption: str | None = None
        self._own = ""
        self._shared = ""

    def _derive_text(self, submission: Submission) -> str:
        own = [submission.post_submission_id]
        shared: list[str] = []
        for run in submission.failed_runs or submission.runs:
            shared.append(run.platform)
            shared.append(platform_name(run.platform))
            if run.account_id:
                shared.append(run.account_id)
            error = run.error
            if error is not None:
                shared.append(error.message)
                if error.code:
                    shared.append(error.code)
                if error.request_id:
                    own.append(error.request_id)
        self._own = _SEP.join(own).casefold()
        self._shared = sys.intern(_SEP.join(shared).casefold())
        caption = self._caption = submission.caption().casefold()
        return caption

    def contains(self, submission: Submission, needle: str) -> bool:
        """Whether casefolded ``needle`` is in the searchable text: caption, post id, and
        per run (failed runs, or all when none failed) platform code and name, account,
        message, code, request id. A needle never spans two of these fields."""
        caption = self._caption
        if caption is None:
            caption = self._derive_text(submission)
        return needle in caption or needle in self._own or needle in self._shared

    def warm_text(self, submission: Submission) -> None:
        """Derive the searchable text now (the larger part of the facts)."""
        if self._caption is None:
            self._derive_text(submission)


# Identical run facts and platform tuples repeat across thousands of posts: one shared
# tuple each. Bounded: a server sending endless distinct accounts only loses the sharing.
_SHARED: dict[Any, Any] = {}
_MAX_SHARED: Final = 8192


def _share(value: _T) -> _T:
    found: _T | None = _SHARED.get(value)
    if found is not None:
        return found
    if len(_SHARED) >= _MAX_SHARED:
        _SHARED.clear()
    _SHARED[value] = value
    return value


def facts(submission: Submission) -> PostFacts:
    """The facts of ``submission``, computed once and kept on the post object itself (a
    slot of :class:`Submission`: no cache to look up or clean, and gone with the post)."""
    found: PostFacts | None = getattr(submission, "_facts", None)
    if found is not None:
        return found
    computed = PostFacts(submission)
    # Frozen dataclass: the slot is ours (models.Submission), not a field.
    object.__setattr__(submission, "_facts", computed)
    return computed


def warm(submissions: Iterable[Submission]) -> None:
    """Derive (and cache) the facts of every post now, with its free-text search string,
    e.g. for the new posts of a poll right after it arrives, so the first filter or sort
    is as cheap as the next."""
    for submission in submissions:
        facts(submission).warm_text(submission)
