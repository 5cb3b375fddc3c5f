"""The ``/`` filter line: one input at the bottom of the screen, applied as you type.

Typing is debounced (:data:`DEBOUNCE_SECONDS`): at 50,000 posts a filter pass is tens of
milliseconds, so it runs once the typing pauses rather than on every key. ``enter`` keeps
the filter and closes the line; ``escape`` clears the filter and closes it.
"""

from __future__ import annotations

from typing import Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

DEBOUNCE_SECONDS: Final = 0.15
PLACEHOLDER: Final = (
    "text  platform:tiktok  status:500|4xx  code:upload  account:…  !negate"
    "  — enter keeps, escape clears"
)


class FilterBar(Horizontal):
    """Hidden until :meth:`open`; the screen listens for :class:`Changed` and :class:`Closed`."""

    DEFAULT_CSS = """
    FilterBar { height: 1; display: none; background: $boost; }
    FilterBar.-open { display: block; }
    FilterBar > #filter-prompt { width: auto; padding: 0 0 0 1; text-style: bold; }
    FilterBar > Input { border: none; height: 1; padding: 0 1; width: 1fr; background: $boost; }
    FilterBar > Input:focus { border: none; }
    """
    BINDINGS = [Binding("escape", "clear", "Clear filter", show=False)]

    class Changed(Message):
        """The filter text changed: ``final`` after enter or escape, else while typing."""

        def __init__(self, text: str, *, final: bool) -> None:
            super().__init__()
            self.text = text
            self.final = final

    class Closed(Message):
        """The line closed (enter or escape): focus can go back to the table."""

    def __init__(self) -> None:
        super().__init__()
        self._debounce: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("/"), id="filter-prompt")
        yield Input(placeholder=PLACEHOLDER, id="filter-input", select_on_focus=False, compact=True)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    def open(self, text: str) -> None:
        field = self.input
        with field.prevent(Input.Changed):  # reopening is not a change
            field.value = text
        field.cursor_position = len(text)
        self.add_class("-open")
        field.focus()

    def _close(self) -> None:
        self._cancel_debounce()
        self.remove_class("-open")
        self.post_message(self.Closed())

    def _cancel_debounce(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
            self._debounce = None

    @on(Input.Changed, "#filter-input")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self._cancel_debounce()
        text = event.value
        self._debounce = self.set_timer(
            DEBOUNCE_SECONDS, lambda: self.post_message(self.Changed(text, final=False))
        )

    @on(Input.Submitted, "#filter-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._cancel_debounce()
        self.post_message(self.Changed(event.value, final=True))
        self._close()

    def action_clear(self) -> None:
        self._cancel_debounce()
        with self.input.prevent(Input.Changed):
            self.input.value = ""
        self.post_message(self.Changed("", final=True))
        self._close()
