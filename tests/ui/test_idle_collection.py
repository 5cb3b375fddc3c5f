"""Once a big snapshot's rows are frozen, full garbage collections run only when the user
is idle and no poll runs; the collector's settings are back to normal when the app ends."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import soku_tui.core.heap as heap_module
import soku_tui.core.slices as slices
from soku_tui.core.heap import FULL_COLLECTIONS_OFF
from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from tests.ui.driving import SIZE, poll

MakeApp = Callable[..., SokuApp]


@pytest.fixture
def full_collections() -> Iterator[list[int]]:
    """Counts full collections while the test runs."""
    seen: list[int] = []

    def note(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            seen.append(1)

    gc.callbacks.append(note)
    yield seen
    gc.callbacks.remove(note)


async def test_full_collections_wait_for_an_idle_moment(
    fixed_server: DemoServer,
    make_app: MakeApp,
    monkeypatch: pytest.MonkeyPatch,
    full_collections: list[int],
) -> None:
    before = gc.get_threshold()
    monkeypatch.setattr(heap_module, "REFREEZE_AFTER_POSTS", 1)  # the demo's 37 posts do
    app = make_app(fixed_server)
    async with app.run_test(size=SIZE) as pilot:
        await poll(pilot)
        app.note_built(37)  # as the row builder does after a poll
        assert gc.get_threshold()[2] == FULL_COLLECTIONS_OFF
        assert gc.get_freeze_count() > 0

        full_collections.clear()
        await pilot.press("j")  # the user is typing: no collection now
        app._collect_when_idle()
        assert full_collections == []

        monkeypatch.setattr(slices, "_last_input", time.monotonic() - 60)  # quiet a minute
        app._collect_when_idle()
        assert len(full_collections) == 1
        app._collect_when_idle()  # and not again right away
        assert len(full_collections) == 1
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
