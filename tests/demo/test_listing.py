"""GET /v1/posts and GET /v1/posts/{id}: filters, keyset pages, updatedSince, ETag/304."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from soku_tui.demo.scenario import iso_ms, parse_iso_ms
from soku_tui.demo.server import DemoServer
from tests.demo.helpers import client_for, walk


def _ids(items: list[dict[str, object]]) -> list[str]:
    return [str(item["postSubmissionId"]) for item in items]


def _has_failed_run(item: dict[str, object]) -> bool:
    runs = item["runs"]
    assert isinstance(runs, list)
    return any(run["status"] == "failed" for run in runs)


def test_pages_cover_every_failed_submission_once_newest_first(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    items, pages = walk(api, status="failed", limit=7)
    ids = _ids(items)
    assert pages > 3
    assert len(ids) == len(set(ids)) == demo_server.store.failed_count()
    assert all(_has_failed_run(item) for item in items)
    stamps = [str(item["updatedAt"]) for item in items]
    assert stamps == sorted(stamps, reverse=True)


def test_a_tick_between_pages_neither_skips_nor_duplicates(
    make_server: Callable[..., DemoServer],
) -> None:
    server = make_server(posts=300)
    with client_for(server) as client:
        before, _ = walk(client, status="failed", limit=250)
        oldest = sorted(before, key=lambda i: (i["updatedAt"], i["postSubmissionId"]))[:3]
        first = client.get("/v1/posts", params={"status": "failed", "limit": 50}).json()
        for _ in range(3):
            server.tick()  # three new failures arrive, the three oldest resolve
        rest, _ = walk(client, status="failed", limit=50, cursor=first["nextCursor"])
        walked = _ids(first["items"]) + _ids(rest)
        after, _ = walk(client, status="failed", limit=250)
    assert len(walked) == len(set(walked))
    assert set(walked) == set(_ids(before)) - set(_ids(oldest))
    new = set(_ids(after)) - set(_ids(before))
    assert len(new) == 3
    assert set(_ids(after)[:3]) == new  # the newcomers are the newest


def test_status_filter(api: httpx.Client) -> None:
    everything, _ = walk(api, limit=250)
    failed, _ = walk(api, status="failed")
    assert set(_ids(failed)) == {i["postSubmissionId"] for i in everything if _has_failed_run(i)}
    assert {i["status"] for i in failed} == {"failed", "partially_failed"}
    waiting, _ = walk(api, status=["scheduled", "queued"])
    assert waiting
    assert {i["status"] for i in waiting} <= {"scheduled", "queued"}
    assert len(everything) > len(failed) + len(waiting)


def test_updated_since_returns_changes_at_or_after_that_time(api: httpx.Client) -> None:
    everything, _ = walk(api, limit=250)
    since = sorted(str(i["updatedAt"]) for i in everything)[len(everything) // 2]
    recent, _ = walk(api, updatedSince=since)
    expected = {i["postSubmissionId"] for i in everything if i["updatedAt"] >= since}
    assert set(_ids(recent)) == expected
    assert since in {i["updatedAt"] for i in recent}  # "at or after" includes the boundary


def test_etag_names_the_whole_result_and_answers_304(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    query: dict[str, str | int] = {"status": "failed", "limit": 10}
    first = api.get("/v1/posts", params=query)
    etag = first.headers["etag"]
    second = api.get("/v1/posts", params={**query, "cursor": first.json()["nextCursor"]})
    assert second.headers["etag"] == etag  # one ETag for every page of the same result

    unchanged = api.get("/v1/posts", params=query, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert "x-ratelimit-remaining" in unchanged.headers

    other_filter = api.get("/v1/posts", params={"status": "succeeded", "limit": 10})
    assert other_filter.headers["etag"] != etag

    demo_server.tick()
    changed = api.get("/v1/posts", params=query, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_a_moving_updated_since_keeps_the_etag_while_the_result_is_the_same(
    api: httpx.Client,
) -> None:
    everything, _ = walk(api, limit=250)
    stamps = sorted({parse_iso_ms(str(i["updatedAt"])) for i in everything})
    # Two windows that start between the same two submissions select the same set.
    early, late = iso_ms(stamps[-3] + 1), iso_ms(stamps[-3] + 2)
    assert stamps[-3] + 2 < stamps[-2]
    one = api.get("/v1/posts", params={"updatedSince": early})
    two = api.get(
        "/v1/posts", params={"updatedSince": late}, headers={"If-None-Match": one.headers["etag"]}
    )
    assert two.status_code == 304


@pytest.mark.parametrize("limit", ["0", "251", "ten", "-1", ""])
def test_limit_out_of_range_is_a_validation_error(api: httpx.Client, limit: str) -> None:
    response = api.get("/v1/posts", params={"limit": limit})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == "limit"


def test_limit_bounds_and_default(api: httpx.Client) -> None:
    assert len(api.get("/v1/posts", params={"limit": 1}).json()["items"]) == 1
    assert len(api.get("/v1/posts", params={"limit": 250}).json()["items"]) > 40
    assert api.get("/v1/posts").json()["nextCursor"] is None  # default 100 > the demo's 54


@pytest.mark.parametrize(
    ("name", "value"), [("cursor", "not-a-cursor"), ("updatedSince", "yesterday")]
)
def test_unreadable_cursor_or_since_is_a_validation_error(
    api: httpx.Client, name: str, value: str
) -> None:
    response = api.get("/v1/posts", params={name: value})
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == name


def test_get_one_and_unknown_id(api: httpx.Client) -> None:
    listed = api.get("/v1/posts", params={"status": "failed", "limit": 1}).json()["items"][0]
    one = api.get(f"/v1/posts/{listed['postSubmissionId']}")
    assert one.status_code == 200
    assert one.json() == listed
    missing = api.get("/v1/posts/6f1c2a0e-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
