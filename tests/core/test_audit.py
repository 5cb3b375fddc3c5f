"""The audit log: one valid JSON line per event, private, readable back for the actions log."""

from __future__ import annotations

import getpass
import socket
import stat
from pathlib import Path

import orjson
import pytest

from soku_tui.core.audit import AuditLog


def test_each_event_is_one_json_line_with_who_what_when(tmp_path: Path) -> None:
    path = tmp_path / "state" / "audit.jsonl"
    audit = AuditLog(path)
    audit.record(
        "retry",
        "accepted",
        post_id="post-1",
        targets=["tiktok:brand", "x:main"],
        idempotency_key="retry:post-1:tiktok:brand,x:main:1",
        new_post_id="new-1",
    )
    audit.record("retry", "rejected", post_id="post-2", http_status=429, error="rate limited")

    lines = path.read_bytes().splitlines()
    assert len(lines) == 2
    first = orjson.loads(lines[0])
    assert first["action"] == "retry"
    assert first["outcome"] == "accepted"
    assert first["post_id"] == "post-1"
    assert first["targets"] == ["tiktok:brand", "x:main"]
    assert first["idempotency_key"] == "retry:post-1:tiktok:brand,x:main:1"
    assert first["new_post_id"] == "new-1"
    assert first["user"] == getpass.getuser()
    assert first["host"] == socket.gethostname()
    assert first["time"].endswith("+00:00")
    assert orjson.loads(lines[1])["http_status"] == 429
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_world_readable_log_is_made_private(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    path.chmod(0o644)
    AuditLog(path).record("retry", "accepted", post_id="p")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_key_like_tokens_in_server_text_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    AuditLog(path).record(
        "retry",
        "rejected",
        post_id="p",
        error="proxy echoed header soku-api-key: sk_live_SECRET123_abc",
    )
    text = path.read_text()
    assert "sk_live_SECRET123_abc" not in text
    assert "SECRET123" not in text


def test_read_recent_returns_the_latest_events_oldest_first(tmp_path: Path) -> None:
    audit = AuditLog(tmp_path / "audit.jsonl")
    for n in range(12):
        audit.record("retry", "accepted", post_id=f"post-{n}")
    recent = audit.read_recent(5)
    assert [e.post_id for e in recent] == [f"post-{n}" for n in range(7, 12)]
    assert recent[-1].outcome == "accepted"


def test_read_recent_filters_by_session_and_skips_broken_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    earlier = AuditLog(path)
    earlier.record("retry", "accepted", post_id="yesterday")
    with path.open("ab") as handle:
        handle.write(b'{"this is": "not an event"}\n{torn line\n')
    today = AuditLog(path)
    today.record("retry", "rejected", post_id="today")

    assert [e.post_id for e in today.read_recent(10, session=today.session)] == ["today"]
    assert [e.post_id for e in today.read_recent(10)] == ["yesterday", "today"]


def test_read_recent_on_a_large_log_reads_across_chunks(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    audit = AuditLog(path)
    audit.record("retry", "accepted", post_id="template", note="n" * 400)
    template = orjson.loads(path.read_bytes())
    with path.open("wb") as handle:  # ~1 MB without paying an fsync per line
        for n in range(2000):
            handle.write(orjson.dumps({**template, "post_id": f"post-{n}"}) + b"\n")
    recent = audit.read_recent(300)
    assert [e.post_id for e in recent] == [f"post-{n}" for n in range(1700, 2000)]


def test_no_log_yet_means_no_events(tmp_path: Path) -> None:
    assert AuditLog(tmp_path / "missing.jsonl").read_recent() == ()


def test_this_sessions_events_are_read_without_the_history_before_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The log is never rotated: "this session" must not mean parsing years of it. Only
    the part written since this log was opened is read for its session's events."""
    path = tmp_path / "audit.jsonl"
    earlier = AuditLog(path)
    for n in range(300):
        earlier.record("retry", "accepted", post_id=f"old{n}")
    path.write_bytes(path.read_bytes().replace(b'"old0"', b'"old0'))  # a broken old line
    log = AuditLog(path)
    log.record("retry", "accepted", post_id="mine1")
    AuditLog(path).record("retry", "accepted", post_id="someone else's, since")
    log.record("retry", "rejected", post_id="mine2")
    mine = log.read_recent(500, session=log.session)
    assert [e.post_id for e in mine] == ["mine1", "mine2"]
    assert "unreadable" not in caplog.text  # the broken old line was never read
    assert len(log.read_recent(500)) == 302  # everything, when asked for every session
