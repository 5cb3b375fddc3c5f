"""Notifications: only what newly failed since the last poll, never the first load."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from soku_tui.core.client import SokuClient
from soku_tui.core.models import Submission
from soku_tui.core.monitor import Backoff, Monitor, MonitorUpdate, Snapshot
from soku_tui.core.notify import FailureNotifier, Notice, new_failures, summarize
from soku_tui.demo.server import DEMO_API_KEY, DemoServer

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def post(post_id: str, *runs: tuple[str, str, int | None, int]) -> Submission:
    """runs: (platform, run status, http status, attempt)."""
    data: list[dict[str, Any]] = [
        {
            "targetId": f"{platform}:main",
            "platform": platform,
            "status": status,
            "attempt": attempt,
            "error": {"status": http, "message": "m"} if http else None,
        }
        for platform, status, http, attempt in runs
    ]
    return Submission.model_validate({"postSubmissionId": post_id, "runs": data})


def snap(*posts: Submission) -> Snapshot:
    return Snapshot.build(posts, fetched_at=T0)


def test_added_posts_and_grown_failed_sets_are_new() -> None:
    old = snap(
        post("a", ("x", "failed", 500, 1)),
        post("b", ("tiktok", "failed", 401, 1), ("youtube", "succeeded", None, 1)),
        post("gone", ("x", "failed", 500, 1)),
    )
    new = snap(
        post("a", ("x", "failed", 500, 1)),  # unchanged
        post("b", ("tiktok", "failed", 401, 1), ("youtube", "failed", 400, 1)),  # grew
        post("c", ("tiktok", "failed", 401, 1), ("x", "failed", 500, 1)),  # new post
    )
    found = {f.post_id: f for f in new_failures(old, new)}
    assert set(found) == {"b", "c"}
    assert [r.platform for r in found["b"].runs] == ["youtube"]  # only the new run
    assert not found["b"].is_new_post
    assert found["c"].is_new_post and len(found["c"].runs) == 2


def test_a_changed_message_or_a_resolved_run_is_not_news() -> None:
    old = snap(post("a", ("x", "failed", 500, 1), ("tiktok", "failed", 401, 1)))
    new = snap(post("a", ("x", "failed", 502, 1), ("tiktok", "succeeded", None, 1)))
    assert new_failures(old, new) == ()


def test_failing_again_at_a_new_attempt_is_news() -> None:
    old = snap(post("a", ("x", "failed", 500, 1)))
    new = snap(post("a", ("x", "failed", 500, 2)))
    assert [f.post_id for f in new_failures(old, new)] == ["a"]


def test_summary_groups_counts_and_orders_worst_first() -> None:
    old = snap()
    new = snap(
        post("a", ("tiktok", "failed", 401, 1), ("x", "failed", 500, 1)),
        post("b", ("tiktok", "failed", 401, 1)),
    )
    assert summarize(new_failures(old, new)) == "3 new failures: X 500, TikTok 401 ×2"
    one = snap(post("a", ("youtube", "failed", 400, 1)))
    assert summarize(new_failures(old, one)) == "1 new failure: YouTube 400"
    many = snap(
        post(
            "a",
            ("x", "failed", 500, 1),
            ("tiktok", "failed", 401, 1),
            ("youtube", "failed", 400, 1),
            ("threads", "failed", 403, 1),
        )
    )
    assert summarize(new_failures(old, many)) == "4 new failures: X 500, Threads 403, TikTok 401 …"
    assert summarize(()) == ""


def test_summary_is_terminal_safe() -> None:
    evil = post("a", ("\x1b]52;c;aGk=\x07tiktok", "failed", 500, 1))
    text = summarize(new_failures(snap(), snap(evil)))
    assert "\x1b" not in text and "\x07" not in text
    assert text.startswith("1 new failure: ")


# -- against the real monitor and demo server -------------------------------------------


@pytest.fixture
async def client(demo_server: DemoServer) -> AsyncIterator[SokuClient]:
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY, timeout=2) as c:
        yield c


async def test_notifier_is_silent_on_first_load_then_reports_only_the_new_failure(
    client: SokuClient, demo_server: DemoServer
) -> None:
    notifier = FailureNotifier()
    notices: list[Notice] = []

    def on_update(update: MonitorUpdate) -> None:
        notice = notifier.observe(update)
        if notice is not None:
            notices.append(notice)

    monitor = Monitor(
        client, interval=30, on_update=on_update, backoff=Backoff(rng=random.Random(1))
    )
    await monitor.poll_once()
    assert notices == []  # dozens of failures on screen, none of them "new"
    assert notifier.has_baseline
    await monitor.poll_once()  # 304: nothing changed
    assert notices == []

    demo_server.tick()  # one new failure arrives, an old one resolves
    update = await monitor.poll_once()
    assert update is not None
    assert len(notices) == 1
    notice = notices[0]
    assert notice.post_ids == update.diff.added
    assert notice.message.startswith(f"{notice.run_count} new failure")
    assert notice.title.startswith("Soku: ")

    # The API going away and coming back is not news either.
    demo_server.faults.apply_json({"set": "html_502"})
    down = await monitor.poll_once()
    assert down is not None and not down.health.ok
    demo_server.faults.clear()
    back = await monitor.poll_once()
    assert back is not None and back.health.ok
    assert len(notices) == 1


async def test_reset_makes_the_next_poll_the_baseline(
    client: SokuClient, demo_server: DemoServer
) -> None:
    notifier = FailureNotifier()
    monitor = Monitor(client, interval=30, backoff=Backoff(rng=random.Random(1)))
    first = await monitor.poll_once()
    assert first is not None and notifier.observe(first) is None
    notifier.reset()
    demo_server.tick()
    update = await monitor.poll_once()
    assert update is not None
    assert notifier.observe(update) is None  # after a profile switch: not news
