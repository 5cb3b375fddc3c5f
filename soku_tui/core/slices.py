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
from collections.abc import Generator, Iterator, Sequence
from typing import Final, TypeVar

__all__ = ["CHUNK", "chunks", "finish", "note_input", "quiet_for", "run_in_slices"]

# (work, pause) in seconds: the longest stretch of work between two turns of the event
# loop, then how long the loop has for everything else. Measured during a 50k poll with
# keys typed throughout, worst key latency: (4 ms, 0) 140 ms, (4, 2) 50-80 ms, (2, 4)
# 39-47 ms. Without input the work goes at full speed.
TYPING: Final = (0.002, 0.004)
IDLE: Final = (0.004, 0.0)
# Input this recent (seconds) counts as typing.
TYPING_SECONDS: Final = 1.0

# Items per step of a bulk C loop (map, compress, dict.update) over 50,000 posts. The
# posts are scattered over hundreds of MB, so a pass is mostly cache misses: measured
# during a 50k poll, 10,000-item steps took 4-18 ms; 2,500 keep a step near 1-2 ms.
CHUNK: Final = 2_500

_T = TypeVar("_T")
_last_input = -math.inf
# perf_counter() time until which the loop is left to other events (see run_in_slices).
_loop_free_at = -math.inf


def chunks(items: Sequence[_T], size: int = CHUNK) -> Iterator[Sequence[_T]]:
    """``items`` in consecutive slices of ``size``: one step of bulk work each."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    pause seconds; by default as the user's typing asks). Returns what ``work`` returns.

    The pause is the loop's, not one job's: when several jobs run at once (a poll's rows
    and its filter facts) while the user types, a slice waits until the pause after any
    other job's slice is over, so together they take no more of the loop than one
    would. Without a pause (nobody typing) they simply take turns at full speed."""
    global _loop_free_at
    while True:
        wait = _loop_free_at - time.perf_counter()
        if wait > 0:
            await asyncio.sleep(wait)  # another job's slice just ran: the loop's turn
            continue
        budget, pause = pace or _pace()
        deadline = time.perf_counter() + budget
        try:
            next(work)  # at least one step, whatever the budget
            while time.perf_counter() < deadline:
                next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
        finally:
            _loop_free_at = time.perf_counter() + pause
        await asyncio.sleep(pause)


def finish(work: Generator[None, None, _T]) -> _T:
    """Run ``work`` to its end at once (when there is no loop to share, or no need)."""
    while True:
        try:
            next(work)
        except StopIteration as done:
            result: _T = done.value
            return result
