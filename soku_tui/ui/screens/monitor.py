"""The main screen: header, problem banner, failed-posts table, detail pane, footer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from soku_tui.core.models import Submission, platform_name
from soku_tui.core.monitor import MonitorUpdate
from soku_tui.core.retry import RetryRefused
from soku_tui.core.sanitize import clean, one_line
from soku_tui.ui.rows import build_rows
from soku_tui.ui.screens.confirm import ConfirmBar
from soku_tui.ui.screens.help import HelpEntry, HelpScreen
from soku_tui.ui.widgets.banner import ProblemBanner
from soku_tui.ui.widgets.detail import DetailPane, describe_post, describe_run
from soku_tui.ui.widgets.header import StatusHeader
from soku_tui.ui.widgets.post_table import PostTable

if TYPE_CHECKING:
    from soku_tui.ui.app import AppConfig, SokuApp

# Textual's own focus and copy bindings mean nothing in this app; keep help to ours.
HIDDEN_IN_HELP = frozenset(
    {"retry_refused", "app.focus_next", "app.focus_previous", "screen.copy_text"}
)

# Wider than this, the detail pane sits beside the table instead of below it.
SIDE_PANE_MIN_WIDTH = 140


@dataclass(frozen=True)
class Selection:
    post_id: str
    target_id: str | None


class MonitorScreen(Screen[None]):
    DEFAULT_CSS = """
    MonitorScreen #body { layout: vertical; height: 1fr; }
    MonitorScreen #body.-side { layout: horizontal; }
    MonitorScreen PostTable { height: 1fr; width: 1fr; }
    MonitorScreen DetailPane { height: 40%; width: 1fr; }
    MonitorScreen #body.-side DetailPane {
        height: 1fr; width: 38%; border-top: none; border-left: solid $primary;
    }
    MonitorScreen DetailPane.-hidden { display: none; }
    MonitorScreen #status-line { height: 1; padding: 0 1; color: $text-muted; }
    MonitorScreen #empty { height: 1fr; content-align: center middle; display: none; }
    """

    BINDINGS = [
        Binding("r", "retry", "Retry 500s"),
        # Same key, only live while retry is off: says why instead of doing nothing.
        Binding("r", "retry_refused", "Retry 500s", show=False),
        Binding("space", "toggle_expand", "Expand/collapse", show=False),
        Binding("d", "toggle_detail", "Detail"),
        Binding("ctrl+r,f5", "refresh", "Refresh"),
        Binding("question_mark", "help", "Help"),
        Binding("q,ctrl+q", "app.quit", "Quit"),
    ]

    class Updated(Message):
        def __init__(self, update: MonitorUpdate) -> None:
            super().__init__()
            self.update = update

    def __init__(self, config: AppConfig) -> None:
        super().__init__()
        self.config = config
        self._update: MonitorUpdate | None = None
        self._retry_states: dict[str, str] = {}
        self._retry_in_flight: set[str] = set()

    @property
    def soku(self) -> SokuApp:
        from soku_tui.ui.app import SokuApp

        assert isinstance(self.app, SokuApp)
        return self.app

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        monitor = self.soku.monitor
        yield StatusHeader(
            target=self.config.target_label,
            demo=self.config.demo,
            read_only=self.config.read_only,
            interval=lambda: monitor.interval,
            clock=self.config.clock,
        )
        yield ProblemBanner(clock=self.config.clock)
        with Container(id="body"):
            yield PostTable(clock=self.config.clock)
            yield DetailPane()
        yield Static(Text(""), id="status-line")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PostTable).focus()
        self._place_detail(self.size.width)

    def on_resize(self, event: Resize) -> None:
        self._place_detail(event.size.width)

    def _place_detail(self, width: int) -> None:
        self.query_one("#body").set_class(width >= SIDE_PANE_MIN_WIDTH, "-side")

    # -- data ------------------------------------------------------------------------------

    @on(Updated)
    def _apply_update(self, message: Updated) -> None:
        update = message.update
        if update.health.state == "auth" and self.config.key_help:
            # No key at all: the 401 is expected; say how to configure one instead.
            health = replace(
                update.health,
                message="No Soku API key is configured, so Soku answers 401.",
                advice=self.config.key_help,
            )
            update = replace(update, health=health)
        self._update = update
        retry = self.soku.retry_service
        rows = build_rows(update.snapshot.submissions, retry.can_retry, self._row_states())
        self.query_one(PostTable).set_rows(rows)
        self.query_one(StatusHeader).show(update)
        self.query_one(ProblemBanner).show(update)
        self._show_detail()
        self.refresh_bindings()

    def _row_states(self) -> dict[str, str]:
        states = {post: state.label for post, state in self.soku.retry_service.states().items()}
        states.update(self._retry_states)
        return states

    def _rerender_rows(self) -> None:
        if self._update is not None:
            self.post_message(self.Updated(self._update))

    # -- selection -------------------------------------------------------------------------

    def selection(self) -> Selection | None:
        key = self.query_one(PostTable).cursor_key
        if key is None:
            return None
        if isinstance(key, tuple):
            return Selection(key[0], key[1])
        return Selection(key, None)

    def selected_submission(self) -> tuple[Submission, str | None] | None:
        """The highlighted post, re-read from the latest snapshot (never a row index)."""
        chosen = self.selection()
        if chosen is None or self._update is None:
            return None
        submission = self.soku.monitor.snapshot.get(chosen.post_id)
        if submission is None:
            submission = self._update.snapshot.get(chosen.post_id)
        return (submission, chosen.target_id) if submission else None

    @on(PostTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_detail()
        self.refresh_bindings()

    @on(PostTable.CursorLost)
    def _cursor_lost(self, message: PostTable.CursorLost) -> None:
        lost = message.lost_key if isinstance(message.lost_key, str) else message.lost_key[0]
        self._say(f"Post {lost[:8]}… is no longer failing (resolved); moved to its neighbour.")
        self._show_detail()
        self.refresh_bindings()

    def _show_detail(self) -> None:
        pane = self.query_one(DetailPane)
        chosen = self.selected_submission()
        if chosen is None:
            pane.show(Text("No failed posts. Nothing to do." if self._update else "Loading…"))
            return
        submission, target_id = chosen
        reason = self._retry_reason(submission, target_id)
        run = submission.run(target_id) if target_id else None
        if run is not None:
            pane.show(describe_run(submission, run, reason))
        else:
            pane.show(describe_post(submission, reason))

    # -- retry -----------------------------------------------------------------------------

    def _retry_reason(self, submission: Submission, target_id: str | None) -> str | None:
        if submission.post_submission_id in self._retry_in_flight:
            return "a retry of this post is already running"
        return self.soku.retry_service.can_retry(submission, target_id)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry", "retry_refused"):
            chosen = self.selected_submission()
            allowed = chosen is not None and self._retry_reason(*chosen) is None
            if action == "retry":
                return True if allowed else None
            return not allowed
        return True

    def action_retry_refused(self) -> None:
        chosen = self.selected_submission()
        if chosen is None:
            self._say("Nothing selected to retry.")
            return
        reason = self._retry_reason(*chosen)
        self._say(reason or "Retry is not possible here.", error=True)

    def action_retry(self) -> None:
        chosen = self.selected_submission()
        if chosen is None:
            return
        submission, target_id = chosen
        retry = self.soku.retry_service
        try:
            plan = retry.plan(submission, [target_id] if target_id else None)
        except RetryRefused as refused:
            self._say(str(refused), error=True)
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
                self._run_retry(plan)
            else:
                self._say("Retry cancelled; nothing was sent.")

        self.app.push_screen(ConfirmBar(question), answered)

    @work(exit_on_error=False, group="retry")
    async def _run_retry(self, plan: Any) -> None:
        post_id = plan.submission.post_submission_id
        if post_id in self._retry_in_flight:
            return
        self._retry_in_flight.add(post_id)
        self._retry_states[post_id] = "retrying…"
        self._rerender_rows()
        self.refresh_bindings()
        retry = self.soku.retry_service
        try:
            result = await retry.execute(plan)
            if result.new_post_id is None:
                self._retry_states[post_id] = "retry failed"
                self._say(f"Retry not accepted: {clean(result.message)}", error=True)
                return
            self._say(f"Retry sent as {result.new_post_id[:8]}…; following it.")
            self._retry_states[post_id] = "retried → waiting"
            self._rerender_rows()
            outcome = await retry.follow(result.new_post_id)
            word = {"succeeded": "retried → ok", "failed": "failed again"}.get(
                outcome, f"retried → {outcome}"
            )
            self._retry_states[post_id] = word
            self._say(f"Retry of {post_id[:8]}…: {word}.", error=outcome != "succeeded")
        except Exception as error:  # the monitor must stay up whatever the retry met
            self._retry_states[post_id] = "retry failed"
            self._say(f"Retry failed: {clean(str(error))}", error=True)
        finally:
            self._retry_in_flight.discard(post_id)
            self._rerender_rows()
            self.refresh_bindings()

    # -- other actions ---------------------------------------------------------------------

    def action_toggle_expand(self) -> None:
        chosen = self.selection()
        if chosen is not None:
            self.query_one(PostTable).toggle(chosen.post_id)

    def action_toggle_detail(self) -> None:
        self.query_one(DetailPane).toggle_class("-hidden")

    def action_refresh(self) -> None:
        self.soku.monitor.poll_now()
        self._say("Polling now…")

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(list(self.help_entries())))

    def help_entries(self) -> Iterator[HelpEntry]:
        chosen = self.selected_submission()
        retry_reason = (self._retry_reason(*chosen) if chosen else "nothing selected") or ""
        # One line per description, with all its keys: the screen's "q" (app.quit) and the
        # app's own ctrl+q (quit), or the table's enter and the screen's space, are one
        # thing to a user. The first binding in the chain decides whether it works now.
        keys_by_line: dict[str, list[str]] = {}
        first: dict[str, tuple[Any, str]] = {}
        # Actions first (this screen's), then navigation (the table's), then the app's.
        chain = sorted(self._modal_binding_chain, key=lambda link: link[0] is not self)
        for namespace, bindings in chain:
            for _key, binding in bindings:
                if not binding.description or binding.action in HIDDEN_IN_HELP:
                    continue
                keys = keys_by_line.setdefault(binding.description, [])
                display = self.app.get_key_display(binding)
                if display not in keys:
                    keys.append(display)
                first.setdefault(binding.description, (namespace, binding.action))
        for description, (namespace, action) in first.items():
            state = self.app._check_action_state(action, namespace)
            if state is False:
                continue
            reason = retry_reason if action == "retry" else ""
            yield HelpEntry(", ".join(keys_by_line[description]), description, bool(state), reason)

    def palette_commands(self) -> Iterator[SystemCommand]:
        yield SystemCommand("Refresh now", "Poll Soku immediately", self.action_refresh)
        yield SystemCommand(
            "Retry selected", "Retry the highlighted post's 500 runs", self.action_retry
        )
        yield SystemCommand("Toggle detail pane", "Show or hide details", self.action_toggle_detail)
        yield SystemCommand(
            "Help: keys", "List every key and whether it works now", self.action_help
        )

    def _say(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#status-line", Static)
        line.update(Text(clean(text), style="bold red" if error else ""))
