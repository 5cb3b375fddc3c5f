"""Snapshot.build from the previous snapshot gives exactly what a build from scratch gives."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from soku_tui.core.models import Submission
from soku_tui.core.monitor import Snapshot

START = datetime(2026, 11, 1, tzinfo=UTC)


def _submission(index: int, *, failed_runs: int = 1, minute: int | None = None) -> Submission:
    when = START + timedelta(minutes=index if minute is None else minute)
    runs: list[dict[str, Any]] = [
        {
            "targetId": f"x:acct{k}",
            "platform": "x",
            "status": "failed",
            "error": {"status": 500, "code": "internal_error", "message": "boom"},
        }
        for k in range(failed_runs)
    ]
    runs.append({"targetId": "threads:acct", "platform": "threads", "status": "succeeded"})
    return Submission.model_validate(
        {
            "postSubmissionId": f"ps_{index:05d}",
            "status": "failed",
            "updatedAt": when.isoformat().replace("+00:00", "Z"),
            "runs": runs,
        }
    )


def _assert_same(incremental: Snapshot, scratch: Snapshot) -> None:
    assert [id(s) for s in incremental.submissions] == [id(s) for s in scratch.submissions]
    assert dict(incremental.by_id) == dict(scratch.by_id)
    assert incremental.failed_run_count == scratch.failed_run_count


@pytest.mark.parametrize("seed", range(25))
def test_an_incremental_build_equals_a_build_from_scratch(seed: int) -> None:
    rng = random.Random(seed)
    posts = {i: _submission(i) for i in range(400)}
    previous = Snapshot.build(list(posts.values()), fetched_at=None)
    for _ in range(rng.randrange(0, 30)):
        index = rng.randrange(0, 600)
        action = rng.choice(("change", "remove", "add", "move"))
        if action == "remove":
            posts.pop(index, None)
        elif action == "move":  # same post, another time: its place in the order changes
            posts[index] = _submission(index, minute=rng.randrange(0, 600))
        else:
            posts[index] = _submission(index, failed_runs=rng.randrange(1, 4))
    order = list(posts.values())
    rng.shuffle(order)  # the API's order does not matter
    incremental = Snapshot.build(order, fetched_at=None, previous=previous)
    _assert_same(incremental, Snapshot.build(order, fetched_at=None))


def test_an_unchanged_poll_keeps_the_previous_order_object() -> None:
    posts = [_submission(i) for i in range(50)]
    previous = Snapshot.build(posts, fetched_at=None)
    again = Snapshot.build(list(reversed(posts)), fetched_at=None, previous=previous)
    assert again.submissions is previous.submissions


def test_a_poll_that_replaced_everything_is_built_from_scratch() -> None:
    previous = Snapshot.build([_submission(i) for i in range(50)], fetched_at=None)
    fresh = [_submission(i + 1000, failed_runs=2) for i in range(60)]
    _assert_same(
        Snapshot.build(fresh, fetched_at=None, previous=previous),
        Snapshot.build(fresh, fetched_at=None),
    )


def test_duplicates_count_once_in_an_incremental_build() -> None:
    posts = [_submission(i) for i in range(20)]
    previous = Snapshot.build(posts, fetched_at=None)
    changed = _submission(3, failed_runs=3)
    listed = [*posts, changed, changed]
    _assert_same(
        Snapshot.build(listed, fetched_at=None, previous=previous),
        Snapshot.build(listed, fetched_at=None),
    )


@pytest.mark.parametrize("seed", range(25))
def test_the_diff_made_with_the_build_equals_comparing_the_snapshots(seed: int) -> None:
    """A poll finds what arrived and left once, for the snapshot and its diff: the diff
    must be exactly the one a full comparison of the two snapshots gives."""
    from soku_tui.core.monitor import build_and_diff_in_steps, diff_snapshots
    from soku_tui.core.slices import finish

    rng = random.Random(seed)
    posts = {i: _submission(i) for i in range(300)}
    previous = Snapshot.build(list(posts.values()), fetched_at=None)
    for _ in range(rng.choice((0, 5, 30, 120))):  # 120: too many for a carried-over order
        index = rng.randrange(0, 450)
        action = rng.choice(("change", "remove", "add", "same"))
        if action == "remove":
            posts.pop(index, None)
        elif action == "same" and index in posts:  # an equal post, as another object
            posts[index] = _submission(index)
        else:
            posts[index] = _submission(index, failed_runs=rng.randrange(1, 4))
    new, diff = finish(
        build_and_diff_in_steps(list(posts.values()), previous=previous, skipped=0, etag=None)
    )
    assert diff == diff_snapshots(previous, new)
    old_ids, new_ids = previous.by_id, new.by_id
    assert set(diff.added) == set(new_ids) - set(old_ids)
    assert set(diff.removed) == set(old_ids) - set(new_ids)
    assert set(diff.changed) == {
        post_id
        for post_id, post in new_ids.items()
        if post_id in old_ids and old_ids[post_id] != post
    }
