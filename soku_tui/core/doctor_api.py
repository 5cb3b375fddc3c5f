"""The doctor's checks over HTTP: authentication, subscription, the read endpoints,
paging, ETag, rate-limit headers and the clock.

Every request is a :meth:`SokuClient.probe` (GET only, answered raw whatever its status),
so nothing here builds a header or knows the key. Each request has its own time limit,
cut to what is left of the run's budget; once Soku stops answering, the remaining
checks are not attempted and say why.

The first request, ``GET /v1/posts?status=failed&limit=1``, answers several questions
at once (latency, clock, authentication, subscription, the list's shape and the
rate-limit headers); the rest are asked only when that one succeeds: the other auth
scheme once after a 401, the page behind the cursor, the same list with
``If-None-Match``, and the first post by id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson

from soku_tui.core.catalog import SETTINGS_API, fix_for
from soku_tui.core.client import AuthScheme, ProbeAnswer, SokuClient
from soku_tui.core.doctor_report import (
    STILL_WORKS,
    DoctorConfig,
    Recorder,
    iso,
    ms,
    ms_value,
    report_fix,
)
from soku_tui.core.doctor_shape import (
    CURSOR_KEY,
    ENVELOPE_KEYS,
    ID_KEY,
    ITEMS_KEY,
    RESET_FORMAT_WORDS,
    FieldReport,
    compare_fields,
    describe_json,
    reset_format,
)
from soku_tui.core.errors import SokuBadResponse, SokuUnreachable
from soku_tui.core.models import PageShapeError, parse_page_data, parse_submission
from soku_tui.core.sanitize import one_line

SLOW_ANSWER: Final = 2.0  # seconds for a one-post page before we call it slow
MAX_CLOCK_SKEW: Final = 30.0


@dataclass(frozen=True, slots=True)
class _Miss:
    """A probe that got no usable answer."""

    reason: str  # "timeout", "connect", "reset", "other", "too_large", "budget"
    message: str


@dataclass(frozen=True, slots=True)
class _Timed:
    answer: ProbeAnswer
    local_mid: datetime  # this machine's time halfway through the exchange


class ApiChecks:
    """The HTTP half of one doctor run; findings go into ``rec``."""

    def __init__(self, rec: Recorder, config: DoctorConfig) -> None:
        self.rec = rec
        self.config = config
        self.working_scheme: AuthScheme | None = None
        self.first: _Timed | None = None
        self.list_fields: FieldReport | None = None

    async def ask(self, call: Callable[[], Awaitable[ProbeAnswer]]) -> _Timed | _Miss:
        limit = self.rec.step_limit(self.config.request_timeout)
        if limit is None:
            return _Miss("budget", "skipped: doctor's time budget ran out")
        before = self.config.clock()
        try:
            async with asyncio.timeout(limit):
                answer = await call()
        except TimeoutError:
            return _Miss("timeout", f"no complete answer within {limit:.1f} s")
        except SokuUnreachable as exc:
            if exc.reason == "timeout":
                return _Miss("timeout", f"no complete answer within {limit:.1f} s")
            return _Miss(exc.reason, str(exc))
        except SokuBadResponse as exc:
            return _Miss(exc.kind, str(exc))
        after = self.config.clock()
        timed = _Timed(answer, before + (after - before) / 2)
        if self.first is None:
            self.first = timed
        return timed

    async def run(self, client: SokuClient) -> None:
        """Every HTTP check, in the order each one's answer becomes available."""
        first = await self.ask(lambda: client.probe_failed_list())
        if isinstance(first, _Miss):
            self.record_miss("http", first, "GET /v1/posts?status=failed&limit=1")
            return
        answer = first.answer
        slow = answer.elapsed > SLOW_ANSWER
        self.rec.put(
            "http",
            "fail" if slow else "ok",
            f"{answer.target} answered {answer.status} in {ms(answer.elapsed)}"
            + (f": slow; {STILL_WORKS}, polls take longer" if slow else ""),
            "check the network path to Soku (VPN, proxy)" if slow else None,
            target=answer.target,
            status=answer.status,
            elapsed_ms=ms_value(answer.elapsed),
        )
        self.check_clock()
        if not self.config.api_key:
            self.rec.skip("not checked: there is no key")
            self.check_rate_limit(answer)
            return
        working = await self.check_auth(client, first)
        if working is None:
            self.check_rate_limit(answer)
            return
        self.check_rate_limit(working.answer)
        if not self.check_subscription(working.answer):
            return
        await self.check_reads(client, working.answer)

    def record_miss(self, check_id: str, miss: _Miss, what: str) -> None:
        if miss.reason == "budget":
            self.rec.put(check_id, "unknown", miss.message, blocks="unreachable")
            self.rec.skip("not checked: doctor's time budget ran out")
            return
        if miss.reason == "too_large":
            self.rec.put(check_id, "fail", one_line(miss.message), blocks="read_api")
            self.rec.skip(f"not checked: {what} could not be read")
            return
        summary = (
            f"connected, but {what} got {miss.message}"
            if miss.reason == "timeout"
            else one_line(miss.message)
        )
        self.rec.put(
            check_id,
            "fail",
            summary,
            f"check that base_url (from {self.config.base_url_source}) points at Soku's "
            "API, and whether Soku is up (its status page)",
            blocks="unreachable",
            reason=miss.reason,
        )
        self.rec.skip("not checked: Soku did not answer")

    async def check_auth(self, client: SokuClient, first: _Timed) -> _Timed | None:
        """The answer of the scheme that works, or None when no scheme does."""
        config = self.config
        configured = config.auth_scheme
        answer = first.answer
        statuses = {configured: answer.status}
        if answer.status != 401:
            if answer.ok or answer.status == 403:
                self.working_scheme = configured
                self.rec.put(
                    "auth",
                    "ok",
                    f"Soku accepts the key {_scheme_words(configured)} "
                    f'(auth_scheme = "{configured}", from {config.auth_scheme_source})',
                    configured=configured,
                    working=configured,
                    statuses=statuses,
                )
            else:
                self.rec.put(
                    "auth",
                    "unknown",
                    f"Soku answered {answer.status}, which neither accepts nor refuses the key",
                    configured=configured,
                    statuses=statuses,
                )
            return first
        other: AuthScheme = "bearer" if configured == "header" else "header"
        second = await self.ask(lambda: client.probe_failed_list(auth_scheme=other))
        refused = _soku_said(answer)
        if isinstance(second, _Miss):
            self.rec.put(
                "auth",
                "fail",
                f"Soku refused the key {_scheme_words(configured)} (401){refused}; "
                f"the other scheme could not be tried ({second.message})",
                self.key_fix(),
                blocks="auth",
                configured=configured,
                statuses=statuses,
            )
            self.rec.skip("not checked: Soku refused the key")
            return None
        statuses[other] = second.answer.status
        if second.answer.status == 401:
            self.rec.put(
                "auth",
                "fail",
                f"Soku refused the key {_scheme_words(configured)} and "
                f"{_scheme_words(other)} (401){refused}",
                self.key_fix(),
                blocks="auth",
                configured=configured,
                working=None,
                statuses=statuses,
            )
            self.rec.skip("not checked: Soku refused the key")
            return None
        if not (second.answer.ok or second.answer.status == 403):
            self.rec.put(
                "auth",
                "fail",
                f"Soku refused the key {_scheme_words(configured)} (401){refused}; "
                f"{_scheme_words(other)} it answered {second.answer.status}, which neither "
                "accepts nor refuses it",
                f"{self.key_fix()}; if the key is right, {self.scheme_fix(other)}",
                blocks="auth",
                configured=configured,
                working=None,
                statuses=statuses,
            )
            return second
        self.working_scheme = other
        self.rec.put(
            "auth",
            "fail",
            f"Soku refuses the key {_scheme_words(configured)} (401) but accepts it "
            f"{_scheme_words(other)}; the rest was checked {_scheme_words(other)}",
            self.scheme_fix(other),
            blocks="auth",
            configured=configured,
            working=other,
            statuses=statuses,
        )
        return second

    def scheme_fix(self, scheme: AuthScheme) -> str:
        source = self.config.auth_scheme_source
        config_line = f'auth_scheme = "{scheme}"'
        if self.config.config_file is not None:
            config_line += f" in {self.config.config_file}"
        env_line = f"SOKU_AUTH_SCHEME={scheme}"
        flag_line = f"--auth-scheme {scheme}"
        if source == "flag":
            ways = [flag_line, config_line, env_line]
        elif source.startswith("env"):
            ways = [env_line, config_line, flag_line]
        else:
            ways = [config_line, env_line, flag_line]
        return f"set {ways[0]} (or {ways[1]}, or {ways[2]})"

    def key_fix(self) -> str:
        where = {
            "env": "update SOKU_API_KEY",
            "key_file": f"put the new key in {self.config.key_file}",
            "config": "update the key in the config file",
        }.get(self.config.key_origin or "", "update the key soku-tui uses")
        return (
            f"check the key in Soku under {SETTINGS_API}; if it was revoked or expired, "
            f"create a new one there and {where}"
        )

    def check_subscription(self, answer: ProbeAnswer) -> bool:
        """False when a 403 stops the read checks (nothing can be read with it)."""
        if answer.status == 403:
            fix = fix_for(403)
            self.rec.put(
                "subscription",
                "fail",
                f"Soku refuses this account access (403 Forbidden){_soku_said(answer)}",
                " ".join(fix.steps[:3]),
                blocks="auth",
                status=403,
                where=list(fix.where),
            )
            self.rec.skip("not checked: Soku refused access (403)")
            return False
        if answer.ok:
            self.rec.put("subscription", "ok", "active: Soku allowed the read request")
        else:
            self.rec.put(
                "subscription",
                "unknown",
                f"Soku answered {answer.status} before anything showed the plan's state",
            )
        return True

    async def check_reads(self, client: SokuClient, answer: ProbeAnswer) -> None:
        scheme = answer.auth_scheme
        items = self.check_list(answer)
        if items is None:
            return
        raw_items, page_data = items
        candidates = raw_items
        sampled_note = ""
        if not candidates:
            fallback = await self.ask(
                lambda: client.probe_failed_list(only_failed=False, auth_scheme=scheme)
            )
            if isinstance(fallback, _Timed) and fallback.answer.ok:
                candidates = _items_of(fallback.answer.body) or []
                sampled_note = " (no failed posts now: checked the newest post instead)"
        sample = candidates[0] if candidates else None
        self.check_fields(sample, sampled_note)
        page_two = await self.check_paging(client, answer, page_data, len(raw_items))
        await self.check_etag(client, answer, page_two)
        # Read back the first post that has an id at all (the first may lack one).
        with_id = (c for c in candidates if isinstance(c, dict) and isinstance(c.get(ID_KEY), str))
        await self.check_get(client, next(with_id, None), scheme)

    def check_list(self, answer: ProbeAnswer) -> tuple[list[Any], Any] | None:
        """The raw items and decoded body of a readable list answer, else None."""
        target = answer.target
        status = answer.status
        if status in (404, 405):
            self.rec.put(
                "list",
                "fail",
                f"{target} answered {status}: this Soku account does not offer the read API "
                "soku-tui assumes",
                "The monitor cannot list failures without it. `soku-tui retry` cannot work "
                "either: it needs the post's stored request from GET /v1/posts/{id}. "
                "Publishing from Soku is not affected. Send `soku-tui doctor --json` to "
                "soku-tui's maintainers (docs/api-contract.md)",
                blocks="read_api",
                status=status,
            )
            self.rec.skip("not checked: the read API is not there")
            return None
        if not answer.ok:
            self.list_refused(answer)
            return None
        try:
            data = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            kind = answer.content_type or "no content type"
            self.rec.put(
                "list",
                "fail",
                f"{target} answered {status}, but the body is not JSON ({kind})",
                report_fix(),
                blocks="read_api",
                status=status,
                content_type=kind,
            )
            self.rec.skip("not checked: the list answer could not be read")
            return None
        try:
            page = parse_page_data(data)
        except PageShapeError:
            expected = "{" + ", ".join(ENVELOPE_KEYS) + "}"
            self.rec.put(
                "list",
                "fail",
                f"{target} answered {status} with {describe_json(data)}, not {expected} "
                "or a list of posts",
                report_fix(),
                blocks="read_api",
                status=status,
                shape=describe_json(data),
            )
            self.rec.skip("not checked: the list answer has another shape")
            return None
        raw_items: list[Any] = data if isinstance(data, list) else data[ITEMS_KEY]
        shape = "a bare JSON array" if isinstance(data, list) else "{" + ", ".join(data) + "}"
        shape = one_line(shape, 80)
        unknown_keys = (
            [one_line(k, 40) for k in data if k not in ENVELOPE_KEYS]
            if isinstance(data, dict)
            else []
        )
        details: dict[str, Any] = {
            "status": status,
            "shape": "array" if isinstance(data, list) else "object",
            "items": len(raw_items),
            "skipped": page.skipped,
            "unknown_keys": unknown_keys,
            "elapsed_ms": ms_value(answer.elapsed),
        }
        if page.skipped:
            self.rec.put(
                "list",
                "fail",
                f"{target} answered {status} with {shape}, but {page.skipped} of "
                f"{len(raw_items)} entries could not be read as posts",
                report_fix(),
                blocks="read_api",
                **details,
            )
        else:
            count = f"{len(raw_items)} post{'s' if len(raw_items) != 1 else ''}"
            extra = f"; extra keys (ignored): {', '.join(unknown_keys)}" if unknown_keys else ""
            self.rec.put(
                "list",
                "ok",
                f"{target} answered {status} with {shape}, {count}, read as soku-tui's "
                f"models{extra}",
                **details,
            )
        return raw_items, data

    def list_refused(self, answer: ProbeAnswer) -> None:
        error = answer.error()
        status = answer.status
        said = _soku_said(answer)
        common: dict[str, Any] = {"status": status, "code": one_line(error.code or "", 60) or None}
        if status == 429:
            wait = f"; try again in {error.retry_after:.0f} s" if error.retry_after else ""
            self.rec.put(
                "list",
                "fail",
                f"Soku is rate-limiting this account (429){said}",
                f"wait and run soku-tui doctor again{wait}",
                blocks="unreachable",
                **common,
            )
        elif status >= 500:
            self.rec.put(
                "list",
                "fail",
                f"{one_line(error.message)}{said}",
                fix_for(status).summary,
                blocks="unreachable",
                **common,
            )
        elif 300 <= status < 400:
            location = one_line(answer.location or "", 120)
            self.rec.put(
                "list",
                "fail",
                f"{answer.target} answered {status}, a redirect"
                + (f" to {location}" if location else ""),
                "soku-tui does not follow redirects: set base_url to the API's real address",
                blocks="read_api",
                location=location or None,
                **common,
            )
        else:
            code = f" {one_line(error.code, 60)}" if error.code else ""
            self.rec.put(
                "list",
                "fail",
                f"Soku rejected soku-tui's list query ({status}{code}){said}",
                report_fix(),
                blocks="read_api",
                **common,
            )
        self.rec.skip(f"not checked: the list answered {status}")

    def check_fields(self, sample: Any, note: str) -> None:
        if sample is None:
            self.rec.put(
                "fields",
                "unknown",
                "no post to inspect: no failed posts, and no other post came back",
                "run soku-tui doctor again once a post exists",
            )
            return
        report = compare_fields(sample)
        self.list_fields = report
        self.put_fields("fields", report, f"the first post{note}")

    def put_fields(self, check_id: str, report: FieldReport, what: str) -> None:
        parts: list[str] = []
        if report.missing_needed:
            parts.append(f"missing: {', '.join(report.missing_needed)}")
        if report.mistyped:
            parts.append(f"wrong type: {', '.join(report.mistyped)}")
        if report.missing_optional:
            parts.append(f"missing optional: {', '.join(report.missing_optional)}")
        if report.unknown:
            parts.append(f"unknown (ignored): {', '.join(report.unknown)}")
        found = "; ".join(parts)
        if report.breaks_monitor:
            self.rec.put(
                check_id,
                "fail",
                f"{what} differs from the contract: {found}",
                f"without them {'; '.join(report.consequences())}. {report_fix()}",
                blocks="read_api",
                **report.to_json(),
            )
        elif not report.matches:
            self.rec.put(
                check_id,
                "fail",
                f"{what} lacks fields the contract lists: {found}; {STILL_WORKS}",
                report_fix(),
                **report.to_json(),
            )
        else:
            extra = f"; {found}" if found else ""
            summary = f"{what} has every field the contract lists{extra}"
            self.rec.put(check_id, "ok", summary, **report.to_json())

    async def check_paging(
        self, client: SokuClient, answer: ProbeAnswer, data: Any, count: int
    ) -> ProbeAnswer | None:
        """The paging line; returns the page-2 answer when there was one."""
        if isinstance(data, list):
            if count > 1:
                self.rec.put(
                    "paging",
                    "ok",
                    f"a bare array of {count} posts for limit=1: the whole list comes in one "
                    "answer, no cursor needed",
                    shape="array",
                )
            elif count == 1:
                self.rec.put(
                    "paging",
                    "unknown",
                    "a bare array has no cursor: if Soku caps it at the limit, the monitor "
                    "sees only the first 250 failed posts; with fewer it sees all",
                    report_fix(),
                    shape="array",
                )
            else:
                self.rec.put("paging", "unknown", "no failed posts to page through", shape="array")
            return None
        cursor = data.get(CURSOR_KEY)
        if cursor is None or cursor == "":
            if count:
                self.rec.put(
                    "paging",
                    "unknown",
                    f"no {CURSOR_KEY} after one post: either it is the only failed post, or "
                    "Soku does not page (then the monitor sees one page)",
                    cursor=False,
                )
            else:
                self.rec.put("paging", "unknown", "no failed posts to page through", cursor=False)
            return None
        if not isinstance(cursor, str):
            self.rec.put(
                "paging",
                "fail",
                f"{CURSOR_KEY} is {describe_json(cursor)}, not a string: the monitor would "
                "stop after the first page and miss the rest",
                report_fix(),
                blocks="read_api",
                cursor=True,
            )
            return None
        second = await self.ask(
            lambda: client.probe_failed_list(cursor=cursor, auth_scheme=answer.auth_scheme)
        )
        if isinstance(second, _Miss):
            self.rec.put(
                "paging",
                "unknown",
                f"{CURSOR_KEY} given, but page 2 got no answer ({second.message})",
                cursor=True,
            )
            return None
        page_two = second.answer
        readable = page_two.ok and _items_of(page_two.body) is not None
        if readable:
            self.rec.put(
                "paging",
                "ok",
                f"{CURSOR_KEY} given, and page 2 read with it answered {page_two.status}",
                cursor=True,
                page_two_status=page_two.status,
            )
            return page_two
        if _passing_trouble(page_two):
            self.rec.put(
                "paging",
                "unknown",
                f"{CURSOR_KEY} given, but page 2 answered {page_two.status}"
                f"{_soku_said(page_two)}, so paging is not confirmed",
                _try_later(page_two),
                blocks="unreachable",
                cursor=True,
                page_two_status=page_two.status,
            )
            return None
        self.rec.put(
            "paging",
            "fail",
            f"{CURSOR_KEY} given, but page 2 read with it answered {page_two.status}"
            f"{_soku_said(page_two)}: the monitor could read only the first page",
            report_fix(),
            blocks="read_api",
            cursor=True,
            page_two_status=page_two.status,
        )
        return None

    async def check_etag(
        self, client: SokuClient, answer: ProbeAnswer, page_two: ProbeAnswer | None
    ) -> None:
        etag = answer.etag
        if not etag:
            self.rec.put(
                "etag",
                "fail",
                f"no ETag: every poll downloads the whole list again; {STILL_WORKS}",
                etag=None,
            )
            return
        shown = one_line(etag, 60)
        same_scope: bool | None = None
        if page_two is not None and page_two.etag:
            same_scope = page_two.etag == etag
        if same_scope is False:
            self.rec.put(
                "etag",
                "fail",
                "the ETag changes from page 1 to page 2: it names one page, not the whole "
                "list, so a 304 on page 1 would hide changes on later pages",
                "soku-tui must send ETags per page or not at all (Monitor(use_etag=False)); "
                + report_fix(),
                blocks="read_api",
                etag=shown,
                same_on_page_two=False,
            )
            return
        replay = await self.ask(
            lambda: client.probe_failed_list(if_none_match=etag, auth_scheme=answer.auth_scheme)
        )
        scope = (
            "; page 2 has the same ETag, so it names the whole list as assumed"
            if same_scope
            else ""
        )
        details: dict[str, Any] = {"etag": shown, "same_on_page_two": same_scope}
        if isinstance(replay, _Miss):
            self.rec.put("etag", "unknown", f"ETag {shown}; the 304 check got no answer", **details)
        elif replay.answer.status == 304:
            self.rec.put(
                "etag",
                "ok",
                f"ETag given, and If-None-Match answered 304: idle polls cost almost nothing"
                f"{scope}",
                not_modified_status=304,
                **details,
            )
        elif replay.answer.ok:
            self.rec.put(
                "etag",
                "fail",
                f"ETag given, but If-None-Match still answered {replay.answer.status}: every "
                f"poll downloads the whole list again; {STILL_WORKS}",
                not_modified_status=replay.answer.status,
                **details,
            )
        else:
            self.rec.put(
                "etag",
                "unknown",
                f"ETag given; If-None-Match answered {replay.answer.status}",
                not_modified_status=replay.answer.status,
                **details,
            )

    async def check_get(self, client: SokuClient, sample: Any, scheme: AuthScheme) -> None:
        post_id = sample.get(ID_KEY) if isinstance(sample, dict) else None
        if not isinstance(post_id, str) or not post_id:
            self.rec.put("get", "unknown", "no post id to read back")
            return
        timed = await self.ask(lambda: client.probe_submission(post_id, auth_scheme=scheme))
        if isinstance(timed, _Miss):
            self.rec.put("get", "unknown", f"GET /v1/posts/{{id}} got no answer ({timed.message})")
            return
        answer = timed.answer
        target = "GET /v1/posts/{id}"
        if answer.status in (404, 405):
            self.rec.put(
                "get",
                "fail",
                f"{target} answered {answer.status} for an id the list just gave: this account "
                "does not offer reading one post",
                "`soku-tui retry POST_ID` and following a retried post cannot work; the "
                f"monitor's list still does. {report_fix()}",
                blocks="read_api",
                status=answer.status,
            )
            return
        if not answer.ok:
            passing = _passing_trouble(answer)
            self.rec.put(
                "get",
                "fail",
                f"{target} answered {answer.status}{_soku_said(answer)}",
                _try_later(answer) if passing else report_fix(),
                blocks="unreachable" if passing else "read_api",
                status=answer.status,
            )
            return
        try:
            data = orjson.loads(answer.body)
            submission = parse_submission(answer.body)
        except ValueError:
            shape = "not JSON"
            with contextlib.suppress(orjson.JSONDecodeError):
                shape = describe_json(orjson.loads(answer.body))
            self.rec.put(
                "get",
                "fail",
                f"{target} answered {answer.status} with {shape}, not one post",
                report_fix(),
                blocks="read_api",
                status=answer.status,
            )
            return
        if submission.post_submission_id != post_id:
            self.rec.put(
                "get",
                "fail",
                f"{target} answered {answer.status} with a different post",
                report_fix(),
                blocks="read_api",
                status=answer.status,
            )
            return
        report = compare_fields(data)
        if report == self.list_fields and not report.matches:
            self.rec.put(
                "get",
                "fail",
                f"{target} answered {answer.status} with the same post, lacking the same "
                "fields (see Post fields)",
                blocks="read_api" if report.breaks_monitor else None,
                status=answer.status,
                **report.to_json(),
            )
            return
        if report.breaks_monitor or not report.matches:
            self.put_fields("get", report, f"{target} answered {answer.status}, but the post")
            return
        self.rec.put(
            "get",
            "ok",
            f"{target} answered {answer.status} with the same post, every field present",
            status=answer.status,
            **report.to_json(),
        )

    def check_rate_limit(self, answer: ProbeAnswer) -> None:
        raw = answer.rate_limit_raw
        if not raw and not answer.ok:
            self.rec.put(
                "rate_limit",
                "unknown",
                f"Soku's {answer.status} answer carried no X-RateLimit-* headers; "
                "a successful answer would tell more",
                present=[],
            )
            return
        if not raw:
            self.rec.put(
                "rate_limit",
                "fail",
                "no X-RateLimit-* headers: soku-tui cannot pace itself and relies on "
                f"429 answers; {STILL_WORKS}",
                present=[],
            )
            return
        info = answer.rate_limit
        parts: list[str] = []
        problems: list[str] = []
        if info is not None and info.remaining is not None:
            of = f" of {info.limit}" if info.limit is not None else ""
            parts.append(f"{info.remaining}{of} requests left")
        fmt = reset_format(raw["reset"]) if "reset" in raw else None
        if fmt is not None:
            reset_at = info.reset_at if info is not None else None
            when = ""
            if reset_at is not None:
                seconds = (reset_at - self.config.clock()).total_seconds()
                when = f", resets in {max(0, round(seconds))} s"
            parts.append(f"reset given as {RESET_FORMAT_WORDS[fmt]}{when}")
            if fmt == "unreadable":
                problems.append("soku-tui cannot tell when the budget refills")
        missing = [
            f"X-RateLimit-{part.title()}"
            for part in ("limit", "remaining", "reset")
            if part not in raw
        ]
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if problems:
            problems.append(STILL_WORKS)
        if info is not None and info.remaining == 0:
            problems.append("the budget is used up right now: soku-tui waits for the reset")
        details: dict[str, Any] = {
            "present": sorted(raw),
            "limit": info.limit if info else None,
            "remaining": info.remaining if info else None,
            "reset_raw": one_line(raw.get("reset", ""), 60) or None,
            "reset_format": fmt,
            "reset_at": iso(info.reset_at) if info and info.reset_at else None,
        }
        summary = "; ".join(parts)
        if problems:
            self.rec.put(
                "rate_limit",
                "fail",
                f"{summary}; {'; '.join(problems)}".lstrip("; "),
                **details,
            )
        else:
            self.rec.put("rate_limit", "ok", summary, **details)

    def check_clock(self) -> None:
        first = self.first
        server = first.answer.server_date if first else None
        if first is None or server is None:
            self.rec.put("clock", "unknown", "Soku sent no readable Date header to compare with")
            return
        # Date has whole seconds and is truncated: the server's time is within [d, d+1).
        skew = (first.local_mid - server).total_seconds() - 0.5
        details: dict[str, Any] = {"server_date": iso(server), "skew_seconds": round(skew, 1)}
        if abs(skew) <= MAX_CLOCK_SKEW:
            self.rec.put(
                "clock",
                "ok",
                f"this machine's clock is within {max(1, round(abs(skew)))} s of Soku's",
                **details,
            )
            return
        direction = "ahead of" if skew > 0 else "behind"
        self.rec.put(
            "clock",
            "fail",
            f"this machine's clock is {_duration(abs(skew))} {direction} Soku's: "
            f'"updated … ago" and rate-limit waits will be off; {STILL_WORKS}',
            "sync the clock (e.g. timedatectl set-ntp true, or chrony/ntpd)",
            **details,
        )


# -- small helpers ----------------------------------------------------------------------


def _items_of(body: bytes) -> list[Any] | None:
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get(ITEMS_KEY), list):
        items: list[Any] = data[ITEMS_KEY]
        return items
    return None


def _passing_trouble(answer: ProbeAnswer) -> bool:
    """Rate limiting or a server error: says nothing about the contract; try later."""
    return answer.status == 429 or answer.status >= 500


def _try_later(answer: ProbeAnswer) -> str:
    if answer.status == 429:
        wait = answer.error().retry_after
        later = f" in {wait:.0f} s" if wait else " later"
        return f"Soku is rate-limiting this account: run soku-tui doctor again{later}"
    return fix_for(answer.status).summary


def _soku_said(answer: ProbeAnswer) -> str:
    message = answer.error().server_message if not answer.ok else None
    return f' — Soku said: "{one_line(message, 160)}"' if message else ""


def _scheme_words(scheme: AuthScheme) -> str:
    return "as Authorization: Bearer" if scheme == "bearer" else "in the soku-api-key header"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


__all__ = ["ApiChecks"]
