"""The headless renderers with hostile server text: safe on a terminal, exact as data."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from soku_tui.core.models import Submission
from soku_tui.core.sanitize import cell_width
from soku_tui.output import CSV_COLUMNS, build_report, render_csv, render_json, render_table
from tests.core.hostile_corpus import HOSTILE, assert_terminal_safe

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def submission(text: str, *, post_id: str = "p-1", minutes_ago: int = 5) -> Submission:
    """A post whose every server-sent string is ``text`` (caption, ids, message, code…)."""
    when = (NOW - timedelta(minutes=minutes_ago)).isoformat()
    return Submission.model_validate(
        {
            "postSubmissionId": post_id,
            "status": "partially_failed",
            "createdAt": when,
            "updatedAt": when,
            "request": {"post": {"content": {"text": text, "platform": ["x", "tiktok"]}}},
            "runs": [
                {
                    "targetId": f"x:{text}",
                    "platform": "x",
                    "accountId": text,
                    "status": "failed",
                    "error": {"status": 500, "code": text, "message": text, "requestId": text},
                },
                {
                    "targetId": "tiktok:tt",
                    "platform": text,
                    "accountId": "tt",
                    "status": "failed",
                    "error": {"status": 401, "code": "unauthorized", "message": text},
                },
                {"targetId": "threads:t", "platform": "threads", "status": "succeeded"},
            ],
        }
    )


def report_of(*posts: Submission) -> Any:
    return build_report(
        posts, base_url="http://127.0.0.1:1", since=NOW - timedelta(days=7), generated_at=NOW
    )


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_every_format_is_terminal_safe_with_hostile_text(text: str) -> None:
    report = report_of(submission(text))
    for line in render_table(report, width=100).splitlines():
        assert_terminal_safe(line)
    for line in render_csv(report).splitlines():
        assert_terminal_safe(line)
    assert_terminal_safe(render_json(report), allow_newline=True)


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_json_keeps_the_exact_server_text(text: str) -> None:
    data = json.loads(render_json(report_of(submission(text))))
    post = data["posts"][0]
    original = submission(text)
    assert post["caption"] == original.caption()
    assert post["runs"][0]["message"] == original.runs[0].error.message  # type: ignore[union-attr]
    assert post["runs"][0]["account_id"] == original.runs[0].account_id


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_csv_keeps_one_record_per_failed_run(text: str) -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report_of(submission(text))))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == 3  # header + two failed runs (the succeeded run is not listed)
    assert all(len(row) == len(CSV_COLUMNS) for row in rows)


def test_table_rows_stay_aligned_with_wide_and_emoji_text() -> None:
    text = "日本語のキャプション 🎉🎉 and more text to overflow every cell"
    lines = render_table(report_of(submission(text)), width=100).splitlines()
    header = next(line for line in lines if "PLATFORM" in line)
    message_column = cell_width(header[: header.index("MESSAGE")])
    failed = [line for line in lines if line.startswith(("  ↻", "  ✗"))]
    assert len(failed) == 2
    for line in failed:
        # Wide characters in the platform and account cells must not shift the message.
        assert cell_width(line[: line.rindex("日本語")]) == message_column
        assert cell_width(line) <= 100


def test_retryable_marks_and_summary() -> None:
    report = report_of(submission("plain"))
    table = render_table(report, width=100)
    assert table.splitlines()[0] == (
        "1 failed post on http://127.0.0.1:1 since 2026-02-22 12:00 UTC: 2 failed runs, 1 retryable"
    )
    run_lines = [
        line.strip() for line in table.splitlines() if line.startswith(("  ↻", "  ✗", "  ✓"))
    ]
    assert run_lines[0].split()[:2] == ["↻", "X"]  # the 500 run: retryable
    assert run_lines[1].split()[:1] == ["✗"]  # the 401 run: a person must act
    assert run_lines[2].split()[:2] == ["✓", "Threads"]


def test_posts_are_newest_first_with_a_stable_tie_break() -> None:
    report = report_of(
        submission("a", post_id="b", minutes_ago=5),
        submission("b", post_id="a", minutes_ago=5),
        submission("c", post_id="c", minutes_ago=1),
    )
    assert [post.post_submission_id for post in report.posts] == ["c", "a", "b"]


def test_formula_like_csv_cells_are_defused() -> None:
    rows = list(csv.reader(io.StringIO(render_csv(report_of(submission("=HYPERLINK(1)"))))))
    assert rows[1][CSV_COLUMNS.index("caption")] == "'=HYPERLINK(1)"
