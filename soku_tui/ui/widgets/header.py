"""The header that tells the truth: target, counts, freshness, next poll, latency, health.

Built from small parts so that the once-a-second clock repaints only its own few
cells (cheap over slow SSH links), not the whole header line.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from soku_tui.core.monitor import Health, MonitorUpdate
from soku_tui.ui.timefmt import ago, countdown

# Hidden, in this order, while the line is too narrow for everything: health, counts,
# freshness and the countdown must stay readable at 80 columns.
DROP_WHEN_NARROW = ("hdr-latency", "hdr-target", "hdr-title")

HEALTH_WORDS = {
    "starting": "connecting…",
    "ok": "API ok",
    "rate_limited": "rate-limited",
    "unreachable": "API unreachable",
    "auth": "key/subscription problem",
    "bad_response": "API answer not understood",
}


def health_text(health: Health, now: datetime) -> Text:
    words = HEALTH_WORDS.get(health.state, health.state)
    if health.state == "rate_limited" and health.next_attempt_at:
        words = f"rate-limited until {health.next_attempt_at:%H:%M:%S}"
    elif health.state == "unreachable" and health.since:
        words = f"unreachable since {health.since:%H:%M:%S}"
    mark = "●" if health.ok else "▲"
    return Text(f"{mark} {words}")


class StatusHeader(Horizontal):
    """One line across the top. ``clock`` is injectable so snapshots are deterministic."""

    DEFAULT_CSS = """
    StatusHeader { height: 1; dock: top; background: $panel; }
    StatusHeader > Static { width: auto; padding: 0 1; }
    StatusHeader #hdr-title { text-style: bold; }
    StatusHeader .badge { background: $warning; color: $background; text-style: bold; }
    StatusHeader #hdr-demo { background: $accent; }
    StatusHeader #hdr-target { color: $text-muted; }
    StatusHeader #hdr-fresh.-warn { color: $warning; text-style: bold; }
    StatusHeader #hdr-fresh.-error { color: $error; text-style: bold; }
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
        self._interval = interval
        self._clock = clock
        self._update: MonitorUpdate | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("soku-tui"), id="hdr-title")
        if self._demo:
            yield Static(Text("DEMO"), id="hdr-demo", classes="badge")
        if self._read_only:
            yield Static(Text("RO"), id="hdr-ro", classes="badge")
        yield Static(Text(self._target), id="hdr-target")
        yield Static(Text("loading…"), id="hdr-counts")
        yield Static("", id="hdr-spacer")
        yield Static(Text(""), id="hdr-fresh")
        yield Static(Text(""), id="hdr-next")
        yield Static(Text(""), id="hdr-latency")
        yield Static(Text(""), id="hdr-health")

    def on_mount(self) -> None:
        self.set_interval(1.0, self.tick)

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        """Hide the least useful parts when the line would otherwise cut off the health."""
        width = self.size.width
        if not width:
            return
        parts = {part.id: part for part in self.query(Static) if part.id != "hdr-spacer"}
        # Each part is its text plus one cell of padding either side.
        needed = {key: cell_len(str(part.content)) + 2 for key, part in parts.items()}
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

    def show(self, update: MonitorUpdate, *, shown: int | None = None) -> None:
        self._update = update
        snapshot = update.snapshot
        posts = len(snapshot.submissions)
        runs = snapshot.failed_run_count
        counts = f"{posts} posts · {runs} runs failing"
        if update.loading:
            counts += f" · loading (page {update.loaded_pages})…"
        if shown is not None and shown != posts:
            counts = f"showing {shown} of {posts} posts · {runs} runs failing"
        if snapshot.skipped:
            # The contract: unreadable entries are skipped and counted, never hidden.
            counts += f" · {snapshot.skipped} unreadable"
        self._set("#hdr-counts", counts)
        latency = update.stats.latency
        self._set("#hdr-latency", f"poll {latency * 1000:.0f} ms" if latency is not None else "")
        health = self.query_one("#hdr-health", Static)
        health.update(health_text(update.health, self._clock()))
        health.set_class(update.health.ok, "-ok")
        health.set_class(not update.health.ok and update.health.state != "starting", "-bad")
        self.tick()

    def tick(self) -> None:
        """Once a second: only the age and countdown change."""
        update = self._update
        if update is None:
            return
        now = self._clock()
        fetched = update.snapshot.fetched_at
        fresh = self.query_one("#hdr-fresh", Static)
        self._set("#hdr-fresh", "polling…" if update.polling else f"updated {ago(fetched, now)}")
        age = (now - fetched).total_seconds() if fetched else None
        interval = self._interval()
        fresh.set_class(age is not None and 2 * interval < age <= 5 * interval, "-warn")
        fresh.set_class(age is not None and age > 5 * interval, "-error")
        next_at = update.health.next_attempt_at if not update.health.ok else update.next_poll_at
        self._set("#hdr-next", f"next {countdown(next_at, now)}" if not update.polling else "")
        self._fit()

    def _set(self, selector: str, text: str) -> None:
        part = self.query_one(selector, Static)
        if str(part.content) != text:  # an unchanged part costs no bytes over SSH
            part.update(Text(text))
