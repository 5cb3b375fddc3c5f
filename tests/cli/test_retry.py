"""``soku-tui retry``: only 500 runs are re-published, everything else is refused with why."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from soku_tui.demo.scenario import build_scenario
from tests.cli.conftest import RunCli, assert_one_clean_line

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def failed_statuses(post: dict[str, Any]) -> dict[str, int]:
    return {
        run["platform"]: run["error"]["status"]
        for run in post["runs"]
        if run["status"] == "failed" and run.get("error")
    }


def scenario_post(wanted: set[int]) -> tuple[str, dict[str, int]]:
    """The id of the first demo post whose failed runs have exactly these HTTP statuses."""
    for post in build_scenario(seed=7, now=datetime.now(UTC)):
        statuses = failed_statuses(post)
        if set(statuses.values()) == wanted:
            return post["postSubmissionId"], statuses
    raise AssertionError(f"the demo scenario has no post failing with exactly {wanted}")


@pytest.fixture
def against(demo_server: Any, tmp_path: Path) -> dict[str, str]:
    """Environment pointing the CLI at the test's demo server, with a state dir we can read."""
    from soku_tui.demo.server import DEMO_API_KEY

    return {
        "SOKU_BASE_URL": demo_server.base_url,
        "SOKU_API_KEY": DEMO_API_KEY,
        "SOKU_STATE_DIR": str(tmp_path / "state"),
    }


def test_retry_demo_sends_the_500_run_and_refuses_the_401_with_the_reason(
    run_cli: RunCli,
) -> None:
    post_id, _ = scenario_post({401, 500})
    result = run_cli("retry", post_id, "--demo", "--yes", "--no-follow")
    assert result.returncode == 0, result.err
    out = result.out
    assert re.search(rf"^new submission: {UUID}$", out, re.MULTILINE)
    refused = next(line for line in out.splitlines() if "✗" in line)
    assert "401 — a retry can't fix this" in refused
    assert "Settings > Integrations" in refused
    retried = next(line for line in out.splitlines() if "↻" in line)
    assert "will be retried" in retried
    assert "1 of 2 runs retryable; skipping 1 (401)" in out
    assert b"\x1b" not in result.stdout


def test_retry_follows_the_new_submission_to_its_outcome(run_cli: RunCli) -> None:
    post_id, _ = scenario_post({500})
    result = run_cli("retry", post_id, "--demo", "--yes")
    new_id = re.search(rf"^new submission: ({UUID})$", result.out, re.MULTILINE)
    assert new_id, result.out + result.err
    outcome = result.out.splitlines()[-1]
    assert outcome.startswith(f"{new_id.group(1)}: ")
    if result.returncode == 0:
        assert outcome.endswith("published on every retried platform")
    else:
        assert result.returncode == 1
        assert "again" in outcome


def test_retry_creates_exactly_one_submission_even_when_run_twice(
    run_cli: RunCli, demo_server: Any, against: dict[str, str]
) -> None:
    post_id, _ = scenario_post({500})
    first = run_cli("retry", post_id, "--yes", "--no-follow", env=against)
    assert first.returncode == 0, first.err
    second = run_cli("retry", post_id, "--yes", "--no-follow", env=against)
    assert second.returncode == 1
    assert "already retried" in second.out + second.err
    assert demo_server.created_count == 1
    audit = (Path(against["SOKU_STATE_DIR"]) / "audit.jsonl").read_text()
    assert f"retry:{post_id}:" in audit  # the idempotency key is on record


def test_retry_without_a_terminal_and_without_yes_refuses_and_sends_nothing(
    run_cli: RunCli, demo_server: Any, against: dict[str, str]
) -> None:
    post_id, _ = scenario_post({500})
    result = run_cli("retry", post_id, env=against)
    assert result.returncode == 2
    assert "--yes" in result.err
    assert demo_server.created_count == 0


def test_answering_no_at_the_prompt_sends_nothing(
    cli_env: dict[str, str], demo_server: Any, against: dict[str, str]
) -> None:
    post_id, _ = scenario_post({500})
    controller, terminal = pty.openpty()
    try:
        os.write(controller, b"n\n")
        proc = subprocess.run(
            [sys.executable, "-m", "soku_tui", "retry", post_id],
            env={**cli_env, **against},
            stdin=terminal,
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(controller)
        os.close(terminal)
    assert proc.returncode == 1
    assert b"? [y/N]" in proc.stderr
    assert b"nothing was sent" in proc.stderr
    assert demo_server.created_count == 0


def test_a_post_with_only_a_401_is_refused_with_the_fix(
    run_cli: RunCli, demo_server: Any, against: dict[str, str]
) -> None:
    post_id, _ = scenario_post({401})
    result = run_cli("retry", post_id, "--yes", env=against)
    assert result.returncode == 1
    assert "nothing to retry" in result.err
    assert "Settings > Integrations" in result.err
    assert demo_server.created_count == 0


def test_platform_narrows_the_retry(
    run_cli: RunCli, demo_server: Any, against: dict[str, str]
) -> None:
    post_id, statuses = scenario_post({401, 500})
    the_401 = next(platform for platform, status in statuses.items() if status == 401)
    result = run_cli("retry", post_id, "--platform", the_401, "--yes", env=against)
    assert result.returncode == 1
    assert demo_server.created_count == 0
    unknown = run_cli("retry", post_id, "--platform", "myspace", "--yes", env=against)
    assert unknown.returncode == 2
    assert "failed on:" in unknown.err


def test_read_only_refuses_every_retry(
    run_cli: RunCli, demo_server: Any, against: dict[str, str]
) -> None:
    post_id, _ = scenario_post({500})
    result = run_cli("retry", post_id, "--yes", "--read-only", env=against)
    assert result.returncode == 1
    assert "read-only" in result.err
    assert demo_server.created_count == 0


def test_unknown_post_id_is_a_usage_error(run_cli: RunCli, against: dict[str, str]) -> None:
    result = run_cli("retry", "00000000-0000-0000-0000-000000000000", "--yes", env=against)
    assert result.returncode == 2
    assert_one_clean_line(result.err)
    assert "no post" in result.err
