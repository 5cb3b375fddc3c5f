"""The demo API in its own process, standing in for Soku during the benchmarks.

In its own process so that serving 50,000 posts costs the monitor nothing: the monitor's
figures are the monitor's own, as they would be against the real API.

    python -m bench.servers --posts 50000     # prints the base URL, serves until stdin closes
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from typing import Any

import httpx

from soku_tui.demo.server import DEMO_API_KEY, DemoServer

# Benchmarks poll 50,000 posts (200 pages) several times a minute; the demo's realistic
# read budget would make them wait out its window and measure the wait instead.
READ_LIMIT = 1_000_000


class DemoProcess:
    """``with DemoProcess(posts=N) as api:`` … ``api.base_url``, ``api.touch(1)``."""

    def __init__(self, posts: int) -> None:
        self.posts = posts
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.servers", "--posts", str(posts)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"the demo server did not start: {line!r}")
        self.base_url = line
        self.api_key = DEMO_API_KEY

    def env(self) -> dict[str, str]:
        """Environment pointing the monitor at this server."""
        return {"SOKU_BASE_URL": self.base_url, "SOKU_API_KEY": self.api_key}

    def touch(self, percent: float, offset: int = 0) -> int:
        answer = httpx.post(
            f"{self.base_url}/_demo/touch", json={"percent": percent, "offset": offset}
        )
        answer.raise_for_status()
        touched: int = answer.json()["touched"]
        return touched

    def stats(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.base_url}/_demo/stats")
        answer.raise_for_status()
        result: dict[str, Any] = answer.json()
        return result

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def __enter__(self) -> DemoProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="demo API for the benchmarks")
    parser.add_argument("--posts", type=int, required=True)
    args = parser.parse_args()
    server = DemoServer(posts=args.posts, read_limit_per_minute=READ_LIMIT).start()
    print(server.base_url, flush=True)
    try:
        sys.stdin.read()  # until the benchmark closes our stdin (or dies)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
