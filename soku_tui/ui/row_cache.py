"""Table rows for a snapshot, rebuilt only for the posts that changed.

Building a :class:`PostRow` (its runs, marks and retry verdicts) costs tens of µs; 50,000
of them on every poll is a second of CPU. Between two polls almost every post is the
very same object (see :mod:`soku_tui.core.pages`), so a row is reused when its post is
``is``-identical, its retry state, acknowledgement and mark are unchanged, and — only for
posts with a failed 500 run, the only ones whose verdicts depend on anything but the post
— the retry service's :meth:`~soku_tui.core.retry.RetryService.verdict_epoch` is equal.

Pure data, no widgets: safe to run in a worker thread, one call at a time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set

from soku_tui.core.models import Submission
from soku_tui.core.retry import RETRYABLE_STATUS
from soku_tui.ui.rows import CanRetry, post_row
from soku_tui.ui.widgets.post_rows import PostRow

# What a row shows besides its post: retry state, acknowledged, marked.
_Extra = tuple[str | None, bool, bool]
# Stands for the epoch of a row whose verdicts depend on its post alone.
_STATIC = object()


def _depends_on_epoch(submission: Submission) -> bool:
    return any(run.is_failed and run.http_status == RETRYABLE_STATUS for run in submission.runs)


class RowCache:
    """``rows(...)`` is ``build_rows(...)`` with memory."""

    def __init__(self) -> None:
        # post id → (post, extra, epoch it was built under or _STATIC, row)
        self._rows: dict[str, tuple[Submission, _Extra, object, PostRow]] = {}
        self.built = 0  # rows built (not reused) by the last call; for tests and benchmarks

    def rows(
        self,
        submissions: Iterable[Submission],
        can_retry: CanRetry,
        retry_states: Mapping[str, str] | None = None,
        *,
        acknowledged: Set[str] = frozenset(),
        marked: Set[str] = frozenset(),
        epoch: object = None,
    ) -> list[PostRow]:
        states = retry_states or {}
        old = self._rows
        new: dict[str, tuple[Submission, _Extra, object, PostRow]] = {}
        out: list[PostRow] = []
        built = 0
        for submission in submissions:
            post_id = submission.post_submission_id
            extra = (states.get(post_id), post_id in acknowledged, post_id in marked)
            hit = old.get(post_id)
            if (
                hit is None
                or hit[0] is not submission
                or hit[1] != extra
                or not (hit[2] is _STATIC or (epoch is not None and hit[2] == epoch))
            ):
                row = post_row(
                    submission, can_retry, extra[0], acknowledged=extra[1], marked=extra[2]
                )
                depends = epoch if _depends_on_epoch(submission) else _STATIC
                hit = (submission, extra, depends, row)
                built += 1
            new[post_id] = hit
            out.append(hit[3])
        self._rows = new
        self.built = built
        return out


__all__ = ["RowCache"]
