"""The doctor's data: what it is given (:class:`DoctorConfig`), what it finds (one
:class:`Check` per report line) and the whole :class:`DoctorReport` with its exit status.

Pure data, no I/O: the checks live in :mod:`.doctor` (key, network) and
:mod:`.doctor_api` (everything over HTTP), the rendering in ``soku_tui/doctor_output``.
:class:`Recorder` is what the checks write their findings into, and it keeps the time
budget that bounds the whole run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, Literal

import httpx

from soku_tui.core.client import AuthScheme
from soku_tui.exit_codes import ExitCode

CheckStatus = Literal["ok", "fail", "unknown"]
# What a failed check stops; decides the exit status.
Blocker = Literal["unreachable", "auth", "read_api"]

SYMBOLS: Final[dict[CheckStatus, str]] = {"ok": "✓", "fail": "✗", "unknown": "?"}
BLOCKER_EXIT: Final[dict[Blocker, ExitCode]] = {
    "unreachable": ExitCode.UNREACHABLE,
    "auth": ExitCode.AUTH,
    "read_api": ExitCode.BAD_RESPONSE,
}

# Every check, in report order: (id, title). The ids are stable (``--json``).
CHECKS: Final = (
    ("key", "API key"),
    ("key_format", "Key format"),
    ("key_file", "Key file"),
    ("dns", "DNS"),
    ("tcp", "TCP connect"),
    ("tls", "TLS"),
    ("http", "HTTP answer"),
    ("auth", "Authentication"),
    ("subscription", "Subscription"),
    ("list", "List failed posts"),
    ("fields", "Post fields"),
    ("paging", "Paging cursor"),
    ("etag", "ETag"),
    ("get", "Read one post"),
    ("rate_limit", "Rate-limit headers"),
    ("clock", "Clock"),
)
TITLES: Final = dict(CHECKS)

DEFAULT_BUDGET: Final = 10.0
DEFAULT_REQUEST_TIMEOUT: Final = 4.0
# Said on a ✗ line that does not change the exit status.
STILL_WORKS: Final = "soku-tui still works"


@dataclass(frozen=True, slots=True)
class Check:
    """One line of the report."""

    id: str
    title: str
    status: CheckStatus
    summary: str  # what was found, one line
    fix: str | None = None  # what to do about it
    blocks: Blocker | None = None  # set when this check decides the exit status
    details: dict[str, Any] = field(default_factory=dict)  # JSON-able data

    @property
    def symbol(self) -> str:
        return SYMBOLS[self.status]

    @property
    def exit_code(self) -> int | None:
        if self.blocks is None or self.status == "ok":
            return None
        return int(BLOCKER_EXIT[self.blocks])

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "symbol": self.symbol,
            "summary": self.summary,
            "fix": self.fix,
            "blocks": self.blocks,
            "exit_code": self.exit_code,
            "details": self.details,
        }


@dataclass(frozen=True, slots=True)
class DoctorConfig:
    """What the doctor checks, resolved from the settings by the caller.

    ``key_source`` is where the key came from as a user would say it ("env
    SOKU_API_KEY", "key file ~/.config/soku-tui/key"); ``key_origin`` the same as one
    word for ``--json``. ``key_file`` is the file holding the key (a key file or the
    config file), whose permissions are checked.
    """

    base_url: str
    api_key: str | None = field(default=None, repr=False)
    base_url_source: str = "default"
    key_source: str | None = None
    key_origin: Literal["flag", "env", "key_file", "config", "demo"] | None = None
    key_file: Path | None = None
    auth_scheme: AuthScheme = "header"
    auth_scheme_source: str = "default"
    config_file: Path | None = None
    demo: bool = False
    max_body_bytes: int = 10 * 1024 * 1024
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT
    budget: float = DEFAULT_BUDGET
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC), repr=False)
    transport: httpx.AsyncBaseTransport | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class DoctorReport:
    base_url: str
    demo: bool
    auth_scheme: AuthScheme  # configured
    auth_scheme_source: str
    working_auth_scheme: AuthScheme | None  # the scheme Soku accepted, if any
    started_at: datetime
    duration: float
    checks: tuple[Check, ...]

    @property
    def exit_code(self) -> int:
        codes = {check.exit_code for check in self.checks} - {None}
        for blocker in ("unreachable", "auth", "read_api"):
            if int(BLOCKER_EXIT[blocker]) in codes:
                return int(BLOCKER_EXIT[blocker])
        return int(ExitCode.OK)

    @property
    def verdict(self) -> str:
        code = self.exit_code
        if code == ExitCode.UNREACHABLE:
            return "Soku cannot be reached, or is not answering normally right now"
        if code == ExitCode.AUTH:
            return "Soku does not accept this account as configured: a person has to act"
        if code == ExitCode.BAD_RESPONSE:
            return "Soku's read API differs from what soku-tui assumes; the monitor cannot work"
        unchecked = sum(1 for check in self.checks if check.status == "unknown")
        notes = sum(1 for check in self.checks if check.status == "fail")
        text = "Everything the monitor needs holds"
        if unchecked:
            text += f", as far as it could be checked ({unchecked} could not)"
        if notes:
            text += f"; {notes} thing{'s' if notes > 1 else ''} to improve"
        return text

    def check(self, check_id: str) -> Check:
        for check in self.checks:
            if check.id == check_id:
                return check
        raise KeyError(check_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "base_url": self.base_url,
            "demo": self.demo,
            "auth_scheme": self.auth_scheme,
            "auth_scheme_source": self.auth_scheme_source,
            "working_auth_scheme": self.working_auth_scheme,
            "started_at": iso(self.started_at),
            "duration_ms": round(self.duration * 1000),
            "exit_code": self.exit_code,
            "verdict": self.verdict,
            "checks": [check.to_json() for check in self.checks],
        }


class Recorder:
    """Collects the checks of one run and keeps its time budget."""

    def __init__(self, budget: float) -> None:
        self.results: dict[str, Check] = {}
        self.started = time.monotonic()
        self.deadline = self.started + budget
        self.skip_reason = "not checked"

    def put(
        self,
        check_id: str,
        status: CheckStatus,
        summary: str,
        fix: str | None = None,
        /,
        *,
        blocks: Blocker | None = None,
        **details: Any,
    ) -> None:
        self.results[check_id] = Check(
            check_id, TITLES[check_id], status, summary, fix, blocks, details
        )

    def skip(self, reason: str) -> None:
        """Checks not yet decided will say ``reason`` (set when something stops the run)."""
        self.skip_reason = reason

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def step_limit(self, step: float) -> float | None:
        left = self.left()
        return min(step, left) if left > 0.05 else None

    def checks(self) -> tuple[Check, ...]:
        """Every check in report order; one nobody decided says why (the skip reason)."""
        return tuple(
            self.results.get(check_id) or Check(check_id, title, "unknown", self.skip_reason)
            for check_id, title in CHECKS
        )


def report_fix() -> str:
    """What a user can do about an API that differs from the contract."""
    return (
        "Send `soku-tui doctor --json` to soku-tui's maintainers; docs/api-contract.md says "
        "where the code adapts"
    )


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def ms_value(seconds: float) -> int:
    return round(seconds * 1000)


def iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


__all__ = [
    "BLOCKER_EXIT",
    "CHECKS",
    "DEFAULT_BUDGET",
    "DEFAULT_REQUEST_TIMEOUT",
    "STILL_WORKS",
    "SYMBOLS",
    "TITLES",
    "Blocker",
    "Check",
    "CheckStatus",
    "DoctorConfig",
    "DoctorReport",
    "Recorder",
    "iso",
    "ms",
    "ms_value",
    "report_fix",
]
