"""DemoServer.add_submissions: tests and benchmarks serve exactly the content they need."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from soku_tui.demo.server import DemoServer
from tests.demo.helpers import walk

HOSTILE_CAPTION = "\x1b[2J[bold]cleared?[/bold] \u202eevil"


def _submission(post_id: str, caption: str, message: str = "boom") -> dict[str, Any]:
    return {
        "postSubmissionId": post_id,
        "status": "failed",
        "createdAt": "2099-01-01T00:00:00.000Z",
        "updatedAt": "2099-01-01T00:00:01.000Z",
        "request": {"post": {"content": {"text": caption, "platform": ["x"]}}},
        "runs": [
            {
                "targetId": "x:acct",
                "platform": "x",
                "accountId": "acct",
                "status": "failed",
                "error": {"status": 500, "code": "internal_error", "message": message},
            }
        ],
    }


def test_added_submissions_are_served_as_given_by_the_list_and_by_id(
    demo_server: DemoServer, api: httpx.Client
) -> None:
    before = demo_server.store.failed_count()
    ids = demo_server.add_submissions([_submission("hostile-1", HOSTILE_CAPTION, "\x9b31m")])

    assert ids == ["hostile-1"]
    items, _ = walk(api, status="failed", limit=250)
    assert len(items) == before + 1
    served = next(item for item in items if item["postSubmissionId"] == "hostile-1")
    assert served["request"]["post"]["content"]["text"] == HOSTILE_CAPTION
    one = api.get("/v1/posts/hostile-1").json()
    assert one["runs"][0]["error"]["message"] == "\x9b31m"


def test_adding_replaces_the_same_id_and_changes_the_etag(
    demo_server: DemoServer, api: httpx.Client
) -> None:
    demo_server.add_submissions([_submission("post-a", "first")])
    etag = api.get("/v1/posts", params={"status": "failed"}).headers["ETag"]

    demo_server.add_submissions([_submission("post-a", "second")])

    again = api.get("/v1/posts", params={"status": "failed"}, headers={"If-None-Match": etag})
    assert again.status_code == 200  # not 304: the set changed
    assert api.get("/v1/posts/post-a").json()["request"]["post"]["content"]["text"] == "second"


def test_a_submission_without_an_id_is_refused(demo_server: DemoServer) -> None:
    with pytest.raises(ValueError, match="postSubmissionId"):
        demo_server.add_submissions([{"status": "failed"}])
