"""Client-side limiter for ``POST /v1/posts``: Soku allows 30 creates per minute.

A bulk retry of forty posts must not earn a wall of 429s, so creates wait their turn
here (first come, first served) and a UI can show the queue: how many are waiting and
how long until the next one may go. A 429 that reached us anyway (another monitor or
script on the same account) pauses everything for the server's ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Final

WINDOW: Final = 60.0
SOKU_CREATES_PER_MINUTE: Final = 30


class CreateLimiter:
    """A sliding-window limiter: at most ``max_per_minute`` acquisitions in any 60 s.

    ``clock`` (monotonic seconds) and ``sleep`` can be swapped for tests. The limiter
    belongs to one event loop; it does not coordinate across processes (the server's
    429, honoured through :meth:`block_for`, does that).
    """

    def __init__(
        self,
        max_per_minute: int = SOKU_CREATES_PER_MINUTE,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if max_per_minute < 1:
            raise ValueError("max_per_minute must be at least 1")
        self.max_per_minute = max_per_minute
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self._blocked_until = 0.0
        self._turn = asyncio.Lock()  # FIFO: waiters are served in arrival order
        self._queued = 0

    def __repr__(self) -> str:
        return (
            f"CreateLimiter(max_per_minute={self.max_per_minute}, queued={self._queued}, "
            f"next_slot_in={self.next_slot_in():.1f})"
        )

    @property
    def queued(self) -> int:
        """Creates waiting for a slot right now (including one about to be let through)."""
        return self._queued

    @property
    def blocked_for(self) -> float:
        """Seconds left of a pause imposed by a 429 (0 if none)."""
        return max(0.0, self._blocked_until - self._clock())

    def next_slot_in(self) -> float:
        """Seconds until a create may be sent (0 if one may go now)."""
        now = self._clock()
        self._forget_before(now - WINDOW)
        wait = max(0.0, self._blocked_until - now)
        if len(self._sent) >= self.max_per_minute:
            oldest_that_must_expire = self._sent[len(self._sent) - self.max_per_minute]
            wait = max(wait, oldest_that_must_expire + WINDOW - now)
        return wait

    def block_for(self, seconds: float) -> None:
        """Send nothing for ``seconds`` (a 429's Retry-After). Only ever extends a pause."""
        if seconds > 0:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    async def acquire(self) -> None:
        """Wait for a slot and take it. Cancelling the wait gives up the place in line."""
        self._queued += 1
        try:
            async with self._turn:
                # Re-check after every sleep: a 429 may have extended the pause meanwhile.
                while (wait := self.next_slot_in()) > 0:
                    await self._sleep(wait)
                self._sent.append(self._clock())
        finally:
            self._queued -= 1

    def _forget_before(self, cutoff: float) -> None:
        while self._sent and self._sent[0] <= cutoff:
            self._sent.popleft()


__all__ = ["SOKU_CREATES_PER_MINUTE", "WINDOW", "CreateLimiter"]
