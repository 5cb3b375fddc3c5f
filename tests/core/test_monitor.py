"""The poll coordinator against the real demo server: snapshots, diffs, health, backoff."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator

import pytest

from soku_tui.core.client import SokuClient
from soku_tui.core.heap import Heap
from soku_tui.core.monitor import Backoff, Monitor, MonitorUpdate, sort_key
from soku_tui.demo.server import DEMO_API_KEY, DemoServer


@pytest.fixture
async def client(demo_server: DemoServer) -> AsyncIterator[SokuClient]:
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY, timeout=2) as c:
        yield c


def make_monitor(client: SokuClient, updates: list[MonitorUpdate]) -> Monitor:
    return Monitor(
        client, interval=30, on_update=updates.append, backoff=Backoff(rng=random.Random(1))
    )


async def test_first_poll_fills_the_snapshot_newest_first(client: SokuClient) -> None:
    updates: list[MonitorUpdate] = []
    monitor = make_monitor(client, updates)
    update = await monitor.poll_once()
    assert update is not None and update.health.ok
    submissions = update.snapshot.submissions
    assert len(submissions) >= 20
    assert list(submissions) == sorted(submissions, key=sort_key)
    assert set(update.diff.added) == {s.post_submission_id for s in submissions}
    assert update.snapshot.fetched_at is not None
    assert any(u.polling for u in updates), "the screen is told a poll is running"


async def test_idle_poll_is_a_304_and_changes_nothing(client: SokuClient) -> None:
    monitor = make_monitor(client, [])
    await monitor.poll_once()
    before = monitor.snapshot
    update = await monitor.poll_once()
    assert update is not None
    assert update.stats.not_modified
    assert update.diff.empty
    assert update.snapshot.submissions == before.submissions


async def test_a_new_failure_and_a_resolved_one_show_in_the_diff(
    client: SokuClient, demo_server: DemoServer
) -> None:
    monitor = make_monitor(client, [])
    await monitor.poll_once()
    demo_server.tick()
    update = await monitor.poll_once()
    assert update is not None
    assert len(update.diff.added) == 1
    assert len(update.diff.removed) == 1
    assert update.diff.added[0] == update.snapshot.submissions[0].post_submission_id


async def test_outage_keeps_the_last_good_data_then_recovers(
    client: SokuClient, demo_server: DemoServer
) -> None:
    monitor = make_monitor(client, [])
    good = await monitor.poll_once()
    assert good is not None
    demo_server.faults.set("html_502")
    bad = await monitor.poll_once()
    assert bad is not None
    assert bad.health.state == "unreachable"
    assert "502" in bad.health.message
    assert bad.health.next_attempt_at is not None
    assert bad.snapshot.submissions == good.snapshot.submissions, "last good data kept"
    worse = await monitor.poll_once()
    assert worse is not None and worse.health.consecutive_failures == 2
    assert worse.health.since == bad.health.since, "'since' is when the outage began"
    demo_server.faults.clear()
    recovered = await monitor.poll_once()
    assert recovered is not None and recovered.health.ok


async def test_revoked_key_is_an_auth_problem_with_the_fix_and_slow_polling(
    client: SokuClient, demo_server: DemoServer
) -> None:
    monitor = make_monitor(client, [])
    demo_server.faults.set("revoked_key")
    update = await monitor.poll_once()
    assert update is not None
    assert update.health.state == "auth"
    assert "Settings > API" in update.health.advice
    assert update.health.next_attempt_at is not None
    wait = (update.health.next_attempt_at - monitor._clock()).total_seconds()  # type: ignore[operator]
    assert wait >= 119


async def test_rate_limit_waits_at_least_what_the_server_asked(
    client: SokuClient, demo_server: DemoServer
) -> None:
    monitor = make_monitor(client, [])
    demo_server.faults.set("rate_limit_retry_after")
    update = await monitor.poll_once()
    assert update is not None and update.health.state == "rate_limited"
    assert update.health.next_attempt_at is not None


def test_backoff_grows_is_capped_and_honours_the_server() -> None:
    backoff = Backoff(base=5, cap=300, rng=random.Random(3))
    delays = [backoff.delay(n) for n in range(1, 12)]
    assert delays[0] <= 5
    assert max(delays) <= 300
    assert delays[5] > delays[0]
    assert backoff.delay(1, server_wait=90) >= 90


async def test_overlapping_polls_are_not_started(client: SokuClient) -> None:
    import asyncio

    monitor = make_monitor(client, [])
    first, second = await asyncio.gather(monitor.poll_once(), monitor.poll_once())
    assert (first is None) != (second is None), "exactly one poll ran"


async def test_stopping_mid_poll_leaves_the_collector_as_it_was() -> None:
    """An app closing while a (first) poll waits on the network: the garbage collector is
    back on at once, and the poll ending later freezes nothing."""
    import asyncio
    import gc

    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    with DemoServer(posts=40) as server:
        server.faults.set("hang", scope="list", seconds=30)
        async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=10) as c:
            monitor = Monitor(c, heap=Heap())
            poll = asyncio.create_task(monitor.poll_once())
            await asyncio.sleep(0.2)  # the poll is waiting for the hanging server
            assert not poll.done()
            assert not gc.isenabled()  # held by the poll
            monitor.stop()
            assert gc.isenabled() == enabled
            server.faults.clear()
            await poll
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == frozen
