"""The failed-posts table: a line-API widget built for 50,000 posts.

Textual's DataTable measures every row when it first renders (seconds at 50k) and
cannot expand a row, so this is a ``ScrollView`` whose ``render_line`` draws only
what is on screen:

* The model (:class:`TableModel`) maps line numbers to row keys; a refresh is a few
  list/dict operations in C, whatever the number of posts.
* Each line on screen is described by a *signature*: everything its pixels depend on
  (the row's data, its age label, cursor, expansion, width, style generation). The
  signature is the key of the Strip cache, and the widget remembers the signature it
  last painted on every screen line. After any change it compares, line by line, what
  is on screen with what should be, and repaints only the lines that differ. An idle
  poll therefore writes nothing to the terminal, and a poll that changes one row
  repaints one line.
* When rows arrive or vanish above the viewport, the viewport is shifted by the same
  amount so the lines under the user's eyes stay still (and are not repainted).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence, Set
from datetime import UTC, datetime
from typing import Any, ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from soku_tui.ui.heartbeat import naive_repaint
from soku_tui.ui.widgets.post_rows import (
    PlatformMark,
    PostKey,
    PostRow,
    RowKey,
    RunKey,
    RunRow,
)
from soku_tui.ui.widgets.table_layout import GAP, post_columns, short_age
from soku_tui.ui.widgets.table_model import PreparedRows, TableModel
from soku_tui.ui.widgets.table_render import (
    TableStyles,
    render_header,
    render_post,
    render_run,
)

# How often relative ages ("3m") are re-checked. Only lines whose label changed repaint.
AGE_TICK_SECONDS = 20.0

_HEADER_LINES = 1
# Benchmark baseline only (bench/): repaint everything on every update.
_NAIVE_REPAINT = naive_repaint()

# A signature: a hashable tuple describing exactly what one screen line shows.
Signature = tuple[Any, ...]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class PostTable(ScrollView, can_focus=True, inherit_bindings=False):
    """Failed posts, one line each, with their platform runs expandable underneath."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("up,k", "cursor_up", "Up", show=False),
        Binding("down,j", "cursor_down", "Down", show=False),
        Binding("home,g", "cursor_first", "First", show=False),
        Binding("end,G", "cursor_last", "Last", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("ctrl+u", "half_page_up", "Half page up", show=False),
        Binding("ctrl+d", "half_page_down", "Half page down", show=False),
        Binding("right,l", "expand", "Expand", show=False),
        Binding("left,h", "collapse", "Collapse", show=False),
        Binding("enter", "toggle_row", "Expand/collapse", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "post-table--header",
        "post-table--cursor",
        "post-table--error-5xx",
        "post-table--error-4xx",
        "post-table--ok",
        "post-table--pending",
        "post-table--dim",
        "post-table--marked",
        "post-table--muted",
    }

    DEFAULT_CSS = """
    PostTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        /* Always show the scrollbar: its appearing would change the width of every line. */
        overflow-x: hidden;
        overflow-y: scroll;
        & > .post-table--header {
            background: $panel;
            color: $foreground;
            text-style: bold;
        }
        & > .post-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus > .post-table--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        & > .post-table--error-5xx { color: $text-error; text-style: bold; }
        & > .post-table--error-4xx { color: $text-warning; }
        & > .post-table--ok { color: $text-success; }
        & > .post-table--pending { color: $text-accent; }
        & > .post-table--dim { text-style: dim; }
        & > .post-table--marked { color: $text-accent; text-style: bold; }
        & > .post-table--muted { color: $text-muted; }
    }
    """

    class CursorMoved(Message):
        """The highlighted row changed (by key, mouse, or because its row vanished)."""

        def __init__(self, table: PostTable, key: RowKey | None) -> None:
            self.table = table
            self.key = key
            super().__init__()

        @property
        def control(self) -> PostTable:
            return self.table

    class CursorLost(Message):
        """The highlighted post left the list in ``set_rows`` (e.g. it resolved).

        ``lost_key`` is the key that was highlighted: the post id, or ``(post_id,
        target_id)`` if the cursor was on one of its runs. ``new_key`` is where the
        cursor went (the neighbour). Sent before the matching ``CursorMoved``.
        """

        def __init__(self, table: PostTable, lost_key: RowKey, new_key: RowKey | None) -> None:
            self.table = table
            self.lost_key = lost_key
            self.new_key = new_key
            super().__init__()

        @property
        def control(self) -> PostTable:
            return self.table

    class RowActivated(Message):
        """``enter`` or a double click on a row."""

        def __init__(self, table: PostTable, key: RowKey) -> None:
            self.table = table
            self.key = key
            super().__init__()

        @property
        def control(self) -> PostTable:
            return self.table

    def __init__(
        self,
        *,
        clock: Callable[[], datetime] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._clock = clock or _utc_now
        self._model = TableModel()
        self._cursor: int | None = None
        self._strips: LRUCache[Signature, Strip] = LRUCache(1024)
        self._painted: dict[int, Signature] = {}
        self._generation = 0
        self._styles: TableStyles | None = None
        self._render_now: datetime | None = None
        # A scroll position we set ourselves; its watcher must not repaint everything.
        self._quiet_scroll: int | None = None

    # ------------------------------------------------------------------ public API

    @property
    def cursor_key(self) -> RowKey | None:
        """The highlighted post id, or ``(post_id, target_id)`` for a run row."""
        if self._cursor is None:
            return None
        return self._model.lines[self._cursor]

    @property
    def expanded(self) -> Set[str]:
        """Ids of expanded posts. Survives ``set_rows``, filters and re-sorts."""
        return self._model.expanded

    @property
    def row_count(self) -> int:
        """Number of posts (top-level rows)."""
        return len(self._model.order)

    @property
    def line_count(self) -> int:
        """Number of table lines (posts plus the runs of expanded posts)."""
        return len(self._model)

    @property
    def post_ids(self) -> Sequence[str]:
        """Post ids in display order."""
        return self._model.order

    def get_row(self, post_id: str) -> PostRow | None:
        return self._model.post(post_id)

    def get_run(self, key: RunKey) -> RunRow | None:
        return self._model.run(key)

    def set_rows(self, rows: Sequence[PostRow] | PreparedRows) -> None:
        """Show ``rows`` in this order, applied as a diff against what is shown.

        ``rows`` may come indexed already (:meth:`PreparedRows.of`, e.g. in the worker
        thread that built them), sparing the event loop a pass over every row.

        The cursor stays on the same key. If its post vanished, it moves to the
        neighbour that took its place and ``CursorLost`` is posted. Only screen lines
        whose content changed are repainted.
        """
        self._apply(lambda: self._model.set_rows(rows), report_lost=True)
        if _NAIVE_REPAINT:
            self._strips.clear()
            self.refresh()

    def update_row(self, row: PostRow) -> None:
        """Replace one post in place (a mark, an acknowledgement, a retry state) without
        handing over the whole list. A post that is not shown is ignored."""
        if row.post_id in self._model:
            self._apply(lambda: self._model.replace(row), report_lost=True)

    # Widget.expand is a Rich sizing flag that ScrollView never reads (it overrides
    # get_content_width), so the table's documented verb can take the name.
    def expand(self, post_id: PostKey) -> None:  # type: ignore[override]
        self._apply(lambda: self._model.expand(post_id), report_lost=False)
        if self.cursor_key == post_id:
            self._reveal_children(post_id)

    def collapse(self, post_id: PostKey) -> None:
        self._apply(lambda: self._model.collapse(post_id), report_lost=False)

    def toggle(self, post_id: PostKey) -> None:
        if self._model.is_expanded(post_id):
            self.collapse(post_id)
        else:
            self.expand(post_id)

    def move_cursor_to_key(self, key: RowKey) -> None:
        """Highlight ``key`` (expanding its post for a run key); unknown keys are ignored."""
        if isinstance(key, tuple) and self._model.run(key) is not None:
            self._apply(lambda: self._model.expand(key[0]), report_lost=False)
        line = self._model.line_of(key)
        if line is not None:
            self._move_cursor(line)

    # ------------------------------------------------------------------ actions

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor_or_top() - 1)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor_or_top() + 1)

    def action_cursor_first(self) -> None:
        self._move_cursor(0)

    def action_cursor_last(self) -> None:
        self._move_cursor(len(self._model) - 1)

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor_or_top() - self._page_rows())

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor_or_top() + self._page_rows())

    def action_half_page_up(self) -> None:
        self._move_cursor(self._cursor_or_top() - max(1, self._page_rows() // 2))

    def action_half_page_down(self) -> None:
        self._move_cursor(self._cursor_or_top() + max(1, self._page_rows() // 2))

    def action_expand(self) -> None:
        key = self.cursor_key
        if isinstance(key, str):
            self.expand(key)

    def action_collapse(self) -> None:
        key = self.cursor_key
        if isinstance(key, tuple):
            # On a run row: back to its post, folded.
            self.collapse(key[0])
        elif key is not None:
            self.collapse(key)

    def action_toggle_row(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        if isinstance(key, str):
            self.toggle(key)
        self.post_message(self.RowActivated(self, key))

    # ------------------------------------------------------------------ events

    def on_mount(self) -> None:
        # (ScrollView's own on_mount runs too: Textual calls the handler of every class.)
        self.set_interval(AGE_TICK_SECONDS, self._sync)

    def on_resize(self, _event: events.Resize) -> None:
        # Resize events arrive after the first paint at the new size, so what we
        # painted is still on record (and the width is part of every signature).
        if self._cursor is not None:
            self._scroll_into_view(self._cursor)
        self._sync()

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y < _HEADER_LINES:
            return
        line = self.scroll_offset.y + offset.y - _HEADER_LINES
        if not 0 <= line < len(self._model):
            return
        self._move_cursor(line)
        key = self.cursor_key
        if key is None:
            return
        if event.chain >= 2:
            self.action_toggle_row()
        elif isinstance(key, str) and offset.x == 0:
            self.toggle(key)  # the ▸/▾ glyph

    def notify_style_update(self) -> None:
        # Called on theme changes and on focus/blur (the cursor's colours differ).
        super().notify_style_update()
        self._invalidate_styles()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        if self._quiet_scroll is not None and round(new_value) == self._quiet_scroll:
            # Our own scroll: _sync() repaints exactly the lines whose content moved.
            self._quiet_scroll = None
            if self.show_vertical_scrollbar:
                self.vertical_scrollbar.position = new_value
            return
        self._quiet_scroll = None
        super().watch_scroll_y(old_value, new_value)

    # ------------------------------------------------------------------ rendering

    def render_lines(self, crop: Region) -> list[Strip]:
        # One clock reading and one style lookup per frame, not per line.
        self._render_now = self._clock()
        try:
            return super().render_lines(crop)
        finally:
            self._render_now = None

    def render_line(self, y: int) -> Strip:
        width = self._view_size().width
        now = self._render_now or self._clock()
        signature = self._signature(y, width, now)
        self._painted[y] = signature
        strip = self._strips.get(signature)
        if strip is None:
            strip = self._render_signature(signature, width)
            self._strips[signature] = strip
        return strip

    def _table_styles(self) -> TableStyles:
        if self._styles is None:
            get = self.get_component_rich_style

            def layer(name: str) -> Style:
                # Only what the class sets, with its colour resolved against the
                # widget (a partial style cannot resolve "auto 60%" by itself).
                partial = get(name, partial=True)
                if partial.color is None:
                    return partial
                return partial + Style(color=get(name).color)

            self._styles = TableStyles(
                base=self.rich_style,
                header=get("post-table--header"),
                cursor=get("post-table--cursor"),
                error_5xx=layer("post-table--error-5xx"),
                error_4xx=layer("post-table--error-4xx"),
                ok=layer("post-table--ok"),
                pending=layer("post-table--pending"),
                dim=layer("post-table--dim"),
                marked=layer("post-table--marked"),
                muted=layer("post-table--muted"),
            )
        return self._styles

    def _signature(self, y: int, width: int, now: datetime) -> Signature:
        generation = self._generation
        if y < _HEADER_LINES:
            return ("header", width, generation)
        line = self.scroll_offset.y + y - _HEADER_LINES
        model = self._model
        if line >= len(model):
            return ("blank", width, generation)
        key = model.lines[line]
        cursor = 0 if line != self._cursor else 2 if self.has_focus else 1
        if isinstance(key, str):
            row = model.post(key)
            return (
                "post",
                row,
                short_age(row.when if row else None, now),
                model.is_expanded(key),
                cursor,
                width,
                generation,
            )
        post = model.post(key[0])
        run = model.run(key)
        last = bool(post and post.runs and post.runs[-1].target_id == key[1])
        acknowledged = bool(post and post.acknowledged)
        return ("run", run, last, acknowledged, cursor, width, generation)

    def _render_signature(self, signature: Signature, width: int) -> Strip:
        styles = self._table_styles()
        kind = signature[0]
        if kind == "header":
            return render_header(width, styles)
        if kind == "post" and signature[1] is not None:
            _, row, age, expanded, cursor, _, _ = signature
            return render_post(
                row, age, expanded=expanded, selected=bool(cursor), width=width, styles=styles
            )
        if kind == "run" and signature[1] is not None:
            _, run, last, acknowledged, cursor, _, _ = signature
            return render_run(
                run,
                last=last,
                acknowledged=acknowledged,
                selected=bool(cursor),
                width=width,
                styles=styles,
            )
        return Strip.blank(width, styles.base)

    def _invalidate_styles(self) -> None:
        self._styles = None
        self._generation += 1
        self._strips.clear()

    def _sync(self) -> None:
        """Repaint exactly the screen lines whose signature differs from what is painted.

        A line whose only change is its age label ("3m" → "4m") repaints just the When
        cell: a whole post line is ~600 bytes of colour codes, the cell ~40.
        """
        width, height = self._view_size()
        if not width or not height:
            return
        now = self._clock()
        painted = self._painted
        dirty: list[int] = []
        ages: list[int] = []
        for y in range(height):
            old = painted.get(y)
            new = self._signature(y, width, now)
            if old == new:
                continue
            if _only_age_differs(old, new):
                ages.append(y)
            else:
                dirty.append(y)
        regions: list[Region] = []
        if dirty:
            start = previous = dirty[0]
            for y in dirty[1:]:
                if y != previous + 1:
                    regions.append(Region(0, start, width, previous - start + 1))
                    start = y
                previous = y
            regions.append(Region(0, start, width, previous - start + 1))
        when = _when_cell(width)
        for y in ages:
            if when is None:
                regions.append(Region(0, y, width, 1))
            else:
                regions.append(Region(when[0], y, when[1], 1))
        if regions:
            self.refresh(*regions)

    # ------------------------------------------------------------------ cursor & scroll

    def _view_size(self) -> Size:
        # Without the scrollbar, which Textual draws over the widget's last columns.
        return self.scrollable_content_region.size

    def _page_rows(self) -> int:
        return max(1, self._view_size().height - _HEADER_LINES)

    def _cursor_or_top(self) -> int:
        if self._cursor is not None:
            return self._cursor
        return self.scroll_offset.y - 1  # so "down" lands on the first visible line

    def _move_cursor(self, line: int) -> None:
        count = len(self._model)
        if not count:
            return
        line = max(0, min(line, count - 1))
        old_key = self.cursor_key
        self._cursor = line
        self._scroll_into_view(line)
        self._sync()
        if self.cursor_key != old_key:
            self.post_message(self.CursorMoved(self, self.cursor_key))

    def _set_scroll(self, top: int) -> None:
        top = max(0, min(top, self.max_scroll_y))
        if top == self.scroll_offset.y:
            return
        self._quiet_scroll = top
        self.scroll_to(y=top, animate=False)  # the watcher runs synchronously, in here
        self._quiet_scroll = None

    def _scroll_into_view(self, line: int) -> None:
        if not self.size.height:
            return
        top = self.scroll_offset.y
        rows = self._page_rows()
        if line < top:
            self._set_scroll(line)
        elif line >= top + rows:
            self._set_scroll(line - rows + 1)

    def _reveal_children(self, post_id: str) -> None:
        """After expanding the highlighted post, scroll so its runs are visible too."""
        line = self._cursor
        row = self._model.post(post_id)
        if line is None or row is None or not self.size.height:
            return
        rows = self._page_rows()
        last = line + len(row.runs)
        if last >= self.scroll_offset.y + rows:
            self._set_scroll(min(line, last - rows + 1))
            self._sync()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        # Textual calls this for every widget on every layout of the screen, with the
        # compositor's virtual size, which for a line-API ScrollView never equals our own;
        # ScrollView then re-sends the whole scrollbar (~2 KB at 48 lines) each time any
        # widget on the screen changes size — every second, with the header's clock.
        # Nothing of ours depends on that virtual size: only a real resize matters.
        if size == self._size and container_size == self.container_size:
            return False
        return super()._size_updated(size, virtual_size, container_size, layout)

    def _set_virtual_height(self, height: int) -> bool:
        """Set the scrollable height. True if the scrollbar must be told."""
        size = Size(0, height)
        if size == self.virtual_size:
            return False
        css_height = self.styles.height
        if not self.is_mounted or css_height is None or css_height.is_auto:
            self.virtual_size = size  # our own height depends on it: a layout is due
            return False
        # Assigning virtual_size repaints the whole widget (about 20 KB at 160x48) even
        # when rows changed only off screen; _sync() repaints just the lines that changed.
        self.set_reactive(PostTable.virtual_size, size)
        return True

    def _anchor(self) -> tuple[RowKey, int] | None:
        """The line the user is looking at (the cursor if visible, else the top line) and
        its distance from the top, or None when the view is at the top: there, new
        failures should appear rather than being hidden above the view."""
        top = self.scroll_offset.y
        lines = self._model.lines
        if top == 0 or not lines:
            return None
        cursor = self._cursor
        line = cursor if cursor is not None and top <= cursor < top + self._page_rows() else top
        line = min(line, len(lines) - 1)
        return lines[line], line - top

    def _resolve_cursor(
        self, old_key: RowKey | None, old_order: Sequence[str]
    ) -> tuple[RowKey | None, bool]:
        """Where the cursor goes after a change, and whether its row vanished."""
        model = self._model
        if old_key is None:
            return (model.lines[0] if len(model) else None), False
        if isinstance(old_key, str):
            if old_key in model:
                return old_key, False
            return model.neighbour(old_order, old_key), True
        post_id = old_key[0]
        if post_id in model:
            if model.is_expanded(post_id) and model.run(old_key) is not None:
                return old_key, False
            # Folded, or the run itself is gone: its post is still failing, go there.
            return post_id, False
        return model.neighbour(old_order, post_id), True

    def _apply(self, change: Callable[[], object], *, report_lost: bool) -> None:
        model = self._model
        old_key = self.cursor_key
        old_order = model.order  # the model replaces this list, never mutates it
        anchor = self._anchor()

        change()

        resized = self._set_virtual_height(len(model) + _HEADER_LINES)
        new_key, lost = self._resolve_cursor(old_key, old_order)
        self._cursor = None if new_key is None else model.line_of(new_key)

        if anchor is not None:
            anchor_key, offset = anchor
            line = model.line_of(anchor_key)
            if line is None and anchor_key == old_key:
                line = self._cursor
            if line is not None:
                self._set_scroll(line - offset)
        if self.scroll_offset.y > self.max_scroll_y:
            self._set_scroll(self.max_scroll_y)
        if self._cursor is not None:
            self._scroll_into_view(self._cursor)
        if resized:
            self._scroll_update(self.virtual_size)  # scrollbar thumb; scroll is in range
        self._sync()

        if lost and report_lost and old_key is not None:
            self.post_message(self.CursorLost(self, old_key, new_key))
        if new_key != old_key:
            self.post_message(self.CursorMoved(self, new_key))


def _only_age_differs(old: Signature | None, new: Signature) -> bool:
    """True if two post-line signatures differ in the age label alone."""
    return (
        old is not None
        and old[0] == new[0] == "post"
        and old[2] != new[2]
        and old[:2] == new[:2]
        and old[3:] == new[3:]
    )


def _when_cell(width: int) -> tuple[int, int] | None:
    """(x, width) of the When column at this table width, or None if it is not shown."""
    x = 0
    for column in post_columns(width):
        if column.name == "when":
            return x, column.width
        x += column.width + GAP
    return None


__all__ = [
    "PlatformMark",
    "PostKey",
    "PostRow",
    "PostTable",
    "PreparedRows",
    "RowKey",
    "RunKey",
    "RunRow",
]
