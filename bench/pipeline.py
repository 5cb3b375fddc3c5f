"""Benchmarks 1 and 5: what a poll costs the monitor's core, and what it costs the network.

1. Pipeline: one full poll through the real ``Monitor`` (every page fetched over HTTP,
   validated into models, the snapshot built and diffed against the previous one),
   median of ``repeat``, beside the floor: the same page bodies through ``orjson.loads``
   alone, timed just before each poll (the median of all of them). Twice: a poll where
   nothing changed, and one where 1% of the posts changed (spread out, so every page's
   bytes differ and must be decoded).
5. Network: bytes on the wire for an idle poll with the ETag (and ``updatedSince``), and
   for the same poll without it (everything again).
"""

from __future__ import annotations

import gc
import statistics
import time

import httpx
import orjson

from bench.report import Row
from bench.servers import DemoProcess
from soku_tui.core.client import MAX_PAGE_SIZE, SokuClient
from soku_tui.core.heap import Heap
from soku_tui.core.monitor import Monitor

TIMEOUT = 120.0
MAX_BODY = 1 << 30


def _client(api: DemoProcess) -> SokuClient:
    return SokuClient(
        base_url=api.base_url, api_key=api.api_key, timeout=TIMEOUT, max_body_bytes=MAX_BODY
    )


async def _raw_pages(api: DemoProcess) -> list[bytes]:
    """The page bodies a poll receives, fetched plainly (for the orjson floor)."""
    bodies: list[bytes] = []
    cursor: str | None = None
    async with httpx.AsyncClient(
        base_url=api.base_url, headers={"soku-api-key": api.api_key}, timeout=TIMEOUT
    ) as http:
        while True:
            params: dict[str, str | int] = {"status": "failed", "limit": MAX_PAGE_SIZE}
            if cursor:
                params["cursor"] = cursor
            answer = await http.get("/v1/posts", params=params)
            answer.raise_for_status()
            bodies.append(answer.content)
            cursor = orjson.loads(answer.content).get("nextCursor")
            if not cursor:
                return bodies


def _orjson_floor(bodies: list[bytes]) -> float:
    """orjson alone, with the garbage collector off: the strictest floor (no collection
    ever walks the decoded pages, which the app's own polls cannot promise)."""
    gc.disable()
    try:
        started = time.perf_counter()
        for body in bodies:
            orjson.loads(body)
        return time.perf_counter() - started
    finally:
        gc.enable()


async def _timed_polls(
    api: DemoProcess, repeat: int, bodies: list[bytes], *, change: float
) -> tuple[list[float], list[float]]:
    """Seconds per poll, each after ``change`` percent of the posts changed (0: none), and
    the floor measured just before each poll: this host's speed drifts by 10-20% from
    minute to minute, and a ratio is only fair if both sides saw the same minute."""
    client = _client(api)
    # As the app builds it (a Heap: the first load's objects are frozen, and every poll
    # reads its pages without the collector walking them).
    monitor = Monitor(client, use_etag=False, heap=Heap())
    try:
        first = await monitor.poll_once()  # the first load; the timed polls diff against it
        assert first is not None
        assert len(first.snapshot.submissions) == api.posts, first
        times, floors = [], []
        for index in range(repeat):
            if change:
                api.touch(change, offset=index)
            floors.append(_orjson_floor(bodies))
            started = time.perf_counter()
            update = await monitor.poll_once()
            times.append(time.perf_counter() - started)
            assert update is not None
            assert update.health.ok
            expected = round(api.posts * change / 100)
            assert len(update.diff.changed) == expected, (update.diff, expected)
    finally:
        monitor.stop()  # the collector as it was, for the next measurement
        await client.aclose()
    return times, floors


async def bench_pipeline(api: DemoProcess, repeat: int) -> list[Row]:
    """Two polls of N: one where nothing changed (every page comes back byte for byte, as
    most polls do) and one where 1% of the posts changed (every page differs)."""
    bodies = await _raw_pages(api)
    idle, idle_floors = await _timed_polls(api, repeat, bodies, change=0)
    changed, changed_floors = await _timed_polls(api, repeat, bodies, change=1)
    floor = statistics.median(idle_floors + changed_floors)
    n = f"{api.posts:,}"
    target = 4.0 if api.posts == 10_000 else None
    return [
        Row(
            "1",
            f"pipeline: fetch + validate + diff, nothing changed, N={n} (median of {repeat})",
            statistics.median(idle) * 1000,
            "ms",
            baseline=floor * 1000,
            baseline_what="orjson.loads",
            ratio_target=target,
        ),
        Row(
            "1",
            f"pipeline: fetch + validate + diff, 1% of posts changed, N={n}",
            statistics.median(changed) * 1000,
            "ms",
            baseline=floor * 1000,
            baseline_what="orjson.loads",
            ratio_target=target,
        ),
    ]


async def bench_network(api: DemoProcess) -> list[Row]:
    client = _client(api)
    try:
        with_etag = Monitor(client, use_etag=True)
        await with_etag.poll_once()
        await with_etag.poll_once()
        idle = with_etag.stats.bytes_received
        assert with_etag.stats.not_modified
        without = Monitor(client, use_etag=False)
        await without.poll_once()
        await without.poll_once()
        idle_without = without.stats.bytes_received
    finally:
        await client.aclose()
    n = f"{api.posts:,}"
    return [
        Row(
            "5",
            f"network: idle poll with ETag + updatedSince, N={n}",
            idle,
            "B",
            baseline=idle_without,
            baseline_what="without ETag",
            target=1024,
        )
    ]
