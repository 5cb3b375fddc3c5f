"""Headless renderers for ``soku-tui failed``: a table for people, JSON and CSV for scripts.

Every string that came from the server passes through :mod:`soku_tui.core.sanitize`
before it reaches stdout in the table and CSV; the JSON keeps the data exact but writes
every control, C1, bidi and line-separator character as a ``\\uXXXX`` escape, so no
format ever puts an ESC byte (or anything else a terminal obeys) on stdout.

JSON schema (``--json`` / ``--format json``), stable; new fields may be added, existing
ones never change meaning. Times are ISO 8601 UTC with a ``Z``; absent values are null::

    {
      "generated_at": "2026-03-01T12:00:00Z",   # when this report was made
      "base_url": "https://api.mysoku.io",      # the API asked
      "since": "2026-02-22T12:00:00Z",          # start of the window asked for
      "skipped": 0,                              # entries Soku sent that could not be read
      "posts": [                                 # one per failed submission, newest first
        {
          "post_id": "…",                        # Soku's postSubmissionId
          "status": "partially_failed",          # submission status, verbatim
          "created_at": "…", "updated_at": "…",
          "caption": "…",                        # post text from the stored request
          "runs": [                              # every platform run of the post
            {
              "target_id": "tiktok:tt_main",
              "platform": "tiktok",              # verbatim, unknown values kept
              "account_id": "tt_main",
              "status": "failed",                # run status, verbatim
              "http_status": 401,                # error.status, null when not failed
              "code": "unauthorized",            # error.code
              "message": "…",                    # error.message, the platform's text
              "request_id": "req_…",             # quote it to Soku support
              "attempt": 1,
              "retryable": false,                # see below
              "fix": {                           # null when the run did not fail
                "title": "401 Unauthorized",     # the failure, in a few words
                "meaning": "…",                  # what it means
                "summary": "…",                  # one line: what to do, names the platform
                "steps": ["…", "…"],             # what to do, in order
                "where": ["Settings > Integrations"]  # places in Soku's dashboard
              }
            }
          ],
          "ack": {                               # null when not acknowledged (local, see
            "by": "alice",                       #   soku_tui/core/acks.py): who,
            "at": "2026-03-01T11:58:00Z",        #   when,
            "note": "asked the client to reconnect TikTok",  # the note as typed, or null
            "covers_current_failures": true      # false: something failed since the ack
          }
        }
      ]
    }

``retryable`` is true for a failed run whose failure a retry can fix: per Soku's error
catalogue only HTTP 500. (Whether ``soku-tui retry`` would send it *now* also depends on
the local ledger and read-only mode.)

CSV (``--format csv``): one row per failed run, with a header row; columns are
:data:`CSV_COLUMNS`. Free-text cells are single lines; a cell that a spreadsheet would run
as a formula (starting with ``= + - @``) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final

import orjson

from soku_tui.core.catalog import Fix, fix_for
from soku_tui.core.models import Run, Submission, platform_name
from soku_tui.core.sanitize import one_line, pad_cells
from soku_tui.core.timestamps import iso_z

if TYPE_CHECKING:
    from soku_tui.core.acks import Ack

FORMATS: Final = ("table", "json", "csv")

CSV_COLUMNS: Final = (
    "post_id",
    "post_status",
    "created_at",
    "updated_at",
    "caption",
    "platform",
    "account_id",
    "run_status",
    "http_status",
    "code",
    "message",
    "request_id",
    "attempt",
    "retryable",
    "fix_title",
    "fix_where",
)


@dataclass(frozen=True, slots=True)
class FailedReport:
    """What ``soku-tui failed`` found, ready to render in any format."""

    generated_at: datetime
    base_url: str
    since: datetime
    skipped: int
    posts: tuple[Submission, ...]
    # Local acknowledgements by post id (soku_tui.core.acks), shown in the JSON.
    acks: Mapping[str, Ack] = field(default_factory=dict)

    @property
    def failed_runs(self) -> int:
        return sum(len(post.failed_runs) for post in self.posts)

    @property
    def retryable_runs(self) -> int:
        return sum(1 for post in self.posts for run in post.failed_runs if is_retryable(run))


def build_report(
    submissions: Iterable[Submission],
    *,
    base_url: str,
    since: datetime,
    skipped: int = 0,
    generated_at: datetime | None = None,
    acks: Mapping[str, Ack] | None = None,
) -> FailedReport:
    """Keep the submissions with a failed run, newest first (ties broken by id)."""
    failed = [post for post in submissions if post.failed_runs]
    failed.sort(key=lambda post: post.post_submission_id)
    failed.sort(key=_when_key, reverse=True)
    return FailedReport(
        generated_at=generated_at or datetime.now(UTC),
        base_url=base_url,
        since=since,
        skipped=skipped,
        posts=tuple(failed),
        acks=acks or {},
    )


def _when_key(post: Submission) -> float:
    when = post.when
    return when.timestamp() if when else float("-inf")


def fix_of(run: Run) -> Fix:
    error = run.error
    return fix_for(
        error.status if error else None, error.code if error else None, platform=run.platform
    )


def is_retryable(run: Run) -> bool:
    """A retry can help (the catalogue says so only for HTTP 500) and the run did fail.

    Whether the retry service would send one *now* (not already retried, not read-only)
    is ``soku-tui retry``'s business; this is the property of the failure itself.
    """
    return run.is_failed and fix_of(run).retryable


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso_z(moment)


# -- JSON -----------------------------------------------------------------------------------


def _fix_json(run: Run) -> dict[str, Any] | None:
    if not run.is_failed:
        return None
    fix = fix_of(run)
    return {
        "title": fix.title,
        "meaning": fix.meaning,
        "summary": fix.summary,
        "steps": list(fix.steps),
        "where": list(fix.where),
    }


def run_json(run: Run) -> dict[str, Any]:
    error = run.error
    return {
        "target_id": run.target_id,
        "platform": run.platform,
        "account_id": run.account_id,
        "status": run.status,
        "http_status": error.status if error else None,
        "code": error.code if error else None,
        "message": error.message if error else None,
        "request_id": error.request_id if error else None,
        "attempt": run.attempt,
        "retryable": is_retryable(run),
        "fix": _fix_json(run),
    }


def ack_json(ack: Ack | None, post: Submission) -> dict[str, Any] | None:
    """The ``ack`` object of a post (null when not acknowledged)."""
    if ack is None:
        return None
    return {
        "by": ack.by,
        "at": _iso(ack.at),
        "note": ack.note,
        "covers_current_failures": ack.covers(post),
    }


def post_json(post: Submission, ack: Ack | None = None) -> dict[str, Any]:
    return {
        "post_id": post.post_submission_id,
        "status": post.status,
        "created_at": _iso(post.created_at),
        "updated_at": _iso(post.updated_at),
        "caption": post.caption(),
        "runs": [run_json(run) for run in post.runs],
        "ack": ack_json(ack, post),
    }


def report_json(report: FailedReport) -> dict[str, Any]:
    return {
        "generated_at": _iso(report.generated_at),
        "base_url": report.base_url,
        "since": _iso(report.since),
        "skipped": report.skipped,
        "posts": [
            post_json(post, report.acks.get(post.post_submission_id)) for post in report.posts
        ],
    }


# Characters that are valid inside a JSON string but that a terminal may act on or that
# disguise text (C1 controls such as the 8-bit CSI, bidi overrides, line separators).
# orjson already escapes everything below U+0020.
_JSON_UNSAFE: Final = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]"
)


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def _safe_json(data: Any, *, indent: bool) -> str:
    try:
        text = orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent else 0).decode("utf-8")
    except orjson.JSONEncodeError:
        # A lone surrogate (a broken emoji) is not UTF-8; the stdlib writes it as \\udXXX.
        if indent:
            text = json.dumps(data, indent=2, ensure_ascii=True)
        else:
            text = json.dumps(data, separators=(",", ":"), ensure_ascii=True)
    return _JSON_UNSAFE.sub(_escape, text)


def render_json(report: FailedReport) -> str:
    return _safe_json(report_json(report), indent=True) + "\n"


def json_line(data: Any) -> str:
    """``data`` as one line of JSON (no newline at the end), escaped like ``render_json``:
    for JSON Lines output (``soku-tui watch --jsonl``)."""
    return _safe_json(data, indent=False)


# -- CSV ------------------------------------------------------------------------------------

_FORMULA_START: Final = ("=", "+", "-", "@")


def _csv_text(value: object) -> str:
    text = one_line(value) if value is not None else ""
    return "'" + text if text.startswith(_FORMULA_START) else text


def render_csv(report: FailedReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for post in report.posts:
        for run in post.failed_runs:
            error = run.error
            fix = _fix_json(run) or {}
            writer.writerow(
                [
                    _csv_text(post.post_submission_id),
                    _csv_text(post.status),
                    _iso(post.created_at) or "",
                    _iso(post.updated_at) or "",
                    _csv_text(post.caption()),
                    _csv_text(run.platform),
                    _csv_text(run.account_id),
                    _csv_text(run.status),
                    "" if error is None or error.status is None else str(error.status),
                    _csv_text(error.code if error else None),
                    _csv_text(error.message if error else None),
                    _csv_text(error.request_id if error else None),
                    str(run.attempt),
                    "true" if is_retryable(run) else "false",
                    _csv_text(fix.get("title")),
                    _csv_text("; ".join(fix.get("where", ()))),
                ]
            )
    return buffer.getvalue()


# -- table ----------------------------------------------------------------------------------

CAPTION_CELLS: Final = 60
_RUN_HEADINGS: Final = ("", "PLATFORM", "ACCOUNT", "RUN", "HTTP", "CODE", "MESSAGE")
_RUN_WIDTHS: Final = (1, 10, 16, 9, 4, 18)


def relative_age(moment: datetime | None, now: datetime) -> str:
    """``"3 h ago"``: coarse on purpose, the exact time is next to it."""
    if moment is None:
        return "time unknown"
    seconds = int((now - moment).total_seconds())
    if seconds < 0:
        return "in the future"
    for size, unit in ((86400, "d"), (3600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def _mark(run: Run) -> str:
    # Marks that survive NO_COLOR and copy-paste: the state is never in colour alone.
    if run.is_failed:
        return "↻" if is_retryable(run) else "✗"
    if run.status == "succeeded":
        return "✓"
    return "·"


def _row(cells: Sequence[str], widths: Sequence[int], last_width: int) -> str:
    parts = [pad_cells(cell, width) for cell, width in zip(cells, widths, strict=False)]
    parts.append(one_line(cells[-1], max(last_width, 10)))
    return ("  " + "  ".join(parts)).rstrip()


def render_table(report: FailedReport, *, width: int = 120, now: datetime | None = None) -> str:
    """Posts, each followed by its runs and, under each failed run, the fix."""
    current = now or report.generated_at
    lines = [_summary(report)]
    if report.skipped:
        lines.append(
            f"{report.skipped} entr{'y' if report.skipped == 1 else 'ies'} Soku sent could "
            "not be read and are not shown (run with --json to see what was read)"
        )
    fixed = sum(_RUN_WIDTHS) + 2 * len(_RUN_WIDTHS) + 2
    message_width = max(width - fixed, 20)
    for post in report.posts:
        when = post.when
        stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if when else "time unknown"
        caption = post.caption()
        shown_caption = f"“{one_line(caption, CAPTION_CELLS)}”" if caption else "(no caption)"
        lines.append("")
        lines.append(
            f"{one_line(post.post_submission_id)}  {one_line(post.status)}  "
            f"{stamp} ({relative_age(when, current)})"
        )
        lines.append(f"  {shown_caption}")
        lines.append(_row(_RUN_HEADINGS, _RUN_WIDTHS, message_width))
        for run in post.runs:
            lines.extend(_run_lines(run, message_width))
    if report.posts:
        lines.append("")
        lines.append("✗ failed (a person must act)   ↻ failed with 500: soku-tui retry POST_ID")
    return "\n".join(lines) + "\n"


def _run_lines(run: Run, message_width: int) -> list[str]:
    error = run.error
    cells = (
        _mark(run),
        platform_name(run.platform),
        run.account_id or "—",
        run.status,
        str(error.status) if error and error.status is not None else "",
        (error.code or "") if error else "",
        error.message if error else "",
    )
    lines = [_row(cells, _RUN_WIDTHS, message_width)]
    if run.is_failed:
        indent = " " * (2 + _RUN_WIDTHS[0] + 2)
        budget = max(message_width + sum(_RUN_WIDTHS[1:]) + 2 * len(_RUN_WIDTHS) - 4, 20)
        lines.append(indent + one_line(f"fix: {fix_of(run).summary}", budget))
    return lines


def _summary(report: FailedReport) -> str:
    since = report.since.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    origin = one_line(report.base_url)
    if not report.posts:
        return f"No failed posts on {origin} since {since}."
    posts = len(report.posts)
    return (
        f"{posts} failed post{'s' if posts != 1 else ''} on {origin} since {since}: "
        f"{report.failed_runs} failed run{'s' if report.failed_runs != 1 else ''}, "
        f"{report.retryable_runs} retryable"
    )


def render(report: FailedReport, fmt: str, *, width: int = 120) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "csv":
        return render_csv(report)
    return render_table(report, width=width)


__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "FailedReport",
    "ack_json",
    "build_report",
    "is_retryable",
    "json_line",
    "post_json",
    "relative_age",
    "render",
    "render_csv",
    "render_json",
    "render_table",
    "report_json",
    "run_json",
]
