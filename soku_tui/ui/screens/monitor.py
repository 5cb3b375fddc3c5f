"""The main screen: header, view line, banners, failed-posts table, detail pane, footer.

The screen holds what the *user* chose (filter, sort, marks, pause, hidden
acknowledgements) and turns each monitor update into table rows through
:func:`soku_tui.ui.view.build_view`. Everything it acts on is re-read by post id from
the latest snapshot, never taken from a row index.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, Literal

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container
from textual.events import Resize
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from soku_tui.core.models import Submission
from soku_tui.core.monitor import MIN_INTERVAL, MonitorUpdate
from soku_tui.core.notify import Notice
from soku_tui.core.retry import VerdictEpoch
from soku_tui.core.sanitize import clean
from soku_tui.core.slices import finish, run_in_slices
from soku_tui.output import json_line, post_json
from soku_tui.ui.row_cache import RowCache
from soku_tui.ui.screens.ack_flow import toggle_acknowledgement
from soku_tui.ui.screens.actions_log import ActionsLogScreen
from soku_tui.ui.screens.help import HelpEntry, HelpScreen
from soku_tui.ui.screens.retry_flow import RetryFlow
from soku_tui.ui.view import View, ViewOptions, build_view
from soku_tui.ui.widgets.banner import ProblemBanner
from soku_tui.ui.widgets.detail import DetailPane, describe_post, describe_run
from soku_tui.ui.widgets.filter_bar import FilterBar
from soku_tui.ui.widgets.header import StatusHeader
from soku_tui.ui.widgets.post_rows import PostRow
from soku_tui.ui.widgets.post_table import PostTable, PreparedRows
from soku_tui.ui.widgets.view_line import PauseBanner, ViewFacts, ViewLine

if TYPE_CHECKING:
    from soku_tui.ui.app import AppConfig, SokuApp

# Textual's own focus and copy bindings mean nothing in this app; keep help to ours.
# The "_refused" twins share their key with the action they stand in for.
HIDDEN_IN_HELP = frozenset(
    {
        "retry_refused",
        "bulk_retry_refused",
        "app.focus_next",
        "app.focus_previous",
        "screen.copy_text",
    }
)

# Hidden from the footer at times (to save room) but always listed in help, greyed when off.
ALWAYS_IN_HELP = frozenset({"bulk_retry"})

# Wider than this, the detail pane sits beside the table instead of below it.
SIDE_PANE_MIN_WIDTH = 140

# `+` / `-` walk these poll intervals (seconds); MIN_INTERVAL is the floor.
INTERVAL_STEPS: Final = (5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0)

# The actions check_action decides on: their state is what refresh_bindings shows.
CHECKED_ACTIONS: Final = (
    "retry",
    "retry_refused",
    "bulk_retry",
    "bulk_retry_refused",
    "mark",
    "mark_more",
    "pause",
    "resume",
    "acknowledge",
    "copy_id",
    "copy_json",
)

# From this many posts, a poll's rows are built in slices (see _render_rows).
SLICED_ROWS: Final = 2000

# Why the rows were last replaced: only new data can resolve a post.
RowsReason = Literal["poll", "resume", "view", "retry", "profile"]
# What building rows needs, read on the event loop: the update, acknowledgements, retry
# states, marks and the retry service's verdict epoch.
RowsJob = tuple[MonitorUpdate, Any, dict[str, str], frozenset[str], VerdictEpoch]


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
        # Two bindings, one action: once something is marked, the footer shows R in
        # space's place (both do not fit 80 columns).
        Binding("space", "mark", "Mark"),
        Binding("space", "mark_more", "Mark", show=False),
        Binding("R", "bulk_retry", "Retry marked"),
        Binding("R", "bulk_retry_refused", "Retry marked", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("t", "toggle_retryable", "Retryable only", show=False),
        Binding("s", "cycle_sort", "Sort: time/platform/status", show=False),
        Binding("S", "reverse_sort", "Reverse the sort", show=False),
        # One key, two actions; check_action shows the one that applies.
        Binding("p", "pause", "Pause"),
        Binding("p", "resume", "Resume"),
        Binding("a", "acknowledge", "Ack", tooltip="Acknowledge, or withdraw"),
        Binding("A", "toggle_hide_acknowledged", "Hide/show acknowledged", show=False),
        Binding("y", "copy_id", "Copy post id", show=False),
        Binding("Y", "copy_json", "Copy post as JSON", show=False),
        Binding("plus", "slower", "Poll less often", show=False),
        Binding("minus", "faster", "Poll more often", show=False),
        Binding("L", "actions_log", "Actions log", show=False),
        Binding("d", "toggle_detail", "Detail", show=False),
        Binding("ctrl+r,f5", "refresh", "Refresh", show=False),
        Binding("question_mark", "help", "Help"),
        Binding("q,ctrl+q", "app.quit", "Quit"),
    ]

    class Updated(Message):
        """A monitor update; ``notice`` when it brought new failures (from the app's
        notifier, which sees every update exactly once)."""

        def __init__(self, update: MonitorUpdate, notice: Notice | None = None) -> None:
            super().__init__()
            self.update = update
            self.notice = notice

    def __init__(self) -> None:
        # The config is read live from the app (see ``config``): a profile switch replaces it.
        super().__init__()
        self._update: MonitorUpdate | None = None
        self._retry = RetryFlow(self)
        self._view_options = ViewOptions()
        self._view: View | None = None
        self._marks: dict[str, None] = {}  # insertion-ordered set of post ids
        self._paused_at: datetime | None = None
        self._frozen: MonitorUpdate | None = None  # what the table shows while paused
        self._new_since_pause = 0
        self._rows_reason: RowsReason = "poll"
        # Rows of unchanged posts are reused: a poll of 50,000 rebuilds only what changed.
        self._row_cache = RowCache()
        self._rows_generation = 0
        # The next threaded build (job, generation, reason), and whether one is running.
        self._rows_pending: tuple[RowsJob, int, RowsReason] | None = None
        self._rows_building = False
        self._rows_inputs: tuple[object, ...] | None = None
        self._bindings_shown: tuple[bool | None, ...] | None = None
        self._queue_seen = (0, 0)

    @property
    def soku(self) -> SokuApp:
        from soku_tui.ui.app import SokuApp

        assert isinstance(self.app, SokuApp)
        return self.app

    @property
    def config(self) -> AppConfig:
        return self.soku.config

    @property
    def paused(self) -> bool:
        return self._paused_at is not None

    @property
    def marked(self) -> tuple[str, ...]:
        return tuple(self._marks)

    @property
    def view_options(self) -> ViewOptions:
        return self._view_options

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        config = self.config
        yield StatusHeader(
            target=config.target_label,
            demo=config.demo,
            read_only=config.read_only,
            interval=lambda: self.soku.monitor.interval,
            clock=config.clock,
        )
        yield ViewLine()
        yield PauseBanner()
        yield ProblemBanner(clock=config.clock)
        with Container(id="body"):
            yield PostTable(clock=config.clock)
            yield DetailPane()
        yield Static(Text(""), id="status-line")
        yield FilterBar()
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(PostTable).focus()
        self._place_detail(self.size.width)
        # The retry queue drains on its own clock (the create limiter): watch it.
        self.set_interval(1.0, self._watch_queue)

    def on_resize(self, event: Resize) -> None:
        self._place_detail(event.size.width)

    def _place_detail(self, width: int) -> None:
        self.query_one("#body").set_class(width >= SIDE_PANE_MIN_WIDTH, "-side")

    # -- data ------------------------------------------------------------------------------

    @on(Updated)
    def _apply_update(self, message: Updated) -> None:
        update = message.update
        if self.config.key_help and update.health.state not in ("ok", "starting"):
            # No key at all: a 401 is expected, and any other problem is only half the
            # story; the banner says how to configure a key first.
            said = (
                "No Soku API key is configured, so Soku answers 401."
                if update.health.state == "auth"
                else f"{update.health.message} — and no Soku API key is configured."
            )
            health = replace(update.health, message=said, advice=self.config.key_help)
            update = replace(update, health=health)
        self._update = update
        if self.paused:
            if message.notice is not None:
                self._new_since_pause += message.notice.run_count
            if self._frozen is None:
                self._frozen = update  # paused before anything arrived: show the first data
                self._render_rows("poll")
            self._show_pause()
            self._show_header()  # the header stays live while the table is frozen
        else:
            # Marks on posts that stopped failing mean nothing any more.
            snapshot = update.snapshot
            if not update.loading:
                for post_id in [p for p in self._marks if snapshot.get(p) is None]:
                    del self._marks[post_id]
            self._render_rows("poll")
        self.query_one(ProblemBanner).show(update)
        self._show_detail()
        self._refresh_bindings_if_changed()

    def refresh_bindings(self) -> None:
        self._bindings_shown = self._bindings_state()
        super().refresh_bindings()

    def _refresh_bindings_if_changed(self) -> None:
        """Tell the footer only when a key's state changed. Each refresh recomposes the
        footer (new widgets, styles, a layout: ~20 ms of the event loop, more under
        load) and repaints it whole (~500 bytes): polls come every 30 s for hours over
        SSH, and every j/k would otherwise pay it too."""
        if self._bindings_state() != self._bindings_shown:
            self.refresh_bindings()

    def _bindings_state(self) -> tuple[bool | None, ...]:
        """What the footer and the help show for the keys whose state can change."""
        return tuple(self.check_action(action, ()) for action in CHECKED_ACTIONS)

    def _shown_update(self) -> MonitorUpdate | None:
        return self._frozen if self.paused else self._update

    def _render_rows(self, reason: RowsReason) -> None:
        """Rebuild the table's rows from the shown snapshot and the user's view."""
        job = self._rows_job()
        if job is None:
            return
        inputs = (job[0].snapshot.submissions, self._view_options, *job[1:])
        last = self._rows_inputs
        if (
            reason == "poll"
            and last is not None
            and last[0] is inputs[0]
            and last[1:] == inputs[1:]
        ):
            self._show_header()  # health, freshness and latency still change
            return  # the poll brought nothing new for the table (a 304, "polling…")
        self._rows_inputs = inputs
        self._rows_generation += 1
        if reason == "poll" and len(job[0].snapshot.submissions) >= SLICED_ROWS:
            # A big poll: filter, sort and rows a few ms at a time between other events,
            # so keys and the clock stay live; the table is set when it is done.
            self._rows_pending = (job, self._rows_generation, reason)
            if not self._rows_building:
                # One build at a time: during a first load, progress updates come faster
                # than 50,000 rows are built, and parallel builds would each redo the
                # same rows. The latest job waits; the ones it supersedes are never built.
                self._rows_building = True
                self._render_rows_sliced()
            self._show_header()  # at once; the counts follow with the rows
            return
        view, rows = finish(self._prepared_in_steps(job))
        self._set_rows(view, rows, reason)

    def _rows_job(self) -> RowsJob | None:
        """Everything a render needs, read on the event loop."""
        update = self._shown_update()
        if update is None:
            return None
        retry = self.soku.retry_service
        return (
            update,
            self.soku.acks.as_mapping(),
            self._retry.row_states(),
            frozenset(self._marks),
            retry.verdict_epoch(),
        )

    def _rows_in_steps(self, job: RowsJob) -> Generator[None, None, tuple[View, list[PostRow]]]:
        """The view and its rows, in small steps (see :mod:`soku_tui.core.slices`)."""
        update, acks, states, marks, epoch = job
        retry = self.soku.retry_service
        view = build_view(
            update.snapshot,
            self._view_options,
            retryable=lambda s: retry.can_retry(s) is None,
            acks=acks,
        )
        yield
        rows = yield from self._row_cache.rows_in_steps(
            view.submissions,
            retry.can_retry,
            states,
            acknowledged=view.acknowledged,
            marked=marks,
            epoch=epoch.mode,
            post_epochs=epoch.posts,
        )
        return view, rows

    def _set_rows(self, view: View, rows: PreparedRows, reason: RowsReason) -> None:
        self._view = view
        self._rows_reason = reason
        self.query_one(PostTable).set_rows(rows)
        self._show_header()
        self._show_view_line()

    def _prepared_in_steps(self, job: RowsJob) -> Generator[None, None, tuple[View, PreparedRows]]:
        view, rows = yield from self._rows_in_steps(job)
        prepared = yield from PreparedRows.of_in_steps(rows)
        return view, prepared

    # A description of our own: by default Textual describes a worker by repr() of its
    # arguments, here every post of the snapshot (seconds of CPU at 50,000 posts).
    @work(group="rows", exit_on_error=False, description="build the table's rows")
    async def _render_rows_sliced(self) -> None:
        """Build the pending job's rows a few ms at a time on the event loop (not in a
        thread: see soku_tui.core.slices), then the next pending one, if any."""
        try:
            with self.soku.building():
                while self._rows_pending is not None:
                    job, generation, reason = self._rows_pending
                    self._rows_pending = None
                    view, rows = await run_in_slices(self._prepared_in_steps(job))
                    if generation == self._rows_generation:  # else a later one already ran
                        self._set_rows(view, rows, reason)
                        self._show_detail()
        finally:
            self._rows_building = False

    def _show_header(self) -> None:
        header = self.query_one(StatusHeader)
        if self._update is None:
            return
        view = self._view
        if view is not None and view.shown != view.total:
            header.show(self._update, shown=(view.shown, view.total))
        else:
            header.show(self._update)

    def _show_view_line(self) -> None:
        options = self._view_options
        view = self._view
        limiter = self.soku.limiter
        self.query_one(ViewLine).show(
            ViewFacts(
                filter=options.filter.describe(),
                sort="" if options.default_order else options.sort_words,
                hidden_acknowledged=view.hidden_acknowledged if view else 0,
                hiding_acknowledged=options.hide_acknowledged,
                marked=len(self._marks),
                queued=limiter.queued,
                next_slot_in=limiter.next_slot_in() if limiter.queued else 0.0,
                per_minute=limiter.max_per_minute,
            )
        )

    def _show_pause(self) -> None:
        self.query_one(PauseBanner).show(self._paused_at, self._new_since_pause)
        self.query_one(StatusHeader).set_paused(self.paused)

    def _watch_queue(self) -> None:
        """Once a second: a create leaving the queue changes rows ("queued…" →
        "retrying…") and the queue line, though no poll or key press happened."""
        limiter = self.soku.limiter
        seen = (limiter.queued, round(limiter.next_slot_in()) if limiter.queued else 0)
        if seen == self._queue_seen:
            return
        if seen[0] != self._queue_seen[0]:
            self._render_rows("retry")
        self._queue_seen = seen
        self._show_view_line()

    def reset_for_profile(self) -> None:
        """Another Soku account: nothing of the old one's posts stays on screen."""
        config = self.config
        self._update = self._frozen = self._view = None
        self._paused_at = None
        self._new_since_pause = 0
        self._marks.clear()
        self._retry.forget()
        self._rows_reason = "profile"
        self.query_one(PostTable).set_rows([])
        header = self.query_one(StatusHeader)
        header.set_target(config.target_label, demo=config.demo, read_only=config.read_only)
        self._show_pause()
        self.query_one(ProblemBanner).set_class(False, "-visible")
        self._show_view_line()
        self._show_detail()
        self.refresh_bindings()

    # -- selection -------------------------------------------------------------------------

    def selection(self) -> Selection | None:
        key = self.query_one(PostTable).cursor_key
        if key is None:
            return None
        if isinstance(key, tuple):
            return Selection(key[0], key[1])
        return Selection(key, None)

    def _latest(self, post_id: str) -> Submission | None:
        submission = self.soku.monitor.snapshot.get(post_id)
        if submission is None:
            shown = self._shown_update()
            submission = shown.snapshot.get(post_id) if shown else None
        return submission

    def selected_submission(self) -> tuple[Submission, str | None] | None:
        """The highlighted post, re-read from the latest snapshot (never a row index)."""
        chosen = self.selection()
        if chosen is None or self._update is None:
            return None
        submission = self._latest(chosen.post_id)
        return (submission, chosen.target_id) if submission else None

    @on(PostTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._show_detail()
        self._refresh_bindings_if_changed()

    @on(PostTable.CursorLost)
    def _cursor_lost(self, message: PostTable.CursorLost) -> None:
        lost = message.lost_key if isinstance(message.lost_key, str) else message.lost_key[0]
        # Only new data can resolve a post. A post that left because of the user's own
        # filter, sort or acknowledgement is still failing: never call it resolved.
        if self._rows_reason in ("poll", "resume"):
            if self.soku.monitor.snapshot.get(lost) is None:
                self.say(
                    f"Post {lost[:8]}… is no longer failing (resolved); moved to its neighbour."
                )
            else:
                self.say(f"Post {lost[:8]}… changed and is now hidden by the filter.")
        self._show_detail()
        self._refresh_bindings_if_changed()

    def _show_detail(self) -> None:
        pane = self.query_one(DetailPane)
        chosen = self.selected_submission()
        if chosen is None:
            pane.show(Text("No failed posts. Nothing to do." if self._update else "Loading…"))
            return
        submission, target_id = chosen
        reason = self._retry.reason(submission, target_id)
        ack = self.soku.acks.get(submission.post_submission_id)
        run = submission.run(target_id) if target_id else None
        if run is not None:
            pane.show(describe_run(submission, run, reason, ack))
        else:
            pane.show(describe_post(submission, reason, ack))

    # -- enabled or not --------------------------------------------------------------------

    def _marked_submissions(self) -> list[Submission]:
        return [s for post_id in self._marks if (s := self._latest(post_id)) is not None]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("retry", "retry_refused"):
            chosen = self.selected_submission()
            allowed = chosen is not None and self._retry.reason(*chosen) is None
            if action == "retry":
                return True if allowed else None
            return not allowed
        if action in ("bulk_retry", "bulk_retry_refused"):
            marked = self._marked_submissions()
            allowed = self._retry.bulk_reason(marked) is None
            if action == "bulk_retry":
                # Out of the footer until something is marked: it must fit 80 columns.
                return True if allowed else None if marked else False
            return not allowed
        if action in ("mark", "mark_more"):
            if self.selected_submission() is None:
                return None if action == "mark" else False
            return (action == "mark") != bool(self._marks)
        if action == "pause":
            return not self.paused
        if action == "resume":
            return self.paused
        if action in ("acknowledge", "copy_id", "copy_json"):
            return True if self.selected_submission() is not None else None
        return True

    # -- retry -----------------------------------------------------------------------------

    def action_retry_refused(self) -> None:
        chosen = self.selected_submission()
        if chosen is None:
            self.say("Nothing selected to retry.")
            return
        reason = self._retry.reason(*chosen)
        self.say(reason or "Retry is not possible here.", error=True)

    def action_retry(self) -> None:
        chosen = self.selected_submission()
        if chosen is not None:
            self._retry.confirm_one(*chosen)

    def action_bulk_retry_refused(self) -> None:
        reason = self._retry.bulk_reason(self._marked_submissions())
        self.say(f"Retry marked: {reason or 'not possible now'}.", error=True)

    def action_bulk_retry(self) -> None:
        marked = self._marked_submissions()
        shown = set(self.query_one(PostTable).post_ids)
        hidden = sum(1 for s in marked if s.post_submission_id not in shown)
        self._retry.confirm_bulk(marked, hidden=hidden)

    def retry_progress(self) -> None:
        """A retry moved on (queued, sent, followed, done): its row and keys follow."""
        self._render_rows("retry")
        self._refresh_bindings_if_changed()

    def clear_marks(self) -> None:
        self._marks.clear()
        self._show_view_line()

    @property
    def retries_running(self) -> int:
        return len(self._retry.in_flight)

    # -- marks -----------------------------------------------------------------------------

    def action_mark_more(self) -> None:
        self.action_mark()

    def action_mark(self) -> None:
        chosen = self.selection()
        if chosen is None:
            return
        post_id = chosen.post_id
        if post_id in self._marks:
            del self._marks[post_id]
        else:
            self._marks[post_id] = None
        table = self.query_one(PostTable)
        row = table.get_row(post_id)
        if row is not None:
            table.update_row(replace(row, marked=post_id in self._marks))
        table.action_cursor_down()
        self._show_view_line()
        self._refresh_bindings_if_changed()

    # -- view: filter, sort, hidden acknowledgements ---------------------------------------

    def action_filter(self) -> None:
        self.query_one(FilterBar).open(self._view_options.filter.text)

    @on(FilterBar.Changed)
    def _filter_typed(self, message: FilterBar.Changed) -> None:
        if message.text != self._view_options.filter.text:
            self._set_view(self._view_options.with_filter(message.text))
        warnings = self._view_options.filter.warnings
        if warnings:
            self.say(f"Filter: {warnings[0]}", error=True)
        elif message.final:
            self.say(self._filter_summary())

    @on(FilterBar.Closed)
    def _filter_closed(self) -> None:
        self.query_one(PostTable).focus()

    def _filter_summary(self) -> str:
        view = self._view
        if not self._view_options.filter.active or view is None:
            return "Filter cleared: showing every post."
        return f"Filter on: showing {view.shown} of {view.total} posts (/ edits, escape clears)."

    def action_toggle_retryable(self) -> None:
        on_now = not self._view_options.filter.retryable_only
        self._set_view(self._view_options.with_retryable_only(on_now))
        self.say("Showing only posts a retry can fix (500s)." if on_now else "Showing every post.")

    def action_cycle_sort(self) -> None:
        self._set_view(self._view_options.next_sort())
        self.say(f"Sorted: {self._view_options.sort_words} (s: next order, S: reverse).")

    def action_reverse_sort(self) -> None:
        self._set_view(self._view_options.reversed())
        self.say(f"Sorted: {self._view_options.sort_words}.")

    def action_toggle_hide_acknowledged(self) -> None:
        hide = not self._view_options.hide_acknowledged
        self._set_view(replace(self._view_options, hide_acknowledged=hide))
        if hide:
            hidden = self._view.hidden_acknowledged if self._view else 0
            self.say(f"Hiding {hidden} acknowledged posts (A shows them again).")
        else:
            self.say("Showing acknowledged posts (dimmed, ✓).")

    def _set_view(self, options: ViewOptions) -> None:
        self._view_options = options
        self._render_rows("view")
        self._show_detail()
        self._refresh_bindings_if_changed()

    # -- pause -----------------------------------------------------------------------------

    def action_pause(self) -> None:
        self._paused_at = self.config.clock()
        self._frozen = self._update
        self._new_since_pause = 0
        self._show_pause()
        self._refresh_bindings_if_changed()
        self.say("Paused: the table stays still; polling, the header and alerts go on.")

    def action_resume(self) -> None:
        arrived = self._new_since_pause
        self._paused_at = None
        self._frozen = None
        self._show_pause()
        self._render_rows("resume")
        self._show_detail()
        self._refresh_bindings_if_changed()
        noun = "failure" if arrived == 1 else "failures"
        self.say(f"Resumed: {arrived} new {noun} arrived while paused.")

    # -- poll interval ---------------------------------------------------------------------

    def action_slower(self) -> None:
        current = self.soku.monitor.interval
        longer = [step for step in INTERVAL_STEPS if step > current]
        if not longer:
            self.say(f"Already polling at the longest step (every {current:g} s).")
            return
        self._set_interval(longer[0])

    def action_faster(self) -> None:
        current = self.soku.monitor.interval
        shorter = [step for step in INTERVAL_STEPS if step < current]
        if not shorter:
            self.say(f"Already polling as often as allowed (every {MIN_INTERVAL:g} s).")
            return
        self._set_interval(shorter[-1])

    def _set_interval(self, seconds: float) -> None:
        monitor = self.soku.monitor
        now = monitor.set_interval(seconds)
        if self._update is not None and monitor.running:
            # The next poll moved: the header's countdown follows at once.
            self._update = replace(self._update, next_poll_at=monitor.next_poll_at)
        self._show_header()
        self.say(f"Polling every {now:g} s.")

    # -- acknowledge -----------------------------------------------------------------------

    def action_acknowledge(self) -> None:
        chosen = self.selected_submission()
        if chosen is not None:
            toggle_acknowledgement(self, chosen[0])

    def acknowledgements_changed(self) -> None:
        self._render_rows("view")
        self._show_detail()

    # -- copy ------------------------------------------------------------------------------

    def action_copy_id(self) -> None:
        chosen = self.selected_submission()
        if chosen is None:
            return
        post_id = chosen[0].post_submission_id
        self._copy(post_id, f"post id {post_id[:8]}…")

    def action_copy_json(self) -> None:
        chosen = self.selected_submission()
        if chosen is None:
            return
        submission = chosen[0]
        post_id = submission.post_submission_id
        data = post_json(submission, self.soku.acks.get(post_id))
        self._copy(json_line(data), f"post {post_id[:8]}… as JSON")

    def _copy(self, text: str, what: str) -> None:
        result = self.soku.copy_text(text, what=what)
        self.say(result.message, error=not result.copied)

    # -- other actions ---------------------------------------------------------------------

    def action_toggle_detail(self) -> None:
        self.query_one(DetailPane).toggle_class("-hidden")

    def action_refresh(self) -> None:
        # No "Polling now…" line: the header already says "polling…" (for a poll long
        # enough to see) and then "updated 0 s ago"; the status line would cost ~200
        # bytes per press over SSH to say it a second time.
        self.soku.monitor.poll_now()

    def action_actions_log(self) -> None:
        audit = self.soku.audit
        try:
            events = audit.read_recent(500, session=audit.session)
        except OSError as exc:
            self.say(f"Cannot read the audit log: {exc.strerror or exc}", error=True)
            return
        self.app.push_screen(ActionsLogScreen(events, source=str(audit.path)))

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(list(self.help_entries())))

    def help_entries(self) -> Iterator[HelpEntry]:
        chosen = self.selected_submission()
        retry_reason = (self._retry.reason(*chosen) if chosen else "nothing selected") or ""
        bulk_reason = self._retry.bulk_reason(self._marked_submissions())
        reasons = {"retry": retry_reason, "bulk_retry": bulk_reason or ""}
        # One line per description, with all its keys: the screen's "q" (app.quit) and the
        # app's own ctrl+q (quit) are one thing to a user. The first binding in the chain
        # that is not switched off decides whether it works now.
        keys_by_line: dict[str, list[str]] = {}
        actions: dict[str, list[tuple[Any, str, str]]] = {}
        # Actions first (this screen's), then navigation (the table's), then the app's.
        chain = sorted(self._modal_binding_chain, key=lambda link: link[0] is not self)
        for namespace, bindings in chain:
            group = "Actions" if namespace is self else "Moving around"
            for _key, binding in bindings:
                if not binding.description or binding.action in HIDDEN_IN_HELP:
                    continue
                # Our footer words are short; help has room for the tooltip's longer ones.
                mine = namespace is self and binding.tooltip
                line = binding.tooltip if mine else binding.description
                keys = keys_by_line.setdefault(line, [])
                display = self.app.get_key_display(binding)
                if display not in keys:
                    keys.append(display)
                actions.setdefault(line, []).append((namespace, binding.action, group))
        for description, candidates in actions.items():
            states = [
                (self.app._check_action_state(action, namespace), action, group)
                for namespace, action, group in candidates
            ]
            state, action, group = next((s for s in states if s[0] is not False), states[0])
            if state is False and action not in ALWAYS_IN_HELP:
                continue
            yield HelpEntry(
                ", ".join(keys_by_line[description]),
                description,
                bool(state),
                reasons.get(action, ""),
                group,
            )

    def palette_commands(self) -> Iterator[SystemCommand]:
        pause = (
            ("Resume", "Unfreeze the table (p)", self.action_resume)
            if self.paused
            else ("Pause", "Freeze the table, keep polling (p)", self.action_pause)
        )
        commands = [
            ("Refresh now", "Poll Soku immediately", self.action_refresh),
            ("Retry selected", "Retry the highlighted post's 500 runs (r)", self.action_retry),
            ("Retry marked", "Retry the 500 runs of every marked post (R)", self.action_bulk_retry),
            ("Filter", "Filter the posts (/)", self.action_filter),
            ("Retryable only", "Only posts a retry can fix (t)", self.action_toggle_retryable),
            ("Sort", "Next order: time, platform, status (s)", self.action_cycle_sort),
            pause,
            ("Acknowledge", "Acknowledge the post, or withdraw it (a)", self.action_acknowledge),
            ("Hide/show acknowledged", "(A)", self.action_toggle_hide_acknowledged),
            ("Copy post id", "To the clipboard via OSC 52 (y)", self.action_copy_id),
            ("Copy post as JSON", "To the clipboard via OSC 52 (Y)", self.action_copy_json),
            ("Poll less often", "Next longer interval (+)", self.action_slower),
            ("Poll more often", "Next shorter interval (-)", self.action_faster),
            (
                "Actions log",
                "This session's retries and acknowledgements (L)",
                self.action_actions_log,
            ),
            ("Toggle detail pane", "Show or hide details (d)", self.action_toggle_detail),
            ("Help: keys", "List every key and whether it works now (?)", self.action_help),
        ]
        for title, help_text, callback in commands:
            yield SystemCommand(title, help_text, callback)

    def say(self, text: str, *, error: bool = False) -> None:
        line = self.query_one("#status-line", Static)
        line.update(Text(clean(text), style="bold red" if error else ""))
