"""How ``soku-tui doctor`` prints its report: one line per check, or JSON.

Text: one line per check — its mark (✓ holds, ✗ does not hold, ? could not be checked),
its title, what was found, then ``→`` what to do, and ``[exit N]`` on the lines that
decide the exit status. One line each, so a report pastes into an issue or a chat and
``grep`` finds a check.

JSON (``--json``), for bug reports and scripts; the field names are stable::

    {"tool": "soku-tui doctor", "version": "0.1.0", "base_url": "…", "demo": false,
     "auth_scheme": "header", "auth_scheme_source": "default",
     "working_auth_scheme": "header" | "bearer" | null,
     "started_at": "…Z", "duration_ms": 812, "exit_code": 0, "verdict": "…",
     "checks": [{"id": "auth", "title": "Authentication", "status": "ok|fail|unknown",
                 "symbol": "✓", "summary": "…", "fix": "…" | null,
                 "blocks": "unreachable|auth|read_api" | null, "exit_code": 4 | null,
                 "details": {…}}, …]}

The check ids are those of ``soku_tui.core.doctor.CHECKS``. The key is never part of the
report, only where it came from. Every text passes through the sanitiser, so nothing a
server sent can act on the terminal.

Headless path: no Textual, no Rich.
"""

from __future__ import annotations

from typing import Any

import orjson

from soku_tui import __version__
from soku_tui.core.doctor import CHECKS, DoctorReport
from soku_tui.core.sanitize import cell_width, one_line, pad_cells

LEGEND = "Marks: ✓ holds, ✗ does not hold, ? could not be checked."


def render_text(report: DoctorReport) -> str:
    demo = " (demo)" if report.demo else ""
    scheme = f"auth_scheme {report.auth_scheme} (from {report.auth_scheme_source})"
    lines = [one_line(f"soku-tui doctor — {report.base_url}{demo} — {scheme}"), ""]
    width = max(cell_width(title) for _, title in CHECKS)
    for check in report.checks:
        line = f"{check.symbol} {pad_cells(check.title, width)}  {check.summary}"
        if check.fix:
            line += f" → {check.fix}"
        if check.exit_code is not None:
            line += f" [exit {check.exit_code}]"
        lines.append(one_line(line))
    seconds = f"{report.duration:.1f} s"
    lines += ["", one_line(f"{report.verdict}. Exit {report.exit_code} ({seconds})."), LEGEND]
    return "\n".join(lines) + "\n"


def report_data(report: DoctorReport) -> dict[str, Any]:
    return {"tool": "soku-tui doctor", "version": __version__, **report.to_json()}


def render_json(report: DoctorReport) -> str:
    return orjson.dumps(report_data(report), option=orjson.OPT_INDENT_2).decode() + "\n"


__all__ = ["LEGEND", "render_json", "render_text", "report_data"]
