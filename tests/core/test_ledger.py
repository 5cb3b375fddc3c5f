"""The retry ledger: survives restarts, shares state between processes, never half-written."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest

from soku_tui.core.ledger import LedgerEntry, RetryLedger

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def entry(
    key: str, *, post: str = "post-1", state: str = "pending", at: datetime = T0
) -> LedgerEntry:
    return LedgerEntry(
        key=key,
        post_id=post,
        targets=(("tiktok:brand", 1),),
        attempt=1,
        state=state,  # type: ignore[arg-type]
        created_at=at,
        updated_at=at,
        sends=1,
    )


def test_entries_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    first = RetryLedger(path)
    first.put(entry("k1"))
    first.update("k1", state="accepted", new_post_id="new-1")

    reopened = RetryLedger(path)
    loaded = reopened.get("k1")
    assert loaded is not None
    assert (loaded.state, loaded.new_post_id, loaded.targets) == (
        "accepted",
        "new-1",
        (("tiktok:brand", 1),),
    )
    assert reopened.for_post("post-1") == (loaded,)


def test_written_atomically_and_privately(tmp_path: Path) -> None:
    path = tmp_path / "state" / "ledger.json"
    ledger = RetryLedger(path)
    for n in range(5):
        ledger.put(entry(f"k{n}"))
    # Only the ledger and its lock file: no temporary file left behind.
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.json", "ledger.json.lock"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(orjson.loads(path.read_bytes())["entries"]) == 5


def test_a_failed_write_leaves_the_old_ledger_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "ledger.json"
    ledger = RetryLedger(path)
    ledger.put(entry("k1"))
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        ledger.put(entry("k2"))
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["ledger.json", "ledger.json.lock"]
    assert RetryLedger(path).get("k2") is None


def test_a_corrupt_ledger_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "ledger.json"
    path.write_bytes(b'{"version": 1, "entries": {"k1": {"state": "pend')  # torn by hand
    ledger = RetryLedger(path, clock=lambda: T0)

    with caplog.at_level(logging.WARNING, logger="soku_tui"):
        assert ledger.entries() == {}
    aside = tmp_path / "ledger.json.corrupt-20260301T120000Z"
    assert aside.read_bytes().startswith(b'{"version": 1')  # nothing lost
    assert not path.exists()
    warnings = ledger.take_warnings()
    assert len(warnings) == 1
    assert str(aside) in warnings[0]
    assert str(aside) in caplog.text
    # And the ledger keeps working.
    ledger.put(entry("k2"))
    assert RetryLedger(path).get("k2") is not None


def test_unreadable_entries_are_kept_aside_and_the_rest_still_used(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    ledger = RetryLedger(path, clock=lambda: T0)
    ledger.put(entry("good"))
    data = orjson.loads(path.read_bytes())
    data["entries"]["bad"] = {"state": "exploded"}
    path.write_bytes(orjson.dumps(data))

    fresh = RetryLedger(path, clock=lambda: T0)
    assert list(fresh.entries()) == ["good"]
    aside = tmp_path / "ledger.json.corrupt-20260301T120000Z"
    assert b"exploded" in aside.read_bytes()
    assert fresh.take_warnings()


def test_two_ledgers_on_one_file_do_not_lose_each_others_entries(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    first, second = RetryLedger(path), RetryLedger(path)
    assert second.entries() == {}  # cached empty view
    first.put(entry("from-first"))
    second.put(entry("from-second"))
    assert set(first.entries()) == {"from-first", "from-second"}


def test_concurrent_processes_all_land(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    script = textwrap.dedent(
        """
        import sys
        from datetime import UTC, datetime
        from pathlib import Path
        from soku_tui.core.ledger import LedgerEntry, RetryLedger

        ledger = RetryLedger(Path(sys.argv[1]))
        now = datetime.now(UTC)
        for n in range(15):
            key = f"{sys.argv[2]}-{n}"
            ledger.put(LedgerEntry(key=key, post_id="p", targets=(("x:a", 1),), attempt=1,
                                   state="pending", created_at=now, updated_at=now))
        """
    )
    workers = [
        subprocess.Popen([sys.executable, "-c", script, str(path), f"w{i}"]) for i in range(4)
    ]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    assert len(RetryLedger(path).entries()) == 60


def test_old_entries_are_pruned_but_unconfirmed_ones_kept(tmp_path: Path) -> None:
    now = T0
    ledger = RetryLedger(tmp_path / "ledger.json", clock=lambda: now, keep=timedelta(days=30))
    old = T0 - timedelta(days=40)
    ledger.put(entry("old-done", state="succeeded", at=old))
    ledger.put(entry("old-pending", state="pending", at=old))
    ledger.put(entry("recent", state="accepted"))
    assert set(RetryLedger(tmp_path / "ledger.json").entries()) == {"old-pending", "recent"}


def test_a_new_reader_sees_changes_made_by_another(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    reader, writer = RetryLedger(path, recheck=0), RetryLedger(path)
    writer.put(entry("k1"))
    assert reader.get("k1") is not None
    assert reader.get("k1").state == "pending"  # type: ignore[union-attr]
    writer.update("k1", state="succeeded", final_status="succeeded")
    assert reader.get("k1").state == "succeeded"  # type: ignore[union-attr]


def test_a_reader_looks_at_the_file_at_most_every_recheck_interval(tmp_path: Path) -> None:
    path = tmp_path / "ledger.json"
    now = [100.0]
    reader = RetryLedger(path, recheck=0.05, monotonic=lambda: now[0])
    writer = RetryLedger(path)
    assert reader.get("k1") is None
    writer.put(entry("k1"))
    assert reader.get("k1") is None  # read 0 s ago: not looked at again yet
    now[0] += 0.06
    assert reader.get("k1") is not None
    # What the reader itself writes it sees at once, whatever the interval.
    reader.update("k1", state="succeeded", final_status="succeeded")
    assert reader.get("k1").state == "succeeded"  # type: ignore[union-attr]
