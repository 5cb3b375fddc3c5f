"""Python's garbage collector, run for a monitor that keeps 50,000 posts for hours.

The collector's settings are process-wide, so one object owns them: the monitor and the
screens tell it when work that builds big structures starts and ends (:meth:`Heap.hold`,
:meth:`Heap.release`), the app when the user is idle.

Why it needs managing at all (measured on the project's 2-core machine, 50,000 posts):

* A collection walks every object of the generations it collects, and everything those
  objects refer to. A poll and the rows built from it make lists and dicts of 50,000
  entries; while they are young, each young collection walked them again: 4-14 ms per
  collection, and 9-26 ms per middle one, a dozen times a poll, each one a frozen screen
  for the key pressed at that moment. A full collection is worse: 0.5-1.5 s while a first
  load grows the heap.
* So no collection runs while such work is held (``gc.disable()``), and when the last
  hold is released everything allocated until then is frozen (``gc.freeze()``: moved out
  of the collector's sight, in constant time, without walking anything). Posts, rows and
  the snapshot hold no reference cycles, so reference counting alone still frees each as
  soon as it is dropped, frozen or not. Between polls the collector only sees what the
  UI allocated since: toasts, messages, a few widgets. Cheap, and their cycles are
  collected as usual.
* What froze as garbage (the few cycles a poll makes) waits for :meth:`Heap.collect_if_idle`,
  which unfreezes everything, collects it all and freezes the survivors again, only when
  nobody has typed for a while and no work is held: it costs 100-200 ms at 50,000 posts.
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Iterator
from typing import Final

__all__ = ["Heap"]

IDLE_AFTER_INPUT_SECONDS: Final = 3.0
# The few cycles frozen per poll are small (a poll's futures and messages): a deep
# collection this often keeps them from adding up without costing the user anything.
IDLE_COLLECT_EVERY_SECONDS: Final = 300.0
# A hold is meant for seconds of building. One that lasts longer is a poll waiting (for
# the API's rate-limit window, or a slow server): collections resume meanwhile, so the
# UI's garbage does not pile up for minutes.
LONGEST_HOLD_SECONDS: Final = 20.0


class Heap:
    """The collector's settings for one app (or one benchmark's monitor)."""

    def __init__(self) -> None:
        self._holds = 0
        self._was_enabled = gc.isenabled()  # put back by the last release, and close()
        self._froze = False  # something was frozen by us
        self._last_collect = time.monotonic()  # a new app has nothing to collect yet
        self._held_since = 0.0
        # Bumped by close(): holds taken before it are released by it, not again later.
        self._epoch = 0

    @property
    def held(self) -> bool:
        return self._holds > 0

    def hold(self) -> int:
        """No collection until :meth:`release` of the token this returns (holds nest)."""
        if self._holds == 0:
            self._was_enabled = gc.isenabled()
            self._held_since = time.monotonic()
            gc.disable()
        self._holds += 1
        return self._epoch

    def release(self, token: int) -> None:
        """The end of one hold; after the last one, what was allocated meanwhile is frozen
        and collections resume. A hold that :meth:`close` ended already is ignored."""
        if token != self._epoch or self._holds == 0:
            return
        self._holds -= 1
        if self._holds == 0:
            gc.freeze()
            self._froze = True
            if self._was_enabled:
                gc.enable()

    @contextlib.contextmanager
    def holding(self) -> Iterator[None]:
        """:meth:`hold` for the block, released however it ends."""
        token = self.hold()
        try:
            yield
        finally:
            self.release(token)

    def collect_if_idle(self, *, quiet_for: float) -> bool:
        """A full collection of everything, frozen or not, if no work is held, nobody typed
        for a while and the last one is old enough. True if it ran.

        Called every few seconds, it also ends the effect of a hold that has lasted too
        long (see LONGEST_HOLD_SECONDS): collections resume, the hold stays counted."""
        if self._holds:
            if self._was_enabled and time.monotonic() - self._held_since > LONGEST_HOLD_SECONDS:
                gc.enable()
            return False
        if quiet_for < IDLE_AFTER_INPUT_SECONDS:
            return False
        now = time.monotonic()
        if now - self._last_collect < IDLE_COLLECT_EVERY_SECONDS:
            return False
        self._last_collect = now
        if self._froze:
            gc.unfreeze()
        gc.collect()
        gc.freeze()
        self._froze = True
        return True

    def close(self) -> None:
        """Everything as it was: what was frozen collectable again, collections on if they
        were (also mid-hold: that work releasing its hold later changes nothing)."""
        if self._froze:
            gc.unfreeze()
            self._froze = False
        if self._holds:
            self._holds = 0
            if self._was_enabled:
                gc.enable()
        self._epoch += 1
