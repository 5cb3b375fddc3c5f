"""The demo Soku API's behaviour, free of sockets: one request in, one response out.

:class:`DemoApi` implements the contract in ``docs/api-contract.md`` (auth, the error
envelope, rate limits, ``GET /v1/posts``, ``GET /v1/posts/{id}``, ``POST /v1/posts`` with
``Idempotency-Key``) plus the ``/_demo/*`` admin routes, and decides which fault applies.
How a response travels (normally, cut off, a byte at a time, or not at all) is the HTTP
layer's job in :mod:`.server`, steered by ``Response.delivery``.

ETag of ``GET /v1/posts``: a hash of the server instance, the data version, the filter
(``status``, ``limit``) and where the ``updatedSince`` window starts in the sorted index.
It therefore names the *whole* filtered result set, not the page: every page of one walk
carries the same ETag, and two polls whose moving ``updatedSince`` still selects the same
submissions get the same ETag. The client sends ``If-None-Match`` on the first page only;
a match answers ``304`` with no body. Any change anywhere bumps the version, so an ETag
may change when the filtered set did not (never the other way round).

Nothing here ever logs or echoes an API key: the key only ever reaches ``_key_index``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import orjson

from soku_tui.core.models import PLATFORMS
from soku_tui.demo import scenario
from soku_tui.demo.faults import FAULT_NAMES, SCOPES, Fault, FaultSet, Route
from soku_tui.demo.store import Store, decode_cursor

AuthScheme = Literal["header", "bearer"]
Delivery = Literal["normal", "hang", "reset", "trickle", "unsized"]

MAX_LIMIT: Final = 250
DEFAULT_LIMIT: Final = 100
MAX_IDEMPOTENCY_KEY: Final = 1024
_JSON: Final = "application/json"
_HTML: Final = "text/html; charset=utf-8"
_REPLACING_FAULTS: Final = (
    "rate_limit_retry_after",
    "rate_limit_reset_only",
    "html_500",
    "html_502",
    "html_503",
    "malformed_json",
    "wrong_shape",
    "huge_body",
)
_HTML_TITLES: Final = {
    500: "500 Internal Server Error",
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
}


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    # Lower-case header names; the HTTP layer builds it.
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str | None = _JSON
    headers: list[tuple[str, str]] = field(default_factory=list)
    delivery: Delivery = "normal"
    # The fault steering a non-normal delivery (its parameters, and whether it was cleared).
    fault: Fault | None = None
    # For a hung create: the answer to send if the hang is lifted (the post already exists).
    held: Response | None = None


class SlidingWindow:
    """At most ``limit`` events in any ``period`` seconds (monotonic clock)."""

    def __init__(self, limit: int, period: float = 60.0) -> None:
        self.limit = limit
        self.period = period
        self._events: deque[float] = deque()

    def _prune(self, now: float) -> None:
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()

    def acquire(self) -> bool:
        now = time.monotonic()
        self._prune(now)
        if len(self._events) >= self.limit:
            return False
        self._events.append(now)
        return True

    def remaining(self) -> int:
        self._prune(time.monotonic())
        return max(0, self.limit - len(self._events))

    def reset_in(self) -> float:
        """Seconds until the oldest counted event leaves the window (a slot frees up)."""
        now = time.monotonic()
        self._prune(now)
        if not self._events:
            return self.period
        return max(0.0, self._events[0] + self.period - now)


def envelope(
    status: int,
    code: str,
    message: str,
    *,
    details: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> bytes:
    """Soku's error envelope. ``type`` follows the status, as Soku's docs describe."""
    if status in (401, 403):
        error_type = "authentication_error"
    elif status >= 500:
        error_type = "api_error"
    else:
        error_type = "invalid_request_error"
    return orjson.dumps(
        {
            "error": {
                "type": error_type,
                "code": code,
                "message": message,
                "timestamp": scenario.iso_ms(int(time.time() * 1000)),
                "requestId": request_id or new_request_id(),
                "details": dict(details or {}),
            }
        }
    )


def new_request_id() -> str:
    return f"req_{secrets.token_hex(6)}"


def error_response(
    status: int, code: str, message: str, *, details: Mapping[str, Any] | None = None
) -> Response:
    request_id = new_request_id()
    return Response(
        status,
        envelope(status, code, message, details=details, request_id=request_id),
        headers=[("X-Request-Id", request_id)],
    )


class _Invalid(Exception):
    def __init__(self, field_name: str, reason: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.reason = reason
        self.message = message


def _route(method: str, path: str) -> tuple[Route, str | None, bool]:
    """(route kind, submission id, method allowed) for a /v1 path."""
    if path in ("/v1/posts", "/v1/posts/"):
        if method == "GET":
            return "list", None, True
        if method == "POST":
            return "create", None, True
        return "other", None, False
    prefix = "/v1/posts/"
    if path.startswith(prefix) and "/" not in path[len(prefix) :].rstrip("/"):
        return "get", path[len(prefix) :].rstrip("/"), method == "GET"
    return "other", None, True


class DemoApi:
    """Routes, auth, rate limits, idempotency and faults of the demo Soku API."""

    def __init__(
        self,
        store: Store,
        faults: FaultSet,
        *,
        api_keys: Iterable[str],
        auth_schemes: Iterable[AuthScheme] = ("header", "bearer"),
        create_limit_per_minute: int = 30,
        read_limit_per_minute: int = 1200,
        reset_header_format: Literal["epoch", "iso"] = "epoch",
        on_tick: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.faults = faults
        # Compared as bytes with hmac.compare_digest; never logged or echoed.
        self._keys = tuple(key.encode() for key in api_keys)
        self.auth_schemes = frozenset(auth_schemes)
        self._create_limit = create_limit_per_minute
        self._read_limit = read_limit_per_minute
        self._reset_format = reset_header_format
        self._on_tick = on_tick or store.tick
        self._instance = secrets.token_hex(4)  # a restarted server never reuses an ETag
        self._lock = threading.Lock()
        # One lock for every create, so replaying an Idempotency-Key is atomic.
        self._create_lock = threading.Lock()
        self._windows: dict[str, SlidingWindow] = {}
        self._idempotent: dict[tuple[int, str], Response] = {}
        self._huge: dict[int, bytes] = {}
        self.request_counts: dict[str, int] = {"list": 0, "get": 0, "create": 0, "other": 0}

    # --- entry point ---

    def handle(self, request: Request, *, allow_hang: bool = True) -> Response:
        if request.path == "/_demo" or request.path.startswith("/_demo/"):
            return self._admin(request)
        response = self._handle(request, allow_hang=allow_hang)
        # Like Soku, every API answer names its request (a proxy's HTML page does not).
        named = any(name == "X-Request-Id" for name, _ in response.headers)
        if not named and (response.content_type == _JSON or response.status == 304):
            response.headers.append(("X-Request-Id", new_request_id()))
        return response

    def _handle(self, request: Request, *, allow_hang: bool) -> Response:
        route, submission_id, allowed = _route(request.method, request.path)
        if allow_hang:
            with self._lock:
                self.request_counts[route] += 1
        # A hung create is held *after* the post was created (below): the nasty case.
        if allow_hang and route != "create":
            hang = self.faults.take("hang", route)
            if hang is not None:
                return Response(0, delivery="hang", fault=hang)

        key_index, denied = self._authenticate(request, route)
        if denied is not None:
            return self._with_budget(denied, self._window("read:anonymous", self._read_limit))
        assert key_index is not None
        if self.faults.take("revoked_key", route):
            return error_response(
                401,
                "unauthorized",
                "This API key has been revoked. Generate a new key in Settings > API.",
            )
        if self.faults.take("lapsed_subscription", route):
            return error_response(
                403,
                "forbidden",
                "Your subscription is paused after a failed payment. "
                "Update your payment method in Settings > Billing.",
            )

        if route == "create":
            response = self._create(request, key_index)
            if allow_hang:
                hang = self.faults.take("hang", route)
                if hang is not None:
                    return Response(0, delivery="hang", fault=hang, held=response)
        else:
            window = self._window(f"read:{key_index}", self._read_limit)
            with self._lock:
                admitted = window.acquire()
            if not admitted:
                return self._with_budget(self._too_many(window), window)
            replaced = self._replacing_fault(route, window)
            if replaced is not None:
                return replaced
            response = self._with_budget(self._read(request, route, submission_id, allowed), window)
        return self._deliver(response, route)

    # --- auth and budgets ---

    def _authenticate(self, request: Request, route: Route) -> tuple[int | None, Response | None]:
        header_key = (request.headers.get("soku-api-key") or "").strip()
        authorization = (request.headers.get("authorization") or "").strip()
        scheme, _, value = authorization.partition(" ")
        bearer = value.strip() if scheme.lower() == "bearer" else ""
        schemes = set(self.auth_schemes)
        if self.faults.take("bearer_only", route):
            schemes = {"bearer"}
        candidates = []
        if "header" in schemes and header_key:
            candidates.append(header_key)
        if "bearer" in schemes and bearer:
            candidates.append(bearer)
        for candidate in candidates:
            index = self._key_index(candidate)
            if index is not None:
                return index, None
        if candidates:
            message = "Invalid API key. Check the key in Settings > API."
        elif header_key and "header" not in schemes:
            message = (
                "This account expects the API key as 'Authorization: Bearer <key>'; "
                "the soku-api-key header is not accepted."
            )
        elif bearer and "bearer" not in schemes:
            message = "This account expects the API key in the soku-api-key header."
        elif authorization and not bearer:
            message = "Malformed Authorization header; expected 'Bearer <key>'."
        else:
            message = (
                "Missing API key. Send it in the soku-api-key header "
                "or as 'Authorization: Bearer <key>'."
            )
        return None, error_response(401, "unauthorized", message)

    def _key_index(self, candidate: str) -> int | None:
        given = candidate.encode("utf-8", "replace")
        found = None
        for index, key in enumerate(self._keys):
            # Check every key, so timing says nothing about which one was close.
            if hmac.compare_digest(given, key) and found is None:
                found = index
        return found

    def _window(self, name: str, limit: int) -> SlidingWindow:
        with self._lock:
            window = self._windows.get(name)
            if window is None:
                window = self._windows[name] = SlidingWindow(limit)
            return window

    def _reset_header(self, seconds: float) -> str:
        at = time.time() + seconds
        if self._reset_format == "iso":
            return scenario.iso_ms(int(at * 1000))
        return str(math.ceil(at))

    def _with_budget(self, response: Response, window: SlidingWindow) -> Response:
        with self._lock:
            remaining, reset_in = window.remaining(), window.reset_in()
        response.headers += [
            ("X-RateLimit-Limit", str(window.limit)),
            ("X-RateLimit-Remaining", str(remaining)),
            ("X-RateLimit-Reset", self._reset_header(reset_in)),
        ]
        return response

    def _too_many(self, window: SlidingWindow) -> Response:
        with self._lock:
            wait = max(1, math.ceil(window.reset_in()))
        response = error_response(
            429,
            "rate_limit_exceeded",
            f"Rate limit exceeded: at most {window.limit} requests per minute. "
            f"Try again in {wait} s.",
            details={"limit": window.limit, "retryAfterSeconds": wait},
        )
        response.headers.append(("Retry-After", str(wait)))
        return response

    # --- faults ---

    def _replacing_fault(self, route: Route, window: SlidingWindow) -> Response | None:
        for name in _REPLACING_FAULTS:
            fault = self.faults.take(name, route)
            if fault is None:
                continue
            if name == "rate_limit_retry_after":
                seconds = fault.param("seconds")
                response = error_response(
                    429, "rate_limit_exceeded", "Rate limit exceeded. Slow down."
                )
                response.headers += [
                    ("Retry-After", str(math.ceil(seconds))),
                    ("X-RateLimit-Limit", str(window.limit)),
                    ("X-RateLimit-Remaining", "0"),
                    ("X-RateLimit-Reset", self._reset_header(seconds)),
                ]
                return response
            if name == "rate_limit_reset_only":
                response = error_response(
                    429, "rate_limit_exceeded", "Rate limit exceeded. Slow down."
                )
                response.headers.append(
                    ("X-RateLimit-Reset", self._reset_header(fault.param("seconds")))
                )
                return response
            if name.startswith("html_"):
                status = int(name.removeprefix("html_"))
                title = _HTML_TITLES[status]
                page = (
                    f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
                    "</body>\r\n</html>\r\n"
                )
                return Response(status, page.encode(), content_type=_HTML)
            if name == "malformed_json":
                return Response(200, b'{"items": [{"postSubmissionId": "6f1c2a0e-8b1d-4c3e-9')
            if name == "wrong_shape":
                return Response(200, b'{"data": 1}')
            if name == "huge_body":
                body = self._huge_body(int(fault.param("bytes")))
                delivery: Delivery = "normal" if fault.param("sized") else "unsized"
                return Response(200, body, delivery=delivery, fault=fault)
        return None

    def _huge_body(self, size: int) -> bytes:
        with self._lock:
            cached = self._huge.get(size)
        if cached is not None:
            return cached
        items = self.store.page(statuses=frozenset(), since_ms=None, cursor=None, limit=250).items
        filler = items or [b'{"postSubmissionId":"' + b"f" * 1000 + b'"}']
        chunk = b",".join(filler)
        repeats = max(1, -(-size // (len(chunk) + 1)))
        body = b'{"items":[' + b",".join([chunk] * repeats) + b'],"nextCursor":null}'
        with self._lock:
            self._huge = {size: body}  # keep one: 20 MB each
        return body

    def _deliver(self, response: Response, route: Route) -> Response:
        if response.status == 200 and route in ("list", "get"):
            transform = None
            if self.faults.take("unknown_values", route):
                transform = _unknown_values
            elif self.faults.take("missing_fields", route):
                transform = _missing_fields
            if transform is not None:
                response.body = _transform_body(response.body, route, transform)
        if response.status == 200 and route == "list" and self.faults.take("bare_array", route):
            response.body = orjson.dumps(orjson.loads(response.body)["items"])
        if response.status == 304:
            return response
        reset = self.faults.take("reset", route)
        if reset is not None:
            response.delivery, response.fault = "reset", reset
            return response
        trickle = self.faults.take("trickle", route)
        if trickle is not None:
            response.delivery, response.fault = "trickle", trickle
        return response

    # --- reads ---

    def _read(
        self, request: Request, route: Route, submission_id: str | None, allowed: bool
    ) -> Response:
        if not allowed:
            response = error_response(
                405,
                "method_not_allowed",
                f"{request.method} is not allowed on {request.path}.",
            )
            response.headers.append(("Allow", "GET, POST" if route == "other" else "GET"))
            return response
        if route in ("list", "get"):
            no_read = self.faults.take("no_read_api", route)
            if no_read is not None:
                status = int(no_read.param("status"))
                return error_response(
                    status,
                    "not_found" if status == 404 else "method_not_allowed",
                    f"Cannot {request.method} {request.path}",
                )
        if route == "list":
            return self._list(request)
        if route == "get" and submission_id:
            raw = self.store.get(submission_id)
            if raw is None:
                return error_response(
                    404,
                    "not_found",
                    f"No post submission with id '{submission_id[:100]}'.",
                )
            return Response(200, raw)
        return error_response(
            404, "not_found", f"No route for {request.method} {request.path[:200]}."
        )

    def _list(self, request: Request) -> Response:
        query = request.query
        try:
            limit = _limit(query.get("limit"))
            statuses = frozenset(
                part.strip()
                for value in query.get("status", [])
                for part in value.split(",")
                if part.strip()
            )
            since_ms = None
            if query.get("updatedSince"):
                try:
                    since_ms = scenario.parse_iso_ms(query["updatedSince"][-1])
                except ValueError:
                    raise _Invalid(
                        "updatedSince", "invalid", "updatedSince must be an ISO 8601 time."
                    ) from None
            cursor = None
            if query.get("cursor") and query["cursor"][-1]:
                try:
                    cursor = decode_cursor(query["cursor"][-1])
                except ValueError:
                    raise _Invalid(
                        "cursor", "invalid", "cursor is not one this API returned."
                    ) from None
        except _Invalid as invalid:
            return error_response(
                400,
                "validation_error",
                invalid.message,
                details={"field": invalid.field_name, "reason": invalid.reason},
            )
        page = self.store.page(statuses=statuses, since_ms=since_ms, cursor=cursor, limit=limit)
        fingerprint = (
            "|".join((self._instance, str(page.version), ",".join(sorted(statuses)), str(limit)))
            + f"|{page.window_start}"
        )
        etag = '"' + hashlib.blake2b(fingerprint.encode(), digest_size=12).hexdigest() + '"'
        headers = [("ETag", etag)]
        if _etag_matches(request.headers.get("if-none-match"), etag):
            return Response(304, b"", content_type=None, headers=headers)
        body = b"".join(
            (
                b'{"items":[',
                b",".join(page.items),
                b'],"nextCursor":',
                orjson.dumps(page.next_cursor),
                b"}",
            )
        )
        return Response(200, body, headers=headers)

    # --- create ---

    def _create(self, request: Request, key_index: int) -> Response:
        idempotency_key = request.headers.get("idempotency-key")
        if idempotency_key is not None:
            idempotency_key = idempotency_key.strip()
            if not idempotency_key or len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
                return error_response(
                    400,
                    "validation_error",
                    f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} characters.",
                    details={"field": "Idempotency-Key", "reason": "invalid"},
                )
        window = self._window(f"create:{key_index}", self._create_limit)
        with self._create_lock:
            if idempotency_key is not None:
                replay = self._idempotent.get((key_index, idempotency_key))
                if replay is not None:
                    response = Response(
                        replay.status, replay.body, headers=[("Idempotent-Replayed", "true")]
                    )
                    return self._with_budget(response, window)
            with self._lock:
                admitted = window.acquire()
            if not admitted:
                return self._with_budget(self._too_many(window), window)
            replaced = self._replacing_fault("create", window)
            if replaced is not None:
                return replaced
            try:
                body = orjson.loads(request.body) if request.body else None
            except orjson.JSONDecodeError:
                return self._with_budget(
                    error_response(400, "bad_request", "The request body is not valid JSON."),
                    window,
                )
            try:
                targets, scheduled_ms = validate_create(body)
            except _Invalid as invalid:
                return self._with_budget(
                    error_response(
                        400,
                        "validation_error",
                        invalid.message,
                        details={"field": invalid.field_name, "reason": invalid.reason},
                    ),
                    window,
                )
            assert isinstance(body, dict)
            submission_id = self.store.create(body, targets=targets, scheduled_ms=scheduled_ms)
            response = Response(201, orjson.dumps({"postSubmissionId": submission_id}))
            if idempotency_key is not None:
                self._idempotent[(key_index, idempotency_key)] = Response(
                    response.status, response.body
                )
        return self._with_budget(response, window)

    # --- admin (demo only: loopback, no auth) ---

    def _admin(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        if path == "/_demo/faults" and request.method in ("GET", "POST"):
            if request.method == "POST":
                try:
                    payload = orjson.loads(request.body) if request.body else {}
                    self.faults.apply_json(payload)
                except (orjson.JSONDecodeError, ValueError) as exc:
                    return error_response(400, "validation_error", str(exc))
            return Response(
                200,
                orjson.dumps(
                    {"faults": self.faults.to_json(), "known": FAULT_NAMES, "scopes": SCOPES}
                ),
            )
        if path == "/_demo/tick" and request.method == "POST":
            try:
                payload = orjson.loads(request.body) if request.body else {}
            except orjson.JSONDecodeError:
                payload = None
            count = payload.get("count", 1) if isinstance(payload, dict) else None
            if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
                return error_response(
                    400, "validation_error", "'count' must be a whole number from 1 to 1000."
                )
            for _ in range(count):
                self._on_tick()
            return Response(200, orjson.dumps({"ticks": count, **self.stats()}))
        if path == "/_demo/touch" and request.method == "POST":
            try:
                payload = orjson.loads(request.body) if request.body else {}
            except orjson.JSONDecodeError:
                payload = None
            percent = payload.get("percent", 1) if isinstance(payload, dict) else None
            offset = payload.get("offset", 0) if isinstance(payload, dict) else None
            if (
                isinstance(percent, bool)
                or not isinstance(percent, int | float)
                or not 0 < percent <= 100
                or isinstance(offset, bool)
                or not isinstance(offset, int)
                or offset < 0
            ):
                return error_response(
                    400,
                    "validation_error",
                    "'percent' must be a number above 0 and at most 100; 'offset' a whole "
                    "number of 0 or more.",
                )
            touched = self.store.touch(float(percent), offset)
            return Response(200, orjson.dumps({"touched": touched, **self.stats()}))
        if path == "/_demo/stats" and request.method == "GET":
            return Response(200, orjson.dumps(self.stats()))
        return error_response(404, "not_found", f"No demo route {request.method} {path[:200]}.")

    def stats(self) -> dict[str, Any]:
        with self._lock:
            requests = dict(self.request_counts)
        return {
            "createdCount": self.store.created_count,
            "submissions": len(self.store),
            "failedSubmissions": self.store.failed_count(),
            "version": self.store.version,
            "requests": requests,
            "faults": list(self.faults.names()),
        }


def _limit(values: list[str] | None) -> int:
    if not values:
        return DEFAULT_LIMIT
    text = values[-1].strip()
    if text.isdigit() and 1 <= int(text) <= MAX_LIMIT:
        return int(text)
    raise _Invalid("limit", "out_of_range", f"limit must be a whole number from 1 to {MAX_LIMIT}.")


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def validate_create(body: Any) -> tuple[list[tuple[str, str]], int | None]:
    """Check a create body; returns (targets as (platform, account), scheduled ms)."""
    if not isinstance(body, dict):
        raise _Invalid("body", "invalid", "The request body must be a JSON object.")
    post = body.get("post")
    if not isinstance(post, dict):
        raise _Invalid("post", "required", "post is required.")
    content = post.get("content")
    if not isinstance(content, dict):
        raise _Invalid("post.content", "required", "post.content is required.")
    text = content.get("text")
    if not isinstance(text, str) or not text.strip():
        raise _Invalid("post.content.text", "required", "post.content.text is required.")
    media_type = content.get("mediaType")
    if media_type is not None and not isinstance(media_type, str):
        raise _Invalid("post.content.mediaType", "invalid", "mediaType must be a string.")
    media_urls = content.get("mediaUrls")
    if media_urls is not None and (
        not isinstance(media_urls, list) or not all(isinstance(u, str) for u in media_urls)
    ):
        raise _Invalid(
            "post.content.mediaUrls", "invalid", "mediaUrls must be a list of URL strings."
        )
    platforms = content.get("platform")
    if not isinstance(platforms, list) or not platforms:
        raise _Invalid(
            "post.content.platform", "required", "Select at least one platform to publish to."
        )
    targets: list[tuple[str, str]] = []
    for position, item in enumerate(platforms):
        where = f"post.content.platform[{position}]"
        if isinstance(item, str):
            platform, account = item, scenario.default_account(item)
        elif isinstance(item, dict) and isinstance(item.get("platform"), str):
            platform = item["platform"]
            account_id = item.get("accountId")
            if account_id is not None and (not isinstance(account_id, str) or not account_id):
                raise _Invalid(f"{where}.accountId", "invalid", "accountId must be a string.")
            account = account_id or scenario.default_account(platform)
        else:
            raise _Invalid(
                where, "invalid", "Each platform is a name or an object {platform, accountId}."
            )
        if platform not in PLATFORMS:
            raise _Invalid(where, "unsupported", f"Unsupported platform '{platform[:40]}'.")
        if (platform, account) not in targets:
            targets.append((platform, account))
    scheduled = body.get("scheduledTime")
    scheduled_ms = None
    if scheduled is not None:
        if not isinstance(scheduled, str):
            raise _Invalid("scheduledTime", "invalid", "scheduledTime must be an ISO 8601 time.")
        try:
            scheduled_ms = scenario.parse_iso_ms(scheduled)
        except ValueError:
            raise _Invalid(
                "scheduledTime", "invalid", "scheduledTime must be an ISO 8601 time."
            ) from None
    return targets, scheduled_ms


# --- body transforms for the unknown_values and missing_fields faults ---


def _transform_body(
    body: bytes, route: Route, transform: Callable[[dict[str, Any], int], Any]
) -> bytes:
    data = orjson.loads(body)
    if route == "get":
        # A single submission stays readable (position 0), so the fault shows, not hides.
        return orjson.dumps(transform(data, 0))
    data["items"] = [transform(item, position) for position, item in enumerate(data["items"])]
    return orjson.dumps(data)


def _unknown_values(item: dict[str, Any], position: int) -> dict[str, Any]:
    if position % 2 == 0:
        item["status"] = ("archived", "on_hold")[position // 2 % 2]
    item["labels"] = ["spring-campaign"]  # an unknown extra field
    runs = item.get("runs") or []
    if runs:
        run = runs[0]
        platform = ("bluesky", "mastodon", "pinterest")[position % 3]
        run["platform"] = platform
        run["targetId"] = f"{platform}:{platform}_main"
        run["accountId"] = f"{platform}_main"
        if run.get("status") == "failed" and isinstance(run.get("error"), dict):
            run["error"]["code"] = "platform_quota_exceeded"
            run["error"]["status"] = 429
        elif position % 3 == 1:
            run["status"] = "retrying"
    return item


def _missing_fields(item: dict[str, Any], position: int) -> dict[str, Any]:
    kind = position % 3
    if kind == 0:
        for name in ("createdAt", "scheduledTime", "request", "updatedAt"):
            item.pop(name, None)
    elif kind == 1:
        for run in item.get("runs") or []:
            for name in ("targetId", "accountId", "attempt", "platformPostUrl", "updatedAt"):
                run.pop(name, None)
            if isinstance(run.get("error"), dict):
                for name in ("code", "requestId", "timestamp"):
                    run["error"].pop(name, None)
    else:
        item.pop("postSubmissionId", None)  # unreadable: the one field we cannot guess
    return item


__all__ = ["DemoApi", "Request", "Response", "SlidingWindow", "envelope", "validate_create"]
