"""Small durable-file helpers shared by the local state files (retry ledger, acknowledgements).

* :func:`atomic_write_bytes` — temporary file in the same directory, fsync, ``os.replace``,
  fsync of the directory: a reader sees the old file or the new one, never half of one,
  and the rename survives a power cut.
* :func:`exclusive_lock` — an ``flock`` on a sibling lock file, so read-modify-write by two
  soku-tui processes never loses either one's change.
* :func:`aside_path` — where a file we cannot read is moved (``<name>.corrupt-<time>``),
  so it is kept for a human instead of silently dropped.
* :func:`file_identity` — (inode, size, mtime) to tell cheaply whether a file changed.
* :class:`JsonRecordFile` — the above put together for a JSON file of records by id,
  which is what every local state file is.

Every file and directory is created private to the user (0600 / 0700): these files hold
captions, account names and notes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar

import orjson

__all__ = [
    "JsonRecordFile",
    "aside_path",
    "atomic_write_bytes",
    "exclusive_lock",
    "file_identity",
    "fsync_dir",
]

T = TypeVar("T")


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


class JsonRecordFile(Generic[T]):
    """Records by id in ``{"version": N, "<key>": {id: record, ...}}``, kept durably.

    The parsed file is cached by :func:`file_identity`: :meth:`refresh` is cheap until
    someone rewrites the file. Changes go through :meth:`transaction`, under
    :func:`exclusive_lock` on ``<name>.lock``.

    A file that cannot be read is never a crash and never silently lost. If some records
    are readable they are kept and the original is copied aside; if none are, the file is
    moved aside (:func:`aside_path`). ``warn`` is then told, in the words of
    ``partly_unreadable`` or ``unreadable`` (templates with ``{path}`` and ``{aside}``).

    ``decode(id, raw)`` raises KeyError, TypeError or ValueError for a record it cannot
    read. At each write, a record stays if ``retain(record, now - keep)``.
    """

    def __init__(
        self,
        path: Path,
        *,
        key: str,
        version: int,
        decode: Callable[[str, Any], T],
        encode: Callable[[T], object],
        retain: Callable[[T, datetime], bool],
        keep: timedelta,
        clock: Callable[[], datetime],
        unreadable: str,
        partly_unreadable: str,
        warn: Callable[[str], None],
    ) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._key = key
        self._version = version
        self._decode = decode
        self._encode = encode
        self._retain = retain
        self._keep = keep
        self._clock = clock
        self._unreadable = unreadable
        self._partly_unreadable = partly_unreadable
        self._warn = warn
        self._records: dict[str, T] = {}
        self._identity: tuple[int, ...] | None = None  # None: never read

    @property
    def records(self) -> Mapping[str, T]:
        """The records as last read or written (change them with :meth:`transaction`)."""
        return self._records

    def refresh(self) -> bool:
        """Re-read the file if it changed since it was last seen. True if the records did."""
        identity = file_identity(self.path)
        if identity == self._identity:
            return False
        records, damaged = self._read()
        if damaged is not None:
            # Only a repair writes, so only a repair needs the lock: an atomic replace
            # means a plain read never sees half a file.
            with exclusive_lock(self._lock_path):
                records = self._read_repairing()
                identity = file_identity(self.path)
        changed = records != self._records
        self._records, self._identity = records, identity
        return changed

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, T]]:
        """Read-modify-write under the cross-process lock; :attr:`records` follows.

        Yields the records read afresh under the lock; what the dict holds when the block
        ends without an exception is written back atomically (if it changed).
        """
        with exclusive_lock(self._lock_path):
            records = self._read_repairing()
            before = dict(records)
            yield records
            if records != before:
                self._write(records)
            self._records = dict(records)
            # Inside the lock, so the identity is that of the file just written.
            self._identity = file_identity(self.path)

    def _read(self) -> tuple[dict[str, T], bytes | None]:
        """The readable records, and the file's content if any of it was unreadable."""
        try:
            content = self.path.read_bytes()
        except FileNotFoundError:
            return {}, None
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            return {}, content
        if not isinstance(data, dict) or not isinstance(data.get(self._key), dict):
            return {}, content
        records: dict[str, T] = {}
        damaged = False
        for record_id, raw in data[self._key].items():
            try:
                records[record_id] = self._decode(record_id, raw)
            except (KeyError, TypeError, ValueError):
                damaged = True
        return records, content if damaged else None

    def _read_repairing(self) -> dict[str, T]:
        """Under the lock: read, keeping anything unreadable beside the file."""
        records, original = self._read()
        if original is None:
            return records
        aside = aside_path(self.path, self._clock())
        if records:
            # Some records are fine: keep using them, keep the original for a human.
            atomic_write_bytes(aside, original)
            self._write(records)
            template = self._partly_unreadable
        else:
            # Only something other than soku-tui can have removed it since: nothing to keep.
            with contextlib.suppress(FileNotFoundError):
                os.replace(self.path, aside)
            template = self._unreadable
        self._warn(template.format(path=self.path, aside=aside))
        return records

    def _write(self, records: dict[str, T]) -> None:
        cutoff = self._clock() - self._keep
        for record_id in [r for r, record in records.items() if not self._retain(record, cutoff)]:
            del records[record_id]  # the caller's view follows what is on disk
        content = orjson.dumps(
            {
                "version": self._version,
                self._key: {r: self._encode(records[r]) for r in sorted(records)},
            },
            option=orjson.OPT_INDENT_2,
        )
        atomic_write_bytes(self.path, content)
