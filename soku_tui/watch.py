"""``soku-tui watch``: failures as they appear, change and resolve, for alerting pipelines.

    soku-tui watch --jsonl [--only-changes] [--demo] [--interval S] [--since W]

One line per event on stdout, flushed at once (``| jq``, ``| head``, a log shipper):

    {"event": "new", "at": "2026-03-01T12:00:00Z", "post": {...}}

``event`` is ``new`` (a post with failed runs appeared), ``resolved`` (it left the list of
failures: it published, or left the ``--since`` window), or ``changed`` (its set of
failed runs or their statuses/codes changed; a new attempt counts). ``at`` is when the
poll that saw it completed. ``post`` has the shape of one entry of ``soku-tui failed
--json``'s ``posts`` (``ack`` included); for ``resolved`` it is the last state seen. The
first poll reports every current failure as ``new`` unless ``--only-changes``. Without
``--jsonl`` the same events are printed as one readable line each.

Polling uses the monitor core: the interval (floor 5 s), exponential backoff with
jitter on failure, ``Retry-After`` honoured. Problems go to stderr as one line each and
polling goes on: watch outlives outages, a revoked key (slowly) and a flapping proxy.
``kill -USR1`` polls at once.

Exit: SIGTERM or SIGHUP → 0; SIGINT (Ctrl-C) → 130; the reader went away (EPIPE, e.g.
``| head -n 5``) → 0, quietly; no key → 4 (before anything is polled).

This module never imports Textual or Rich.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, TextIO

from soku_tui.core.models import Submission, platform_name
from soku_tui.core.monitor import Monitor, MonitorUpdate, Snapshot, SnapshotDiff
from soku_tui.core.sanitize import one_line
from soku_tui.core.timestamps import iso_z
from soku_tui.exit_codes import ExitCode

if TYPE_CHECKING:
    from soku_tui.config import Settings
    from soku_tui.core.acks import AckStore

__all__ = [
    "EventKind",
    "WatchEvent",
    "Watcher",
    "failure_signature",
    "format_event",
    "run_watch",
    "watch_events",
]

PROG: Final = "soku-tui"
EventKind = Literal["new", "resolved", "changed"]
# How long a stop may wait for a poll in flight before it is abandoned.
STOP_GRACE: Final = 1.0


@dataclass(frozen=True, slots=True)
class WatchEvent:
    kind: EventKind
    at: datetime
    submission: Submission

    @property
    def post_id(self) -> str:
        return self.submission.post_submission_id


def failure_signature(submission: Submission) -> frozenset[tuple[str, int, int | None, str | None]]:
    """What makes a failure "the same": which runs failed, at which attempt, how."""
    return frozenset(
        (run.target_id, run.attempt, run.http_status, run.error.code if run.error else None)
        for run in submission.failed_runs
    )


def _failing(snapshot: Snapshot, post_id: str) -> Submission | None:
    submission = snapshot.get(post_id)
    return submission if submission is not None and submission.failed_runs else None


def watch_events(
    old: Snapshot, new: Snapshot, diff: SnapshotDiff, *, at: datetime
) -> list[WatchEvent]:
    """The events between two snapshots; ``diff`` must be ``diff_snapshots(old, new)``.

    A listed post without any failed run is not a failure (the list may carry
    partially failed posts whose failed run was retried elsewhere): it is neither ``new``
    nor kept, and a post that loses its last failed run is ``resolved``.
    """
    events: list[WatchEvent] = []
    for post_id in diff.added:
        now = _failing(new, post_id)
        if now is not None:
            events.append(WatchEvent("new", at, now))
    for post_id in diff.changed:
        before, now = _failing(old, post_id), _failing(new, post_id)
        if before is None and now is not None:
            events.append(WatchEvent("new", at, now))
        elif before is not None and now is None:
            events.append(WatchEvent("resolved", at, before))
        elif (
            before is not None
            and now is not None
            and failure_signature(before) != failure_signature(now)
        ):
            events.append(WatchEvent("changed", at, now))
    for post_id in diff.removed:
        before = _failing(old, post_id)
        if before is not None:
            events.append(WatchEvent("resolved", at, before))
    return events


def format_event(event: WatchEvent, *, jsonl: bool, acks: AckStore | None = None) -> str:
    """One line (no newline) for ``event``: JSON, or words for people. Terminal-safe."""
    from soku_tui.output import json_line, post_json

    ack = acks.get(event.post_id) if acks is not None else None
    if jsonl:
        post = post_json(event.submission, ack)
        return json_line({"event": event.kind, "at": iso_z(event.at), "post": post})
    runs = event.submission.failed_runs
    what = ", ".join(
        one_line(platform_name(run.platform), 20)
        + (f" {run.http_status}" if run.http_status is not None else "")
        for run in runs
    )
    caption = event.submission.caption()
    parts = [iso_z(event.at), f"{event.kind:<8}", one_line(event.post_id, 40), what or "—"]
    if caption:
        parts.append(f"“{one_line(caption, 50)}”")
    if ack is not None:
        parts.append(f"(acknowledged by {one_line(ack.by, 30)})")
    return "  ".join(parts)


class Watcher:
    """Turns monitor updates into event lines. Pure bookkeeping: no I/O of its own.

    ``emit`` gets each event line, ``report`` each diagnostic line (for stderr).
    """

    def __init__(
        self,
        *,
        emit: Callable[[str], None],
        report: Callable[[str], None],
        jsonl: bool = True,
        only_changes: bool = False,
        acks: AckStore | None = None,
    ) -> None:
        self._emit = emit
        self._report = report
        self._jsonl = jsonl
        self._only_changes = only_changes
        self._acks = acks
        self._previous: Snapshot | None = None  # the last good snapshot handled
        self._down = False

    def handle(self, update: MonitorUpdate) -> int:
        """Emit the events of one completed poll; returns how many were emitted."""
        if not update.health.ok:
            self._down = True
            self._report(_problem_line(update))
            return 0
        if self._down:
            self._down = False
            self._report(f"{PROG}: watch: Soku answers again; watching")
        previous, self._previous = self._previous, update.snapshot
        if self._acks is not None:
            self._acks.refresh()
            for warning in self._acks.take_warnings():
                self._report(f"{PROG}: warning: {one_line(warning)}")
        at = update.snapshot.fetched_at or datetime.now(UTC)
        if previous is None:
            if self._only_changes:
                return 0
            # The first load: every current failure, newest first.
            events = watch_events(Snapshot(), update.snapshot, _all_added(update.snapshot), at=at)
        else:
            events = watch_events(previous, update.snapshot, update.diff, at=at)
        for event in events:
            self._emit(format_event(event, jsonl=self._jsonl, acks=self._acks))
        return len(events)


def _all_added(snapshot: Snapshot) -> SnapshotDiff:
    return SnapshotDiff(added=tuple(s.post_submission_id for s in snapshot.submissions))


def _problem_line(update: MonitorUpdate) -> str:
    health = update.health
    parts = [f"{PROG}: watch: {one_line(health.message or health.state, 300)}"]
    if health.advice:
        parts.append(one_line(health.advice, 300))
    if health.next_attempt_at is not None:
        wait = (health.next_attempt_at - datetime.now(UTC)).total_seconds()
        parts.append(f"next attempt in {max(wait, 0):.0f} s")
    return " — ".join(parts)


# -- the command ------------------------------------------------------------------------------


def run_watch(
    settings: Settings,
    *,
    jsonl: bool,
    only_changes: bool,
    out: TextIO | None = None,
    err: TextIO | None = None,
    demo_url: str | None = None,
) -> int:
    """Poll and stream until a signal or the reader leaves. Returns the exit status."""
    stdout = out or sys.stdout
    stderr = err or sys.stderr
    try:
        return asyncio.run(_watch(settings, jsonl, only_changes, stdout, stderr, demo_url))
    except BrokenPipeError:
        _silence(stdout)
        return int(ExitCode.OK)


def _silence(stream: TextIO) -> None:
    # Python flushes stdout again at exit; with the reader gone that would print a
    # "BrokenPipeError ignored" message on stderr. Point the descriptor at /dev/null.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stream.fileno())
        os.close(devnull)


async def _watch(
    settings: Settings,
    jsonl: bool,
    only_changes: bool,
    out: TextIO,
    err: TextIO,
    demo_url: str | None,
) -> int:
    from soku_tui.core.acks import AckStore
    from soku_tui.core.client import SokuClient

    stop = asyncio.Event()
    poll_now = asyncio.Event()
    signals = _Signals(asyncio.get_running_loop(), stop, poll_now)

    def emit(line: str) -> None:
        # A reader that stops reading without closing the pipe blocks this write; the
        # signal handler may then abort it (see _Signals), so a stop always stops. The
        # flag goes up before the check: a stop arriving before it is seen by the check,
        # one arriving after it finds the flag up.
        signals.writing = True
        try:
            if signals.received:
                raise _StoppedWhileWriting
            out.write(line + "\n")
            out.flush()
        finally:
            signals.writing = False

    def report(line: str) -> None:
        with contextlib.suppress(OSError, ValueError):
            err.write(line + "\n")
            err.flush()

    acks = AckStore.in_state_dir(settings.state_dir)
    watcher = Watcher(emit=emit, report=report, jsonl=jsonl, only_changes=only_changes, acks=acks)
    if demo_url:
        report(f"{PROG}: watch: demo API on {demo_url} (POST {demo_url}/_demo/tick: a change)")
    signals.install()
    try:
        async with SokuClient(
            base_url=settings.base_url,
            api_key=settings.api_key_value(),
            auth_scheme=settings.auth_scheme,
            timeout=settings.timeout,
            max_body_bytes=settings.max_body_bytes,
        ) as client:
            # The monitor takes a window back from each poll; --since is resolved once.
            since = datetime.now(UTC) - settings.since_start()
            monitor = Monitor(client, interval=settings.interval, since=since)
            await _loop(monitor, watcher, stop, poll_now)
    except _StoppedWhileWriting:
        _silence(out)  # the unwritten rest would block the exit flush again
    finally:
        signals.restore()
    return int(ExitCode.INTERRUPTED if signal.SIGINT in signals.received else ExitCode.OK)


class _StoppedWhileWriting(Exception):
    """A stop signal arrived while writing to stdout, or before a write: stop now."""


class _Signals:
    """SIGTERM/SIGHUP/SIGINT stop, SIGUSR1 polls now.

    Plain ``signal.signal`` handlers rather than ``loop.add_signal_handler``: those only
    run when the event loop gets control, which a write blocked on a full pipe never
    gives back. Outside a write, the handler only wakes the loop.
    """

    STOP: Final = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)

    def __init__(
        self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event, poll_now: asyncio.Event
    ) -> None:
        self._loop = loop
        self._stop = stop
        self._poll_now = poll_now
        self._previous: dict[int, Any] = {}
        self.received: list[int] = []
        self.writing = False

    def install(self) -> None:
        for signum in (*self.STOP, signal.SIGUSR1):
            self._previous[signum] = signal.signal(signum, self._handle)

    def restore(self) -> None:
        for signum, previous in self._previous.items():
            # A late SIGUSR1 (a supervisor asking for a poll) must not kill us on the way
            # out, as its default action would.
            signal.signal(signum, signal.SIG_IGN if signum == signal.SIGUSR1 else previous)

    def _handle(self, signum: int, frame: object) -> None:
        if signum == signal.SIGUSR1:
            self._loop.call_soon_threadsafe(self._poll_now.set)
            return
        self.received.append(signum)
        self._loop.call_soon_threadsafe(self._stop.set)
        if self.writing:
            raise _StoppedWhileWriting


async def _loop(
    monitor: Monitor, watcher: Watcher, stop: asyncio.Event, poll_now: asyncio.Event
) -> None:
    while not stop.is_set():
        poll_now.clear()
        update = await _until_stopped(monitor.poll_once(), stop)
        if update is None:
            return
        watcher.handle(update)
        await _sleep(_delay(monitor), stop, poll_now)


async def _until_stopped(
    coroutine: Coroutine[Any, Any, MonitorUpdate | None], stop: asyncio.Event
) -> MonitorUpdate | None:
    """Run one poll; None if a stop arrived first (the poll is then abandoned)."""
    poll = asyncio.ensure_future(coroutine)
    stopper = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({poll, stopper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopper.cancel()
    if poll.done():
        return poll.result()
    poll.cancel()
    with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
        await asyncio.wait_for(poll, STOP_GRACE)
    return None


def _delay(monitor: Monitor) -> float:
    if monitor.next_poll_at is None:
        return monitor.interval
    return max(0.0, (monitor.next_poll_at - datetime.now(UTC)).total_seconds())


async def _sleep(seconds: float, stop: asyncio.Event, poll_now: asyncio.Event) -> None:
    """Wait ``seconds``, or less if a stop or a "poll now" (SIGUSR1) arrives."""
    waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(poll_now.wait())]
    try:
        await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
