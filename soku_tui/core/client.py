"""The one module that knows Soku's paths, headers and JSON shapes.

Everything on the read side (``GET /v1/posts``, ``GET /v1/posts/{id}``) is our assumption
about an API Soku does not document (see docs/api-contract.md); when the real API turns
out different, this file is the one to change.

Guarantees callers rely on:

* every request has a time limit for the whole exchange (a server that trickles a byte
  at a time cannot hold a poll forever), and every body is capped in size;
* every failure becomes a :mod:`soku_tui.core.errors` type — never a bare httpx error;
* the API key is sent in a header and appears nowhere else: not in ``repr``, not in
  error text, not in logs (httpx logs URLs, never headers);
* the ``probe*`` methods (for ``soku-tui doctor``) can only GET or HEAD, so checking an
  account can never change it.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol, Self, TypeVar
from urllib.parse import quote, urlencode

import httpx
import orjson
from pydantic import ValidationError

from soku_tui import __version__
from soku_tui.core.errors import (
    RateLimitInfo,
    SokuApiError,
    SokuBadResponse,
    SokuError,
    SokuUnreachable,
)
from soku_tui.core.models import (
    CreateAnswer,
    Page,
    PageShapeError,
    Submission,
    parse_error_envelope,
    parse_page,
    parse_submission,
)
from soku_tui.core.timestamps import parse_iso

log = logging.getLogger("soku_tui.client")

AuthScheme = Literal["header", "bearer"]
DEFAULT_BASE_URL: Final = "https://api.mysoku.io"
DEFAULT_TIMEOUT: Final = 10.0
DEFAULT_MAX_BODY_BYTES: Final = 10 * 1024 * 1024
MAX_PAGE_SIZE: Final = 250
_LISTING: Final = "Listing failed posts"
# Turns of the event loop httpx takes from a new request to its bytes on the wire
# (measured: 4-6; more only costs microseconds): see iter_failed_pages.
SEND_TURNS: Final = 8
# Bodies up to this size are decoded and read on the event loop (see _work).
INLINE_PARSE_BYTES = 1 << 20
_T = TypeVar("_T")
# Never sleep longer than this for the API's rate-limit reset inside one listing.
MAX_RATE_LIMIT_WAIT: Final = 60.0


@dataclass(frozen=True, slots=True)
class FailedListing:
    """Everything one poll of the failed submissions learned."""

    submissions: tuple[Submission, ...]
    skipped: int
    etag: str | None
    not_modified: bool
    rate_limit: RateLimitInfo | None
    pages: int
    bytes_received: int


@dataclass(frozen=True, slots=True)
class PageResult:
    """One page of a listing as it arrives (for progressive loading)."""

    page: Page
    etag: str | None
    not_modified: bool
    rate_limit: RateLimitInfo | None
    bytes_received: int
    number: int


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: httpx.Headers
    content: bytes
    wire_bytes: int


@dataclass(frozen=True, slots=True)
class ProbeAnswer:
    """One raw answer for ``soku-tui doctor``: any status, nothing raised for it.

    The properties read the headers, so the doctor never needs to know their names.
    ``headers`` are the server's (never ours: the key is not in them).
    """

    target: str  # "GET /v1/posts?status=failed&limit=1", for reports
    status: int
    headers: httpx.Headers
    body: bytes
    elapsed: float  # seconds, request sent → last body byte
    auth_scheme: AuthScheme  # the scheme this request used

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def _header(self, name: str) -> str | None:
        value = self.headers.get(name)
        return value if isinstance(value, str) else None

    @property
    def etag(self) -> str | None:
        return self._header("etag")

    @property
    def content_type(self) -> str:
        return (self._header("content-type") or "").split(";")[0].strip()

    @property
    def location(self) -> str | None:
        return self._header("location")

    @property
    def server_date(self) -> datetime | None:
        """The ``Date`` header as an aware time, or None if absent or unreadable."""
        raw = self._header("date")
        if not raw:
            return None
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    @property
    def rate_limit(self) -> RateLimitInfo | None:
        return parse_rate_limit(self.headers)

    @property
    def rate_limit_raw(self) -> dict[str, str]:
        """The X-RateLimit-* values as sent: keys ``limit``, ``remaining``, ``reset``."""
        raw = {
            part: self._header(f"x-ratelimit-{part}") for part in ("limit", "remaining", "reset")
        }
        return {part: value for part, value in raw.items() if value is not None}

    def error(self) -> SokuApiError:
        """This (non-2xx) answer as the typed error the other commands would raise."""
        return _api_error(_Answer(self.status, self.headers, self.body, 0), self.target)


def _format_since(since: datetime) -> str:
    utc = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_reset(value: str | None, *, now: float | None = None) -> datetime | None:
    """X-RateLimit-Reset as a time: epoch seconds, or an ISO 8601 time. Junk → None.

    Small numbers (below ~year 2001 as epoch) are read as "seconds from now", which some
    APIs send; the contract allows epoch or ISO, so this is only a tolerance.
    """
    if not value:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        number = None
    if number is not None:
        if number < 0:
            return None
        if number < 1_000_000_000:
            number += now if now is not None else time.time()
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_iso(text)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: delta-seconds or an HTTP date. Junk → None."""
    if not value:
        return None
    text = value.strip()
    current = now if now is not None else time.time()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - current)


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return int(float(raw.strip()))
    except ValueError:
        return None


def parse_rate_limit(headers: httpx.Headers) -> RateLimitInfo | None:
    limit = _int_header(headers, "x-ratelimit-limit")
    remaining = _int_header(headers, "x-ratelimit-remaining")
    reset_at = parse_reset(headers.get("x-ratelimit-reset"))
    if limit is None and remaining is None and reset_at is None:
        return None
    return RateLimitInfo(limit=limit, remaining=remaining, reset_at=reset_at)


def _seconds_until(when: datetime | None) -> float | None:
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


_STATUS_WORDS: Final = {
    400: "the request was refused as invalid",
    401: "the API key was rejected",
    403: "access is forbidden for this account (subscription or plan)",
    404: "not found",
    405: "this route does not accept that method",
    429: "rate limited",
    500: "Soku had an internal error",
    502: "a gateway in front of Soku failed",
    503: "Soku is unavailable",
    504: "a gateway in front of Soku timed out",
}


def _api_error(answer: _Answer, what: str) -> SokuApiError:
    """Turn a non-2xx answer into a typed error, whether or not the body is the envelope."""
    body = parse_error_envelope(answer.content)
    retry_after = parse_retry_after(answer.headers.get("retry-after"))
    if retry_after is None and answer.status == 429:
        retry_after = _seconds_until(parse_reset(answer.headers.get("x-ratelimit-reset")))
    words = _STATUS_WORDS.get(answer.status, "the request failed")
    if body is None:
        kind = answer.headers.get("content-type", "").split(";")[0].strip() or "no content type"
        shown = "an empty answer" if not answer.content else f"a {kind} answer, not Soku's JSON"
        message = f"{what}: HTTP {answer.status} — {words}; it sent {shown}"
        return SokuApiError(message, status=answer.status, retry_after=retry_after)
    code = f" [{body.code}]" if body.code else ""
    message = f"{what}: HTTP {answer.status}{code} — {words}"
    return SokuApiError(
        message,
        status=answer.status,
        code=body.code,
        error_type=body.type,
        server_message=body.message,
        request_id=body.request_id,
        retry_after=retry_after,
        details=body.details,
    )


class SokuClient:
    """Async client for the Soku API as described in docs/api-contract.md."""

    def __init__(
        self,
        *,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None,
        auth_scheme: AuthScheme = "header",
        timeout: float = DEFAULT_TIMEOUT,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.auth_scheme: AuthScheme = auth_scheme
        self.timeout = timeout
        self.max_body_bytes = max_body_bytes
        self.last_rate_limit: RateLimitInfo | None = None
        headers = {"user-agent": f"soku-tui/{__version__}", "accept": "application/json"}
        if api_key:
            if auth_scheme == "bearer":
                headers["authorization"] = f"Bearer {api_key}"
            else:
                headers["soku-api-key"] = api_key
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            headers=headers,
            # httpx's timeouts are per operation; the whole exchange is bounded in _send.
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"SokuClient(base_url={self.base_url!r}, auth_scheme={self.auth_scheme!r})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- reading ---------------------------------------------------------------------------

    async def iter_failed_pages(
        self,
        *,
        since: datetime | None = None,
        etag: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
        parser: PageParser | None = None,
    ) -> AsyncIterator[PageResult]:
        """Yield the pages of failed submissions as they arrive.

        ``etag`` (from the previous poll) goes on the first page only: the demo server and
        our contract give the ETag of the whole filtered result, so a 304 there means
        nothing changed anywhere and the listing stops after one tiny exchange.
        Between pages, a spent rate-limit budget is waited out rather than overrun.

        ``parser`` replaces :func:`parse_page` (the monitor's reuses the previous poll's
        objects); it reads a page of ordinary size on the event loop and a body over
        ``INLINE_PARSE_BYTES`` in a worker thread (see ``_work``). With it, the listing is
        pipelined: as soon as a page is decoded its ``nextCursor`` is known, and the next
        page is requested while this one's entries are read, so the network and the
        validation overlap instead of taking turns.
        """
        params: dict[str, str | int | list[str]] = {
            "status": ["failed"],
            "limit": max(1, min(page_size, MAX_PAGE_SIZE)),
        }
        if since is not None:
            params["updatedSince"] = _format_since(since)
        seen_cursors: set[str] = set()
        next_answer: asyncio.Task[_Answer] | None = None

        async def fetch(cursor: str | None, wait_for: RateLimitInfo | None) -> _Answer:
            await self._pace(wait_for)
            page_params = dict(params)
            if cursor:
                page_params["cursor"] = cursor
            headers = {"if-none-match": etag} if etag and cursor is None else {}
            return await self._send(
                "GET", "/v1/posts", _LISTING, params=page_params, headers=headers
            )

        try:
            answer = await fetch(None, None)
            number = 1
            while True:
                rate_limit = self.last_rate_limit
                if answer.status == 304:
                    yield PageResult(Page(), etag, True, rate_limit, answer.wire_bytes, number)
                    return
                if parser is None:
                    page = self._parse_page(answer)
                    cursor = page.next_cursor
                else:
                    self._raise_for_status(answer, _LISTING)
                    known = parser.known(answer.content)
                    if known is not None:  # most pages of most polls: nothing to read
                        page = known
                        cursor = page.next_cursor
                    else:
                        data = await _work(_decode, answer, parser)
                        cursor = parser.next_cursor(data)
                        if cursor and cursor not in seen_cursors:
                            next_answer = asyncio.create_task(fetch(cursor, rate_limit))
                            # Let it put its request on the wire before this page is
                            # read, so the server works on the next page meanwhile.
                            for _ in range(SEND_TURNS):
                                await asyncio.sleep(0)
                        page = await _work(_read, answer, parser, data)
                yield PageResult(
                    page, answer.headers.get("etag"), False, rate_limit, answer.wire_bytes, number
                )
                # A repeated cursor would loop forever: stop with what we have.
                if not cursor or cursor in seen_cursors:
                    return
                seen_cursors.add(cursor)
                if next_answer is None:
                    next_answer = asyncio.create_task(fetch(cursor, rate_limit))
                answer = await next_answer
                next_answer = None
                number += 1
        finally:
            if next_answer is not None:  # the caller stopped early, or reading failed
                next_answer.add_done_callback(_discard)
                next_answer.cancel()
                # Let the cancellation land (the connection goes back to the pool); a
                # cancellation of our caller still propagates out of wait().
                await asyncio.wait([next_answer])

    async def list_failed(
        self,
        *,
        since: datetime | None = None,
        etag: str | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> FailedListing:
        """All failed submissions (every page), or ``not_modified`` if the ETag still holds."""
        submissions: list[Submission] = []
        skipped = pages = wire = 0
        new_etag: str | None = None
        async for result in self.iter_failed_pages(since=since, etag=etag, page_size=page_size):
            pages += 1
            wire += result.bytes_received
            if result.not_modified:
                return FailedListing((), 0, etag, True, result.rate_limit, pages, wire)
            if result.number == 1:
                new_etag = result.etag
            submissions.extend(result.page.items)
            skipped += result.page.skipped
        return FailedListing(
            tuple(submissions), skipped, new_etag, False, self.last_rate_limit, pages, wire
        )

    async def get_submission(self, post_submission_id: str) -> Submission:
        what = "Reading post"
        answer = await self._send("GET", f"/v1/posts/{_path_part(post_submission_id)}", what)
        self._raise_for_status(answer, what)
        try:
            return parse_submission(answer.content)
        except (ValidationError, ValueError) as exc:
            raise SokuBadResponse(
                f"{what}: Soku's answer could not be read as a post ({_first_error(exc)})",
                status=answer.status,
                kind="wrong_shape",
            ) from None

    # -- probing (soku-tui doctor) -----------------------------------------------------------

    async def probe(
        self,
        method: Literal["GET", "HEAD"],
        path: str,
        *,
        params: dict[str, str | int] | None = None,
        auth_scheme: AuthScheme | None = None,
        if_none_match: str | None = None,
    ) -> ProbeAnswer:
        """One read-only request, answered raw whatever its status (for ``doctor``).

        Only GET and HEAD are possible, so a probe can never create or change anything.
        ``auth_scheme`` sends the key the other documented way for this one request
        (the key stays inside this client). Raises ``SokuUnreachable`` when no complete
        answer arrives, and ``SokuBadResponse(kind="too_large")`` past the size cap.
        """
        if method not in ("GET", "HEAD"):
            raise ValueError(f"a probe is read-only; {method!r} is not allowed")
        scheme = auth_scheme or self.auth_scheme
        shown = path + (f"?{urlencode(params)}" if params else "")
        target = f"{method} {shown}"
        headers = {"if-none-match": if_none_match} if if_none_match else None
        started = time.monotonic()
        answer = await self._send(
            method, path, target, params=params, headers=headers, auth_scheme=scheme
        )
        return ProbeAnswer(
            target=target,
            status=answer.status,
            headers=answer.headers,
            body=answer.content,
            elapsed=time.monotonic() - started,
            auth_scheme=scheme,
        )

    async def probe_failed_list(
        self,
        *,
        limit: int = 1,
        only_failed: bool = True,
        cursor: str | None = None,
        if_none_match: str | None = None,
        auth_scheme: AuthScheme | None = None,
    ) -> ProbeAnswer:
        """``GET /v1/posts?status=failed&limit=N`` (``only_failed=False`` drops the filter)."""
        params: dict[str, str | int] = {"status": "failed"} if only_failed else {}
        params["limit"] = max(1, min(limit, MAX_PAGE_SIZE))
        if cursor:
            params["cursor"] = cursor
        return await self.probe(
            "GET", "/v1/posts", params=params, if_none_match=if_none_match, auth_scheme=auth_scheme
        )

    async def probe_submission(
        self, post_submission_id: str, *, auth_scheme: AuthScheme | None = None
    ) -> ProbeAnswer:
        """``GET /v1/posts/{id}``, answered raw."""
        return await self.probe(
            "GET", f"/v1/posts/{_path_part(post_submission_id)}", auth_scheme=auth_scheme
        )

    # -- writing ---------------------------------------------------------------------------

    async def create_post(self, body: dict[str, Any], *, idempotency_key: str) -> str:
        """``POST /v1/posts``; returns the new postSubmissionId.

        Never retried here, not even on a connection error: the caller re-sends with the
        same Idempotency-Key when the user asks again, so Soku can deduplicate.
        """
        what = "Publishing post"
        answer = await self._send(
            "POST",
            "/v1/posts",
            what,
            content=orjson.dumps(body),
            headers={"content-type": "application/json", "idempotency-key": idempotency_key},
        )
        self._raise_for_status(answer, what)
        try:
            return CreateAnswer.model_validate_json(answer.content).post_submission_id
        except (ValidationError, ValueError):
            raise SokuBadResponse(
                f"{what}: HTTP {answer.status}, but the answer had no postSubmissionId",
                status=answer.status,
                kind="wrong_shape",
            ) from None

    # -- plumbing --------------------------------------------------------------------------

    def _parse_page(self, answer: _Answer) -> Page:
        self._raise_for_status(answer, _LISTING)
        with _page_errors(answer):
            return parse_page(answer.content)

    def _raise_for_status(self, answer: _Answer, what: str) -> None:
        if not 200 <= answer.status < 300:
            raise _api_error(answer, what)

    async def _pace(self, rate_limit: RateLimitInfo | None) -> None:
        """Wait for the rate-limit window to reset when the budget is spent."""
        if rate_limit is None or rate_limit.remaining is None or rate_limit.remaining > 0:
            return
        wait = _seconds_until(rate_limit.reset_at)
        if wait:
            log.info("rate-limit budget spent; waiting %.1f s before the next page", wait)
            await asyncio.sleep(min(wait, MAX_RATE_LIMIT_WAIT))

    async def _send(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        content: bytes | None = None,
        auth_scheme: AuthScheme | None = None,
    ) -> _Answer:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(
                    method, path, what, params, headers, content, auth_scheme
                )
        except TimeoutError:
            raise SokuUnreachable(
                f"{what}: no complete answer from {self.base_url} within {self.timeout:g} s",
                reason="timeout",
            ) from None
        except httpx.TimeoutException:
            raise SokuUnreachable(
                f"{what}: {self.base_url} did not answer within {self.timeout:g} s",
                reason="timeout",
            ) from None
        except httpx.ConnectError as exc:
            raise SokuUnreachable(
                f"{what}: cannot connect to {self.base_url} ({_describe_connect(exc)})",
                reason="connect",
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
            raise SokuUnreachable(
                f"{what}: the connection to {self.base_url} broke before the answer was complete",
                reason="reset",
            ) from None
        except httpx.HTTPError as exc:
            raise SokuUnreachable(
                f"{what}: talking to {self.base_url} failed ({type(exc).__name__})",
                reason="other",
            ) from None
        finally:
            log.debug("%s %s took %.0f ms", method, path, (time.monotonic() - started) * 1000)

    async def _exchange(
        self,
        method: str,
        path: str,
        what: str,
        params: dict[str, Any] | None,
        headers: dict[str, str] | None,
        content: bytes | None,
        auth_scheme: AuthScheme | None = None,
    ) -> _Answer:
        request = self._http.build_request(
            method, path, params=params, headers=headers, content=content
        )
        if auth_scheme is not None and auth_scheme != self.auth_scheme:
            _switch_auth(request.headers, auth_scheme)
        response = await self._http.send(request, stream=True)
        try:
            self.last_rate_limit = parse_rate_limit(response.headers) or self.last_rate_limit
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
                raise self._too_large(what, response.status_code)
            chunks: list[bytes] = []
            size = 0
            # Decoded bytes are what fills memory, so the cap applies to them (a gzip bomb
            # is refused too); the wire count is for the network benchmark.
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body_bytes:
                    raise self._too_large(what, response.status_code)
                chunks.append(chunk)
            header_bytes = sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 17
            wire = response.num_bytes_downloaded + header_bytes
            return _Answer(response.status_code, response.headers, b"".join(chunks), wire)
        finally:
            await response.aclose()

    def _too_large(self, what: str, status: int) -> SokuBadResponse:
        mb = self.max_body_bytes / (1024 * 1024)
        return SokuBadResponse(
            f"{what}: the answer is larger than the {mb:g} MB limit and was refused "
            "(raise max_body_bytes in the config if this is expected)",
            status=status,
            kind="too_large",
        )


class PageParser(Protocol):
    """Reads listing pages in two steps (see ``_work`` for where they run): ``decode`` the body
    (``ValueError`` if it is not JSON), then ``read`` its entries (``PageShapeError`` if
    the JSON is not a page). ``next_cursor`` takes the decoded body. ``known`` is asked
    first, on the event loop: the page of a body read before, or None; it must be quick
    (no decoding)."""

    def known(self, content: bytes) -> Page | None: ...

    def decode(self, content: bytes) -> Any: ...

    def next_cursor(self, data: Any) -> str | None: ...

    def read(self, data: Any) -> Page: ...


async def _work(step: Callable[..., _T], answer: _Answer, *args: Any) -> _T:
    """Run one step of reading a page: on the event loop for a body of ordinary size (a
    millisecond or two of work, and no other thread competing for the GIL while the user
    types), in a worker thread for a big one."""
    if len(answer.content) <= INLINE_PARSE_BYTES:
        return step(answer, *args)
    return await asyncio.to_thread(step, answer, *args)


def _discard(task: asyncio.Task[_Answer]) -> None:
    """Mark the outcome of a page request nobody will read as seen (no asyncio warning)."""
    if not task.cancelled():
        task.exception()


@contextlib.contextmanager
def _page_errors(answer: _Answer) -> Iterator[None]:
    """A listing page that is not JSON, or JSON of the wrong shape, as SokuBadResponse."""
    try:
        yield
    except PageShapeError as exc:
        raise SokuBadResponse(
            f"{_LISTING}: HTTP {answer.status}, but the answer has the wrong shape ({exc})",
            status=answer.status,
            kind="wrong_shape",
        ) from None
    except ValueError:
        raise SokuBadResponse(
            f"{_LISTING}: HTTP {answer.status}, but the answer is not valid JSON",
            status=answer.status,
            kind="malformed_json",
        ) from None


def _decode(answer: _Answer, parser: PageParser) -> Any:
    with _page_errors(answer):
        return parser.decode(answer.content)


def _read(answer: _Answer, parser: PageParser, data: Any) -> Page:
    with _page_errors(answer):
        return parser.read(data)


def _path_part(value: str) -> str:
    return quote(value, safe="")


def _switch_auth(headers: httpx.Headers, scheme: AuthScheme) -> None:
    """Move the key of one request to the other documented auth header, in place."""
    key = headers.get("soku-api-key")
    bearer = headers.get("authorization", "")
    if key is None and bearer[:7].lower() == "bearer ":
        key = bearer[7:]
    headers.pop("soku-api-key", None)
    headers.pop("authorization", None)
    if not key:
        return  # no key configured: there is nothing to send either way
    if scheme == "bearer":
        headers["authorization"] = f"Bearer {key}"
    else:
        headers["soku-api-key"] = key


def _describe_connect(exc: httpx.ConnectError) -> str:
    # httpx's own text is often just "All connection attempts failed"; the OS error
    # underneath says what actually happened.
    cause: BaseException | None = exc
    seen = 0
    texts = []
    while cause is not None and seen < 8:
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused: nothing is listening there"
        if isinstance(cause, socket.gaierror):
            return "the host name does not resolve"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        texts.append(str(cause).lower())
        cause = cause.__cause__ or cause.__context__
        seen += 1
    text = " ".join(texts)
    if "refused" in text:
        return "connection refused: nothing is listening there"
    if "name or service" in text or "nodename" in text or "getaddrinfo" in text:
        return "the host name does not resolve"
    if "ssl" in text or "certificate" in text:
        return "TLS handshake failed"
    return "network error"


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        errors = exc.errors()
        if errors:
            first = errors[0]
            where = ".".join(str(part) for part in first.get("loc", ()))
            return f"{where}: {first.get('msg', 'invalid')}" if where else first.get("msg", "")
    return "not valid JSON"


__all__ = [
    "DEFAULT_BASE_URL",
    "FailedListing",
    "PageResult",
    "ProbeAnswer",
    "SokuApiError",
    "SokuBadResponse",
    "SokuClient",
    "SokuError",
    "SokuUnreachable",
    "parse_rate_limit",
    "parse_reset",
    "parse_retry_after",
]
