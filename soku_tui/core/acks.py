"""Acknowledgements: "I have seen this failure" (or handled it), with an optional note.

An on-call person marks a failed post as acknowledged so the next shift — or the same
person after a break — can tell handled failures from new ones. Acknowledgements are
local to this user: one JSON file under the state directory (``acks.json``), shared by
every soku-tui process of the user, and included in ``soku-tui failed --json``.

Durability follows the retry ledger (:mod:`soku_tui.core.atomic`): atomic replace, a
cross-process lock for read-modify-write, and a file we cannot read is moved aside
(``acks.json.corrupt-<time>``) with a warning, never silently dropped and never a crash.

Reads are in-memory: ``get()`` is called for every row of a 50,000-post table, so it is a
dict lookup. The file is re-read only by :meth:`AckStore.refresh` (once per poll) and
inside every write (under the lock, so two monitors never lose each other's changes).

Notes are user text: stored as typed (except that anything shaped like a Soku API key is
masked — a key pasted by mistake must not land on disk) and sanitised only when shown.

An acknowledgement records which runs were failing when it was made (``failures``), so a
screen can tell "acknowledged" from "acknowledged, but something new failed since"
(:meth:`Ack.covers`). Every change is also appended to the audit log, action
``acknowledge`` (outcome ``acknowledged`` or ``withdrawn``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from soku_tui.core.atomic import JsonRecordFile
from soku_tui.core.audit import AuditLog, _local_user, redact_secrets
from soku_tui.core.models import Submission
from soku_tui.core.timestamps import iso_z

__all__ = [
    "ACKS_FILENAME",
    "Ack",
    "AckStore",
    "failure_keys",
    "local_user",
]

log = logging.getLogger("soku_tui")

ACKS_FILENAME: Final = "acks.json"
FORMAT_VERSION: Final = 1
# Acknowledgements older than this are dropped at the next write: their failures are
# long resolved or long forgotten, and the file stays small.
DEFAULT_KEEP: Final = timedelta(days=30)
AUDIT_ACTION: Final = "acknowledge"


def local_user() -> str:
    """The login name, for ``by`` when the user does not give one (what the audit log
    records as ``user``)."""
    return _local_user()


def failure_keys(submission: Submission) -> tuple[str, ...]:
    """The failing runs of a post as ``"<target_id>@<attempt>"``, sorted.

    A new attempt that fails again is a new key, so it is not covered by an older
    acknowledgement.
    """
    return tuple(sorted({f"{run.target_id}@{run.attempt}" for run in submission.failed_runs}))


@dataclass(frozen=True, slots=True)
class Ack:
    """One acknowledgement. ``note`` is raw user text: sanitise it before showing."""

    post_id: str
    by: str
    at: datetime
    note: str | None = None
    failures: tuple[str, ...] = ()

    def covers(self, submission: Submission) -> bool:
        """True if every run failing now was already failing when this was made.

        An acknowledgement made without a submission (``failures == ()``) covers
        whatever the post shows.
        """
        if not self.failures:
            return True
        return set(failure_keys(submission)) <= set(self.failures)

    def to_json(self) -> dict[str, Any]:
        """The shape written to disk and shown by ``failed --json`` (plus ``failures``)."""
        return {
            "by": self.by,
            "at": iso_z(self.at),
            "note": self.note,
            "failures": list(self.failures),
        }

    @classmethod
    def from_json(cls, post_id: str, data: Any) -> Ack:
        """Raises ValueError/TypeError/KeyError if ``data`` is not an acknowledgement."""
        if not isinstance(data, dict):
            raise TypeError("acknowledgement is not an object")
        by = data["by"]
        note = data.get("note")
        failures = data.get("failures") or []
        if not isinstance(by, str) or not (note is None or isinstance(note, str)):
            raise TypeError("'by' must be a string and 'note' a string or null")
        if not isinstance(failures, list) or not all(isinstance(f, str) for f in failures):
            raise TypeError("'failures' must be a list of strings")
        at = datetime.fromisoformat(str(data["at"]))
        return cls(
            post_id=post_id,
            by=by,
            at=at if at.tzinfo else at.replace(tzinfo=UTC),
            note=note,
            failures=tuple(failures),
        )


class AckStore:
    """The acknowledgements of this user, on disk at ``path``.

    ``audit``: where each change is also recorded (None: not audited, for tests).
    ``clock``: the time stamped on acknowledgements (tests pass a fixed one).
    """

    def __init__(
        self,
        path: Path,
        *,
        audit: AuditLog | None = None,
        clock: Callable[[], datetime] | None = None,
        keep: timedelta = DEFAULT_KEEP,
    ) -> None:
        self.path = path
        self.audit = audit
        self._clock = clock or (lambda: datetime.now(UTC))
        self._warnings: list[str] = []
        self._file: JsonRecordFile[Ack] = JsonRecordFile(
            path,
            key="acks",
            version=FORMAT_VERSION,
            decode=Ack.from_json,
            encode=Ack.to_json,
            retain=lambda ack, cutoff: ack.at >= cutoff,
            keep=keep,
            clock=self._clock,
            unreadable=(
                "acknowledgements file {path} could not be read; it was moved to "
                "{aside} and a new one started"
            ),
            partly_unreadable=(
                "acknowledgements file {path}: some entries could not be read and were "
                "left out; the original is kept as {aside}"
            ),
            warn=self._warn,
        )
        self.refresh()

    @classmethod
    def in_state_dir(
        cls, state_dir: Path, *, audit: AuditLog | None = None, **kwargs: Any
    ) -> AckStore:
        """The store at ``<state_dir>/acks.json`` (where the CLI and the monitor keep it)."""
        return cls(state_dir / ACKS_FILENAME, audit=audit, **kwargs)

    def __repr__(self) -> str:
        return f"AckStore({str(self.path)!r}, {len(self._file.records)} acknowledged)"

    # -- reading (in memory) ---------------------------------------------------------------

    def get(self, post_id: str) -> Ack | None:
        """The acknowledgement of ``post_id``, or None. A dict lookup: no disk access."""
        return self._file.records.get(post_id)

    def all(self) -> tuple[Ack, ...]:
        """Every acknowledgement, oldest first."""
        acks = self._file.records.values()
        return tuple(sorted(acks, key=lambda ack: (ack.at, ack.post_id)))

    def as_mapping(self) -> Mapping[str, Ack]:
        """Post id → acknowledgement (a copy; for renderers that look many up)."""
        return dict(self._file.records)

    def __len__(self) -> int:
        return len(self._file.records)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._file.records

    def refresh(self) -> bool:
        """Re-read the file if another process changed it. True if anything changed."""
        return self._file.refresh()

    def take_warnings(self) -> list[str]:
        """Warnings since the last call (a corrupt file moved aside, an audit failure)."""
        warnings, self._warnings = self._warnings, []
        return warnings

    # -- writing ---------------------------------------------------------------------------

    def acknowledge(
        self,
        post_id: str,
        note: str | None,
        by: str,
        *,
        submission: Submission | None = None,
    ) -> Ack:
        """Acknowledge ``post_id`` (again: replaces the earlier note), persist, audit.

        ``submission``: the post as shown, so the acknowledgement remembers which runs
        were failing (see :meth:`Ack.covers`). Raises ``OSError`` if it cannot be saved.
        """
        if note is not None:
            note = redact_secrets(note)
            if not note.strip():
                note = None
        ack = Ack(
            post_id=post_id,
            by=by,
            at=self._clock(),
            note=note,
            failures=failure_keys(submission) if submission is not None else (),
        )
        with self._file.transaction() as acks:
            acks[post_id] = ack
        self._audit("acknowledged", post_id, ack.failures, note or "")
        return ack

    def unacknowledge(self, post_id: str) -> Ack | None:
        """Withdraw the acknowledgement of ``post_id``; returns it, or None if there was none."""
        with self._file.transaction() as acks:
            removed = acks.pop(post_id, None)
        if removed is not None:
            self._audit("withdrawn", post_id, removed.failures, "")
        return removed

    def _audit(self, outcome: str, post_id: str, targets: tuple[str, ...], note: str) -> None:
        if self.audit is None:
            return
        try:
            self.audit.record(AUDIT_ACTION, outcome, post_id=post_id, targets=targets, note=note)
        except OSError as exc:
            # The acknowledgement itself is saved; losing its audit line is worth a
            # warning, not an error the user has to deal with.
            self._warn(f"could not write the audit log {self.audit.path} ({exc.strerror or exc})")

    def _warn(self, message: str) -> None:
        log.warning("%s", message)
        self._warnings.append(message)
