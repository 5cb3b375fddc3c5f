"""Column widths for the failed-posts table, and the short texts that go in its cells.

Pure functions (no Textual). Widths adapt to the terminal: the caption (and, in a run
row, the message) takes whatever is left after the other columns; on narrow terminals
the least important columns shrink first and are dropped last.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from soku_tui.core.models import platform_name

GAP: Final = 1  # blank cells between two columns

Align = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    title: str
    width: int
    align: Align = "left"


@dataclass(frozen=True, slots=True)
class _Spec:
    name: str
    title: str
    preferred: int
    minimum: int
    align: Align = "left"


# Post rows. "flex" takes the remaining width; the order of SHRINK/DROP is least
# important first. The State column is the first to go: a retry in progress still
# shows as a count in Retry and on the run rows.
_POST_SPECS: Final = (
    _Spec("marker", "", 3, 3),
    _Spec("when", "When", 4, 4, "right"),
    _Spec("caption", "Caption", 0, 24),
    _Spec("platforms", "Platforms", 30, 14),
    _Spec("worst", "Worst", 5, 5, "right"),
    # How many runs a retry could fix (500s), then what a retry is doing or did.
    _Spec("retry", "500s", 4, 4, "right"),
    _Spec("state", "Retry", 14, 10),
)
_POST_FLEX: Final = "caption"
_POST_SHRINK: Final = ("state", "platforms")
_POST_DROP: Final = ("state", "retry", "worst", "platforms", "when")

# Run (child) rows: "  ├ Platform  account  ✗ failed  500 ↻  code  message…  try 2".
_RUN_SPECS: Final = (
    _Spec("tree", "", 4, 4),
    _Spec("platform", "", 10, 8),
    _Spec("account", "", 16, 8),
    _Spec("status", "", 12, 9),
    _Spec("http", "", 3, 3, "right"),
    _Spec("retryable", "", 1, 1),
    _Spec("code", "", 18, 10),
    _Spec("message", "", 0, 24),
    _Spec("attempt", "", 5, 5, "right"),
)
_RUN_FLEX: Final = "message"
_RUN_SHRINK: Final = ("account", "code", "status", "platform")
_RUN_DROP: Final = ("account", "attempt", "code", "retryable", "platform")


def _room(widths: dict[str, int], width: int, flex: str) -> int:
    """Cells left for the flexible column."""
    fixed = sum(w for name, w in widths.items() if name != flex)
    return width - fixed - GAP * (len(widths) - 1)


def _layout(
    specs: tuple[_Spec, ...],
    width: int,
    flex: str,
    shrink: tuple[str, ...],
    drop: tuple[str, ...],
) -> tuple[Column, ...]:
    minimum = {spec.name: spec.minimum for spec in specs}
    flex_min = minimum[flex]
    # Shrinking comes before dropping; after each drop, start again from the preferred
    # widths, so a column is never left shrunk when dropping another made room.
    for dropped in range(len(drop) + 1):
        gone = set(drop[:dropped])
        widths = {spec.name: spec.preferred for spec in specs if spec.name not in gone}
        for name in shrink:
            if _room(widths, width, flex) >= flex_min:
                break
            if name in widths:
                deficit = flex_min - _room(widths, width, flex)
                widths[name] = max(minimum[name], widths[name] - deficit)
        if _room(widths, width, flex) >= flex_min:
            break
    widths[flex] = max(0, _room(widths, width, flex))
    return tuple(
        Column(spec.name, spec.title, widths[spec.name], spec.align)
        for spec in specs
        if spec.name in widths
    )


@functools.lru_cache(maxsize=16)
def post_columns(width: int) -> tuple[Column, ...]:
    """Columns of a post row (and the header) for a table ``width`` cells wide."""
    return _layout(_POST_SPECS, width, _POST_FLEX, _POST_SHRINK, _POST_DROP)


@functools.lru_cache(maxsize=16)
def run_columns(width: int) -> tuple[Column, ...]:
    """Columns of a run (child) row for a table ``width`` cells wide."""
    return _layout(_RUN_SPECS, width, _RUN_FLEX, _RUN_SHRINK, _RUN_DROP)


def short_age(when: datetime | None, now: datetime) -> str:
    """'now', '3m', '2h', '1d': minute resolution, so the column repaints rarely."""
    if when is None:
        return "—"
    seconds = int((now - when).total_seconds())
    if seconds < 60:
        return "now"  # also a timestamp slightly in the future (clock skew)
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    days = seconds // 86400
    return f"{days}d" if days < 1000 else "999d+"


_SHORT_PLATFORM: Final = {
    "x": "X",
    "threads": "TH",
    "facebook": "FB",
    "instagram": "IG",
    "linkedin": "LI",
    "tiktok": "TT",
    "youtube": "YT",
    "snapchat": "SC",
}


def short_platform(platform: str) -> str:
    """Two-letter platform code for the marks column; an unknown platform as sent."""
    return _SHORT_PLATFORM.get(platform, platform)


def long_platform(platform: str) -> str:
    return platform_name(platform)


# Symbols that carry each state without colour (colour only reinforces them).
MARK_FAILED: Final = "✗"
MARK_OK: Final = "✓"
MARK_PENDING: Final = "◌"

_RUN_STATUS_SYMBOL: Final = {
    "failed": MARK_FAILED,
    "succeeded": MARK_OK,
    "queued": MARK_PENDING,
    "scheduled": MARK_PENDING,
    "processing": MARK_PENDING,
    "cancelled": "⊘",
}


def run_status_symbol(status: str) -> str:
    return _RUN_STATUS_SYMBOL.get(status, "?")


__all__ = [
    "GAP",
    "MARK_FAILED",
    "MARK_OK",
    "MARK_PENDING",
    "Column",
    "long_platform",
    "post_columns",
    "run_columns",
    "run_status_symbol",
    "short_age",
    "short_platform",
]
