"""One table line → one Textual ``Strip``, built from Segments.

Only the lines on screen ever reach this module. Every piece of server text passes
through :func:`soku_tui.core.sanitize.one_line` and ends up in a ``Segment``, never in
markup, so ``[bold]`` or ``ESC[2J`` in a caption is shown as the characters it is.
Every state has a symbol or a word; colour (from the widget's component classes) only
reinforces it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from soku_tui.core.sanitize import one_line
from soku_tui.ui.widgets.post_rows import PlatformMark, PostRow, RunRow
from soku_tui.ui.widgets.table_layout import (
    GAP,
    MARK_FAILED,
    MARK_OK,
    MARK_PENDING,
    Align,
    Column,
    long_platform,
    post_columns,
    run_columns,
    run_status_symbol,
    short_platform,
)

EXPANDED: Final = "▾"
COLLAPSED: Final = "▸"
MARKED: Final = "●"
ACKNOWLEDGED: Final = "✓"
RETRYABLE: Final = "↻"


@dataclass(frozen=True, slots=True)
class TableStyles:
    """Rich styles resolved from the widget's component classes for one render pass.

    ``base``, ``header`` and ``cursor`` are complete styles; the others are partial
    (only what the class sets) and are layered on top of the row's style.
    """

    base: Style
    header: Style
    cursor: Style
    error_5xx: Style
    error_4xx: Style
    ok: Style
    pending: Style
    dim: Style
    marked: Style
    muted: Style

    def http(self, status: int | None) -> Style | None:
        if status is None:
            return None
        return self.error_5xx if status >= 500 else self.error_4xx


def fit(text: str, width: int, align: Align = "left") -> str:
    """Sanitised ``text`` cut (with an ellipsis) or padded to exactly ``width`` cells."""
    if width <= 0:
        return ""
    line = one_line(text, width)
    # Measure the way the compositor does (Rich), so the Strip's width is exact even
    # where wcwidth and Rich disagree about a character.
    cells = cell_len(line)
    if cells > width:
        return set_cell_size(line, width)
    pad = " " * (width - cells)
    return pad + line if align == "right" else line + pad


class _LineBuilder:
    """Segments of one line, cell by cell, in the row's style (+ cursor on top)."""

    def __init__(self, row_style: Style, cursor: Style | None) -> None:
        self._row = row_style
        self._cursor = cursor
        self.segments: list[Segment] = []
        self.cells = 0

    def style(self, extra: Style | None) -> Style:
        style = self._row if extra is None else self._row + extra
        return style if self._cursor is None else style + self._cursor

    def add(self, text: str, extra: Style | None = None) -> None:
        if text:
            self.segments.append(Segment(text, self.style(extra)))
            self.cells += cell_len(text)

    def cell(self, column: Column, text: str, extra: Style | None = None) -> None:
        self.add(fit(text, column.width, column.align), extra)

    def gap(self) -> None:
        self.add(" " * GAP)

    def strip(self, width: int) -> Strip:
        if self.cells < width:
            self.add(" " * (width - self.cells))
        return Strip(self.segments, self.cells).crop(0, width)


def _mark_order(mark: PlatformMark) -> int:
    # Failures first, so a narrow column cuts successes, never failures.
    return 0 if mark.ok is False else 1 if mark.ok is None else 2


def _platform_items(
    marks: Iterable[PlatformMark], styles: TableStyles
) -> list[tuple[str, Style | None]]:
    items: list[tuple[str, Style | None]] = []
    for mark in sorted(marks, key=_mark_order):
        code = one_line(short_platform(mark.platform), 10)
        if mark.ok is True:
            items.append((f"{MARK_OK}{code}", styles.ok))
        elif mark.ok is None:
            items.append((f"{MARK_PENDING}{code}", styles.pending))
        elif mark.status is None:
            items.append((f"{MARK_FAILED}{code}", styles.error_4xx))
        else:
            items.append((f"{MARK_FAILED}{code} {mark.status}", styles.http(mark.status)))
    return items


def _platforms_cell(
    line: _LineBuilder, column: Column, marks: Iterable[PlatformMark], styles: TableStyles
) -> None:
    items = _platform_items(marks, styles)
    width = column.width
    lengths = [cell_len(text) for text, _ in items]
    shown = len(items)
    # Keep as many whole marks as fit, plus "+N" for the rest (never half a mark).
    while (
        shown
        and sum(lengths[:shown])
        + (shown - 1)
        + (len(f" +{len(items) - shown}") if shown < len(items) else 0)
        > width
    ):
        shown -= 1
    used = 0
    for index, (text, style) in enumerate(items[:shown]):
        if index:
            line.add(" ")
            used += 1
        line.add(text, style)
        used += lengths[index]
    rest = f"+{len(items) - shown}" if shown < len(items) else ""
    if rest and shown:
        rest = " " + rest
    line.add(fit(rest, width - used) if width > used else "", styles.muted)


def _state_style(state: str, styles: TableStyles) -> Style | None:
    # The screen's retry states; anything else is shown plain.
    if state.startswith("retrying"):
        return styles.pending
    if state.endswith("ok"):
        return styles.ok
    if state.startswith("failed"):
        return styles.error_5xx
    return None


def render_header(width: int, styles: TableStyles) -> Strip:
    line = _LineBuilder(styles.header, None)
    for index, column in enumerate(post_columns(width)):
        if index:
            line.gap()
        line.cell(column, column.title)
    return line.strip(width)


def render_post(
    row: PostRow,
    age: str,
    *,
    expanded: bool,
    selected: bool,
    width: int,
    styles: TableStyles,
) -> Strip:
    row_style = styles.base + styles.dim if row.acknowledged else styles.base
    line = _LineBuilder(row_style, styles.cursor if selected else None)
    for index, column in enumerate(post_columns(width)):
        if index:
            line.gap()
        name = column.name
        if name == "marker":
            line.add(EXPANDED if expanded and row.runs else COLLAPSED if row.runs else " ")
            line.add(MARKED if row.marked else " ", styles.marked)
            line.add(ACKNOWLEDGED if row.acknowledged else " ", styles.muted)
        elif name == "when":
            line.cell(column, age)
        elif name == "caption":
            line.cell(column, row.caption)
        elif name == "platforms":
            _platforms_cell(line, column, row.platforms, styles)
        elif name == "worst":
            status = row.worst_status
            line.cell(column, "—" if status is None else str(status), styles.http(status))
        elif name == "retry":
            line.cell(column, str(row.retryable), None if row.retryable else styles.muted)
        elif name == "state":
            state = row.retry_state or ""
            line.cell(column, state, _state_style(state, styles))
    return line.strip(width)


def _run_status_style(run: RunRow, styles: TableStyles) -> Style | None:
    if run.status == "failed":
        return styles.error_5xx if (run.http_status or 0) >= 500 else styles.error_4xx
    if run.status == "succeeded":
        return styles.ok
    return styles.pending


def render_run(
    run: RunRow,
    *,
    last: bool,
    acknowledged: bool,
    selected: bool,
    width: int,
    styles: TableStyles,
) -> Strip:
    row_style = styles.base + styles.dim if acknowledged else styles.base
    line = _LineBuilder(row_style, styles.cursor if selected else None)
    for index, column in enumerate(run_columns(width)):
        if index:
            line.gap()
        name = column.name
        if name == "tree":
            line.cell(column, "  └" if last else "  ├", styles.muted)
        elif name == "platform":
            line.cell(column, long_platform(run.platform))
        elif name == "account":
            line.cell(column, run.account or "—", styles.muted)
        elif name == "status":
            status = f"{run_status_symbol(run.status)} {run.status}"
            line.cell(column, status, _run_status_style(run, styles))
        elif name == "http":
            http = run.http_status
            line.cell(column, "—" if http is None else str(http), styles.http(http))
        elif name == "retryable":
            line.cell(column, RETRYABLE if run.retryable else " ", styles.pending)
        elif name == "code":
            line.cell(column, run.code or "")
        elif name == "message":
            line.cell(column, run.message)
        elif name == "attempt":
            line.cell(column, f"try {run.attempt}", styles.muted)
    return line.strip(width)


__all__ = [
    "ACKNOWLEDGED",
    "COLLAPSED",
    "EXPANDED",
    "MARKED",
    "RETRYABLE",
    "TableStyles",
    "fit",
    "render_header",
    "render_post",
    "render_run",
]
