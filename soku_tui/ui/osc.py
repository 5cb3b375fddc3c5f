"""Terminal escape sequences the monitor writes on purpose: clipboard, links, notifications.

Pure functions returning strings (no Textual, no Rich, no I/O), so each is unit-tested
byte for byte; the app writes the result to the terminal
(``app.driver.write(...)`` or equivalent).

* **OSC 52 clipboard** (:func:`osc52_copy`). Works over SSH: the *user's* terminal sets
  the clipboard. Inside tmux the sequence is wrapped in tmux's DCS passthrough, which
  tmux ≥ 3.3 forwards only with ``set -g allow-passthrough on`` (with ``set -g
  set-clipboard on`` tmux also understands the bare sequence). Many terminals cap the
  sequence at about 100,000 bytes; :data:`OSC52_MAX_BYTES` of text encode to just under
  that, and anything larger returns ``None`` so the UI can say "too large to copy".
* **OSC 8 hyperlinks** (:func:`hyperlink`): the link opens on the user's machine, never a
  browser on the remote host (``App.open_url`` would do the latter over SSH).
* **OSC 9 / OSC 777 desktop notifications** (:func:`notify_osc9`,
  :func:`notify_osc777`): iTerm2, WezTerm, kitty, foot, Windows Terminal (OSC 9);
  urxvt, foot, Ghostty, VTE-based terminals (OSC 777). Off by default.

Every input passes through :mod:`soku_tui.core.sanitize` first: server text (a caption, an
error message) can hold ESC, BEL, ST or C1 bytes, and a single one of those inside our own
sequence would end it early and let the rest act on the terminal.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from typing import Final, Literal
from urllib.parse import quote, urlsplit

from soku_tui.core.sanitize import clean, one_line

__all__ = [
    "BELL",
    "DASHBOARD_URL",
    "OSC52_MAX_BYTES",
    "ClipboardMode",
    "clipboard_mode",
    "dashboard_post_url",
    "hyperlink",
    "in_tmux",
    "notify_osc9",
    "notify_osc777",
    "osc52_copy",
    "safe_url",
    "tmux_passthrough",
]

ESC: Final = "\x1b"
BEL: Final = "\x07"
ST: Final = ESC + "\\"
BELL: Final = BEL  # the terminal bell, for "notify with a bell"

# 74,994 bytes of text are 99,992 bytes of base64: under the 100,000-byte limit that
# hterm/ChromeOS, and tmux's own buffer defaults, put on one sequence.
OSC52_MAX_BYTES: Final = 74_994

# Soku's web dashboard. Its help pages say "log in at mysoku.io" and "navigate to /posts",
# and document no per-post address; so links go to the list of posts. A config setting
# should override this (an agency on a white-label domain); until config.py has one,
# callers pass ``base=`` themselves.
DASHBOARD_URL: Final = "https://mysoku.io"

ClipboardMode = Literal["osc52", "off"]
_OFF_VALUES: Final = frozenset({"off", "0", "false", "no", "none", "disabled"})

# Notification text is one line, short: a desktop toast, not a report.
_NOTIFY_CELLS: Final = 200
_TITLE_CELLS: Final = 80
# OSC 8 URIs are printable ASCII only (the spec); anything else is percent-encoded.
# "%" stays as is so an already-encoded URL is not encoded twice.
_URL_SAFE: Final = "!#$%&'()*+,-./:;=?@[]_~"
_URL_MAX: Final = 2048
# ConEmu / Windows Terminal read "OSC 9 ; <digits> ; …" as a command (progress bar, …).
_OSC9_COMMAND: Final = re.compile(r"^\d+;")


def in_tmux(env: Mapping[str, str]) -> bool:
    """Whether we run inside tmux (``$TMUX`` is set and not empty)."""
    return bool(env.get("TMUX"))


def clipboard_mode(env: Mapping[str, str]) -> ClipboardMode:
    """``SOKU_CLIPBOARD`` from ``env``: ``off`` (also 0/false/no/none) or ``osc52``.

    Unset, empty or anything else means ``osc52``, the default. The resolved setting
    (flag > env > config file) is ``Settings.clipboard``; use this only without Settings.
    """
    value = env.get("SOKU_CLIPBOARD", "").strip().lower()
    return "off" if value in _OFF_VALUES else "osc52"


def tmux_passthrough(sequence: str) -> str:
    """Wrap ``sequence`` in tmux's DCS passthrough: ``ESC P tmux; … ESC \\``, every ESC
    inside doubled, so tmux hands it to the outer terminal unchanged."""
    return f"{ESC}Ptmux;{sequence.replace(ESC, ESC + ESC)}{ST}"


def osc52_copy(text: str, *, in_tmux: bool, max_bytes: int = OSC52_MAX_BYTES) -> str | None:
    """The OSC 52 sequence that puts ``text`` on the clipboard, or None if it is too large.

    ``text`` is sanitised first (control characters become visible stand-ins, newlines
    are kept), so pasting what we copied can never run anything in a shell.
    ``max_bytes`` bounds the UTF-8 size of that text.
    """
    payload = clean(text).encode("utf-8", errors="replace")
    if len(payload) > max_bytes:
        return None
    sequence = f"{ESC}]52;c;{base64.b64encode(payload).decode('ascii')}{BEL}"
    return tmux_passthrough(sequence) if in_tmux else sequence


def safe_url(url: str) -> str | None:
    """``url`` if it is an absolute http(s) URL fit for a terminal, else None.

    Refused: other schemes (``javascript:``, ``file:``, ``ssh:``…), no host, any control,
    bidi or invisible character, whitespace, more than 2 KB. Non-ASCII characters are
    percent-encoded (OSC 8 URIs are printable ASCII).
    """
    if not isinstance(url, str) or not url or len(url) > _URL_MAX:
        return None
    if clean(url) != url or any(char.isspace() for char in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    encoded = quote(url, safe=_URL_SAFE)
    return encoded if encoded.isascii() and encoded.isprintable() else None


def hyperlink(text: str, url: str) -> str:
    """``text`` as an OSC 8 hyperlink to ``url``; the sanitised text alone when the URL
    is not a safe http(s) URL (see :func:`safe_url`). ``text`` is made one line."""
    shown = one_line(text)
    target = safe_url(url)
    if target is None:
        return shown
    return f"{ESC}]8;;{target}{ST}{shown}{ESC}]8;;{ST}"


def dashboard_post_url(post_id: str, *, base: str = DASHBOARD_URL) -> str | None:
    """Where a post is seen in Soku's dashboard: ``<base>/posts``.

    Soku documents no per-post address, so this is the list of posts (the failed post is
    there with status Failed); ``post_id`` is accepted so callers need not change when a
    per-post route is known. None if ``base`` is not a safe http(s) URL.
    """
    del post_id  # see above: no documented per-post route yet
    return safe_url(base.rstrip("/") + "/posts")


def _notify_text(text: str, cells: int) -> str:
    # one_line turns ESC, BEL, C1 (the 8-bit ST U+009C included) into visible stand-ins,
    # so nothing can end the sequence early.
    return one_line(text, cells)


def notify_osc9(message: str, *, in_tmux: bool = False) -> str:
    """A desktop notification with ``message`` (OSC 9)."""
    text = _notify_text(message, _NOTIFY_CELLS)
    if _OSC9_COMMAND.match(text):
        text = " " + text  # never a ConEmu command by accident
    sequence = f"{ESC}]9;{text}{BEL}"
    return tmux_passthrough(sequence) if in_tmux else sequence


def notify_osc777(title: str, body: str, *, in_tmux: bool = False) -> str:
    """A desktop notification with a title (OSC 777 ``notify``).

    The field separator is ``;``: one in the title would move the rest into the body, so
    it becomes ``,``; the body is the last field and may hold ``;``.
    """
    shown_title = _notify_text(title, _TITLE_CELLS).replace(";", ",")
    shown_body = _notify_text(body, _NOTIFY_CELLS)
    sequence = f"{ESC}]777;notify;{shown_title};{shown_body}{BEL}"
    return tmux_passthrough(sequence) if in_tmux else sequence
