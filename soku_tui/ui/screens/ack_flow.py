"""``a`` on a post: acknowledge it with an optional note, or withdraw the acknowledgement.

The acknowledgement itself (file, lock, audit line) is :mod:`soku_tui.core.acks`; this
asks the user and reports the outcome.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.text import Text

from soku_tui.core.acks import local_user
from soku_tui.core.models import Submission
from soku_tui.core.sanitize import clean, one_line
from soku_tui.ui.screens.confirm import ConfirmBar
from soku_tui.ui.screens.prompt import PromptBar
from soku_tui.ui.timefmt import absolute

if TYPE_CHECKING:
    from soku_tui.ui.screens.monitor import MonitorScreen


def toggle_acknowledgement(screen: MonitorScreen, submission: Submission) -> None:
    """Acknowledged (and nothing failed since): offer to withdraw. Otherwise ask for a
    note and acknowledge; a post that failed again starts from its old note."""
    acks = screen.soku.acks
    post_id = submission.post_submission_id
    short = post_id[:8] + "…"
    ack = acks.get(post_id)
    if ack is not None and ack.covers(submission):
        question = Text("Withdraw the acknowledgement of post ")
        question.append(short, style="bold")
        question.append(clean(f" (by {ack.by}, {absolute(ack.at)})"))
        if ack.note:
            question.append(f" “{one_line(ack.note, 60)}”", style="italic")
        question.append("?")

        def withdraw(yes: bool | None) -> None:
            if yes:
                _change(screen, lambda: acks.unacknowledge(post_id), f"Withdrew the ack of {short}")
            else:
                screen.say("Still acknowledged.")

        screen.app.push_screen(ConfirmBar(question), withdraw)
        return

    label = Text("Acknowledge ")
    label.append(short, style="bold")
    label.append(" — note (optional):")
    prompt = PromptBar(
        label,
        value=(ack.note or "") if ack else "",
        placeholder="e.g. asked the client to reconnect TikTok",
    )

    def noted(note: str | None) -> None:
        if note is None:
            screen.say("Not acknowledged.")
            return
        hint = "" if screen.view_options.hide_acknowledged else " (A hides acknowledged posts)"
        _change(
            screen,
            lambda: acks.acknowledge(post_id, note, local_user(), submission=submission),
            f"Acknowledged {short}{hint}",
        )

    screen.app.push_screen(prompt, noted)


def _change(screen: MonitorScreen, change: Callable[[], object], done: str) -> None:
    try:
        change()
    except OSError as exc:
        screen.say(f"Could not save the acknowledgement: {exc.strerror or exc}", error=True)
        return
    warnings = screen.soku.acks.take_warnings()
    screen.say(f"{done}." + (f" Warning: {warnings[0]}" if warnings else ""))
    screen.acknowledgements_changed()


__all__ = ["toggle_acknowledgement"]
