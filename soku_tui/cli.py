"""The ``soku-tui`` command line: the monitor (default) and the headless commands.

    soku-tui [global flags] [tui]              the monitor (Textual loads only here)
    soku-tui [global flags] failed [--json | --format table|json|csv]
    soku-tui [global flags] retry POST_ID [--platform P ...] [--yes] [--no-follow]
    soku-tui demo-server [--port N] [--posts N] [--faults SPEC]
    soku-tui [global flags] config show
    soku-tui [global flags] doctor [--json]
    soku-tui [global flags] watch [--jsonl] [--only-changes]

Global flags work before or after the command (``soku-tui failed --demo`` and
``soku-tui --demo failed`` mean the same). Exit statuses are in
:mod:`soku_tui.exit_codes`. Every error ends as one line on stderr, never a traceback
(the traceback of an unexpected error goes to the log file).

The headless path must not import Textual or Rich (a test checks ``sys.modules``), so
the UI, the demo server and the HTTP client are imported inside the commands that use
them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import logging.handlers
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, NoReturn, TextIO

from soku_tui import __version__
from soku_tui.config import (
    ConfigError,
    Settings,
    default_config_file,
    load_settings,
    missing_key_help,
)
from soku_tui.core.errors import SokuApiError, SokuBadResponse, SokuError, SokuUnreachable
from soku_tui.core.sanitize import cell_width, one_line, pad_cells
from soku_tui.exit_codes import MEANINGS, ExitCode

if TYPE_CHECKING:
    from soku_tui.core.client import SokuClient
    from soku_tui.core.doctor import DoctorConfig
    from soku_tui.core.models import Submission
    from soku_tui.core.retry import RunVerdict
    from soku_tui.ui.app import AppConfig

log = logging.getLogger("soku_tui.cli")

PROG: Final = "soku-tui"
# How long `retry` follows the new submission before saying "still publishing".
FOLLOW_TIMEOUT: Final = 120.0


# -- output helpers -------------------------------------------------------------------------


def _err(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _fail(code: ExitCode, message: str) -> int:
    """One clear, terminal-safe line on stderr, and the exit status."""
    _err(f"{PROG}: {one_line(message)}")
    return int(code)


def _out(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


# -- the parser -----------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors and the documented usage exit status."""

    def error(self, message: str) -> NoReturn:
        self.exit(int(ExitCode.USAGE), f"{PROG}: {message} (see {self.prog} --help)\n")


def _global_flags() -> _Parser:
    # SUPPRESS: a flag not given leaves no attribute, so the same flag given before the
    # command is not overwritten by the subcommand's default.
    flags = _Parser(add_help=False, argument_default=argparse.SUPPRESS)
    group = flags.add_argument_group("global flags (before or after the command)")
    group.add_argument(
        "--demo",
        action="store_true",
        help="run against the embedded demo API (no key needed)",
    )
    group.add_argument("--profile", metavar="NAME", help="profile from the config file")
    group.add_argument("--config", metavar="PATH", help="config file (default: $SOKU_CONFIG)")
    group.add_argument("--base-url", metavar="URL", help="Soku API base URL")
    group.add_argument(
        "--auth-scheme",
        choices=("header", "bearer"),
        help="send the key as the soku-api-key header (default) or as a bearer token",
    )
    group.add_argument("--interval", metavar="SECONDS", help="poll interval (floor 5 s)")
    group.add_argument(
        "--read-only", action="store_true", help="never retry anything (enforced in the service)"
    )
    group.add_argument(
        "--api-key-file",
        metavar="PATH",
        help=(
            "file holding the API key. There is deliberately no --api-key flag: a key on "
            "the command line leaks into `ps` and shell history; use this, SOKU_API_KEY or "
            "the config file"
        ),
    )
    group.add_argument("--since", metavar="WINDOW", help="how far back: 48h, 7d, 30m or a date")
    group.add_argument(
        "--no-mouse",
        dest="mouse",
        action="store_false",
        help="leave the mouse to the terminal (native text selection over SSH)",
    )
    return flags


def build_parser() -> argparse.ArgumentParser:
    flags = _global_flags()
    exit_codes = "\n".join(f"  {int(code):>3}  {text}" for code, text in MEANINGS.items())
    parser = _Parser(
        prog=PROG,
        description="A terminal monitor for Soku publishing failures.",
        epilog=f"exit statuses:\n{exit_codes}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        parents=[flags],
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser(
        "tui", parents=[flags], help="the monitor (the default when no command is given)"
    )

    failed = commands.add_parser(
        "failed",
        parents=[flags],
        help="list failed posts with each platform's error and fix",
        description=(
            "List failed posts: each platform's status, HTTP status, message and fix. "
            "Exit 0 when nothing failed, 1 when failures are present."
        ),
    )
    shape = failed.add_mutually_exclusive_group()
    shape.add_argument(
        "--json",
        dest="format",
        action="store_const",
        const="json",
        help="JSON on stdout (schema in soku_tui/output.py); diagnostics on stderr",
    )
    shape.add_argument("--format", choices=("table", "json", "csv"), default=None)

    retry = commands.add_parser(
        "retry",
        parents=[flags],
        help="retry a post's runs that failed with HTTP 500",
        description=(
            "Re-publish the runs of POST_ID that failed with HTTP 500 (the only status a "
            "retry can fix); every other run is refused with the reason."
        ),
    )
    retry.add_argument("post_id", metavar="POST_ID", help="the post's postSubmissionId")
    retry.add_argument(
        "--platform",
        action="append",
        metavar="P",
        default=[],
        help="only runs on this platform (x, tiktok, …); repeatable",
    )
    retry.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")
    retry.add_argument(
        "--no-follow",
        dest="follow",
        action="store_false",
        help="print the new submission id and stop, without waiting for its outcome",
    )

    server = commands.add_parser(
        "demo-server",
        parents=[flags],
        help="serve the demo API in the foreground (for curl or another client)",
    )
    server.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any)")
    server.add_argument(
        "--posts", type=int, default=None, help="N failed posts instead of the hand-made mix"
    )
    server.add_argument("--faults", metavar="SPEC", default=None, help="faults to switch on")

    config = commands.add_parser("config", parents=[flags], help="show the resolved settings")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION")
    config_commands.add_parser(
        "show", parents=[flags], help="every setting, its value and where it came from"
    )

    _add_doctor_parser(commands, flags)

    _add_watch_parser(commands, flags)
    return parser


_SETTING_FLAGS: Final = (
    "demo",
    "profile",
    "config",
    "base_url",
    "auth_scheme",
    "interval",
    "read_only",
    "api_key_file",
    "since",
    "mouse",
)


def flags_from_args(args: argparse.Namespace) -> dict[str, object]:
    """The settings given on the command line (absent flags are left out)."""
    return {name: getattr(args, name) for name in _SETTING_FLAGS if hasattr(args, name)}


# -- logging --------------------------------------------------------------------------------

_KEY_TOKEN: Final = re.compile(r"sk_live_[A-Za-z0-9_\-]+")


class RedactKeyFilter(logging.Filter):
    """Masks the API key (and anything shaped like a Soku key) in every log record.

    Nothing should log the key in the first place; this is the net under that rule, for
    messages, arguments and formatted tracebacks alike.
    """

    def __init__(self, key: str | None) -> None:
        super().__init__()
        self._key = key

    def redact(self, text: str) -> str:
        if self._key:
            text = text.replace(self._key, "sk_live_…")
        return _KEY_TOKEN.sub("sk_live_…", text)

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.redact(text)
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def configure_logging(settings: Settings) -> Path | None:
    """Log to ``settings.log_file`` only (a terminal handler would draw over the TUI).

    Returns the log file, or None when it cannot be written (then nothing is logged,
    and Python's last-resort stderr handler is kept out too).
    """
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_soku_tui", False):
            root.removeHandler(old)
            old.close()
    path = settings.log_file
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        # Create it private: logs hold captions and account names.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=2 * 1024 * 1024, backupCount=2, encoding="utf-8"
        )
    except OSError as exc:
        _err(f"{PROG}: warning: cannot write the log file {path} ({exc.strerror}); not logging")
        quiet = logging.NullHandler()
        quiet._soku_tui = True  # type: ignore[attr-defined]
        root.addHandler(quiet)
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactKeyFilter(settings.api_key_value()))
    handler._soku_tui = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    # httpx logs every request line at INFO; a monitor polling for hours does not need it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # APScheduler logs two lines per poll ("Running job", "executed successfully").
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    return path


# -- shared plumbing ------------------------------------------------------------------------


@contextmanager
def demo_session(settings: Settings) -> Iterator[tuple[Settings, Any]]:
    """With ``--demo``: an embedded demo server for the duration, and settings aimed at it.

    Unless the user chose a state directory, the demo gets a temporary one: every demo
    server starts from the same seeded posts, so an earlier demo's ledger would refuse
    the "same" retry again.
    """
    if not settings.demo:
        yield settings, None
        return
    from soku_tui.demo.server import DEMO_API_KEY, DemoServer

    # SOKU_DEMO_POSTS=N: N failed posts instead of the hand-made mix (benchmarks, scale).
    posts = os.environ.get("SOKU_DEMO_POSTS", "")
    server = DemoServer(posts=int(posts) if posts.isdigit() else None).start()
    scratch = None
    try:
        if settings.source("state_dir") == "default":
            scratch = tempfile.TemporaryDirectory(prefix="soku-tui-demo-")
        state_dir = Path(scratch.name) if scratch else None
        demo = settings.with_demo(
            base_url=server.base_url, api_key=DEMO_API_KEY, state_dir=state_dir
        )
        log.info("demo server on %s", server.base_url)
        yield demo, server
    finally:
        server.stop()
        if scratch is not None:
            scratch.cleanup()


def make_client(settings: Settings) -> SokuClient:
    from soku_tui.core.client import SokuClient

    return SokuClient(
        base_url=settings.base_url,
        api_key=settings.api_key_value(),
        auth_scheme=settings.auth_scheme,
        timeout=settings.timeout,
        max_body_bytes=settings.max_body_bytes,
    )


def _missing_key(settings: Settings) -> int | None:
    if settings.demo or settings.api_key is not None:
        return None
    _err(missing_key_help(settings))
    return int(ExitCode.AUTH)


def exit_code_for(error: SokuError) -> ExitCode:
    """The documented exit status of an API failure."""
    if isinstance(error, SokuApiError):
        if error.is_auth_problem:
            return ExitCode.AUTH
        if error.is_rate_limited or error.status >= 500:
            return ExitCode.UNREACHABLE
        return ExitCode.BAD_RESPONSE
    if isinstance(error, SokuBadResponse):
        return ExitCode.BAD_RESPONSE
    if isinstance(error, SokuUnreachable):
        return ExitCode.UNREACHABLE
    return ExitCode.BAD_RESPONSE


def describe_error(error: SokuError, settings: Settings) -> str:
    """The error and what to do about it, as one line."""
    parts = [str(error)]
    if isinstance(error, SokuApiError):
        if error.server_message:
            parts.append(f"Soku said: {one_line(error.server_message, 200)}")
        if error.request_id:
            parts.append(f"request id {one_line(error.request_id, 80)}")
        if error.status == 401:
            parts.append(
                f"check the API key (from {settings.source('api_key')}) in Soku under "
                "Settings > API; if it is right, try --auth-scheme "
                f"{'header' if settings.auth_scheme == 'bearer' else 'bearer'}"
            )
        elif error.status == 403:
            parts.append(
                "the subscription or plan does not allow this: renew or upgrade in Soku "
                "under Settings > Billing"
            )
        elif error.is_rate_limited and error.retry_after is not None:
            parts.append(f"try again in {error.retry_after:.0f} s")
        elif error.status in (404, 405):
            parts.append("this API does not offer the read routes soku-tui assumes")
    elif isinstance(error, SokuUnreachable):
        parts.append(f"check base_url (from {settings.source('base_url')}) and the network")
    return " — ".join(parts)


# -- commands -------------------------------------------------------------------------------


def cmd_tui(args: argparse.Namespace, settings: Settings) -> int:
    try:
        from soku_tui.ui.app import run_app
    except ImportError as exc:
        if exc.name != "soku_tui.ui.app":
            raise
        return _fail(
            ExitCode.USAGE,
            "the monitor UI is not built yet; the headless commands work: "
            "soku-tui failed --demo, soku-tui retry POST_ID",
        )
    # No key check here: the monitor opens a screen that explains it (issue 3).
    with demo_session(settings) as (session, server):
        code = run_app(app_config(session), demo_server=server)
    return int(ExitCode.OK) if code == 0 else int(ExitCode.INTERNAL)


def _short_key_help(settings: Settings) -> str:
    """The missing-key help in one line: the monitor's banner has room for little more."""
    config = settings.config_file or default_config_file()
    return (
        "Create a key in Soku under Settings > API, then set SOKU_API_KEY_FILE to a file "
        f"holding it (mode 0600), or api_key_file in {config}; quit with q and start again. "
        "`soku-tui config show` shows what is set."
    )


def app_config(settings: Settings) -> AppConfig:
    """The monitor's configuration from the resolved settings (the one place they meet)."""
    from soku_tui.ui.app import AppConfig
    from soku_tui.ui.osc import in_tmux
    from soku_tui.ui.terminal import desktop_protocol

    def load_profile(name: str) -> AppConfig:
        # Raises ConfigError (the monitor shows it and stays on the current profile).
        return app_config(load_settings(_profile_flags(settings, name)))

    return AppConfig(
        base_url=settings.base_url,
        api_key=settings.api_key_value(),
        auth_scheme=settings.auth_scheme,
        interval=settings.interval,
        since=datetime.now(UTC) - settings.since_start(),
        read_only=settings.read_only,
        timeout=settings.timeout,
        max_body_bytes=settings.max_body_bytes,
        state_dir=settings.state_dir,
        profile=settings.profile,
        demo=settings.demo,
        mouse=settings.mouse,
        key_help=None if settings.demo or settings.api_key else _short_key_help(settings),
        # The demo is one embedded server: switching to a real account from it would
        # silently leave the demo, so profiles are offered only outside it.
        profiles=() if settings.demo else settings.profiles,
        load_profile=None if settings.demo or not settings.profiles else load_profile,
        clipboard=settings.clipboard,
        tmux=in_tmux(os.environ),
        notify_bell=settings.notify_bell,
        notify_desktop=settings.notify_desktop,
        desktop_protocol=desktop_protocol(os.environ),
        theme=settings.theme,
        warnings=tuple(settings.warnings),
    )


# Settings given as flags that are about this session rather than one account: they
# still hold after switching profiles. Account settings (base URL, key file, auth
# scheme) come from the new profile.
_SESSION_FLAGS: Final = ("read_only", "since", "interval")


def _profile_flags(settings: Settings, profile: str) -> dict[str, object]:
    """The flags that resolve ``profile`` the way this session resolved its own."""
    flags: dict[str, object] = {"profile": profile}
    if settings.config_file is not None:
        flags["config"] = str(settings.config_file)
    for name in _SESSION_FLAGS:
        if settings.source(name) == "flag":
            flags[name] = getattr(settings, name)
    return flags


def cmd_failed(args: argparse.Namespace, settings: Settings) -> int:
    from soku_tui.output import build_report, render

    fmt: str = getattr(args, "format", None) or "table"
    with demo_session(settings) as (session, _):
        missing = _missing_key(session)
        if missing is not None:
            return missing
        since = session.since_start()

        async def fetch() -> Any:
            async with make_client(session) as client:
                return await client.list_failed(since=since)

        listing = asyncio.run(fetch())
        report = build_report(
            listing.submissions,
            base_url=session.base_url,
            since=since,
            skipped=listing.skipped,
            acks=_acknowledgements(session),
        )
        if listing.skipped and fmt != "table":
            _err(f"{PROG}: warning: {listing.skipped} entries Soku sent could not be read")
        width = shutil.get_terminal_size((120, 24)).columns
        _out(render(report, fmt, width=width))
        return int(ExitCode.FAILURES if report.posts else ExitCode.OK)


def cmd_retry(args: argparse.Namespace, settings: Settings) -> int:
    with demo_session(settings) as (session, _):
        missing = _missing_key(session)
        if missing is not None:
            return missing
        return asyncio.run(_retry(args, session))


async def _retry(args: argparse.Namespace, settings: Settings) -> int:
    from soku_tui.core.audit import AuditLog
    from soku_tui.core.ledger import RetryLedger
    from soku_tui.core.retry import RetryRefused, RetryService

    async with make_client(settings) as client:
        try:
            submission = await client.get_submission(args.post_id)
        except SokuApiError as exc:
            if exc.status == 404:
                return _fail(
                    ExitCode.USAGE,
                    f"no post {args.post_id!r} on {settings.base_url} "
                    "(soku-tui failed lists the failed ones)",
                )
            raise
        service = RetryService(
            client,
            RetryLedger(settings.state_dir / "ledger.json"),
            AuditLog(settings.state_dir / "audit.jsonl"),
            read_only=settings.read_only,
        )
        for warning in service.ledger.take_warnings():
            _err(f"{PROG}: warning: {one_line(warning)}")
        verdicts = [v for v in service.assess(submission) if v.run.is_failed]
        chosen = _select(verdicts, args.platform)
        if isinstance(chosen, str):
            return _fail(ExitCode.USAGE, chosen)
        _out(_verdict_lines(submission, chosen))
        try:
            plan = service.plan(submission, [v.run.target_id for v in chosen])
        except RetryRefused as refusal:
            return _fail(ExitCode.FAILURES, f"nothing to retry: {refusal.reason}")
        _out(f"{plan.summary}\n")
        if not args.yes:
            answer = _confirm(f"Retry {plan.platforms} of post {plan.post_id}? [y/N] ")
            if answer is None:
                return _fail(
                    ExitCode.USAGE,
                    "no one can confirm (stdin is not a terminal); pass --yes to retry "
                    "without asking",
                )
            if not answer:
                _err("Cancelled; nothing was sent.")
                return int(ExitCode.FAILURES)
        result = await service.execute(plan)
        message = one_line(result.message)
        if not result.ok:
            return _fail(_retry_exit(result.outcome, result.http_status), message)
        assert result.new_post_id is not None
        _out(f"{message}\nnew submission: {one_line(result.new_post_id)}\n")
        if not args.follow:
            return int(ExitCode.OK)
        _err(f"Following {one_line(result.new_post_id)} until it is published…")
        outcome = await service.follow(result.new_post_id, poll_every=1.0, timeout=FOLLOW_TIMEOUT)
        return _follow_exit(outcome, result.new_post_id)


def _select(verdicts: Sequence[RunVerdict], platforms: Sequence[str]) -> list[RunVerdict] | str:
    """The failed runs named by ``--platform`` (all of them without it), or why none."""
    if not verdicts:
        return "this post has no failed runs"
    if not platforms:
        return list(verdicts)
    from soku_tui.core.models import platform_name

    wanted = {p.strip().lower() for p in platforms}
    chosen = [
        v
        for v in verdicts
        if {v.run.platform.lower(), platform_name(v.run.platform).lower(), v.run.target_id.lower()}
        & wanted
    ]
    if chosen:
        return chosen
    have = ", ".join(sorted({one_line(v.run.platform) for v in verdicts}))
    return f"no failed run on {', '.join(sorted(wanted))} in this post (failed on: {have})"


def _verdict_lines(submission: Submission, verdicts: Sequence[RunVerdict]) -> str:
    from soku_tui.core.models import platform_name

    lines = [f"Post {one_line(submission.post_submission_id)} ({one_line(submission.status)}):"]
    for verdict in verdicts:
        run = verdict.run
        name = platform_name(run.platform) + (f" ({run.account_id})" if run.account_id else "")
        status = str(run.http_status) if run.http_status is not None else "—"
        what = "will be retried" if verdict.retryable else f"refused: {verdict.reason}"
        lines.append(f"  {'↻' if verdict.retryable else '✗'} {pad_cells(name, 30)} {status:>4}  ")
        lines[-1] += one_line(what)
    return "\n".join(lines) + "\n"


def _confirm(prompt: str, stream: TextIO | None = None) -> bool | None:
    """y/N from the terminal; None when there is no terminal to ask."""
    source = stream or sys.stdin
    if source is None or not source.isatty():
        return None
    _err_no_newline(prompt)
    try:
        answer = source.readline()
    except (EOFError, OSError):
        return None
    return answer.strip().lower() in ("y", "yes")


def _err_no_newline(text: str) -> None:
    sys.stderr.write(text)
    sys.stderr.flush()


def _retry_exit(outcome: str, status: int | None) -> ExitCode:
    if outcome in ("rate_limited", "unreachable"):
        return ExitCode.UNREACHABLE
    if status in (401, 403):
        return ExitCode.AUTH
    if status is not None and status >= 500:
        return ExitCode.UNREACHABLE
    return ExitCode.FAILURES


def _follow_exit(outcome: str, new_id: str) -> int:
    shown = one_line(new_id)
    if outcome == "succeeded":
        _out(f"{shown}: published on every retried platform\n")
        return int(ExitCode.OK)
    if outcome in ("failed", "partially_failed"):
        _out(f"{shown}: {outcome.replace('_', ' ')} again (soku-tui failed shows why)\n")
        return int(ExitCode.FAILURES)
    if outcome == "timeout":
        _out(f"{shown}: still publishing after {FOLLOW_TIMEOUT:g} s; check soku-tui failed later\n")
    else:
        _out(f"{shown}: Soku would not show the new post; check /posts in Soku's dashboard\n")
    return int(ExitCode.OK)


def cmd_demo_server(args: argparse.Namespace, settings: Settings) -> int:
    from soku_tui.demo.server import run_foreground

    if not 0 <= args.port <= 65535:
        return _fail(ExitCode.USAGE, f"--port {args.port} is not a port number (0–65535)")
    if args.posts is not None and args.posts < 0:
        return _fail(ExitCode.USAGE, "--posts must be 0 or more")
    try:
        run_foreground(args.port, args.posts, args.faults)
    except ValueError as exc:
        return _fail(ExitCode.USAGE, f"--faults: {exc}")
    except OSError as exc:
        return _fail(
            ExitCode.USAGE,
            f"cannot serve on 127.0.0.1:{args.port} ({exc.strerror or exc}); "
            "pick another --port, or --port 0 for any free one",
        )
    return int(ExitCode.OK)


def cmd_config(args: argparse.Namespace, settings: Settings) -> int:
    rows = [("SETTING", "VALUE", "SOURCE"), *settings.describe()]
    name_width = max(len(name) for name, _, _ in rows)
    # Never cut a value: a path is useless with its end missing.
    value_width = max(cell_width(one_line(value)) for _, value, _ in rows)
    lines = [
        f"{pad_cells(name, name_width)}  {pad_cells(value, value_width)}  {one_line(source)}"
        for name, value, source in rows
    ]
    _out("\n".join(line.rstrip() for line in lines) + "\n")
    return int(ExitCode.OK)


# -- doctor (issue 7) -----------------------------------------------------------------------


def _add_doctor_parser(commands: Any, flags: argparse.ArgumentParser) -> None:
    doctor = commands.add_parser(
        "doctor",
        parents=[flags],
        help="check, read-only, which parts of the API contract hold for this account",
        description=(
            "Check the key, the network path, authentication, the subscription, the read "
            "endpoints, rate-limit headers and the clock against the configured Soku "
            "account, one line each. Read-only: it never creates, retries or changes "
            "anything. Exit 0 when everything the monitor needs holds, 3 unreachable, "
            "4 authentication or subscription, 5 the read API differs from the contract."
        ),
    )
    doctor.add_argument(
        "--json",
        action="store_true",
        help="the same report as JSON on stdout (schema in soku_tui/doctor_output.py)",
    )


def cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from soku_tui.core.doctor import run_doctor
    from soku_tui.doctor_output import render_json, render_text

    # No early stop without a key: the report says so, and still checks the network.
    with demo_session(settings) as (session, _):
        report = asyncio.run(run_doctor(doctor_config(session)))
    _out(render_json(report) if args.json else render_text(report))
    return report.exit_code


def doctor_config(settings: Settings) -> DoctorConfig:
    """What the doctor needs from the settings; the key stays in ``api_key`` alone."""
    from soku_tui.core.doctor import DoctorConfig
    from soku_tui.core.doctor_report import DEFAULT_REQUEST_TIMEOUT

    source = settings.source("api_key") if settings.api_key is not None else None
    key_file = settings.api_key_file
    if source is not None and key_file is not None and "api_key_file" in settings.sources:
        source += f" (named by {settings.source('api_key_file')})"
    elif source is not None and source.startswith("config file"):
        key_file = settings.config_file  # the key sits in the config file itself
    origins: dict[str, Literal["flag", "env", "key_file", "config", "demo"]] = {
        "flag": "flag",
        "env": "env",
        "key": "key_file",
        "config": "config",
        "demo": "demo",
    }
    return DoctorConfig(
        base_url=settings.base_url,
        api_key=settings.api_key_value(),
        base_url_source=settings.source("base_url"),
        key_source=source,
        key_origin=origins.get(source.split(" ", 1)[0]) if source else None,
        key_file=key_file,
        auth_scheme=settings.auth_scheme,
        auth_scheme_source=settings.source("auth_scheme"),
        config_file=settings.config_file,
        demo=settings.demo,
        max_body_bytes=settings.max_body_bytes,
        # Short enough that a server that never answers still leaves a report in ~10 s.
        request_timeout=min(settings.timeout, DEFAULT_REQUEST_TIMEOUT),
    )


# -- watch and acknowledgements (issue 6) ---------------------------------------------------


def _add_watch_parser(commands: Any, flags: argparse.ArgumentParser) -> None:
    watch = commands.add_parser(
        "watch",
        parents=[flags],
        help="stream new, changed and resolved failures (for alerting pipelines)",
        description=(
            "Poll like the monitor and print one line per failure that appears, changes or "
            "resolves; with --jsonl, one JSON object per line (schema in soku_tui/watch.py). "
            "Problems go to stderr and polling goes on. SIGUSR1 polls at once. Exit 0 on "
            "SIGTERM/SIGHUP or when the reader leaves, 130 on Ctrl-C."
        ),
    )
    watch.add_argument("--jsonl", action="store_true", help="JSON Lines on stdout")
    watch.add_argument(
        "--only-changes",
        action="store_true",
        help="do not report the failures already present at the first poll",
    )


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from soku_tui.watch import run_watch

    with demo_session(settings) as (session, server):
        missing = _missing_key(session)
        if missing is not None:
            return missing
        return run_watch(
            session,
            jsonl=args.jsonl,
            only_changes=args.only_changes,
            demo_url=server.base_url if server is not None else None,
        )


def _acknowledgements(settings: Settings) -> dict[str, Any]:
    """The local acknowledgements by post id; a problem reading them is a warning only."""
    from soku_tui.core.acks import AckStore

    try:
        store = AckStore.in_state_dir(settings.state_dir)
    except OSError as exc:
        _err(f"{PROG}: warning: cannot read the acknowledgements ({exc.strerror or exc})")
        return {}
    for warning in store.take_warnings():
        _err(f"{PROG}: warning: {one_line(warning)}")
    return dict(store.as_mapping())


Command = Callable[[argparse.Namespace, Settings], int]
COMMANDS: Final[dict[str, Command]] = {
    "tui": cmd_tui,
    "failed": cmd_failed,
    "retry": cmd_retry,
    "demo-server": cmd_demo_server,
    "config": cmd_config,
    "doctor": cmd_doctor,
    "watch": cmd_watch,
}


# -- entry point ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    _safe_streams()
    args = build_parser().parse_args(argv)
    command: str = getattr(args, "command", None) or "tui"
    try:
        settings = load_settings(flags_from_args(args))
    except ConfigError as exc:
        return _fail(ExitCode.USAGE, str(exc))
    for warning in settings.warnings:
        _err(f"{PROG}: warning: {one_line(warning)}")
    log_file = configure_logging(settings)
    try:
        return COMMANDS[command](args, settings)
    except KeyboardInterrupt:
        _err("")
        return int(ExitCode.INTERRUPTED)
    except SokuError as exc:
        log.warning("%s failed: %s", command, exc)
        return _fail(exit_code_for(exc), describe_error(exc, settings))
    except BrokenPipeError:
        # `soku-tui failed | head`: the reader left; that is not an error.
        _silence_stdout()
        return int(ExitCode.OK)
    except Exception as exc:
        log.exception("unexpected error in %s", command)
        where = f"; details in {log_file}" if log_file else ""
        return _fail(ExitCode.INTERNAL, f"internal error ({type(exc).__name__}: {exc}){where}")


def _safe_streams() -> None:
    # A C locale or a pipe must not turn a ✓ or a caption into a UnicodeEncodeError.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


def _silence_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


if __name__ == "__main__":
    sys.exit(main())
