"""``python -m bench``: every benchmark of issue 5, one table, one run, one machine.

    python -m bench            # the full run: N = 1k/10k/50k (several minutes)
    python -m bench --quick    # N = 1k everywhere, short waits (the CI smoke run)

Figures and their baselines are measured in the same run. The demo API runs in its own
process (as Soku would), except for the ``--demo`` first-data row, which includes building
the demo data in the monitor's process. Targets are shown only for the sizes the issue
sets them at; the smoke run checks nothing, it only has to complete.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import time
from collections.abc import Sequence

from bench.pipeline import bench_network, bench_pipeline
from bench.report import Row, render
from bench.screen import (
    Timing,
    bench_first_data,
    bench_first_data_demo,
    bench_poll_under_load,
    bench_terminal_bytes,
)
from bench.servers import DemoProcess


def run(quick: bool) -> list[Row]:
    rows: list[Row] = []
    if quick:
        sizes, repeat, big, small = (1_000,), 1, 1_000, 1_000
        timing = Timing(load=60, poll=60, key=10, clock_window=2.0, settle=1.2)
    else:
        sizes, repeat, big, small = (1_000, 10_000, 50_000), 3, 50_000, 10_000
        timing = Timing()
    servers: dict[int, DemoProcess] = {}
    try:
        for n in sorted({*sizes, big, small}):
            servers[n] = DemoProcess(n)
        for n in sizes:
            rows += asyncio.run(bench_pipeline(servers[n], repeat))
        rows += asyncio.run(bench_network(servers[small]))
        target = not quick
        rows += bench_first_data(servers[big], timing, target=target)
        rows += bench_first_data_demo(big, timing)
        rows += bench_poll_under_load(servers[big], timing, target=target)
        rows += bench_terminal_bytes(servers[small], timing)
    finally:
        for server in servers.values():
            server.stop()
    return sorted(rows, key=lambda row: row.bench)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 1k, short waits (smoke)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows = run(args.quick)
    title = (
        f"soku-tui benchmarks ({'quick' if args.quick else 'full'}) — "
        f"Python {platform.python_version()}, {platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, "
        f"{time.monotonic() - started:.0f} s"
    )
    print(render(rows, title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
