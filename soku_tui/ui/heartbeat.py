"""Bench-only instruments, off unless their environment variable is set.

``SOKU_BENCH_HEARTBEAT=<path>``: a 10 ms timer on the app's event loop notes how late
each beat fires. A beat can only be late because something held the loop (a poll being
applied, a repaint, a key handler), so the lateness is the UI stall a user would feel.
Stalls are kept with their ``time.monotonic()`` stamps (the clock is system-wide on
Linux, so a benchmark in another process can pick out the stalls inside its own time
window). The stats are written as one JSON line to ``<path>`` on ``SIGUSR1`` and when
the app exits; each write starts a new measuring period. ``note("poll done")`` lines mark
when each poll's result reached the app, so a benchmark knows when a poll is over.

``SOKU_BENCH_NAIVE_REPAINT=1``: the failed-posts table repaints all of itself on every
update instead of only the lines that changed — the "clear and refill" baseline that the
terminal-bytes benchmark compares the real table against.

Nothing here runs, or costs anything, in normal use.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from pathlib import Path
from typing import Any, Final

HEARTBEAT_ENV: Final = "SOKU_BENCH_HEARTBEAT"
NAIVE_REPAINT_ENV: Final = "SOKU_BENCH_NAIVE_REPAINT"
PERIOD: Final = 0.010
# Lateness above this is kept individually; below it only the maximum matters.
KEEP_ABOVE: Final = 0.005
MAX_KEPT: Final = 5000


def naive_repaint() -> bool:
    return os.environ.get(NAIVE_REPAINT_ENV) == "1"


class Heartbeat:
    """Measures how late a 10 ms timer fires; ``dump`` writes and resets the stats."""

    def __init__(self, path: Path, period: float = PERIOD) -> None:
        self.path = path
        self.period = period
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._reset()

    def _reset(self) -> None:
        self._started = time.monotonic()
        self._beats = 0
        self._max = 0.0
        self._max_at = 0.0
        self._stalls: list[tuple[float, float]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._due = time.monotonic() + self.period
        self._handle = loop.call_at(loop.time() + self.period, self._beat)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGUSR1, self.dump)

    def _beat(self) -> None:
        now = time.monotonic()
        late = max(0.0, now - self._due)
        self._beats += 1
        if late > self._max:
            self._max, self._max_at = late, now
        if late > KEEP_ABOVE and len(self._stalls) < MAX_KEPT:
            # Stamped at the start of the stall: the beat was due at ``_due``.
            self._stalls.append((round(self._due, 4), round(late * 1000, 2)))
        self._due = now + self.period
        assert self._loop is not None
        self._handle = self._loop.call_at(self._loop.time() + self.period, self._beat)

    def stats(self) -> dict[str, Any]:
        return {
            "pid": os.getpid(),
            "start": self._started,
            "end": time.monotonic(),
            "beats": self._beats,
            "max_ms": round(self._max * 1000, 2),
            "max_at": self._max_at,
            "stalls": self._stalls,
        }

    def dump(self) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(self.stats()) + "\n")
        self._reset()

    def note(self, event: str) -> None:
        """Record that ``event`` happened now (a benchmark waits for it), at once."""
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"event": event, "at": time.monotonic()}) + "\n")

    def stop(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None
            self.dump()


_running: Heartbeat | None = None


def start_from_env() -> Heartbeat | None:
    """Start the heartbeat on the running loop if the benchmark asked for it."""
    global _running
    path = os.environ.get(HEARTBEAT_ENV)
    if not path or _running is not None:
        return _running
    _running = Heartbeat(Path(path))
    _running.start()
    return _running


def note(event: str) -> None:
    """Tell a running benchmark that ``event`` happened (nothing without a heartbeat)."""
    if _running is not None:
        _running.note(event)


def stop() -> None:
    """Stop the heartbeat (writing its last stats), if one is running."""
    global _running
    if _running is not None:
        _running.stop()
        _running = None


__all__ = [
    "HEARTBEAT_ENV",
    "NAIVE_REPAINT_ENV",
    "Heartbeat",
    "naive_repaint",
    "note",
    "start_from_env",
    "stop",
]
