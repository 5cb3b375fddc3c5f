"""Help built from the live bindings, so it can never drift from what the keys do."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    enabled: bool
    reason: str = ""


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 100%; height: auto; max-height: 90%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, entries: list[HelpEntry]) -> None:
        super().__init__()
        self._entries = entries

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for entry in self._entries:
            description = Text(entry.description)
            if not entry.enabled:
                description.stylize("dim")
                if entry.reason:
                    description.append(f"  — now off: {entry.reason}", style="dim italic")
            table.add_row(Text(entry.keys), description)
        with VerticalScroll():
            yield Static(Text("Keys  (greyed = not possible right now)", style="bold"))
            yield Static(table)
            yield Static(Text("escape or ? closes this help", style="dim"))
