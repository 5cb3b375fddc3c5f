"""Long work on the event loop in short slices, instead of in a worker thread.

CPython runs one thread's Python at a time (the GIL). A worker thread doing seconds of
Python does not run *beside* the event loop: each time the loop blocks, even for a
zero-timeout poll of its sockets, it must win the GIL back, and a busy worker keeps it
for the whole switch interval (5 ms). One key press takes a dozen such turns between
Textual's input thread, its event loop and its output thread — measured, 80–110 ms per
key while a worker rebuilt 500 rows of a 50,000-post table.

So long jobs are written as generators that ``yield`` between small steps, and
:func:`run_in_slices` runs them on the loop a few milliseconds at a time, and nothing
competes for the GIL. While the user is typing (:func:`note_input`), slices are shorter
and the loop gets longer pauses between them: a key press needs a dozen turns of the
loop (driver, app, screen, widget, compositor, output), and each turn that finds a slice
ready waits it out.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Generator
from typing import Final, TypeVar

__all__ = ["finish", "note_input", "quiet_for", "run_in_slices"]

# (work, pause) in seconds: the longest stretch of work between two turns of the event
# loop, then how long the loop has for everything else. Measured during a 50k poll with
# keys typed throughout, worst key latency: (4 ms, 0) 140 ms, (4, 2) 50-80 ms, (2, 4)
# 39-47 ms. Without input the work goes at full speed.
TYPING: Final = (0.002, 0.004)
IDLE: Final = (0.004, 0.0)
# Input this recent (seconds) counts as typing.
TYPING_SECONDS: Final = 1.0

_T = TypeVar("_T")
_last_input = -math.inf


def note_input() -> None:
    """The user pressed a key, clicked or scrolled: slices make room for the answer."""
    global _last_input
    _last_input = time.monotonic()


def quiet_for() -> float:
    """Seconds since the user last typed, clicked or scrolled (``inf`` if never)."""
    return time.monotonic() - _last_input


def _pace() -> tuple[float, float]:
    return TYPING if quiet_for() < TYPING_SECONDS else IDLE


async def run_in_slices(
    work: Generator[None, None, _T], *, pace: tuple[float, float] | None = None
) -> _T:
    """Run ``work`` to its end on the running loop, a slice at a time (``pace``: work and
    pause seconds; by default as the user's typing asks). Returns what ``work`` returns."""
    budget, pause = pace or _pace()
    deadline = time.perf_counter() + budget
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
        if time.perf_counter() >= deadline:
            await asyncio.sleep(pause)
            budget, pause = pace or _pace()
            deadline = time.perf_counter() + budget


def finish(work: Generator[None, None, _T]) -> _T:
    """Run ``work`` to its end at once (when there is no loop to share, or no need)."""
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
