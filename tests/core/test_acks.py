"""Acknowledgements: survive restarts, shared between monitors, audited, never lost silently."""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from soku_tui.core.acks import Ack, AckStore, failure_keys, local_user
from soku_tui.core.audit import AuditLog
from soku_tui.core.models import Submission

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def submission(post_id: str, *failed: tuple[str, int]) -> Submission:
    runs: list[dict[str, Any]] = [
        {"targetId": target, "platform": target.split(":")[0], "status": "failed", "attempt": n}
        for target, n in failed
    ]
    runs.append({"targetId": "x:ok", "platform": "x", "status": "succeeded"})
    return Submission.model_validate({"postSubmissionId": post_id, "runs": runs})


def test_an_acknowledgement_survives_a_restart_with_who_when_and_note(tmp_path: Path) -> None:
    clock = Clock()
    store = AckStore.in_state_dir(tmp_path, clock=clock)
    ack = store.acknowledge("post-1", "Asked the client to reconnect TikTok", "alice")
    assert ack == Ack("post-1", "alice", T0, "Asked the client to reconnect TikTok")

    again = AckStore(tmp_path / "acks.json")
    got = again.get("post-1")
    assert got is not None
    assert (got.by, got.at, got.note) == ("alice", T0, "Asked the client to reconnect TikTok")
    assert again.get("post-2") is None
    assert "post-1" in again and len(again) == 1


def test_written_atomically_and_privately(tmp_path: Path) -> None:
    path = tmp_path / "state" / "acks.json"
    store = AckStore(path)
    for n in range(5):
        store.acknowledge(f"p{n}", None, "bob")
    assert sorted(p.name for p in path.parent.iterdir()) == ["acks.json", "acks.json.lock"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(orjson.loads(path.read_bytes())["acks"]) == 5


def test_a_failed_write_keeps_the_old_file_and_raises(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "acks.json"
    store = AckStore(path)
    store.acknowledge("p1", None, "bob")
    before = path.read_bytes()

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="No space"):
        store.acknowledge("p2", None, "bob")
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert store.get("p2") is None  # the view never claims what is not on disk
    assert sorted(p.name for p in path.parent.iterdir()) == ["acks.json", "acks.json.lock"]


def test_notes_are_stored_as_typed_except_api_keys(tmp_path: Path) -> None:
    store = AckStore(tmp_path / "acks.json")
    hostile = "fixed [bold]it[/] \x1b[2J ✓ — key was sk_live_Q7fXv2LpR9sTz4KmW8bYc1Nd oops"
    store.acknowledge("p1", hostile, "carol")
    note = AckStore(tmp_path / "acks.json").get("p1").note  # type: ignore[union-attr]
    assert note == "fixed [bold]it[/] \x1b[2J ✓ — key was sk_live_… oops"
    assert b"sk_live_Q7f" not in (tmp_path / "acks.json").read_bytes()
    # A blank note is no note.
    assert store.acknowledge("p2", "   ", "carol").note is None


def test_unacknowledge(tmp_path: Path) -> None:
    store = AckStore(tmp_path / "acks.json")
    store.acknowledge("p1", "seen", "dave")
    removed = store.unacknowledge("p1")
    assert removed is not None and removed.note == "seen"
    assert store.get("p1") is None
    assert AckStore(tmp_path / "acks.json").get("p1") is None
    assert store.unacknowledge("p1") is None


def test_all_oldest_first(tmp_path: Path) -> None:
    clock = Clock()
    store = AckStore(tmp_path / "acks.json", clock=clock)
    for n, post in enumerate(("b", "a", "c")):
        clock.now = T0 + timedelta(minutes=n)
        store.acknowledge(post, None, "erin")
    assert [a.post_id for a in store.all()] == ["b", "a", "c"]
    assert set(store.as_mapping()) == {"a", "b", "c"}


def test_two_monitors_never_lose_each_others_acknowledgements(tmp_path: Path) -> None:
    path = tmp_path / "acks.json"
    first, second = AckStore(path), AckStore(path)
    first.acknowledge("p1", None, "alice")
    second.acknowledge("p2", None, "bob")  # read-modify-write under the lock keeps p1
    assert second.get("p1") is not None
    # The first sees the second's only after a refresh (reads never touch the disk).
    assert first.get("p2") is None
    assert first.refresh() is True
    assert first.get("p2") is not None
    assert first.refresh() is False


def test_each_change_is_audited(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    store = AckStore(tmp_path / "acks.json", audit=audit)
    post = submission("p1", ("tiktok:tt", 1))
    store.acknowledge("p1", "on it", "alice", submission=post)
    store.unacknowledge("p1")
    events = audit.read_recent(session=audit.session)
    assert [(e.action, e.outcome, e.post_id) for e in events] == [
        ("acknowledge", "acknowledged", "p1"),
        ("acknowledge", "withdrawn", "p1"),
    ]
    assert events[0].note == "on it"
    assert events[0].targets == ("tiktok:tt@1",)


def test_an_audit_failure_keeps_the_acknowledgement_and_warns(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    audit = AuditLog(blocker / "audit.jsonl")  # its directory cannot be created
    store = AckStore(tmp_path / "acks.json", audit=audit)
    store.acknowledge("p1", None, "alice")
    assert AckStore(tmp_path / "acks.json").get("p1") is not None
    warnings = store.take_warnings()
    assert len(warnings) == 1 and "audit log" in warnings[0]
    assert store.take_warnings() == []


def test_covers_tells_new_failures_apart(tmp_path: Path) -> None:
    store = AckStore(tmp_path / "acks.json")
    seen = submission("p1", ("tiktok:tt", 1))
    ack = store.acknowledge("p1", None, "alice", submission=seen)
    assert failure_keys(seen) == ("tiktok:tt@1",)
    assert ack.covers(seen)
    assert ack.covers(submission("p1"))  # fewer failures: still covered
    assert not ack.covers(submission("p1", ("tiktok:tt", 1), ("youtube:yt", 1)))
    assert not ack.covers(submission("p1", ("tiktok:tt", 2)))  # failed again, new attempt
    blanket = store.acknowledge("p2", None, "alice")
    assert blanket.covers(submission("p2", ("x:a", 1), ("x:b", 3)))


def test_a_corrupt_file_is_moved_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "acks.json"
    path.write_bytes(b'{"version": 1, "acks": {"p1": {"by": "al')  # torn by hand
    with caplog.at_level(logging.WARNING):
        store = AckStore(path, clock=Clock())
    assert len(store) == 0
    aside = tmp_path / "acks.json.corrupt-20260301T120000Z"
    assert aside.read_bytes().startswith(b'{"version": 1')  # nothing lost
    assert not path.exists()
    warnings = store.take_warnings()
    assert len(warnings) == 1 and str(aside) in warnings[0]
    assert str(aside) in caplog.text
    store.acknowledge("p2", None, "bob")  # and a new file starts
    assert AckStore(path).get("p2") is not None


def test_unreadable_entries_are_kept_aside_and_the_rest_still_used(tmp_path: Path) -> None:
    path = tmp_path / "acks.json"
    good = {"by": "alice", "at": "2026-03-01T11:00:00Z", "note": None}
    path.write_bytes(orjson.dumps({"version": 1, "acks": {"ok": good, "bad": {"by": 42}}}))
    store = AckStore(path, clock=Clock())
    assert store.get("ok") is not None and store.get("bad") is None
    aside = tmp_path / "acks.json.corrupt-20260301T120000Z"
    assert b'"by":42' in aside.read_bytes()
    assert store.take_warnings()


@pytest.mark.parametrize(
    "content",
    [b"", b"null", b"[]", b'{"acks": []}', b"\xff\xfe", b'{"acks": {"p": null}}'],
)
def test_never_a_crash_on_any_content(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "acks.json"
    path.write_bytes(content)
    store = AckStore(path, clock=Clock())
    store.acknowledge("p", "x", "y")
    assert AckStore(path).get("p") is not None


def test_old_acknowledgements_are_dropped_at_the_next_write(tmp_path: Path) -> None:
    clock = Clock()
    store = AckStore(tmp_path / "acks.json", clock=clock, keep=timedelta(days=30))
    store.acknowledge("old", None, "alice")
    clock.now = T0 + timedelta(days=31)
    store.acknowledge("new", None, "alice")
    assert store.get("old") is None
    assert [a.post_id for a in AckStore(tmp_path / "acks.json").all()] == ["new"]


def test_local_user_is_a_name() -> None:
    assert local_user().strip()
