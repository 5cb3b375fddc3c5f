"""``soku-tui failed`` under every fault of the demo API: the documented exit status
(README "Exit statuses": 3 unreachable / 5xx / 429 / time-out, 4 auth, 5 bad shape) and
exactly one clear line on stderr, never a traceback.

Each case runs the real console script in a subprocess against a demo server with the
fault switched on, with ``SOKU_TIMEOUT=1`` so hang and trickle give up quickly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from soku_tui.exit_codes import ExitCode
from tests.cli.conftest import RunCli, assert_one_clean_line

UNREACHABLE, AUTH, BAD = ExitCode.UNREACHABLE, ExitCode.AUTH, ExitCode.BAD_RESPONSE

# fault spec → (exit status, words the one stderr line must carry)
CASES: dict[str, tuple[ExitCode, tuple[str, ...]]] = {
    "hang:seconds=20": (UNREACHABLE, ("within 1 s",)),
    "reset": (UNREACHABLE, ("connection",)),
    "rate_limit_retry_after:seconds=30": (UNREACHABLE, ("429", "try again in 30 s")),
    "rate_limit_reset_only:seconds=30": (UNREACHABLE, ("429",)),
    "html_500": (UNREACHABLE, ("HTTP 500",)),
    "html_502": (UNREACHABLE, ("HTTP 502",)),
    "html_503": (UNREACHABLE, ("HTTP 503",)),
    "malformed_json": (BAD, ("not valid JSON",)),
    "wrong_shape": (BAD, ("wrong shape",)),
    "huge_body": (BAD, ("10 MB",)),
    "huge_body:sized=0": (BAD, ("10 MB",)),
    "trickle:delay=0.05": (UNREACHABLE, ("within 1 s",)),
    "revoked_key": (AUTH, ("401", "Settings > API")),
    "lapsed_subscription": (AUTH, ("403", "Settings > Billing")),
}


@pytest.fixture
def server() -> Iterator[DemoServer]:
    demo = DemoServer().start()
    try:
        yield demo
    finally:
        demo.faults.clear()  # releases a held request before the server stops
        demo.stop()


def _env(server_url: str) -> dict[str, str]:
    return {"SOKU_BASE_URL": server_url, "SOKU_API_KEY": DEMO_API_KEY, "SOKU_TIMEOUT": "1"}


@pytest.mark.parametrize("spec", list(CASES))
def test_each_fault_exits_with_its_documented_status_and_one_line(
    run_cli: RunCli, server: DemoServer, spec: str
) -> None:
    code, words = CASES[spec]
    server.faults.apply_spec(spec)

    result = run_cli("failed", env=_env(server.base_url))

    assert result.returncode == code, result.err
    assert_one_clean_line(result.err)
    for word in words:
        assert word in result.err
    assert result.stdout == b""  # no half-written table for a script to misread
    assert b"\x1b" not in result.stderr


def test_connection_refused_exits_3(run_cli: RunCli, server: DemoServer) -> None:
    url = server.base_url
    server.stop()  # nothing listens on that port any more

    result = run_cli("failed", "--json", env=_env(url))

    assert result.returncode == UNREACHABLE, result.err
    assert_one_clean_line(result.err)
    assert "cannot connect" in result.err


@pytest.mark.parametrize("fault", ["unknown_values", "missing_fields"])
def test_partly_readable_answers_still_list_the_failures(
    run_cli: RunCli, server: DemoServer, fault: str
) -> None:
    server.faults.set(fault)

    result = run_cli("failed", "--json", env=_env(server.base_url))

    # Not an outage: what can be read is listed (exit 1: failures present) …
    assert result.returncode == ExitCode.FAILURES, result.err
    assert result.stdout.startswith(b"{")
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    if fault == "missing_fields":
        # … and what could not be read is said, once.
        assert len(lines) == 1
        assert "could not be read" in lines[0]
    else:
        assert lines == []
