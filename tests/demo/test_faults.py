"""Every fault of the demo server behaves as its name says, switches on and off at run
time, and leaves the server healthy once lifted."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable

import httpx
import pytest

from soku_tui.core.models import PLATFORMS, SUBMISSION_STATUSES, parse_page
from soku_tui.demo.faults import FAULT_NAMES, FaultSet
from soku_tui.demo.server import DemoServer
from tests.demo.helpers import client_for, create_body, raw_request, read_head


def _status_line(head: bytes) -> bytes:
    return head.split(b"\r\n", 1)[0]


def _drain(sock: socket.socket, into: list[bytes]) -> None:
    while chunk := sock.recv(65536):
        into.append(chunk)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise AssertionError("no Content-Length")


# --- the fault set itself ---


def test_spec_strings_name_scope_count_and_parameters() -> None:
    faults = FaultSet.from_spec("html_502@list*3, hang:seconds=5,revoked_key")
    by_name = {fault.name: fault for fault in faults.active()}
    assert set(by_name) == {"html_502", "hang", "revoked_key"}
    assert (by_name["html_502"].scope, by_name["html_502"].count) == ("list", 3)
    assert by_name["hang"].param("seconds") == 5
    assert by_name["revoked_key"].scope == "all"
    assert by_name["revoked_key"].count is None
    assert not FaultSet.from_spec(None)
    assert not FaultSet.from_spec("")


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("html_504", "unknown fault"),
        ("hang@everywhere", "unknown fault scope"),
        ("hang:minutes=3", "no parameter"),
        ("hang*0", "1 or more"),
        ("html 502", "cannot read"),
    ],
)
def test_bad_specs_are_refused_with_a_reason(spec: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        FaultSet.from_spec(spec)


def test_the_admin_route_sets_lists_and_clears_faults(demo_server: DemoServer) -> None:
    admin = f"{demo_server.base_url}/_demo/faults"
    state = httpx.post(admin, json={"set": "html_502@list*2"}).json()
    assert [fault["name"] for fault in state["faults"]] == ["html_502"]
    assert set(state["known"]) == set(FAULT_NAMES)
    assert httpx.get(admin).json()["faults"][0]["count"] == 2
    refused = httpx.post(admin, json={"set": [{"name": "nope"}]})
    assert refused.status_code == 400
    assert "unknown fault" in refused.json()["error"]["message"]
    assert httpx.post(admin, json={"clear": True}).json()["faults"] == []
    assert demo_server.faults.names() == ()


def test_the_admin_tick_route_advances_the_scenario(demo_server: DemoServer) -> None:
    before = demo_server.store.version
    answer = httpx.post(f"{demo_server.base_url}/_demo/tick", json={"count": 2})
    assert answer.status_code == 200
    assert answer.json()["ticks"] == 2
    assert demo_server.store.version == before + 2
    assert len(demo_server.store) == 56


def test_a_counted_fault_clears_itself(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("html_502", count=2)
    codes = [api.get("/v1/posts").status_code for _ in range(3)]
    assert codes == [502, 502, 200]
    assert not demo_server.faults


def test_list_scope_leaves_other_routes_alone(api: httpx.Client, demo_server: DemoServer) -> None:
    some_id = api.get("/v1/posts", params={"limit": 1}).json()["items"][0]["postSubmissionId"]
    demo_server.faults.set("html_503", scope="list")
    assert api.get("/v1/posts").status_code == 503
    assert api.get(f"/v1/posts/{some_id}").status_code == 200
    assert api.post("/v1/posts", json=create_body()).status_code == 201


# --- answers that are wrong ---


@pytest.mark.parametrize("status", [500, 502, 503])
def test_html_errors_look_like_a_proxy_page(
    api: httpx.Client, demo_server: DemoServer, status: int
) -> None:
    demo_server.faults.set(f"html_{status}")
    response = api.get("/v1/posts", params={"status": "failed"})
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert response.text.startswith("<html>")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)
    demo_server.faults.clear()
    assert api.get("/v1/posts").status_code == 200


def test_rate_limit_with_retry_after(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("rate_limit_retry_after", seconds=7)
    response = api.get("/v1/posts")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-ratelimit-remaining"] == "0"
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_rate_limit_with_only_a_reset_time(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("rate_limit_reset_only", seconds=9)
    response = api.get("/v1/posts")
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert "x-ratelimit-limit" not in response.headers
    assert int(response.headers["x-ratelimit-reset"]) >= time.time() + 8  # epoch seconds
    assert response.json()["error"]["code"] == "rate_limit_exceeded"


def test_malformed_json(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("malformed_json")
    response = api.get("/v1/posts")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_wrong_shape(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("wrong_shape")
    response = api.get("/v1/posts")
    assert response.status_code == 200
    assert response.json() == {"data": 1}


def test_unknown_values_are_readable_but_unknown(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    demo_server.faults.set("unknown_values")
    page = parse_page(api.get("/v1/posts", params={"limit": 20}).content)
    assert len(page.items) == 20
    assert page.skipped == 0
    assert {s.status for s in page.items} - set(SUBMISSION_STATUSES)
    assert {run.platform for s in page.items for run in s.runs} - set(PLATFORMS)


def test_missing_fields_make_some_items_unreadable(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    demo_server.faults.set("missing_fields")
    raw = api.get("/v1/posts", params={"limit": 30}).json()["items"]
    page = parse_page(api.get("/v1/posts", params={"limit": 30}).content)
    assert page.skipped == 10  # every third item has no id
    assert len(page.items) == 20
    assert any("createdAt" not in item for item in raw)
    assert any(
        run.get("error") and "requestId" not in run["error"]
        for item in raw
        for run in item.get("runs", [])
    )


def test_huge_body_is_twenty_megabytes(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("huge_body")
    response = api.get("/v1/posts")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) >= 20 * 1024 * 1024
    assert len(response.content) >= 20 * 1024 * 1024


def test_huge_body_without_a_length_ends_at_the_close(demo_server: DemoServer) -> None:
    demo_server.faults.set("huge_body", bytes=2_000_000, sized=0)
    with raw_request(demo_server, "/v1/posts") as sock:
        head, body = read_head(sock)
        while chunk := sock.recv(1 << 20):
            body += chunk
    assert b"content-length" not in head.lower()
    assert len(body) >= 2_000_000
    assert json.loads(body)["items"]


def test_revoked_key_is_401_everywhere(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("revoked_key")
    answers = [api.get("/v1/posts"), api.get("/v1/posts/x"), api.post("/v1/posts", json={})]
    assert {a.status_code for a in answers} == {401}
    assert {a.json()["error"]["code"] for a in answers} == {"unauthorized"}
    assert demo_server.created_count == 0
    demo_server.faults.clear("revoked_key")
    assert api.get("/v1/posts").status_code == 200


def test_lapsed_subscription_is_403_everywhere(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("lapsed_subscription")
    answers = [api.get("/v1/posts"), api.post("/v1/posts", json=create_body())]
    assert {a.status_code for a in answers} == {403}
    error = answers[0].json()["error"]
    assert (error["type"], error["code"]) == ("authentication_error", "forbidden")
    assert "Settings > Billing" in error["message"]
    assert demo_server.created_count == 0


def test_bearer_only_refuses_the_header(demo_server: DemoServer) -> None:
    demo_server.faults.set("bearer_only")
    with client_for(demo_server, scheme="header") as client:
        assert client.get("/v1/posts").status_code == 401
    with client_for(demo_server, scheme="bearer") as client:
        assert client.get("/v1/posts").status_code == 200


def test_no_read_api_hides_both_read_routes(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("no_read_api")
    listed = api.get("/v1/posts", params={"status": "failed", "limit": 1})
    assert listed.status_code == 404
    assert listed.json()["error"]["code"] == "not_found"
    assert api.get("/v1/posts/anything").status_code == 404
    assert api.post("/v1/posts", json=create_body()).status_code == 201
    demo_server.faults.set("no_read_api", status=405)
    assert api.get("/v1/posts").status_code == 405


# --- answers that arrive badly, or not at all ---


def test_reset_cuts_the_body_and_resets_the_connection(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    demo_server.faults.set("reset", count=1)
    with raw_request(demo_server, "/v1/posts") as sock:
        head, body = read_head(sock)
        expected = _content_length(head)
        received = [body]
        with pytest.raises(ConnectionResetError):
            _drain(sock, received)
    assert _status_line(head) == b"HTTP/1.1 200 OK"
    assert 0 < len(b"".join(received)) < expected
    demo_server.faults.set("reset", count=1)
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        api.get("/v1/posts")
    assert api.get("/v1/posts").status_code == 200  # the fault used itself up


def test_trickle_sends_the_body_a_byte_at_a_time_until_lifted(demo_server: DemoServer) -> None:
    demo_server.faults.set("trickle", delay=0.005)
    with raw_request(demo_server, "/v1/posts?limit=5") as sock:
        head, body = read_head(sock)
        expected = _content_length(head)
        chunks = [body] if body else []
        while sum(map(len, chunks)) < 20:
            chunks.append(sock.recv(65536))
        demo_server.faults.clear("trickle")
        while sum(map(len, chunks)) < expected:
            chunk = sock.recv(65536)
            assert chunk
            chunks.append(chunk)
    assert len(chunks) >= 5  # 20 bytes took many separate reads
    assert max(map(len, chunks[:5])) <= 4
    assert len(json.loads(b"".join(chunks))["items"]) == 5


def test_hang_answers_nothing_until_lifted(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("hang")
    with raw_request(demo_server, "/v1/posts?limit=1") as sock:
        readable, _, _ = select.select([sock], [], [], 0.3)
        assert not readable  # accepted, and silent
        demo_server.faults.clear("hang")
        head, _ = read_head(sock)
    assert _status_line(head) == b"HTTP/1.1 200 OK"


def test_hang_makes_a_client_time_out(api: httpx.Client, demo_server: DemoServer) -> None:
    demo_server.faults.set("hang", count=1)
    with pytest.raises(httpx.ReadTimeout):
        api.get("/v1/posts", timeout=0.3)
    assert api.get("/v1/posts").status_code == 200


def test_a_hung_create_has_created_the_post(api: httpx.Client, demo_server: DemoServer) -> None:
    # The worst case for "never publish twice": the post exists, the answer never came.
    demo_server.faults.set("hang", scope="create", count=1)
    key = {"Idempotency-Key": "retry:p1:x:x_primary:1"}
    with pytest.raises(httpx.ReadTimeout):
        api.post("/v1/posts", json=create_body(), headers=key, timeout=0.3)
    assert demo_server.created_count == 1
    again = api.post("/v1/posts", json=create_body(), headers=key)
    assert again.status_code == 201
    assert demo_server.created_count == 1


def test_stop_refuses_connections_and_start_restores_the_same_server(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    url = demo_server.base_url
    assert api.post("/v1/posts", json=create_body()).status_code == 201  # keeps a connection
    demo_server.stop()
    with pytest.raises(httpx.ConnectError):
        api.get("/v1/posts")
    demo_server.start()
    assert demo_server.base_url == url
    assert api.get("/v1/posts").status_code == 200
    assert demo_server.created_count == 1


def test_stop_releases_a_hung_request(demo_server: DemoServer) -> None:
    demo_server.faults.set("hang")
    errors: list[BaseException] = []

    def call() -> None:
        try:
            httpx.get(f"{demo_server.base_url}/v1/posts", timeout=30)
        except httpx.HTTPError as exc:
            errors.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    _wait_for(lambda: demo_server.stats()["requests"]["list"] > 0)
    demo_server.stop()
    caller.join(timeout=10)
    assert not caller.is_alive()
    assert errors  # the connection was dropped rather than left hanging for 30 s
    assert isinstance(errors[0], (httpx.RemoteProtocolError, httpx.ReadError))


def test_admin_routes_are_never_faulted(demo_server: DemoServer) -> None:
    demo_server.faults.apply_spec("hang,revoked_key,html_502")
    answer = httpx.post(f"{demo_server.base_url}/_demo/faults", json={"clear": True}, timeout=5)
    assert answer.status_code == 200
    assert not demo_server.faults


def test_faults_can_be_given_at_construction(make_server: Callable[..., DemoServer]) -> None:
    server = make_server(faults="wrong_shape@list")
    with client_for(server) as client:
        assert client.get("/v1/posts").json() == {"data": 1}


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_a_hung_request_ends_when_its_client_goes_away(demo_server: DemoServer) -> None:
    demo_server.faults.set("hang")  # never cleared: only the client leaving can end it
    sock = raw_request(demo_server, "/v1/posts")
    _wait_for(lambda: demo_server.stats()["requests"]["list"] > 0)
    assert _request_threads()
    sock.close()
    _wait_for(lambda: not _request_threads())


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10  # safety net only
    while not condition():
        assert time.monotonic() < deadline, "condition never became true"
        time.sleep(0.01)


def test_clearing_releases_a_hang_whose_count_ran_out(demo_server: DemoServer) -> None:
    demo_server.faults.set("hang", count=1)
    with raw_request(demo_server, "/v1/posts?limit=1") as sock:
        _wait_for(lambda: demo_server.stats()["requests"]["list"] > 0)
        assert not demo_server.faults  # used up, yet still holding this request
        demo_server.faults.clear("hang")
        head, _ = read_head(sock)
    assert _status_line(head) == b"HTTP/1.1 200 OK"
