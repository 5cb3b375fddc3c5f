"""Snapshot → table rows: pure data, no widgets, so it is cheap to test and to run often."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Set

from soku_tui.core.models import Run, Submission
from soku_tui.ui.widgets.post_rows import PlatformMark, PostRow, RunRow

# Decides whether one run may be retried right now; None = yes, else the reason.
CanRetry = Callable[[Submission, str | None], str | None]


def run_row(submission: Submission, run: Run, can_retry: CanRetry) -> RunRow:
    error = run.error
    return RunRow(
        target_id=run.target_id,
        platform=run.platform,
        account=run.account_id,
        status=run.status,
        http_status=error.status if error else None,
        code=error.code if error else None,
        message=error.message if error else "",
        attempt=run.attempt,
        retryable=can_retry(submission, run.target_id) is None,
    )


def platform_marks(submission: Submission) -> tuple[PlatformMark, ...]:
    marks: list[PlatformMark] = []
    for run in submission.runs:
        if run.status == "succeeded":
            ok: bool | None = True
        elif run.is_failed:
            ok = False
        else:
            ok = None  # queued, processing, unknown
        marks.append(PlatformMark(run.platform, ok, run.http_status if run.is_failed else None))
    return tuple(marks)


def post_row(
    submission: Submission,
    can_retry: CanRetry,
    retry_state: str | None = None,
    *,
    acknowledged: bool = False,
    marked: bool = False,
) -> PostRow:
    runs = tuple(run_row(submission, run, can_retry) for run in submission.runs)
    return PostRow(
        post_id=submission.post_submission_id,
        when=submission.when,
        caption=submission.caption(),
        platforms=platform_marks(submission),
        worst_status=submission.worst_status,
        retryable=sum(1 for run in runs if run.retryable),
        retry_state=retry_state,
        runs=runs,
        acknowledged=acknowledged,
        marked=marked,
    )


def build_rows(
    submissions: Iterable[Submission],
    can_retry: CanRetry,
    retry_states: Mapping[str, str] | None = None,
    *,
    acknowledged: Set[str] = frozenset(),
    marked: Set[str] = frozenset(),
) -> list[PostRow]:
    states = retry_states or {}
    return [
        post_row(
            s,
            can_retry,
            states.get(s.post_submission_id),
            acknowledged=s.post_submission_id in acknowledged,
            marked=s.post_submission_id in marked,
        )
        for s in submissions
    ]
