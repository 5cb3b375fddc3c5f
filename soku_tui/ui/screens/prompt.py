"""A one-line text question at the bottom of the screen (the acknowledgement note).

``enter`` answers with the text (possibly empty), ``escape`` with None: cancelled.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Input, Static

MAX_NOTE_CHARS = 500


class PromptBar(ModalScreen[str | None]):
    DEFAULT_CSS = """
    PromptBar { align: center bottom; background: $background 40%; }
    PromptBar > Horizontal {
        width: 100%; height: auto; padding: 0 1;
        background: $accent 25%; border-top: tall $accent;
    }
    PromptBar #prompt-label { width: auto; text-style: bold; padding: 0 1 0 0; }
    PromptBar Input { width: 1fr; height: 1; border: none; padding: 0; }
    PromptBar #prompt-keys { width: auto; padding: 0 0 0 1; color: $text-muted; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False)]

    def __init__(self, label: Text, *, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self._label = label
        self._value = value
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self._label.copy(), id="prompt-label")
            yield Input(
                value=self._value,
                placeholder=self._placeholder,
                max_length=MAX_NOTE_CHARS,
                compact=True,
                id="prompt-input",
            )
            yield Static("enter saves · escape cancels", id="prompt-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)
