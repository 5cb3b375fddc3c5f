"""The app holds the garbage collector while a poll's rows are built, and runs a full
collection only when the user is idle; the collector is back to normal when the app ends."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import pytest

import soku_tui.core.heap as heap_module
import soku_tui.core.slices as slices
from soku_tui.demo.server import DemoServer
from tests.ui.driving import MakeApp, polled


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
    enabled = gc.isenabled()
    monkeypatch.setattr(heap_module, "IDLE_COLLECT_EVERY_SECONDS", 0.0)
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        await pilot.pause()
        # The poll (and its rows) held the collector, then froze what they built.
        assert not app.heap.held
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0

        full_collections.clear()
        await pilot.press("j")  # the user is typing: no collection now
        app._collect_when_idle()
        assert full_collections == []

        monkeypatch.setattr(slices, "_last_input", time.monotonic() - 60)  # quiet a minute
        app._collect_when_idle()
        assert len(full_collections) == 1
        monkeypatch.setattr(heap_module, "IDLE_COLLECT_EVERY_SECONDS", 3600.0)
        app._collect_when_idle()  # and not again right away
        assert len(full_collections) == 1
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == 0
