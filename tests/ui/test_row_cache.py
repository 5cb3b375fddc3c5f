"""RowCache: rows are rebuilt for changed posts only, and whenever a verdict may differ."""

from __future__ import annotations

from typing import Any

from soku_tui.core.models import Submission
from soku_tui.ui.row_cache import RowCache
from soku_tui.ui.rows import build_rows


def _post(post_id: str, status: int) -> Submission:
    return Submission.model_validate(
        {
            "postSubmissionId": post_id,
            "status": "failed",
            "runs": [
                {
                    "targetId": "x:a",
                    "platform": "x",
                    "status": "failed",
                    "error": {"status": status, "code": "c", "message": "m"},
                }
            ],
        }
    )


class Verdicts:
    """A stand-in for RetryService.can_retry that counts its calls and can change its mind."""

    def __init__(self) -> None:
        self.calls = 0
        self.refuse = False

    def __call__(self, submission: Submission, target_id: str | None) -> str | None:
        self.calls += 1
        if self.refuse:
            return "read-only"
        return None if submission.runs[0].http_status == 500 else "not a 500"


def test_rows_equal_a_fresh_build_and_unchanged_posts_are_not_rebuilt() -> None:
    posts = [_post("a", 500), _post("b", 401)]
    verdicts = Verdicts()
    cache = RowCache()
    first = cache.rows(posts, verdicts, epoch=1)
    assert first == build_rows(posts, verdicts)
    assert cache.built == 2

    again = cache.rows(posts, verdicts, {"b": "retrying…"}, epoch=1)
    assert cache.built == 1  # only "b": its retry state changed
    assert again[0] is first[0]
    assert again[1].retry_state == "retrying…"


def test_a_new_epoch_rebuilds_only_posts_whose_verdicts_can_change() -> None:
    posts = [_post("a", 500), _post("b", 401)]
    verdicts = Verdicts()
    cache = RowCache()
    cache.rows(posts, verdicts, epoch=1)
    verdicts.refuse = True  # e.g. read-only switched on: the epoch changes with it
    rows: list[Any] = cache.rows(posts, verdicts, epoch=2)
    assert cache.built == 1
    assert rows[0].retryable == 0  # the 500 post's row now says so
    assert rows == build_rows(posts, verdicts)


def test_without_an_epoch_rows_of_500_posts_are_always_rebuilt() -> None:
    posts = [_post("a", 500), _post("b", 401)]
    cache = RowCache()
    cache.rows(posts, Verdicts())
    cache.rows(posts, Verdicts())
    assert cache.built == 1
