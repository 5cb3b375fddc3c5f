"""What the failed-posts table costs over SSH: bytes that reach the terminal.

Counted the way ``bench/bench_table.py`` does: every compositor update rendered to the
escape codes a real terminal would receive (headless apps skip the writing itself).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Static

from bench.bench_table import make_rows, terminal_bytes
from soku_tui.ui.widgets.post_table import PostTable

START = datetime(2026, 3, 2, 9, 30, 30, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class TableApp(App[None]):
    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def compose(self) -> ComposeResult:
        yield Static("header", id="line")
        yield PostTable(clock=self.clock)


async def _measure(app: TableApp, pilot: Any, action: Callable[[], None]) -> int:
    with terminal_bytes(app) as written:
        action()
        await pilot.pause()
        await pilot.pause()
    return sum(written)


async def test_a_minute_passing_repaints_only_the_age_cells() -> None:
    clock = Clock()
    app = TableApp(clock)
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(PostTable)
        rows = make_rows(1000)  # 37 s apart: the ages on screen are 0–28 minutes
        table.set_rows(rows)
        await pilot.pause()
        full = await _measure(app, pilot, lambda: table.refresh())

        def a_minute_later() -> None:
            clock.now += timedelta(minutes=1)
            table._sync()  # what the age timer runs

        aged = await _measure(app, pilot, a_minute_later)
    # Every age on screen changed ("3m" → "4m"): still far less than repainting the lines.
    assert 0 < aged < full / 4


async def test_another_widget_resizing_does_not_repaint_the_table() -> None:
    app = TableApp(Clock())
    async with app.run_test(size=(160, 48)) as pilot:
        table = app.query_one(PostTable)
        table.set_rows(make_rows(1000))
        await pilot.pause()
        line = app.query_one("#line", Static)
        # A new text relayouts the screen (as the header's clock does every second).
        written = await _measure(app, pilot, lambda: line.update("header, longer now"))
    # The line itself is ~200 bytes; the table's scrollbar alone used to be ~2 KB.
    assert written < 600
