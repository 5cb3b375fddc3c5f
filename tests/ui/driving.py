"""Driving the real app in tests: find rows, press keys, wait for the screen, read it.

Shared by every UI behaviour test; assertions stay in the test files.
"""

from __future__ import annotations

import contextlib
import html
import re
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from rich.cells import cell_len
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static
from textual.widgets._footer import FooterKey  # not exported; the footer is made of these

from soku_tui.core.models import Submission
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.screens.monitor import MonitorScreen
from soku_tui.ui.widgets.post_rows import RowKey
from soku_tui.ui.widgets.post_table import PostTable

# The ``make_app`` fixture (tests/ui/conftest.py): an app on a demo server, with overrides.
MakeApp = Callable[..., SokuApp]

SIZE = (120, 36)
# Safety nets only: the demo answers in milliseconds and settles a retry in 0.2 s, but
# the screen follows a new post every 2 s.
WAIT_SECONDS = 15.0


def monitor(app: SokuApp) -> MonitorScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, MonitorScreen)
    return screen


def table(app: SokuApp) -> PostTable:
    return monitor(app).query_one(PostTable)


def status_line(app: SokuApp) -> str:
    return str(monitor(app).query_one("#status-line", Static).content)


async def poll(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, SokuApp)
    await app.monitor.poll_once()
    await pilot.pause()


@contextlib.asynccontextmanager
async def polled(app: SokuApp, **run_test: Any) -> AsyncIterator[Pilot[None]]:
    """``app`` running headless at SIZE (unless ``size`` is given), after its first poll."""
    async with app.run_test(**{"size": SIZE, **run_test}) as pilot:
        await poll(pilot)
        yield pilot


async def wait_until(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def server_submission(server: DemoServer, post_id: str) -> dict[str, Any]:
    """What the server holds for a post: the truth the screen is checked against."""
    data = server.store.get_json(post_id)
    assert data is not None, post_id
    return data


def shown(app: SokuApp) -> list[Submission]:
    return list(app.monitor.snapshot.submissions)


def first_post(app: SokuApp, wanted: Callable[[Submission], bool], what: str) -> Submission:
    for submission in shown(app):
        if wanted(submission):
            return submission
    raise AssertionError(f"the demo scenario has no post with {what}")


def first_run_with_status(app: SokuApp, status: int) -> RowKey:
    for submission in shown(app):
        for run in submission.runs:
            if run.is_failed and run.http_status == status:
                return (submission.post_submission_id, run.target_id)
    raise AssertionError(f"the demo scenario has no failed run with HTTP {status}")


async def highlight(pilot: Pilot[None], key: RowKey) -> None:
    """Put the cursor on ``key``, as a click would (walking there by key costs ~70 ms a
    key in Pilot; the table's own key handling is tested in test_post_table.py)."""
    app = pilot.app
    assert isinstance(app, SokuApp)
    table(app).move_cursor_to_key(key)
    await pilot.pause()
    assert table(app).cursor_key == key


_SVG_TEXT = re.compile(r'<text [^>]*?x="([\d.]+)" y="[\d.]+"[^>]*?line-(\d+)\)">([^<]*)</text>')


def screen_lines(app: App[Any], svg: str | None = None) -> list[str]:
    """The screen as text, one string per terminal row, read from an SVG export."""
    svg = svg if svg is not None else app.export_screenshot()
    cell_px = 0.61 * 20  # Rich's SVG export: 20 px font, 0.61 em per cell
    cells: dict[int, dict[int, str]] = {}
    for x, line, text in _SVG_TEXT.findall(svg):
        cells.setdefault(int(line), {})[round(float(x) / cell_px)] = html.unescape(text)
    rows = []
    for number in range(app.size.height):
        row = ""
        for column, text in sorted(cells.get(number, {}).items()):
            row += " " * max(0, column - cell_len(row)) + text
        rows.append(row.replace("\xa0", " ").rstrip("\n"))
    return rows


def screen_text(app: SokuApp, svg: str | None = None) -> str:
    """The screen as plain text, one line per terminal row, trailing blanks dropped."""
    return "\n".join(line.rstrip() for line in screen_lines(app, svg))


def footer_key(app: SokuApp, key: str) -> FooterKey:
    matches = [item for item in app.screen.query(FooterKey) if item.key == key]
    assert len(matches) == 1, f"footer shows {len(matches)} entries for {key!r}"
    return matches[0]


# ---------------------------------------------------------------------------- rows
