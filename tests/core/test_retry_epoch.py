"""RetryService.verdict_epoch: it changes whenever a verdict can, so cached rows stay true."""

from __future__ import annotations

from pathlib import Path

from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import LedgerEntry, RetryLedger
from soku_tui.core.monitor import Monitor
from soku_tui.core.retry import RetryService
from soku_tui.demo.server import DEMO_API_KEY, DemoServer


async def test_the_epoch_moves_with_a_retry_and_read_only(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY, timeout=5) as c:
        service = RetryService(
            c, RetryLedger(tmp_path / "ledger.json"), AuditLog(tmp_path / "audit.jsonl")
        )
        monitor = Monitor(c)
        await monitor.poll_once()
        target = next(s for s in monitor.snapshot.submissions if service.can_retry(s) is None)
        before = service.verdict_epoch()
        assert service.verdict_epoch() == before  # nothing happened: rows may be reused

        result = await service.execute(service.plan(target))
        assert result.new_post_id is not None
        after = service.verdict_epoch()
        assert after != before
        assert service.can_retry(target) is not None  # the same post, a new verdict
        # Only that post's part moved: the rows of the other 500 posts stay as they are.
        assert after.mode == before.mode
        assert before.mode is not None  # a None epoch would make the row cache rebuild all
        assert set(after.posts) - set(before.posts) == {target.post_submission_id}

        service.read_only = True
        assert service.verdict_epoch() != after


class CountingLedger(RetryLedger):
    reads = 0

    def for_post(self, post_id: str) -> tuple[LedgerEntry, ...]:
        self.reads += 1
        return super().for_post(post_id)


async def test_posts_without_a_500_are_judged_without_reading_the_ledger(
    demo_server: DemoServer, tmp_path: Path
) -> None:
    # The table asks for every run of every post on each poll: only posts with a failed
    # 500 run can need the ledger.
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY, timeout=5) as c:
        monitor = Monitor(c)
        await monitor.poll_once()
        ledger = CountingLedger(tmp_path / "ledger.json")
        service = RetryService(c, ledger, AuditLog(tmp_path / "audit.jsonl"))
        posts = monitor.snapshot.submissions
        with_500 = [s for s in posts if any(r.is_failed and r.http_status == 500 for r in s.runs)]
        without = [s for s in posts if s not in with_500]
        assert with_500
        assert without
        for submission in without:
            verdicts = service.assess(submission)
            assert not any(v.retryable for v in verdicts)
            assert all(v.reason for v in verdicts)
        assert ledger.reads == 0
        for submission in with_500:
            service.assess(submission)
        assert ledger.reads == len(with_500)
