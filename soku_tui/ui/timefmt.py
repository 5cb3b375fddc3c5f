"""Short, honest time phrases for a terminal: "12 s ago", "3m", "in 20 s"."""

from __future__ import annotations

from datetime import datetime


def ago(when: datetime | None, now: datetime) -> str:
    """Age as a compact phrase: '12 s ago', '4 min ago', '3 h ago', '2 d ago'."""
    if when is None:
        return "never"
    seconds = max(0, int((now - when).total_seconds()))
    if seconds < 60:
        return f"{seconds} s ago"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def countdown(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "—"
    seconds = int((when - now).total_seconds() + 0.999)
    if seconds <= 0:
        return "now"
    if seconds < 120:
        return f"in {seconds} s"
    return f"in {seconds // 60} min"


def absolute(when: datetime | None) -> str:
    """UTC, to the second, with the zone named: support asks for exact times."""
    if when is None:
        return "unknown"
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")
