"""The read API answering in shapes other than the contract's: what the doctor reports."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx

from soku_tui.core.client import SokuClient
from soku_tui.demo.scenario import build_scenario, has_failed_run
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from tests.doctor.conftest import diagnose, marks, not_ok

MakeServer = Callable[..., DemoServer]


async def test_a_bare_array_is_read_but_paging_cannot_be_confirmed(
    make_server: MakeServer,
) -> None:
    server = make_server(faults="bare_array")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert listing.status == "ok"
    assert "a bare JSON array" in listing.summary
    assert listing.details["shape"] == "array"
    paging = report.check("paging")
    assert paging.status == "unknown"
    assert "no cursor" in paging.summary
    assert "first 250 failed posts" in paging.summary
    # Everything else still holds, so the monitor can work: exit 0.
    assert set(not_ok(report)) == {"paging"}
    assert report.exit_code == 0


async def test_missing_fields_are_named_with_what_the_monitor_loses(
    make_server: MakeServer,
) -> None:
    server = make_server(faults="missing_fields")
    report = await diagnose(server.base_url)
    fields = report.check("fields")
    assert fields.status == "fail"
    assert fields.details["missing_needed"] == ["createdAt", "updatedAt", "request"]
    assert fields.details["missing_optional"] == ["scheduledTime"]
    assert "missing: createdAt, updatedAt, request" in fields.summary
    assert fields.fix is not None
    assert "retry cannot re-send the post" in fields.fix
    assert fields.exit_code == 5
    # GET /v1/posts/{id} carries the same gaps and says so.
    get = report.check("get")
    assert get.status == "fail"
    assert "same fields" in get.summary
    assert report.exit_code == 5


async def test_unknown_fields_are_listed_and_do_no_harm(make_server: MakeServer) -> None:
    server = make_server(faults="unknown_values")
    report = await diagnose(server.base_url)
    fields = report.check("fields")
    assert fields.status == "ok"
    assert fields.details["unknown"] == ["labels"]
    assert "unknown (ignored): labels" in fields.summary
    assert report.exit_code == 0


async def test_404_on_the_list_says_the_read_api_is_not_offered(make_server: MakeServer) -> None:
    server = make_server(faults="no_read_api")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert listing.status == "fail"
    assert "answered 404" in listing.summary
    assert "does not offer the read API" in listing.summary
    assert listing.fix is not None
    assert "cannot list failures" in listing.fix
    assert "`soku-tui retry` cannot work" in listing.fix
    assert "stored request" in listing.fix
    assert listing.exit_code == 5
    # The key was not refused, but nothing confirmed it either.
    assert report.check("auth").status == "unknown"
    for check_id in ("fields", "paging", "etag", "get"):
        assert report.check(check_id).summary == "not checked: the read API is not there"
    assert report.exit_code == 5


async def test_405_on_the_list_route_reads_the_same(make_server: MakeServer) -> None:
    server = make_server(faults="no_read_api@list:status=405")
    report = await diagnose(server.base_url)
    assert "answered 405" in report.check("list").summary
    assert report.exit_code == 5


async def test_404_on_reading_one_post_spares_the_list(make_server: MakeServer) -> None:
    server = make_server(faults="no_read_api@get")
    report = await diagnose(server.base_url)
    assert report.check("list").status == "ok"
    get = report.check("get")
    assert get.status == "fail"
    assert "answered 404 for an id the list just gave" in get.summary
    assert get.fix is not None
    assert "`soku-tui retry POST_ID`" in get.fix
    assert "list still does" in get.fix
    assert set(not_ok(report)) == {"get"}
    assert report.exit_code == 5


async def test_wrong_shape_names_what_arrived(make_server: MakeServer) -> None:
    server = make_server(faults="wrong_shape@list")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert listing.status == "fail"
    assert "an object with keys data" in listing.summary
    assert "not {items, nextCursor} or a list of posts" in listing.summary
    assert report.exit_code == 5


async def test_a_body_that_is_not_json(make_server: MakeServer) -> None:
    server = make_server(faults="malformed_json@list")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert listing.status == "fail"
    assert "the body is not JSON" in listing.summary
    assert report.exit_code == 5


async def test_a_gateway_error_counts_as_unreachable(make_server: MakeServer) -> None:
    server = make_server(faults="html_502@list")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert listing.status == "fail"
    assert "HTTP 502" in listing.summary
    assert "text/html" in listing.summary
    assert "<html" not in listing.summary  # the proxy's page is never copied
    assert report.exit_code == 3


async def test_rate_limited_now_says_when_to_try_again(make_server: MakeServer) -> None:
    server = make_server(faults="rate_limit_retry_after@list:seconds=7")
    report = await diagnose(server.base_url)
    listing = report.check("list")
    assert "rate-limiting" in listing.summary
    assert listing.fix is not None and "try again in 7 s" in listing.fix
    assert report.exit_code == 3


async def test_no_failed_posts_samples_the_newest_post(make_server: MakeServer) -> None:
    server = make_server(posts=0)
    fine = [
        post for post in build_scenario(seed=7, now=datetime.now(UTC)) if not has_failed_run(post)
    ]
    server.store.add(fine[:3])
    report = await diagnose(server.base_url)
    assert report.check("list").details["items"] == 0
    fields = report.check("fields")
    assert fields.status == "ok"
    assert "no failed posts now: checked the newest post instead" in fields.summary
    assert report.check("get").status == "ok"
    assert report.check("paging").summary == "no failed posts to page through"
    assert report.exit_code == 0


async def test_an_empty_account_cannot_show_its_shapes(make_server: MakeServer) -> None:
    server = make_server(posts=0)
    report = await diagnose(server.base_url)
    assert marks(report)["fields"] == "unknown"
    assert "no post to inspect" in report.check("fields").summary
    assert report.check("get").status == "unknown"
    assert report.exit_code == 0  # nothing found wrong; the verdict says what was not checked
    assert "as far as it could be checked" in report.verdict


async def test_bare_array_fault_answers_the_page_as_a_list(make_server: MakeServer) -> None:
    server = make_server(faults="bare_array")
    headers = {"soku-api-key": DEMO_API_KEY}
    async with httpx.AsyncClient(base_url=server.base_url, headers=headers) as http:
        answer = await http.get("/v1/posts", params={"status": "failed", "limit": 3})
    assert answer.status_code == 200
    items = answer.json()
    assert isinstance(items, list)
    assert len(items) == 3
    assert all("postSubmissionId" in item for item in items)
    # And soku-tui's own client reads it as one last page.
    async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY) as client:
        listing = await client.list_failed(page_size=5)
    assert len(listing.submissions) == 5
    assert listing.pages == 1
