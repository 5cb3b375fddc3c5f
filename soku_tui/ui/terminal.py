"""Writing our own escape sequences (clipboard, bell, desktop notifications) to the terminal.

Textual has no public API for raw output: its own ``App.bell`` and
``App.copy_to_clipboard`` write through ``App._driver.write``, which queues the bytes on
the driver's writer thread in order with the screen updates. We do the same, in this one
place. The sequences themselves come from :mod:`soku_tui.ui.osc` (sanitised, tested byte
for byte).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from textual.app import App

from soku_tui.ui.osc import ClipboardMode, notify_osc9, notify_osc777, osc52_copy

DesktopProtocol = Literal["osc9", "osc777"]


def write_raw(app: App[Any], sequence: str) -> bool:
    """Send ``sequence`` to the terminal as is; False if the app has no terminal yet."""
    driver = app._driver
    if driver is None:
        return False
    driver.write(sequence)
    return True


def desktop_protocol(env: Mapping[str, str]) -> DesktopProtocol:
    """Which desktop-notification sequence the terminal probably understands.

    OSC 777 for urxvt, foot, Ghostty and VTE-based terminals (GNOME Terminal, Tilix…);
    OSC 9 for the rest (iTerm2, WezTerm, kitty, Windows Terminal). One, not both: a
    terminal that knows both would show every notice twice.
    """
    term = env.get("TERM", "")
    if env.get("VTE_VERSION") or term.startswith(("rxvt", "foot")) or "ghostty" in term:
        return "osc777"
    return "osc9"


def desktop_notification(title: str, body: str, *, protocol: DesktopProtocol, in_tmux: bool) -> str:
    if protocol == "osc777":
        return notify_osc777(title, body, in_tmux=in_tmux)
    return notify_osc9(f"{title}: {body}", in_tmux=in_tmux)


@dataclass(frozen=True, slots=True)
class CopyResult:
    copied: bool
    message: str  # for the status line: "copied …" or why not


def copy_via_osc52(
    app: App[Any],
    text: str,
    *,
    what: str,
    mode: ClipboardMode,
    in_tmux: bool,
    max_bytes: int,
) -> CopyResult:
    """Put ``text`` on the user's clipboard through the terminal (works over SSH)."""
    if mode == "off":
        return CopyResult(
            False, f"Not copied ({what}): clipboard = off (config file or SOKU_CLIPBOARD)"
        )
    sequence = osc52_copy(text, in_tmux=in_tmux, max_bytes=max_bytes)
    if sequence is None:
        size = len(text.encode("utf-8", errors="replace"))
        return CopyResult(
            False, f"Not copied: {what} is {size:,} bytes, over the {max_bytes:,}-byte limit"
        )
    if not write_raw(app, sequence):
        return CopyResult(False, f"Not copied: no terminal to send {what} to")
    via = "OSC 52 through tmux" if in_tmux else "OSC 52"
    return CopyResult(True, f"Copied {what} to the clipboard ({via})")


__all__ = [
    "CopyResult",
    "DesktopProtocol",
    "copy_via_osc52",
    "desktop_notification",
    "desktop_protocol",
    "write_raw",
]
