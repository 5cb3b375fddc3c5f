"""What filtering and sorting need to know about a post, computed once per post object.

At 50,000 posts even reading ``submission.failed_runs`` once per post costs ~90 ms on
the target machines, and a filter runs on every keystroke. So the facts filters and sorts
use are derived once per :class:`Submission` *object* and cached while that object is
alive (a weak reference drops the entry when the snapshot holding the post goes away).
A poll that changes nothing (304) keeps the same objects, so their facts stay cached.

Cheap to call from any thread: the cache is a dict guarded by the GIL, and computing the
same facts twice in a race is harmless.
"""

from __future__ import annotations

import sys
import weakref
from collections.abc import Iterable
from typing import Final

from soku_tui.core.models import Run, Submission, platform_name

__all__ = ["PostFacts", "RunFacts", "cache_size", "facts", "run_facts", "warm"]

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

    __slots__ = ("_haystack", "platforms", "runs", "when", "worst_status")

    def __init__(self, submission: Submission) -> None:
        all_runs = submission.runs
        failed = [run for run in all_runs if run.status == "failed"]
        chosen = failed or all_runs
        self.runs: tuple[RunFacts, ...] = tuple(run_facts(run) for run in chosen)
        moment = submission.updated_at or submission.created_at
        self.when: float = moment.timestamp() if moment is not None else float("-inf")
        statuses = [run.error.status for run in failed if run.error and run.error.status]
        self.worst_status: int = max(statuses) if statuses else -1
        self.platforms: tuple[str, ...] = tuple(
            sorted({_intern(platform_name(run.platform)) for run in chosen})
        )
        self._haystack: str | None = None

    def haystack(self, submission: Submission) -> str:
        """Casefolded searchable text: caption, post id, and per run (failed runs, or all
        when none failed) platform code and name, account, message, code, request id."""
        if self._haystack is None:
            parts = [submission.caption(), submission.post_submission_id]
            runs = submission.failed_runs or submission.runs
            for run in runs:
                parts.append(run.platform)
                parts.append(platform_name(run.platform))
                if run.account_id:
                    parts.append(run.account_id)
                error = run.error
                if error is not None:
                    parts.append(error.message)
                    if error.code:
                        parts.append(error.code)
                    if error.request_id:
                        parts.append(error.request_id)
            self._haystack = _SEP.join(parts).casefold()
        return self._haystack


class _Ref(weakref.ref[Submission]):
    __slots__ = ("key",)
    key: int


_CACHE: dict[int, tuple[_Ref, PostFacts]] = {}


def _forget(ref: weakref.ref[Submission]) -> None:
    key = ref.key  # type: ignore[attr-defined]
    entry = _CACHE.get(key)
    if entry is not None and entry[0] is ref:
        del _CACHE[key]


def facts(submission: Submission) -> PostFacts:
    """The facts of ``submission``, from the cache while the object lives."""
    key = id(submission)
    entry = _CACHE.get(key)
    # The identity check guards against an entry whose clean-up has not run yet.
    if entry is not None and entry[0]() is submission:
        return entry[1]
    computed = PostFacts(submission)
    ref = _Ref(submission, _forget)
    ref.key = key
    _CACHE[key] = (ref, computed)
    return computed


def warm(submissions: Iterable[Submission], *, text: bool = True) -> None:
    """Derive (and cache) the facts of every post now, e.g. in the poll worker right after
    a new snapshot arrives, so the first filter or sort on the UI thread is as cheap as
    the next. ``text``: also the free-text search string (the larger part)."""
    for submission in submissions:
        post = facts(submission)
        if text:
            post.haystack(submission)


def cache_size() -> int:
    """Posts with cached facts (for tests and benchmarks)."""
    return len(_CACHE)
