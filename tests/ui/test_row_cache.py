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


def test_after_any_sequence_of_changes_rows_equal_a_full_rebuild() -> None:
    """The cache's bulk bookkeeping (by object identity, set differences) must never serve
    a stale row: after each random step its rows are exactly ``build_rows``'s."""
    import random

    rng = random.Random(5)
    verdicts = Verdicts()
    cache = RowCache()
    posts = {f"p{i}": _post(f"p{i}", rng.choice((500, 401, 403))) for i in range(40)}
    states: dict[str, str] = {}
    acked: set[str] = set()
    marked: set[str] = set()
    epoch = 0
    for _ in range(200):
        step = rng.randrange(7)
        pid = f"p{rng.randrange(50)}"
        if step == 0:  # a post changed (a new object) or arrived
            posts[pid] = _post(pid, rng.choice((500, 401)))
        elif step == 1:  # resolved
            posts.pop(pid, None)
        elif step == 2:
            states[pid] = rng.choice(("retrying…", "queued…"))
        elif step == 3:
            states.pop(pid, None)
        elif step == 4:
            acked ^= {pid}
        elif step == 5:
            marked ^= {pid}
        else:  # the ledger or read-only changed: verdicts of 500s may differ
            epoch += 1
            verdicts.refuse = not verdicts.refuse
        shown = list(posts.values())
        rng.shuffle(shown)  # any order, as a sort or filter would give
        rows = cache.rows(shown, verdicts, states, acknowledged=acked, marked=marked, epoch=epoch)
        expected = build_rows(shown, verdicts, states, acknowledged=acked, marked=marked)
        assert rows == expected


def test_an_unchanged_poll_builds_nothing_and_a_changed_post_builds_one_row() -> None:
    posts = [_post(f"p{i}", 401) for i in range(100)]
    cache = RowCache()
    cache.rows(posts, Verdicts(), epoch=1)
    assert cache.built == 100
    cache.rows(list(posts), Verdicts(), epoch=1)
    assert cache.built == 0
    posts[50] = _post("p50", 403)
    rows = cache.rows(posts, Verdicts(), epoch=1)
    assert cache.built == 1
    assert rows[50].runs[0].http_status == 403


def test_a_build_made_while_a_sliced_one_is_paused_is_never_served_stale_rows() -> None:
    """The screen builds small views at once while a big poll's build is paused between
    slices; neither may then serve a row built for the other's inputs."""
    verdicts = Verdicts()
    cache = RowCache()
    posts = [_post(f"p{i}", 500) for i in range(6)]
    cache.rows(posts, verdicts, epoch=1)

    changed = [_post("p0", 500), *posts[1:]]  # a poll brought a new p0
    paused = cache.rows_in_steps(changed, verdicts, epoch=1, marked={"p0"})
    for _ in range(4):
        next(paused)  # p0's row built under epoch 1 and marked, then paused

    verdicts.refuse = True  # read-only switched on: the epoch changes
    now = cache.rows(changed, verdicts, epoch=2)
    assert now == build_rows(changed, verdicts)

    while True:  # the overtaken build finishes; its rows are dropped by the screen
        try:
            next(paused)
        except StopIteration:
            break
    again = cache.rows(changed, verdicts, epoch=2)
    assert again == build_rows(changed, verdicts)


def test_a_retry_rebuilds_the_row_of_its_own_post_not_of_every_500_post() -> None:
    """A retry changes the ledger for one post: the other posts with a failed 500 run keep
    their rows (at 50,000 posts, ~26,000 of them: 1.4 s on the event loop per retry step
    when they were all rebuilt)."""
    posts = [_post(f"p{i}", 500) for i in range(200)]
    verdicts = Verdicts()
    cache = RowCache()
    first = cache.rows(posts, verdicts, epoch="normal", post_epochs={})
    assert cache.built == 200

    sent = {"p7": ("ledger entry", frozenset({("x:a", 1)}))}
    rows = cache.rows(posts, verdicts, epoch="normal", post_epochs=sent)
    assert cache.built == 1  # only p7
    assert all(rows[i] is first[i] for i in range(200) if i != 7)

    cache.rows(posts, verdicts, epoch="read-only", post_epochs=sent)
    assert cache.built == 200  # what holds for every post changed: every 500 post again
