"""The detail pane: everything about the highlighted post or run, and the fix for it."""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from soku_tui.core.acks import Ack
from soku_tui.core.catalog import fix_for
from soku_tui.core.models import Run, Submission, platform_name
from soku_tui.core.sanitize import clean, one_line
from soku_tui.ui.osc import dashboard_post_url, safe_url
from soku_tui.ui.timefmt import absolute


def _field(text: Text, label: str, value: str) -> None:
    text.append(f"{label:<11}", style="bold")
    text.append(clean(value))
    text.append("\n")


def _link(text: Text, label: str, url: str | None) -> None:
    """A field whose value is an OSC 8 hyperlink: it opens on the user's machine (over SSH
    too), never a browser on the host running soku-tui. The URL is also the visible text,
    so it can be read or selected where the terminal does not do links. A URL that is not
    plain http(s) is shown, sanitised, but not linked."""
    text.append(f"{label:<11}", style="bold")
    target = safe_url(url) if url else None
    shown = one_line(url or "none", 100)
    text.append(shown, style=Style(link=target, underline=True) if target else None)
    text.append("\n")


def _acknowledgement(text: Text, submission: Submission, ack: Ack | None) -> None:
    if ack is None:
        return
    text.append("✓ Acknowledged", style="bold")
    text.append(clean(f" by {ack.by}, {absolute(ack.at)}"))
    if not ack.covers(submission):
        text.append(" — but something failed again since", style="bold")
    text.append("\n")
    if ack.note:
        text.append("  “" + clean(ack.note) + "”\n", style="italic")


def describe_run(
    submission: Submission, run: Run, retry_reason: str | None, ack: Ack | None = None
) -> Text:
    """What failed, what to do and where come first: the pane is often only a dozen lines."""
    text = Text()
    error = run.error
    title = f"{platform_name(run.platform)} · {run.account_id or 'no account'}"
    text.append(clean(title) + "\n", style="bold underline")
    _acknowledgement(text, submission, ack)
    if error is None:
        _field(text, "Run", f"{run.status} (attempt {run.attempt})")
        if run.platform_post_url:
            _link(text, "Live post", run.platform_post_url)
        _field(text, "Post", submission.post_submission_id)
        _link(text, "Dashboard", dashboard_post_url(submission.post_submission_id))
        return text
    status = f"HTTP {error.status}" if error.status is not None else "HTTP status unknown"
    fix = fix_for(error.status, error.code, platform=run.platform)
    text.append(f"{status} · {clean(error.code or 'no code')} — {fix.title}\n", style="bold")
    text.append(clean(error.message or "(no message)") + "\n")
    if fix.steps:
        text.append("What to do\n", style="bold")
        for number, step in enumerate(fix.steps, 1):
            text.append(f" {number}. {step}\n")
    if fix.where:
        text.append("Where: ", style="bold")
        text.append(" · ".join(fix.where) + "\n")
    if retry_reason is None:
        text.append("r: retry this run (Soku says a 500 is safe to send again)\n", style="bold")
    else:
        text.append("Retry: ", style="bold")
        text.append(clean(retry_reason) + "\n")
    text.append("\n")
    if fix.causes:
        text.append("Likely causes\n", style="bold")
        for cause in fix.causes:
            text.append(f" • {cause}\n")
    text.append(fix.meaning + "\n\n", style="italic")
    _field(text, "Run", f"{run.status} (attempt {run.attempt})")
    _field(text, "Request id", error.request_id or "none given")
    _field(text, "Time", absolute(error.timestamp or run.updated_at))
    _field(text, "Post", submission.post_submission_id)
    _link(text, "Dashboard", dashboard_post_url(submission.post_submission_id))
    return text


def describe_post(submission: Submission, retry_reason: str | None, ack: Ack | None = None) -> Text:
    text = Text()
    text.append("Post\n", style="bold underline")
    _acknowledgement(text, submission, ack)
    _field(text, "Id", submission.post_submission_id)
    _field(text, "Status", submission.status.replace("_", " "))
    _field(text, "Created", absolute(submission.created_at))
    _field(text, "Updated", absolute(submission.updated_at))
    if submission.scheduled_time:
        _field(text, "Scheduled", absolute(submission.scheduled_time))
    text.append("Caption\n", style="bold")
    text.append(clean(submission.caption() or "(no caption)") + "\n\n")
    text.append("Platforms\n", style="bold")
    for run in submission.runs:
        status = run.http_status
        mark = "✓" if run.status == "succeeded" else "✗" if run.is_failed else "…"
        line = f" {mark} {platform_name(run.platform):<10} {run.status:<10}"
        if status is not None:
            code = run.error.code if run.error and run.error.code else ""
            line += f" HTTP {status} {code}"
        text.append(clean(line) + "\n")
        live = safe_url(run.platform_post_url) if run.platform_post_url else None
        if run.status == "succeeded" and live:
            text.append("     ↗ ")
            text.append(one_line(live, 80), style=Style(link=live, underline=True))
            text.append("\n")
        if run.is_failed and run.error is not None:
            summary = fix_for(run.error.status, run.error.code, platform=run.platform).summary
            text.append(f"     → {summary}\n", style="italic")
    text.append("\n")
    if retry_reason is None:
        text.append("r: retry this post's 500 runs", style="bold")
    else:
        text.append("Retry: ", style="bold")
        text.append(clean(retry_reason))
    text.append("\n")
    _link(text, "Dashboard", dashboard_post_url(submission.post_submission_id))
    text.append("→ expand to see each platform's error and its fix", style="dim")
    return text


class DetailPane(VerticalScroll):
    """Bottom on narrow terminals, right-hand side on wide ones (the screen decides)."""

    DEFAULT_CSS = """
    DetailPane { border-top: solid $primary; padding: 0 1; }
    DetailPane > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        yield Static(Text("Nothing selected."), id="detail-body")

    def show(self, text: Text) -> None:
        body = self.query_one("#detail-body", Static)
        # Every poll re-shows the highlighted post; unchanged, it must cost no bytes over
        # SSH (a repaint of the pane is ~5 KB).
        if body.content == text:
            return
        # A layout reflows the whole screen (4-10 ms of the event loop, measured during a
        # poll): needed only when the text is not as tall as the one it replaces. Moving
        # the cursor between posts with as many runs keeps the height.
        height = body.content_size.height
        body.update(text, layout=False)
        width = body.content_size.width
        # Not laid out yet, or hidden (width 0): its next layout measures the new text.
        if width and body.get_content_height(self.size, self.app.size, width) != height:
            body.refresh(layout=True)
