"""The header that tells the truth: target, counts, freshness, next poll, latency, health.

Built from small parts so that the once-a-second clock repaints only its own few
cells (cheap over slow SSH links), not the whole header line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from soku_tui.core.monitor import Health, MonitorUpdate
from soku_tui.ui.timefmt import ago, countdown

# Hidden, in this order, while the line is too narrow for everything: health, counts,
# freshness and the countdown must stay readable at 80 columns.
DROP_WHEN_NARROW = ("hdr-latency", "hdr-interval", "hdr-target", "hdr-title", "hdr-paused")

HEALTH_WORDS = {
    "starting": "connecting…",
    "ok": "API ok",
    "rate_limited": "rate-limited",
    "unreachable": "API unreachable",
    "auth": "key/subscription problem",
    "bad_response": "API answer not understood",
}


# A poll shorter than this never shows "polling…": two repaints of the line for nothing.
POLLING_SHOWN_AFTER = 0.5


def _duration(seconds: float) -> str:
    """Two significant digits ("8 ms", "140 ms", "1.2 s"): the latency shown changes
    (and costs bytes to repaint) only when it changes noticeably."""
    ms = seconds * 1000
    if ms < 100:
        return f"{ms:.0f} ms"
    if ms < 1000:
        return f"{round(ms, -1):.0f} ms"
    return f"{seconds:.1f} s"


def health_text(health: Health, now: datetime) -> Text:
    words = HEALTH_WORDS.get(health.state, health.state)
    if health.state == "rate_limited" and health.next_attempt_at:
        words = f"rate-limited until {health.next_attempt_at:%H:%M:%S}"
    elif health.state == "unreachable" and health.since:
        words = f"unreachable since {health.since:%H:%M:%S}"
    mark = "●" if health.ok else "▲"
    return Text(f"{mark} {words}")


class StatusHeader(Horizontal):
    """One line across the top. ``clock`` is injectable so snapshots are deterministic.

    The freshness ("updated 12 s ago") and the countdown ("next in 18 s") change every
    second, for hours, over SSH: they are one part, padded with spaces in its text rather
    than by CSS, so each second costs one short run of text (~80 bytes), not two parts with
    their padding (~170). A poll that ends within half a second never shows "polling…".
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"status-header--warn", "status-header--error"}

    DEFAULT_CSS = """
    StatusHeader { height: 1; dock: top; background: $panel; }
    StatusHeader > Static { width: auto; padding: 0 1; }
    StatusHeader #hdr-title { text-style: bold; }
    StatusHeader .badge {
        background: $warning; color: $background; text-style: bold; margin: 0 1 0 0;
    }
    StatusHeader #hdr-demo { background: $accent; }
    StatusHeader .-off { display: none; }
    StatusHeader #hdr-target { color: $text-muted; }
    StatusHeader #hdr-clock { padding: 0; }
    /* Wide enough for "poll 140 ms": a new latency then repaints its own cells only,
       not the whole line after a relayout. */
    StatusHeader #hdr-latency { min-width: 13; }
    StatusHeader > .status-header--warn { color: $warning; text-style: bold; }
    StatusHeader > .status-header--error { color: $error; text-style: bold; }
    StatusHeader #hdr-health.-ok { color: $success; }
    StatusHeader #hdr-health.-bad { color: $error; text-style: bold; }
    StatusHeader #hdr-spacer { width: 1fr; padding: 0; }
    """

    def __init__(
        self,
        *,
        target: str,
        demo: bool,
        read_only: bool,
        interval: Callable[[], float],
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self._target = target
        self._demo = demo
        self._read_only = read_only
        self._paused = False
        self._interval = interval
        self._clock = clock
        self._update: MonitorUpdate | None = None
        self._polling_since = 0.0  # time.monotonic() when the current poll was first seen

    def compose(self) -> ComposeResult:
        yield Static(Text("soku-tui"), id="hdr-title")
        # Badges are always there and shown or hidden, so a profile switch can change them.
        yield Static(Text("DEMO"), id="hdr-demo", classes="badge" + self._off(self._demo))
        yield Static(Text("RO"), id="hdr-ro", classes="badge" + self._off(self._read_only))
        yield Static(Text("PAUSED"), id="hdr-paused", classes="badge -off")
        yield Static(Text(self._target), id="hdr-target")
        yield Static(Text("loading…"), id="hdr-counts")
        yield Static("", id="hdr-spacer")
        yield Static(Text(""), id="hdr-clock")
        yield Static(Text(""), id="hdr-interval")
        yield Static(Text(""), id="hdr-latency")
        yield Static(Text(""), id="hdr-health")

    @staticmethod
    def _off(shown: bool) -> str:
        return "" if shown else " -off"

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)

    def set_target(self, target: str, *, demo: bool, read_only: bool) -> None:
        """After a profile switch: what we watch, and its badges."""
        self._target = target
        self._set("#hdr-target", target)
        self.query_one("#hdr-demo").set_class(not demo, "-off")
        self.query_one("#hdr-ro").set_class(not read_only, "-off")
        self._update = None
        self._set("#hdr-counts", "loading…")
        for part in ("#hdr-clock", "#hdr-latency"):
            self._set(part, "")
        self._fit()

    def set_paused(self, paused: bool) -> None:
        if paused != self._paused:
            self._paused = paused
            badge = self.query_one("#hdr-paused")
            badge.set_class(not paused, "-off")
            # _fit() may have shown or hidden it inline, which outranks the class.
            badge.display = paused
            self._fit()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the least useful parts when the line would otherwise cut off the health."""
        width = self.size.width
        if not width:
            return
        parts = {
            part.id: part
            for part in self.query(Static)
            if part.id != "hdr-spacer" and not part.has_class("-off")
        }
        # Each part is its text plus its padding and its margin.
        needed = {
            key: cell_len(str(part.content))
            + part.styles.padding.left
            + part.styles.padding.right
            + part.styles.margin.left
            + part.styles.margin.right
            for key, part in parts.items()
        }
        total = sum(needed.values())
        changed = False
        for key in DROP_WHEN_NARROW:
            part = parts.get(key)
            if part is None:
                continue
            hide = total > width
            if hide:
                total -= needed[key]
            if part.display == hide:  # only on a change: each assignment relayouts
                part.display = not hide
                changed = True
        if changed:
            # Measured: when a part is hidden in the same frame as another part's text
            # changes, Textual (8.2) can keep that part at its old width, and the new
            # text wraps out of sight ("37 posts · 60 runs" without "failing"). A second
            # layout once this frame is done sizes every part from its current text.
            self.call_after_refresh(self._relayout)

    def _relayout(self) -> None:
        for part in self.query(Static):
            part.refresh(layout=True)

    def show(self, update: MonitorUpdate, *, shown: tuple[int, int] | None = None) -> None:
        """``shown``: (rows in the table, posts they were chosen from) under a filter or
        with acknowledged posts hidden; while paused the second is the frozen snapshot's."""
        self._update = update
        snapshot = update.snapshot
        posts = len(snapshot.submissions)
        runs = snapshot.failed_run_count
        counts = f"{posts} posts · {runs} runs failing"
        if update.loading:
            counts += f" · loading (page {update.loaded_pages})…"
        if shown is not None:
            counts = f"showing {shown[0]} of {shown[1]} posts · {runs} runs failing"
        if snapshot.skipped:
            # The contract: unreadable entries are skipped and counted, never hidden.
            counts += f" · {snapshot.skipped} unreadable"
        self._set("#hdr-counts", counts)
        latency = update.stats.latency
        self._set("#hdr-latency", f"poll {_duration(latency)}" if latency is not None else "")
        health = self.query_one("#hdr-health", Static)
        self._set("#hdr-health", health_text(update.health, self._clock()).plain)
        health.set_class(update.health.ok, "-ok")
        health.set_class(not update.health.ok and update.health.state != "starting", "-bad")
        if update.polling and not self._polling_since:
            self._polling_since = time.monotonic()
            self.set_timer(POLLING_SHOWN_AFTER, self.tick)
        elif not update.polling:
            self._polling_since = 0.0
        self.tick()

    def tick(self) -> None:
        """Once a second: only the age and countdown change."""
        update = self._update
        if update is None:
            return
        polling = update.polling
        if polling and time.monotonic() - self._polling_since < POLLING_SHOWN_AFTER:
            return  # a quick poll: the line stays as it was until its result arrives
        now = self._clock()
        fetched = update.snapshot.fetched_at
        fresh = "polling…" if polling else f"updated {ago(fetched, now)}"
        age = (now - fetched).total_seconds() if fetched else None
        interval = self._interval()
        stale: str | None = None
        if age is not None and age > 5 * interval:
            stale = "status-header--error"
        elif age is not None and age > 2 * interval:
            stale = "status-header--warn"
        next_at = update.health.next_attempt_at if not update.health.ok else update.next_poll_at
        upcoming = f"next {countdown(next_at, now)}" if not polling else ""
        # Spaces where the two parts' padding used to be: the line looks the same.
        clock = Text(f" {fresh} ", style=self.get_component_rich_style(stale) if stale else "")
        clock.append(f" {upcoming} ")
        part = self.query_one("#hdr-clock", Static)
        if part.content != clock:
            # Once a second: a layout (the whole screen reflowed) only when the width
            # changes ("9s" → "10s"), not for every new figure of the same width.
            shown = part.content
            same_width = isinstance(shown, Text) and shown.cell_len == clock.cell_len
            part.update(clock, layout=not same_width)
        self._set("#hdr-interval", f"every {interval:g} s")
        self._fit()

    def _set(self, selector: str, text: str) -> None:
        part = self.query_one(selector, Static)
        if str(part.content) != text:  # an unchanged part costs no bytes over SSH
            part.update(Text(text))
