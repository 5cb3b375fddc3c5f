"""The README's screenshots, made from the embedded demo.

``python -m soku_tui.ui.screenshots DIR`` (what ``make screenshots`` runs) writes
``main``, ``expanded``, ``retry-confirm``, ``api-unreachable``, ``help``, ``paused``,
``filtered`` and ``bulk-confirm`` as SVG files.

Each picture is the real app driven by key presses against a real demo server, with
everything that could vary between runs pinned: the app's clock is stepped by hand, the
poll latency comes from a stepping timer, polling never runs on its own, backoff jitter
is seeded, the API's port is kept out of the header, and the app keeps its ledger in a
throwaway state directory (never the user's). Running it twice gives identical files.

Textual reads some environment variables (the theme, the colour system) when it is
imported, so everything that imports it is imported inside :func:`main`, after the
environment is pinned.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.pilot import Pilot

    from soku_tui.core.models import Submission
    from soku_tui.core.monitor import MonitorUpdate
    from soku_tui.demo.server import DemoServer
    from soku_tui.ui.app import SokuApp

SIZE = (120, 36)
TITLE = "soku-tui"
# The same instant the UI tests use: the demo's seeded posts are dated relative to it.
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
# What the header shows instead of the demo server's random port (`make demo-server`'s).
SHOWN_BASE_URL = "http://127.0.0.1:8765"
# A plausible poll latency for a local API, the same in every picture.
POLL_LATENCY = 0.024
# Settings that would change colours or theme if the caller's shell had them set.
_UNPINNED = (
    "NO_COLOR",
    "FORCE_COLOR",
    "TEXTUAL_THEME",
    "TEXTUAL_COLOR_SYSTEM",
    "TEXTUAL_DIM_FACTOR",
    "TEXTUAL_ANIMATIONS",
)


class SteppedClock:
    """Wall-clock time that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class SteppedTimer:
    """A monotonic timer that moves by ``step`` on every reading.

    The monitor reads it once when a poll starts and once when it ends, so every poll
    reports the same latency.
    """

    def __init__(self, step: float) -> None:
        self._step = step
        self._readings = 0

    def __call__(self) -> float:
        self._readings += 1
        return self._readings * self._step


@dataclass
class Session:
    """One app on screen, the demo server behind it, and the knobs of its time."""

    app: SokuApp
    pilot: Pilot[None]
    server: DemoServer
    clock: SteppedClock

    async def poll(self) -> MonitorUpdate:
        """One poll, then wait until the screen has drawn its result."""
        update = await self.app.monitor.poll_once()
        if update is None:
            raise RuntimeError("a poll was already running (polling should be off)")
        await self.settle()
        return update

    async def later(self, seconds: float, update: MonitorUpdate) -> None:
        """Let ``seconds`` pass and redraw the time-dependent parts (ages, countdowns)."""
        from soku_tui.ui.screens.monitor import MonitorScreen

        self.clock.advance(seconds)
        screen = self.app.screen_stack[0]
        assert isinstance(screen, MonitorScreen)
        screen.post_message(MonitorScreen.Updated(update))
        await self.settle()

    async def settle(self) -> None:
        await self.pilot.pause()
        await self.pilot.wait_for_scheduled_animations()
        await self.pilot.pause()

    async def press_until(self, key: str, target: object, *, limit: int = 500) -> None:
        """Press ``key`` until the table's cursor is on ``target`` (a post or run key)."""
        from soku_tui.ui.widgets.post_table import PostTable

        table = self.app.screen.query_one(PostTable)
        for _ in range(limit):
            if table.cursor_key == target:
                return
            await self.pilot.press(key)
        raise RuntimeError(f"pressing {key!r} never reached {target!r}")

    def screenshot(self) -> str:
        return widen_wide_text(self.app.export_screenshot(title=TITLE))


@asynccontextmanager
async def session() -> AsyncIterator[Session]:
    """A fresh demo server and app at :data:`SIZE`, with the first poll on screen."""

    from soku_tui.demo.server import DEMO_API_KEY, DemoServer
    from soku_tui.ui.app import AppConfig, SokuApp

    clock = SteppedClock(FIXED_NOW)
    with (
        DemoServer(now=FIXED_NOW).start() as server,
        tempfile.TemporaryDirectory(prefix="soku-tui-screenshots-") as state,
    ):
        config = AppConfig(
            base_url=server.base_url,
            api_key=DEMO_API_KEY,
            state_dir=Path(state),
            demo=True,
            clock=clock,
            timer=SteppedTimer(POLL_LATENCY),
            autostart_polling=False,
            backoff_seed=7,  # backoff jitter is random by design
        )
        app = SokuApp(config)
        async with app.run_test(size=SIZE) as pilot:
            shot = Session(app, pilot, server, clock)
            await shot.settle()
            yield shot


def _first(submissions: Sequence[Submission], wanted: Callable[[Submission], bool]) -> Submission:
    for submission in submissions:
        if wanted(submission):
            return submission
    raise RuntimeError("the demo scenario has no post for this screenshot")


def _failed_statuses(submission: Submission) -> set[int | None]:
    return {run.http_status for run in submission.runs if run.is_failed}


def _run_with(submission: Submission, status: int) -> str:
    return next(
        run.target_id for run in submission.runs if run.is_failed and run.http_status == status
    )


_TEXT_SPAN = re.compile(r'(<text [^>]*?textLength=")([0-9.]+)("[^>]*>)([^<]*)(</text>)')


def widen_wide_text(svg: str) -> str:
    """Give wide characters (CJK, emoji) their two cells in Rich's SVG.

    Rich sizes each text span to one cell per *character* (``textLength``), while it
    places the next span after the span's *cells*; browsers honour ``textLength``, so a
    Chinese caption is squeezed into half its width with a gap after it
    (Textualize/rich#2742). The span is stretched to its cells here.
    """
    from rich.cells import cell_len

    def fix(match: re.Match[str]) -> str:
        head, length, middle, content, tail = match.groups()
        text = html.unescape(content)
        cells = cell_len(text)
        if not text or cells == len(text):
            return match.group(0)
        width = float(length) / len(text) * cells
        return f"{head}{width:g}{middle}{content}{tail}"

    return _TEXT_SPAN.sub(fix, svg)


# -- the pictures ----------------------------------------------------------------------------


async def main_view() -> str:
    """The first screen a user sees: the newest failures, a few seconds after a poll."""
    async with session() as shot:
        update = await shot.poll()
        await shot.later(12, update)
        return shot.screenshot()


async def expanded() -> str:
    """A post with a 500 and a 401 run, expanded, the cursor on the 401 run and its fix."""
    async with session() as shot:
        update = await shot.poll()
        post = _first(update.snapshot.submissions, lambda s: {500, 401} <= _failed_statuses(s))
        await shot.press_until("down", post.post_submission_id)
        await shot.pilot.press("enter")
        await shot.press_until("down", (post.post_submission_id, _run_with(post, 401)))
        await shot.later(12, update)
        return shot.screenshot()


async def retry_confirm() -> str:
    """The cursor on a 500 run, ``r`` pressed: the y/N bar names the post and platform."""
    async with session() as shot:
        update = await shot.poll()
        post = _first(update.snapshot.submissions, lambda s: 500 in _failed_statuses(s))
        await shot.press_until("down", post.post_submission_id)
        await shot.pilot.press("right")
        await shot.press_until("down", (post.post_submission_id, _run_with(post, 500)))
        await shot.later(12, update)
        await shot.pilot.press("r")
        await shot.settle()
        return shot.screenshot()


async def api_unreachable() -> str:
    """Good data on screen, then Soku goes away behind its gateway: banner, stale data kept.

    A 502 HTML page from a proxy rather than a stopped server: "connection refused"
    names the demo's random port, and the picture must not change from run to run.
    """
    async with session() as shot:
        update = await shot.poll()
        await shot.pilot.press("down", "down")
        shot.server.faults.apply_spec("html_502")
        # Time passes as it would: the next scheduled poll fails, then the backoff's.
        shot.clock.advance(shot.app.monitor.interval)
        update = await shot.poll()
        for _ in range(3):
            if update.health.next_attempt_at is None:
                raise RuntimeError(f"no next attempt after a failed poll: {update.health}")
            shot.clock.now = update.health.next_attempt_at
            update = await shot.poll()
        await shot.later(2, update)
        return shot.screenshot()


async def help_screen() -> str:
    """``?``: every key, built from the live bindings, greyed where it does not apply."""
    async with session() as shot:
        update = await shot.poll()
        await shot.later(12, update)
        await shot.pilot.press("question_mark")
        await shot.settle()
        return shot.screenshot()


async def paused() -> str:
    """``p``: the table holds still while polling goes on; new failures are counted."""
    async with session() as shot:
        update = await shot.poll()
        await shot.pilot.press("down", "down", "p")
        shot.server.tick()  # a failure arrives while paused
        shot.clock.advance(shot.app.monitor.interval)
        update = await shot.poll()
        await shot.later(5, update)
        return shot.screenshot()


async def filtered() -> str:
    """``/`` with a structured filter, sorted by status: the header counts what is shown."""
    async with session() as shot:
        update = await shot.poll()
        await shot.pilot.press("slash", *"status:5xx !platform:x", "enter", "s", "s")
        await shot.later(12, update)
        return shot.screenshot()


async def bulk_confirm() -> str:
    """Three posts marked with space, ``R``: the confirmation says what will and won't go."""
    async with session() as shot:
        update = await shot.poll()
        posts = update.snapshot.submissions
        chosen = [
            _first(posts, lambda s: _failed_statuses(s) == {500}),
            _first(posts, lambda s: 500 in _failed_statuses(s) and len(_failed_statuses(s)) > 1),
            _first(posts, lambda s: _failed_statuses(s) == {403}),
        ]
        for post in sorted(chosen, key=posts.index):
            await shot.press_until("down", post.post_submission_id)
            await shot.pilot.press("space")
        await shot.later(12, update)
        await shot.pilot.press("R")
        await shot.settle()
        return shot.screenshot()


SHOTS: dict[str, Callable[[], Awaitable[str]]] = {
    "main": main_view,
    "expanded": expanded,
    "retry-confirm": retry_confirm,
    "api-unreachable": api_unreachable,
    "help": help_screen,
    "paused": paused,
    "filtered": filtered,
    "bulk-confirm": bulk_confirm,
}


async def render(names: Sequence[str]) -> dict[str, str]:
    """Each named picture as SVG text, in order."""
    return {name: await SHOTS[name]() for name in names}


def write_all(directory: Path, names: Sequence[str]) -> list[Path]:
    """Render the pictures and write them as ``DIR/NAME.svg``, printing each path."""
    pictures = asyncio.run(render(names))
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, svg in pictures.items():
        path = directory / f"{name}.svg"
        path.write_text(svg, encoding="utf-8")
        print(path, flush=True)
        written.append(path)
    return written


def pin_environment() -> None:
    """Default theme and full colour, whatever the caller's shell says."""
    for name in _UNPINNED:
        os.environ.pop(name, None)
    os.environ["COLORTERM"] = "truecolor"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m soku_tui.ui.screenshots",
        description=f"Write the README's screenshots ({SIZE[0]}x{SIZE[1]}) as SVG files.",
    )
    parser.add_argument("directory", type=Path, help="where to write the .svg files")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(SHOTS),
        metavar="NAME",
        help=f"only this picture (repeatable): {', '.join(SHOTS)}",
    )
    args = parser.parse_args(argv)
    if "textual" in sys.modules:
        parser.error("run this in a fresh interpreter (Textual was already imported)")
    pin_environment()
    # The unreachable picture fails polls on purpose; their warnings are not news here.
    logging.getLogger("soku_tui").addHandler(logging.NullHandler())
    write_all(args.directory, args.only or list(SHOTS))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
