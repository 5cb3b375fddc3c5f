"""``soku-tui doctor`` as a user runs it: exit statuses, the text, the JSON, no key leak."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from soku_tui.demo.server import DemoServer
from tests.cli.conftest import RunCli
from tests.doctor.conftest import SECRET_KEY

MakeServer = Callable[..., DemoServer]


def check_line(text: str, title: str) -> str:
    for line in text.splitlines():
        if line[2:].startswith(title):
            return line
    raise AssertionError(f"no {title!r} line in:\n{text}")


def test_bearer_only_account_exit_4_and_the_setting_to_change(
    run_cli: RunCli, make_server: MakeServer
) -> None:
    server = make_server(api_keys=(SECRET_KEY,), auth_schemes=("bearer",))
    env = {"SOKU_BASE_URL": server.base_url, "SOKU_API_KEY": SECRET_KEY}
    result = run_cli("doctor", env=env)
    assert result.returncode == 4, result.out + result.err
    line = check_line(result.out, "Authentication")
    assert line.startswith("✗ ")
    assert 'set auth_scheme = "bearer" (or SOKU_AUTH_SCHEME=bearer, or --auth-scheme bearer)' in (
        line
    )
    assert line.endswith("[exit 4]")
    # With the setting changed as advised, every check passes.
    fixed = run_cli("doctor", env={**env, "SOKU_AUTH_SCHEME": "bearer"})
    assert fixed.returncode == 0, fixed.out
    assert "(from env SOKU_AUTH_SCHEME)" in fixed.out.splitlines()[0]


def test_exit_statuses_for_unreachable_auth_and_read_api(
    run_cli: RunCli, make_server: MakeServer, closed_port: int
) -> None:
    def doctor(base_url: str, **env: str) -> int:
        return run_cli(
            "doctor", env={"SOKU_BASE_URL": base_url, "SOKU_API_KEY": SECRET_KEY, **env}
        ).returncode

    assert doctor(f"http://127.0.0.1:{closed_port}") == 3
    hanging = make_server(api_keys=(SECRET_KEY,), faults="hang")
    assert doctor(hanging.base_url, SOKU_TIMEOUT="0.5") == 3
    lapsed = make_server(api_keys=(SECRET_KEY,), faults="lapsed_subscription")
    assert doctor(lapsed.base_url) == 4
    no_reads = make_server(api_keys=(SECRET_KEY,), faults="no_read_api")
    assert doctor(no_reads.base_url) == 5


def test_key_file_source_and_permissions_through_the_settings(
    run_cli: RunCli, make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(api_keys=(SECRET_KEY,))
    path = tmp_path / "soku.key"
    path.write_text(SECRET_KEY + "\n")
    path.chmod(0o640)
    result = run_cli(
        "doctor", "--json", env={"SOKU_BASE_URL": server.base_url, "SOKU_API_KEY_FILE": str(path)}
    )
    assert result.returncode == 0, result.err
    checks = {check["id"]: check for check in json.loads(result.stdout)["checks"]}
    assert checks["key"]["summary"] == (
        f"set, from key file {path} (named by env SOKU_API_KEY_FILE) (never shown)"
    )
    assert checks["key"]["details"]["origin"] == "key_file"
    assert checks["key_file"]["status"] == "fail"
    assert checks["key_file"]["fix"] == f"run: chmod 600 {path}"
    assert checks["key_file"]["exit_code"] is None


def test_no_key_exit_4_with_how_to_set_one(run_cli: RunCli, make_server: MakeServer) -> None:
    server = make_server()
    result = run_cli("doctor", env={"SOKU_BASE_URL": server.base_url})
    assert result.returncode == 4
    line = check_line(result.out, "API key")
    assert line.startswith("✗ API key")
    assert "SOKU_API_KEY_FILE" in line


def test_the_key_never_appears_in_anything_doctor_writes(
    run_cli: RunCli, make_server: MakeServer, cli_env: dict[str, str]
) -> None:
    secret_part = SECRET_KEY.removeprefix("sk_live_")
    accepted = make_server(api_keys=(SECRET_KEY,), auth_schemes=("bearer",))
    refused = make_server(faults="revoked_key")
    runs = []
    for server in (accepted, refused):
        env = {"SOKU_BASE_URL": server.base_url, "SOKU_API_KEY": SECRET_KEY}
        runs.append(run_cli("doctor", env=env))
        runs.append(run_cli("doctor", "--json", env=env))
    assert [result.returncode for result in runs] == [4, 4, 4, 4]
    for result in runs:
        for stream in (result.stdout, result.stderr):
            assert SECRET_KEY.encode() not in stream
            assert secret_part.encode() not in stream
    # Nor in any file it wrote (the log file lives under the private home).
    for path in Path(cli_env["HOME"]).rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET_KEY.encode() not in data, path
            assert secret_part.encode() not in data, path


def test_a_key_in_a_readable_config_file_is_flagged(
    run_cli: RunCli, make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(api_keys=(SECRET_KEY,))
    config = tmp_path / "config.toml"
    config.write_text(f'api_key = "{SECRET_KEY}"\nbase_url = "{server.base_url}"\n')
    config.chmod(0o644)
    result = run_cli("doctor", "--config", str(config))
    assert result.returncode == 0, result.out + result.err
    line = check_line(result.out, "Key file")
    assert line.startswith("✗ ")
    assert f"{config} is readable by other users (mode 0644)" in line
    assert f"run: chmod 600 {config}" in line
    assert f"set, from config file {config} (never shown)" in check_line(result.out, "API key")
    assert SECRET_KEY not in result.out + result.err
