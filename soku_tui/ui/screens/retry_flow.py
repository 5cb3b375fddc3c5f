"""Retry from the screen: confirm, send (one post or the marked ones), follow, show.

The decisions (500 only, once per idempotency key, read-only, the 30-a-minute create
limiter) are the retry service's; this module asks the user, runs the sends in workers
and keeps the rows and the status line up to date.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.text import Text

from soku_tui.core.models import Submission, platform_name
from soku_tui.core.retry import RetryPlan, RetryRefused
from soku_tui.core.sanitize import clean, one_line
from soku_tui.ui.screens.confirm import ConfirmBar

if TYPE_CHECKING:
    from soku_tui.ui.screens.monitor import MonitorScreen

IN_FLIGHT_REASON = "a retry of this post is already running"


class RetryFlow:
    """The screen's retries. ``in_flight``: posts being sent or followed right now."""

    def __init__(self, screen: MonitorScreen) -> None:
        self._screen = screen
        self.in_flight: set[str] = set()
        # Row labels the service cannot give (an exception mid-retry); its own win otherwise.
        self._overrides: dict[str, str] = {}

    def reason(self, submission: Submission, target_id: str | None) -> str | None:
        """None if ``r`` may retry this post (or run) now, else why not."""
        if submission.post_submission_id in self.in_flight:
            return IN_FLIGHT_REASON
        return self._screen.soku.retry_service.can_retry(submission, target_id)

    def bulk_reason(self, marked: Sequence[Submission]) -> str | None:
        if not marked:
            return "mark posts with space first"
        reasons = [self.reason(s, None) for s in marked]
        if all(reasons):
            return f"none of the {len(marked)} marked posts can be retried: {reasons[0]}"
        return None

    def row_states(self) -> dict[str, str]:
        states = {
            post: state.label for post, state in self._screen.soku.retry_service.states().items()
        }
        states.update(self._overrides)
        return states

    def forget(self) -> None:
        """A profile switch: the old account's labels mean nothing."""
        self._overrides.clear()

    # -- asking ----------------------------------------------------------------------------

    def confirm_one(self, submission: Submission, target_id: str | None) -> None:
        screen = self._screen
        try:
            plan = screen.soku.retry_service.plan(submission, [target_id] if target_id else None)
        except RetryRefused as refused:
            screen.say(str(refused), error=True)
            return
        platforms = ", ".join(platform_name(run.platform) for run in plan.runs)
        caption = one_line(submission.caption() or "(no caption)", 40)
        # The confirmation is one line, cut at the end when narrow: the caption goes last.
        question = Text("Retry post ")
        question.append(submission.post_submission_id[:8] + "…", style="bold")
        question.append(" on ")
        question.append(clean(platforms), style="bold")
        question.append("?")
        if plan.skipped or plan.resumed:
            question.append(f" {plan.summary} ·")
        question.append(f" “{caption}”", style="italic")

        def answered(yes: bool | None) -> None:
            if yes:
                screen.run_worker(self._one(plan), group="retry", exit_on_error=False)
            else:
                screen.say("Retry cancelled; nothing was sent.")

        screen.app.push_screen(ConfirmBar(question), answered)

    def confirm_bulk(self, marked: Sequence[Submission], *, hidden: int) -> None:
        """``hidden``: how many of the marked posts the current view does not show."""
        screen = self._screen
        bulk = screen.soku.retry_service.plan_bulk(marked)
        if not bulk.plans:
            reason = bulk.refused[0][1] if bulk.refused else "nothing to retry"
            screen.say(f"Retry marked: {reason}.", error=True)
            return
        noun = "post" if len(marked) == 1 else "posts"
        question = Text("Retry the 500s of ")
        question.append(f"{len(marked)} marked {noun}", style="bold")
        if hidden:
            question.append(f" ({hidden} hidden by the view)")
        question.append("? ")
        question.append(bulk.summary, style="bold")
        limit = screen.soku.limiter.max_per_minute
        if len(bulk.plans) > limit:
            question.append(f" · at most {limit} a minute, the rest queue")

        def answered(yes: bool | None) -> None:
            if yes:
                screen.clear_marks()
                screen.run_worker(self._bulk(bulk.plans), group="retry", exit_on_error=False)
            else:
                screen.say("Bulk retry cancelled; nothing was sent.")

        screen.app.push_screen(ConfirmBar(question), answered)

    # -- sending ---------------------------------------------------------------------------

    async def _one(self, plan: RetryPlan) -> None:
        await self._send_and_follow(plan, quiet=False)

    async def _bulk(self, plans: Sequence[RetryPlan]) -> None:
        screen = self._screen
        limit = screen.soku.limiter.max_per_minute
        posts = f"{len(plans)} post{'s' if len(plans) != 1 else ''}"
        screen.say(f"Bulk retry: sending {posts} (at most {limit} a minute)…")
        # Many follows at once share the read budget: ask about each new post less often.
        poll_every = min(10.0, 2.0 + 0.25 * len(plans))
        outcomes = await asyncio.gather(
            *(self._send_and_follow(plan, quiet=True, poll_every=poll_every) for plan in plans)
        )
        summary = ", ".join(f"{n} {word}" for word, n in sorted(Counter(outcomes).items()))
        screen.say(f"Bulk retry of {posts} done: {summary}.")

    async def _send_and_follow(
        self, plan: RetryPlan, *, quiet: bool, poll_every: float = 2.0
    ) -> str:
        """Send one plan, follow the new post, keep its row current; returns the outcome
        in a word or two (for a bulk summary)."""
        screen = self._screen
        post_id = plan.post_id
        if post_id in self.in_flight:
            return "already running"
        self.in_flight.add(post_id)
        self._overrides.pop(post_id, None)
        retry = screen.soku.retry_service
        try:
            sending = asyncio.ensure_future(retry.execute(plan))
            # One step of the loop lets the service register the send, so the row shows
            # "queued…" (waiting for the create limiter) or "retrying…" from the start.
            await asyncio.sleep(0)
            screen.retry_progress()
            result = await sending
            if result.new_post_id is None:
                if retry.state_for(post_id) is None:
                    self._overrides[post_id] = "retry failed"
                if not quiet:
                    screen.say(f"Retry not accepted: {clean(result.message)}", error=True)
                return "not accepted"
            if not quiet:
                screen.say(f"Retry sent as {result.new_post_id[:8]}…; following it.")
            screen.retry_progress()
            outcome = await retry.follow(result.new_post_id, poll_every=poll_every)
            # The service's own label, so the message and the row always say the same.
            state = retry.state_for(post_id)
            word = state.label if state is not None else f"retried → {outcome}"
            if not quiet:
                screen.say(f"Retry of {post_id[:8]}…: {word}.", error=outcome != "succeeded")
            return word
        except Exception as error:  # the monitor must stay up whatever the retry met
            self._overrides[post_id] = "retry failed"
            screen.say(f"Retry failed: {clean(str(error))}", error=True)
            return "retry failed"
        finally:
            self.in_flight.discard(post_id)
            screen.retry_progress()


__all__ = ["IN_FLIGHT_REASON", "RetryFlow"]
