"""Marks and bulk retry, acknowledgements, and the actions log, against the real demo API.

"What was sent" is counted at the server; "what was saved" is read back from the files
the app wrote; "what the user sees" is read from the screen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from textual.widgets import Static

from soku_tui.core.models import Submission
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.screens.actions_log import ActionsLogScreen
from soku_tui.ui.screens.confirm import ConfirmBar
from soku_tui.ui.screens.monitor import MonitorScreen
from soku_tui.ui.screens.prompt import PromptBar
from soku_tui.ui.widgets.detail import DetailPane
from tests.core.hostile_corpus import ESC
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


def statuses(submission: Submission) -> list[int | None]:
    return [run.http_status for run in submission.failed_runs]


def pick(app: SokuApp, wanted: Callable[[list[int | None]], bool], *, skip: int = 0) -> str:
    found = [s.post_submission_id for s in shown(app) if wanted(statuses(s))]
    assert len(found) > skip, "the demo scenario lacks a post for this test"
    return found[skip]


async def mark(pilot: object, post_id: str) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await highlight(pilot, post_id)
    await pilot.press("space")


def confirm_question(app: SokuApp) -> str:
    assert isinstance(app.screen, ConfirmBar)
    return str(app.screen.query_one("#confirm-question", Static).content)


def detail_text(app: SokuApp) -> str:
    return str(monitor(app).query_one(DetailPane).query_one("#detail-body", Static).content)


# ---------------------------------------------------------------------------- bulk retry


async def test_bulk_retry_sends_only_the_marked_posts_500_runs(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        only_500 = pick(app, lambda s: set(s) == {500})
        mixed = pick(app, lambda s: 500 in s and len(set(s)) > 1)
        only_401 = pick(app, lambda s: s == [401])
        chosen = [only_500, mixed, only_401]
        for post_id in chosen:
            await mark(pilot, post_id)
        posts = table(app)
        assert all((row := posts.get_row(p)) is not None and row.marked for p in chosen)
        assert "3 marked" in screen_text(app)

        truth = {p: server_submission(fixed_server, p)["runs"] for p in chosen}
        failed = [(p, r) for p, runs in truth.items() for r in runs if r["error"]]
        sendable = [(p, r) for p, r in failed if r["error"]["status"] == 500]
        skipped = [r["error"]["status"] for _, r in failed if r["error"]["status"] != 500]

        await pilot.press("R")
        question = confirm_question(app)
        assert f"{len(sendable)} of {len(failed)} runs retryable" in question
        assert f"skipping {len(skipped)}" in question
        for status in set(skipped):
            assert str(status) in question
        assert "in 2 posts" in question
        await pilot.press("y")

        await wait_until(pilot, lambda: fixed_server.created_count == 2, "two new posts")
        # Marks are spent once the retry is confirmed.
        assert not any((row := posts.get_row(p)) is not None and row.marked for p in chosen)
        for post_id in (only_500, mixed):
            state = app.retry_service.state_for(post_id)
            assert state is not None and state.new_post_id is not None
            created = server_submission(fixed_server, state.new_post_id)
            expected = sorted(r["targetId"] for p, r in sendable if p == post_id)
            assert sorted(r["targetId"] for r in created["runs"]) == expected
        assert app.retry_service.state_for(only_401) is None


async def test_creates_beyond_the_limit_wait_in_a_visible_queue(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    # One create a minute instead of Soku's 30: the second post has to wait its turn.
    app = make_app(fixed_server, creates_per_minute=1)
    async with polled(app) as pilot:
        first = pick(app, lambda s: 500 in s)
        second = pick(app, lambda s: 500 in s, skip=1)
        await mark(pilot, first)
        await mark(pilot, second)
        await pilot.press("R", "y")

        def queued() -> bool:
            text = screen_text(app)
            return "retry queue 1 waiting" in text and "(≤ 1/min)" in text

        await wait_until(pilot, queued, "the retry queue on screen")
        assert fixed_server.created_count == 1
        labels = {table(app).get_row(p).retry_state for p in (first, second)}  # type: ignore[union-attr]
        assert "queued…" in labels


async def test_retry_marked_is_off_until_something_is_marked(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        # Nothing marked: not even in the footer (room at 80 columns), but R says why.
        assert monitor(app).check_action("bulk_retry", ()) is False
        await pilot.press("R")
        assert isinstance(app.screen, MonitorScreen)
        assert "mark posts with space first" in status_line(app)

        # Marking only posts a retry cannot fix keeps it off, with the reason.
        await mark(pilot, pick(app, lambda s: s == [401]))
        assert monitor(app).check_action("bulk_retry", ()) is None
        await pilot.press("R")
        assert "401" in status_line(app)
        assert fixed_server.created_count == 0

        # Space again unmarks.
        await mark(pilot, pick(app, lambda s: s == [401]))
        assert monitor(app).marked == ()


# ---------------------------------------------------------------------------- acknowledge


def acks_on_disk(app: SokuApp) -> dict[str, dict[str, object]]:
    path = Path(app.config.state_dir) / "acks.json"
    return json.loads(path.read_text())["acks"] if path.exists() else {}


async def test_acknowledge_with_a_note_dims_hides_and_withdraws(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        posts = table(app)
        post_id = posts.post_ids[1]
        await highlight(pilot, post_id)

        # Escape at the note prompt acknowledges nothing.
        await pilot.press("a")
        assert isinstance(app.screen, PromptBar)
        await pilot.press("escape")
        assert acks_on_disk(app) == {}

        note = "[b]Ana[/b] on it"  # markup, to be shown as typed
        await pilot.press("a", *note, "enter")
        assert isinstance(app.screen, MonitorScreen)
        row = posts.get_row(post_id)
        assert row is not None and row.acknowledged
        saved = acks_on_disk(app)[post_id]
        assert saved["note"] == note
        # Shown literally (markup is text here), with who and when.
        shown_detail = detail_text(app)
        assert "Acknowledged by" in shown_detail
        assert note in shown_detail

        # A hides acknowledged posts (the header counts what is shown), A shows them.
        total = posts.row_count
        await pilot.press("A")
        assert post_id not in posts.post_ids
        assert f"showing {total - 1} of {total} posts" in screen_text(app)
        assert "hiding 1 acknowledged" in screen_text(app)
        assert "resolved" not in status_line(app)
        await pilot.press("A")
        assert post_id in posts.post_ids

        # A poll keeps it acknowledged (it is on disk, not in the screen's memory).
        await poll(pilot)
        row = posts.get_row(post_id)
        assert row is not None and row.acknowledged

        # a on an acknowledged post asks before withdrawing.
        await highlight(pilot, post_id)
        await pilot.press("a")
        assert "Withdraw the acknowledgement" in confirm_question(app)
        await pilot.press("y")
        row = posts.get_row(post_id)
        assert row is not None and not row.acknowledged
        assert post_id not in acks_on_disk(app)


async def test_an_acknowledgement_note_never_reaches_the_terminal_raw(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        post_id = table(app).post_ids[0]
        # As if another monitor (or a hand-edited file) saved a hostile note.
        app.acks.acknowledge(post_id, "\x1b]52;c;ZXZpbA==\x07\x1b[2J gone", "mallory\x1b[31m")
        await highlight(pilot, post_id)
        await poll(pilot)
        svg = app.export_screenshot()
        assert ESC not in svg
        assert "gone" in detail_text(app)


# ---------------------------------------------------------------------------- actions log


async def test_actions_log_lists_this_sessions_retries_and_acknowledgements(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        await pilot.press("L")
        assert "Nothing yet" in screen_text(app)
        await pilot.press("escape")

        retried = pick(app, lambda s: set(s) == {500})
        await highlight(pilot, retried)
        await pilot.press("r", "y")
        await wait_until(pilot, lambda: fixed_server.created_count == 1, "the retry")
        acked = pick(app, lambda s: s == [401])
        await highlight(pilot, acked)
        await pilot.press("a", *"on it", "enter")

        await pilot.press("L")
        assert isinstance(app.screen, ActionsLogScreen)
        text = screen_text(app)
        assert f"{retried[:8]}…" in text and f"{acked[:8]}…" in text
        assert "accepted" in text
        assert "acknowledged" in text and "“on it”" in text
        await pilot.press("escape")
        assert isinstance(app.screen, MonitorScreen)
