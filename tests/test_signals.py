"""SSH drops and `kill`: the monitor ends cleanly and quickly, in a real terminal (a pty).

Each test starts ``python -m soku_tui --demo`` on a pseudo-terminal of 120×36 that is
its controlling terminal (as a login shell's would be), waits until failed posts are on
screen, then hangs up, terminates, or closes the terminal. Waits before the signal are
generous (a loaded machine may start slowly); the 2 s bound is on the exit after it.
"""

from __future__ import annotations

import fcntl
import os
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX terminals only")

ROWS, COLUMNS = 36, 120
START_TIMEOUT = 60.0  # safety net only: first rows normally show in well under a second
EXIT_BOUND = 2.0  # what the issue asks after SIGHUP / SIGTERM
GONE_BOUND = 5.0  # after the terminal disappears (it also hangs up the session)
# The header's count, drawn once the first poll has put rows in the table.
ROWS_SHOWN = re.compile(rb"\d+ posts \S+ \d+ runs failing")
LEAVE_ALT_SCREEN = b"\x1b[?1049l"


@dataclass
class Terminal:
    process: subprocess.Popen[bytes]
    master: int | None
    output: bytearray = field(default_factory=bytearray)

    def read_available(self, timeout: float) -> None:
        """Drain what the app wrote (a full pty buffer would block its exit)."""
        if self.master is None:
            time.sleep(timeout)
            return
        readable, _, _ = select.select([self.master], [], [], timeout)
        if readable:
            try:
                self.output += os.read(self.master, 65536)
            except OSError:  # EIO once the child side is closed
                time.sleep(timeout)

    def wait_for_rows(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not ROWS_SHOWN.search(_plain(self.output)):
            assert self.process.poll() is None, f"the monitor exited early: {self.tail()}"
            assert time.monotonic() < deadline, f"no rows on screen: {self.tail()}"
            self.read_available(0.05)

    def wait_exit(self, bound: float) -> float:
        """Seconds until the process ended; fails (after killing it) beyond ``bound``."""
        started = time.monotonic()
        while self.process.poll() is None:
            elapsed = time.monotonic() - started
            if elapsed > bound:
                self.process.kill()
                self.process.wait(10)
                pytest.fail(f"still running {elapsed:.1f} s after the signal: {self.tail()}")
            self.read_available(0.02)
        return time.monotonic() - started

    def close(self) -> None:
        if self.master is not None:
            os.close(self.master)
            self.master = None

    def tail(self) -> str:
        return _plain(self.output)[-600:].decode("utf-8", "replace")


def _plain(data: bytes | bytearray) -> bytes:
    return re.sub(rb"\x1b\[[0-9;?<>=$]*[ -/]*[@-~]", b"", bytes(data))


def _take_terminal() -> None:
    # In the child, before exec: make the pty (stdin) the controlling terminal of the new
    # session, so closing it hangs the session up, as sshd does.
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOKU_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        TERM="xterm-256color",
        LINES=str(ROWS),
        COLUMNS=str(COLUMNS),
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "soku_tui", "--demo"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=_take_terminal,  # only an ioctl, then exec
    )
    os.close(slave)
    term = Terminal(process, master)
    try:
        yield term
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        term.close()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGTERM], ids=["SIGHUP", "SIGTERM"])
def test_a_signal_ends_the_monitor_cleanly_within_two_seconds(
    terminal: Terminal, signum: signal.Signals
) -> None:
    terminal.wait_for_rows()
    before = len(terminal.output)

    terminal.process.send_signal(signum)
    terminal.wait_exit(EXIT_BOUND)

    # An orderly exit, not death by the signal's default action (a negative status) …
    assert terminal.process.returncode == 0
    # … which gives the terminal back: the alternate screen is left, the cursor shown.
    terminal.read_available(0.2)
    assert LEAVE_ALT_SCREEN in terminal.output[before:]


def test_the_terminal_going_away_ends_the_monitor(terminal: Terminal) -> None:
    terminal.wait_for_rows()

    terminal.close()  # sshd closing the pty when the link drops
    terminal.wait_exit(GONE_BOUND)

    # Ended by itself, not killed by the hang-up, and no process is left behind.
    assert terminal.process.returncode >= 0
    with pytest.raises(ProcessLookupError):
        os.kill(terminal.process.pid, 0)
