"""The benchmark code must not rot: CI runs ``python -m bench --quick`` (N = 1k, no
thresholds) and checks that it completes with every benchmark of issue 5 in its table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_quick_benchmark_run_measures_every_benchmark() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,  # a safety net; the run takes ~20 s
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in done.stdout.splitlines() if re.match(r"\| \d \|", line)]
    numbers = {row.split("|")[1].strip() for row in rows}
    assert numbers == {"1", "2", "3", "4", "5", "6", "7"}, done.stdout
    # Every figure was measured (none timed out or was skipped).
    figures = [row.split("|")[3].strip() for row in rows]
    assert all(re.match(r"[\d,.]+ (ms|s|B|B/s|MB)$", figure) for figure in figures), figures
