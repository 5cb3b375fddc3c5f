"""Heap: no collection while work is held, what it built frozen after, a full collection
only when idle, and everything back at close."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from soku_tui.core import heap as heap_module
from soku_tui.core.heap import Heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector can free it


@pytest.fixture
def heap() -> Iterator[Heap]:
    enabled, frozen = gc.isenabled(), gc.get_freeze_count()
    managed = Heap()
    yield managed
    managed.close()
    assert gc.isenabled() == enabled
    assert gc.get_freeze_count() == frozen


def test_held_work_runs_without_collections_and_is_frozen_after(heap: Heap) -> None:
    outer = heap.hold()
    inner = heap.hold()  # a poll's rows built while it still holds: holds nest
    assert not gc.isenabled()
    built = [[n] for n in range(1000)]  # what the held work builds
    heap.release(inner)
    assert not gc.isenabled()  # still held by the outer work
    heap.release(outer)
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(built)  # out of the young collections' way


def test_a_hold_ended_by_close_is_not_released_again(heap: Heap) -> None:
    token = heap.hold()
    heap.close()  # the app closes mid-poll
    assert gc.isenabled()
    again = heap.hold()  # the heap stays usable
    heap.release(token)  # the old poll ending later changes nothing…
    assert not gc.isenabled()  # …the new hold still stands
    heap.release(again)
    assert gc.isenabled()


def test_idle_collection_waits_for_quiet_and_no_held_work(
    heap: Heap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap_module, "IDLE_COLLECT_EVERY_SECONDS", 0.0)
    token = heap.hold()
    assert not heap.collect_if_idle(quiet_for=60)  # a poll runs
    heap.release(token)
    assert not heap.collect_if_idle(quiet_for=0.1)  # the user is typing
    assert heap.collect_if_idle(quiet_for=60)
    monkeypatch.setattr(heap_module, "IDLE_COLLECT_EVERY_SECONDS", 3600.0)
    assert not heap.collect_if_idle(quiet_for=60)  # not again at once


def test_a_cycle_frozen_with_held_work_is_freed_by_the_idle_collection(
    heap: Heap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap_module, "IDLE_COLLECT_EVERY_SECONDS", 0.0)
    token = heap.hold()
    node = _Node()
    gone = weakref.ref(node)
    del node  # garbage now, but only a collection can tell
    heap.release(token)  # frozen with everything else the hold allocated
    gc.collect()
    assert gone() is not None  # frozen: ordinary collections do not see it
    assert heap.collect_if_idle(quiet_for=60)
    assert gone() is None


def test_a_hold_that_lasts_too_long_lets_collections_resume(
    heap: Heap, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A poll waiting minutes for the API's rate-limit window must not keep the UI's
    garbage from being collected all that time."""
    token = heap.hold()
    assert not heap.collect_if_idle(quiet_for=60)
    assert not gc.isenabled()  # a hold of ordinary length
    monkeypatch.setattr(heap_module, "LONGEST_HOLD_SECONDS", 0.0)
    assert not heap.collect_if_idle(quiet_for=60)  # still no full collection…
    assert gc.isenabled()  # …but the young ones are back
    heap.release(token)
    assert gc.isenabled()
