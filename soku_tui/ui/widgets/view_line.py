"""The line under the header that says how the table is being looked at, when it differs
from "everything, newest first": the filter, the sort, hidden acknowledgements, marks,
the retry queue, and a pause. Hidden when there is nothing to say.

The pause is a persistent banner of its own (:class:`PauseBanner`): a frozen table must
never be mistaken for a quiet night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from soku_tui.core.ratelimit import SOKU_CREATES_PER_MINUTE
from soku_tui.core.sanitize import one_line


@dataclass(frozen=True, slots=True)
class ViewFacts:
    """Everything the view line may mention; the defaults mean "nothing to say"."""

    filter: str = ""  # Filter.describe(), already safe to show (the header counts)
    sort: str = ""  # "" for the default order
    hidden_acknowledged: int = 0
    hiding_acknowledged: bool = False
    marked: int = 0
    queued: int = 0
    next_slot_in: float = 0.0
    per_minute: int = SOKU_CREATES_PER_MINUTE  # the create limiter's pace


def view_text(facts: ViewFacts) -> Text:
    """The line's text; empty when the table shows everything in the default order."""
    parts: list[Text] = []
    if facts.filter:
        parts.append(Text.assemble(("filter ", "bold"), one_line(facts.filter, 80)))
    if facts.sort:
        parts.append(Text.assemble(("sort ", "bold"), facts.sort))
    if facts.hiding_acknowledged:
        parts.append(Text(f"hiding {facts.hidden_acknowledged} acknowledged (A shows)"))
    if facts.marked:
        parts.append(Text(f"● {facts.marked} marked (R retries their 500s)"))
    if facts.queued:
        wait = f", next in {facts.next_slot_in:.0f} s" if facts.next_slot_in >= 1 else ""
        parts.append(
            Text.assemble(
                ("retry queue ", "bold"), f"{facts.queued} waiting{wait} (≤ {facts.per_minute}/min)"
            )
        )
    return Text("  │  ").join(parts)


class ViewLine(Static):
    DEFAULT_CSS = """
    ViewLine { height: 1; display: none; padding: 0 1; background: $boost; color: $text; }
    ViewLine.-visible { display: block; }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._shown: ViewFacts | None = None

    def show(self, facts: ViewFacts) -> None:
        if facts == self._shown:
            return  # unchanged: no repaint, no bytes over SSH
        self._shown = facts
        text = view_text(facts)
        self.set_class(bool(text.plain), "-visible")
        self.update(text)


class PauseBanner(Static):
    """``⏸ PAUSED`` with how many new failures arrived since; hidden while live."""

    DEFAULT_CSS = """
    PauseBanner {
        height: 1; display: none; padding: 0 1;
        background: $warning 30%; border-left: thick $warning; text-style: bold;
    }
    PauseBanner.-paused { display: block; }
    """

    def __init__(self) -> None:
        super().__init__("")
        self._shown: tuple[datetime, int] | None = None

    def show(self, paused_at: datetime | None, new_failures: int) -> None:
        self.set_class(paused_at is not None, "-paused")
        if paused_at is None or (paused_at, new_failures) == self._shown:
            return  # every poll while paused re-shows it: unchanged, it costs nothing
        self._shown = (paused_at, new_failures)
        # Most important first: on a narrow terminal the end is cut off.
        noun = "failure" if new_failures == 1 else "failures"
        text = Text(f"⏸ PAUSED · +{new_failures} new {noun} since pause", style="bold")
        text.append(f" · p resumes · frozen at {paused_at:%H:%M:%S}, polling goes on", "")
        self.update(text)
