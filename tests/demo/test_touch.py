"""POST /_demo/touch: change a share of the failed posts in place (for the benchmarks)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from soku_tui.demo.server import DemoServer
from tests.demo.helpers import client_for, walk


def _first_failed(item: dict[str, Any]) -> dict[str, Any]:
    return next(run for run in item["runs"] if run["status"] == "failed")


def test_touch_changes_every_hundredth_failed_post_in_place(
    make_server: Callable[..., DemoServer],
) -> None:
    server = make_server(posts=300)
    with client_for(server) as client:
        before, _ = walk(client, status="failed", limit=250)
        etag = client.get("/v1/posts", params={"status": "failed"}).headers["etag"]

        answer = httpx.post(f"{server.base_url}/_demo/touch", json={"percent": 1, "offset": 7})
        assert answer.status_code == 200
        assert answer.json()["touched"] == 3

        after, _ = walk(client, status="failed", limit=250)
        again = client.get(
            "/v1/posts", params={"status": "failed"}, headers={"if-none-match": etag}
        )

    # Same posts in the same order: a touched post does not jump to the top.
    assert [item["postSubmissionId"] for item in after] == [
        item["postSubmissionId"] for item in before
    ]
    changed = [i for i, (old, new) in enumerate(zip(before, after, strict=True)) if old != new]
    assert changed == [7, 107, 207]
    for index in changed:
        old, new = _first_failed(before[index]), _first_failed(after[index])
        assert new["attempt"] == old["attempt"] + 1
        assert new["error"]["status"] != old["error"]["status"]
    # Something changed, so a poll holding the old ETag gets the data, not a 304.
    assert again.status_code == 200


def test_touch_refuses_a_bad_share(demo_server: DemoServer) -> None:
    for payload in ({"percent": 0}, {"percent": "1"}, {"percent": 1, "offset": -1}):
        answer = httpx.post(f"{demo_server.base_url}/_demo/touch", json=payload)
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "validation_error"
