"""The retry ledger: what we re-published, under which idempotency key, and how it went.

The ledger is what makes "never publish twice" survive a crash, a restart and a second
monitor. It is one small JSON file under the user's state directory, keyed by the
idempotency key. A retry writes its ``pending`` entry *before* the POST, so a kill -9
between send and answer leaves a record, and the next retry re-sends the same key
(which Soku deduplicates) instead of inventing a new one.

Durability: every write goes to a temporary file in the same directory, is fsynced,
then ``os.replace``-d over the ledger, and the directory is fsynced — a reader sees the
old ledger or the new one, never half of one. Read-modify-write runs under an
exclusive ``flock`` on a sibling lock file, so two monitors never lose each other's
entries. A ledger we cannot read is moved aside (``<name>.corrupt-<time>``) with a
warning: never a crash, never silently dropped.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import platformdirs

from soku_tui.core.atomic import JsonRecordFile
from soku_tui.core.audit import redact_secrets

log = logging.getLogger("soku_tui")

LedgerState = Literal["pending", "accepted", "rejected", "succeeded", "failed"]
LEDGER_STATES: Final[tuple[LedgerState, ...]] = (
    "pending",
    "accepted",
    "rejected",
    "succeeded",
    "failed",
)
# States meaning "Soku created a new submission for these runs": retrying them again at
# the same attempt would publish twice.
DONE_STATES: Final = frozenset({"accepted", "succeeded", "failed"})
FORMAT_VERSION: Final = 1
DEFAULT_KEEP: Final = timedelta(days=30)
_MAX_ERROR: Final = 500
# How stale RetryLedger's reads may be before the file is looked at again.
RECHECK_SECONDS: Final = 0.05


def default_ledger_path() -> Path:
    """``$XDG_STATE_HOME/soku-tui/retry-ledger.json`` (or the platform's equivalent)."""
    return platformdirs.user_state_path("soku-tui") / "retry-ledger.json"


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One logical retry: a set of runs of one post, re-sent under one key.

    ``targets`` maps each retried target id to the attempt it had failed at (runs of
    one post may in principle be at different attempts). ``sends`` counts the POSTs
    made with this key — more than one means a crash or a lost answer was recovered.
    ``pid``/``host`` name the process that last sent it, so a ``pending`` entry left
    by a dead process can be told apart from one still in flight.
    """

    key: str
    post_id: str
    targets: tuple[tuple[str, int], ...]
    attempt: int
    state: LedgerState
    created_at: datetime
    updated_at: datetime
    new_post_id: str | None = None
    http_status: int | None = None
    error: str = ""
    final_status: str | None = None
    sends: int = 0
    pid: int = field(default_factory=os.getpid)
    host: str = field(default_factory=socket.gethostname)

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(target for target, _ in self.targets)

    def attempt_for(self, target_id: str) -> int | None:
        for target, attempt in self.targets:
            if target == target_id:
                return attempt
        return None

    def covers(self, target_id: str, attempt: int) -> bool:
        """Whether this entry retried ``target_id`` as failed at ``attempt``."""
        return self.attempt_for(target_id) == attempt

    @property
    def is_done(self) -> bool:
        return self.state in DONE_STATES

    @property
    def owner_is_gone(self) -> bool:
        """True if the process that wrote this entry is known to be dead (same host only)."""
        if self.host != socket.gethostname():
            return False
        if self.pid == os.getpid():
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:  # alive, owned by someone else
            return False
        return False

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "post_id": self.post_id,
            "targets": {target: attempt for target, attempt in self.targets},
            "attempt": self.attempt,
            "state": self.state,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
            "new_post_id": self.new_post_id,
            "http_status": self.http_status,
            "error": self.error,
            "final_status": self.final_status,
            "sends": self.sends,
            "pid": self.pid,
            "host": self.host,
        }

    @classmethod
    def from_json(cls, key: str, data: Any) -> LedgerEntry:
        """Raises ValueError/TypeError/KeyError if ``data`` is not a ledger entry."""
        if not isinstance(data, dict):
            raise TypeError("entry is not an object")
        state = data["state"]
        if state not in LEDGER_STATES:
            raise ValueError(f"unknown state {state!r}")
        raw_targets = data["targets"]
        if not isinstance(raw_targets, dict) or not raw_targets:
            raise TypeError("targets is not a non-empty object")
        targets = tuple(sorted((str(t), _int(a)) for t, a in raw_targets.items()))
        status = data.get("http_status")
        return cls(
            key=key,
            post_id=str(data["post_id"]),
            targets=targets,
            attempt=_int(data["attempt"]),
            state=state,
            created_at=_parse_time(data["created_at"]),
            updated_at=_parse_time(data["updated_at"]),
            new_post_id=_opt_str(data.get("new_post_id")),
            http_status=status if isinstance(status, int) else None,
            error=str(data.get("error") or ""),
            final_status=_opt_str(data.get("final_status")),
            sends=_int(data.get("sends", 0)),
            pid=_int(data.get("pid", 0)),
            host=str(data.get("host") or ""),
        )


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds")


def _parse_time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def clip_error(text: str) -> str:
    """An error summary fit for the ledger: no key-like tokens, bounded length."""
    text = redact_secrets(" ".join(text.split()))
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 1] + "…"


class _Snapshot:
    """The parsed ledger, indexed by post as well."""

    __slots__ = ("by_post", "entries")

    def __init__(self, entries: Mapping[str, LedgerEntry]) -> None:
        self.entries = entries
        by_post: dict[str, list[LedgerEntry]] = {}
        for entry in entries.values():
            by_post.setdefault(entry.post_id, []).append(entry)
        self.by_post = {post: tuple(items) for post, items in by_post.items()}


class RetryLedger:
    """The on-disk ledger of retries, shared by every soku-tui process of this user.

    Reads are cheap: the parsed file is cached and re-read only when its identity
    (inode, size, mtime) changes, so a table can ask for every row's state on each
    refresh. ``transaction()`` is the only way to change it.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Callable[[], datetime] | None = None,
        keep: timedelta = DEFAULT_KEEP,
        recheck: float = RECHECK_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = path
        self._clock = clock or (lambda: datetime.now(UTC))
        self._warnings: list[str] = []
        self._file: JsonRecordFile[LedgerEntry] = JsonRecordFile(
            path,
            key="entries",
            version=FORMAT_VERSION,
            decode=LedgerEntry.from_json,
            encode=LedgerEntry.to_json,
            # Old entries go, except unconfirmed ones: those still guard against a re-send
            # under a new key.
            retain=lambda entry, cutoff: entry.updated_at >= cutoff or entry.state == "pending",
            keep=keep,
            clock=self._clock,
            unreadable=(
                "retry ledger {path} could not be read; it was moved to {aside} and a new "
                "one started (retries recorded only there will not be recognised as done)"
            ),
            partly_unreadable=(
                "retry ledger {path}: some entries could not be read and were left out; "
                "the original file is kept as {aside}"
            ),
            warn=self._warn,
        )
        self._snapshot = _Snapshot({})
        self._recheck = recheck
        self._monotonic = monotonic
        self._checked_at = -math.inf  # the first read looks at the file

    def __repr__(self) -> str:
        return f"RetryLedger({str(self.path)!r})"

    def now(self) -> datetime:
        return self._clock()

    # ---- reading -------------------------------------------------------------------

    def entries(self) -> Mapping[str, LedgerEntry]:
        """Every entry by idempotency key, as currently on disk."""
        return self._current().entries

    def get(self, key: str) -> LedgerEntry | None:
        return self._current().entries.get(key)

    def by_post(self) -> Mapping[str, tuple[LedgerEntry, ...]]:
        """Every entry, grouped by post id, as currently on disk."""
        return self._current().by_post

    def for_post(self, post_id: str) -> tuple[LedgerEntry, ...]:
        """Entries of one post, oldest first."""
        items = self._current().by_post.get(post_id, ())
        return tuple(sorted(items, key=lambda e: (e.created_at, e.key)))

    def take_warnings(self) -> list[str]:
        """Warnings raised since the last call (a corrupt ledger moved aside, …)."""
        warnings, self._warnings = self._warnings, []
        return warnings

    def _current(self) -> _Snapshot:
        # The file is looked at (one stat) at most every RECHECK_SECONDS: a table of
        # 50,000 rows asks for each post's retry state, and a stat per row from a worker
        # thread was tens of milliseconds of the event loop waiting for the GIL. Another
        # process's retry shows up that much later; sending one never relies on this
        # (``transaction`` always reads under the lock).
        now = self._monotonic()
        if now - self._checked_at >= self._recheck:
            self._checked_at = now
            if self._file.refresh():
                self._snapshot = _Snapshot(self._file.records)
        return self._snapshot

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self._warnings.append(message)

    # ---- writing -------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[dict[str, LedgerEntry]]:
        """Read-modify-write under the cross-process lock.

        Yields a fresh dict read from disk while holding the lock; whatever it holds when
        the block ends (without an exception) is written back atomically.
        """
        with self._file.transaction() as entries:
            yield entries
        self._snapshot = _Snapshot(self._file.records)

    def put(self, entry: LedgerEntry) -> LedgerEntry:
        with self.transaction() as entries:
            entries[entry.key] = entry
        return entry

    def update(self, key: str, **changes: Any) -> LedgerEntry | None:
        """Change fields of one entry (``updated_at`` is stamped); None if it is gone."""
        with self.transaction() as entries:
            entry = entries.get(key)
            if entry is None:
                return None
            if "error" in changes:
                changes["error"] = clip_error(str(changes["error"]))
            entry = replace(entry, **changes, updated_at=self._clock())
            entries[key] = entry
        return entry


__all__ = [
    "DONE_STATES",
    "LEDGER_STATES",
    "LedgerEntry",
    "LedgerState",
    "RetryLedger",
    "clip_error",
    "default_ledger_path",
]
