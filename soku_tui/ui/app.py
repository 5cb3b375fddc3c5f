"""The Textual application: wires the core (client, monitor, retry service) to the screens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from soku_tui.core.acks import AckStore
from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.facts import warm
from soku_tui.core.heap import Heap
from soku_tui.core.ledger import RetryLedger
from soku_tui.core.models import Submission
from soku_tui.core.monitor import Backoff, Monitor, MonitorUpdate, Snapshot
from soku_tui.core.notify import FailureNotifier, Notice
from soku_tui.core.ratelimit import SOKU_CREATES_PER_MINUTE, CreateLimiter
from soku_tui.core.retry import RetryService
from soku_tui.core.sanitize import one_line
from soku_tui.core.slices import note_input, quiet_for, run_in_slices
from soku_tui.ui import heartbeat
from soku_tui.ui.osc import BELL, OSC52_MAX_BYTES
from soku_tui.ui.screens.monitor import MonitorScreen
from soku_tui.ui.terminal import (
    CopyResult,
    DesktopProtocol,
    copy_via_osc52,
    desktop_notification,
    write_raw,
)

if TYPE_CHECKING:
    from soku_tui.demo.server import DemoServer

log = logging.getLogger("soku_tui.ui")

# A new-failures toast waits until no key was pressed for this long (see _announce).
TOAST_AFTER_INPUT_SECONDS = 0.5
# How often the app offers the collector an idle moment (see _collect_when_idle).
IDLE_COLLECT_CHECK_SECONDS = 5.0

# After SIGHUP or SIGTERM the app gets this long to exit through its normal path; then the
# process ends regardless (see SokuApp._stop_on_signal).
STOP_GRACE_SECONDS = 1.5
DEFAULT_THEME = "textual-dark"
# Offered by name in the command palette: they use the terminal's own 16 colours, so they
# stay legible on any palette, light or dark, at 256 or 16 colours.
ANSI_THEMES = ("ansi-dark", "ansi-light")


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppConfig:
    """Everything the monitor needs, already resolved (flags > env > file > defaults)."""

    base_url: str
    api_key: str | None = field(repr=False)
    auth_scheme: Literal["header", "bearer"] = "header"
    interval: float = 30.0
    since: timedelta | None = timedelta(days=7)
    read_only: bool = False
    timeout: float = 10.0
    max_body_bytes: int = 10 * 1024 * 1024
    state_dir: Path = field(default_factory=lambda: Path.home() / ".local/state/soku-tui")
    profile: str | None = None
    demo: bool = False
    mouse: bool = True
    # How to set a key, shown instead of the 401 banner when none is configured.
    key_help: str | None = None
    # Injected by tests and screenshots: a fixed clock and no background polling.
    clock: Callable[[], datetime] = _utcnow
    timer: Callable[[], float] = time.monotonic
    # Seeds the backoff jitter, so pictures of an outage are the same every time.
    backoff_seed: int | None = None
    autostart_polling: bool = True
    # Profiles in the config file, and how to load one (None: switching is not offered).
    profiles: tuple[str, ...] = ()
    load_profile: Callable[[str], AppConfig] | None = field(default=None, repr=False)
    # Copying (OSC 52) and notifications; bell and desktop notices are off by default.
    clipboard: Literal["osc52", "off"] = "osc52"
    clipboard_max_bytes: int = OSC52_MAX_BYTES
    tmux: bool = False
    notify_bell: bool = False
    notify_desktop: bool = False
    desktop_protocol: DesktopProtocol = "osc9"
    theme: str = DEFAULT_THEME
    # Soku allows 30 creates a minute; a bulk retry queues beyond that.
    creates_per_minute: int = SOKU_CREATES_PER_MINUTE
    # Said once the monitor is on screen (stderr is hidden behind it), e.g. file permissions.
    warnings: tuple[str, ...] = ()

    @property
    def target_label(self) -> str:
        """What the header names: the profile, else the host. Never the key."""
        if self.demo:
            return "embedded demo API"  # its port is random and means nothing to a user
        host = self.base_url.split("://", 1)[-1].rstrip("/")
        return f"{self.profile} · {host}" if self.profile else host


class SokuApp(App[None]):
    """soku-tui: failed Soku posts, why they failed, what to do, and a safe retry for 500s."""

    TITLE = "soku-tui"
    ENABLE_COMMAND_PALETTE = True

    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        self.notifier = FailureNotifier()
        # The garbage collector, for 50,000 long-lived posts (core/heap.py).
        self.heap = Heap()
        self._generation = 0
        self._warmed: Snapshot | None = None
        self._build_core(config, session=None)
        if config.theme in self.available_themes:
            self.theme = config.theme

    def _build_core(self, config: AppConfig, *, session: str | None) -> None:
        """Client, monitor, retry service and acknowledgements for one Soku account.

        Built again on a profile switch. Updates from an older monitor (a poll still in
        flight when the switch happened) carry an older generation and are dropped.
        """
        self._generation += 1
        generation = self._generation
        self.client = SokuClient(
            base_url=config.base_url,
            api_key=config.api_key,
            auth_scheme=config.auth_scheme,
            timeout=config.timeout,
            max_body_bytes=config.max_body_bytes,
        )
        config.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.monitor = Monitor(
            self.client,
            interval=config.interval,
            since=config.since,
            on_update=partial(self._on_monitor_update, generation=generation),
            clock=config.clock,
            timer=config.timer,
            heap=self.heap,
            backoff=None
            if config.backoff_seed is None
            else Backoff(
                rng=random.Random(config.backoff_seed)  # noqa: S311 - jitter, not secrets
            ),
        )
        self.audit = AuditLog(config.state_dir / "audit.jsonl")
        if session is not None:
            self.audit.session = session  # "this session" spans profile switches
        self.limiter = CreateLimiter(config.creates_per_minute)
        self.retry_service = RetryService(
            self.client,
            RetryLedger(config.state_dir / "ledger.json"),
            self.audit,
            read_only=config.read_only,
            limiter=self.limiter,
            blocked_reason=self._blocked_reason,
        )
        self.acks = AckStore.in_state_dir(config.state_dir, audit=self.audit, clock=config.clock)

    def get_default_screen(self) -> Screen[Any]:
        return MonitorScreen()

    def on_mount(self) -> None:
        heartbeat.start_from_env()  # benchmarks only (bench/); no-op otherwise
        self.set_interval(IDLE_COLLECT_CHECK_SECONDS, self._collect_when_idle)
        self._install_stop_signals()
        self._say_config_warnings(self.config)
        if self.config.autostart_polling:
            self.monitor.start()

    def _say_config_warnings(self, config: AppConfig) -> None:
        warnings = list(config.warnings) + self.acks.take_warnings()
        if config.theme not in self.available_themes:
            known = ", ".join(sorted(self.available_themes))
            warnings.append(f"unknown theme {config.theme!r}; using {self.theme} (themes: {known})")
        for warning in warnings:
            self.notify(one_line(warning, 300), severity="warning", timeout=10, markup=False)

    # -- SSH drops and `kill` ------------------------------------------------------------
    # A dropped SSH link (or a closed terminal window) sends SIGHUP; `kill` and service
    # managers send SIGTERM. Textual handles neither, and Python's default is to die on
    # the spot: a terminal that still exists is left on the alternate screen in raw mode,
    # and the demo server's temporary state directory is never removed. So both signals
    # ask the app to exit normally (monitor stopped, client closed, terminal restored,
    # then the demo server stopped by the caller). When the terminal is gone, its output
    # goes to /dev/null (see _silence_dead_terminal); and should Textual's output thread
    # already have died on it, a watchdog ends the process after STOP_GRACE_SECONDS if
    # the normal path has not finished: never an orphan.

    def _install_stop_signals(self) -> None:
        if self.is_headless:
            return  # tests and screenshots: no terminal to lose, the runner owns signals
        loop = asyncio.get_running_loop()
        for name in ("SIGHUP", "SIGTERM"):
            signum = getattr(signal, name, None)
            if signum is None:
                continue  # no SIGHUP off Unix
            # Not available off the main thread; the default action then applies.
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, self._stop_on_signal, int(signum))

    def _stop_on_signal(self, signum: int) -> None:
        log.info("stopping on %s", signal.Signals(signum).name)
        _silence_dead_terminal()
        watchdog = threading.Timer(STOP_GRACE_SECONDS, os._exit, args=(128 + signum,))
        watchdog.daemon = True
        watchdog.start()
        self.exit()

    async def on_unmount(self) -> None:
        heartbeat.stop()
        self.monitor.stop()
        self.heap.close()
        await self.client.aclose()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            note_input()  # slices make room; idle collections and toasts wait
        await super().on_event(event)

    def building(self) -> contextlib.AbstractContextManager[None]:
        """Around work that builds structures over every post (rows, facts): no garbage
        collection meanwhile, and what it built is frozen after (see core/heap.py)."""
        return self.heap.holding()

    def _collect_when_idle(self) -> None:
        """Every few seconds: a full collection if nobody is typing and nothing is being
        built (see :meth:`soku_tui.core.heap.Heap.collect_if_idle`)."""
        self.heap.collect_if_idle(quiet_for=quiet_for())

    def _on_monitor_update(self, update: MonitorUpdate, *, generation: int) -> None:
        # Called on the app's loop by the scheduler job; hand it to the screen as a message.
        if generation != self._generation:
            return  # from the monitor of the profile we just left
        notice = self.notifier.observe(update)  # must see every update, in order
        if not update.polling and not update.loading:
            heartbeat.note("poll done")  # benchmarks only; no-op otherwise
            self._after_poll(update)
        if notice is not None:
            self._announce(notice)
        screen = self.screen_stack[0] if self.screen_stack else None
        if isinstance(screen, MonitorScreen):
            screen.post_message(MonitorScreen.Updated(update, notice))

    def _after_poll(self, update: MonitorUpdate) -> None:
        # Another monitor (or `soku-tui` elsewhere) may have acknowledged something.
        try:
            self.acks.refresh()
        except OSError as exc:
            log.warning("cannot read the acknowledgements: %s", exc)
        for warning in self.acks.take_warnings():
            self.notify(one_line(warning, 300), severity="warning", markup=False)
        snapshot = update.snapshot
        fresh = _fresh_posts(update)
        if snapshot is not self._warmed and fresh:
            # Derive the filter/sort facts of the new posts now, a few ms at a time between
            # other events (see core/slices.py), so the first keystroke in the filter is as
            # quick as the next.
            self._warmed = snapshot
            self.run_worker(
                self._warm(fresh),
                exit_on_error=False,
                group="warm",
                # Without one, Textual describes the worker by repr() of its arguments:
                # every submission, ~3 s on the event loop at 50,000 posts (measured).
                description="warm filter and sort facts",
            )

    async def _warm(self, posts: list[Submission]) -> None:
        def steps() -> Generator[None, None, None]:
            for post in posts:
                warm((post,))
                yield

        with self.building():
            await run_in_slices(steps())

    def _announce(self, notice: Notice) -> None:
        """New failures since the last poll: a toast, and the bell or a desktop notice
        when the config asks for them."""
        self._toast_when_quiet(notice.message)
        if self.config.notify_bell:
            write_raw(self, BELL)
        if self.config.notify_desktop:
            write_raw(
                self,
                desktop_notification(
                    notice.title,
                    notice.message,
                    protocol=self.config.desktop_protocol,
                    in_tmux=self.config.tmux,
                ),
            )

    def _toast_when_quiet(self, message: str) -> None:
        """The new-failures toast, once the user has not typed for a moment.

        Showing a toast mounts a widget and lays the screen out again: measured, 20-30 ms
        added to the answer of a key pressed as a big poll lands. The header's counts
        change at once; the toast waits until the keys stop (TOAST_AFTER_INPUT_SECONDS).
        """
        quiet = quiet_for()
        if quiet < TOAST_AFTER_INPUT_SECONDS:
            wait = TOAST_AFTER_INPUT_SECONDS - quiet
            self.set_timer(wait, partial(self._toast_when_quiet, message))
            return
        # The message alone: it starts with the count the title would repeat ("Soku: 3 new
        # publishing failures"), and each toast line is ~300 bytes over SSH, painted twice.
        self.notify(message, severity="warning", markup=False)

    # -- clipboard -------------------------------------------------------------------------

    def copy_text(self, text: str, *, what: str = "the selection") -> CopyResult:
        """Copy through OSC 52 with tmux wrapping, a size guard and ``clipboard = off``."""
        self._clipboard = text  # what Textual's own paste (ctrl+v in an input) reads
        config = self.config
        return copy_via_osc52(
            self,
            text,
            what=what,
            mode=config.clipboard,
            in_tmux=config.tmux,
            max_bytes=config.clipboard_max_bytes,
        )

    def copy_to_clipboard(self, text: str) -> None:
        # Textual's version writes a bare OSC 52: no tmux wrapping, no size guard, and it
        # would ignore `clipboard = off`. Text selections and inputs copy through ours.
        result = self.copy_text(text)
        if not result.copied:
            self.notify(result.message, severity="warning", markup=False)

    # -- profiles --------------------------------------------------------------------------

    async def switch_profile(self, name: str) -> bool:
        """Watch another Soku account: new client, monitor, retry service, and a clean
        screen. Refused while retries are running (their answers belong to this one)."""
        config = self.config
        screen = self.screen_stack[0] if self.screen_stack else None
        if config.load_profile is None:
            self.notify("Profiles are not available here.", severity="warning", markup=False)
            return False
        if name == config.profile:
            self.notify(f"Already on profile {name}.", markup=False)
            return False
        running = screen.retries_running if isinstance(screen, MonitorScreen) else 0
        if running or self.limiter.queued:
            self.notify(
                f"{running or self.limiter.queued} retries are still running; switch profiles "
                "when they are done.",
                severity="warning",
                markup=False,
            )
            return False
        try:
            new = config.load_profile(name)
        except Exception as exc:  # a bad config must not take the monitor down
            self.notify(
                f"Cannot switch to profile {name}: {exc}",
                severity="error",
                timeout=15,
                markup=False,
            )
            return False
        old_client, old_monitor = self.client, self.monitor
        was_polling = old_monitor.running
        old_monitor.stop()
        self.config = new
        self._build_core(new, session=self.audit.session)
        self.notifier.reset()  # another account's failures are not news
        self._warmed = None
        if isinstance(screen, MonitorScreen):
            screen.reset_for_profile()
        self._say_config_warnings(new)
        if was_polling or new.autostart_polling:
            self.monitor.start()
        self.notify(f"Switched to profile {name}.", markup=False)
        await old_client.aclose()
        return True

    def _blocked_reason(self) -> str | None:
        """While Soku refuses our key or subscription, every retry would fail the same way."""
        health = self.monitor.health
        if health.state == "auth":
            return f"Soku refused our credentials (HTTP {health.status}): {health.advice}"
        return None

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if isinstance(screen, MonitorScreen):
            yield from screen.palette_commands()
            if self.config.load_profile is not None:
                for name in self.config.profiles:
                    if name != self.config.profile:
                        yield SystemCommand(
                            f"Switch profile: {name}",
                            f"Monitor the Soku account of profile {name}",
                            partial(self._switch_in_background, name),
                        )
        for name in ANSI_THEMES:
            yield SystemCommand(
                f"Theme: {name}",
                "The terminal's own 16 colours (legible on any palette)",
                partial(setattr, self, "theme", name),
            )

    def _switch_in_background(self, name: str) -> None:
        self.run_worker(self.switch_profile(name), group="profile", exit_on_error=False)


def _fresh_posts(update: MonitorUpdate) -> list[Submission]:
    """The posts of a completed poll that may have no filter/sort facts yet: those its diff
    added or changed (the others are the same objects as before, already warmed). A
    poll of 50,000 that changed 1% warms 500, not 50,000, while the user is typing."""
    diff, snapshot = update.diff, update.snapshot
    posts = (snapshot.get(post_id) for post_id in (*diff.added, *diff.changed))
    return [post for post in posts if post is not None]


def _silence_dead_terminal() -> None:
    """If the terminal has hung up, point Textual's output (stderr) at /dev/null.

    Textual's output thread dies on the first write that fails (EIO on a hung-up tty),
    and the app's exit may then wait forever for it to drain its queue. An empty write
    costs nothing on a live terminal and fails only on a dead one.
    """
    try:
        fd = sys.__stderr__.fileno() if sys.__stderr__ is not None else 2
    except (OSError, ValueError):  # no usable stderr: nothing to silence
        return
    try:
        os.write(fd, b"")
    except OSError:
        with contextlib.suppress(OSError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fd)
            os.close(devnull)


def run_app(config: AppConfig, demo_server: DemoServer | None = None) -> int:
    """Run the monitor in the foreground until the user quits; returns the exit status."""
    del demo_server  # kept alive by the caller for the app's lifetime
    os.environ.setdefault("TEXTUAL_FPS", "30")  # fewer frames over SSH; typing still instant
    app = SokuApp(config)
    app.run(mouse=config.mouse)
    return app.return_code or 0
