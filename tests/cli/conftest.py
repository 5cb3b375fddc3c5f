"""Run the real ``soku-tui`` command in a subprocess, in a private home directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

# A realistic key used to prove it never leaks; the demo server does not accept it.
SECRET_KEY = "sk_live_Q7fXv2LpR9sTz4KmW8bYc1Nd"


@dataclass(frozen=True)
class Result:
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8")


RunCli = Callable[..., Result]


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no soku-tui config, state or key of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOKU_", "XDG_"))}
    home = tmp_path / "home"
    home.mkdir()
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        COLUMNS="120",
        PYTHONIOENCODING="utf-8",
    )
    return env


@pytest.fixture
def run_cli(cli_env: dict[str, str]) -> RunCli:
    """``run_cli("failed", "--json", env={...extra})`` → Result (stdin is not a terminal)."""

    def run(*args: str, env: Mapping[str, str] | None = None, stdin: int | None = None) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "soku_tui", *args],
            env={**cli_env, **(env or {})},
            stdin=subprocess.DEVNULL if stdin is None else stdin,
            capture_output=True,
            timeout=60,  # a safety net only; every command here takes well under a second
            check=False,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def assert_one_clean_line(stderr: str) -> None:
    """The documented error shape: exactly one line, no traceback."""
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("soku-tui: ")
