"""ISO 8601 in and out, the one way the project reads and writes times."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_iso(text: str) -> datetime | None:
    """An ISO 8601 time as an aware UTC datetime; "Z" accepted, no zone means UTC.

    Anything unreadable is None: callers decide whether that is an error.
    """
    text = text.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def iso_z(moment: datetime) -> str:
    """UTC to the second with a "Z", as our JSON output and files write times."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
