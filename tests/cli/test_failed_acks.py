"""``soku-tui failed --json`` carries each post's local acknowledgement (shift hand-off)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from soku_tui.core.acks import AckStore
from soku_tui.demo.scenario import build_scenario, has_failed_run
from tests.cli.conftest import RunCli


def failed_ids() -> list[str]:
    scenario = build_scenario(seed=7, now=datetime.now(UTC))
    return sorted(post["postSubmissionId"] for post in scenario if has_failed_run(post))


def test_failed_json_includes_who_acknowledged_what(run_cli: RunCli, tmp_path: Path) -> None:
    state = tmp_path / "state"
    first, second = failed_ids()[:2]
    store = AckStore.in_state_dir(state)
    store.acknowledge(first, "Reconnecting TikTok — ticket OPS-12\x1b[2J", "alice")
    store.acknowledge(second, None, "bob")

    result = run_cli("failed", "--json", "--demo", env={"SOKU_STATE_DIR": str(state)})
    assert result.returncode == 1, result.err
    posts = {post["post_id"]: post for post in json.loads(result.stdout)["posts"]}
    ack = posts[first]["ack"]
    assert ack["by"] == "alice"
    assert ack["note"] == "Reconnecting TikTok — ticket OPS-12\x1b[2J"  # exact data…
    assert b"\x1b" not in result.stdout  # …written as a JSON escape, never a raw ESC
    assert ack["at"].endswith("Z")
    assert ack["covers_current_failures"] is True
    assert posts[second]["ack"]["note"] is None
    assert all(p["ack"] is None for pid, p in posts.items() if pid not in (first, second))


def test_a_corrupt_acknowledgements_file_is_a_warning_not_a_failure(
    run_cli: RunCli, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    (state / "acks.json").write_text("{not json")
    result = run_cli("failed", "--json", "--demo", env={"SOKU_STATE_DIR": str(state)})
    assert result.returncode == 1
    assert all(post["ack"] is None for post in json.loads(result.stdout)["posts"])
    assert "acknowledgements file" in result.err and "moved to" in result.err
