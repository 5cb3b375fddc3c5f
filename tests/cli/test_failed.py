"""``soku-tui failed``: what a person or a script gets, and the exit statuses."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from typing import Any

from soku_tui.demo.scenario import build_scenario, has_failed_run
from soku_tui.output import CSV_COLUMNS
from tests.cli.conftest import SECRET_KEY, RunCli, assert_one_clean_line


def scenario_failed_ids() -> set[str]:
    """The failed posts of the demo scenario, built here with the demo's seed."""
    scenario = build_scenario(seed=7, now=datetime.now(UTC))
    return {post["postSubmissionId"] for post in scenario if has_failed_run(post)}


def test_failed_json_on_the_demo_matches_the_scenario(run_cli: RunCli) -> None:
    result = run_cli("failed", "--json", "--demo")
    assert result.returncode == 1, result.err  # failures present
    data: dict[str, Any] = json.loads(result.stdout)  # data only on stdout
    assert set(data) >= {"generated_at", "base_url", "since", "skipped", "posts"}
    assert data["base_url"].startswith("http://127.0.0.1:")
    assert data["skipped"] == 0
    ids = [post["post_id"] for post in data["posts"]]
    assert len(ids) == len(scenario_failed_ids())
    assert set(ids) == scenario_failed_ids()
    times = [post["updated_at"] for post in data["posts"]]
    assert times == sorted(times, reverse=True)  # newest first
    runs = [run for post in data["posts"] for run in post["runs"]]
    statuses = {run["http_status"] for run in runs if run["status"] == "failed"}
    assert {400, 401, 403, 500} <= statuses
    for post in data["posts"]:
        assert any(run["status"] == "failed" for run in post["runs"])
    for run in runs:
        # Retryable exactly when the run failed with a 500: never a 400, 401 or 403.
        assert run["retryable"] == (run["status"] == "failed" and run["http_status"] == 500)
        if run["status"] == "failed":
            assert run["fix"]["title"]
            assert run["fix"]["summary"]
            assert isinstance(run["fix"]["where"], list)
        else:
            assert run["fix"] is None
    assert b"\x1b" not in result.stdout


def test_failed_table_is_readable_and_never_writes_an_escape_byte(run_cli: RunCli) -> None:
    result = run_cli("failed", "--demo")
    assert result.returncode == 1, result.err
    assert b"\x1b" not in result.stdout
    assert b"\x1b" not in result.stderr
    text = result.out
    first = text.splitlines()[0]
    assert first.startswith(f"{len(scenario_failed_ids())} failed posts on http://127.0.0.1:")
    for post_id in scenario_failed_ids():
        assert post_id in text
    assert "fix: 401 Unauthorized" in text
    assert "Settings > Billing" in text  # the 403 fix names the place to click
    assert "PLATFORM" in text
    assert "MESSAGE" in text


def test_failed_csv_has_one_row_per_failed_run(run_cli: RunCli) -> None:
    as_json = json.loads(run_cli("failed", "--json", "--demo").stdout)
    failed_runs = sum(
        1 for post in as_json["posts"] for run in post["runs"] if run["status"] == "failed"
    )
    result = run_cli("failed", "--format", "csv", "--demo")
    assert result.returncode == 1
    rows = list(csv.reader(io.StringIO(result.out)))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) - 1 == failed_runs
    retryable = {row[CSV_COLUMNS.index("http_status")] for row in rows[1:] if row[13] == "true"}
    assert retryable == {"500"}


def test_global_flags_work_before_the_command_too(run_cli: RunCli) -> None:
    result = run_cli("--demo", "--since", "48h", "failed", "--json")
    assert result.returncode == 1, result.err
    assert json.loads(result.stdout)["posts"]


def test_nothing_failed_in_the_window_exits_0(run_cli: RunCli) -> None:
    result = run_cli("failed", "--demo", "--since", "2999-01-01")
    assert result.returncode == 0, result.err
    assert result.out.startswith("No failed posts on http://127.0.0.1:")


def test_rejected_key_exits_4_with_one_line_saying_what_to_do(
    run_cli: RunCli, demo_server: Any
) -> None:
    result = run_cli(
        "failed", env={"SOKU_BASE_URL": demo_server.base_url, "SOKU_API_KEY": SECRET_KEY}
    )
    assert result.returncode == 4
    assert result.stdout == b""
    assert_one_clean_line(result.err)
    assert "401" in result.err
    assert "Settings > API" in result.err
    assert "env SOKU_API_KEY" in result.err  # where the rejected key came from
    assert SECRET_KEY not in result.err


def test_closed_port_exits_3(run_cli: RunCli, closed_port: int) -> None:
    result = run_cli(
        "failed",
        "--json",
        env={"SOKU_BASE_URL": f"http://127.0.0.1:{closed_port}", "SOKU_API_KEY": SECRET_KEY},
    )
    assert result.returncode == 3
    assert result.stdout == b""
    assert_one_clean_line(result.err)
    assert f"127.0.0.1:{closed_port}" in result.err


def test_bad_usage_exits_2(run_cli: RunCli) -> None:
    for args in (("failed", "--format", "xml"), ("retry",), ("nonsense",), ("--since", "soon")):
        result = run_cli(*args)
        assert result.returncode == 2, args
        assert_one_clean_line(result.err)


def test_missing_key_exits_4_and_says_exactly_how_to_set_it(run_cli: RunCli) -> None:
    result = run_cli("failed")
    assert result.returncode == 4
    assert result.stdout == b""
    for part in ("SOKU_API_KEY=", "SOKU_API_KEY_FILE", "--api-key-file", "config.toml", "--demo"):
        assert part in result.err
    assert "Traceback" not in result.err


def test_version(run_cli: RunCli) -> None:
    from soku_tui import __version__

    result = run_cli("--version")
    assert result.returncode == 0
    assert result.out.strip() == f"soku-tui {__version__}"
