"""The real monitor in a real pseudo-terminal, as an SSH user would run it.

``PtyApp`` starts ``python -m soku_tui`` on a pty of a given size, reads everything it
writes (with ``time.monotonic()`` stamps, the same clock as the app's heartbeat), types
keys, and counts bytes. No terminal emulator is involved: the benchmarks look for text
they know the app writes (a row marker, "updated 0 s ago") and count raw bytes, which
is exactly what would cross an SSH link.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import signal
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from soku_tui.ui.heartbeat import KEEP_ABOVE

# A collapsed post row starts with this glyph: the first one on screen means rows are there.
ROW_MARKER = "▸".encode()
# Cursor position sequences: ESC [ row ; col H (1-based).
_CUP = re.compile(rb"\x1b\[(\d+);(\d+)H")


@dataclass
class Chunk:
    at: float  # time.monotonic() when read
    data: bytes


class PtyApp:
    """One monitor process on its own pty."""

    def __init__(
        self,
        args: list[str],
        *,
        env: Mapping[str, str],
        size: tuple[int, int] = (160, 48),
        heartbeat: Path | None = None,
    ) -> None:
        self.size = size
        self.heartbeat = heartbeat
        master, slave = pty.openpty()
        columns, rows = size
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
        full_env = dict(env)
        if heartbeat is not None:
            full_env["SOKU_BENCH_HEARTBEAT"] = str(heartbeat)
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "soku_tui", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=full_env,
            start_new_session=True,  # the pty becomes its controlling terminal
            close_fds=True,
        )
        os.close(slave)
        self._master = master
        self._chunks: list[Chunk] = []
        self._data = bytearray()
        self._lock = threading.Condition()
        self._closed = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    # -- reading -----------------------------------------------------------------------

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self._master, 65536)
            except OSError:
                data = b""
            with self._lock:
                if not data:
                    self._closed = True
                    self._lock.notify_all()
                    return
                self._chunks.append(Chunk(time.monotonic(), data))
                self._data += data
                self._lock.notify_all()

    @property
    def position(self) -> int:
        """Bytes read so far: a mark to search or count from."""
        with self._lock:
            return len(self._data)

    def wait_for(self, needle: bytes, *, start: int = 0, timeout: float = 60.0) -> float:
        """Wait until ``needle`` appears after byte ``start``; returns when it was read."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self._data.find(needle, max(0, start - len(needle)))
                if found >= 0 and found + len(needle) > start:
                    return self._time_of(found + len(needle))
                if self._closed:
                    raise RuntimeError(f"the app exited before writing {needle!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {needle!r} within {timeout:g} s")
                self._lock.wait(min(left, 0.05))

    def wait_output(self, start: int, *, timeout: float, rows: range | None = None) -> float | None:
        """Wait for output after byte ``start`` (that paints one of ``rows``, 1-based, in
        column 1, if given); returns when it was read, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for chunk in self._chunks_after(start):
                    if rows is None or any(
                        int(m[1]) in rows and m[2] == b"1" for m in _CUP.finditer(chunk.data)
                    ):
                        return chunk.at
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._lock.wait(min(left, 0.01))

    def _chunks_after(self, start: int) -> list[Chunk]:
        total = len(self._data)
        picked: list[Chunk] = []
        for chunk in reversed(self._chunks):
            if total <= start:
                break
            picked.append(chunk)
            total -= len(chunk.data)
        picked.reverse()
        return picked

    def _time_of(self, end: int) -> float:
        """When the byte just before ``end`` was read."""
        total = 0
        for chunk in self._chunks:
            total += len(chunk.data)
            if total >= end:
                return chunk.at
        return time.monotonic()

    def bytes_between(self, since: float, until: float) -> int:
        with self._lock:
            return sum(len(c.data) for c in self._chunks if since <= c.at < until)

    def text(self, start: int = 0) -> bytes:
        with self._lock:
            return bytes(self._data[start:])

    # -- writing -----------------------------------------------------------------------

    def send(self, keys: bytes) -> float:
        os.write(self._master, keys)
        return time.monotonic()

    # -- the process -------------------------------------------------------------------

    def peak_rss_mb(self) -> float:
        """The process's peak resident memory (VmHWM) so far, in MB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match[1]) / 1024 if match else float("nan")

    def stalls(self, timeout: float = 60.0) -> list[dict[str, Any]]:
        """Every stats record of the heartbeat, after asking it (SIGUSR1) to write one more
        (it answers from the app's event loop, so only once the loop is free)."""
        if self.heartbeat is None:
            raise RuntimeError("this app was started without a heartbeat")
        before = len(self._records())
        os.kill(self.process.pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while len(records := self._records()) <= before:
            if time.monotonic() > deadline:
                raise TimeoutError("the heartbeat did not write its stats")
            time.sleep(0.05)
        return records

    def wait_event(self, event: str, *, after: float, timeout: float) -> float:
        """Wait until the app notes ``event`` (see soku_tui/ui/heartbeat.py) later than
        ``after`` (time.monotonic()); returns when it happened."""
        deadline = time.monotonic() + timeout
        while True:
            for record in self._lines():
                if record.get("event") == event and record["at"] > after:
                    return float(record["at"])
            if time.monotonic() > deadline:
                raise TimeoutError(f"the app did not note {event!r} within {timeout:g} s")
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited before noting {event!r}")
            time.sleep(0.02)

    def _records(self) -> list[dict[str, Any]]:
        return [record for record in self._lines() if "stalls" in record]

    def _lines(self) -> list[dict[str, Any]]:
        assert self.heartbeat is not None
        if not self.heartbeat.exists():
            return []
        lines = self.heartbeat.read_text().splitlines()
        # A line being written has no newline yet: json fails; it is read next time.
        records = []
        for line in lines:
            try:
                records.append(json.loads(line))
            except ValueError:
                break
        return records

    def longest_stall(self, since: float, until: float) -> float:
        """The longest loop stall (ms) that started in [since, until], from the heartbeat.

        The heartbeat keeps stalls above KEEP_ABOVE (5 ms) only; a window without any
        reads as that threshold, an upper bound, never as 0."""
        longest = KEEP_ABOVE * 1000
        for record in self.stalls():
            for at, ms in record["stalls"]:
                if since <= at <= until:
                    longest = max(longest, ms)
        return longest

    def quit(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            try:
                os.write(self._master, b"q")
                self.process.wait(timeout)
            except (OSError, subprocess.TimeoutExpired):
                self.process.terminate()
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        self._reader.join(2)
        os.close(self._master)

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process.poll() is None and exc[0] is not None:
            self.process.kill()
            self.process.wait()
        self.quit()
