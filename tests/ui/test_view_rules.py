"""The screen's pure rules, without a terminal: which posts a view shows, what the view
line says, which desktop-notification sequence a terminal gets."""

from __future__ import annotations

from datetime import timedelta

from soku_tui.core.acks import Ack
from soku_tui.core.models import Submission
from soku_tui.core.monitor import Snapshot
from soku_tui.demo.scenario import build_scenario
from soku_tui.ui.terminal import desktop_protocol
from soku_tui.ui.view import ViewOptions, build_view
from soku_tui.ui.widgets.view_line import ViewFacts, view_text
from tests.ui.conftest import FIXED_NOW


def snapshot() -> Snapshot:
    posts = [Submission.model_validate(raw) for raw in build_scenario(30, seed=5, now=FIXED_NOW)]
    failed = [post for post in posts if post.failed_runs]
    return Snapshot.build(failed, fetched_at=FIXED_NOW)


def test_the_default_view_is_every_post_in_the_snapshot_order() -> None:
    snap = snapshot()
    view = build_view(snap, ViewOptions(), retryable=lambda s: True, acks={})
    assert view.submissions == list(snap.submissions)
    count = len(snap.submissions)
    assert (view.shown, view.total, view.hidden_acknowledged) == (count, count, 0)
    assert view_text(ViewFacts()).plain == ""


def test_an_acknowledgement_hides_a_post_only_while_nothing_new_fails() -> None:
    snap = snapshot()
    first, second = snap.submissions[0], snap.submissions[1]
    covering = Ack(first.post_submission_id, "ana", FIXED_NOW)  # made without failures: covers
    outdated = Ack(
        second.post_submission_id, "ana", FIXED_NOW - timedelta(days=1), failures=("x@1",)
    )
    acks = {ack.post_id: ack for ack in (covering, outdated)}
    options = ViewOptions(hide_acknowledged=True)
    view = build_view(snap, options, retryable=lambda s: True, acks=acks)
    shown = {s.post_submission_id for s in view.submissions}
    assert first.post_submission_id not in shown
    assert second.post_submission_id in shown, "something failed after it was acknowledged"
    assert view.hidden_acknowledged == 1
    assert view.acknowledged == frozenset({first.post_submission_id})


def test_the_view_line_names_each_departure_from_the_default() -> None:
    text = view_text(
        ViewFacts(
            filter="platform TikTok",
            sort="platform A→Z",
            hiding_acknowledged=True,
            hidden_acknowledged=2,
            marked=3,
            queued=4,
            next_slot_in=12.0,
        )
    ).plain
    for part in (
        "filter platform TikTok",
        "sort platform A→Z",
        "hiding 2 acknowledged",
        "3 marked",
        "retry queue 4 waiting, next in 12 s",
    ):
        assert part in text


def test_desktop_notifications_pick_one_sequence_per_terminal() -> None:
    assert desktop_protocol({"TERM": "xterm-256color"}) == "osc9"
    assert desktop_protocol({"TERM": "xterm-kitty"}) == "osc9"
    assert desktop_protocol({"TERM": "foot"}) == "osc777"
    assert desktop_protocol({"TERM": "rxvt-unicode-256color"}) == "osc777"
    assert desktop_protocol({"TERM": "xterm-256color", "VTE_VERSION": "7600"}) == "osc777"
    assert desktop_protocol({"TERM": "xterm-ghostty"}) == "osc777"
