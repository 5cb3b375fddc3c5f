"""Python's garbage collector, run for a monitor that keeps 50,000 posts for hours.

The collector's settings are process-wide, so one object owns them: the monitor tells it
when a poll starts and ends, the app when it has built rows and when the user is idle.

Why it needs managing at all (measured on the project's 2-core machine):

* A full collection walks every tracked object and holds the event loop while it does:
  0.5–1.5 s while a first load of 50,000 posts grows the heap, and 140–230 ms over the
  posts, rows and filter facts once loaded.
* So none happens during a poll. A first load is then frozen (``gc.freeze()``: later
  collections do not walk it); posts hold no reference cycles, so reference counting
  still frees each when it leaves the snapshot. The rows and facts built from it are
  frozen too, once enough of them exist, after a young collection so that fresh cycles
  are not frozen with them.
* After that, Python starts no full collection by itself (one would come right after a
  poll, while its rows are applied and the user types: 15–30 ms each).
  :meth:`Heap.collect_if_idle` runs them when nobody has typed for a while. It does not
  freeze: widgets (toasts, footer keys, closed screens) are reference cycles, and frozen
  they would never be collected.
* A later poll decodes a page's JSON (thousands of dicts) and drops it a moment later;
  with the default young threshold (700) the collector ran inside every decode,
  promoting those dicts until full collections followed (20–80 ms per 10k poll that
  changed 1% of posts). During a poll the young threshold is raised instead.
"""

from __future__ import annotations

import gc
import math
import time
from typing import Final

__all__ = ["Heap"]

# Young-generation threshold while a later poll reads pages: above the containers one
# page of JSON decodes to (~10 per post, 250 posts).
POLL_YOUNG_THRESHOLD: Final = 10_000
# The oldest generation's threshold while full collections are left to us.
FULL_COLLECTIONS_OFF: Final = 1 << 30
# Rows and facts built since the first load was frozen, in posts, past which they are
# frozen too (a 50k first load passes it with its own rows).
REFREEZE_AFTER_POSTS: Final = 5000
IDLE_AFTER_INPUT_SECONDS: Final = 3.0
IDLE_COLLECT_EVERY_SECONDS: Final = 30.0


class Heap:
    """The collector's settings for one app (or one benchmark's monitor)."""

    def __init__(self) -> None:
        self._start = gc.get_threshold()  # put back by close()
        self._frozen = False  # something was frozen by us
        self._quiet = False  # full collections are ours (collect_if_idle) from now on
        self._poll: tuple[int, ...] | None = None  # thresholds a running poll puts back
        self._built = 0
        self._last_collect = -math.inf

    def poll_started(self, *, first_load: bool) -> None:
        """No full collections while a poll reads pages (see the module's notes)."""
        self._poll = young, middle, _ = gc.get_threshold()
        if not first_load:  # a first load keeps what it decodes: young ones go on
            young = max(young, POLL_YOUNG_THRESHOLD)
        gc.set_threshold(young, middle, FULL_COLLECTIONS_OFF)

    def poll_ended(self, *, first_load: bool) -> None:
        """Settings back as the poll found them; a first load's survivors frozen. Nothing
        if :meth:`close` came first (an app closing mid-poll)."""
        held, self._poll = self._poll, None
        if held is None:
            return
        if first_load:
            # No collection first (that alone was a 1.7 s stall): the cycles that became
            # garbage during the load and reached the oldest generation stay (a few MB).
            gc.freeze()
            self._frozen = True
        gc.set_threshold(*held)

    def built(self, posts: int) -> None:
        """Rows or filter facts of ``posts`` posts were just built; they live as long as
        their post does. Frozen (once) when enough of them follow a frozen first load."""
        self._built += posts
        if self._quiet or not self._frozen or self._built < REFREEZE_AFTER_POSTS:
            return
        gc.collect(1)
        gc.freeze()
        self._quiet = True
        self._full_collections_off()

    def collect_if_idle(self, *, polling: bool, quiet_for: float) -> bool:
        """A full collection, if full collections are ours, no poll runs, nobody typed
        for a while and the last one is old enough. True if it ran."""
        if not self._quiet or polling:
            return False
        self._full_collections_off()  # in case a poll ended with the settings it found
        now = time.monotonic()
        if quiet_for < IDLE_AFTER_INPUT_SECONDS:
            return False
        if now - self._last_collect < IDLE_COLLECT_EVERY_SECONDS:
            return False
        self._last_collect = now
        gc.collect()
        return True

    def close(self) -> None:
        """Everything as it was: what was frozen collectable again, the settings of the
        start (also mid-poll: that poll then changes nothing)."""
        self._poll = None
        if self._frozen:
            gc.unfreeze()
        gc.set_threshold(*self._start)
        self._frozen = self._quiet = False
        self._built = 0

    def _full_collections_off(self) -> None:
        young, middle, _ = self._start
        gc.set_threshold(young, middle, FULL_COLLECTIONS_OFF)
