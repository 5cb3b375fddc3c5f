"""The monitor as a user drives it: the real app, keys through Pilot, the real demo API.

Everything the tests check is something a user would notice: rows on screen, the keys
the footer offers, the status line, the banner, and how many posts the server received.
Expected values come from the demo server's own data, not from the app's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from soku_tui.core.models import Submission, platform_name
from soku_tui.demo.scenario import build_scenario
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.screens.confirm import ConfirmBar
from soku_tui.ui.screens.help import HelpScreen
from soku_tui.ui.screens.monitor import MonitorScreen
from soku_tui.ui.widgets.banner import ProblemBanner
from soku_tui.ui.widgets.post_rows import RowKey
from tests.core.hostile_corpus import ESC, FORBIDDEN_EXCEPT_NEWLINE, HOSTILE, HOSTILE_STRINGS
from tests.ui.conftest import FIXED_NOW
from tests.ui.driving import (
    SIZE,
    MakeApp,
    first_post,
    first_run_with_status,
    footer_key,
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

FINAL_RETRY_STATES = ("retried → ok", "failed again", "partly failed")


async def test_rows_appear_one_per_failed_submission(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with app.run_test(size=SIZE) as pilot:
        assert table(app).row_count == 0
        await poll(pilot)
        failed = fixed_server.stats()["failedSubmissions"]
        assert failed > 20
        assert table(app).row_count == failed
        # Newest first, and the header counts the same posts.
        newest = shown(app)[0]
        assert table(app).post_ids[0] == newest.post_submission_id
        assert f"{failed} posts" in screen_text(app)


async def test_scheduled_polling_fills_the_table_and_ctrl_r_polls_now(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server, autostart_polling=True)
    async with app.run_test(size=SIZE) as pilot:
        posts = table(app)
        await wait_until(pilot, lambda: posts.row_count > 0, "the first scheduled poll")
        assert app.monitor.running
        before = set(posts.post_ids)
        fixed_server.tick()  # a new failure arrives; the interval (30 s) is far away
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: set(posts.post_ids) - before != set(), "ctrl+r's poll")
        assert posts.row_count == fixed_server.stats()["failedSubmissions"]


# ---------------------------------------------------------------------------- expansion


async def test_expansion_shows_each_run_and_survives_a_poll(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        widest = max(shown(app), key=lambda s: len(s.runs))
        post_id = widest.post_submission_id
        truth = server_submission(fixed_server, post_id)["runs"]
        assert len(truth) >= 3

        await highlight(pilot, post_id)
        await pilot.press("enter")
        assert post_id in posts.expanded
        expected_keys = [(post_id, run["targetId"]) for run in truth]

        # Walking down from the post: exactly its runs, in order, then the next post.
        await pilot.press("j")
        seen: list[RowKey] = []
        for _ in truth:
            key = posts.cursor_key
            assert key is not None
            seen.append(key)
            await pilot.press("j")
        assert seen == expected_keys
        assert posts.cursor_key == posts.post_ids[posts.post_ids.index(post_id) + 1]
        for key, run in zip(seen, truth, strict=True):
            assert isinstance(key, tuple)
            row = posts.get_run(key)
            assert row is not None
            assert (row.platform, row.status) == (run["platform"], run["status"])
            error = run["error"] or {}
            assert row.http_status == error.get("status")
        text = screen_text(app)
        for run in truth:
            assert platform_name(run["platform"]) in text

        # Left on a run row folds its post and puts the cursor back on it.
        await highlight(pilot, expected_keys[1])
        await pilot.press("left")
        assert post_id not in posts.expanded
        assert posts.cursor_key == post_id
        assert posts.line_count == posts.row_count

        # Right unfolds it again, and a poll that adds and resolves posts keeps it open
        # with the cursor in place.
        await pilot.press("right")
        await pilot.press("j")
        assert posts.cursor_key == expected_keys[0]
        before = list(posts.post_ids)
        fixed_server.tick()
        await poll(pilot)
        assert list(posts.post_ids) != before
        assert post_id in posts.expanded
        assert posts.cursor_key == expected_keys[0]
        assert posts.line_count == posts.row_count + len(truth)


async def test_enter_toggles_expansion_and_space_marks_instead(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        post_id = posts.post_ids[2]
        await highlight(pilot, post_id)
        await pilot.press("enter")
        assert post_id in posts.expanded
        await pilot.press("enter")
        assert post_id not in posts.expanded
        # Space marks the post for a bulk retry and moves on; it never expands.
        await pilot.press("space")
        assert post_id not in posts.expanded
        row = posts.get_row(post_id)
        assert row is not None and row.marked
        assert posts.cursor_key == posts.post_ids[3]


# ---------------------------------------------------------------------------- retry gating


@pytest.mark.parametrize("status", [500, 400, 401, 403])
async def test_retry_key_is_offered_only_on_a_500_run(
    fixed_server: DemoServer, make_app: MakeApp, status: int
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        await highlight(pilot, first_run_with_status(app, status))
        await pilot.pause()
        screen = monitor(app)
        allowed = status == 500
        assert screen.check_action("retry", ()) is (True if allowed else None)
        assert screen.active_bindings["r"].enabled is allowed
        assert footer_key(app, "r").has_class("-disabled") is not allowed

        await pilot.press("r")
        if allowed:
            assert isinstance(app.screen, ConfirmBar)
            await pilot.press("n")
        else:
            assert isinstance(app.screen, MonitorScreen)
            said = status_line(app)
            assert str(status) in said
            assert "retry" in said
        assert fixed_server.created_count == 0


async def test_r_on_a_401_post_says_why_in_the_status_line(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        only_401 = first_post(
            app,
            lambda s: [r.http_status for r in s.failed_runs] == [401],
            "a single 401 failure",
        )
        await highlight(pilot, only_401.post_submission_id)
        assert monitor(app).check_action("retry", ()) is None
        await pilot.press("r")
        assert isinstance(app.screen, MonitorScreen)
        assert "a retry can't fix this" in status_line(app)
        assert "401" in status_line(app)
        assert fixed_server.created_count == 0


# ---------------------------------------------------------------------------- retry


def _mixed_post(app: SokuApp) -> Submission:
    """A post with a 500 run and a failure a retry cannot fix: only the 500 may be sent."""
    return first_post(
        app,
        lambda s: (
            any(r.http_status == 500 for r in s.failed_runs)
            and any(r.http_status != 500 for r in s.failed_runs)
        ),
        "a 500 run beside another failure",
    )


async def _retry_outcome(pilot: Pilot[None], post_id: str) -> str:
    app = pilot.app
    assert isinstance(app, SokuApp)
    posts = table(app)

    def final() -> bool:
        row = posts.get_row(post_id)
        return row is not None and row.retry_state in FINAL_RETRY_STATES

    await wait_until(pilot, final, "the retried post's outcome")
    row = posts.get_row(post_id)
    assert row is not None and row.retry_state is not None
    return row.retry_state


async def test_retry_sends_only_the_500_runs_once_and_shows_the_outcome(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        post = _mixed_post(app)
        post_id = post.post_submission_id
        five_hundreds = [r for r in post.failed_runs if r.http_status == 500]
        await highlight(pilot, post_id)

        await pilot.press("r")
        assert isinstance(app.screen, ConfirmBar)
        question = str(app.screen.query_one("#confirm-question", Static).content)
        assert post_id[:8] in question
        for run in five_hundreds:
            assert platform_name(run.platform) in question
        await pilot.press("y")
        assert isinstance(app.screen, MonitorScreen)

        outcome = await _retry_outcome(pilot, post_id)
        assert fixed_server.created_count == 1
        assert outcome in screen_text(app)
        assert table(app).cursor_key == post_id

        # The new submission carries exactly the 500 runs' targets.
        state = app.retry_service.state_for(post_id)
        assert state is not None and state.new_post_id is not None
        created = server_submission(fixed_server, state.new_post_id)
        assert sorted(r["targetId"] for r in created["runs"]) == sorted(
            r.target_id for r in five_hundreds
        )
        expected = "retried → ok" if created["status"] == "succeeded" else "failed again"
        assert outcome == expected


async def test_a_double_key_press_still_sends_one_post(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        post_id = first_run_with_status(app, 500)[0]
        await highlight(pilot, post_id)

        await pilot.press("r", "y", "r", "y")
        await _retry_outcome(pilot, post_id)
        assert fixed_server.created_count == 1

        # Once done, another r is refused and nothing more is sent.
        assert monitor(app).check_action("retry", ()) is None
        await pilot.press("r")
        await pilot.pause(0.3)
        assert isinstance(app.screen, MonitorScreen)
        assert "already retried" in status_line(app)
        assert fixed_server.created_count == 1


@pytest.mark.parametrize("width", [80, 100])
async def test_narrow_terminal_keeps_health_and_the_y_n_prompt_on_screen(
    fixed_server: DemoServer, make_app: MakeApp, width: int
) -> None:
    # Scheduled polls and a real latency timer, as in a terminal: which header parts fit
    # depends on both, and the parts change width in separate frames.
    app = make_app(fixed_server, timer=time.monotonic, autostart_polling=True)
    async with app.run_test(size=(width, 24)) as pilot:
        await wait_until(pilot, lambda: "API ok" in screen_text(app), "the first poll")
        await pilot.pause()
        header = screen_text(app).splitlines()[0]
        assert f"{table(app).row_count} posts · " in header
        assert " runs failing " in header
        assert header.endswith("API ok")
        post = _mixed_post(app)
        await highlight(pilot, post.post_submission_id)
        await pilot.press("r")
        prompt = [line for line in screen_text(app).splitlines() if "Retry post" in line]
        assert len(prompt) == 1, "the confirmation is one line"
        assert prompt[0].endswith("[y/N]")
        for run in post.failed_runs:
            if run.http_status == 500:
                assert platform_name(run.platform) in prompt[0]
        await pilot.press("n")


@pytest.mark.parametrize("answer", ["n", "escape", "enter"])
async def test_anything_but_y_at_the_confirmation_sends_nothing(
    fixed_server: DemoServer, make_app: MakeApp, answer: str
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        post_id = first_run_with_status(app, 500)[0]
        await highlight(pilot, post_id)
        await pilot.press("r")
        assert isinstance(app.screen, ConfirmBar)
        await pilot.press(answer)
        await pilot.pause(0.3)
        assert isinstance(app.screen, MonitorScreen)
        assert "nothing was sent" in status_line(app)
        assert fixed_server.created_count == 0
        row = table(app).get_row(post_id)
        assert row is not None and row.retry_state is None
        # Still retryable: cancelling is not a retry.
        assert monitor(app).check_action("retry", ()) is True


# ---------------------------------------------------------------------------- the cursor


async def test_cursor_stays_on_its_post_when_posts_arrive_and_resolve(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        before = list(posts.post_ids)
        middle = before[len(before) // 2]
        await highlight(pilot, middle)

        fixed_server.tick()
        await poll(pilot)
        after = list(posts.post_ids)
        assert set(after) - set(before), "the tick should add a failure"
        assert set(before) - set(after), "the tick should resolve a failure"
        assert posts.cursor_key == middle
        assert "no longer failing" not in status_line(app)


async def test_cursor_moves_to_a_neighbour_when_its_post_resolves(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        before = list(posts.post_ids)
        # The demo resolves its oldest failure on each tick: the bottom row.
        oldest, neighbour = before[-1], before[-2]
        await pilot.press("G")
        assert posts.cursor_key == oldest

        fixed_server.tick()
        await poll(pilot)
        assert oldest not in posts.post_ids
        assert posts.cursor_key == neighbour
        said = status_line(app)
        assert "no longer failing" in said
        assert oldest[:8] in said


# ---------------------------------------------------------------------------- help


async def test_help_lists_the_bindings_and_why_retry_is_off(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        await highlight(pilot, first_run_with_status(app, 401))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        for keys, description in [
            ("r", "Retry 500s"),
            ("d", "Detail"),
            ("^r, f5", "Refresh"),
            ("?", "Help"),
            ("q, ^q", "Quit"),
            ("→, l", "Expand"),
            ("←, h", "Collapse"),
            ("⏎", "Expand/collapse"),
            ("space", "Mark"),
            ("R", "Retry marked"),
            ("/", "Filter"),
            ("p", "Pause"),
            ("a", "Acknowledge"),
            ("y", "Copy post id"),
            ("L", "Actions log"),
        ]:
            # Two columns (actions, moving around): a key starts a column or follows one.
            assert re.search(rf"[│ ] {re.escape(keys)} +{re.escape(description)}\b", text), (
                keys,
                description,
            )
        help_box = [line for line in text.splitlines() if "│" in line]
        assert sum(" Quit" in line for line in help_box) == 1, "one line per action"
        retry_line = next(line for line in text.splitlines() if "Retry 500s" in line)
        assert "now off: 401" in retry_line
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)

        # On a 500 run the same help shows retry as available, without a reason.
        await highlight(pilot, first_run_with_status(app, 500))
        await pilot.press("question_mark")
        retry_line = next(line for line in screen_text(app).splitlines() if "Retry 500s" in line)
        assert "now off" not in retry_line


# ---------------------------------------------------------------------------- API down


async def test_api_down_shows_a_banner_keeps_the_rows_and_recovers(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        rows = list(posts.post_ids)
        banner = monitor(app).query_one(ProblemBanner)
        assert not banner.display

        fixed_server.faults.set("html_502")
        await poll(pilot)
        assert banner.display
        said = str(banner.content)
        assert "502" in said
        assert "last good data" in said
        assert list(posts.post_ids) == rows
        text = screen_text(app).splitlines()
        assert "unreachable since" in text[0], "the header stays visible above the banner"
        assert "Soku is unreachable" in text[1]

        fixed_server.faults.clear("html_502")
        await poll(pilot)
        assert not banner.display
        assert list(posts.post_ids) == rows


# ---------------------------------------------------------------------------- hostile text


def _hostile_submissions(now: Any) -> list[dict[str, Any]]:
    """Seeded failed posts whose server-supplied text fields carry the hostile corpus:
    captions, account ids, some platform names, and error messages, codes and request
    ids. Just enough posts for every corpus string to appear at least once."""
    corpus = HOSTILE_STRINGS
    placed = 0

    def text() -> str:
        nonlocal placed
        placed += 1
        return corpus[(placed - 1) % len(corpus)]

    submissions: list[dict[str, Any]] = []
    for number, submission in enumerate(build_scenario(len(corpus), seed=11, now=now)):
        if placed >= len(corpus):
            break
        submission["request"]["post"]["content"]["text"] = text()
        for run in submission["runs"]:
            run["accountId"] = text()
            if number % 3 == 0:
                run["platform"] = text()
            if run["error"]:
                run["error"]["message"] = text()
                run["error"]["code"] = text()
                run["error"]["requestId"] = text()
        submissions.append(submission)
    assert placed >= len(corpus) > 50
    return submissions


def _hostile_lines(app: SokuApp, post_ids: list[str]) -> Iterator[RowKey]:
    posts = table(app)
    for post_id in post_ids:
        yield post_id
        row = posts.get_row(post_id)
        assert row is not None
        for run in row.runs:
            yield (post_id, run.target_id)


async def test_hostile_text_never_crashes_or_reaches_the_terminal(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    hostile = fixed_server.add_submissions(_hostile_submissions(FIXED_NOW - timedelta(hours=1)))
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        assert set(hostile) <= set(posts.post_ids)
        # Expand every hostile post and visit each of its lines, so every string is drawn
        # in the table and in the detail pane at least once.
        screens: list[str] = []
        for key in _hostile_lines(app, hostile):
            if isinstance(key, str):
                posts.expand(key)
            posts.move_cursor_to_key(key)
            await pilot.pause(0)
            svg = app.export_screenshot()
            assert ESC not in svg
            text = screen_text(app, svg)
            assert not FORBIDDEN_EXCEPT_NEWLINE.search(text), key
            screens.append(text)
        assert len(screens) > len(hostile)
        # Markup arrives as text, shown literally rather than obeyed.
        assert any(HOSTILE["rich_bold"] in text for text in screens)
        assert any(HOSTILE["rich_link"] in text for text in screens)
        await pilot.press("question_mark")
        assert ESC not in app.export_screenshot()
        assert app.is_running
