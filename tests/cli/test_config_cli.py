"""``soku-tui config show`` and the key's secrecy across everything the CLI writes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.conftest import SECRET_KEY, RunCli, assert_one_clean_line


def show(run_cli: RunCli, *args: str, env: dict[str, str] | None = None) -> dict[str, list[str]]:
    result = run_cli("config", "show", *args, env=env)
    assert result.returncode == 0, result.err
    assert SECRET_KEY not in result.out + result.err
    rows: dict[str, list[str]] = {}
    for line in result.out.splitlines()[1:]:
        name, rest = line.split(maxsplit=1)
        value, source = (
            (part.strip() for part in rest.split("  ", 1)) if "  " in rest else (rest, "")
        )
        rows[name] = [value, source.strip()]
    return rows


def test_config_show_masks_the_key_and_names_every_source(run_cli: RunCli) -> None:
    rows = show(run_cli, "--base-url", "https://flag.example", env={"SOKU_API_KEY": SECRET_KEY})
    assert rows["api_key"] == ["sk_live_…c1Nd", "env SOKU_API_KEY"]
    assert rows["base_url"] == ["https://flag.example", "flag"]
    assert rows["interval"] == ["30 s", "default"]
    assert {"read_only", "since", "timeout", "max_body_bytes", "state_dir", "log_file"} <= set(rows)


def test_flag_beats_env_beats_profile_in_the_file(run_cli: RunCli, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        'default_profile = "acme"\ninterval = 60\n'
        '[profiles.acme]\nbase_url = "https://acme.example"\nsince = "48h"\n'
    )
    env = {"SOKU_CONFIG": str(config), "SOKU_SINCE": "30m"}
    rows = show(run_cli, "--interval", "15", env=env)
    assert rows["profile"] == ["acme", f"config file {config}"]
    assert rows["base_url"] == ["https://acme.example", f"config file {config} [profiles.acme]"]
    assert rows["since"] == ["30m", "env SOKU_SINCE"]
    assert rows["interval"] == ["15 s", "flag"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_world_readable_key_file_warns_but_still_works(run_cli: RunCli, tmp_path: Path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(SECRET_KEY + "\n")
    key_file.chmod(0o644)
    result = run_cli("config", "show", "--api-key-file", str(key_file))
    assert result.returncode == 0
    assert "readable by other users (mode 0644)" in result.err
    assert f"chmod 600 {key_file}" in result.err
    assert SECRET_KEY not in result.out + result.err
    assert f"key file {key_file}" in result.out


def test_invalid_setting_is_one_line_and_exit_2(run_cli: RunCli) -> None:
    result = run_cli("config", "show", env={"SOKU_AUTH_SCHEME": "basic"})
    assert result.returncode == 2
    assert_one_clean_line(result.err)
    assert "auth_scheme (from env SOKU_AUTH_SCHEME)" in result.err
    assert "SOKU_AUTH_SCHEME=header" in result.err


def test_the_key_appears_nowhere_the_cli_wrote(
    run_cli: RunCli, demo_server: Any, cli_env: dict[str, str], tmp_path: Path
) -> None:
    # A wrong key against a real server: the error path is where keys usually leak.
    env = {"SOKU_BASE_URL": demo_server.base_url, "SOKU_API_KEY": SECRET_KEY}
    outputs = [run_cli("failed", env=env), run_cli("retry", "some-post", "--yes", env=env)]
    for result in outputs:
        assert result.returncode == 4
        assert SECRET_KEY.encode() not in result.stdout + result.stderr
    written = [path for path in Path(cli_env["HOME"]).rglob("*") if path.is_file()]
    assert any(path.suffix == ".log" for path in written)  # something was logged …
    for path in written:
        assert SECRET_KEY.encode() not in path.read_bytes(), path  # … but never the key
