"""How an answer's JSON and headers compare with what soku-tui expects (for ``doctor``).

Pure functions over decoded JSON and header strings, no I/O. The expected field names
come from the models themselves (their camelCase aliases), so when ``core/models.py``
changes, the doctor's expectations change with it.

"Needed" fields are the ones whose absence costs the monitor a feature (listing,
per-platform errors, retry); every other field of the contract is "optional": missing
it is reported, but soku-tui works on without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from soku_tui.core.client import parse_reset
from soku_tui.core.models import Page, Run, RunError, Submission, wire_names
from soku_tui.core.sanitize import one_line

# Unknown keys reported per answer, at most (a huge foreign object must not flood it).
MAX_UNKNOWN: Final = 20


def _alias(model: type[Any], name: str) -> str:
    return wire_names(model)[name]


def _aliases(model: type[Any], *, leave_out: Iterable[str] = ()) -> tuple[str, ...]:
    skip = set(leave_out)
    return tuple(alias for name, alias in wire_names(model).items() if name not in skip)


# ``skipped`` is our own count, never on the wire.
ENVELOPE_KEYS: Final = _aliases(Page, leave_out=("skipped",))
ITEMS_KEY: Final = _alias(Page, "items")
CURSOR_KEY: Final = _alias(Page, "next_cursor")
ID_KEY: Final = _alias(Submission, "post_submission_id")

_SUBMISSION_KEYS: Final = _aliases(Submission)
_RUN_KEYS: Final = _aliases(Run)
_ERROR_KEYS: Final = _aliases(RunError)
_RUNS: Final = _alias(Submission, "runs")
_ERROR: Final = _alias(Run, "error")
_TIMES: Final = (_alias(Submission, "created_at"), _alias(Submission, "updated_at"))
_REQUEST: Final = _alias(Submission, "request_json")

_SUBMISSION_NEEDED: Final = tuple(
    _alias(Submission, name) for name in ("post_submission_id", "status", "runs", "request_json")
)
_RUN_NEEDED: Final = tuple(_alias(Run, name) for name in ("platform", "status"))
_ERROR_NEEDED: Final = tuple(_alias(RunError, name) for name in ("status", "message"))

# What the monitor loses without each needed field, for the "what to do" line.
CONSEQUENCES: Final[dict[str, str]] = {
    ID_KEY: "such posts cannot be shown at all (they are skipped)",
    _alias(Submission, "status"): "the post's overall state shows as unknown",
    _RUNS: "no platform, error or fix can be shown",
    _REQUEST: "retry cannot re-send the post (it needs the stored request)",
    _TIMES[0]: "posts cannot be ordered or aged",
    _TIMES[1]: "posts cannot be ordered or aged",
    f"{_RUNS}[].{_alias(Run, 'platform')}": "platforms show as unknown",
    f"{_RUNS}[].{_alias(Run, 'status')}": "failed runs cannot be told from the others",
    f"{_RUNS}[].{_ERROR}": "failed runs come without an error or a fix",
    f"{_RUNS}[].{_ERROR}.{_alias(RunError, 'status')}": (
        "no run can be retried (only a 500 can) and no fix can be chosen"
    ),
    f"{_RUNS}[].{_ERROR}.{_alias(RunError, 'message')}": "the platform's own message is missing",
}


@dataclass(frozen=True, slots=True)
class FieldReport:
    """Where one submission's JSON differs from the contract's field lists."""

    missing_needed: tuple[str, ...] = ()
    missing_optional: tuple[str, ...] = ()
    mistyped: tuple[str, ...] = ()  # "runs[].error.status (a string, not a number)"
    unknown: tuple[str, ...] = ()  # sanitised: these names are server text

    @property
    def breaks_monitor(self) -> bool:
        return bool(self.missing_needed or self.mistyped)

    @property
    def matches(self) -> bool:
        return not (self.missing_needed or self.missing_optional or self.mistyped)

    def consequences(self) -> tuple[str, ...]:
        found: list[str] = []
        for path in (*self.missing_needed, *(m.split(" ", 1)[0] for m in self.mistyped)):
            text = CONSEQUENCES.get(path)
            if text and text not in found:
                found.append(text)
        return tuple(found)

    def to_json(self) -> dict[str, Any]:
        return {
            "missing_needed": list(self.missing_needed),
            "missing_optional": list(self.missing_optional),
            "mistyped": list(self.mistyped),
            "unknown": list(self.unknown),
        }


class _Collector:
    def __init__(self) -> None:
        self.needed: list[str] = []
        self.optional: list[str] = []
        self.mistyped: list[str] = []
        self.unknown: list[str] = []

    @staticmethod
    def _add(bucket: list[str], path: str) -> None:
        if path not in bucket:
            bucket.append(path)

    def missing(self, path: str, *, needed: bool) -> None:
        self._add(self.needed if needed else self.optional, path)

    def wrong(self, path: str, what: str) -> None:
        self._add(self.mistyped, f"{path} ({what})")

    def unknown_keys(self, prefix: str, keys: Iterable[str], expected: Iterable[str]) -> None:
        known = set(expected)
        for key in keys:
            if key not in known and len(self.unknown) < MAX_UNKNOWN:
                self._add(self.unknown, prefix + one_line(key, 40))

    def report(self) -> FieldReport:
        return FieldReport(
            tuple(self.needed), tuple(self.optional), tuple(self.mistyped), tuple(self.unknown)
        )


def compare_fields(item: Any) -> FieldReport:
    """Compare one submission's raw JSON with the contract (models' aliases)."""
    found = _Collector()
    if not isinstance(item, dict):
        found.wrong("(post)", f"{_json_type(item)}, not a JSON object")
        return found.report()
    for key in _SUBMISSION_KEYS:
        if key not in item:
            needed = key in _SUBMISSION_NEEDED or (
                key in _TIMES and all(t not in item for t in _TIMES)
            )
            found.missing(key, needed=needed)
    found.unknown_keys("", item, _SUBMISSION_KEYS)
    _expect(found, item, ID_KEY, lambda v: isinstance(v, str) and bool(v), "a non-empty string")
    _expect(found, item, _alias(Submission, "status"), _is_str, "a string")
    _expect(found, item, _REQUEST, _is_object_or_null, "an object")
    runs = item.get(_RUNS)
    if _RUNS in item and not isinstance(runs, list):
        found.wrong(_RUNS, f"{_json_type(runs)}, not a list")
    for run in runs if isinstance(runs, list) else ():
        _compare_run(found, run)
    return found.report()


def _compare_run(found: _Collector, run: Any) -> None:
    prefix = f"{_RUNS}[]."
    if not isinstance(run, dict):
        found.wrong(f"{_RUNS}[]", f"{_json_type(run)}, not a JSON object")
        return
    failed = run.get(_alias(Run, "status")) == "failed"
    for key in _RUN_KEYS:
        if key not in run:
            needed = key in _RUN_NEEDED or (key == _ERROR and failed)
            found.missing(prefix + key, needed=needed)
    found.unknown_keys(prefix, run, _RUN_KEYS)
    for key in _RUN_NEEDED:
        _expect(found, run, key, _is_str, "a string", prefix=prefix)
    _expect(found, run, _ERROR, _is_object_or_null, "an object", prefix=prefix)
    error = run.get(_ERROR)
    if not isinstance(error, dict):
        if failed and _ERROR in run and error is None:
            found.missing(prefix + _ERROR, needed=True)  # null on a failed run: no error
        return
    error_prefix = f"{prefix}{_ERROR}."
    for key in _ERROR_KEYS:
        if key not in error:
            found.missing(error_prefix + key, needed=key in _ERROR_NEEDED)
    found.unknown_keys(error_prefix, error, _ERROR_KEYS)
    _expect(
        found, error, _alias(RunError, "status"), _is_http_status, "a number", prefix=error_prefix
    )
    _expect(found, error, _alias(RunError, "message"), _is_str, "a string", prefix=error_prefix)


def _expect(
    found: _Collector,
    data: Mapping[str, Any],
    key: str,
    check: Callable[[Any], bool],
    what: str,
    *,
    prefix: str = "",
) -> None:
    if key in data and not check(data[key]):
        found.wrong(prefix + key, f"{_json_type(data[key])}, not {what}")


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_object_or_null(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _is_http_status(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and value.strip().isdigit()


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def describe_json(value: Any) -> str:
    """A short, safe description of a JSON value's shape, e.g. "an object with keys data"."""
    if isinstance(value, dict):
        keys = ", ".join(one_line(key, 30) for key in list(value)[:8])
        more = ", …" if len(value) > 8 else ""
        return f"an object with keys {keys}{more}" if keys else "an empty object"
    return _json_type(value)


ResetFormat = Literal["epoch", "delta", "iso", "unreadable"]


def reset_format(raw: str) -> ResetFormat:
    """The format of an ``X-RateLimit-Reset`` value: epoch seconds, seconds from now
    (a number too small to be a recent epoch), ISO 8601, or neither."""
    text = raw.strip()
    try:
        number = float(text)
    except ValueError:
        return "iso" if parse_reset(text) is not None else "unreadable"
    if not math.isfinite(number) or number < 0:
        return "unreadable"
    return "epoch" if number >= 1_000_000_000 else "delta"


RESET_FORMAT_WORDS: Final[dict[ResetFormat, str]] = {
    "epoch": "epoch seconds",
    "delta": "seconds from now",
    "iso": "ISO 8601",
    "unreadable": "neither epoch seconds nor ISO 8601",
}


__all__ = [
    "CONSEQUENCES",
    "CURSOR_KEY",
    "ENVELOPE_KEYS",
    "ID_KEY",
    "ITEMS_KEY",
    "RESET_FORMAT_WORDS",
    "FieldReport",
    "ResetFormat",
    "compare_fields",
    "describe_json",
    "reset_format",
]
