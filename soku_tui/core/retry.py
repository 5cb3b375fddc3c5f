"""The retry service: which runs may be re-published, and re-publishing them exactly once.

Soku publishes no retry endpoint. Its advice for a 500 is that the fault was on its
side and the same request may be sent again, so a retry re-sends the submission's
stored ``request`` to ``POST /v1/posts`` with the platform list narrowed to the failed
500 targets, under the deterministic key

    Idempotency-Key: retry:<postSubmissionId>:<targetId>[,<targetId>…]:<attempt>

Everything that decides whether a retry is allowed lives here, in one place, so the
key binding, the footer, the command palette and the headless ``retry`` command always
agree. "Never publish twice" rests on three layers:

1. the key: the same logical retry always carries the same key, which Soku deduplicates
   (a double key press, a second monitor, a crash between send and answer);
2. the ledger (:mod:`soku_tui.core.ledger`): a ``pending`` entry is written *before* the
   POST; once Soku has answered with a new id the runs are "already retried" and are
   refused, across restarts and across monitors; an unconfirmed (``pending``) retry is
   resumed with its original key, never replaced by a new one;
3. within one process, concurrent calls for the same key share one POST.

Read-only mode, and a monitor-reported block (a rejected key, a lapsed subscription),
refuse every retry here, in the service, not only in the UI.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import os
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Final, Literal

from soku_tui.core.audit import AuditLog
from soku_tui.core.catalog import retry_refusal
from soku_tui.core.client import SokuClient
from soku_tui.core.errors import SokuApiError, SokuBadResponse, SokuError, SokuUnreachable
from soku_tui.core.ledger import LedgerEntry, RetryLedger, clip_error
from soku_tui.core.models import Run, Submission, platform_name
from soku_tui.core.ratelimit import CreateLimiter
from soku_tui.core.timestamps import parse_iso

log = logging.getLogger("soku_tui.retry")

RETRYABLE_STATUS: Final = 500
READ_ONLY_REASON: Final = "read-only mode: retries are switched off (--read-only)"
IN_PROGRESS_REASON: Final = "retry in progress"
# Statuses of a submission that will not change any more.
FINAL_STATUSES: Final = frozenset({"succeeded", "failed", "partially_failed"})
# Used when Soku sends a 429 without saying how long to wait.
DEFAULT_RATE_LIMIT_PAUSE: Final = 60.0
_DASHBOARD: Final = "publish it again from Soku's dashboard (/posts)"
# Answers to a create that do not say whether a post was made: timeout, key in use.
_IN_DOUBT: Final = frozenset({408, 409})
# What may go into an Idempotency-Key: visible ASCII, and no comma (it separates targets).
_SAFE_ID: Final = re.compile(r"[\x21-\x2b\x2d-\x7e]+")

VerdictKind = Literal[
    "retryable",
    "not_failed",
    "status",
    "no_request",
    "not_in_request",
    "unsafe_id",
    "already_retried",
    "unconfirmed",
    "deferred",
    "in_progress",
    "read_only",
    "blocked",
]
RetryOutcome = Literal[
    "accepted",
    "already_retried",
    "rejected",
    "rate_limited",
    "unreachable",
    "unconfirmed",
    "refused",
]
FollowOutcome = Literal["succeeded", "failed", "partially_failed", "timeout", "unknown"]
RetryPhase = Literal[
    "queued", "retrying", "interrupted", "accepted", "succeeded", "failed", "rejected"
]


class RetryRefused(Exception):
    """Nothing in the request can be retried; ``reason`` is a sentence for the user."""

    def __init__(self, reason: str, verdicts: Sequence[RunVerdict] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verdicts = tuple(verdicts)


def idempotency_key(post_id: str, target_ids: Sequence[str], attempt: int) -> str:
    """``retry:<postSubmissionId>:<targetId>[,<targetId>…]:<attempt>``.

    Target ids are de-duplicated and sorted, so the same logical retry always yields
    the same key whatever order the runs were picked in.
    """
    targets = sorted(set(target_ids))
    if not targets:
        raise ValueError("a retry needs at least one target")
    return f"retry:{post_id}:{','.join(targets)}:{attempt}"


# ---- verdicts and plans ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RunVerdict:
    """Whether one run may be retried now; ``reason`` is "" if so, else why not."""

    run: Run
    retryable: bool
    reason: str
    kind: VerdictKind = "retryable"

    @property
    def tag(self) -> str:
        """A short label for summaries: the HTTP status, or what stands in the way."""
        if self.kind == "status":
            return str(self.run.http_status) if self.run.http_status else "no status"
        return self.kind.replace("_", " ")


def summarize(retryable: int, skipped: Iterable[RunVerdict]) -> str:
    """E.g. "7 of 9 runs retryable; skipping 2 (401, 403)"."""
    skipped = tuple(skipped)
    total = retryable + len(skipped)
    noun = "run" if total == 1 else "runs"
    text = f"{retryable} of {total} {noun} retryable"
    if skipped:
        text += f"; skipping {len(skipped)} ({_tags(skipped)})"
    return text


def _tag_order(item: tuple[str, int]) -> tuple[int, str]:
    tag = item[0]
    return (0, tag.zfill(3)) if tag.isdigit() else (1, tag)


@dataclass(frozen=True, slots=True)
class RetryPlan:
    """One POST: the runs of one post re-sent together under one key.

    ``resumed`` is True when this plan re-sends an unconfirmed earlier retry (a crash or
    lost answer) with its original key.
    """

    submission: Submission
    runs: tuple[Run, ...]
    skipped: tuple[RunVerdict, ...]
    idempotency_key: str
    body: dict[str, Any]
    resumed: bool = False

    @property
    def post_id(self) -> str:
        return self.submission.post_submission_id

    @property
    def target_ids(self) -> tuple[str, ...]:
        return tuple(run.target_id for run in self.runs)

    @property
    def platforms(self) -> str:
        """The retried platforms in words, e.g. "TikTok, YouTube"."""
        return ", ".join(_run_name(run) for run in self.runs)

    @property
    def summary(self) -> str:
        text = summarize(len(self.runs), self.skipped)
        if self.resumed:
            text += "; resuming an unconfirmed earlier retry with the same key"
        return text


@dataclass(frozen=True, slots=True)
class BulkPlan:
    """Plans for several posts (bulk retry), and the posts with nothing to retry."""

    plans: tuple[RetryPlan, ...]
    refused: tuple[tuple[Submission, str], ...]
    skipped: tuple[RunVerdict, ...]

    @property
    def summary(self) -> str:
        runs = sum(len(plan.runs) for plan in self.plans)
        posts = len(self.plans)
        text = summarize(runs, self.skipped)
        return f"{text} in {posts} post{'s' if posts != 1 else ''}"


@dataclass(frozen=True, slots=True)
class RetryResult:
    """How one :meth:`RetryService.execute` ended. ``message`` is a sentence for the user."""

    plan: RetryPlan
    outcome: RetryOutcome
    message: str
    new_post_id: str | None = None
    http_status: int | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        """A new submission exists for these runs (now, or from an earlier retry)."""
        return self.outcome in ("accepted", "already_retried")


@dataclass(frozen=True, slots=True)
class RetryState:
    """The retry state of one post, for the table's "retry" column."""

    post_id: str
    phase: RetryPhase
    new_post_id: str | None = None
    final_status: str | None = None
    http_status: int | None = None
    error: str = ""
    updated_at: datetime | None = None

    @property
    def label(self) -> str:
        if self.phase == "queued":
            return "queued…"
        if self.phase == "retrying":
            return "retrying…"
        if self.phase == "interrupted":
            return "unconfirmed"
        if self.phase == "accepted":
            return "publishing…"
        if self.phase == "succeeded":
            return "retried → ok"
        if self.phase == "failed":
            return "partly failed" if self.final_status == "partially_failed" else ("failed again")
        status = f" ({self.http_status})" if self.http_status else ""
        return f"retry refused{status}"


# ---- narrowing the stored request ------------------------------------------------------


class _NotInRequest(Exception):
    pass


def _platform_list(request: Mapping[str, Any] | None) -> list[Any] | None:
    try:
        platforms = request["post"]["content"]["platform"]  # type: ignore[index]
    except (KeyError, TypeError):
        return None
    return platforms if isinstance(platforms, list) and platforms else None


def _entry_index(platforms: Sequence[Any], run: Run) -> int:
    """Which entry of the stored platform list produced ``run``.

    An ``{platform, accountId}`` entry naming the run's account wins; otherwise a plain
    platform string (or an entry without an account) for the run's platform.
    """
    loose: int | None = None
    for index, entry in enumerate(platforms):
        if isinstance(entry, dict):
            if entry.get("platform") != run.platform:
                continue
            account = entry.get("accountId")
            if account is not None and account == run.account_id:
                return index
            if account is None and loose is None:
                loose = index
        elif isinstance(entry, str) and entry == run.platform and loose is None:
            loose = index
    if loose is None:
        raise _NotInRequest(run.target_id)
    return loose


def narrow_request(
    request: Mapping[str, Any], runs: Sequence[Run], *, now: datetime | None = None
) -> dict[str, Any]:
    """The stored create body with ``post.content.platform`` cut down to ``runs``.

    Each kept entry keeps its original form (string or ``{platform, accountId}``) and
    order. A ``scheduledTime`` already in the past is dropped: the runs being retried
    were due then, so "publish now" is what was asked for, and a past time could be
    refused as invalid. (A past time stays past, so the body of one logical retry never
    changes between sends of its key.) The stored request is never modified.
    """
    platforms = _platform_list(request)
    if platforms is None:
        raise _NotInRequest("no platform list")
    wanted = sorted({_entry_index(platforms, run) for run in runs})
    body = copy.deepcopy(dict(request))
    body["post"]["content"]["platform"] = [copy.deepcopy(platforms[i]) for i in wanted]
    scheduled = body.get("scheduledTime")
    if scheduled is not None:
        when = parse_iso(scheduled) if isinstance(scheduled, str) else None
        if when is None or when <= (now or datetime.now(UTC)):
            del body["scheduledTime"]
    return body


@functools.lru_cache(maxsize=2048)
def _refusal(status: int | None, code: str | None, platform: str) -> str:
    # Pure and asked for every failed run of every row on each refresh: cache it.
    return retry_refusal(status, code, platform=platform)


def _run_name(run: Run) -> str:
    name = platform_name(run.platform)
    return f"{name} ({run.account_id})" if run.account_id else name


def _done_phrase(entry: LedgerEntry) -> str:
    if entry.state == "accepted":
        return "publishing"
    return entry.final_status or entry.state


def _verdict_of_run(run: Run) -> RunVerdict | None:
    """The verdict on a run that is decided by the run alone (not failed, or not a 500);
    None for a failed 500 run, which needs the post's request, the ledger and more."""
    if not run.is_failed:
        return RunVerdict(run, False, f"not failed (status {run.status})", "not_failed")
    status = run.http_status
    if status != RETRYABLE_STATUS:
        code = run.error.code if run.error else None
        return RunVerdict(run, False, _refusal(status, code, run.platform), "status")
    return None


# ---- the service -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerdictEpoch:
    """What retry verdicts depend on besides the post itself, in two parts: ``mode``
    (read-only, or sending blocked) holds for every post; ``posts`` holds, per post that
    has any, its ledger entries and its targets being sent. A post's verdicts are the
    same again while both its parts are: a retry re-judges its own post, not the
    other 26,000 posts with a failed 500 run."""

    mode: object
    posts: Mapping[str, object]


@dataclass(slots=True)
class _Flight:
    post_id: str
    targets: frozenset[tuple[str, int]]
    task: asyncio.Task[RetryResult]
    # Waiting for a slot from the create limiter (shown as "queued…").
    queued: bool = True


class RetryService:
    """Decides, sends, records and follows retries. One per process (or per profile)."""

    def __init__(
        self,
        client: SokuClient,
        ledger: RetryLedger,
        audit: AuditLog,
        *,
        read_only: bool = False,
        limiter: CreateLimiter | None = None,
        blocked_reason: Callable[[], str | None] | None = None,
        clock: Callable[[], datetime] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.client = client
        self.ledger = ledger
        self.audit = audit
        self.read_only = read_only
        self.limiter = limiter
        self._blocked_reason = blocked_reason or (lambda: None)
        self._clock = clock or (lambda: datetime.now(UTC))
        self._monotonic = monotonic
        self._sleep = sleep
        self._flights: dict[str, _Flight] = {}

    def __repr__(self) -> str:
        return f"RetryService(read_only={self.read_only}, in_flight={len(self._flights)})"

    # -- deciding --------------------------------------------------------------------------

    def assess(self, submission: Submission) -> tuple[RunVerdict, ...]:
        """A verdict for every run of ``submission``, in run order."""
        by_run = [_verdict_of_run(run) for run in submission.runs]
        if all(verdict is not None for verdict in by_run):
            # The table asks for every run of 50,000 posts: without a failed 500 run, each
            # verdict is decided by the run alone, and nothing else is read.
            return tuple(verdict for verdict in by_run if verdict is not None)
        post_id = submission.post_submission_id
        # Only a failed 500 run reads the stored request (decoded from JSON on demand).
        platforms = _platform_list(submission.request)
        entries = self.ledger.for_post(post_id)
        busy = self._busy_targets(post_id)
        mode_reason = self._mode_reason()
        return tuple(
            verdict
            if verdict is not None
            else self._verdict(post_id, run, entries, platforms, busy, mode_reason)
            for run, verdict in zip(submission.runs, by_run, strict=True)
        )

    def verdict_epoch(self) -> VerdictEpoch:
        """What verdicts depend on besides the post itself (see :class:`VerdictEpoch`):
        a table of 50,000 posts rebuilds only the rows whose verdicts may have changed."""
        posts: dict[str, object] = dict(self.ledger.by_post())
        for flight in self._flights.values():
            posts[flight.post_id] = (posts.get(flight.post_id), self._busy_targets(flight.post_id))
        # In a tuple: the mode is None when sending is allowed, and a None epoch tells the
        # row cache that nothing is known.
        return VerdictEpoch((self._mode_reason(),), posts)

    def can_retry(self, submission: Submission, target_id: str | None = None) -> str | None:
        """None if a retry may go ahead, else the reason why not (for greying out keys)."""
        verdicts = self.assess(submission)
        if target_id is not None:
            for verdict in verdicts:
                if verdict.run.target_id == target_id:
                    return None if verdict.retryable else verdict.reason
            return f"this post has no run {target_id}"
        if any(verdict.retryable for verdict in verdicts):
            return None
        return _combined_reason(submission, verdicts)

    def plan(self, submission: Submission, target_ids: Sequence[str] | None = None) -> RetryPlan:
        """The POST a retry would make now. Raises :class:`RetryRefused` if there is none."""
        verdicts = self.assess(submission)
        if target_ids is None:
            selected = [v for v in verdicts if v.run.is_failed]
            if not selected:
                raise RetryRefused(_combined_reason(submission, verdicts), verdicts)
        else:
            by_target = {v.run.target_id: v for v in verdicts}
            missing = [t for t in dict.fromkeys(target_ids) if t not in by_target]
            if missing:
                raise RetryRefused(f"this post has no run {', '.join(missing)}")
            selected = [by_target[t] for t in dict.fromkeys(target_ids)]
        retryable = [v for v in selected if v.retryable]
        skipped = [v for v in selected if not v.retryable]
        if not retryable:
            raise RetryRefused(_combined_reason(submission, skipped), skipped)

        runs, extra_skipped, resumed = self._resume_unconfirmed(submission, retryable, verdicts)
        skipped.extend(extra_skipped)
        if not runs:
            raise RetryRefused(_combined_reason(submission, skipped), skipped)
        request = submission.request  # decoded once: it is a new dict on every read
        assert request is not None  # retryable runs imply a stored request
        key = idempotency_key(
            submission.post_submission_id,
            [run.target_id for run in runs],
            max(run.attempt for run in runs),
        )
        body = narrow_request(request, runs, now=self._clock())
        return RetryPlan(submission, tuple(runs), tuple(skipped), key, body, resumed)

    def plan_bulk(self, submissions: Iterable[Submission]) -> BulkPlan:
        """Plans for every post with a retryable run (bulk retry of marked posts)."""
        plans: list[RetryPlan] = []
        refused: list[tuple[Submission, str]] = []
        skipped: list[RunVerdict] = []
        for submission in submissions:
            try:
                plan = self.plan(submission)
            except RetryRefused as refusal:
                refused.append((submission, refusal.reason))
                skipped.extend(v for v in refusal.verdicts if v.run.is_failed)
            else:
                plans.append(plan)
                skipped.extend(plan.skipped)
        return BulkPlan(tuple(plans), tuple(refused), tuple(skipped))

    def _mode_reason(self) -> tuple[VerdictKind, str] | None:
        if self.read_only:
            return ("read_only", READ_ONLY_REASON)
        blocked = self._blocked_reason()
        if blocked:
            return ("blocked", blocked)
        return None

    def _verdict(
        self,
        post_id: str,
        run: Run,
        entries: Sequence[LedgerEntry],
        platforms: Sequence[Any] | None,
        busy: set[tuple[str, int]],
        mode_reason: tuple[VerdictKind, str] | None,
    ) -> RunVerdict:
        """The verdict on a failed 500 run (see :func:`_verdict_of_run` for the others)."""
        if platforms is None:
            reason = (
                "the original request isn't stored with this post, so it can't be re-sent; "
                + _DASHBOARD
            )
            return RunVerdict(run, False, reason, "no_request")
        try:
            _entry_index(platforms, run)
        except _NotInRequest:
            reason = (
                f"{_run_name(run)} isn't in the post's stored request, so it can't be re-sent; "
                f"{_DASHBOARD}"
            )
            return RunVerdict(run, False, reason, "not_in_request")
        if not (_SAFE_ID.fullmatch(run.target_id) and _SAFE_ID.fullmatch(post_id)):
            reason = (
                "this post or run has an id that can't be put in an Idempotency-Key, so it "
                f"can't be retried safely; {_DASHBOARD}"
            )
            return RunVerdict(run, False, reason, "unsafe_id")
        for entry in entries:
            if entry.is_done and entry.covers(run.target_id, run.attempt):
                reason = (
                    f"already retried at attempt {run.attempt} as {entry.new_post_id} "
                    f"({_done_phrase(entry)})"
                )
                return RunVerdict(run, False, reason, "already_retried")
        if (run.target_id, run.attempt) in busy:
            return RunVerdict(run, False, IN_PROGRESS_REASON, "in_progress")
        if mode_reason is not None:
            return RunVerdict(run, False, mode_reason[1], mode_reason[0])
        return RunVerdict(run, True, "", "retryable")

    def _resume_unconfirmed(
        self,
        submission: Submission,
        retryable: Sequence[RunVerdict],
        verdicts: Sequence[RunVerdict],
    ) -> tuple[list[Run], list[RunVerdict], bool]:
        """Re-use the key of an unconfirmed (``pending``) retry that covers these runs.

        A new key for a run that an earlier, unanswered POST may already have published
        is exactly how a post goes out twice, so such a retry is resumed as it was sent
        (same targets, same key) and the other runs wait for the next retry.
        """
        wanted = {(v.run.target_id, v.run.attempt) for v in retryable}
        pending = [
            entry
            for entry in self.ledger.for_post(submission.post_submission_id)
            if entry.state == "pending" and wanted & set(entry.targets)
        ]
        if not pending:
            return [v.run for v in retryable], [], False
        entry = pending[0]  # the oldest; any others are resumed by later retries
        by_target = {(v.run.target_id, v.run.attempt): v for v in verdicts}
        resumable = all(
            (target, attempt) in by_target and by_target[(target, attempt)].retryable
            for target, attempt in entry.targets
        )
        covered = set(entry.targets)
        if resumable:
            runs = [by_target[t].run for t in sorted(covered)]
            deferred = [
                RunVerdict(
                    v.run,
                    False,
                    "left for the next retry: an unconfirmed earlier retry of other runs of "
                    "this post is resumed first",
                    "deferred",
                )
                for v in retryable
                if (v.run.target_id, v.run.attempt) not in covered
            ]
            return runs, deferred, True
        # The earlier retry can't be re-sent as it was: leave its runs alone.
        blocked = [
            RunVerdict(
                v.run,
                False,
                f"an earlier retry of this run ({entry.key}) got no answer and can't be resumed; "
                f"check /posts in Soku's dashboard before publishing it again",
                "unconfirmed",
            )
            for v in retryable
            if (v.run.target_id, v.run.attempt) in covered
        ]
        runs = [v.run for v in retryable if (v.run.target_id, v.run.attempt) not in covered]
        return runs, blocked, False

    def _busy_targets(self, post_id: str) -> set[tuple[str, int]]:
        busy: set[tuple[str, int]] = set()
        for flight in self._flights.values():
            if flight.post_id == post_id:
                busy |= flight.targets
        return busy

    # -- sending ---------------------------------------------------------------------------

    async def execute(self, plan: RetryPlan) -> RetryResult:
        """Send ``plan`` (once per key, however many callers) and record the outcome.

        Never raises for an API problem: the result says what happened. The POST is
        never repeated automatically; asking again re-sends the same key.
        """
        key = plan.idempotency_key
        flight = self._flights.get(key)
        if flight is None:
            task = asyncio.ensure_future(self._execute(plan))
            flight = _Flight(
                plan.post_id,
                frozenset((run.target_id, run.attempt) for run in plan.runs),
                task,
            )
            self._flights[key] = flight
            task.add_done_callback(lambda _: self._flights.pop(key, None))
        # Shielded: a caller that gives up (a closed screen) must not cut a POST, and the
        # ledger write after it, in half.
        return await asyncio.shield(flight.task)

    async def _execute(self, plan: RetryPlan) -> RetryResult:
        key = plan.idempotency_key
        mode = self._mode_reason()
        if mode is not None:
            return self._refused(plan, mode[1])
        claimed = self._claim(plan)
        if isinstance(claimed, RetryResult):
            return claimed
        if self.limiter is not None:
            await self.limiter.acquire()
        flight = self._flights.get(key)
        if flight is not None:
            flight.queued = False
        self._audit(plan, "sending", note=f"send #{claimed.sends}")
        try:
            new_id = await self.client.create_post(plan.body, idempotency_key=key)
        except SokuApiError as exc:
            if exc.status >= 500 or exc.status in _IN_DOUBT:
                # A 5xx (maybe from a proxy whose upstream did publish) or a conflict over
                # the key: we cannot tell whether a post exists, so the entry stays pending.
                return self._unanswered(plan, exc, "unconfirmed")
            return self._rejected(plan, exc)
        except SokuUnreachable as exc:
            return self._unanswered(plan, exc, "unreachable")
        except SokuBadResponse as exc:
            # A 2xx we could not read: Soku probably created it. Stay pending; the same
            # key on the next retry gets the id back.
            return self._unanswered(plan, exc, "unconfirmed")
        self.ledger.update(key, state="accepted", new_post_id=new_id, error="", http_status=None)
        self._audit(plan, "accepted", new_post_id=new_id)
        resent = (
            " (re-sent with the same key after an unconfirmed send)" if claimed.sends > 1 else ""
        )
        return RetryResult(
            plan,
            "accepted",
            f"retried {plan.platforms}: new post {new_id}{resent}",
            new_post_id=new_id,
        )

    def _claim(self, plan: RetryPlan) -> LedgerEntry | RetryResult:
        """Under the ledger lock: refuse if done or contended elsewhere, else mark pending."""
        key = plan.idempotency_key
        wanted = {(run.target_id, run.attempt) for run in plan.runs}
        now = self._clock()
        done: RetryResult | None = None
        with self.ledger.transaction() as entries:
            for entry in entries.values():
                if entry.post_id != plan.post_id or not wanted & set(entry.targets):
                    continue
                if entry.is_done:
                    message = (
                        f"already retried as {entry.new_post_id} ({_done_phrase(entry)}); "
                        "nothing was sent"
                    )
                    done = RetryResult(
                        plan, "already_retried", message, new_post_id=entry.new_post_id
                    )
                    break
                if entry.state == "pending" and entry.key != key:
                    # Planned before that retry was recorded (e.g. during a confirmation).
                    done = RetryResult(
                        plan,
                        "refused",
                        "another retry of these runs is unconfirmed (another monitor, or an "
                        "earlier session); nothing was sent — retry again to resume it",
                    )
                    break
            if done is None:
                previous = entries.get(key)
                claimed = LedgerEntry(
                    key=key,
                    post_id=plan.post_id,
                    targets=tuple(sorted(wanted)),
                    attempt=max(attempt for _, attempt in wanted),
                    state="pending",
                    created_at=previous.created_at if previous else now,
                    updated_at=now,
                    sends=(previous.sends if previous else 0) + 1,
                )
                entries[key] = claimed
                return claimed
        self._audit(plan, done.outcome, new_post_id=done.new_post_id, error=done.message)
        return done

    def _refused(self, plan: RetryPlan, reason: str) -> RetryResult:
        self._audit(plan, "refused", error=reason)
        return RetryResult(plan, "refused", reason)

    def _rejected(self, plan: RetryPlan, exc: SokuApiError) -> RetryResult:
        key = plan.idempotency_key
        summary = str(exc)
        wait: float | None
        if exc.is_rate_limited:
            wait = exc.retry_after if exc.retry_after is not None else DEFAULT_RATE_LIMIT_PAUSE
            if self.limiter is not None:
                self.limiter.block_for(wait)
            message = (
                f"Soku is rate-limiting new posts; nothing was published — retry in {wait:.0f} s"
            )
            outcome: RetryOutcome = "rate_limited"
        else:
            wait = exc.retry_after
            message = f"Soku refused the retry: {summary}"
            outcome = "rejected"
        self.ledger.update(key, state="rejected", http_status=exc.status, error=summary)
        self._audit(plan, outcome, http_status=exc.status, error=summary)
        return RetryResult(plan, outcome, message, http_status=exc.status, retry_after=wait)

    def _unanswered(self, plan: RetryPlan, exc: SokuError, outcome: RetryOutcome) -> RetryResult:
        summary = str(exc)
        status = exc.status if isinstance(exc, SokuApiError | SokuBadResponse) else None
        self.ledger.update(plan.idempotency_key, error=summary, http_status=status)
        self._audit(plan, outcome, error=summary, http_status=status)
        message = (
            f"{summary}. Soku may or may not have published it; retrying again is safe "
            "(it re-sends the same idempotency key)"
        )
        return RetryResult(plan, outcome, message, http_status=status)

    # -- following -------------------------------------------------------------------------

    async def follow(
        self,
        new_post_id: str,
        *,
        poll_every: float = 2.0,
        # A budget for the whole follow (a UI shows "timeout"), not a per-request limit.
        timeout: float = 300.0,  # noqa: ASYNC109
    ) -> FollowOutcome:
        """Poll the new submission until it is final; record the outcome.

        Returns "succeeded", "failed", "partially_failed", "timeout" (still not final
        when time ran out; the ledger keeps it as accepted), or "unknown" (Soku refused
        to show it: 401/403 — the key or the subscription).
        """
        deadline = self._monotonic() + timeout
        outcome: FollowOutcome = "timeout"
        error = ""
        while True:
            wait = poll_every
            try:
                submission = await self.client.get_submission(new_post_id)
            except SokuApiError as exc:
                error = str(exc)
                if exc.is_auth_problem:  # waiting will not fix the key or the subscription
                    outcome = "unknown"
                    break
                # Anything else (a 404 while a new post propagates, a 5xx, a 429) may pass.
                if exc.retry_after:
                    wait = max(wait, exc.retry_after)
            except SokuError as exc:  # unreachable, unreadable: the next poll may work
                error = str(exc)
            else:
                if submission.status in FINAL_STATUSES:
                    outcome = _final(submission.status)
                    error = ""
                    break
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                break
            await self._sleep(min(wait, remaining))
        self._record_follow(new_post_id, outcome, error)
        return outcome

    def _record_follow(self, new_post_id: str, outcome: FollowOutcome, error: str) -> None:
        touched: list[LedgerEntry] = []
        now = self._clock()
        with self.ledger.transaction() as entries:
            for key, entry in list(entries.items()):
                if entry.new_post_id != new_post_id:
                    continue
                if outcome in FINAL_STATUSES:
                    entries[key] = replace(
                        entry,
                        state="succeeded" if outcome == "succeeded" else "failed",
                        final_status=outcome,
                        error="",
                        updated_at=now,
                    )
                touched.append(entries[key])
        if not touched:  # a post we did not create through a retry: still worth a line
            self.audit.record(
                "follow", outcome, post_id="", new_post_id=new_post_id, error=clip_error(error)
            )
        for entry in touched:
            self.audit.record(
                "follow",
                outcome,
                post_id=entry.post_id,
                targets=entry.target_ids,
                idempotency_key=entry.key,
                new_post_id=new_post_id,
                error=clip_error(error),
            )

    # -- showing ---------------------------------------------------------------------------

    def state_for(self, post_id: str) -> RetryState | None:
        """The latest retry state of a post, or None if it was never retried."""
        for flight in self._flights.values():
            if flight.post_id == post_id:
                return RetryState(post_id, "queued" if flight.queued else "retrying")
        entries = self.ledger.for_post(post_id)
        if not entries:
            return None
        return self._state_of(max(entries, key=lambda e: (e.updated_at, e.key)))

    def states(self) -> dict[str, RetryState]:
        """Every post's retry state (one ledger read; for refreshing a whole table)."""
        latest: dict[str, LedgerEntry] = {}
        for entry in self.ledger.entries().values():
            current = latest.get(entry.post_id)
            if current is None or (entry.updated_at, entry.key) > (current.updated_at, current.key):
                latest[entry.post_id] = entry
        states = {post: self._state_of(entry) for post, entry in latest.items()}
        for flight in self._flights.values():
            states[flight.post_id] = RetryState(
                flight.post_id, "queued" if flight.queued else "retrying"
            )
        return states

    def _state_of(self, entry: LedgerEntry) -> RetryState:
        phase: RetryPhase
        if entry.state == "pending":
            # Not in flight here: either another live monitor is sending it, or the send
            # was cut off (a crash, no answer) and the next retry resumes it.
            alive_elsewhere = entry.pid != os.getpid() and not entry.owner_is_gone
            phase = "retrying" if alive_elsewhere else "interrupted"
        else:
            phase = entry.state
        return RetryState(
            entry.post_id,
            phase,
            new_post_id=entry.new_post_id,
            final_status=entry.final_status,
            http_status=entry.http_status,
            error=entry.error,
            updated_at=entry.updated_at,
        )

    def _audit(
        self,
        plan: RetryPlan,
        outcome: str,
        *,
        new_post_id: str | None = None,
        http_status: int | None = None,
        error: str = "",
        note: str = "",
    ) -> None:
        log.info("retry %s: %s", plan.idempotency_key, outcome)
        self.audit.record(
            "retry",
            outcome,
            post_id=plan.post_id,
            targets=plan.target_ids,
            idempotency_key=plan.idempotency_key,
            new_post_id=new_post_id,
            http_status=http_status,
            error=clip_error(error),
            note=note,
        )


def _final(status: str) -> FollowOutcome:
    if status == "succeeded":
        return "succeeded"
    if status == "partially_failed":
        return "partially_failed"
    return "failed"


def _combined_reason(submission: Submission, verdicts: Sequence[RunVerdict]) -> str:
    """One sentence for "nothing here can be retried"."""
    failed = [v for v in verdicts if v.run.is_failed]
    if not failed:
        if len(verdicts) == 1:  # one run asked for by name
            return verdicts[0].reason
        return f"not failed (status {submission.status})"
    reasons = list(dict.fromkeys(v.reason for v in failed if v.reason))
    if len(reasons) == 1:
        return reasons[0]
    # One line for a status bar: the reason that matters most, then the rest in short.
    # A run that would be retryable but for our own state (done, busy, read-only) comes
    # first, since that is what the user was probably trying.
    primary = min(failed, key=lambda v: _REASON_PRIORITY.get(v.kind, len(_REASON_PRIORITY)))
    lead = primary.reason
    if primary.kind == "status":
        lead = f"{_run_name(primary.run)}: {lead}"
    others = [v for v in failed if v.reason != primary.reason]
    return f"{lead}; also not retryable: {_tags(others)}"


_REASON_PRIORITY: Final[dict[str, int]] = {
    kind: rank
    for rank, kind in enumerate(
        (
            "read_only",
            "blocked",
            "in_progress",
            "already_retried",
            "unconfirmed",
            "deferred",
            "no_request",
            "not_in_request",
            "unsafe_id",
            "status",
        )
    )
}


def _tags(verdicts: Iterable[RunVerdict]) -> str:
    counts = Counter(verdict.tag for verdict in verdicts)
    return ", ".join(
        tag if n == 1 else f"{tag} ×{n}" for tag, n in sorted(counts.items(), key=_tag_order)
    )


__all__ = [
    "IN_PROGRESS_REASON",
    "READ_ONLY_REASON",
    "BulkPlan",
    "FollowOutcome",
    "RetryOutcome",
    "RetryPhase",
    "RetryPlan",
    "RetryRefused",
    "RetryResult",
    "RetryService",
    "RetryState",
    "RunVerdict",
    "VerdictEpoch",
    "idempotency_key",
    "narrow_request",
    "summarize",
]
