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
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from textual.app import App, SystemCommand
from textual.screen import Screen

from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import RetryLedger
from soku_tui.core.monitor import Backoff, Monitor, MonitorUpdate
from soku_tui.core.retry import RetryService
from soku_tui.ui.screens.monitor import MonitorScreen

if TYPE_CHECKING:
    from soku_tui.demo.server import DemoServer

log = logging.getLogger("soku_tui.ui")

# After SIGHUP or SIGTERM the app gets this long to exit through its normal path; then the
# process ends regardless (see SokuApp._stop_on_signal).
STOP_GRACE_SECONDS = 1.5


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
            on_update=self._on_monitor_update,
            clock=config.clock,
            timer=config.timer,
            backoff=None
            if config.backoff_seed is None
            else Backoff(
                rng=random.Random(config.backoff_seed)  # noqa: S311 - jitter, not secrets
            ),
        )
        self.retry_service = RetryService(
            self.client,
            RetryLedger(config.state_dir / "ledger.json"),
            AuditLog(config.state_dir / "audit.jsonl"),
            read_only=config.read_only,
            blocked_reason=self._blocked_reason,
        )

    def get_default_screen(self) -> Screen[Any]:
        return MonitorScreen(self.config)

    def on_mount(self) -> None:
        self._install_stop_signals()
        if self.config.autostart_polling:
            self.monitor.start()

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
        self.monitor.stop()
        await self.client.aclose()

    def _on_monitor_update(self, update: MonitorUpdate) -> None:
        # Called on the app's loop by the scheduler job; hand it to the screen as a message.
        screen = self.screen_stack[0] if self.screen_stack else None
        if isinstance(screen, MonitorScreen):
            screen.post_message(MonitorScreen.Updated(update))

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
