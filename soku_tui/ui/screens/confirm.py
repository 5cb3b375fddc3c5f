"""A one-line y/N question at the bottom of the screen; anything but y means no."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import ModalScreen
from textual.widgets import Static


class ConfirmBar(ModalScreen[bool]):
    """Answers True only for ``y``: a stray enter or escape never publishes anything."""

    # One line whatever the width: the question is cut with an ellipsis (put what may be
    # cut last), the [y/N] prompt never is.
    DEFAULT_CSS = """
    ConfirmBar { align: center bottom; background: $background 40%; }
    ConfirmBar > Horizontal {
        width: 100%; height: auto; padding: 0 1;
        background: $warning 30%; border-top: tall $warning;
    }
    ConfirmBar #confirm-question { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    ConfirmBar #confirm-answer { width: auto; padding: 0 0 0 2; text-style: bold; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", show=False),
        Binding("n,escape,enter,q", "answer(False)", "No", show=False),
    ]

    def __init__(self, question: Text) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static(self._question.copy(), id="confirm-question")
            yield Static("[y/N]", id="confirm-answer", markup=False)

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

    def on_key(self, event: object) -> None:
        # Any other key is a "no" too, so nobody confirms by accident while typing.
        key = getattr(event, "key", "")
        if key not in ("y", "n", "escape", "enter", "q"):
            self.dismiss(False)
