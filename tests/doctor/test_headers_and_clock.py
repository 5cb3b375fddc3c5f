"""Rate-limit headers (their format and budget) and clock skew against the Date header."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from soku_tui.demo.server import DemoServer
from tests.doctor.conftest import diagnose

MakeServer = Callable[..., DemoServer]


async def test_epoch_reset_and_the_remaining_budget(demo_server: DemoServer) -> None:
    report = await diagnose(demo_server.base_url)
    limits = report.check("rate_limit")
    assert limits.status == "ok"
    assert limits.details["reset_format"] == "epoch"
    assert limits.details["limit"] == 1200
    assert limits.details["remaining"] == 1199  # the doctor's first request was counted
    assert "1199 of 1200 requests left" in limits.summary
    assert "reset given as epoch seconds" in limits.summary


async def test_iso_reset_is_recognised(make_server: MakeServer) -> None:
    server = make_server(reset_header_format="iso")
    report = await diagnose(server.base_url)
    limits = report.check("rate_limit")
    assert limits.status == "ok"
    assert limits.details["reset_format"] == "iso"
    assert "reset given as ISO 8601" in limits.summary


async def test_a_spent_budget_is_reported(make_server: MakeServer) -> None:
    server = make_server(read_limit_per_minute=1)
    report = await diagnose(server.base_url)
    limits = report.check("rate_limit")
    assert limits.details["remaining"] == 0
    assert "the budget is used up right now" in limits.summary
    # The 429s that follow are "try later" (exit 3), not a contract difference (exit 5).
    assert report.check("paging").status == "unknown"
    assert report.check("get").exit_code == 3
    assert report.exit_code == 3


async def test_a_clock_five_minutes_fast_is_named(demo_server: DemoServer) -> None:
    fast = lambda: datetime.now(UTC) + timedelta(minutes=5)  # noqa: E731
    report = await diagnose(demo_server.base_url, clock=fast)
    clock = report.check("clock")
    assert clock.status == "fail"
    assert "5 min ahead of Soku's" in clock.summary
    assert clock.fix is not None and "sync the clock" in clock.fix
    assert 290 <= clock.details["skew_seconds"] <= 310
    assert clock.exit_code is None  # the monitor still works
    assert report.exit_code == 0


async def test_a_slow_clock_is_behind(demo_server: DemoServer) -> None:
    slow = lambda: datetime.now(UTC) - timedelta(hours=2)  # noqa: E731
    report = await diagnose(demo_server.base_url, clock=slow)
    assert "2.0 h behind Soku's" in report.check("clock").summary


async def test_an_accurate_clock_passes(demo_server: DemoServer) -> None:
    report = await diagnose(demo_server.base_url)
    clock = report.check("clock")
    assert clock.status == "ok"
    assert abs(clock.details["skew_seconds"]) <= 2
