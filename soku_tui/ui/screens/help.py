"""Help built from the live bindings, so it can never drift from what the keys do."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

# What the table's marks mean: nothing on screen relies on colour alone.
LEGEND = Text.assemble(
    ("\nMarks  ", "bold"),
    "✗ failed  ✓ published  ◌ queued/processing  ⊘ cancelled  ↻ a retry can fix this (500)\n",
    ("Rows   ", "bold"),
    "▸ collapsed post  ▾ expanded post  ├ └ its platform runs  "
    "● marked (R)  ✓ after ▸ acknowledged (dimmed)\n",
    ("Codes  ", "bold"),
    "X  TH Threads  FB Facebook  IG Instagram  LI LinkedIn  TT TikTok  YT YouTube  SC Snapchat\n",
    ("Cols   ", "bold"),
    "Worst: most serious HTTP status · 500s: runs a retry can fix · Retry: what a retry did",
)


@dataclass(frozen=True)
class HelpEntry:
    keys: str
    description: str
    enabled: bool
    reason: str = ""
    group: str = "Actions"  # the column it is listed in


def _entries_table(entries: list[HelpEntry]) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for entry in entries:
        description = Text(entry.description)
        if not entry.enabled:
            description.stylize("dim")
            if entry.reason:
                description.append(f"  — now off: {entry.reason}", style="dim italic")
        table.add_row(Text(entry.keys), description)
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 116; max-width: 100%; height: auto; max-height: 94%;
        border: round $primary; background: $surface; padding: 0 1;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def __init__(self, entries: list[HelpEntry]) -> None:
        super().__init__()
        self._entries = entries

    def compose(self) -> ComposeResult:
        # One column per group, side by side: the list is too long for one column.
        groups: dict[str, list[HelpEntry]] = {}
        for entry in self._entries:
            groups.setdefault(entry.group, []).append(entry)
        columns = Table.grid(padding=(0, 4), expand=True)
        for _ in groups:
            columns.add_column(vertical="top", ratio=1)
        columns.add_row(
            *(
                Group(Text(name, style="bold underline"), _entries_table(entries))
                for name, entries in groups.items()
            )
        )
        with VerticalScroll():
            yield Static(Text("Keys  (greyed = not possible right now)", style="bold"))
            yield Static(columns)
            yield Static(LEGEND)
            yield Static(Text("escape or ? closes this help", style="dim"))
