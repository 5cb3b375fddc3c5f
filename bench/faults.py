"""The fault table for the closing note: the real monitor against the demo API, fault by fault.

    python -m bench.faults                  # every fault, the hostile corpus, double publishes
    python -m bench.faults --only hang,html_502 --no-corpus --no-publish

For every fault of issue 4 it starts the real app (``SokuApp`` headless, polling driven
by hand with ``monitor.poll_once()``) against a fresh demo server, and checks what a user
on call would look at: a good poll, then the fault and a poll under it — the app still
runs, a banner says what is wrong (or, for entries we can partly read, no banner and the
rest still shown), the last good rows stay in the table marked stale, no escape byte
reaches the screen — then the fault lifted and one more poll: recovered, banner gone.

"s to recover" is what a user would wait with the monitor's own scheduling if the fault
lifted right after the failed poll: the backoff wait the monitor set
(``health.next_attempt_at``), shown in brackets, plus the measured poll that recovers.
Nothing sleeps through those waits, so the run takes well under a minute. The waits
carry the monitor's jitter (a first failure waits 2.5–5 s), so they differ a little from
run to run; the checks do not.

Then the hostile corpus (every string as a caption, an error message, an account id and
an error code, through the table, the detail pane and ``soku-tui failed``), and a
double-publish check (two retries of one post at once, and a retry whose process is
killed with SIGKILL between send and answer, then retried): the demo server counts what
it published. The exit status is 1 if any row fails.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import RetryLedger
from soku_tui.core.models import Submission
from soku_tui.core.retry import RetryService
from soku_tui.core.sanitize import one_line
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from soku_tui.ui.app import AppConfig, SokuApp
from soku_tui.ui.widgets.banner import ProblemBanner
from soku_tui.ui.widgets.post_table import PostTable

# Short, so hang and trickle give up quickly; the same limit a user can set.
TIMEOUT = 2.0
SIZE = (160, 48)
ESCAPES = ("\x1b", "\x9b")  # ESC, and the 8-bit CSI a terminal may also obey
# After a 401 or 403, the monitor must poll no more often than this (core/monitor.py).
AUTH_MIN_WAIT = 120.0


@dataclass(frozen=True)
class Case:
    """One fault: how to switch it on and off, and what the monitor should show."""

    name: str
    spec: str | None  # FaultSet spec; None for "connection refused" (server stopped)
    state: str  # the health state expected under the fault
    banner: bool = True
    must_say: str = ""  # text the banner must carry (the catalogue's fix)
    min_wait: float = 0.0  # the backoff must wait at least this long


CASES: tuple[Case, ...] = (
    Case("connection_refused", None, "unreachable"),
    Case("hang", "hang:seconds=30", "unreachable"),
    Case("reset", "reset", "unreachable"),
    Case("rate_limit_retry_after", "rate_limit_retry_after:seconds=5", "rate_limited", min_wait=5),
    # X-RateLimit-Reset is whole epoch seconds: up to one second earlier than asked.
    Case("rate_limit_reset_only", "rate_limit_reset_only:seconds=5", "rate_limited", min_wait=4),
    Case("html_500", "html_500", "unreachable"),
    Case("html_502", "html_502", "unreachable"),
    Case("html_503", "html_503", "unreachable"),
    Case("malformed_json", "malformed_json", "bad_response"),
    Case("wrong_shape", "wrong_shape", "bad_response"),
    Case("unknown_values", "unknown_values", "ok", banner=False),
    Case("missing_fields", "missing_fields", "ok", banner=False),
    Case("huge_body", "huge_body", "bad_response", must_say="max_body_bytes"),
    # The same 20 MB without a Content-Length: the cap must hold while it streams in.
    Case("huge_body unsized", "huge_body:sized=0", "bad_response", must_say="max_body_bytes"),
    Case("trickle", "trickle", "unreachable"),
    Case(
        "revoked_key",
        "revoked_key",
        "auth",
        must_say="Settings > API",
        min_wait=AUTH_MIN_WAIT,
    ),
    Case(
        "lapsed_subscription",
        "lapsed_subscription",
        "auth",
        must_say="Settings > Billing",
        min_wait=AUTH_MIN_WAIT,
    ),
)
CASE_NAMES = tuple(case.name for case in CASES)


@dataclass
class Row:
    fault: str
    alive: bool = False
    banner: bool = False
    banner_ok: bool = False
    data_kept: str = "no"
    data_ok: bool = False
    recovered: bool = False
    wait: float = 0.0
    poll: float = 0.0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            self.alive and self.banner_ok and self.data_ok and self.recovered and not self.problems
        )


def _app(server: DemoServer, state_dir: Path, **overrides: Any) -> SokuApp:
    options: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": DEMO_API_KEY,
        "state_dir": state_dir,
        "demo": True,
        "autostart_polling": False,
        "timeout": TIMEOUT,
    }
    options.update(overrides)
    return SokuApp(AppConfig(**options))


async def _poll(app: SokuApp, pilot: Any) -> float:
    """One poll by the monitor, then let the screen apply it; seconds the poll took."""
    started = time.perf_counter()
    await app.monitor.poll_once()
    elapsed = time.perf_counter() - started
    await pilot.pause()
    await pilot.pause()
    return elapsed


def _screen_problems(app: SokuApp) -> list[str]:
    svg = app.export_screenshot()
    found = [f"{svg.count(c)}×U+{ord(c):04X} on screen" for c in ESCAPES if c in svg]
    if "Traceback" in svg:
        found.append("traceback on screen")
    return found


def _on_screen(app: SokuApp, text: str) -> bool:
    svg = html.unescape(app.export_screenshot()).replace("\xa0", " ")
    return text in svg


def _has_retryable(submission: Submission) -> bool:
    return any(run.error is not None and run.error.status == 500 for run in submission.failed_runs)


async def run_case(case: Case, workdir: Path) -> Row:
    row = Row(case.name)
    server = DemoServer(retry_settle_seconds=0.2).start()
    app = _app(server, workdir / case.name)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _measure(case, app, pilot, server, row)
    except Exception as error:  # the app died: that is the finding
        row.alive = False
        row.problems.append(f"crashed: {type(error).__name__}: {one_line(str(error), 80)}")
    finally:
        server.faults.clear()
        server.stop()
    return row


async def _measure(case: Case, app: SokuApp, pilot: Any, server: DemoServer, row: Row) -> None:
    table = app.screen.query_one(PostTable)
    banner = app.screen.query_one(ProblemBanner)
    monitor = app.monitor

    await _poll(app, pilot)
    good_rows = table.row_count
    if not monitor.health.ok or good_rows == 0:
        row.problems.append(f"the first poll failed: {monitor.health.message}")
        return

    # -- the fault ------------------------------------------------------------------------
    # Something changes first, as on a busy account: otherwise the poll's ETag earns a
    # bodyless 304, and faults that live in the body (reset, trickle, …) never show.
    server.tick()
    if case.spec is None:
        server.stop()
    else:
        server.faults.apply_spec(case.spec)
    fault_poll = await _poll(app, pilot)
    health = monitor.health
    row.alive = app.is_running
    row.banner = banner.has_class("-visible")
    row.banner_ok = row.banner == case.banner and health.state == case.state
    banner_text = str(banner.content) if row.banner else ""
    if health.state != case.state:
        row.problems.append(f"health {health.state}, expected {case.state}")
    if case.must_say and case.must_say not in banner_text:
        row.problems.append(f"banner lacks {case.must_say!r}")
    row.problems.extend(_screen_problems(app))

    if case.banner:
        kept = table.row_count == good_rows and monitor.snapshot.fetched_at is not None
        stale = "stale" in banner_text
        row.data_ok = kept and stale
        row.data_kept = f"{table.row_count}/{good_rows}" + (" stale" if stale else "")
        if not stale:
            row.problems.append("last data not marked stale")
        if health.next_attempt_at is not None and health.since is not None:
            # `since` is the failed poll's own time (its first failure), so this is the
            # whole wait the monitor scheduled.
            row.wait = (health.next_attempt_at - health.since).total_seconds()
        if row.wait < case.min_wait:
            row.problems.append(f"backoff {row.wait:.1f} s < {case.min_wait:g} s asked")
        message = health.message.removeprefix("Listing failed posts: ")
        row.notes.append(f"{health.state}: {one_line(message, 60)}")
        if case.name in ("hang", "trickle") or case.name.startswith("huge_body"):
            row.notes.append(f"gave up after {fault_poll:.1f} s")
        if case.state == "auth":
            refusal = _retry_refusal(app)
            if refusal is None:
                row.problems.append("a retry is still allowed")
            else:
                row.notes.append(f"retry refused: {one_line(refusal, 48)}")
    else:
        # Partly readable answers: no outage, the readable entries replace the table.
        skipped = monitor.snapshot.skipped
        row.data_ok = table.row_count > 0 and health.ok
        row.data_kept = f"{table.row_count}/{good_rows}"
        if skipped:
            row.data_kept += f" ({skipped} unreadable)"
            told = "said on screen" if _on_screen(app, "unreadable") else "NOT on screen"
            row.notes.append(f"no banner; {skipped} unreadable entries skipped ({told})")
        else:
            row.notes.append("no banner; unknown statuses, platforms and codes shown as sent")

    # -- the fault lifted -----------------------------------------------------------------
    if case.spec is None:
        server.start()
    else:
        server.faults.clear()
    row.poll = await _poll(app, pilot)
    if not case.banner and monitor.stats.not_modified:
        # The demo serves a transformed body under the untouched data's ETag, so the
        # poll after the lift gets a 304 and keeps the faulted view; the next change of
        # data brings the real answer. (A real server's ETag follows its content.)
        row.notes.append("304 after the lift kept the faulted view until the next change")
        server.tick()
        row.poll += await _poll(app, pilot)
    snapshot = monitor.snapshot
    row.recovered = (
        monitor.health.ok
        and not banner.has_class("-visible")
        and table.row_count == len(snapshot.submissions) > 0
        and snapshot.skipped == 0
        and app.is_running
    )
    if not row.recovered:
        row.problems.append(
            f"not recovered: health {monitor.health.state}, {table.row_count} rows, "
            f"{snapshot.skipped} skipped, banner "
            f"{'shown' if banner.has_class('-visible') else 'gone'}"
        )
    row.alive = row.alive and app.is_running
    row.problems.extend(_screen_problems(app))


def _retry_refusal(app: SokuApp) -> str | None:
    """Why a retry of a post with a 500 run is refused now (None: it is allowed)."""
    candidates = [s for s in app.monitor.snapshot.submissions if _has_retryable(s)]
    if not candidates:
        return "(no post with a 500 run to try)"
    return app.retry_service.can_retry(candidates[0])


# -- the hostile corpus ---------------------------------------------------------------------


@dataclass
class CorpusResult:
    size: int
    rendered: int = 0
    crashes: int = 0
    escapes: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.rendered == self.size and not (self.crashes or self.escapes or self.problems)


def hostile_submissions(strings: Sequence[str]) -> list[dict[str, Any]]:
    """One failed post per string: as its caption, its 500 message, an account and a code."""
    items: list[dict[str, Any]] = []
    newest = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    for index, text in enumerate(strings):
        # Within the monitor's default window, newest first in corpus order.
        when = newest - timedelta(seconds=index)
        stamp = when.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        items.append(
            {
                "postSubmissionId": f"hostile-{index:03d}",
                "status": "failed",
                "createdAt": stamp,
                "updatedAt": stamp,
                "request": {
                    "post": {
                        "content": {
                            "text": text,
                            "mediaType": "text",
                            "platform": ["x", {"platform": "tiktok", "accountId": text}],
                        }
                    }
                },
                "runs": [
                    {
                        "targetId": "x:x_primary",
                        "platform": "x",
                        "accountId": "x_primary",
                        "status": "failed",
                        "error": {"status": 500, "code": "internal_error", "message": text},
                        "attempt": 1,
                        "updatedAt": stamp,
                    },
                    {
                        "targetId": f"tiktok:{text}",
                        "platform": "tiktok",
                        "accountId": text,
                        "status": "failed",
                        "error": {"status": 400, "code": text, "message": "rejected"},
                        "attempt": 1,
                        "updatedAt": stamp,
                    },
                ],
            }
        )
    return items


async def check_corpus(
    strings: Sequence[str], workdir: Path, formats: Sequence[str] = ("table", "csv", "json")
) -> CorpusResult:
    result = CorpusResult(size=len(strings))
    server = DemoServer(posts=0).start()
    try:
        ids = server.add_submissions(hostile_submissions(strings))
        await _render_corpus(server, ids, workdir, result)
        for fmt in formats:
            _corpus_cli(server, fmt, workdir, result)
    finally:
        server.stop()
    return result


async def _render_corpus(
    server: DemoServer, ids: Sequence[str], workdir: Path, result: CorpusResult
) -> None:
    from textual.widgets import Static

    from tests.core.hostile_corpus import forbidden_chars

    app = _app(server, workdir / "corpus")
    try:
        async with app.run_test(size=SIZE) as pilot:
            await _poll(app, pilot)
            table = app.screen.query_one(PostTable)
            detail = app.screen.query_one("#detail-body", Static)
            if table.row_count != len(ids):
                result.problems.append(f"{table.row_count} of {len(ids)} hostile posts listed")
            for post_id in ids:
                submission = app.monitor.snapshot.get(post_id)
                if submission is None:
                    result.problems.append(f"{post_id} not listed")
                    continue
                keys: list[Any] = [post_id]
                keys += [(post_id, run.target_id) for run in submission.runs]
                for key in keys:  # the post row, then each run row (its error in detail)
                    before = str(detail.content)
                    table.move_cursor_to_key(key)
                    for _ in range(50):  # the cursor message hops table → screen → pane
                        await pilot.pause(0)
                        shown = str(detail.content)
                        if shown != before and post_id in shown:
                            break
                    if post_id not in shown:
                        result.problems.append(f"{key}: the detail pane did not follow")
                    unsafe = forbidden_chars(shown, allow_newline=True)
                    found = _screen_problems(app)
                    result.escapes += sum(c in ESCAPES for c in unsafe)
                    result.escapes += sum(int(text.split("×")[0]) for text in found if "×" in text)
                    if unsafe or found:
                        result.problems.append(f"{key}: {found or unsafe[:5]}")
                if app.is_running:
                    result.rendered += 1
            if not app.is_running:
                result.crashes += 1
    except Exception as error:
        result.crashes += 1
        result.problems.append(f"crashed: {type(error).__name__}: {one_line(str(error), 80)}")


def _corpus_cli(server: DemoServer, fmt: str, workdir: Path, result: CorpusResult) -> None:
    """``soku-tui failed`` in a subprocess, as a script or a pipe would run it."""
    home = workdir / "cli-home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOKU_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        SOKU_BASE_URL=server.base_url,
        SOKU_API_KEY=DEMO_API_KEY,
        COLUMNS="160",
        PYTHONIOENCODING="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "soku_tui", "failed", "--format", fmt],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=120,
        check=False,
    )
    for stream in (proc.stdout, proc.stderr):
        text = stream.decode("utf-8", "replace")
        result.escapes += sum(text.count(c) for c in ESCAPES)
    if proc.returncode != 1 or b"Traceback" in proc.stderr:
        result.crashes += 1
        err = one_line(proc.stderr.decode("utf-8", "replace").strip(), 80)
        result.problems.append(f"failed --format {fmt}: exit {proc.returncode} {err}")
    elif fmt != "json" and proc.stdout.count(b"hostile-") < result.size:
        result.problems.append(f"failed --format {fmt}: not every hostile post listed")


# -- never publish twice --------------------------------------------------------------------

_CRASHING_RETRY = """
import asyncio, sys
from pathlib import Path
from soku_tui.core.audit import AuditLog
from soku_tui.core.client import SokuClient
from soku_tui.core.ledger import RetryLedger
from soku_tui.core.retry import RetryService

async def main(base_url, api_key, post_id, ledger, audit):
    async with SokuClient(base_url=base_url, api_key=api_key, timeout=60) as client:
        service = RetryService(client, RetryLedger(Path(ledger)), AuditLog(Path(audit)))
        sub = await client.get_submission(post_id)
        await service.execute(service.plan(sub))

asyncio.run(main(*sys.argv[1:]))
"""


@dataclass
class PublishResult:
    retries: int = 0  # logical retries asked for (each may be sent more than once)
    created: int = 0  # submissions the server created
    problems: list[str] = field(default_factory=list)

    @property
    def twice(self) -> int:
        return max(0, self.created - self.retries)

    @property
    def ok(self) -> bool:
        return self.twice == 0 and not self.problems and self.created == self.retries


async def check_double_publish(workdir: Path) -> PublishResult:
    result = PublishResult()
    server = DemoServer(retry_settle_seconds=0.2).start()
    state = workdir / "publish"
    state.mkdir(parents=True, exist_ok=True)

    def service(client: SokuClient) -> RetryService:
        return RetryService(
            client, RetryLedger(state / "ledger.json"), AuditLog(state / "audit.jsonl")
        )

    try:
        async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY) as client:
            listing = await client.list_failed()
            mine = service(client)
            targets = [s for s in listing.submissions if mine.can_retry(s) is None]
            if len(targets) < 2:
                result.problems.append("fewer than two retryable posts in the demo")
                return result
            first, second = targets[0], targets[1]

            # Two monitors (own clients, one ledger) retry the same post at the same moment,
            # and one of them twice (a double key press).
            async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY) as other:
                theirs = service(other)
                answers = await asyncio.gather(
                    mine.execute(mine.plan(first)),
                    theirs.execute(theirs.plan(first)),
                    mine.execute(mine.plan(first)),
                    return_exceptions=True,
                )
            result.retries += 1
            ids = {a.new_post_id for a in answers if not isinstance(a, BaseException)}
            if len(ids - {None}) != 1:
                result.problems.append(f"concurrent retries answered {sorted(map(str, ids))}")

            # SIGKILL between send and answer, then a restarted process retries again.
            result.retries += 1
            await _kill_mid_retry(server, second, state, result)
            restarted = service(client)
            plan = restarted.plan(second)
            again = await restarted.execute(plan)
            if not again.ok:
                result.problems.append(f"retry after kill -9: {again.message}")
        result.created = server.created_count
    except Exception as error:
        result.problems.append(f"crashed: {type(error).__name__}: {one_line(str(error), 80)}")
        result.created = server.created_count
    finally:
        server.stop()
    return result


async def _kill_mid_retry(
    server: DemoServer, submission: Submission, state: Path, result: PublishResult
) -> None:
    # Soku creates the post, then its answer never comes back.
    server.faults.set("hang", scope="create", count=1, seconds=30)
    before = server.created_count
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _CRASHING_RETRY,
        server.base_url,
        DEMO_API_KEY,
        submission.post_submission_id,
        str(state / "ledger.json"),
        str(state / "audit.jsonl"),
    )
    try:
        deadline = time.monotonic() + 60
        while server.created_count == before and child.returncode is None:
            if time.monotonic() > deadline:
                result.problems.append("the killed retry never reached the server")
                break
            await asyncio.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout=30)
        server.faults.clear("hang")


# -- the table ------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return "yes" if flag else "NO"


def format_rows(rows: Sequence[Row]) -> str:
    header = ("fault", "alive", "banner", "data kept", "recovered", "s to recover (backoff wait)")
    lines: list[tuple[str, ...]] = [(*header, "notes")]
    for row in rows:
        if row.banner or not row.banner_ok:
            banner = _yes(row.banner) if row.banner_ok else f"{_yes(row.banner)} (wrong)"
        else:
            banner = "no (as meant)"
        recover = (
            f"{row.wait + row.poll:7.2f} ({row.wait:6.1f})"
            if row.banner
            else f"{row.poll:7.2f} (no outage)"
        )
        notes = "; ".join(row.problems + row.notes)
        lines.append(
            (
                row.fault + ("" if row.ok else "  ✗"),
                _yes(row.alive),
                banner,
                row.data_kept,
                _yes(row.recovered),
                recover,
                notes,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=False)]
        out.append(" | ".join([*cells, line[-1]]).rstrip())
        if number == 0:
            out.append("-+-".join("-" * width for width in widths) + "-+-" + "-" * 5)
    return "\n".join(out)


async def run_all(
    names: Sequence[str],
    *,
    corpus: Sequence[str] | None,
    publish: bool,
    workdir: Path,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[list[Row], CorpusResult | None, PublishResult | None]:
    rows: list[Row] = []
    for case in CASES:
        if case.name in names:
            progress(case.name)
            rows.append(await run_case(case, workdir))
    corpus_result = None
    if corpus is not None:
        progress("hostile corpus")
        corpus_result = await check_corpus(corpus, workdir)
    publish_result = None
    if publish:
        progress("double publish")
        publish_result = await check_double_publish(workdir)
    return rows, corpus_result, publish_result


def report(
    rows: Sequence[Row], corpus: CorpusResult | None, publish: PublishResult | None
) -> tuple[str, bool]:
    lines = [format_rows(rows), ""]
    ok = all(row.ok for row in rows)
    if corpus is not None:
        verdict = "ok" if corpus.ok else "FAILED"
        lines.append(
            f"hostile corpus: {corpus.size} strings, each as caption, error message, account "
            f"id and code; rendered {corpus.rendered}/{corpus.size} (table + detail pane) and "
            f"through `soku-tui failed` (table, csv, json): crashes {corpus.crashes}, "
            f"ESC bytes found {corpus.escapes} — {verdict}"
        )
        lines.extend(f"  ✗ {problem}" for problem in corpus.problems[:10])
        ok = ok and corpus.ok
    if publish is not None:
        verdict = "ok" if publish.ok else "FAILED"
        lines.append(
            f"submissions published twice: {publish.twice} ({publish.retries} logical retries "
            f"— 3 concurrent sends of one, one killed with SIGKILL mid-send then retried — "
            f"{publish.created} submissions created) — {verdict}"
        )
        lines.extend(f"  ✗ {problem}" for problem in publish.problems)
        ok = ok and publish.ok
    return "\n".join(lines), ok


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.faults", description=__doc__)
    parser.add_argument("--only", default="", help="comma-separated fault names")
    parser.add_argument("--no-corpus", action="store_true", help="skip the hostile corpus")
    parser.add_argument("--no-publish", action="store_true", help="skip the publish check")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(CASE_NAMES)
    unknown = sorted(set(names) - set(CASE_NAMES))
    if unknown:
        parser.error(f"unknown faults {', '.join(unknown)}; known: {', '.join(CASE_NAMES)}")
    corpus: list[str] | None = None
    if not args.no_corpus:
        from tests.core.hostile_corpus import HOSTILE_STRINGS

        corpus = list(HOSTILE_STRINGS)

    # The monitor logs each failed poll; the table says it better than stderr would.
    logging.getLogger().addHandler(logging.NullHandler())
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="soku-faults-") as scratch:
        rows, corpus_result, publish_result = asyncio.run(
            run_all(
                names,
                corpus=corpus,
                publish=not args.no_publish,
                workdir=Path(scratch),
                progress=lambda what: print(f"… {what}", file=sys.stderr, flush=True),
            )
        )
    text, ok = report(rows, corpus_result, publish_result)
    print(text)
    print(
        f"\n{len(rows)} faults in {time.perf_counter() - started:.0f} s; request time limit "
        f"{TIMEOUT:g} s; {'all rows pass' if ok else 'SOME ROWS FAIL'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
