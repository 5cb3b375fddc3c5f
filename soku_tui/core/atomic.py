"""Small durable-file helpers shared by the local state files (retry ledger, acknowledgements).

* :func:`atomic_write_bytes` — temporary file in the same directory, fsync, ``os.replace``,
  fsync of the directory: a reader sees the old file or the new one, never half of one,
  and the rename survives a power cut.
* :func:`exclusive_lock` — an ``flock`` on a sibling lock file, so read-modify-write by two
  soku-tui processes never loses either one's change.
* :func:`aside_path` — where a file we cannot read is moved (``<name>.corrupt-<time>``),
  so it is kept for a human instead of silently dropped.
* :func:`file_identity` — (inode, size, mtime) to tell cheaply whether a file changed.

Every file and directory is created private to the user (0600 / 0700): these files hold
captions, account names and notes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["aside_path", "atomic_write_bytes", "exclusive_lock", "file_identity", "fsync_dir"]


def atomic_write_bytes(path: Path, content: bytes) -> None:
    """Replace ``path`` with ``content`` atomically and durably (mode 0600).

    On any failure the old file is left as it was and no temporary file remains.
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkstemp creates the file 0600, so the content is never readable by others.
    fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    fsync_dir(directory)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (some filesystems refuse; that is not fatal)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in (errno.EINVAL, errno.EBADF):
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``lock_path`` (created 0600) for the block.

    Blocks until the lock is free. The lock dies with the process, so a crash never
    leaves it held.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def aside_path(path: Path, now: datetime) -> Path:
    """A free name beside ``path`` for keeping an unreadable copy: ``<name>.corrupt-<UTC time>``."""
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    counter = 1
    while candidate.exists():
        counter += 1
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{counter}")
    return candidate


def file_identity(path: Path) -> tuple[int, ...]:
    """(inode, size, mtime_ns) of ``path``; ``()`` when it does not exist.

    An ``os.replace`` always changes the inode, so a rewrite is seen even within one
    mtime tick.
    """
    try:
        stat = path.stat()
    except FileNotFoundError:
        return ()
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)
