"""Heap: the collector's settings around polls, after builds, when idle, and back at close."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from soku_tui.core import heap as heap_module
from soku_tui.core.heap import FULL_COLLECTIONS_OFF, POLL_YOUNG_THRESHOLD, Heap


@pytest.fixture
def heap() -> Iterator[Heap]:
    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    managed = Heap()
    yield managed
    managed.close()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen


def test_a_poll_holds_full_collections_and_puts_the_settings_back(heap: Heap) -> None:
    before = gc.get_threshold()
    heap.poll_started(first_load=False)
    young, _, old = gc.get_threshold()
    assert old == FULL_COLLECTIONS_OFF and young >= POLL_YOUNG_THRESHOLD
    heap.poll_ended(first_load=False)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_a_first_load_is_frozen_and_its_rows_once_enough_are_built(
    heap: Heap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap_module, "REFREEZE_AFTER_POSTS", 10)
    heap.built(50)  # rows of a first load still arriving: nothing yet
    assert gc.get_freeze_count() == 0
    heap.poll_started(first_load=True)
    heap.poll_ended(first_load=True)
    assert gc.get_freeze_count() > 0
    assert gc.get_threshold()[2] != FULL_COLLECTIONS_OFF
    heap.built(0)  # its rows counted already: frozen, full collections ours from now on
    assert gc.get_threshold()[2] == FULL_COLLECTIONS_OFF


def test_idle_collections_wait_for_quiet_and_no_poll(
    heap: Heap, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(heap_module, "REFREEZE_AFTER_POSTS", 0)
    assert not heap.collect_if_idle(polling=False, quiet_for=60)  # not ours yet
    heap.poll_started(first_load=True)
    heap.poll_ended(first_load=True)
    heap.built(1)
    assert not heap.collect_if_idle(polling=True, quiet_for=60)
    assert not heap.collect_if_idle(polling=False, quiet_for=0.1)
    assert heap.collect_if_idle(polling=False, quiet_for=60)
    assert not heap.collect_if_idle(polling=False, quiet_for=60)  # not again at once


def test_closing_mid_poll_leaves_the_settings_of_the_start(heap: Heap) -> None:
    before = gc.get_threshold()
    heap.poll_started(first_load=True)
    heap.close()
    assert gc.get_threshold() == before
    heap.poll_ended(first_load=True)  # the poll finishing later changes nothing
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
