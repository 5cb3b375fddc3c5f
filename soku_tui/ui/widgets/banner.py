"""The persistent problem banner: what is wrong, since when, what to do, when we try again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from soku_tui.core.monitor import MonitorUpdate
from soku_tui.core.sanitize import clean
from soku_tui.ui.timefmt import ago, countdown

TITLES = {
    "rate_limited": "Soku is rate-limiting us",
    "unreachable": "Soku is unreachable",
    "auth": "Soku refused our credentials",
    "bad_response": "Soku's answer could not be understood",
}


class ProblemBanner(Static):
    """Hidden while the API is healthy; never hides the last good data."""

    # Not docked: two widgets docked to the same edge overlap, and this one would hide
    # the header. It flows below it instead, pushing the table down.
    DEFAULT_CSS = """
    ProblemBanner {
        height: auto; max-height: 7; display: none;
        background: $error 25%; border-left: thick $error; padding: 0 1;
    }
    ProblemBanner.-visible { display: block; }
    ProblemBanner.-rate_limited { background: $warning 20%; border-left: thick $warning; }
    """

    def __init__(self, *, clock: Callable[[], datetime]) -> None:
        super().__init__("")
        self._clock = clock
        self._update: MonitorUpdate | None = None

    def on_mount(self) -> None:
        self.set_interval(1.0, self._refresh_times)

    def show(self, update: MonitorUpdate) -> None:
        self._update = update
        health = update.health
        visible = health.state not in ("ok", "starting")
        self.set_class(visible, "-visible")
        for state in TITLES:
            self.set_class(health.state == state, f"-{state}")
        self._refresh_times()

    def _refresh_times(self) -> None:
        update = self._update
        if update is None or not self.has_class("-visible"):
            return
        health = update.health
        now = self._clock()
        text = Text()
        text.append(f"▲ {TITLES.get(health.state, 'Problem')}", style="bold")
        if health.since:
            text.append(f" since {health.since:%H:%M:%S} ({ago(health.since, now)})")
        if update.polling:
            text.append(" · trying now…")
        elif health.next_attempt_at:
            text.append(f" · next attempt {countdown(health.next_attempt_at, now)}")
        text.append("\n")
        # Error text may quote the server: always plain, always sanitised.
        text.append(clean(health.message))
        if health.advice:
            text.append("\n→ ")
            text.append(clean(health.advice))
        fetched = update.snapshot.fetched_at
        if fetched:
            text.append(
                f"\nShowing the last good data, from {ago(fetched, now)} (stale).", style="italic"
            )
        self.update(text)
