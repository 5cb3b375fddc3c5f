"""Every exit status soku-tui can end with, in one place (the README's table comes from here).

Scripts and alerting pipelines branch on these, so a number never changes meaning.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final


class ExitCode(IntEnum):
    OK = 0
    FAILURES = 1
    USAGE = 2
    UNREACHABLE = 3
    AUTH = 4
    BAD_RESPONSE = 5
    INTERNAL = 70
    INTERRUPTED = 130


MEANINGS: Final[dict[ExitCode, str]] = {
    ExitCode.OK: (
        "done; for `failed`: nothing is failing; for `retry`: the retry was sent and, "
        "when followed, the new submission did not fail"
    ),
    ExitCode.FAILURES: (
        "`failed`: failed posts are present; `retry`: nothing was retried (every run "
        "refused, or the confirmation declined), or the retried submission failed again"
    ),
    ExitCode.USAGE: (
        "bad command line or configuration (an invalid setting, an unknown profile or post "
        "id, `retry` without --yes when no one can answer y/N)"
    ),
    ExitCode.UNREACHABLE: (
        "the API cannot be used right now: no connection, a time-out, a 5xx from Soku or a "
        "gateway in front of it, or 429 rate limiting; trying later may work"
    ),
    ExitCode.AUTH: (
        "authentication or subscription: no key, a rejected key (401), or a lapsed "
        "subscription or plan (403); a person has to act"
    ),
    ExitCode.BAD_RESPONSE: (
        "the API answered in a way soku-tui does not understand (not JSON, the wrong shape, "
        "too large, or 404/405 on a route the contract assumes)"
    ),
    ExitCode.INTERNAL: "a bug in soku-tui (details in the log file, never a traceback)",
    ExitCode.INTERRUPTED: "stopped with Ctrl-C",
}


__all__ = ["MEANINGS", "ExitCode"]
