"""``L``: every retry and acknowledgement of this session, with its outcome.

Read from the audit log (the durable record), not from the screen's memory: what this
shows is what a post-mortem or the next shift will find in ``audit.jsonl``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from soku_tui.core.audit import AuditEvent
from soku_tui.core.sanitize import one_line

# How an outcome reads, and whether it went well (✓), badly (✗) or is on its way (…):
# a symbol as well as a colour, so nothing depends on colour alone.
_GOOD: Final = frozenset({"accepted", "succeeded", "acknowledged", "already_retried"})
_BAD: Final = frozenset(
    {"rejected", "refused", "failed", "partially_failed", "unreachable", "rate_limited", "unknown"}
)
_ACTION_WORDS: Final = {"acknowledge": "ack", "follow": "outcome", "retry": "retry"}


def _mark(outcome: str) -> tuple[str, str]:
    if outcome in _GOOD:
        return "✓", "green"
    if outcome in _BAD:
        return "✗", "red"
    return "…", ""


def _details(event: AuditEvent) -> str:
    parts: list[str] = []
    if event.targets:
        parts.append(", ".join(event.targets))
    if event.new_post_id:
        parts.append(f"→ new post {event.new_post_id}")
    if event.http_status:
        parts.append(f"HTTP {event.http_status}")
    if event.note and event.action == "acknowledge":
        parts.append(f"“{event.note}”")
    elif event.note:
        parts.append(event.note)
    if event.error:
        parts.append(event.error)
    return " · ".join(parts)


def events_table(events: Sequence[AuditEvent]) -> Table:
    """One line per event, oldest first; every field from the file is sanitised."""
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True)  # time
    table.add_column(no_wrap=True)  # action
    table.add_column(no_wrap=True)  # outcome
    table.add_column(no_wrap=True)  # post
    table.add_column(ratio=1)  # details
    for event in events:
        symbol, colour = _mark(event.outcome)
        post = one_line(event.post_id[:8] + "…", 12) if event.post_id else "—"
        table.add_row(
            Text(f"{event.time:%H:%M:%S}"),
            Text(_ACTION_WORDS.get(event.action, one_line(event.action, 12)), style="bold"),
            Text(f"{symbol} {one_line(event.outcome.replace('_', ' '), 20)}", style=colour),
            Text(post),
            Text(one_line(_details(event), 400)),
        )
    return table


class ActionsLogScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    ActionsLogScreen { align: center middle; }
    ActionsLogScreen > VerticalScroll {
        width: 110; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,L", "dismiss", "Close")]

    def __init__(self, events: Sequence[AuditEvent], *, source: str) -> None:
        super().__init__()
        self._events = tuple(events)
        self._source = source

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text("Actions this session (retries, outcomes, acknowledgements)", "bold"))
            if self._events:
                yield Static(events_table(self._events), id="actions-table")
            else:
                yield Static(
                    Text("Nothing yet: no retry or acknowledgement in this session."),
                    id="actions-table",
                )
            yield Static(Text(f"from {one_line(self._source)} · escape closes", style="dim"))
