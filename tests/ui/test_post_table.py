"""The failed-posts table widget, driven through Textual's Pilot with synthetic rows.

The screen is read from ``export_screenshot()`` (what a user would see), not from the
widget's internals.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.message import Message

from soku_tui.ui.widgets.post_table import (
    PlatformMark,
    PostRow,
    PostTable,
    RunRow,
)
from soku_tui.ui.widgets.table_layout import post_columns, run_columns, short_age
from soku_tui.ui.widgets.table_model import TableModel
from soku_tui.ui.widgets.table_render import TableStyles, render_post, render_run
from tests.ui.driving import screen_lines

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
SIZE = (120, 36)


def run(
    post: int,
    platform: str,
    *,
    status: str = "failed",
    http: int | None = 500,
    code: str | None = "upload_failed",
    message: str = "Upstream platform error [retry-after=30]",
) -> RunRow:
    return RunRow(
        target_id=f"{platform}:acct{post}",
        platform=platform,
        account=f"acct{post}",
        status=status,
        http_status=http if status == "failed" else None,
        code=code if status == "failed" else None,
        message=message if status == "failed" else "",
        attempt=2,
        retryable=status == "failed" and http == 500,
    )


def post(index: int, *, caption: str | None = None, http: int = 500) -> PostRow:
    runs = (
        run(index, "x", http=http),
        run(index, "instagram", status="succeeded"),
        run(index, "tiktok", http=401, code="token_expired", message="Re-authorize TikTok"),
    )
    return PostRow(
        post_id=f"post_{index:05d}",
        when=NOW - timedelta(minutes=7 * index + 3),
        caption=caption if caption is not None else f"Caption number {index} launch day",
        platforms=tuple(
            PlatformMark(r.platform, r.status == "succeeded", r.http_status) for r in runs
        ),
        worst_status=http,
        retryable=1 if http == 500 else 0,
        retry_state=None,
        runs=runs,
    )


def rows(count: int, start: int = 0) -> list[PostRow]:
    return [post(i) for i in range(start, start + count)]


class TableApp(App[None]):
    def __init__(self, initial: Sequence[PostRow]) -> None:
        super().__init__()
        self.initial = initial
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield PostTable(clock=lambda: NOW)

    def on_mount(self) -> None:
        table = self.query_one(PostTable)
        table.set_rows(self.initial)
        table.focus()

    def on_post_table_cursor_moved(self, message: PostTable.CursorMoved) -> None:
        self.messages.append(message)

    def on_post_table_cursor_lost(self, message: PostTable.CursorLost) -> None:
        self.messages.append(message)

    def on_post_table_row_activated(self, message: PostTable.RowActivated) -> None:
        self.messages.append(message)

    @property
    def table(self) -> PostTable:
        return self.query_one(PostTable)


def screen(app: App[None]) -> str:
    return "\n".join(screen_lines(app))


def line_with(app: App[None], needle: str) -> int:
    for number, line in enumerate(screen_lines(app)):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not on screen:\n{screen(app)}")


def highlighted(table: PostTable) -> list[int]:
    """Screen lines of the table drawn in the cursor's colours."""
    cursor = table.get_component_rich_style("post-table--cursor").bgcolor
    height = table.scrollable_content_region.height
    return [
        y
        for y in range(height)
        if any(s.style and s.style.bgcolor == cursor for s in table.render_line(y))
    ]


def lost_messages(app: TableApp) -> list[PostTable.CursorLost]:
    return [m for m in app.messages if isinstance(m, PostTable.CursorLost)]


async def test_rows_render_with_header_marks_and_relative_time() -> None:
    app = TableApp(rows(50))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = screen_lines(app)
        assert "When" in lines[0]
        assert "Caption" in lines[0]
        assert "Platforms" in lines[0]
        first = lines[1]
        assert "Caption number 0 launch day" in first
        # Marks carry state as symbol + text, failures first.
        assert "✗X 500" in first
        assert "✗TT 401" in first
        assert "✓IG" in first
        assert first.index("✗X 500") < first.index("✓IG")
        assert "3m" in first  # 3 minutes before the fixed clock
        assert "1h" in lines[10]  # post 9: 66 minutes old
        assert app.table.cursor_key == "post_00000"


async def test_cursor_stays_on_same_post_when_rows_are_added_above_and_removed() -> None:
    app = TableApp(rows(30))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j", "j", "j")
        assert app.table.cursor_key == "post_00005"
        app.messages.clear()

        newer = [post(i) for i in range(900, 904)]
        kept = [r for r in rows(30) if r.post_id not in {"post_00002", "post_00020"}]
        app.table.set_rows(newer + kept)
        await pilot.pause()

        assert app.table.cursor_key == "post_00005"
        assert app.messages == []  # nothing moved, nothing lost
        # At the top of the list new failures push the highlighted post down the screen.
        assert highlighted(app.table) == [1 + 4 + 4]
        assert "Caption number 5 " in screen_lines(app)[9]
        await pilot.press("j")
        assert app.table.cursor_key == "post_00006"


async def test_vanished_post_moves_cursor_to_neighbour_and_says_so() -> None:
    app = TableApp(rows(10))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "j", "j")
        app.messages.clear()
        app.table.set_rows([r for r in rows(10) if r.post_id != "post_00003"])
        await pilot.pause()

        assert app.table.cursor_key == "post_00004"
        (lost,) = lost_messages(app)
        assert lost.lost_key == "post_00003"
        assert lost.new_key == "post_00004"
        moved = [m for m in app.messages if isinstance(m, PostTable.CursorMoved)]
        assert [m.key for m in moved] == ["post_00004"]

        # The last post vanishing: the cursor goes to the one above it.
        await pilot.press("G")
        app.messages.clear()
        app.table.set_rows([r for r in rows(9) if r.post_id != "post_00003"])
        await pilot.pause()
        assert app.table.cursor_key == "post_00008"
        assert lost_messages(app)[0].lost_key == "post_00009"


async def test_expansion_shows_runs_and_survives_set_rows() -> None:
    app = TableApp(rows(10))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("j", "right")
        await pilot.pause()
        assert app.table.expanded == {"post_00001"}
        lines = screen_lines(app)
        x_run = lines[3]
        assert "├" in x_run
        assert "X" in x_run
        assert "✗ failed" in x_run
        assert "500" in x_run
        assert "↻" in x_run
        assert "upload_failed" in x_run
        # Bracketed server text is shown as typed, not eaten as markup.
        assert "Upstream platform error [retry-after=30]" in x_run
        assert "try 2" in x_run
        assert "Instagram" in lines[4]
        assert "✓ succeeded" in lines[4]
        tiktok = lines[5]
        assert "└" in tiktok
        assert "401" in tiktok
        assert "token_expired" in tiktok
        assert "Re-authorize TikTok" in tiktok
        assert "↻" not in tiktok

        # A refresh with new (equal) objects and a new post on top keeps it expanded.
        app.table.set_rows([post(500), *[dataclasses.replace(r) for r in rows(10)]])
        await pilot.pause()
        assert app.table.expanded == {"post_00001"}
        assert app.table.cursor_key == "post_00001"
        assert line_with(app, "token_expired") == line_with(app, "Caption number 1 ") + 3


async def test_vim_and_arrow_keys() -> None:
    app = TableApp(rows(200))
    async with app.run_test(size=SIZE) as pilot:
        table = app.table
        await pilot.press("j", "down")
        assert table.cursor_key == "post_00002"
        await pilot.press("k")
        assert table.cursor_key == "post_00001"
        await pilot.press("G")
        assert table.cursor_key == "post_00199"
        assert "Caption number 199 " in screen_lines(app)[-1]
        await pilot.press("g")
        assert table.cursor_key == "post_00000"
        page = SIZE[1] - 1  # lines below the header
        await pilot.press("ctrl+d")
        assert table.cursor_key == f"post_{page // 2:05d}"
        await pilot.press("ctrl+u")
        assert table.cursor_key == "post_00000"
        await pilot.press("pagedown")
        assert table.cursor_key == f"post_{page:05d}"
        await pilot.press("end", "home")
        assert table.cursor_key == "post_00000"

        # enter toggles a post and reports the activation.
        app.messages.clear()
        await pilot.press("enter")
        assert table.expanded == {"post_00000"}
        assert [m.key for m in app.messages if isinstance(m, PostTable.RowActivated)] == [
            "post_00000"
        ]
        await pilot.press("enter")
        assert table.expanded == set()
        # l expands, j walks into the runs, h on a run folds back to its post.
        await pilot.press("l", "j", "j")
        assert table.cursor_key == ("post_00000", "instagram:acct0")
        await pilot.press("h")
        assert table.cursor_key == "post_00000"
        assert table.expanded == set()
        assert "Instagram" not in screen(app)


async def test_mouse_click_selects_and_wheel_scrolls() -> None:
    app = TableApp(rows(200))
    async with app.run_test(size=SIZE) as pilot:
        assert await pilot.click(PostTable, offset=(20, 4))
        assert app.table.cursor_key == "post_00003"
        assert await pilot.click(PostTable, offset=(0, 4))  # the ▸ glyph expands
        assert app.table.expanded == {"post_00003"}
        before = screen_lines(app)[1]
        for _ in range(3):
            # Pilot has no wheel helper; this is the event a terminal's wheel produces.
            app.table.post_message(
                events.MouseScrollDown(app.table, 20, 10, 0, 1, 0, False, False, False)
            )
        await pilot.pause()
        assert app.table.scroll_offset.y > 0
        assert screen_lines(app)[1] != before


async def test_hostile_caption_renders_literally() -> None:
    hostile = "\x1b[2J[bold]boom[/b]\n2nd \x1b]52;c;SGVsbG8=\x07 [link=x]y[/link]"
    app = TableApp([post(0, caption=hostile), post(1, caption="[/]"), *rows(3, start=2)])
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = screen(app)
        assert "\x1b" not in text
        assert "\x07" not in text
        first = screen_lines(app)[1]
        # Every control is shown as a visible stand-in; the newline too, on one line.
        assert "␛[2J[bold]boom[/b] ⏎ 2nd ␛]52;c;SGVsbG8=␇" in first
        assert "[/]" in screen_lines(app)[2]
        assert "Caption number 2" in screen_lines(app)[3]


async def test_fifty_thousand_rows() -> None:
    many = rows(50_000)
    app = TableApp(many)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert "Caption number 0 " in screen_lines(app)[1]
        assert app.table.row_count == 50_000
        await pilot.press("G")
        assert app.table.cursor_key == "post_49999"
        assert "Caption number 49999" in screen_lines(app)[-1]
        app.table.set_rows(many[::-1])  # a re-sort: the cursor's post is now first
        await pilot.pause()
        assert app.table.cursor_key == "post_49999"
        assert "Caption number 49999" in screen_lines(app)[1]


class RefreshSpy:
    """Records the regions a table asks Textual to repaint."""

    def __init__(self, table: PostTable, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[tuple[Region, ...]] = []
        original = table.refresh

        def refresh(*regions: Region, **kwargs: bool) -> PostTable:
            self.calls.append(regions)
            return original(*regions, **kwargs)

        monkeypatch.setattr(table, "refresh", refresh)

    @property
    def lines(self) -> int:
        """Lines asked for; a whole-widget refresh counts as the full height."""
        return sum(
            sum(region.height for region in regions) if regions else 10**6 for regions in self.calls
        )


async def test_idle_set_rows_repaints_nothing_and_a_change_repaints_its_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = rows(10_000)
    app = TableApp(many)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        spy = RefreshSpy(app.table, monkeypatch)

        app.table.set_rows([dataclasses.replace(r) for r in many])  # a poll, nothing new
        await pilot.pause()
        assert spy.lines == 0

        changed = list(many)
        changed[4] = dataclasses.replace(many[4], retry_state="retrying…")
        changed[5000] = dataclasses.replace(many[5000], worst_status=401)  # off screen
        app.table.set_rows(changed)
        await pilot.pause()
        assert spy.lines == 1
        assert "retrying…" in screen_lines(app)[5]

        # Posts resolved and added far below the view: only the scrollbar changes.
        spy.calls.clear()
        app.table.set_rows(changed[:9000] + rows(5, start=20_000))
        await pilot.pause()
        assert spy.lines == 0
        assert app.table.row_count == 9005


async def test_rows_arriving_above_a_scrolled_view_do_not_move_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    many = rows(1000)
    app = TableApp(many)
    async with app.run_test(size=SIZE) as pilot:
        app.table.move_cursor_to_key("post_00500")
        await pilot.pause()
        row = line_with(app, "Caption number 500 ")
        before = screen_lines(app)
        spy = RefreshSpy(app.table, monkeypatch)

        app.table.set_rows(rows(3, start=5000) + many)
        await pilot.pause()

        assert app.table.cursor_key == "post_00500"
        assert screen_lines(app) == before
        assert line_with(app, "Caption number 500 ") == row
        assert spy.lines == 0
        assert highlighted(app.table) == [row]


async def test_narrow_terminal_keeps_every_state_readable() -> None:
    app = TableApp([post(0, caption="A caption much longer than the room it has " * 3)])
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("l")
        lines = screen_lines(app)
        assert all(cell_len(line) <= 80 for line in lines)
        assert "…" in lines[1]  # caption cut with an ellipsis
        assert "✗X 500" in lines[1]
        assert "500" in lines[1]
        assert "✗ failed" in lines[2]
        assert "Upstream platform error" in lines[2]


async def test_move_cursor_to_run_key_expands_its_post() -> None:
    app = TableApp(rows(5))
    async with app.run_test(size=SIZE) as pilot:
        app.table.move_cursor_to_key(("post_00003", "tiktok:acct3"))
        await pilot.pause()
        assert app.table.cursor_key == ("post_00003", "tiktok:acct3")
        assert app.table.expanded == {"post_00003"}
        # A run row whose post resolves: the cursor goes to the neighbouring post.
        app.messages.clear()
        app.table.set_rows([r for r in rows(5) if r.post_id != "post_00003"])
        await pilot.pause()
        assert app.table.cursor_key == "post_00004"
        assert lost_messages(app)[0].lost_key == ("post_00003", "tiktok:acct3")


def test_model_splices_runs_and_finds_neighbours() -> None:
    model = TableModel()
    model.set_rows(rows(4))
    assert model.expand("post_00001")
    assert list(model.lines[:5]) == [
        "post_00000",
        "post_00001",
        ("post_00001", "x:acct1"),
        ("post_00001", "instagram:acct1"),
        ("post_00001", "tiktok:acct1"),
    ]
    old = model.order
    model.set_rows([r for r in rows(4) if r.post_id not in {"post_00001", "post_00002"}])
    assert model.neighbour(old, "post_00001") == "post_00003"
    assert model.neighbour(old, "post_00002") == "post_00003"
    assert model.expanded == {"post_00001"}  # kept for when it comes back
    assert len(model) == 2
    assert model.collapse("post_00001") is False


def test_layout_fills_the_width_and_drops_least_important_columns_first() -> None:
    for width in (40, 60, 78, 118, 158, 240):
        for columns in (post_columns(width), run_columns(width)):
            used = sum(c.width for c in columns) + len(columns) - 1
            assert used == width
    assert [c.name for c in post_columns(118)][-1] == "state"
    assert "state" not in [c.name for c in post_columns(60)]
    assert "caption" in [c.name for c in post_columns(40)]
    assert "account" not in [c.name for c in run_columns(78)]
    assert "account" in [c.name for c in run_columns(118)]


def test_short_age() -> None:
    assert short_age(NOW - timedelta(seconds=30), NOW) == "now"
    assert short_age(NOW + timedelta(seconds=30), NOW) == "now"
    assert short_age(NOW - timedelta(minutes=3), NOW) == "3m"
    assert short_age(NOW - timedelta(hours=2, minutes=59), NOW) == "2h"
    assert short_age(NOW - timedelta(days=1), NOW) == "1d"
    assert short_age(None, NOW) == "—"


async def test_update_row_repaints_only_that_line(monkeypatch: pytest.MonkeyPatch) -> None:
    many = rows(100)
    app = TableApp(many)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        spy = RefreshSpy(app.table, monkeypatch)
        app.table.update_row(
            dataclasses.replace(many[3], marked=True, acknowledged=True, retry_state="retried → ok")
        )
        await pilot.pause()
        assert spy.lines == 1
        line = screen_lines(app)[4]
        assert line.startswith("▸●✓")  # marked and acknowledged, shown as symbols
        assert "retried → ok" in line
        assert app.table.cursor_key == "post_00000"


async def test_resize_keeps_cursor_visible_and_relayouts() -> None:
    app = TableApp(rows(300))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("pagedown", "pagedown")
        key = app.table.cursor_key
        assert isinstance(key, str)
        await pilot.resize_terminal(80, 12)
        await pilot.pause()
        lines = screen_lines(app)
        assert app.table.cursor_key == key
        number = int(key.removeprefix("post_"))
        assert any(f"Caption number {number} " in line for line in lines[1:])
        assert "Retry" in lines[0]
        assert all(cell_len(line) <= 80 for line in lines)


async def test_double_click_activates_row() -> None:
    app = TableApp(rows(20))
    async with app.run_test(size=SIZE) as pilot:
        assert await pilot.double_click(PostTable, offset=(30, 3))
        await pilot.pause()
        activated = [m.key for m in app.messages if isinstance(m, PostTable.RowActivated)]
        assert activated == ["post_00002"]
        assert app.table.expanded == {"post_00002"}


_PLAIN = TableStyles(*(Style() for _ in range(10)))
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(max_size=120),
    width=st.integers(min_value=20, max_value=200),
    http=st.one_of(st.none(), st.integers(min_value=100, max_value=599)),
)
def test_any_server_text_renders_one_safe_line_of_exact_width(
    text: str, width: int, http: int | None
) -> None:
    row = dataclasses.replace(
        post(1, caption=text),
        platforms=(PlatformMark(text, False, http), PlatformMark("x", None, None)),
        retry_state=text,
    )
    hostile_run = RunRow(text, text, text, text, http, text, text, 3, True)
    strips = [
        render_post(row, "3m", expanded=True, selected=False, width=width, styles=_PLAIN),
        render_run(
            hostile_run, last=True, acknowledged=True, selected=True, width=width, styles=_PLAIN
        ),
    ]
    for strip in strips:
        assert strip.cell_length == width
        assert sum(cell_len(segment.text) for segment in strip) == width
        assert not _UNSAFE.search(strip.text)
