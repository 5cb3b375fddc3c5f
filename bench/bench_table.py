"""Micro benchmark of the failed-posts table widget (no server, synthetic rows).

    python bench/bench_table.py            # N = 50,000 for timings, 10,000 for bytes
    python bench/bench_table.py --n 1000   # smoke run

Prints, for one process on this machine:

* time of ``set_rows`` — the first time, an idle poll (new but equal row objects, as a
  real poll produces), a poll where 1% of the posts changed, and one where 1% of the
  posts resolved and as many new ones arrived at the bottom;
* time to render one screen of lines, cold (empty Strip cache) and warm;
* bytes Textual would write to the terminal (160×48) for an idle poll, a 1% change
  (one changed post on screen), 1% resolved (one of them on screen, so the lines
  below it move up) plus 1% new at the bottom, and, as the naive baseline, a full
  repaint of the same table.

The event loop is blocked for the duration of ``set_rows``, so its time is the UI
stall a poll of that size causes in the table.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App, ComposeResult
from textual.geometry import Region

from soku_tui.ui.widgets.post_table import PlatformMark, PostRow, PostTable, RunRow

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PLATFORMS = ("x", "instagram", "tiktok", "youtube", "linkedin", "facebook", "threads")
REPEAT = 5


def make_rows(count: int, start: int = 0) -> list[PostRow]:
    rows: list[PostRow] = []
    for index in range(start, start + count):
        runs = tuple(
            RunRow(
                target_id=f"{platform}:acct_{index % 97}",
                platform=platform,
                account=f"acct_{index % 97}",
                status="failed" if k == 0 else "succeeded",
                http_status=(500, 401, 400, 403)[index % 4] if k == 0 else None,
                code="upload_failed" if k == 0 else None,
                message="Upstream platform error, please retry" if k == 0 else "",
                attempt=1,
                retryable=k == 0 and index % 4 == 0,
            )
            for k, platform in enumerate(PLATFORMS[: 2 + index % 4])
        )
        rows.append(
            PostRow(
                post_id=f"ps_{index:07d}",
                when=NOW - timedelta(seconds=37 * index),
                caption=f"Spring launch #{index}: new colours, same great fit — link in bio",
                platforms=tuple(
                    PlatformMark(r.platform, r.status == "succeeded", r.http_status) for r in runs
                ),
                worst_status=runs[0].http_status,
                retryable=int(runs[0].retryable),
                retry_state=None,
                runs=runs,
            )
        )
    return rows


# Every 100th post from the 8th on: one of them (the 8th) is on the first screen.
OFFSET = 7


def changed_percent(rows: Sequence[PostRow], percent: float) -> list[PostRow]:
    step = max(1, round(100 / percent))
    return [
        dataclasses.replace(row, retry_state="retrying…") if i % step == OFFSET else row
        for i, row in enumerate(rows)
    ]


def resolved_and_arrived(rows: Sequence[PostRow], percent: float) -> list[PostRow]:
    step = max(1, round(100 / percent))
    kept = [row for i, row in enumerate(rows) if i % step != OFFSET]
    return kept + make_rows(len(rows) - len(kept), start=10_000_000)


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield PostTable(clock=lambda: NOW)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _median(action: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def bench_times(count: int) -> list[tuple[str, str]]:
    rows = make_rows(count)
    equal = [dataclasses.replace(row) for row in rows]
    one_percent = changed_percent(rows, 1)
    churn = resolved_and_arrived(rows, 1)
    app = TableApp()
    results: list[tuple[str, str]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(PostTable)
        start = time.perf_counter()
        table.set_rows(rows)
        results.append((f"set_rows first time, N={count:,}", _ms(time.perf_counter() - start)))
        await pilot.pause()

        for label, new in (
            ("set_rows idle poll (equal rows)", equal),
            ("set_rows 1% of posts changed", one_percent),
            ("set_rows 1% resolved + 1% new", churn),
        ):
            timings: list[float] = []
            for _ in range(REPEAT):
                table.set_rows(rows)  # back to the baseline, untimed
                await pilot.pause()
                start = time.perf_counter()
                table.set_rows(new)
                timings.append(time.perf_counter() - start)
                await pilot.pause()
            results.append((f"{label}, N={count:,}", _ms(statistics.median(timings))))

        table.set_rows(rows)
        await pilot.pause()
        width, height = table.scrollable_content_region.size

        def render_screen() -> None:
            for y in range(height):
                table.render_line(y)

        def render_cold() -> None:
            table._strips.clear()  # the Strip cache: measure the real rendering work
            render_screen()

        results.append((f"render one screen cold ({width}×{height})", _ms(_median(render_cold))))
        results.append((f"render one screen warm ({width}×{height})", _ms(_median(render_screen))))
    return results


@contextlib.contextmanager
def terminal_bytes(app: App[Any]) -> Iterator[list[int]]:
    """The size of each screen update ``app`` writes while the block runs: what
    App._display would write to a real terminal (a headless app skips writing)."""
    from textual._compositor import CompositorUpdate

    written: list[int] = []
    display = app._display

    def spy(screen: Any, renderable: Any) -> None:
        if isinstance(renderable, CompositorUpdate):
            written.append(len(renderable.render_segments(app.console).encode()))
        display(screen, renderable)

    app._display = spy  # type: ignore[method-assign]
    try:
        yield written
    finally:
        app._display = display  # type: ignore[method-assign]


async def bench_bytes(count: int) -> list[tuple[str, str]]:
    rows = make_rows(count)
    app = TableApp()
    results: list[tuple[str, str]] = []
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(PostTable)
        table.set_rows(rows)
        table.focus()
        await pilot.pause()
        await pilot.pause()

        async def measure(action: Callable[[], None]) -> int:
            with terminal_bytes(app) as written:
                action()
                await pilot.pause()
                await pilot.pause()
            return sum(written)

        idle = await measure(lambda: table.set_rows([dataclasses.replace(r) for r in rows]))
        changed = changed_percent(rows, 1)
        one = await measure(lambda: table.set_rows(changed))
        churn = await measure(lambda: table.set_rows(resolved_and_arrived(changed, 1)))
        full = await measure(lambda: table.refresh(Region(0, 0, 160, 48)))
        for label, value in (
            ("idle poll", idle),
            ("poll changing 1% of posts (1 on screen)", one),
            ("poll resolving 1% (1 on screen) + 1% new", churn),
            ("baseline: full repaint of the table", full),
        ):
            results.append((f"bytes to terminal, {label}, N={count:,}", f"{value:8,d} B"))
    return results


async def main_async(count: int, bytes_count: int) -> None:
    results = await bench_times(count)
    results += await bench_bytes(bytes_count)
    width = max(len(label) for label, _ in results)
    for label, value in results:
        print(f"{label:<{width}}  {value}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="posts for timings")
    parser.add_argument("--bytes-n", type=int, default=10_000, help="posts for byte counts")
    args = parser.parse_args(argv)
    asyncio.run(main_async(args.n, min(args.bytes_n, args.n)))


if __name__ == "__main__":
    main()
