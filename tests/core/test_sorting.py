"""Sorting the failed-posts table: by time, platform or status, never swapping equal rows."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soku_tui.core.models import Submission
from soku_tui.core.sorting import SORT_KEYS, next_sort_key, sort_submissions

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def post(post_id: str, minutes: int | None, *failures: tuple[str, int | None]) -> Submission:
    data: dict[str, Any] = {
        "postSubmissionId": post_id,
        "status": "failed",
        "runs": [
            {
                "platform": platform,
                "accountId": "a",
                "status": "failed",
                "error": {"status": http, "message": "m"} if http else None,
            }
            for platform, http in failures
        ],
    }
    if minutes is not None:
        data["updatedAt"] = (NOW - timedelta(minutes=minutes)).isoformat()
    return Submission.model_validate(data)


POSTS = [
    post("b", 5, ("x", 500)),
    post("a", 5, ("tiktok", 401)),  # same time as "b": the id decides
    post("c", 1, ("youtube", 400), ("facebook", 403)),
    post("d", 30, ("tiktok", 500)),
    post("e", None, ("x", 401)),  # no time at all
    post("f", 10, ("mastodon", None)),  # unknown platform, no status
]


def ids(items: list[Submission]) -> list[str]:
    return [s.post_submission_id for s in items]


def test_time_newest_first_ties_by_id_unknown_last() -> None:
    assert ids(sort_submissions(POSTS, "time")) == ["c", "a", "b", "f", "d", "e"]
    # Reversed: oldest first, but equal times still by ascending id.
    assert ids(sort_submissions(POSTS, "time", reverse=True)) == ["e", "d", "f", "a", "b", "c"]


def test_status_worst_first_then_newest() -> None:
    assert ids(sort_submissions(POSTS, "status")) == ["b", "d", "c", "a", "e", "f"]
    assert ids(sort_submissions(POSTS, "status", reverse=True)) == ["f", "a", "e", "c", "b", "d"]


def test_platform_by_display_name_then_newest() -> None:
    # c failed on Facebook and YouTube: it sorts as "facebook".
    assert ids(sort_submissions(POSTS, "platform")) == ["c", "f", "a", "d", "b", "e"]
    assert ids(sort_submissions(POSTS, "platform", reverse=True)) == [
        "b",
        "e",
        "a",
        "d",
        "f",
        "c",
    ]


@pytest.mark.parametrize("key", SORT_KEYS)
@pytest.mark.parametrize("reverse", [False, True])
def test_the_order_never_depends_on_the_input_order(key: Any, reverse: bool) -> None:
    # A refresh hands the same posts over in another order: rows must not swap.
    expected = ids(sort_submissions(POSTS, key, reverse))
    rng = random.Random(3)
    for _ in range(20):
        shuffled = POSTS[:]
        rng.shuffle(shuffled)
        assert ids(sort_submissions(shuffled, key, reverse)) == expected


def test_an_unknown_key_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown sort key"):
        sort_submissions(POSTS, "caption")  # type: ignore[arg-type]


def test_next_sort_key_cycles_through_all() -> None:
    seen = ["time"]
    for _ in SORT_KEYS:
        seen.append(next_sort_key(seen[-1]))  # type: ignore[arg-type]
    assert seen == ["time", "platform", "status", "time"]


_failures = st.lists(
    st.tuples(
        st.sampled_from(["x", "tiktok", "youtube", "other"]),
        st.one_of(st.none(), st.sampled_from([400, 401, 403, 500, 502])),
    ),
    max_size=3,
)
_posts = st.lists(
    st.tuples(
        st.text("abcxyz", min_size=1, max_size=4),
        st.one_of(st.none(), st.integers(0, 5)),  # few distinct times: many ties
        _failures,
    ).map(lambda t: post(t[0], t[1], *t[2])),
    max_size=15,
    unique_by=lambda s: s.post_submission_id,
)


@given(_posts, st.sampled_from(SORT_KEYS), st.booleans(), st.randoms())
@settings(max_examples=200, deadline=None)
def test_sorting_is_a_total_deterministic_order(
    posts: list[Submission], key: Any, reverse: bool, rng: random.Random
) -> None:
    first = ids(sort_submissions(posts, key, reverse))
    shuffled = posts[:]
    rng.shuffle(shuffled)
    assert ids(sort_submissions(shuffled, key, reverse)) == first
    assert sorted(first) == sorted(ids(posts))
