"""What is newly failing since the last look, as one short message.

"New" means a failed run nobody has been shown yet: every failed run of a post that was
not listed before, and the failed runs a listed post did not have before (keyed by
target and attempt, so a run that fails again at a new attempt is new, while a message
that merely changes is not). Resolved posts and posts that only got better are never
news.

Two ways in:

* :func:`new_failures` compares any two snapshots: the last poll and this one (the
  notification), or the snapshot at pause time and now ("+N new failures since pause").
* :class:`FailureNotifier` follows :class:`~soku_tui.core.monitor.MonitorUpdate` objects
  and answers only for completed good polls after the first: the first load is
  everything, not news; progress updates of a load and failed polls are skipped.

The message names platforms and HTTP statuses, grouped and counted, worst first:
``3 new failures: X 500, TikTok 401 ×2`` — sanitised, at most :data:`MAX_GROUPS` groups.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from soku_tui.core.models import Run, Submission, platform_name
from soku_tui.core.monitor import MonitorUpdate, Snapshot, SnapshotDiff, diff_snapshots, sort_key
from soku_tui.core.sanitize import one_line

__all__ = ["MAX_GROUPS", "FailureNotifier", "NewFailure", "Notice", "new_failures", "summarize"]

MAX_GROUPS: Final = 3


@dataclass(frozen=True, slots=True)
class NewFailure:
    """One post with runs newly failing. ``is_new_post``: the post itself was not listed."""

    submission: Submission
    runs: tuple[Run, ...]
    is_new_post: bool

    @property
    def post_id(self) -> str:
        return self.submission.post_submission_id


@dataclass(frozen=True, slots=True)
class Notice:
    """What to tell the user. ``message`` is one terminal-safe line; ``title`` is for a
    desktop notification."""

    failures: tuple[NewFailure, ...]
    message: str
    title: str

    @property
    def run_count(self) -> int:
        return sum(len(f.runs) for f in self.failures)

    @property
    def post_ids(self) -> tuple[str, ...]:
        return tuple(f.post_id for f in self.failures)


def _keys(runs: Sequence[Run]) -> set[tuple[str, int]]:
    return {(run.target_id, run.attempt) for run in runs}


def new_failures(
    old: Snapshot, new: Snapshot, diff: SnapshotDiff | None = None
) -> tuple[NewFailure, ...]:
    """Runs failing in ``new`` that were not failing in ``old``, per post, in ``new``'s
    order (newest first).

    ``diff`` must be ``diff_snapshots(old, new)`` if given (the monitor's own, when ``old``
    is its previous snapshot); it only narrows which posts are looked at.
    """
    diff = diff if diff is not None else diff_snapshots(old, new)
    candidates = set(diff.added) | set(diff.changed)
    if not candidates:
        return ()
    found: list[NewFailure] = []
    # The candidates (1% of posts in a busy poll) in ``new``'s order: a snapshot is sorted
    # by ``sort_key``, so sorting the few candidates by it gives their order without a
    # pass over all 50,000 posts (measured: 15-25 ms on the event loop, every poll).
    picked = sorted(filter(None, map(new.by_id.get, candidates)), key=sort_key)
    for submission in picked:
        post_id = submission.post_submission_id
        failed = submission.failed_runs
        before = old.get(post_id)
        if before is None:
            if failed:
                found.append(NewFailure(submission, failed, is_new_post=True))
            continue
        known = _keys(before.failed_runs)
        fresh = tuple(run for run in failed if (run.target_id, run.attempt) not in known)
        if fresh:
            found.append(NewFailure(submission, fresh, is_new_post=False))
    return tuple(found)


def summarize(failures: Sequence[NewFailure], *, max_groups: int = MAX_GROUPS) -> str:
    """``"3 new failures: X 500, TikTok 401 ×2"`` (runs counted; ``""`` when none)."""
    groups: Counter[tuple[str, int | None]] = Counter(
        (run.platform, run.http_status) for failure in failures for run in failure.runs
    )
    total = sum(groups.values())
    if not total:
        return ""
    # Worst status first (5xx before 4xx), then the most frequent, then by name.
    ordered = sorted(
        groups.items(),
        key=lambda item: (-(item[0][1] or 0), -item[1], platform_name(item[0][0]).casefold()),
    )
    parts = []
    for (platform, status), count in ordered[:max_groups]:
        label = one_line(platform_name(platform), 20)
        if status is not None:
            label += f" {status}"
        parts.append(label + (f" ×{count}" if count > 1 else ""))
    more = " …" if len(ordered) > max_groups else ""
    noun = "failure" if total == 1 else "failures"
    return f"{total} new {noun}: {', '.join(parts)}{more}"


def _notice(failures: tuple[NewFailure, ...]) -> Notice | None:
    if not failures:
        return None
    count = sum(len(f.runs) for f in failures)
    title = f"Soku: {count} new publishing failure{'s' if count != 1 else ''}"
    return Notice(failures, summarize(failures), title)


class FailureNotifier:
    """Feed it every ``MonitorUpdate``, in order; it returns a :class:`Notice` when a
    completed poll brought new failures, else None. Never on the first completed load.

    It reuses the monitor's diff, so it must see every update (the app's update handler
    is the place). If updates were skipped, call ``reset()`` — the next poll becomes the
    new baseline — or compare snapshots with :func:`new_failures` (≈250 ms at 50k posts:
    do that in a worker). ``reset()`` is also right after switching profiles: another
    account's failures are not news.

    For "+N new failures since pause", add up ``Notice.run_count`` (or collect
    ``Notice.post_ids``) of the notices that arrive while paused.
    """

    def __init__(self) -> None:
        self._baseline: Snapshot | None = None

    def reset(self) -> None:
        self._baseline = None

    @property
    def has_baseline(self) -> bool:
        return self._baseline is not None

    def observe(self, update: MonitorUpdate) -> Notice | None:
        if update.loading or update.polling or update.snapshot.fetched_at is None:
            return None  # a partial load, a poll starting, or nothing good yet
        baseline, self._baseline = self._baseline, update.snapshot
        if baseline is None or baseline is update.snapshot:
            return None
        if update.diff.empty:
            return None  # a 304 or a poll that changed nothing
        # The monitor's diff is against its previous good snapshot, which is our baseline
        # as long as we are fed every update; recomputing it costs ~250 ms at 50k posts.
        return _notice(new_failures(baseline, update.snapshot, update.diff))
