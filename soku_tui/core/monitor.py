"""The poll coordinator: one poll at a time, backoff, the last good snapshot and the API's health.

The screens never call HTTP. They receive :class:`MonitorUpdate` objects from
:class:`Monitor` and render them. APScheduler drives the polls (an interval job with
coalescing, one instance, no misfire skipping); a failed poll reschedules the job
with exponential backoff and jitter, honouring ``Retry-After`` / ``X-RateLimit-Reset``.

A failing poll never throws away data: the last good snapshot stays, and its age
tells the user how stale it is.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import compress
from operator import attrgetter, is_not, not_
from typing import Any, Final, Literal

from soku_tui.core.catalog import api_problem_advice
from soku_tui.core.client import SokuClient
from soku_tui.core.errors import RateLimitInfo, SokuApiError, SokuBadResponse, SokuError
from soku_tui.core.heap import Heap
from soku_tui.core.models import Submission
from soku_tui.core.pages import PageReader
from soku_tui.core.slices import chunks, finish, run_in_slices

log = logging.getLogger("soku_tui.monitor")
_POST_ID = attrgetter("post_submission_id")

MIN_INTERVAL: Final = 5.0
DEFAULT_INTERVAL: Final = 30.0
BACKOFF_BASE: Final = 5.0
BACKOFF_CAP: Final = 300.0
# While the key or subscription is refused, asking often cannot help.
AUTH_PROBLEM_MIN_DELAY: Final = 120.0
# During a first (empty-screen) load, show what has arrived this often.
PROGRESS_EVERY_SECONDS: Final = 0.25
POLL_JOB_ID: Final = "soku-poll"
# A 429 that names no wait: back off, but never longer than this (the contract's cap).
RATE_LIMIT_CAP: Final = 60.0
DOCTOR_ADVICE: Final = (
    "The API answered in a way this monitor does not understand. "
    "Run `soku-tui doctor` to see what differs from the expected contract."
)

HealthState = Literal["starting", "ok", "rate_limited", "unreachable", "auth", "bad_response"]


@dataclass(frozen=True, slots=True)
class Health:
    """How the API is doing, in words a user can act on."""

    state: HealthState
    message: str = ""
    advice: str = ""
    since: datetime | None = None
    next_attempt_at: datetime | None = None
    status: int | None = None
    consecutive_failures: int = 0

    @property
    def ok(self) -> bool:
        return self.state == "ok"


def _failed_runs(submission: Submission) -> int:
    return sum(1 for run in submission.runs if run.is_failed)


def sort_key(submission: Submission) -> tuple[float, str]:
    """Newest first, ties broken by id so rows never swap between polls."""
    when = submission.when
    return (-(when.timestamp() if when else 0.0), submission.post_submission_id)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The failed submissions as of the last good poll, newest first."""

    submissions: tuple[Submission, ...] = ()
    by_id: Mapping[str, Submission] = field(default_factory=dict)
    fetched_at: datetime | None = None
    skipped: int = 0
    etag: str | None = None
    # Counted once by ``build`` (the header shows it on every update; 50k posts).
    run_failures: int | None = field(default=None, compare=False, repr=False)

    @classmethod
    def build(
        cls,
        submissions: Sequence[Submission],
        *,
        fetched_at: datetime | None,
        skipped: int = 0,
        etag: str | None = None,
        previous: Snapshot | None = None,
    ) -> Snapshot:
        """The snapshot of ``submissions``, newest first.

        With ``previous`` (the last poll's snapshot) only what changed is sorted: unchanged
        posts are the very same objects from poll to poll (see core/pages.py), already in
        order there, so a poll that changed 1% of 50,000 posts costs 1% of a full build.
        """
        return finish(
            cls.build_in_steps(
                submissions, fetched_at=fetched_at, skipped=skipped, etag=etag, previous=previous
            )
        )

    @classmethod
    def build_in_steps(
        cls,
        submissions: Sequence[Submission],
        *,
        fetched_at: datetime | None,
        skipped: int = 0,
        etag: str | None = None,
        previous: Snapshot | None = None,
    ) -> Generator[None, None, Snapshot]:
        """:meth:`build` in steps of a few ms, for :func:`soku_tui.core.slices.run_in_slices`.

        The bulk comparisons run as C loops (map/compress) over chunks of
        posts: 50,000 posts in a few ms each instead of a Python step per post.
        """
        built, _ = yield from cls._built_in_steps(
            submissions, fetched_at=fetched_at, skipped=skipped, etag=etag, previous=previous
        )
        return built

    @classmethod
    def _built_in_steps(
        cls,
        submissions: Sequence[Submission],
        *,
        fetched_at: datetime | None,
        skipped: int,
        etag: str | None,
        previous: Snapshot | None,
    ) -> Generator[None, None, tuple[Snapshot, _Changes | None]]:
        """The snapshot, and when it was carried over from ``previous``, the posts that
        arrived in it and left it (new objects and the ones they replace): the diff is
        made from those, instead of comparing 50,000 posts again."""
        # A submission listed twice (pages shifting under us) counts once; last wins.
        by_id: dict[str, Submission] = {}
        for chunk in chunks(submissions):
            by_id.update(zip(map(_POST_ID, chunk), chunk, strict=True))
            yield
        if previous is not None and previous.run_failures is not None:
            updated = yield from previous._updated_in_steps(by_id)
            if updated is not None:
                ordered, failures, changes = updated
                return cls(ordered, by_id, fetched_at, skipped, etag, failures), changes
        posts = list(by_id.values())
        keys: list[tuple[float, str]] = []
        for chunk in chunks(posts):
            keys.extend(map(sort_key, chunk))
            yield
        # Stable, like sorted(posts, key=sort_key), with the keys already computed.
        ordered = tuple(map(posts.__getitem__, sorted(range(len(posts)), key=keys.__getitem__)))
        yield
        failures = 0
        for chunk in chunks(posts):
            failures += sum(map(_failed_runs, chunk))
            yield
        return cls(ordered, by_id, fetched_at, skipped, etag, failures), None

    def _updated_in_steps(
        self, by_id: Mapping[str, Submission]
    ) -> Generator[None, None, tuple[tuple[Submission, ...], int, _Changes] | None]:
        """This snapshot's order and failure count carried over to ``by_id``, with what
        arrived and left; None when so much changed that sorting everything again is the
        cheaper way."""
        old = self.by_id
        arrived = yield from _not_in(by_id, old)
        left = yield from _not_in(old, by_id)
        if not arrived and not left:
            return self.submissions, self.run_failures or 0, (arrived, left)
        if len(arrived) + len(left) > len(by_id) // 8:
            return None
        ordered: list[Submission] = []
        if left:
            gone = set(map(id, left))
            for chunk in chunks(self.submissions):
                kept = map(not_, map(gone.__contains__, map(id, chunk)))
                ordered.extend(compress(chunk, kept))
                yield
        else:
            ordered.extend(self.submissions)
        for submission in arrived:
            # Probes O(log n) keys: the unchanged posts' keys are never all computed.
            bisect.insort(ordered, submission, key=sort_key)
            yield
        failures = (self.run_failures or 0) - sum(_failed_runs(s) for s in left)
        failures += sum(_failed_runs(s) for s in arrived)
        return tuple(ordered), failures, (arrived, left)

    @property
    def failed_run_count(self) -> int:
        if self.run_failures is not None:
            return self.run_failures
        return sum(_failed_runs(s) for s in self.submissions)

    def get(self, post_id: str) -> Submission | None:
        return self.by_id.get(post_id)


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def diff_snapshots(old: Snapshot, new: Snapshot) -> SnapshotDiff:
    return finish(diff_in_steps(old, new))


def diff_in_steps(old: Snapshot, new: Snapshot) -> Generator[None, None, SnapshotDiff]:
    """:func:`diff_snapshots` in steps (see :meth:`Snapshot.build_in_steps`), in the new
    (or, for the removed, the old) snapshot's order."""
    # Unchanged posts are the same objects from poll to poll (see core/pages.py): the
    # identity test spares comparing 50,000 posts field by field.
    arrived = yield from _not_in(new.by_id, old.by_id)
    left = yield from _not_in(old.by_id, new.by_id)
    return (yield from _diff_of_changes(old, new, (arrived, left)))


def build_and_diff_in_steps(
    submissions: Sequence[Submission], *, previous: Snapshot, skipped: int, etag: str | None
) -> Generator[None, None, tuple[Snapshot, SnapshotDiff]]:
    """The snapshot of ``submissions`` built from ``previous``, and its diff against it:
    the posts that arrived and left are found once, for both."""
    new, changes = yield from Snapshot._built_in_steps(
        submissions, fetched_at=None, skipped=skipped, etag=etag, previous=previous
    )
    if changes is None:
        diff = yield from diff_in_steps(previous, new)
    else:
        diff = yield from _diff_of_changes(previous, new, changes)
    return new, diff


# The posts of the new snapshot that the old one lacks or holds as another object, and
# the posts of the old one that the new one lacks or holds as another object.
_Changes = tuple[list[Submission], list[Submission]]


def _diff_of_changes(
    old: Snapshot, new: Snapshot, changes: _Changes
) -> Generator[None, None, SnapshotDiff]:
    arrived, left = changes
    old_ids, new_ids = old.by_id, new.by_id
    added: list[str] = []
    changed: list[str] = []
    for count, submission in enumerate(arrived, 1):
        post_id = submission.post_submission_id
        before = old_ids.get(post_id)
        if before is None:
            added.append(post_id)
        elif before != submission:
            changed.append(post_id)
        if not count % _COMPARED_PER_STEP:
            yield  # comparing two posts field by field takes ~8 µs; 500 of them, 4 ms
    yield
    removed = [s.post_submission_id for s in left if s.post_submission_id not in new_ids]
    return SnapshotDiff(tuple(added), tuple(removed), tuple(changed))


_COMPARED_PER_STEP: Final = 100


def _not_in(
    posts: Mapping[str, Submission], other: Mapping[str, Submission]
) -> Generator[None, None, list[Submission]]:
    """The posts of ``posts`` that ``other`` lacks or holds as another object, in order."""
    found: list[Submission] = []
    ids = list(posts)
    yield
    values = list(posts.values())
    yield
    for id_chunk, chunk in zip(chunks(ids), chunks(values), strict=True):
        found.extend(compress(chunk, map(is_not, map(other.get, id_chunk), chunk)))
        yield
    return found


@dataclass(frozen=True, slots=True)
class PollStats:
    latency: float | None = None  # seconds, last completed poll
    pages: int = 0
    bytes_received: int = 0
    not_modified: bool = False
    rate_limit: RateLimitInfo | None = None


@dataclass(frozen=True, slots=True)
class MonitorUpdate:
    """What a screen needs after each poll (or each chunk of a first load)."""

    snapshot: Snapshot
    diff: SnapshotDiff
    health: Health
    stats: PollStats
    polling: bool  # a poll is in flight
    loading: bool = False  # a first load is still arriving: ``snapshot`` is partial
    loaded_pages: int = 0
    next_poll_at: datetime | None = None


UpdateCallback = Callable[[MonitorUpdate], None]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Backoff:
    """Exponential backoff with full jitter, capped; the server's own wait wins if longer."""

    def __init__(
        self,
        base: float = BACKOFF_BASE,
        cap: float = BACKOFF_CAP,
        rng: random.Random | None = None,
    ) -> None:
        self.base = base
        self.cap = cap
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography

    def delay(self, failures: int, *, server_wait: float | None = None) -> float:
        ceiling = min(self.cap, self.base * (2 ** max(0, failures - 1)))
        # Half fixed, half random: never hammer, never wait absurdly short.
        jittered: float = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if server_wait is not None:
            return float(max(jittered, min(server_wait, self.cap * 4)))
        return jittered


def describe_failure(error: SokuError) -> tuple[HealthState, str, str, int | None]:
    """(state, message, advice, status) for a failed poll."""
    if isinstance(error, SokuApiError):
        advice = api_problem_advice(error.status, error.code)
        if error.is_auth_problem:
            return "auth", error.message, advice, error.status
        if error.is_rate_limited:
            return "rate_limited", error.message, advice, error.status
        if error.status < 500:
            # 404/405/other 4xx on our read routes: this account's API is not the one we
            # assume, and waiting will not change that.
            return "bad_response", error.message, DOCTOR_ADVICE, error.status
        return "unreachable", error.message, advice, error.status
    if isinstance(error, SokuBadResponse):
        advice = DOCTOR_ADVICE
        if error.kind == "too_large":
            advice = "Raise max_body_bytes in the config if such large answers are expected."
        return "bad_response", error.message, advice, error.status
    return (
        "unreachable",
        error.message,
        "Check the network and the base URL; the monitor keeps trying on its own.",
        None,
    )


class Monitor:
    """Polls failed submissions on an APScheduler job and reports every change."""

    def __init__(
        self,
        client: SokuClient,
        *,
        interval: float = DEFAULT_INTERVAL,
        since: timedelta | None = timedelta(days=7),
        on_update: UpdateCallback | None = None,
        clock: Callable[[], datetime] = _utcnow,
        backoff: Backoff | None = None,
        use_etag: bool = True,
        timer: Callable[[], float] = time.monotonic,
        heap: Heap | None = None,
    ) -> None:
        self.client = client
        self.interval = max(MIN_INTERVAL, interval)
        self.since = since
        self._on_update = on_update
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._use_etag = use_etag
        # Latency is measured with this; tests and screenshots pass a frozen one.
        self._timer = timer
        self.snapshot = Snapshot()
        self.health = Health("starting", "Connecting to Soku…")
        self.stats = PollStats()
        self.next_poll_at: datetime | None = None
        self._poll_lock = asyncio.Lock()
        # Reads the pages, reusing the last poll's unchanged submissions.
        self._reader = PageReader()
        # For a long-running app: the garbage collector around polls (core/heap.py).
        self._heap = heap
        self._scheduler: Any = None
        # The partial snapshot shown during a first load; diffs are taken against it.
        self._progress_snapshot: Snapshot | None = None

    # -- scheduling ------------------------------------------------------------------------

    def start(self) -> None:
        """Start polling now, then every ``interval``. Needs a running event loop."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler.add_job(
            self._scheduled_poll,
            "interval",
            seconds=self.interval,
            id=POLL_JOB_ID,
            next_run_time=datetime.now(UTC),
        )
        self._scheduler.start()

    def stop(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        if self._heap is not None:
            # What was frozen may become garbage now: collectable again; and a poll still
            # running leaves the collector alone when it ends.
            self._heap.close()

    @property
    def running(self) -> bool:
        return self._scheduler is not None and bool(self._scheduler.running)

    @property
    def polling(self) -> bool:
        return self._poll_lock.locked()

    def poll_now(self) -> None:
        """Run the poll job as soon as possible (a poll already running is not doubled)."""
        self._reschedule(0.0)

    def set_interval(self, seconds: float) -> float:
        """Change the interval live (floored); returns the interval in force."""
        self.interval = max(MIN_INTERVAL, seconds)
        if self.running:
            self._scheduler.reschedule_job(POLL_JOB_ID, trigger="interval", seconds=self.interval)
            self._reschedule(self.interval)
        return self.interval

    def _reschedule(self, delay: float) -> None:
        when = datetime.now(UTC) + timedelta(seconds=delay)
        self.next_poll_at = self._clock() + timedelta(seconds=delay)
        if self.running:
            self._scheduler.modify_job(POLL_JOB_ID, next_run_time=when)

    async def _scheduled_poll(self) -> None:
        try:
            await self.poll_once()
        except Exception:  # a job must never die: log it and keep the schedule
            log.exception("poll failed unexpectedly")

    # -- polling ---------------------------------------------------------------------------

    async def poll_once(self) -> MonitorUpdate | None:
        """One poll. Returns None (and does nothing) if another poll is still running."""
        if self._poll_lock.locked():
            return None
        async with self._poll_lock:
            return await self._poll()

    async def _poll(self) -> MonitorUpdate:
        started = self._timer()
        self._emit(self._update(SnapshotDiff(), polling=True))
        since = self._clock() - self.since if self.since is not None else None
        # A snapshot with unreadable entries is not worth keeping by ETag: once the API
        # answers cleanly again the next poll must fetch it in full.
        usable = self.snapshot.fetched_at is not None and not self.snapshot.skipped
        etag = self.snapshot.etag if self._use_etag and usable else None
        first_load = self.snapshot.fetched_at is None
        reader = self._reader
        reader.begin()
        # No garbage collection while the pages are read and the snapshot is built (see
        # core/heap.py): the collector would walk every young 50,000-entry structure.
        with self._heap.holding() if self._heap is not None else contextlib.nullcontext():
            return await self._read_pages(reader, since, etag, first_load, started)

    async def _read_pages(
        self,
        reader: PageReader,
        since: datetime | None,
        etag: str | None,
        first_load: bool,
        started: float,
    ) -> MonitorUpdate:
        collected: list[Submission] = []
        skipped = pages = wire = 0
        new_etag: str | None = None
        not_modified = False
        last_progress = time.monotonic()
        try:
            async for result in self.client.iter_failed_pages(
                since=since, etag=etag, parser=reader
            ):
                pages += 1
                wire += result.bytes_received
                if result.not_modified:
                    not_modified = True
                    break
                if result.number == 1:
                    new_etag = result.etag
                collected.extend(result.page.items)
                skipped += result.page.skipped
                if first_load and (
                    pages == 1 or time.monotonic() - last_progress >= PROGRESS_EVERY_SECONDS
                ):
                    await self._emit_progress(collected, skipped, pages)
                    last_progress = time.monotonic()
        except SokuError as error:
            reader.abort()
            return self._fail(error, started, pages, wire)
        if not_modified:
            reader.abort()
            built = None
        else:
            reader.commit()
            # Sorting and diffing 50,000 posts is CPU work: a few ms at a time between the
            # screen's events (not in a thread: see core/slices.py).
            # Against the last good snapshot, not a partial one: "new since last poll".
            built = await run_in_slices(
                build_and_diff_in_steps(
                    collected, previous=self.snapshot, skipped=skipped, etag=new_etag
                )
            )
        return self._succeed(built, started, pages, wire)

    async def _emit_progress(self, collected: list[Submission], skipped: int, pages: int) -> None:
        previous = self._progress_snapshot or self.snapshot
        partial, diff = await run_in_slices(
            build_and_diff_in_steps(collected, previous=previous, skipped=skipped, etag=None)
        )
        self._emit(
            MonitorUpdate(
                partial,
                diff,
                self.health,
                self.stats,
                polling=True,
                loading=True,
                loaded_pages=pages,
                next_poll_at=self.next_poll_at,
            )
        )
        self._progress_snapshot = partial

    def _succeed(
        self,
        built: tuple[Snapshot, SnapshotDiff] | None,
        started: float,
        pages: int,
        wire: int,
    ) -> MonitorUpdate:
        """Record a good poll: ``built`` is the new snapshot and its diff, None for a 304."""
        now = self._clock()
        self._progress_snapshot = None
        if built is None:
            new = replace(self.snapshot, fetched_at=now)
            diff = SnapshotDiff()
        else:
            new, diff = replace(built[0], fetched_at=now), built[1]
        not_modified = built is None
        self.snapshot = new
        self.health = Health("ok", since=self.health.since if self.health.ok else now)
        self.stats = PollStats(
            latency=self._timer() - started,
            pages=pages,
            bytes_received=wire,
            not_modified=not_modified,
            rate_limit=self.client.last_rate_limit,
        )
        self._reschedule(self._next_delay_when_ok())
        update = self._update(diff, polling=False)
        self._emit(update)
        return update

    def _next_delay_when_ok(self) -> float:
        """The normal interval, unless the API's read budget is spent before it resets."""
        limit = self.client.last_rate_limit
        if limit and limit.remaining == 0 and limit.reset_at:
            wait = (limit.reset_at - datetime.now(UTC)).total_seconds()
            return max(self.interval, min(wait, BACKOFF_CAP))
        return self.interval

    def _fail(self, error: SokuError, started: float, pages: int, wire: int) -> MonitorUpdate:
        now = self._clock()
        state, message, advice, status = describe_failure(error)
        failures = self.health.consecutive_failures + 1
        server_wait = error.retry_after if isinstance(error, SokuApiError) else None
        delay = self._backoff.delay(failures, server_wait=server_wait)
        if state == "auth":
            delay = max(delay, self.interval * 4, AUTH_PROBLEM_MIN_DELAY)
        elif state == "rate_limited" and server_wait is None:
            delay = min(delay, RATE_LIMIT_CAP)
        since = self.health.since if self.health.state == state else now
        self.health = Health(
            state,
            message,
            advice,
            since=since,
            next_attempt_at=now + timedelta(seconds=delay),
            status=status,
            consecutive_failures=failures,
        )
        self.stats = replace(
            self.stats, latency=self._timer() - started, pages=pages, bytes_received=wire
        )
        log.warning("poll failed (%s): %s; next attempt in %.0f s", state, message, delay)
        self._progress_snapshot = None
        self._reschedule(delay)
        # A failed first load may have shown partial rows; the last good snapshot wins.
        update = self._update(SnapshotDiff(), polling=False)
        self._emit(update)
        return update

    def _update(self, diff: SnapshotDiff, *, polling: bool) -> MonitorUpdate:
        return MonitorUpdate(
            self.snapshot,
            diff,
            self.health,
            self.stats,
            polling=polling,
            next_poll_at=self.next_poll_at,
        )

    def _emit(self, update: MonitorUpdate) -> None:
        if self._on_update is None:
            return
        try:
            self._on_update(update)
        except Exception:  # a broken listener must not stop polling
            log.exception("update listener failed")
