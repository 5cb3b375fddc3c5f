"""``soku-tui watch``: the real console script against the real demo API, signals included."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

import httpx
import pytest

from soku_tui.demo.scenario import build_scenario, has_failed_run
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from tests.cli.conftest import RunCli, assert_one_clean_line

# Safety nets only: every wait below normally ends in well under a second.
WAIT = 20.0


def scenario_failed_ids() -> set[str]:
    scenario = build_scenario(seed=7, now=datetime.now(UTC))
    return {post["postSubmissionId"] for post in scenario if has_failed_run(post)}


@dataclass
class Watch:
    proc: subprocess.Popen[bytes]
    lines: queue.Queue[bytes | None] = field(default_factory=queue.Queue)
    errors: list[str] = field(default_factory=list)

    def events(self, count: int) -> list[dict[str, Any]]:
        """The next ``count`` stdout lines, parsed."""
        got = []
        deadline = time.monotonic() + WAIT
        while len(got) < count:
            line = self.lines.get(timeout=max(deadline - time.monotonic(), 0.01))
            assert line is not None, f"watch ended early; stderr: {self.errors}"
            got.append(json.loads(line))
        return got

    def quiet(self, seconds: float = 0.5) -> bool:
        """True if nothing more arrives within ``seconds``."""
        try:
            line = self.lines.get(timeout=seconds)
        except queue.Empty:
            return True
        self.lines.put(line)
        return False

    def wait_stderr(self, needle: str) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for line in self.errors:
                if needle in line:
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no stderr line with {needle!r}: {self.errors}")

    def poll_now(self) -> None:
        self.proc.send_signal(signal.SIGUSR1)

    def stop(self, signum: int = signal.SIGTERM) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout=WAIT)


def _pump(stream: IO[bytes], sink: Any) -> None:
    for line in iter(stream.readline, b""):
        sink(line)
    sink(None)


@contextmanager
def watching(
    cli_env: dict[str, str], server: DemoServer, *args: str, stdout_reader: bool = True
) -> Iterator[Watch]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "soku_tui", "watch", *args, "--base-url", server.base_url],
        env={**cli_env, "SOKU_API_KEY": DEMO_API_KEY},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watch = Watch(proc)
    assert proc.stdout is not None and proc.stderr is not None
    threads = [
        threading.Thread(
            target=_pump,
            args=(proc.stderr, lambda b: b is not None and watch.errors.append(b.decode())),
            daemon=True,
        )
    ]
    if stdout_reader:
        threads.append(
            threading.Thread(target=_pump, args=(proc.stdout, watch.lines.put), daemon=True)
        )
    for thread in threads:
        thread.start()
    try:
        yield watch
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)


def list_requests(server: DemoServer) -> int:
    return int(server.stats()["requests"].get("list", 0))


def wait_for_polls(server: DemoServer, count: int) -> None:
    deadline = time.monotonic() + WAIT
    while list_requests(server) < count:
        assert time.monotonic() < deadline, "watch never polled"
        time.sleep(0.02)


def tick(server: DemoServer) -> None:
    # Over HTTP, as a person driving the demo would.
    httpx.post(f"{server.base_url}/_demo/tick", timeout=5).raise_for_status()


def test_first_poll_reports_every_failure_then_new_and_resolved_then_sigterm(
    cli_env: dict[str, str], demo_server: DemoServer
) -> None:
    expected = scenario_failed_ids()
    with watching(cli_env, demo_server, "--jsonl") as watch:
        first = watch.events(len(expected))
        assert {e["event"] for e in first} == {"new"}
        assert {e["post"]["post_id"] for e in first} == expected
        for event in first:
            assert event["at"].endswith("Z")
            assert any(run["status"] == "failed" for run in event["post"]["runs"])
            assert event["post"]["ack"] is None
        assert watch.quiet()  # nothing more until something changes

        tick(demo_server)
        watch.poll_now()
        changes = watch.events(2)
        kinds = {e["event"]: e["post"]["post_id"] for e in changes}
        assert set(kinds) == {"new", "resolved"}
        assert kinds["new"] not in expected
        assert kinds["resolved"] in expected
        resolved = next(e for e in changes if e["event"] == "resolved")
        assert any(run["status"] == "failed" for run in resolved["post"]["runs"])  # last seen

        assert watch.stop(signal.SIGTERM) == 0
    assert not any("Traceback" in line for line in watch.errors), watch.errors


def test_only_changes_skips_the_first_load(
    cli_env: dict[str, str], demo_server: DemoServer
) -> None:
    with watching(cli_env, demo_server, "--jsonl", "--only-changes") as watch:
        wait_for_polls(demo_server, 1)
        assert watch.quiet()
        tick(demo_server)
        watch.poll_now()
        assert sorted(e["event"] for e in watch.events(2)) == ["new", "resolved"]
        assert watch.stop(signal.SIGINT) == 130  # Ctrl-C: the documented status


def test_survives_an_outage_with_one_stderr_line_each_and_recovers(
    cli_env: dict[str, str], demo_server: DemoServer
) -> None:
    demo_server.faults.apply_json({"set": "html_502"})
    with watching(cli_env, demo_server, "--jsonl") as watch:
        problem = watch.wait_stderr("502")
        assert problem.startswith("soku-tui: watch: ")
        assert problem.count("\n") == 1  # one line
        assert "next attempt in" in problem
        assert watch.quiet(0.3)
        assert watch.proc.poll() is None  # still running

        demo_server.faults.clear()
        watch.poll_now()  # skip the backoff
        assert len(watch.events(len(scenario_failed_ids()))) == len(scenario_failed_ids())
        watch.wait_stderr("answers again")
        assert watch.stop(signal.SIGHUP) == 0  # the SSH session went away
    assert not any("Traceback" in line for line in watch.errors)


def test_a_reader_that_leaves_ends_watch_quietly(
    cli_env: dict[str, str], demo_server: DemoServer
) -> None:
    with watching(cli_env, demo_server, "--jsonl", stdout_reader=False) as watch:
        stdout = watch.proc.stdout
        assert stdout is not None
        assert json.loads(stdout.readline())["event"] == "new"
        stdout.close()  # like `| head -n 1`
        deadline = time.monotonic() + WAIT
        while watch.proc.poll() is None:
            # If the first poll's lines all fitted in the pipe, make another one.
            assert time.monotonic() < deadline, "watch did not notice the reader leaving"
            tick(demo_server)
            watch.poll_now()
            time.sleep(0.3)
        assert watch.proc.wait(timeout=WAIT) == 0
        time.sleep(0.1)  # let the stderr reader drain
    assert watch.errors == [], watch.errors  # no BrokenPipeError message


def test_sigterm_stops_it_even_when_the_reader_stalls(
    cli_env: dict[str, str], demo_server: DemoServer
) -> None:
    # A consumer that stops reading without closing the pipe: writes block.
    big = DemoServer(posts=400, retry_settle_seconds=0.2).start()
    try:
        with watching(cli_env, big, "--jsonl", stdout_reader=False) as watch:
            wait_for_polls(big, 1)
            time.sleep(0.5)  # 400 posts are far more than a pipe holds: it is stuck
            assert watch.proc.poll() is None
            assert watch.stop(signal.SIGTERM) == 0
    finally:
        big.stop()


def test_acknowledgements_travel_with_the_events(
    cli_env: dict[str, str], demo_server: DemoServer, tmp_path: Any
) -> None:
    from soku_tui.core.acks import AckStore

    state = tmp_path / "state"
    target = sorted(scenario_failed_ids())[0]
    AckStore.in_state_dir(state).acknowledge(target, "on it — ticket OPS-12", "alice")
    env = {**cli_env, "SOKU_STATE_DIR": str(state)}
    with watching(env, demo_server, "--jsonl") as watch:
        events = {e["post"]["post_id"]: e for e in watch.events(len(scenario_failed_ids()))}
        ack = events[target]["post"]["ack"]
        assert ack["by"] == "alice" and ack["note"] == "on it — ticket OPS-12"
        assert ack["covers_current_failures"] is True  # made without a snapshot: covers all
        assert sum(1 for e in events.values() if e["post"]["ack"]) == 1
        assert watch.stop() == 0


def test_text_lines_without_jsonl(cli_env: dict[str, str], demo_server: DemoServer) -> None:
    with watching(cli_env, demo_server) as watch:
        deadline = time.monotonic() + WAIT
        line = watch.lines.get(timeout=WAIT)
        assert time.monotonic() < deadline and line is not None
        text = line.decode()
        assert "  new  " in text and text.rstrip("\n").count("\n") == 0
        assert b"\x1b" not in line
        assert watch.stop() == 0


def test_without_a_key_it_says_how_to_set_one(run_cli: RunCli) -> None:
    result = run_cli("watch", "--jsonl", "--base-url", "http://127.0.0.1:9")
    assert result.returncode == 4
    assert "SOKU_API_KEY" in result.err
    assert result.stdout == b""


def test_usage_errors_are_one_line(run_cli: RunCli) -> None:
    result = run_cli("watch", "--bogus")
    assert result.returncode == 2
    assert_one_clean_line(result.err)


@pytest.mark.skipif(not hasattr(os, "getpgid"), reason="POSIX only")
def test_demo_mode_names_its_server_on_stderr(cli_env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "soku_tui", "watch", "--jsonl", "--demo"],
        env=cli_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        first = json.loads(proc.stdout.readline())
        assert first["event"] == "new"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=WAIT) == 0
        err = proc.stderr.read().decode()
        assert "demo API on http://127.0.0.1:" in err and "/_demo/tick" in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=WAIT)
