"""POST /v1/posts: validation, idempotency (also under races), the 30/min limit, and runs
that settle after a moment, mostly succeeding."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from soku_tui.demo.server import DemoServer
from tests.demo.helpers import client_for, create_body


def _wait_settled(client: httpx.Client, submission_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 10  # safety net only; settling takes 0.2 s here
    while True:
        submission: dict[str, Any] = client.get(f"/v1/posts/{submission_id}").json()
        if submission["status"] not in ("processing", "queued"):
            return submission
        assert time.monotonic() < deadline, "created post never settled"
        time.sleep(0.05)


def test_create_answers_201_and_the_post_starts_processing(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    body = create_body(platforms=["x", {"platform": "tiktok", "accountId": "tt_shop"}])
    response = api.post("/v1/posts", json=body, headers={"Idempotency-Key": "first"})
    assert response.status_code == 201
    submission_id = response.json()["postSubmissionId"]
    submission = api.get(f"/v1/posts/{submission_id}").json()
    assert submission["status"] == "processing"
    assert [run["targetId"] for run in submission["runs"]] == ["x:x_primary", "tiktok:tt_shop"]
    assert {run["status"] for run in submission["runs"]} == {"processing"}
    assert submission["request"] == body  # stored, so a retry can re-send it
    assert demo_server.created_count == 1
    newest = api.get("/v1/posts", params={"limit": 1}).json()["items"][0]
    assert newest["postSubmissionId"] == submission_id


def test_created_runs_settle_as_successes(make_server: Callable[..., DemoServer]) -> None:
    server = make_server(retry_success_rate=1.0)
    with client_for(server) as client:
        submission_id = client.post("/v1/posts", json=create_body()).json()["postSubmissionId"]
        settled = _wait_settled(client, submission_id)
    assert settled["status"] == "succeeded"
    assert all(run["platformPostUrl"].startswith("https://") for run in settled["runs"])


def test_created_runs_that_fail_fail_with_a_retryable_500(
    make_server: Callable[..., DemoServer],
) -> None:
    server = make_server(retry_success_rate=0.0)
    with client_for(server) as client:
        submission_id = client.post("/v1/posts", json=create_body()).json()["postSubmissionId"]
        settled = _wait_settled(client, submission_id)
        listed = client.get("/v1/posts", params={"status": "failed", "limit": 1}).json()
    assert settled["status"] == "failed"
    for run in settled["runs"]:
        assert run["error"]["status"] == 500
        assert run["error"]["code"] == "internal_error"
        assert run["error"]["requestId"].startswith("req_")
    assert listed["items"][0]["postSubmissionId"] == submission_id


def test_by_default_most_created_runs_succeed(make_server: Callable[..., DemoServer]) -> None:
    server = make_server()
    with client_for(server) as client:
        ids = [
            client.post("/v1/posts", json=create_body()).json()["postSubmissionId"]
            for _ in range(10)
        ]
        runs = [run for i in ids for run in _wait_settled(client, i)["runs"]]
    succeeded = sum(run["status"] == "succeeded" for run in runs)
    assert succeeded >= len(runs) * 0.6  # seeded at 85%: a retry visibly works


def test_the_same_idempotency_key_returns_the_same_answer_and_creates_nothing(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    key = {"Idempotency-Key": "retry:abc:x:x_primary:1"}
    first = api.post("/v1/posts", json=create_body(), headers=key)
    again = api.post("/v1/posts", json=create_body(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert demo_server.created_count == 1
    other = api.post("/v1/posts", json=create_body(), headers={"Idempotency-Key": "other"})
    assert other.json() != first.json()
    assert demo_server.created_count == 2


def test_racing_requests_with_one_key_create_one_submission(demo_server: DemoServer) -> None:
    racers = 16
    barrier = threading.Barrier(racers)
    answers: list[str] = []
    lock = threading.Lock()

    def race() -> None:
        with client_for(demo_server) as client:
            barrier.wait(timeout=10)
            response = client.post(
                "/v1/posts", json=create_body(), headers={"Idempotency-Key": "double-press"}
            )
        with lock:
            answers.append(response.json()["postSubmissionId"])

    threads = [threading.Thread(target=race) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert len(answers) == racers
    assert len(set(answers)) == 1
    assert demo_server.created_count == 1


def test_thirty_creates_per_minute_then_429_with_retry_after(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    answers = [
        api.post("/v1/posts", json=create_body(), headers={"Idempotency-Key": f"k{n}"})
        for n in range(30)
    ]
    assert {a.status_code for a in answers} == {201}
    assert answers[-1].headers["x-ratelimit-remaining"] == "0"
    refused = api.post("/v1/posts", json=create_body(), headers={"Idempotency-Key": "k30"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert demo_server.created_count == 30
    # A replay creates nothing, so it is still answered.
    replay = api.post("/v1/posts", json=create_body(), headers={"Idempotency-Key": "k0"})
    assert replay.status_code == 201
    assert replay.json() == answers[0].json()


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (create_body(text=""), "post.content.text", "required"),
        ({"post": {"content": {"platform": ["x"]}}}, "post.content.text", "required"),
        (create_body(platforms=[]), "post.content.platform", "required"),
        (create_body(platforms=["myspace"]), "post.content.platform[0]", "unsupported"),
        (create_body(platforms=["x", {"accountId": "a"}]), "post.content.platform[1]", "invalid"),
        ({"text": "no post object"}, "post", "required"),
        (create_body(scheduledTime="next tuesday"), "scheduledTime", "invalid"),
    ],
)
def test_invalid_bodies_are_validation_errors_with_details(
    api: httpx.Client, demo_server: DemoServer, body: dict[str, Any], field: str, reason: str
) -> None:
    response = api.post("/v1/posts", json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == "validation_error"
    assert error["details"]["field"] == field
    assert error["details"]["reason"] == reason
    assert demo_server.created_count == 0


def test_a_body_that_is_not_json_is_a_bad_request(
    api: httpx.Client, demo_server: DemoServer
) -> None:
    response = api.post(
        "/v1/posts", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"
    assert demo_server.created_count == 0


def test_a_future_scheduled_time_makes_a_scheduled_post(api: httpx.Client) -> None:
    body = create_body(scheduledTime="2099-01-01T09:00:00.000Z")
    submission_id = api.post("/v1/posts", json=body).json()["postSubmissionId"]
    submission = api.get(f"/v1/posts/{submission_id}").json()
    assert submission["status"] == "scheduled"
    assert submission["scheduledTime"] == "2099-01-01T09:00:00.000Z"
    assert {run["status"] for run in submission["runs"]} == {"queued"}
