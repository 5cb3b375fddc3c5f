"""The API key never leaks: a whole session with a known key, then everything it wrote is
searched for it.

The session uses every path that touches the key: the headless ``failed`` (table and
JSON), ``retry --yes`` of a post with a 500 run (ledger and audit log written), ``config
show``, calls that fail (an unreachable base URL, a different key answered 401, and the
right key revoked mid-session), the monitor itself (headless, screen exported, a banner
for the revoked key) and the demo server's own output and logs. Searched: stdout and
stderr of every command, the exported screens, every log record of this process at
DEBUG (the in-process app and demo server), and every file under the temporary home
(config, state, logs, ledger, audit).

The warning for a key file or config file readable by others is tested in
tests/test_config.py and tests/cli/test_config_cli.py.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import AppConfig, SokuApp

KEY = "sk_live_SECRETabc123XYZ_canary"
OTHER_KEY = "sk_live_OTHERdef456UVW_canary"
# Any of these in any output is a leak: the keys, the part a mask must hide, and the key
# as an Authorization header or basic-auth token would carry it.
NEEDLES = tuple(
    needle.encode()
    for key in (KEY, OTHER_KEY)
    for needle in (
        key,
        key.removeprefix("sk_live_")[:-4],
        base64.b64encode(key.encode()).decode(),
    )
)


@dataclass
class Session:
    home: Path
    env: dict[str, str]
    outputs: dict[str, bytes] = field(default_factory=dict)

    def run(self, label: str, *args: str, env: dict[str, str] | None = None) -> int:
        proc = subprocess.run(
            [sys.executable, "-m", "soku_tui", *args],
            env={**self.env, **(env or {})},
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=120,  # a safety net; each command takes about a second
            check=False,
        )
        self.outputs[f"{label}: stdout"] = proc.stdout
        self.outputs[f"{label}: stderr"] = proc.stderr
        return proc.returncode

    def files(self) -> Iterator[Path]:
        return (path for path in self.home.rglob("*") if path.is_file())


def leaks(name: str, data: bytes) -> list[str]:
    return [f"{name} holds {needle[:14]!r}…" for needle in NEEDLES if needle in data]


@pytest.fixture
def session(tmp_path: Path) -> Session:
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOKU_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        COLUMNS="120",
        PYTHONIOENCODING="utf-8",
        SOKU_API_KEY=KEY,
    )
    return Session(home, env)


@pytest.fixture
def server() -> Iterator[DemoServer]:
    demo = DemoServer(api_keys=(KEY,), retry_settle_seconds=0.2).start()
    try:
        yield demo
    finally:
        demo.stop()


async def test_a_whole_session_never_writes_the_key_anywhere(
    session: Session,
    server: DemoServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)  # everything this process logs, demo server included
    url = {"SOKU_BASE_URL": server.base_url}

    # Headless commands, each answered by a server that accepts the key.
    assert session.run("failed", "failed", env=url) == 1
    assert session.run("failed --json", "failed", "--json", env=url) == 1
    report = json.loads(session.outputs["failed --json: stdout"])
    post = next(
        p["post_id"]
        for p in report["posts"]
        if any(r["retryable"] for r in p["runs"])
        and all(r["http_status"] != 429 for r in p["runs"])
    )
    # 0 or 1: the demo decides whether the re-published runs succeed; sent either way.
    assert session.run("retry", "retry", post, "--yes", env=url) in (0, 1)
    assert b"new submission: " in session.outputs["retry: stdout"]
    assert session.run("config show", "config", "show", env=url) == 0
    assert "sk_live_…" in session.outputs["config show: stdout"].decode()

    # Calls that fail: nothing listening, a key the server does not know, a revoked key.
    with DemoServer() as closed:
        dead_url = closed.base_url
    assert session.run("unreachable", "failed", env={"SOKU_BASE_URL": dead_url}) == 3
    assert session.run("401", "failed", env={**url, "SOKU_API_KEY": OTHER_KEY}) == 4
    key_file = session.home / ".config" / "soku-tui" / "key"
    key_file.parent.mkdir(parents=True)
    key_file.write_text(OTHER_KEY + "\n")
    key_file.chmod(0o600)
    assert (
        session.run(
            "401 from key file",
            "retry",
            post,
            "--yes",
            env={**url, "SOKU_API_KEY": "", "SOKU_API_KEY_FILE": str(key_file)},
        )
        == 4
    )
    server.faults.set("revoked_key")
    assert session.run("revoked", "failed", "--json", env=url) == 4
    server.faults.clear()

    # The monitor: a good poll, a retry, then the key revoked under it.
    screens = await _monitor_session(session, server)

    key_file.unlink()  # the one file that holds a key on purpose (the user wrote it)
    found: list[str] = []
    for name, data in session.outputs.items():
        found += leaks(name, data)
    for number, svg in enumerate(screens):
        found += leaks(f"screen {number}", svg.encode())
    for record in caplog.records:
        text = logging.Formatter().format(record)
        found += leaks(f"log record {record.name}", text.encode())
    captured = capfd.readouterr()
    found += leaks("this process's stdout", captured.out.encode())
    found += leaks("this process's stderr", captured.err.encode())
    written = list(session.files())
    for path in written:
        found += leaks(str(path.relative_to(session.home)), path.read_bytes())
    assert found == []

    # The search had something to search: the session wrote its logs, ledger and audit.
    names = {path.name for path in written}
    assert {"soku-tui.log", "audit.jsonl"} <= names
    assert any(name.startswith("ledger") or "ledger" in name for name in names), names
    log_text = next(p for p in written if p.name == "soku-tui.log").read_text()
    assert "401" in log_text  # the failed calls were logged, without the key


async def _monitor_session(session: Session, server: DemoServer) -> list[str]:
    config = AppConfig(
        base_url=server.base_url,
        api_key=KEY,
        state_dir=session.home / ".local" / "state" / "soku-tui-tui",
        autostart_polling=False,
        timeout=3.0,
    )
    assert KEY not in repr(config)
    app = SokuApp(config)
    screens: list[str] = []
    async with app.run_test(size=(160, 48)) as pilot:
        await app.monitor.poll_once()
        await pilot.pause()
        screens.append(app.export_screenshot())
        retryable = next(
            s for s in app.monitor.snapshot.submissions if app.retry_service.can_retry(s) is None
        )
        result = await app.retry_service.execute(app.retry_service.plan(retryable))
        assert result.ok, result.message
        server.faults.set("revoked_key")
        await app.monitor.poll_once()
        await pilot.pause()
        assert app.monitor.health.state == "auth"
        screens.append(app.export_screenshot())
        server.faults.clear()
    return screens


BANNER_URL = re.compile(rb"Soku demo API on (http://127\.0\.0\.1:\d+)")


def test_the_demo_server_never_prints_or_logs_a_key_sent_to_it(session: Session) -> None:
    """The foreground demo server (``soku-tui demo-server``) refusing a real key: its
    output, its log file and the client's output hold no trace of the key."""
    server = subprocess.Popen(
        [sys.executable, "-m", "soku_tui", "demo-server", "--port", "0"],
        env=session.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # the banner's first line names the URL
        match = BANNER_URL.search(first)
        assert match, first
        code = session.run(
            "against the demo server", "failed", env={"SOKU_BASE_URL": match[1].decode()}
        )
        assert code == 4  # the demo server only knows its own demo key
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    found = leaks("demo server stdout", first + out) + leaks("demo server stderr", err)
    for name, data in session.outputs.items():
        found += leaks(name, data)
    for path in session.files():
        found += leaks(str(path), path.read_bytes())
    assert found == []
    assert server.returncode == 0
    assert b"demo API stopped" in out
    # Give a slow machine's log handler no excuse: the file exists and was written.
    deadline = time.monotonic() + 5
    while not any(p.name == "soku-tui.log" for p in session.files()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
