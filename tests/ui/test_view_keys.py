"""Looking at the failures differently: filter, retryable only, sort, pause, poll interval.

Real app, real demo API, keys through Pilot. What the table should show is worked out
from the posts' own runs, not by asking the app's filter or sort code.
"""

from __future__ import annotations

from textual.widgets import Input

from soku_tui.core.models import Submission, platform_name
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.widgets.filter_bar import FilterBar
from soku_tui.ui.widgets.view_line import PauseBanner, ViewLine
from tests.ui.driving import (
    MakeApp,
    highlight,
    monitor,
    poll,
    polled,
    screen_text,
    server_submission,
    shown,
    status_line,
    table,
    wait_until,
)


def failed_on(submission: Submission, platform: str) -> bool:
    return any(run.is_failed and run.platform == platform for run in submission.runs)


def has_failed_500(submission: Submission) -> bool:
    return any(run.is_failed and run.http_status == 500 for run in submission.runs)


def header(app: SokuApp) -> str:
    return screen_text(app).splitlines()[0]


def view_line(app: SokuApp) -> str:
    line = monitor(app).query_one(ViewLine)
    return str(line.content) if line.display else ""


# ---------------------------------------------------------------------------- filter


async def test_filter_applies_as_you_type_enter_keeps_it_escape_clears_it(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        everything = list(posts.post_ids)
        tiktok = [s.post_submission_id for s in shown(app) if failed_on(s, "tiktok")]
        assert 0 < len(tiktok) < len(everything)

        await pilot.press("slash")
        bar = monitor(app).query_one(FilterBar)
        assert bar.is_open and isinstance(app.focused, Input)
        # Typed into the filter, "p" and "a" are letters, not pause and acknowledge.
        await pilot.press(*"platform:tt")  # TikTok's short code
        await wait_until(pilot, lambda: list(posts.post_ids) == tiktok, "the live filter")
        assert not monitor(app).paused
        assert f"showing {len(tiktok)} of {len(everything)} posts" in header(app)
        assert "platform TikTok" in view_line(app)

        await pilot.press("enter")
        assert not bar.is_open and app.focused is posts
        assert list(posts.post_ids) == tiktok
        assert "showing" in status_line(app)

        # A poll keeps the filter: the new failure shows only if it failed on TikTok.
        fixed_server.tick()
        await poll(pilot)
        expected = [s.post_submission_id for s in shown(app) if failed_on(s, "tiktok")]
        assert list(posts.post_ids) == expected

        # Reopened, the line holds the filter; escape clears it and shows everything.
        await pilot.press("slash")
        assert bar.input.value == "platform:tt"
        await pilot.press("escape")
        assert not bar.is_open
        assert list(posts.post_ids) == [s.post_submission_id for s in shown(app)]
        assert "showing" not in header(app)
        assert view_line(app) == ""


async def test_a_filter_that_cannot_be_read_says_why(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        await pilot.press("slash", *"status:abc", "enter")
        said = status_line(app)
        assert "not an HTTP status" in said
        assert table(app).row_count == len(shown(app))  # an unusable term hides nothing


async def test_retryable_only_toggle(fixed_server: DemoServer, make_app: MakeApp) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        with_500 = [s.post_submission_id for s in shown(app) if has_failed_500(s)]
        await pilot.press("t")
        assert list(posts.post_ids) == with_500
        assert "retryable only" in view_line(app)
        for post_id in posts.post_ids:
            row = posts.get_row(post_id)
            assert row is not None and row.retryable > 0
        await pilot.press("t")
        assert posts.row_count == len(shown(app))


async def test_a_post_hidden_by_the_filter_is_never_called_resolved(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        not_tiktok = next(s for s in shown(app) if not failed_on(s, "tiktok"))
        await highlight(pilot, not_tiktok.post_submission_id)
        await pilot.press("slash", *"platform:tt", "enter")
        await pilot.pause()
        assert not_tiktok.post_submission_id not in posts.post_ids
        assert posts.cursor_key in posts.post_ids  # on a neighbour that is shown
        said = status_line(app)
        assert "resolved" not in said and "no longer failing" not in said


# ---------------------------------------------------------------------------- sort


def _first_platform(app: SokuApp, post_id: str) -> str:
    submission = app.monitor.snapshot.get(post_id)
    assert submission is not None
    names = sorted(platform_name(r.platform).casefold() for r in submission.failed_runs)
    return names[0]


def _worst(app: SokuApp, post_id: str) -> int:
    submission = app.monitor.snapshot.get(post_id)
    assert submission is not None
    return max(r.http_status or 0 for r in submission.failed_runs)


async def test_s_cycles_time_platform_status_and_S_reverses(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        newest_first = list(posts.post_ids)
        assert view_line(app) == ""

        await pilot.press("s")
        firsts = [_first_platform(app, p) for p in posts.post_ids]
        assert firsts == sorted(firsts)
        assert list(posts.post_ids) != newest_first
        assert "platform A→Z" in view_line(app)

        await pilot.press("s")
        worst = [_worst(app, p) for p in posts.post_ids]
        assert worst == sorted(worst, reverse=True)
        assert "worst status first" in view_line(app)

        await pilot.press("S")
        worst = [_worst(app, p) for p in posts.post_ids]
        assert worst == sorted(worst)
        assert "mildest status first" in view_line(app)

        # Stable: a poll that changes nothing keeps every row where it was.
        before = list(posts.post_ids)
        await poll(pilot)
        assert list(posts.post_ids) == before

        await pilot.press("s")  # back to time, natural direction
        assert list(posts.post_ids) == newest_first
        assert view_line(app) == ""


# ---------------------------------------------------------------------------- pause


async def test_pause_freezes_the_table_counts_new_failures_and_resume_keeps_the_cursor(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        frozen = list(posts.post_ids)
        middle = frozen[len(frozen) // 2]
        await highlight(pilot, middle)

        await pilot.press("p")
        banner = monitor(app).query_one(PauseBanner)
        assert banner.display
        assert "PAUSED" in header(app)
        assert "+0 new failures since pause" in str(banner.content)

        fixed_server.tick()  # one failure arrives, the oldest resolves
        await poll(pilot)
        arrived = [s.post_submission_id for s in shown(app) if s.post_submission_id not in frozen]
        assert len(arrived) == 1
        new_runs = sum(
            1 for run in server_submission(fixed_server, arrived[0])["runs"] if run["error"]
        )
        assert list(posts.post_ids) == frozen, "the table stays still"
        assert posts.cursor_key == middle
        noun = "failure" if new_runs == 1 else "failures"
        assert f"+{new_runs} new {noun} since pause" in str(banner.content)
        # The header keeps telling the truth about the API.
        assert f"{fixed_server.stats()['failedSubmissions']} posts" in header(app)

        await pilot.press("p")
        assert not banner.display
        assert list(posts.post_ids) == [s.post_submission_id for s in shown(app)]
        assert posts.cursor_key == middle
        assert f"Resumed: {new_runs} new" in status_line(app)


# ---------------------------------------------------------------------------- interval


async def test_plus_and_minus_step_the_poll_interval_down_to_the_floor(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server, interval=30.0)
    async with polled(app) as pilot:
        await pilot.press("plus")
        assert app.monitor.interval == 60
        assert "every 60 s" in header(app)
        await pilot.press("minus", "minus")
        assert app.monitor.interval == 15
        await pilot.press("minus", "minus")
        assert app.monitor.interval == 5
        await pilot.press("minus")
        assert app.monitor.interval == 5
        assert "as often as allowed (every 5 s)" in status_line(app)
        assert "every 5 s" in header(app)


# ---------------------------------------------------------------------------- footer cost


async def test_moving_the_cursor_tells_the_footer_only_when_a_key_changes(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    """Each footer refresh rebuilds it (widgets, styles, a layout) and repaints it whole:
    j/k between two posts whose keys work alike must not pay that."""
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        screen = monitor(app)
        published: list[object] = []
        screen.bindings_updated_signal.subscribe(screen, published.append)
        rows = [s for s in shown(app) if not has_failed_500(s)]
        assert len(rows) >= 2
        await highlight(pilot, rows[0].post_submission_id)
        await pilot.pause()
        published.clear()
        for _ in range(3):
            await highlight(pilot, rows[1].post_submission_id)
            await highlight(pilot, rows[0].post_submission_id)
        await pilot.pause()
        assert published == []
        # A post a retry can fix turns `r` on: the footer is told.
        fixable = next(s for s in shown(app) if has_failed_500(s))
        await highlight(pilot, fixable.post_submission_id)
        await pilot.pause()
        assert published
