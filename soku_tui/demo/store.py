"""The demo API's data: submissions kept as pre-serialised JSON behind a sorted index.

Built for 50,000 submissions served in pages of 250 in a few milliseconds: every
submission is stored as its orjson bytes (decoded only when it changes), and an index
sorted by ``(updatedAt, id)`` answers "newest first, from this cursor" with one bisect.

Pagination is keyset pagination on that order: a cursor names the last ``(updatedAt, id)``
served, and the next page starts strictly after it. A submission that does not change
during a walk through the pages is therefore served exactly once, whatever else is
created or changed meanwhile. One that *does* change moves to the front (its
``updatedAt`` is newer than the cursor), so the walk in progress does not see it again;
the next poll's ``updatedSince`` does.

Every change bumps ``version``; the list ETag is built from it (see :mod:`.api`).
Time comes from an injected clock, so settling created posts needs no timers: pending
runs are settled lazily, by whichever request comes first after they are due.
"""

from __future__ import annotations

import base64
import binascii
import heapq
import json
import random
import threading
from bisect import bisect_left, insort
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple

import orjson

from soku_tui.demo import scenario

_CURSOR_PREFIX: Final = "v1:"


class PageResult(NamedTuple):
    items: list[bytes]
    next_cursor: str | None
    version: int
    window_start: int


class _Entry:
    """One stored submission: its wire bytes plus what filtering and sorting need."""

    __slots__ = ("failed", "key", "raw", "status")

    def __init__(self, raw: bytes, key: tuple[int, str], status: str, failed: bool) -> None:
        self.raw = raw
        self.key = key
        self.status = status
        self.failed = failed


def _entry(submission: dict[str, Any]) -> _Entry:
    updated = submission.get("updatedAt") or submission.get("createdAt") or ""
    try:
        updated_ms = scenario.parse_iso_ms(str(updated))
    except ValueError:
        updated_ms = 0
    return _Entry(
        raw=_dumps(submission),
        key=(updated_ms, str(submission["postSubmissionId"])),
        status=str(submission.get("status")),
        failed=scenario.has_failed_run(submission),
    )


def _dumps(submission: dict[str, Any]) -> bytes:
    try:
        # orjson's result keeps its growth buffer (~4.5 KB for a ~1.3 KB submission);
        # an exact-size copy makes 50,000 submissions ~70 MB instead of ~230 MB.
        return bytes(memoryview(orjson.dumps(submission)))
    except TypeError:
        # Lone surrogates (hostile test data added with ``add``) have no UTF-8 form, but
        # JSON may carry them as \ud800 escapes, and a real server could send them so.
        return json.dumps(submission, ensure_ascii=True).encode("ascii")


def _loads(raw: bytes) -> dict[str, Any]:
    try:
        data: dict[str, Any] = orjson.loads(raw)
    except orjson.JSONDecodeError:  # the \ud800 escapes written by _dumps
        data = json.loads(raw)
    return data


def encode_cursor(key: tuple[int, str]) -> str:
    text = f"{_CURSOR_PREFIX}{key[0]}:{key[1]}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """The key a cursor names. Raises ``ValueError`` for anything we did not issue."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not text.startswith(_CURSOR_PREFIX):
        raise ValueError("invalid cursor")
    millis, sep, submission_id = text[len(_CURSOR_PREFIX) :].partition(":")
    if not sep or not submission_id or not millis.lstrip("-").isdigit():
        raise ValueError("invalid cursor")
    return int(millis), submission_id


class Store:
    """Thread-safe in-memory submissions, with the life cycle the demo simulates."""

    def __init__(
        self,
        submissions: Iterable[dict[str, Any]],
        *,
        clock: Callable[[], datetime],
        seed: int = 7,
        settle_seconds: float = 1.5,
        success_rate: float = 0.85,
    ) -> None:
        self._lock = threading.RLock()
        self._clock = clock
        self._seed = seed
        self._settle_ms = max(0, int(settle_seconds * 1000))
        self._success_rate = success_rate
        self._entries: dict[str, _Entry] = {}
        for submission in submissions:
            entry = _entry(submission)
            self._entries[entry.key[1]] = entry
        # Ascending (updatedAt ms, id); pages walk it backwards (newest first).
        self._index: list[tuple[int, str]] = sorted(e.key for e in self._entries.values())
        self._last_ms = self._index[-1][0] if self._index else 0
        self._pending: list[tuple[int, str]] = []  # heap of (due ms, id)
        self._created = 0
        self._ticks = 0
        self.version = 1

    # --- reading ---

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def get(self, submission_id: str) -> bytes | None:
        with self._lock:
            self._settle_due()
            entry = self._entries.get(submission_id)
            return entry.raw if entry is not None else None

    def get_json(self, submission_id: str) -> dict[str, Any] | None:
        raw = self.get(submission_id)
        return _loads(raw) if raw is not None else None

    def page(
        self,
        *,
        statuses: frozenset[str],
        since_ms: int | None,
        cursor: tuple[int, str] | None,
        limit: int,
    ) -> PageResult:
        """One page, newest first, and what identifies the whole filtered result set."""
        with self._lock:
            self._settle_due()
            index = self._index
            position = bisect_left(index, cursor) if cursor is not None else len(index)
            items: list[bytes] = []
            last_key: tuple[int, str] | None = None
            more = False
            entries = self._entries
            position -= 1
            while position >= 0:
                key = index[position]
                if since_ms is not None and key[0] < since_ms:
                    break
                entry = entries[key[1]]
                if (
                    not statuses
                    or entry.status in statuses
                    or (entry.failed and "failed" in statuses)
                ):
                    if len(items) == limit:
                        # Looked one match ahead, so the last page says nextCursor: null.
                        more = True
                        break
                    items.append(entry.raw)
                    last_key = key
                position -= 1
            next_cursor = encode_cursor(last_key) if more and last_key is not None else None
            # Where the updatedSince window starts: with the version and the filter, it pins
            # the result set exactly, so a moving updatedSince can still match an ETag.
            window_start = bisect_left(index, (since_ms, "")) if since_ms is not None else 0
            return PageResult(items, next_cursor, self.version, window_start)

    def failed_count(self) -> int:
        with self._lock:
            return sum(1 for entry in self._entries.values() if entry.failed)

    @property
    def created_count(self) -> int:
        with self._lock:
            return self._created

    # --- changing ---

    def create(
        self,
        body: dict[str, Any],
        *,
        targets: Sequence[tuple[str, str]],
        scheduled_ms: int | None,
    ) -> str:
        """Store a new submission from a validated create body; returns its id."""
        with self._lock:
            self._created += 1
            rng = random.Random(f"{self._seed}:create:{self._created}")
            submission_id = scenario.new_submission_id(rng)
            while submission_id in self._entries:  # only if a seed collides with the scenario
                submission_id = scenario.new_submission_id(rng)
            at_ms = self._stamp()
            submission = scenario.new_submission(
                body,
                submission_id=submission_id,
                targets=targets,
                at_ms=at_ms,
                scheduled_ms=scheduled_ms,
            )
            self._put(submission)
            start_ms = max(at_ms, scheduled_ms or 0)
            heapq.heappush(self._pending, (start_ms + self._settle_ms, submission_id))
            self.version += 1
            return submission_id

    def add(self, submissions: Iterable[dict[str, Any]]) -> list[str]:
        """Store submissions as given (a test's or a benchmark's own, hostile ones
        included), replacing any with the same id; returns their ids."""
        batch = list(submissions)
        if not all(isinstance(item.get("postSubmissionId"), str) for item in batch):
            raise ValueError("every submission needs a string postSubmissionId")
        with self._lock:
            for submission in batch:
                self._put(submission)
            self._last_ms = max(self._last_ms, self._index[-1][0] if self._index else 0)
            self.version += 1
            return [str(item["postSubmissionId"]) for item in batch]

    def tick(self) -> None:
        """An old failure gets resolved, and a new one arrives (the newest of all)."""
        with self._lock:
            self._ticks += 1
            rng = random.Random(f"{self._seed}:tick:{self._ticks}")
            for _, submission_id in self._index:
                entry = self._entries[submission_id]
                if entry.failed:
                    resolved = scenario.resolve_submission(
                        _loads(entry.raw), at_ms=self._stamp(), rng=rng
                    )
                    self._put(resolved)
                    break
            self._put(scenario.failed_submission(rng, updated_ms=self._stamp()))
            self.version += 1

    def touch(self, percent: float, offset: int = 0) -> int:
        """Change ``percent`` % of the failed submissions in place (see
        :func:`scenario.touch_submission`): every (100/percent)-th one in newest-first
        order, from position ``offset``. They keep their place in the list. Returns how
        many changed."""
        step = max(1, round(100 / percent))
        with self._lock:
            at_ms = self._stamp()
            newest_first = [key[1] for key in reversed(self._index)]
            failed = [sid for sid in newest_first if self._entries[sid].failed]
            chosen = failed[offset::step]
            for submission_id in chosen:
                entry = self._entries[submission_id]
                touched = scenario.touch_submission(_loads(entry.raw), at_ms=at_ms)
                self._entries[submission_id] = _entry(touched)  # same key: same place
            if chosen:
                self.version += 1
            return len(chosen)

    def _settle_due(self) -> None:
        if not self._pending:
            return
        now_ms = scenario.to_ms(self._clock())
        changed = False
        while self._pending and self._pending[0][0] <= now_ms:
            _, submission_id = heapq.heappop(self._pending)
            entry = self._entries.get(submission_id)
            if entry is None:
                continue
            rng = random.Random(f"{self._seed}:settle:{submission_id}")
            settled = scenario.settle_submission(
                _loads(entry.raw),
                at_ms=self._stamp(),
                rng=rng,
                success_rate=self._success_rate,
            )
            self._put(settled)
            changed = True
        if changed:
            self.version += 1

    def _stamp(self) -> int:
        # Strictly increasing, so "the newest change" is never a tie, even on a frozen clock.
        self._last_ms = max(scenario.to_ms(self._clock()), self._last_ms + 1)
        return self._last_ms

    def _put(self, submission: dict[str, Any]) -> None:
        entry = _entry(submission)
        old = self._entries.get(entry.key[1])
        if old is not None:
            position = bisect_left(self._index, old.key)
            if position < len(self._index) and self._index[position] == old.key:
                del self._index[position]
        self._entries[entry.key[1]] = entry
        insort(self._index, entry.key)
