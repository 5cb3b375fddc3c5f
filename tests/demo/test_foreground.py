"""`python -m soku_tui.demo.server` serves in the foreground and stops cleanly."""

from __future__ import annotations

import re
import selectors
import signal
import subprocess
import sys
from typing import IO

import httpx

from soku_tui.demo.server import DEMO_API_KEY


def _read_line(stream: IO[bytes], timeout: float = 20.0) -> str:
    # Unbuffered stream, so select() sees exactly what readline() has not yet consumed.
    with selectors.DefaultSelector() as selector:
        selector.register(stream, selectors.EVENT_READ)
        assert selector.select(timeout), "the server printed nothing"  # safety net
    return stream.readline().decode()


def test_serves_in_the_foreground_until_sigterm() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "soku_tui.demo.server", "--port", "0", "--posts", "20"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )
    try:
        assert process.stdout is not None
        banner = _read_line(process.stdout) + _read_line(process.stdout)
        match = re.search(r"http://127\.0\.0\.1:\d+", banner)
        assert match, banner
        assert DEMO_API_KEY in banner
        page = httpx.get(
            f"{match.group(0)}/v1/posts",
            params={"status": "failed", "limit": 250},
            headers={"soku-api-key": DEMO_API_KEY},
        ).json()
        assert len(page["items"]) == 20
        process.send_signal(signal.SIGTERM)
        out, err = (stream.decode() for stream in process.communicate(timeout=20))
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0
    assert "stopped" in out
    assert "Traceback" not in err


def test_a_bad_fault_spec_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "soku_tui.demo.server", "--faults", "html_504"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown fault 'html_504'" in result.stderr
    assert "Traceback" not in result.stderr
