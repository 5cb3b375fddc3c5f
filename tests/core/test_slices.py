"""run_in_slices: long work on the event loop that still lets everything else run."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Generator
from itertools import pairwise

import pytest

from soku_tui.core.slices import finish, run_in_slices


def _count(steps: int, seen: list[int]) -> Generator[None, None, int]:
    for step in range(steps):
        seen.append(step)
        yield
    return steps * 10


def test_finish_runs_every_step_and_returns_the_result() -> None:
    seen: list[int] = []
    assert finish(_count(5, seen)) == 50
    assert seen == [0, 1, 2, 3, 4]


async def test_other_tasks_run_between_slices() -> None:
    order: list[str] = []

    async def other() -> None:
        for _ in range(3):
            order.append("other")
            await asyncio.sleep(0)

    def work() -> Generator[None, None, str]:
        for _ in range(3):
            order.append("work")
            yield
        return "done"

    task = asyncio.create_task(other())
    # budget 0: the loop gets a turn after every step.
    assert await run_in_slices(work(), pace=(0, 0)) == "done"
    await task
    assert order[0] == "work"
    assert "other" in order[: order.index("work", 1) + 1]  # ran before the second step


async def test_a_whole_job_within_the_budget_runs_without_a_break() -> None:
    order: list[str] = []

    async def other() -> None:
        order.append("other")

    def work() -> Generator[None, None, None]:
        for _ in range(3):
            order.append("work")
            yield

    task = asyncio.create_task(other())
    await run_in_slices(work(), pace=(60.0, 0))
    await task
    assert order == ["work", "work", "work", "other"]


def test_slices_make_room_while_the_user_types(monkeypatch: pytest.MonkeyPatch) -> None:
    import soku_tui.core.slices as slices

    monkeypatch.setattr(slices, "_last_input", -math.inf)
    assert slices._pace() == slices.IDLE
    slices.note_input()
    work, pause = slices._pace()
    assert (work, pause) == slices.TYPING
    assert pause > 0 and work < slices.IDLE[0]
    monkeypatch.setattr(slices, "_last_input", time.monotonic() - slices.TYPING_SECONDS - 1)
    assert slices._pace() == slices.IDLE


async def test_jobs_running_at_once_share_one_pause() -> None:
    """Two jobs (a poll's rows and its filter facts) must not take turns back to back:
    after any job's slice the loop gets the whole pause for other events."""
    pause = 0.03
    stamps: list[float] = []

    def work() -> Generator[None, None, None]:
        for _ in range(3):
            stamps.append(time.perf_counter())
            yield

    await asyncio.gather(
        run_in_slices(work(), pace=(0, pause)), run_in_slices(work(), pace=(0, pause))
    )
    assert len(stamps) == 6
    gaps = [later - earlier for earlier, later in pairwise(stamps)]
    assert min(gaps) > pause / 2, gaps  # one slice (one step here) per pause, not two
