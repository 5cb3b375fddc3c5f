"""Long work on the event loop in short slices, instead of in a worker thread.

CPython runs one thread's Python at a time (the GIL). A worker thread doing seconds of
Python does not run *beside* the event loop: each time the loop blocks, even for a
zero-timeout poll of its sockets, it must win the GIL back, and a busy worker keeps it
for the whole switch interval (5 ms). One key press takes a dozen such turns between
Textual's input thread, its event loop and its output thread — measured, 80–110 ms per
key while a worker rebuilt 500 rows of a 50,000-post table.

So long jobs are written as generators that ``yield`` between small steps, and
:func:`run_in_slices` runs them on the loop a few milliseconds at a time: a key waits at
most one slice, and nothing competes for the GIL.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Generator
from typing import Final, TypeVar

__all__ = ["SLICE_SECONDS", "finish", "run_in_slices"]

# Longest stretch of work between two turns of the event loop.
SLICE_SECONDS: Final = 0.004
# How long the loop then has for everything else. Not zero: sleep(0) gives the loop a
# single turn, and a key press needs a dozen (driver, app, screen, widget, compositor,
# output), each of which would otherwise wait out another slice (measured: 140 ms).
PAUSE_SECONDS: Final = 0.002

_T = TypeVar("_T")


async def run_in_slices(
    work: Generator[None, None, _T],
    *,
    budget: float = SLICE_SECONDS,
    pause: float = PAUSE_SECONDS,
) -> _T:
    """Run ``work`` to its end on the running loop: ``budget`` seconds of it, then
    ``pause`` seconds for everything else, and so on. Returns what ``work`` returns."""
    deadline = time.perf_counter() + budget
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
        if time.perf_counter() >= deadline:
            await asyncio.sleep(pause)
            deadline = time.perf_counter() + budget


def finish(work: Generator[None, None, _T]) -> _T:
    """Run ``work`` to its end at once (when there is no loop to share, or no need)."""
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
