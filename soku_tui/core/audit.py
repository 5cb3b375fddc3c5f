"""The audit log: one JSON line per retry event, appended and fsynced.

On-call hand-offs and post-mortems need to know who re-published what, when, with
which idempotency key and what Soku answered, even if the process was killed a moment
later. So every event is one ``write`` of one line to a file opened with ``O_APPEND``
(concurrent monitors never interleave), flushed and fsynced before we go on. The file
is private to the user (mode 0600). The API key is never handed to this module, and
any ``sk_live_…`` token in server text is masked anyway (defence in depth: a proxy
that echoes the request headers into its error page must not leak the key to disk).
"""

from __future__ import annotations

import fcntl
import getpass
import logging
import os
import re
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import orjson
import platformdirs

log = logging.getLogger("soku_tui")

_KEY_PATTERN: Final = re.compile(r"sk_live_[A-Za-z0-9_\-]+")
# Server text is untrusted and unbounded; an audit line stays readable.
MAX_TEXT: Final = 500
# How far back read_recent looks, in bytes read per step from the end of the file.
_CHUNK: Final = 64 * 1024


def redact_secrets(text: str) -> str:
    """Mask anything that looks like a Soku API key (``sk_live_…``) in free text."""
    return _KEY_PATTERN.sub("sk_live_…", text)


def _clip(text: str) -> str:
    text = redact_secrets(text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def default_audit_path() -> Path:
    """``$XDG_STATE_HOME/soku-tui/audit.jsonl`` (or the platform's equivalent)."""
    return platformdirs.user_state_path("soku-tui") / "audit.jsonl"


def _local_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no $USER: a container, typically
        return f"uid:{os.getuid()}"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One line of the audit log.

    ``action`` is what was done (``retry``, ``follow``; later ``acknowledge``) and
    ``outcome`` how it ended (``accepted``, ``rejected``, ``unreachable``,
    ``already_retried``, ``refused``, ``succeeded``, ``failed``, ``timeout``, …).
    """

    action: str
    outcome: str
    post_id: str
    targets: tuple[str, ...] = ()
    idempotency_key: str | None = None
    new_post_id: str | None = None
    http_status: int | None = None
    error: str = ""
    note: str = ""
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    user: str = ""
    host: str = ""
    pid: int = 0
    session: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "time": self.time.astimezone(UTC).isoformat(timespec="milliseconds"),
            "user": self.user,
            "host": self.host,
            "pid": self.pid,
            "session": self.session,
            "action": self.action,
            "outcome": self.outcome,
            "post_id": self.post_id,
            "targets": list(self.targets),
            "idempotency_key": self.idempotency_key,
            "new_post_id": self.new_post_id,
            "http_status": self.http_status,
            "error": _clip(self.error),
            "note": _clip(self.note),
        }

    @classmethod
    def from_json(cls, data: Any) -> AuditEvent | None:
        """Read one decoded line back; None if it is not an audit event."""
        if not isinstance(data, dict):
            return None
        try:
            when = datetime.fromisoformat(str(data["time"]))
            targets = data.get("targets") or []
            status = data.get("http_status")
            return cls(
                action=str(data["action"]),
                outcome=str(data["outcome"]),
                post_id=str(data["post_id"]),
                targets=tuple(str(t) for t in targets) if isinstance(targets, list) else (),
                idempotency_key=_opt_str(data.get("idempotency_key")),
                new_post_id=_opt_str(data.get("new_post_id")),
                http_status=status if isinstance(status, int) else None,
                error=str(data.get("error") or ""),
                note=str(data.get("note") or ""),
                time=when if when.tzinfo else when.replace(tzinfo=UTC),
                user=str(data.get("user") or ""),
                host=str(data.get("host") or ""),
                pid=data["pid"] if isinstance(data.get("pid"), int) else 0,
                session=str(data.get("session") or ""),
            )
        except (KeyError, ValueError, TypeError):
            return None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class AuditLog:
    """Append-only JSONL log of retry events, private to the user.

    ``session`` tells this process's events apart from earlier runs and other
    monitors (the actions log screen shows "this session").
    """

    def __init__(self, path: Path, *, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self.session = uuid.uuid4().hex[:12]
        # Everything this session writes comes after this offset: "this session's events"
        # never reads the years of history before it (the file is never rotated).
        try:
            self._session_start = path.stat().st_size
        except OSError:
            self._session_start = 0
        self._clock = clock or (lambda: datetime.now(UTC))
        self._user = _local_user()
        self._host = socket.gethostname()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def record(
        self,
        action: str,
        outcome: str,
        *,
        post_id: str,
        targets: Iterable[str] = (),
        idempotency_key: str | None = None,
        new_post_id: str | None = None,
        http_status: int | None = None,
        error: str = "",
        note: str = "",
    ) -> AuditEvent:
        """Append one event (stamped with time, user, host, pid, session) and fsync it."""
        event = AuditEvent(
            action=action,
            outcome=outcome,
            post_id=post_id,
            targets=tuple(targets),
            idempotency_key=idempotency_key,
            new_post_id=new_post_id,
            http_status=http_status,
            error=error,
            note=note,
            time=self._clock(),
            user=self._user,
            host=self._host,
            pid=os.getpid(),
            session=self.session,
        )
        self.append(event)
        return event

    def append(self, event: AuditEvent) -> None:
        line = orjson.dumps(event.to_json()) + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # A file created by hand or by an older version may be world-readable.
            if os.fstat(fd).st_mode & 0o077:
                os.fchmod(fd, 0o600)
            # O_APPEND makes each write land at the end; the lock keeps a partial write
            # (disk full, signal) from another monitor from splicing into ours.
            fcntl.flock(fd, fcntl.LOCK_EX)
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)  # closing releases the lock

    def read_recent(
        self, limit: int = 200, *, session: str | None = None
    ) -> tuple[AuditEvent, ...]:
        """The last ``limit`` events, oldest first; unreadable lines are skipped and logged.

        ``session``: only events of that session (``self.session`` for "this session").
        """
        if limit <= 0:
            return ()
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return ()
        events: list[AuditEvent] = []
        bad = 0
        start = self._session_start if session == self.session else 0
        with handle:
            for raw in _lines_from_end(handle, start):
                try:
                    event = AuditEvent.from_json(orjson.loads(raw))
                except orjson.JSONDecodeError:
                    event = None
                if event is None:
                    bad += 1
                    continue
                if session is not None and event.session != session:
                    continue
                events.append(event)
                if len(events) >= limit:
                    break
        if bad:
            log.warning("audit log %s: skipped %d unreadable line(s)", self.path, bad)
        events.reverse()
        return tuple(events)


def _lines_from_end(handle: Any, start: int = 0) -> Iterable[bytes]:
    """Yield the non-empty lines of a binary file from offset ``start`` on, last line
    first, reading backwards."""
    handle.seek(0, os.SEEK_END)
    position: int = handle.tell()
    start = min(start, position)
    tail = b""
    while position > start:
        step = min(_CHUNK, position - start)
        position -= step
        handle.seek(position)
        block: bytes = handle.read(step) + tail
        lines = block.split(b"\n")
        # The first piece may be the end of a line that starts in an earlier block.
        tail = lines[0]
        for line in reversed(lines[1:]):
            if line.strip():
                yield line
    if tail.strip():
        yield tail


__all__ = ["AuditEvent", "AuditLog", "default_audit_path", "redact_secrets"]
