"""Doctor tests: the real doctor against the real demo API (and a few hand-made servers).

The CLI fixtures of tests/cli (``run_cli``, ``cli_env``, ``closed_port``) are shared
here: importing a fixture into a conftest makes it available to this directory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from soku_tui.core.doctor import CHECKS, DoctorConfig, DoctorReport, run_doctor
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from tests.cli.conftest import SECRET_KEY, cli_env, closed_port, run_cli

__all__ = ["SECRET_KEY", "cli_env", "closed_port", "run_cli"]

# Every check id, in report order.
CHECK_IDS = [check_id for check_id, _ in CHECKS]
# A safety net only: the doctor bounds itself (~10 s worst case by design).
SAFETY_NET = 30.0


async def diagnose(
    base_url: str, *, key: str | None = DEMO_API_KEY, **options: Any
) -> DoctorReport:
    """Run the doctor the way the CLI would for a key from SOKU_API_KEY."""
    config = DoctorConfig(
        base_url=base_url,
        api_key=key,
        key_source="env SOKU_API_KEY" if key else None,
        key_origin="env" if key else None,
        **options,
    )
    return await asyncio.wait_for(run_doctor(config), SAFETY_NET)


def marks(report: DoctorReport) -> dict[str, str]:
    """check id → "ok" / "fail" / "unknown"."""
    return {check.id: check.status for check in report.checks}


def not_ok(report: DoctorReport) -> dict[str, str]:
    """Only the checks that did not pass, with their summaries (for failure messages)."""
    return {c.id: f"{c.status}: {c.summary}" for c in report.checks if c.status != "ok"}


@pytest.fixture
def make_server() -> Iterator[Callable[..., DemoServer]]:
    """``make_server(faults="bare_array", auth_schemes=("bearer",))`` → a started server."""
    servers: list[DemoServer] = []

    def make(**options: Any) -> DemoServer:
        server = DemoServer(**options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()
