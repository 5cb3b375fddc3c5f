"""SVG snapshots of the monitor on the demo API: what a user sees, pixel for pixel.

Deterministic by construction: the app's clock is frozen at FIXED_NOW, its latency timer
reads 0 ms, the demo scenario is seeded and anchored at FIXED_NOW, the backoff jitter is
seeded, and the demo server's port (the only other thing that varies) is pinned in the
header's label. Nothing blinks: the table has no text cursor.

To accept a changed screen: ``SOKU_UPDATE_SNAPSHOTS=1 pytest tests/ui/test_snapshots.py``,
then look at the SVGs in tests/ui/snapshots/ before committing them.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from soku_tui.core.models import Submission
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.screens.confirm import ConfirmBar
from soku_tui.ui.screens.help import HelpScreen
from soku_tui.ui.screens.monitor import MonitorScreen
from soku_tui.ui.widgets.post_table import PostTable
from tests.ui.conftest import assert_snapshot
from tests.ui.driving import MakeApp

PINNED_PORT = 8765  # the demo-server command's default port


@pytest.fixture
def snapshot_app(
    fixed_server: DemoServer, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> SokuApp:
    # The next-attempt countdown after a failed poll includes random jitter: seed it.
    return make_app(fixed_server, backoff_seed=7)


def table(app: SokuApp) -> PostTable:
    screen = app.screen_stack[0]
    assert isinstance(screen, MonitorScreen)
    return screen.query_one(PostTable)


async def loaded(pilot: Pilot[None]) -> list[Submission]:
    app = pilot.app
    assert isinstance(app, SokuApp)
    await app.monitor.poll_once()
    await pilot.pause()
    assert table(app).row_count > 0
    return list(app.monitor.snapshot.submissions)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
async def test_main_view(snapshot_app: SokuApp, size: tuple[int, int]) -> None:
    async with snapshot_app.run_test(size=size) as pilot:
        await loaded(pilot)
        assert_snapshot(snapshot_app, f"main_{size[0]}x{size[1]}")


async def test_expanded_post_with_the_fix_for_a_500_run(snapshot_app: SokuApp) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        submissions = await loaded(pilot)
        widest = max(submissions, key=lambda s: len(s.runs))
        run = next(r for r in widest.runs if r.http_status == 500)
        table(snapshot_app).move_cursor_to_key(widest.post_submission_id)
        await pilot.press("enter")
        table(snapshot_app).move_cursor_to_key((widest.post_submission_id, run.target_id))
        await pilot.pause()
        assert_snapshot(snapshot_app, "expanded_detail_120x36")


async def test_retry_confirmation(snapshot_app: SokuApp) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        submissions = await loaded(pilot)
        mixed = next(
            s
            for s in submissions
            if {r.http_status for r in s.failed_runs} >= {500}
            and len({r.http_status for r in s.failed_runs}) > 1
        )
        table(snapshot_app).move_cursor_to_key(mixed.post_submission_id)
        await pilot.press("r")
        assert isinstance(snapshot_app.screen, ConfirmBar)
        assert_snapshot(snapshot_app, "retry_confirm_120x36")
        await pilot.press("n")


async def test_api_down(snapshot_app: SokuApp, fixed_server: DemoServer) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        fixed_server.faults.set("html_502")
        await snapshot_app.monitor.poll_once()
        await pilot.pause()
        assert_snapshot(snapshot_app, "api_down_120x36")


async def test_help_on_a_post_retry_cannot_fix(snapshot_app: SokuApp) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        submissions = await loaded(pilot)
        only_401 = next(s for s in submissions if [r.http_status for r in s.failed_runs] == [401])
        table(snapshot_app).move_cursor_to_key(only_401.post_submission_id)
        await pilot.press("question_mark")
        assert isinstance(snapshot_app.screen, HelpScreen)
        assert_snapshot(snapshot_app, "help_120x36")


async def test_paused_with_new_failures_since(
    snapshot_app: SokuApp, fixed_server: DemoServer
) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("down", "down", "p")
        fixed_server.tick()
        await snapshot_app.monitor.poll_once()
        await pilot.pause()
        assert_snapshot(snapshot_app, "paused_120x36")


async def test_filtered_and_sorted(snapshot_app: SokuApp) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        await loaded(pilot)
        await pilot.press("slash", *"status:5xx !platform:x", "enter", "s", "s")
        await pilot.pause()
        assert_snapshot(snapshot_app, "filtered_120x36")


async def test_bulk_retry_confirmation(snapshot_app: SokuApp) -> None:
    async with snapshot_app.run_test(size=(120, 36)) as pilot:
        submissions = await loaded(pilot)
        failing = {
            s.post_submission_id: [r.http_status for r in s.failed_runs] for s in submissions
        }
        chosen = [
            next(p for p, st in failing.items() if set(st) == {500}),
            next(p for p, st in failing.items() if 500 in st and len(set(st)) > 1),
            next(p for p, st in failing.items() if st == [403, 403, 403]),
        ]
        for post_id in chosen:
            table(snapshot_app).move_cursor_to_key(post_id)
            await pilot.press("space")
        await pilot.press("R")
        assert isinstance(snapshot_app.screen, ConfirmBar)
        assert_snapshot(snapshot_app, "bulk_confirm_120x36")
        await pilot.press("n")


async def test_read_only(fixed_server: DemoServer, make_app: MakeApp) -> None:
    app = make_app(fixed_server, read_only=True, backoff_seed=7)
    async with app.run_test(size=(120, 36)) as pilot:
        submissions = await loaded(pilot)
        five_hundred = next(
            s for s in submissions if {r.http_status for r in s.failed_runs} == {500}
        )
        table(app).move_cursor_to_key(five_hundred.post_submission_id)
        await pilot.press("r")
        await pilot.pause()
        assert_snapshot(app, "read_only_120x36")
