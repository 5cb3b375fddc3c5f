"""A small run of ``python -m bench.faults`` (``make faults``), so the script cannot rot.

Four faults of different kinds, a few hostile strings and the double-publish check, with
the same checks the full run makes. No timings are asserted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.faults import CASE_NAMES, main, report, run_all
from tests.core.hostile_corpus import HOSTILE

SMOKE_FAULTS = ("connection_refused", "html_502", "missing_fields", "revoked_key")
SMOKE_STRINGS = [
    HOSTILE[name]
    for name in ("csi_clear_screen", "osc52_bel", "rich_click_action", "lone_surrogate_high")
]


async def test_a_small_fault_run_passes_every_check(tmp_path: Path) -> None:
    rows, corpus, publish = await run_all(
        SMOKE_FAULTS, corpus=SMOKE_STRINGS, publish=True, workdir=tmp_path
    )

    assert [row.fault for row in rows] == list(SMOKE_FAULTS)
    for row in rows:
        assert row.ok, (row.fault, row.problems)
        assert row.alive and row.recovered
    by_name = {row.fault: row for row in rows}
    assert by_name["html_502"].banner
    assert not by_name["missing_fields"].banner  # partly readable: rows, not a banner
    assert by_name["revoked_key"].wait >= 120  # polling slows while the key is refused
    assert corpus is not None and corpus.ok, corpus.problems if corpus else None
    assert corpus.rendered == corpus.size == len(SMOKE_STRINGS)
    assert corpus.escapes == 0
    assert publish is not None and publish.ok, publish.problems if publish else None
    assert publish.twice == 0

    text, ok = report(rows, corpus, publish)
    assert ok
    header = [cell.strip() for cell in text.splitlines()[0].split(" | ")]
    assert header[:5] == ["fault", "alive", "banner", "data kept", "recovered"]
    assert "submissions published twice: 0" in text
    assert f"hostile corpus: {len(SMOKE_STRINGS)} strings" in text


def test_every_fault_of_the_demo_server_has_a_row_except_the_doctor_ones() -> None:
    from soku_tui.demo.faults import FAULT_NAMES

    # bearer_only / no_read_api / bare_array are doctor's probes, not outages.
    covered = {name.split()[0] for name in CASE_NAMES}
    assert set(FAULT_NAMES) - covered <= {"bearer_only", "no_read_api", "bare_array"}


def test_an_unknown_fault_name_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--only", "no_such_fault"])
    assert exit_info.value.code == 2
    assert "unknown faults no_such_fault" in capsys.readouterr().err
