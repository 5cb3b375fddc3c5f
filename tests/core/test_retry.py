"""The retry service: only 500s, one key per logical retry, never a second submission.

The tests that matter run against the real demo server over HTTP and count the
submissions it created; the rest pin the decisions a UI shows (which run, and why not).
"""

from __future__ import annotations

import asyncio
import signal
import stat
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from soku_tui.core.audit import AuditLog
from soku_tui.core.catalog import retry_refusal
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import LedgerEntry, RetryLedger
from soku_tui.core.models import Submission
from soku_tui.core.ratelimit import CreateLimiter
from soku_tui.core.retry import (
    READ_ONLY_REASON,
    RetryRefused,
    RetryService,
    idempotency_key,
    narrow_request,
)
from soku_tui.demo.server import DEMO_API_KEY, DemoServer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# ---- building blocks -------------------------------------------------------------------


def run(
    platform: str,
    account: str,
    *,
    status: str = "failed",
    http: int | None = 500,
    code: str | None = None,
    attempt: int = 1,
) -> dict[str, Any]:
    error = None
    if status == "failed":
        error = {"status": http, "code": code, "message": f"{platform} said no"}
    return {
        "targetId": f"{platform}:{account}",
        "platform": platform,
        "accountId": account,
        "status": status,
        "error": error,
        "attempt": attempt,
    }


def submission(
    runs: list[dict[str, Any]],
    *,
    platforms: list[Any] | None = None,
    request: dict[str, Any] | str | None = "default",
    post_id: str = "post-1",
) -> Submission:
    if request == "default":
        request = {
            "post": {
                "content": {
                    "text": "Spring sale",
                    "mediaType": "video",
                    "mediaUrls": ["https://cdn.example/a.mp4"],
                    "platform": platforms
                    if platforms is not None
                    else [{"platform": r["platform"], "accountId": r["accountId"]} for r in runs],
                }
            },
            "scheduledTime": None,
        }
    return Submission.model_validate(
        {
            "postSubmissionId": post_id,
            "status": "partially_failed",
            "request": request,
            "runs": runs,
        }
    )


class Files:
    def __init__(self, root: Path) -> None:
        self.ledger_path = root / "state" / "retry-ledger.json"
        self.audit_path = root / "state" / "audit.jsonl"

    def ledger(self) -> RetryLedger:
        return RetryLedger(self.ledger_path)

    def audit(self) -> AuditLog:
        return AuditLog(self.audit_path)

    def audit_lines(self) -> list[dict[str, Any]]:
        return [orjson.loads(line) for line in self.audit_path.read_bytes().splitlines()]


@pytest.fixture
def files(tmp_path: Path) -> Files:
    return Files(tmp_path)


@pytest.fixture
async def offline_client() -> AsyncIterator[SokuClient]:
    # For decisions only: nothing is sent (a port nobody listens on would fail loudly).
    client = SokuClient(base_url="http://127.0.0.1:9", api_key="sk_live_test")
    yield client
    await client.aclose()


def service_for(client: SokuClient, files: Files, **options: Any) -> RetryService:
    return RetryService(client, files.ledger(), files.audit(), **options)


# ---- the key and the narrowed request --------------------------------------------------


def test_the_same_logical_retry_always_gets_the_same_key() -> None:
    key = idempotency_key("p-1", ["x:main", "tiktok:brand"], 1)
    assert key == "retry:p-1:tiktok:brand,x:main:1"
    assert idempotency_key("p-1", ["tiktok:brand", "x:main", "x:main"], 1) == key
    assert idempotency_key("p-1", ["tiktok:brand", "x:main"], 2) != key


def test_narrowing_keeps_each_entry_form_and_order_and_leaves_the_original_alone() -> None:
    request = {
        "post": {
            "content": {
                "text": "hi",
                "platform": ["threads", {"platform": "x", "accountId": "x_main"}, "tiktok"],
            }
        },
        "scheduledTime": "2026-03-01T09:00:00.000Z",  # past: the runs were due then
    }
    original = orjson.dumps(request)
    sub = submission(
        [run("threads", "threads_default"), run("x", "x_main"), run("tiktok", "tt")],
        request=request,
    )
    body = narrow_request(request, [sub.runs[2], sub.runs[1]], now=NOW)
    assert body["post"]["content"]["platform"] == [
        {"platform": "x", "accountId": "x_main"},
        "tiktok",
    ]
    assert body["post"]["content"]["text"] == "hi"
    assert "scheduledTime" not in body
    assert orjson.dumps(request) == original

    future = {**request, "scheduledTime": "2026-03-02T09:00:00.000Z"}
    assert (
        narrow_request(future, [sub.runs[0]], now=NOW)["scheduledTime"] == future["scheduledTime"]
    )


# ---- decisions -------------------------------------------------------------------------


async def test_only_500_runs_are_retryable_and_others_say_why(
    offline_client: SokuClient, files: Files
) -> None:
    sub = submission(
        [
            run("youtube", "yt", http=500, code="internal_error"),
            run("x", "x_main", http=400, code="validation_error"),
            run("tiktok", "tt", http=401, code="unauthorized"),
            run("instagram", "ig", http=403, code="forbidden"),
            run("threads", "th", status="succeeded"),
        ]
    )
    service = service_for(offline_client, files)
    verdicts = {v.run.platform: v for v in service.assess(sub)}
    assert verdicts["youtube"].retryable
    assert verdicts["youtube"].reason == ""
    for platform, status, code in (
        ("x", 400, "validation_error"),
        ("tiktok", 401, "unauthorized"),
        ("instagram", 403, "forbidden"),
    ):
        assert not verdicts[platform].retryable
        assert verdicts[platform].reason == retry_refusal(status, code, platform=platform)
    assert "Settings > Integrations" in verdicts["tiktok"].reason
    assert "Settings > Billing" in verdicts["instagram"].reason
    assert verdicts["threads"].reason == "not failed (status succeeded)"

    assert service.can_retry(sub) is None
    assert service.can_retry(sub, "youtube:yt") is None
    assert service.can_retry(sub, "tiktok:tt") == verdicts["tiktok"].reason

    plan = service.plan(sub)
    assert plan.target_ids == ("youtube:yt",)
    assert plan.body["post"]["content"]["platform"] == [{"platform": "youtube", "accountId": "yt"}]
    assert plan.summary == "1 of 4 runs retryable; skipping 3 (400, 401, 403)"

    with pytest.raises(RetryRefused) as refused:
        service.plan(sub, ["tiktok:tt"])
    assert refused.value.reason == verdicts["tiktok"].reason


async def test_read_only_refuses_every_retry_with_a_reason(
    offline_client: SokuClient, files: Files
) -> None:
    sub = submission([run("youtube", "yt")])
    service = service_for(offline_client, files, read_only=True)
    assert service.can_retry(sub) == READ_ONLY_REASON
    with pytest.raises(RetryRefused, match="read-only"):
        service.plan(sub)


async def test_a_blocked_monitor_refuses_with_its_reason(
    offline_client: SokuClient, files: Files
) -> None:
    reason: list[str | None] = ["the API key was rejected (401): check it in Settings > API"]
    sub = submission([run("youtube", "yt")])
    service = service_for(offline_client, files, blocked_reason=lambda: reason[0])
    assert service.can_retry(sub) == reason[0]
    reason[0] = None  # the key was fixed
    assert service.can_retry(sub) is None


async def test_without_a_stored_request_nothing_can_be_resent(
    offline_client: SokuClient, files: Files
) -> None:
    service = service_for(offline_client, files)
    for sub in (
        submission([run("youtube", "yt")], request=None),
        submission([run("youtube", "yt")], platforms=[]),
        submission([run("youtube", "yt")], platforms=["tiktok"]),
    ):
        reason = service.can_retry(sub)
        assert reason is not None
        assert "can't be re-sent" in reason
        assert "/posts" in reason


async def test_ids_that_cannot_go_in_a_header_are_never_sent(
    offline_client: SokuClient, files: Files
) -> None:
    service = service_for(offline_client, files)
    for target in ("x:a\r\nX-Injected: 1", "x:a,b", "x:ünïcode", "x:with space"):
        hostile = run("x", "a")
        hostile["targetId"] = target
        reason = service.can_retry(submission([hostile]))
        assert reason is not None
        assert "Idempotency-Key" in reason


async def test_a_bulk_plan_summarises_what_is_skipped(
    offline_client: SokuClient, files: Files
) -> None:
    service = service_for(offline_client, files)
    subs = [
        submission([run("youtube", "yt"), run("x", "x1", http=401)], post_id="a"),
        submission([run("tiktok", "tt", http=403)], post_id="b"),
        submission([run("x", "x2"), run("threads", "t2")], post_id="c"),
    ]
    bulk = service.plan_bulk(subs)
    assert [plan.post_id for plan in bulk.plans] == ["a", "c"]
    assert [sub.post_submission_id for sub, _ in bulk.refused] == ["b"]
    assert bulk.summary == "3 of 5 runs retryable; skipping 2 (401, 403) in 2 posts"


# ---- the create limiter ----------------------------------------------------------------


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


async def test_limiter_lets_thirty_go_and_the_next_waits_for_the_window() -> None:
    fake = FakeTime()
    limiter = CreateLimiter(30, clock=fake.clock, sleep=fake.sleep)
    for _ in range(30):
        await limiter.acquire()
    assert fake.slept == []
    assert limiter.next_slot_in() == pytest.approx(60.0)
    fake.now += 15
    await limiter.acquire()
    assert fake.slept == [pytest.approx(45.0)]


async def test_limiter_pauses_for_a_429_and_never_shortens_a_pause() -> None:
    fake = FakeTime()
    limiter = CreateLimiter(30, clock=fake.clock, sleep=fake.sleep)
    limiter.block_for(12)
    limiter.block_for(3)
    assert limiter.blocked_for == pytest.approx(12)
    await limiter.acquire()
    assert fake.slept == [pytest.approx(12)]


async def test_limiter_queue_is_visible_served_in_order_and_cancellable() -> None:
    now = [0.0]
    release = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await release.wait()
        now[0] += seconds

    limiter = CreateLimiter(1, clock=lambda: now[0], sleep=sleep)
    await limiter.acquire()
    order: list[int] = []

    async def create(n: int) -> None:
        await limiter.acquire()
        order.append(n)

    waiting = [asyncio.create_task(create(n)) for n in range(4)]
    await asyncio.sleep(0)
    assert limiter.queued == 4
    assert limiter.next_slot_in() == pytest.approx(60.0)
    waiting[3].cancel()
    release.set()
    await asyncio.wait_for(asyncio.gather(*waiting, return_exceptions=True), timeout=5)
    assert order == [0, 1, 2]
    assert limiter.queued == 0


# ---- against the real demo server ------------------------------------------------------


@pytest.fixture
async def client(demo_server: DemoServer) -> AsyncIterator[SokuClient]:
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY) as soku:
        yield soku


async def find(client: SokuClient, wanted: Callable[[Submission], bool]) -> Submission:
    listing = await client.list_failed()
    for sub in listing.submissions:
        if wanted(sub):
            return sub
    raise AssertionError("the demo scenario has no such post")


def statuses(sub: Submission) -> list[int | None]:
    return [r.http_status for r in sub.failed_runs]


def mixed(sub: Submission) -> bool:
    """Two or more 500 runs beside runs that failed for other reasons (and some that worked)."""
    found = statuses(sub)
    return found.count(500) >= 2 and any(s != 500 for s in found) and len(sub.runs) > len(found)


def one_500(sub: Submission) -> bool:
    return statuses(sub) == [500] and sub.failed_runs[0].attempt == 1


async def test_only_the_500_runs_are_published_again(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    service = service_for(client, files)
    plan = service.plan(sub)
    targets_500 = {r.target_id for r in sub.failed_runs if r.http_status == 500}
    assert set(plan.target_ids) == targets_500
    assert plan.idempotency_key == idempotency_key(sub.post_submission_id, sorted(targets_500), 1)
    for verdict in plan.skipped:  # the others say why, in the catalogue's words
        error = verdict.run.error
        assert error is not None
        assert verdict.reason == retry_refusal(
            error.status, error.code, platform=verdict.run.platform
        )

    result = await service.execute(plan)

    assert result.outcome == "accepted", result.message
    assert demo_server.created_count == 1
    assert result.new_post_id is not None
    created = await client.get_submission(result.new_post_id)
    assert {r.target_id for r in created.runs} == targets_500
    assert created.request is not None
    sent_platforms = created.request["post"]["content"]["platform"]
    original = sub.request["post"]["content"]["platform"]  # type: ignore[index]
    assert all(entry in original for entry in sent_platforms)  # each entry in its own form
    assert created.caption() == sub.caption()

    entry = files.ledger().get(plan.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.new_post_id, entry.sends) == ("accepted", result.new_post_id, 1)
    events = files.audit_lines()
    assert [e["outcome"] for e in events] == ["sending", "accepted"]
    assert events[-1]["idempotency_key"] == plan.idempotency_key
    assert events[-1]["targets"] == list(plan.target_ids)
    assert events[-1]["new_post_id"] == result.new_post_id
    assert stat.S_IMODE(files.audit_path.stat().st_mode) == 0o600
    # Written atomically: nothing but the ledger, its lock and the audit log.
    assert sorted(p.name for p in files.ledger_path.parent.iterdir()) == [
        "audit.jsonl",
        "retry-ledger.json",
        "retry-ledger.json.lock",
    ]


async def test_a_double_key_press_makes_one_post(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, one_500)
    service = service_for(client, files)
    first, second = await asyncio.gather(
        service.execute(service.plan(sub)), service.execute(service.plan(sub))
    )
    assert first.outcome == second.outcome == "accepted"
    assert first.new_post_id == second.new_post_id
    assert demo_server.created_count == 1
    # Not even a second (deduplicated) POST left this process.
    assert demo_server.stats()["requests"]["create"] == 1
    assert service.can_retry(sub) == (
        f"already retried at attempt 1 as {first.new_post_id} (publishing)"
    )


async def test_two_monitors_retrying_at_once_make_one_post(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY) as other:
        mine, theirs = service_for(client, files), service_for(other, files)
        plans = mine.plan(sub), theirs.plan(sub)
        results = await asyncio.gather(mine.execute(plans[0]), theirs.execute(plans[1]))
    assert plans[0].idempotency_key == plans[1].idempotency_key
    assert all(result.ok for result in results), [r.message for r in results]
    assert results[0].new_post_id == results[1].new_post_id
    assert demo_server.created_count == 1


async def test_a_retry_planned_before_another_monitor_finished_sends_nothing(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, one_500)
    slow, quick = service_for(client, files), service_for(client, files)
    stale_plan = slow.plan(sub)  # e.g. waiting on the y/N confirmation
    done = await quick.execute(quick.plan(sub))
    late = await slow.execute(stale_plan)
    assert late.outcome == "already_retried"
    assert late.new_post_id == done.new_post_id
    assert "nothing was sent" in late.message
    assert demo_server.created_count == 1


async def test_after_a_restart_the_same_retry_creates_nothing_new(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    before = service_for(client, files)
    key = before.plan(sub).idempotency_key
    result = await before.execute(before.plan(sub))

    after = service_for(client, files)  # a new process: new service, ledger read from disk
    reason = after.can_retry(sub)
    assert reason is not None
    assert f"already retried at attempt 1 as {result.new_post_id}" in reason
    with pytest.raises(RetryRefused, match="already retried"):
        after.plan(sub)
    assert demo_server.created_count == 1
    assert after.state_for(sub.post_submission_id) is not None
    assert after.state_for(sub.post_submission_id).label == "publishing…"  # type: ignore[union-attr]
    # And the key that was used is the one the contract prescribes.
    assert files.ledger().get(key) is not None


async def test_an_unanswered_retry_is_resumed_with_its_original_key(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    first = service_for(client, files)
    whole = first.plan(sub)
    one_target = whole.target_ids[0]
    narrow = first.plan(sub, [one_target])  # planned before the crash below
    # A crash between send and answer: the pending entry is on disk, Soku has the post.
    first.ledger.put(
        LedgerEntry(
            key=whole.idempotency_key,
            post_id=sub.post_submission_id,
            targets=tuple(sorted((r.target_id, r.attempt) for r in whole.runs)),
            attempt=1,
            state="pending",
            created_at=NOW,
            updated_at=NOW,
            sends=1,
            pid=2**22 + 12345,  # a process that no longer exists
        )
    )
    lost_answer = await client.create_post(whole.body, idempotency_key=whole.idempotency_key)
    assert demo_server.created_count == 1

    restarted = service_for(client, files)
    state = restarted.state_for(sub.post_submission_id)
    assert state is not None
    assert state.label == "unconfirmed"
    # A narrower retry would need a new key, and could publish that run twice: it is
    # refused if already planned, and widened to the unconfirmed retry if planned now.
    stale = await restarted.execute(narrow)
    assert stale.outcome == "refused"
    assert "unconfirmed" in stale.message
    resumed = restarted.plan(sub, [one_target])
    assert resumed.resumed
    assert resumed.idempotency_key == whole.idempotency_key
    assert "resuming" in resumed.summary

    result = await restarted.execute(resumed)
    assert result.outcome == "accepted", result.message
    assert result.new_post_id == lost_answer
    assert demo_server.created_count == 1
    entry = files.ledger().get(whole.idempotency_key)
    assert entry is not None
    assert (entry.state, entry.sends) == ("accepted", 2)


async def test_a_lost_answer_is_reported_and_recovered_by_retrying_again(
    demo_server: DemoServer, files: Files
) -> None:
    demo_server.faults.set("hang", scope="create", count=1, seconds=10)
    async with SokuClient(
        base_url=demo_server.base_url, api_key=DEMO_API_KEY, timeout=0.5
    ) as impatient:
        sub = await find(impatient, one_500)
        service = service_for(impatient, files)
        lost = await service.execute(service.plan(sub))
        assert lost.outcome == "unreachable"
        assert "retrying again is safe" in lost.message
        assert "may or may not have published" in lost.message
        assert demo_server.created_count == 1  # Soku did publish it
        pending = files.ledger().get(lost.plan.idempotency_key)
        assert pending is not None
        assert pending.state == "pending"

        again = await service.execute(service.plan(sub))
    assert again.outcome == "accepted"
    assert again.plan.idempotency_key == lost.plan.idempotency_key
    assert demo_server.created_count == 1


async def test_a_gateway_error_on_create_keeps_the_retry_unconfirmed(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, one_500)
    service = service_for(client, files)
    demo_server.faults.set("html_502", scope="create", count=1)
    doubtful = await service.execute(service.plan(sub))
    assert (doubtful.outcome, doubtful.http_status) == ("unconfirmed", 502)
    # A 502 doesn't prove nothing was published, so only the same key may follow it.
    entry = files.ledger().get(doubtful.plan.idempotency_key)
    assert entry is not None
    assert entry.state == "pending"
    retried = await service.execute(service.plan(sub))
    assert retried.outcome == "accepted"
    assert retried.plan.idempotency_key == doubtful.plan.idempotency_key
    assert demo_server.created_count == 1


_CRASHING_RETRY = """
import asyncio, sys
from pathlib import Path
from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import RetryLedger
from soku_tui.core.retry import RetryService

async def main(base_url: str, post_id: str, ledger: str, audit: str) -> None:
    async with SokuClient(base_url=base_url, api_key="sk_live_demo", timeout=60) as client:
        service = RetryService(client, RetryLedger(Path(ledger)), AuditLog(Path(audit)))
        sub = await client.get_submission(post_id)
        await service.execute(service.plan(sub))

asyncio.run(main(*sys.argv[1:]))
"""


async def test_kill_9_between_send_and_answer_then_retry_publishes_once(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    # Soku creates the post, then the answer never comes back.
    demo_server.faults.set("hang", scope="create", count=1, seconds=30)
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CRASHING_RETRY,
        demo_server.base_url,
        sub.post_submission_id,
        str(files.ledger_path),
        str(files.audit_path),
    )
    try:
        deadline = time.monotonic() + 30
        while demo_server.created_count == 0 and child.returncode is None:
            assert time.monotonic() < deadline, "the retry never reached the server"
            await asyncio.sleep(0.02)
        assert child.returncode is None, "the child finished instead of waiting for its answer"
    finally:
        child.kill()  # SIGKILL: no cleanup, no last ledger write
        await asyncio.wait_for(child.wait(), timeout=10)
    assert child.returncode == -signal.SIGKILL
    assert demo_server.created_count == 1
    [entry] = files.ledger().entries().values()
    assert entry.state == "pending"
    assert [e["outcome"] for e in files.audit_lines()] == ["sending"]

    service = service_for(client, files)
    plan = service.plan(sub)
    assert plan.resumed
    assert plan.idempotency_key == entry.key
    result = await service.execute(plan)
    assert result.outcome == "accepted", result.message
    assert demo_server.created_count == 1  # the re-send was recognised, not published again
    with pytest.raises(RetryRefused, match="already retried"):
        service.plan(sub)


async def test_follow_records_how_the_new_post_ended(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    service = service_for(client, files)
    result = await service.execute(service.plan(sub))
    assert result.new_post_id is not None

    outcome = await service.follow(result.new_post_id, poll_every=0.05, timeout=20)

    final = await client.get_submission(result.new_post_id)
    assert outcome == final.status
    assert outcome in ("succeeded", "failed", "partially_failed")
    entry = files.ledger().get(result.plan.idempotency_key)
    assert entry is not None
    assert entry.final_status == outcome
    assert entry.state == ("succeeded" if outcome == "succeeded" else "failed")
    state = service.state_for(sub.post_submission_id)
    assert state is not None
    assert (
        state.label
        == {
            "succeeded": "retried → ok",
            "failed": "failed again",
            "partially_failed": "partly failed",
        }[outcome]
    )
    last = files.audit_lines()[-1]
    assert (last["action"], last["outcome"], last["new_post_id"]) == (
        "follow",
        outcome,
        result.new_post_id,
    )
    reason = service.can_retry(sub)
    assert reason is not None
    assert reason.startswith(f"already retried at attempt 1 as {result.new_post_id} ({outcome})")
    others = Counter(str(s) for s in statuses(sub) if s != 500)
    assert reason.endswith(
        "also not retryable: "
        + ", ".join(f"{t} ×{n}" if n > 1 else t for t, n in sorted(others.items()))
    )


async def test_following_gives_up_at_the_time_limit(files: Files) -> None:
    frozen = DemoServer(clock=lambda: NOW).start()  # a frozen clock never settles a post
    try:
        async with SokuClient(base_url=frozen.base_url, api_key=DEMO_API_KEY) as stuck:
            sub = await find(stuck, one_500)
            service = service_for(stuck, files)
            result = await service.execute(service.plan(sub))
            assert result.new_post_id is not None
            assert await service.follow(result.new_post_id, poll_every=0.02, timeout=0.2) == (
                "timeout"
            )
    finally:
        frozen.stop()
    entry = files.ledger().get(result.plan.idempotency_key)
    assert entry is not None
    assert entry.state == "accepted"  # still a done retry: never sent again
    assert files.audit_lines()[-1]["outcome"] == "timeout"


async def test_a_429_pauses_creates_and_says_so(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    now = [0.0]
    limiter = CreateLimiter(30, clock=lambda: now[0])
    service = service_for(client, files, limiter=limiter)
    sub = await find(client, one_500)
    demo_server.faults.set("rate_limit_retry_after", scope="create", count=1, seconds=7)

    limited = await service.execute(service.plan(sub))

    assert limited.outcome == "rate_limited"
    assert limited.http_status == 429
    assert limited.retry_after == pytest.approx(7)
    assert "rate-limiting" in limited.message
    assert limiter.blocked_for == pytest.approx(7)
    assert demo_server.created_count == 0
    assert service.can_retry(sub) is None  # nothing was published: it may be retried
    now[0] += 7
    again = await service.execute(service.plan(sub))
    assert again.outcome == "accepted"
    assert demo_server.created_count == 1


async def test_read_only_sends_nothing_even_with_a_plan_in_hand(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, one_500)
    plan = service_for(client, files).plan(sub)
    read_only = service_for(client, files, read_only=True)
    result = await read_only.execute(plan)
    assert (result.outcome, result.message) == ("refused", READ_ONLY_REASON)
    assert demo_server.created_count == 0
    assert [e["outcome"] for e in files.audit_lines()] == ["refused"]


async def test_the_api_key_is_never_written_to_the_ledger_or_audit_log(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, mixed)
    service = service_for(client, files)
    demo_server.faults.set("revoked_key", scope="create", count=1)
    revoked = await service.execute(service.plan(sub))
    assert (revoked.outcome, revoked.http_status) == ("rejected", 401)
    accepted = await service.execute(service.plan(sub))
    assert accepted.new_post_id is not None
    await service.follow(accepted.new_post_id, poll_every=0.05, timeout=20)
    written = b"".join(p.read_bytes() for p in files.ledger_path.parent.iterdir())
    assert b"401" in written  # the rejection was recorded…
    assert DEMO_API_KEY.encode() not in written  # …without the key


async def test_account_level_failures_are_refused_with_the_fix(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    sub = await find(client, lambda s: set(statuses(s)) == {403})
    service = service_for(client, files)
    reason = service.can_retry(sub)
    assert reason is not None
    assert reason.startswith("403 — a retry can't fix this")
    assert "Settings > Billing" in reason
    with pytest.raises(RetryRefused) as refused:
        service.plan(sub)
    assert refused.value.reason == reason
    assert demo_server.created_count == 0


async def test_a_corrupt_ledger_does_not_stop_retries(
    demo_server: DemoServer, client: SokuClient, files: Files
) -> None:
    files.ledger_path.parent.mkdir(parents=True)
    files.ledger_path.write_text("{ not json")
    service = service_for(client, files)
    sub = await find(client, one_500)
    result = await service.execute(service.plan(sub))
    assert result.outcome == "accepted"
    [warning] = service.ledger.take_warnings()
    assert "moved to" in warning
    assert list(files.ledger_path.parent.glob("retry-ledger.json.corrupt-*"))
