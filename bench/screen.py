"""Benchmarks 2, 3, 4, 6 and 7: the real monitor in a real pty, as an SSH user sees it.

Each function starts ``python -m soku_tui`` on a 160×48 pty against a demo API (in its
own process, as Soku would be; or embedded with ``--demo``), and reads what it writes.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.ptyapp import ROW_MARKER, PtyApp
from bench.report import Row, gave_up
from bench.servers import DemoProcess

SIZE = (160, 48)
# Screen rows (1-based) of the table's first two posts: header line 1, table header 2.
CURSOR_ROWS = (3, 4)
# Long enough that no scheduled poll falls inside a measurement: polls are ours (ctrl+r).
INTERVAL = "120"
CTRL_R = b"\x12"


@dataclass(frozen=True)
class Timing:
    """How long a long benchmark may wait for things (safety nets, not thresholds)."""

    load: float = 180.0
    poll: float = 180.0
    key: float = 30.0
    clock_window: float = 10.0
    settle: float = 2.5


def app_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no user config, a scratch state dir, a 256-colour xterm (what
    an SSH session usually has: COLORTERM is not forwarded)."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "SOKU_INTERVAL": INTERVAL,
    }
    env.update(extra or {})
    return env


def _loaded_marker(n: int) -> bytes:
    # The header's count once every page is in (while loading it says "loading (page …)").
    return f"{n} posts · ".encode()


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="soku-bench-"))


# ---------------------------------------------------------------- 2 first data, 6 memory


def bench_first_data(api: DemoProcess, timing: Timing, *, target: bool) -> list[Row]:
    """Process start → first rows on screen → every row loaded, against a running API."""
    home = _scratch()
    n = f"{api.posts:,}"
    first_what = f"first rows visible, N={n}"
    first_target = 1.5 if target else None
    loaded_what = f"all rows loaded, N={n}"
    stall_what = f"UI stall: longest loop block during the first load, N={n}"
    stall_target = 50 if target else None
    rss_what = f"peak RSS after the first load, N={n}"
    with PtyApp([], env=app_env(home, api.env()), size=SIZE, heartbeat=home / "hb") as app:
        try:
            first = app.wait_for(ROW_MARKER, timeout=timing.load) - app.started
        except TimeoutError:
            return [gave_up("2", first_what, "s", timing.load, target=first_target)]
        rows = [Row("2", first_what, first, "s", target=first_target)]
        try:
            loaded_at = app.wait_for(_loaded_marker(api.posts), timeout=timing.load)
        except TimeoutError:
            now = time.monotonic()
            stall = app.longest_stall(app.started, now)
            return [
                *rows,
                gave_up("2", loaded_what, "s", timing.load),
                Row("3", stall_what, stall, "ms", target=stall_target, note="load unfinished"),
                Row("6", rss_what, app.peak_rss_mb(), "MB", target=300, note="load unfinished"),
            ]
        stall = app.longest_stall(app.started, loaded_at)
        rss = app.peak_rss_mb()
    return [
        *rows,
        Row("2", loaded_what, loaded_at - app.started, "s"),
        Row("3", stall_what, stall, "ms", target=stall_target),
        Row("6", rss_what, rss, "MB", target=300),
    ]


def bench_first_data_demo(n: int, timing: Timing) -> list[Row]:
    """The same with ``soku-tui --demo``: the embedded server builds N posts first."""
    home = _scratch()
    env = app_env(home, {"SOKU_DEMO_POSTS": str(n)})
    with PtyApp(["--demo"], env=env, size=SIZE) as app:
        first = app.wait_for(ROW_MARKER, timeout=timing.load) - app.started
    return [
        Row(
            "2",
            f"first rows visible, `soku-tui --demo`, N={n:,}",
            first,
            "s",
            note="includes building the demo data",
        )
    ]


# ---------------------------------------------------------------- 3 stall, 7 keys, 6 memory


def _press(app: PtyApp, key: bytes, row: int, timeout: float) -> float | None:
    """Type ``key``; seconds until the table repaints ``row`` (the cursor's new line)."""
    start = app.position
    sent = app.send(key)
    seen = app.wait_output(start, timeout=timeout, rows=range(row, row + 1))
    return None if seen is None else seen - sent


def _press_keys(app: PtyApp, timing: Timing, *, until_done: float | None = None) -> list[float]:
    """Alternate j/k (cursor between the first two posts) and time each answer, either 10
    times or, with ``until_done``, until the poll started then is over (+0.5 s, while its
    result is put on screen)."""
    latencies: list[float] = []
    down = True
    while True:
        key, row = (b"j", CURSOR_ROWS[1]) if down else (b"k", CURSOR_ROWS[0])
        latency = _press(app, key, row, timing.key)
        # No answer within the safety net: counted as the net (the real figure is worse).
        latencies.append(timing.key if latency is None else latency)
        down = not down
        if until_done is None and len(latencies) >= 10:
            return latencies
        if until_done is not None and down:
            try:
                done = app.wait_event("poll done", after=until_done, timeout=0)
            except TimeoutError:
                done = None
            if done is not None and time.monotonic() > done + 0.5:
                return latencies
        time.sleep(0.03)


def bench_poll_under_load(api: DemoProcess, timing: Timing, *, target: bool) -> list[Row]:
    """A full poll of N (1% of posts changed, none on screen) with keys typed throughout."""
    home = _scratch()
    n = f"{api.posts:,}"
    stall_what = f"UI stall: longest loop block while a poll of N={n} is applied"
    key_what = f"key latency (j/k → cursor repainted) during a poll of N={n}, worst"
    rss_what = f"peak RSS after two full polls, N={n}"
    limit = 50 if target else None
    with PtyApp([], env=app_env(home, api.env()), size=SIZE, heartbeat=home / "hb") as app:
        try:
            app.wait_for(_loaded_marker(api.posts), timeout=timing.load)
        except TimeoutError:
            note = f"not measured: the first load took over {timing.load:g} s"
            return [
                Row("3", stall_what, float("nan"), "ms", target=limit, note=note),
                Row("7", key_what, float("nan"), "ms", target=limit, note=note),
            ]
        time.sleep(timing.settle)
        idle = _press_keys(app, timing)
        # Off screen (from the 51st post), so the keys' answers are the only table repaints.
        api.touch(1, offset=50)
        poll_started = app.send(CTRL_R)
        during = _press_keys(app, timing, until_done=poll_started)
        poll_done = app.wait_event("poll done", after=poll_started, timeout=timing.poll)
        time.sleep(0.5)
        stall = app.longest_stall(poll_started, poll_done + 0.5)
        rss = app.peak_rss_mb()
    return [
        Row(
            "3",
            stall_what,
            stall,
            "ms",
            target=limit,
            note=f"poll took {poll_done - poll_started:.1f} s"
            + ("; no stall above 5 ms, the heartbeat's threshold" if stall <= 5 else ""),
        ),
        Row(
            "7",
            key_what,
            max(during) * 1000,
            "ms",
            baseline=statistics.median(idle) * 1000,
            baseline_what="idle, median",
            target=limit,
            note=f"{len(during)} keys, median {statistics.median(during) * 1000:.0f} ms",
        ),
        Row("6", rss_what, rss, "MB", target=300),
    ]


# ---------------------------------------------------------------- 4 bytes to the terminal


def _poll_bytes(app: PtyApp, timing: Timing) -> int:
    """Bytes written from ctrl+r until the poll's result is on screen (+0.5 s to finish)."""
    sent = app.send(CTRL_R)
    done = app.wait_event("poll done", after=sent, timeout=timing.poll)
    time.sleep(max(0.0, done + 0.5 - time.monotonic()))
    return app.bytes_between(sent, done + 0.5)


def _bytes_run(
    api: DemoProcess, timing: Timing, *, naive: bool, clock: bool
) -> tuple[int, int, float | None, float]:
    home = _scratch()
    extra = dict(api.env())
    if naive:
        extra["SOKU_BENCH_NAIVE_REPAINT"] = "1"
    with PtyApp([], env=app_env(home, extra), size=SIZE, heartbeat=home / "hb") as app:
        app.wait_for(_loaded_marker(api.posts), timeout=timing.load)
        time.sleep(timing.settle)
        rate = None
        if clock:
            since = time.monotonic()
            time.sleep(timing.clock_window)
            rate = app.bytes_between(since, time.monotonic()) / timing.clock_window
        idle = _poll_bytes(app, timing)
        api.touch(1, offset=7)  # every 100th post from the 8th: one of them on screen
        changed = _poll_bytes(app, timing)
        rss = app.peak_rss_mb()
    return idle, changed, rate, rss


def bench_terminal_bytes(api: DemoProcess, timing: Timing) -> list[Row]:
    idle, changed, rate, rss = _bytes_run(api, timing, naive=False, clock=True)
    naive_idle, naive_changed, _, _ = _bytes_run(api, timing, naive=True, clock=False)
    n = f"{api.posts:,}"
    assert rate is not None
    return [
        Row(
            "4",
            f"bytes to the terminal, idle poll (ctrl+r), {SIZE[0]}×{SIZE[1]}, N={n}",
            idle,
            "B",
            baseline=naive_idle,
            baseline_what="full repaint",
            target=512,
        ),
        Row(
            "4",
            f"bytes to the terminal, poll changing 1% of posts, N={n}",
            changed,
            "B",
            baseline=naive_changed,
            baseline_what="full repaint",
            target=4096,
        ),
        Row(
            "4",
            f"bytes to the terminal between polls (freshness clock), over "
            f"{timing.clock_window:g} s",
            rate,
            "B/s",
            target=100,
        ),
        Row("6", f"peak RSS after two polls, N={n}", rss, "MB", target=300),
    ]
