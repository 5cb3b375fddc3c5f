"""The models read whatever Soku sends without crashing, and lose only what is unreadable."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soku_tui.core.models import PageShapeError, parse_page, parse_submission

GOOD_RUN: dict[str, Any] = {
    "targetId": "tiktok:tt_main",
    "platform": "tiktok",
    "accountId": "tt_main",
    "status": "failed",
    "error": {
        "status": 401,
        "code": "unauthorized",
        "message": "TikTok access token expired",
        "requestId": "req_1",
        "timestamp": "2026-02-28T12:00:00.000Z",
    },
    "attempt": 1,
    "updatedAt": "2026-02-28T12:00:00Z",
}
GOOD_SUBMISSION: dict[str, Any] = {
    "postSubmissionId": "7d0c6b8e-0000-4000-8000-000000000001",
    "status": "partially_failed",
    "createdAt": "2026-02-28T11:59:00.000Z",
    "updatedAt": "2026-02-28T12:00:00.000Z",
    "scheduledTime": None,
    "request": {"post": {"content": {"text": "Hello", "platform": ["tiktok"]}}},
    "runs": [GOOD_RUN],
}


def page(*items: Any, cursor: str | None = None) -> bytes:
    return orjson.dumps({"items": list(items), "nextCursor": cursor})


def test_reads_a_normal_page() -> None:
    result = parse_page(page(GOOD_SUBMISSION, cursor="abc"))
    assert result.skipped == 0
    assert result.next_cursor == "abc"
    (submission,) = result.items
    assert submission.caption() == "Hello"
    (run,) = submission.failed_runs
    assert run.http_status == 401
    assert run.error is not None and run.error.request_id == "req_1"
    assert submission.worst_status == 401


def test_accepts_a_bare_list() -> None:
    result = parse_page(orjson.dumps([GOOD_SUBMISSION, GOOD_SUBMISSION]))
    assert len(result.items) == 2
    assert result.next_cursor is None


def test_unknown_values_are_kept_not_rejected() -> None:
    odd = {
        **GOOD_SUBMISSION,
        "status": "quarantined",
        "brandNewField": {"nested": [1, 2]},
        "runs": [{**GOOD_RUN, "platform": "bluesky", "status": "exploded", "extra": 1}],
    }
    (submission,) = parse_page(page(odd)).items
    assert submission.status == "quarantined"
    assert submission.runs[0].platform == "bluesky"
    assert submission.runs[0].status == "exploded"


def test_one_broken_item_is_skipped_and_counted() -> None:
    broken_runs = {**GOOD_SUBMISSION, "runs": "not a list"}
    result = parse_page(page(GOOD_SUBMISSION, {"no": "id"}, 42, None, broken_runs))
    assert len(result.items) == 1
    assert result.skipped == 4


def test_unreadable_times_become_none_instead_of_dropping_the_post() -> None:
    item = {**GOOD_SUBMISSION, "createdAt": "yesterday-ish", "updatedAt": 12}
    (submission,) = parse_page(page(item)).items
    assert submission.created_at is None
    assert submission.updated_at is not None  # epoch seconds are accepted


def test_missing_target_id_is_rebuilt_from_platform_and_account() -> None:
    run = {k: v for k, v in GOOD_RUN.items() if k != "targetId"}
    (submission,) = parse_page(page({**GOOD_SUBMISSION, "runs": [run]})).items
    assert submission.runs[0].target_id == "tiktok:tt_main"


def test_wrong_shape_and_bad_json_are_distinct_errors() -> None:
    with pytest.raises(PageShapeError):
        parse_page(b'{"data": 1}')
    with pytest.raises(ValueError, match=r"."):
        parse_page(b'{"items": [')


def test_get_one_parses() -> None:
    submission = parse_submission(orjson.dumps(GOOD_SUBMISSION))
    assert submission.post_submission_id.endswith("0001")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)


def mutate(base: dict[str, Any], data: st.DataObject) -> dict[str, Any]:
    out = dict(base)
    for key in data.draw(st.lists(st.sampled_from(sorted(base)), max_size=3)):
        out.pop(key, None)  # missing fields
    extras = data.draw(st.dictionaries(st.text(max_size=10), json_values, max_size=3))
    for key, value in extras.items():
        if key not in base:
            out[key] = value  # random extra fields
    return out


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_fuzzed_pages_never_raise_and_account_for_every_item(data: st.DataObject) -> None:
    items: list[Any] = []
    for _ in range(data.draw(st.integers(0, 5))):
        run = mutate(GOOD_RUN, data)
        run["status"] = data.draw(st.sampled_from(["failed", "weird", "succeeded", ""]))
        run["platform"] = data.draw(st.text(max_size=12) | st.sampled_from(["x", "youtube"]))
        submission = mutate({**GOOD_SUBMISSION, "runs": [run]}, data)
        submission["status"] = data.draw(st.text(max_size=12))
        items.append(data.draw(st.sampled_from([submission, submission, 7, "junk", None])))
    body = json.dumps({"items": items, "nextCursor": None}).encode()
    result = parse_page(body)
    assert len(result.items) + result.skipped == len(items)


def test_the_request_is_kept_as_json_and_decoded_on_demand() -> None:
    (submission,) = parse_page(page(GOOD_SUBMISSION)).items
    assert submission.request_json is not None
    assert orjson.loads(submission.request_json) == GOOD_SUBMISSION["request"]
    first = submission.request
    assert first == GOOD_SUBMISSION["request"]
    assert first is not submission.request  # a fresh dict: a caller may change its copy
    # Not the ~4 KB buffer orjson wrote into: 50,000 posts keep one of these each.
    assert len(submission.request_json) < 200


def test_a_request_that_is_not_an_object_is_dropped_not_the_post() -> None:
    (submission,) = parse_page(page({**GOOD_SUBMISSION, "request": [1, 2]})).items
    assert submission.request is None
    assert submission.caption() == ""


def test_a_request_with_a_lone_surrogate_still_round_trips() -> None:
    body = json.dumps(
        {"items": [{**GOOD_SUBMISSION, "request": {"post": {"content": {"text": "a\ud800b"}}}}]}
    )
    (submission,) = parse_page(body.encode()).items
    assert submission.caption() == "a\ud800b"


def test_models_validate_like_pydantic_models() -> None:
    from soku_tui.core.models import Submission

    submission = Submission.model_validate(GOOD_SUBMISSION)
    assert submission == Submission.model_validate_json(orjson.dumps(GOOD_SUBMISSION))
    assert submission.runs[0].error is not None
    assert not hasattr(submission, "__dict__")  # slotted: no per-instance dict
