"""The client against the real demo server over HTTP, and against servers that misbehave."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from soku_tui.core.client import SokuClient, parse_reset, parse_retry_after
from soku_tui.core.errors import SokuApiError, SokuBadResponse, SokuUnreachable
from soku_tui.demo.server import DEMO_API_KEY, DemoServer

SECRET = "sk_live_TESTKEY_do_not_show_123456"


def client_for(server: DemoServer, **kwargs: object) -> SokuClient:
    options: dict[str, object] = {"api_key": DEMO_API_KEY, "timeout": 5.0}
    options.update(kwargs)
    return SokuClient(base_url=server.base_url, **options)  # type: ignore[arg-type]


async def test_lists_every_failed_post_across_pages(demo_server: DemoServer) -> None:
    async with client_for(demo_server) as client:
        small = await client.list_failed(page_size=7)
        whole = await client.list_failed()
    assert small.pages > 2
    ids = [s.post_submission_id for s in small.submissions]
    assert len(ids) == len(set(ids)), "a post was listed twice across pages"
    assert set(ids) == {s.post_submission_id for s in whole.submissions}
    assert all(s.failed_runs for s in small.submissions)
    assert small.skipped == 0


async def test_since_window_limits_the_listing(demo_server: DemoServer) -> None:
    async with client_for(demo_server) as client:
        everything = await client.list_failed()
        recent = await client.list_failed(since=datetime.now(UTC) - timedelta(hours=6))
    assert 0 < len(recent.submissions) < len(everything.submissions)
    cutoff = datetime.now(UTC) - timedelta(hours=6, minutes=1)
    assert all(s.updated_at and s.updated_at >= cutoff for s in recent.submissions)


async def test_unchanged_listing_answers_304_and_a_change_does_not(
    demo_server: DemoServer,
) -> None:
    async with client_for(demo_server) as client:
        first = await client.list_failed()
        assert first.etag
        idle = await client.list_failed(etag=first.etag)
        assert idle.not_modified and idle.pages == 1
        assert idle.bytes_received < 1024
        demo_server.tick()
        changed = await client.list_failed(etag=first.etag)
    assert not changed.not_modified
    assert changed.etag != first.etag


async def test_get_one_and_unknown_id(demo_server: DemoServer) -> None:
    async with client_for(demo_server) as client:
        listing = await client.list_failed()
        wanted = listing.submissions[0].post_submission_id
        one = await client.get_submission(wanted)
        assert one.post_submission_id == wanted
        with pytest.raises(SokuApiError) as caught:
            await client.get_submission("no-such-post")
    assert caught.value.status == 404
    assert caught.value.code == "not_found"


async def test_rate_limit_headers_are_read(demo_server: DemoServer) -> None:
    async with client_for(demo_server) as client:
        await client.list_failed()
        limit = client.last_rate_limit
    assert limit is not None
    assert limit.limit and limit.remaining is not None and limit.reset_at is not None


async def test_unknown_key_is_a_401_with_the_envelope(demo_server: DemoServer) -> None:
    async with client_for(demo_server, api_key=SECRET) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    error = caught.value
    assert error.status == 401 and error.code == "unauthorized" and error.is_auth_problem
    assert SECRET not in str(error) and SECRET not in repr(error)
    assert SECRET not in repr(client)


async def test_missing_key_is_a_401(demo_server: DemoServer) -> None:
    async with client_for(demo_server, api_key=None) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    assert caught.value.status == 401


async def test_bearer_scheme_is_accepted(demo_server: DemoServer) -> None:
    async with client_for(demo_server, auth_scheme="bearer") as client:
        listing = await client.list_failed()
    assert listing.submissions


@pytest.mark.parametrize(
    ("fault", "status"),
    [("html_502", 502), ("html_503", 503), ("html_500", 500), ("lapsed_subscription", 403)],
)
async def test_error_statuses_name_the_status(
    demo_server: DemoServer, fault: str, status: int
) -> None:
    demo_server.faults.set(fault)
    async with client_for(demo_server) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    assert caught.value.status == status
    assert f"HTTP {status}" in str(caught.value)


async def test_html_body_from_a_proxy_still_gives_a_clear_error(demo_server: DemoServer) -> None:
    demo_server.faults.set("html_502")
    async with client_for(demo_server) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    assert "not Soku's JSON" in str(caught.value)
    assert "<html" not in str(caught.value).lower()


async def test_429_carries_retry_after(demo_server: DemoServer) -> None:
    demo_server.faults.set("rate_limit_retry_after")
    async with client_for(demo_server) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    assert caught.value.is_rate_limited
    assert caught.value.retry_after is not None and caught.value.retry_after > 0


async def test_429_with_only_reset_header_still_says_when(demo_server: DemoServer) -> None:
    demo_server.faults.set("rate_limit_reset_only")
    async with client_for(demo_server) as client:
        with pytest.raises(SokuApiError) as caught:
            await client.list_failed()
    assert caught.value.retry_after is not None


@pytest.mark.parametrize(
    ("fault", "kind"), [("malformed_json", "malformed_json"), ("wrong_shape", "wrong_shape")]
)
async def test_unusable_2xx_answers(demo_server: DemoServer, fault: str, kind: str) -> None:
    demo_server.faults.set(fault)
    async with client_for(demo_server) as client:
        with pytest.raises(SokuBadResponse) as caught:
            await client.list_failed()
    assert caught.value.kind == kind


async def test_oversized_answer_is_refused(demo_server: DemoServer) -> None:
    demo_server.faults.set("huge_body")
    async with client_for(demo_server, max_body_bytes=1024 * 1024) as client:
        with pytest.raises(SokuBadResponse) as caught:
            await client.list_failed()
    assert caught.value.kind == "too_large"
    assert "1 MB" in str(caught.value)


async def test_server_that_never_answers_times_out(demo_server: DemoServer) -> None:
    demo_server.faults.set("hang")
    async with client_for(demo_server, timeout=0.5) as client:
        with pytest.raises(SokuUnreachable) as caught:
            await client.list_failed()
    assert caught.value.reason == "timeout"


async def test_trickling_body_is_bounded_by_the_total_time_limit(demo_server: DemoServer) -> None:
    demo_server.faults.set("trickle")
    async with client_for(demo_server, timeout=0.5) as client:
        with pytest.raises(SokuUnreachable) as caught:
            await asyncio.wait_for(client.list_failed(), timeout=10)
    assert caught.value.reason == "timeout"


async def test_reset_mid_body_is_unreachable(demo_server: DemoServer) -> None:
    demo_server.faults.set("reset")
    async with client_for(demo_server) as client:
        with pytest.raises((SokuUnreachable, SokuBadResponse)):
            await client.list_failed()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_connection_refused_is_unreachable() -> None:
    client = SokuClient(base_url=f"http://127.0.0.1:{free_port()}", api_key=SECRET)
    async with client:
        with pytest.raises(SokuUnreachable) as caught:
            await client.list_failed()
    assert caught.value.reason == "connect"
    assert "connection refused" in str(caught.value)
    assert SECRET not in str(caught.value)


async def test_create_sends_the_idempotency_key_once(demo_server: DemoServer) -> None:
    body = {"post": {"content": {"text": "hello", "platform": ["x"]}}}
    async with client_for(demo_server) as client:
        first = await client.create_post(body, idempotency_key="retry:test:x:1")
        again = await client.create_post(body, idempotency_key="retry:test:x:1")
    assert first == again
    assert demo_server.created_count == 1


class _Recorder(BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_GET(self) -> None:
        _Recorder.seen.append({k.lower(): v for k, v in self.headers.items()})
        body = b'{"items": [], "nextCursor": null}'
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("scheme", "header", "value"),
    [("header", "soku-api-key", SECRET), ("bearer", "authorization", f"Bearer {SECRET}")],
)
async def test_auth_header_follows_the_scheme(
    recorder: str, scheme: str, header: str, value: str
) -> None:
    async with SokuClient(base_url=recorder, api_key=SECRET, auth_scheme=scheme) as client:  # type: ignore[arg-type]
        await client.list_failed(since=datetime(2026, 1, 1, tzinfo=UTC))
    (headers,) = _Recorder.seen
    assert headers[header] == value
    other = "authorization" if header == "soku-api-key" else "soku-api-key"
    assert other not in headers


def test_reset_header_accepts_epoch_and_iso() -> None:
    assert parse_reset("1772280000") == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert parse_reset("2026-02-28T12:00:00Z") == datetime(2026, 2, 28, 12, 0, tzinfo=UTC)
    assert parse_reset("soon") is None


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert parse_retry_after("30") == 30
    now = datetime(2026, 2, 28, 12, 0, tzinfo=UTC).timestamp()
    assert parse_retry_after("Sat, 28 Feb 2026 12:00:30 GMT", now=now) == pytest.approx(30)
    assert parse_retry_after("whenever") is None


async def test_every_httpx_failure_is_typed() -> None:
    def explode(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("boom", request=request)

    async with SokuClient(
        base_url="http://soku.invalid", api_key=SECRET, transport=httpx.MockTransport(explode)
    ) as client:
        with pytest.raises(SokuUnreachable):
            await client.get_submission("x")
