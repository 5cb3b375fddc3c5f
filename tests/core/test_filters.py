"""The ``/`` filter language: what an on-call person types, and which posts stay on screen."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soku_tui.core.filters import Filter, parse_filter
from soku_tui.core.models import Submission
from tests.core.hostile_corpus import HOSTILE_STRINGS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def run(
    platform: str,
    http: int | None = None,
    code: str | None = None,
    *,
    account: str | None = None,
    status: str = "failed",
    message: str = "",
    request_id: str | None = None,
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "targetId": f"{platform}:{account or 'main'}",
        "platform": platform,
        "accountId": account or f"{platform}_main",
        "status": status,
    }
    if http is not None:
        data["error"] = {"status": http, "code": code, "message": message, "requestId": request_id}
    return data


def post(post_id: str, *runs: dict[str, Any], caption: str = "", minutes: int = 0) -> Submission:
    return Submission.model_validate(
        {
            "postSubmissionId": post_id,
            "status": "failed",
            "updatedAt": (NOW - timedelta(minutes=minutes)).isoformat(),
            "request": {"post": {"content": {"text": caption, "platform": []}}},
            "runs": list(runs),
        }
    )


POSTS = (
    post(
        "p-tiktok-401",
        run("tiktok", 401, "unauthorized", message="Access token expired", account="tt_brand"),
        run("x", status="succeeded"),
        caption="Spring launch 🌸",
    ),
    post(
        "p-youtube-400",
        run("youtube", 400, "upload_failed", message="Video too long", request_id="req_abc123"),
        caption="Behind the scenes",
    ),
    post(
        "p-mixed",
        run("x", 500, "internal_error", message="Internal error"),
        run("tiktok", 500, "internal_error", message="Internal error"),
        run("instagram", 403, "forbidden", message="Subscription inactive"),
        caption="Flash sale",
    ),
    post("p-x-only", run("x", 401, "unauthorized", message="Token revoked"), caption="Hello"),
    post("p-unknown", run("mastodon", 502, "bad_gateway"), caption="Federated"),
)


def shown(text: str, **kwargs: Any) -> list[str]:
    return [p.post_submission_id for p in parse_filter(text, **kwargs).apply(POSTS)]


def test_empty_filter_shows_everything_and_says_nothing() -> None:
    for text in ("", "   ", "!", '""'):
        flt = parse_filter(text)
        assert not flt.active
        assert flt.describe() == ""
        assert shown(text) == [p.post_submission_id for p in POSTS]


def test_free_text_searches_caption_id_message_account_platform_code_request_id() -> None:
    assert shown("spring") == ["p-tiktok-401"]  # caption, case-insensitive
    assert shown("P-YOUTUBE") == ["p-youtube-400"]  # post id
    assert shown("long too") == ["p-youtube-400"]  # two terms, each anywhere…
    assert shown('"long too"') == []  # …a quoted phrase must appear as written
    assert shown('"too long"') == ["p-youtube-400"]
    assert shown("expired") == ["p-tiktok-401"]  # message
    assert shown("tt_brand") == ["p-tiktok-401"]  # account
    assert shown("instagram") == ["p-mixed"]  # platform code
    assert shown("YouTube") == ["p-youtube-400"]  # platform display name
    assert shown("upload_failed") == ["p-youtube-400"]  # error code
    assert shown("req_abc") == ["p-youtube-400"]  # request id
    assert shown("🌸") == ["p-tiktok-401"]


def test_free_text_ignores_runs_that_did_not_fail() -> None:
    # p-tiktok-401 also has a succeeded X run; searching for X must not drag it in.
    assert "p-tiktok-401" not in shown("x_main")


def test_platform_by_code_display_name_and_short_code() -> None:
    for spelling in ("youtube", "YouTube", "YOUTUBE", "yt"):
        assert shown(f"platform:{spelling}") == ["p-youtube-400"], spelling
    assert shown("platform:twitter") == ["p-mixed", "p-x-only"]
    assert shown("Platform:ig") == ["p-mixed"]  # prefixes are case-insensitive too


def test_platform_only_counts_failed_runs() -> None:
    # The X run of p-tiktok-401 succeeded: that post did not fail on X.
    assert shown("platform:x") == ["p-mixed", "p-x-only"]


def test_unknown_platform_is_matched_as_sent_with_a_warning() -> None:
    flt = parse_filter("platform:mastodon")
    assert [p.post_submission_id for p in flt.apply(POSTS)] == ["p-unknown"]
    assert any("mastodon" in w and "not a platform" in w for w in flt.warnings)


def test_status_exact_class_and_mask() -> None:
    assert shown("status:400") == ["p-youtube-400"]
    assert shown("status:4xx") == ["p-tiktok-401", "p-youtube-400", "p-mixed", "p-x-only"]
    assert shown("status:5XX") == ["p-mixed", "p-unknown"]
    assert shown("status:40x") == ["p-tiktok-401", "p-youtube-400", "p-mixed", "p-x-only"]
    assert shown("status:50x") == ["p-mixed", "p-unknown"]
    assert shown("status:401,403") == ["p-tiktok-401", "p-mixed", "p-x-only"]


def test_bad_status_is_reported_and_ignored() -> None:
    flt = parse_filter("status:abc")
    assert not flt.active
    assert any("not an HTTP status" in w for w in flt.warnings)
    assert len(flt.apply(POSTS)) == len(POSTS)


def test_code_and_account() -> None:
    assert shown("code:upload_failed") == ["p-youtube-400"]
    assert shown("code:UPLOAD") == ["p-youtube-400"]  # a prefix is enough, any case
    assert shown("account:brand") == ["p-tiktok-401"]
    assert shown("account:nobody") == []


def test_structured_terms_must_hold_for_the_same_run() -> None:
    # p-mixed failed on TikTok (500) and Instagram (403), but has no TikTok 403.
    assert shown("platform:tiktok status:403") == []
    assert shown("platform:tiktok status:500") == ["p-mixed"]
    assert shown("platform:instagram status:403") == ["p-mixed"]


def test_negation_of_every_kind() -> None:
    # Posts that failed only on X disappear; posts failing elsewhere too stay.
    assert shown("!platform:x") == ["p-tiktok-401", "p-youtube-400", "p-mixed", "p-unknown"]
    assert shown("!status:4xx") == ["p-mixed", "p-unknown"]
    assert shown("!code:unauthorized") == ["p-youtube-400", "p-mixed", "p-unknown"]
    assert shown("!flash") == ["p-tiktok-401", "p-youtube-400", "p-x-only", "p-unknown"]
    assert shown('!"internal error"') == [
        "p-tiktok-401",
        "p-youtube-400",
        "p-x-only",
        "p-unknown",
    ]


def test_terms_are_anded() -> None:
    assert shown("status:5xx flash") == ["p-mixed"]
    assert shown("status:5xx !platform:x") == ["p-mixed", "p-unknown"]  # TikTok 500 remains
    assert shown("status:4xx !platform:tiktok !platform:instagram") == [
        "p-youtube-400",
        "p-x-only",
    ]


def test_unknown_prefix_is_free_text_with_a_warning() -> None:
    flt = parse_filter("colour:red")
    assert [t.kind for t in flt.terms] == ["text"]
    assert flt.warnings and "colour:" in flt.warnings[0]
    assert flt.apply(POSTS) == []  # nobody wrote "colour:red"
    # A URL is text too.
    urls = parse_filter("https://example.com/x")
    assert [t.kind for t in urls.terms] == ["text"]


def test_quoted_prefix_is_literal_text_and_quoted_value_is_a_value() -> None:
    literal = parse_filter('"platform:x"')
    assert [t.kind for t in literal.terms] == ["text"]
    assert not literal.warnings
    value = parse_filter('code:"upload_failed"')
    assert [(t.kind, t.values) for t in value.terms] == [("code", ("upload_failed",))]


def test_unclosed_quote_runs_to_the_end_with_a_warning() -> None:
    flt = parse_filter('"video too')
    assert [t.values for t in flt.terms] == [("video too",)]
    assert any("quote" in w for w in flt.warnings)


def test_empty_prefixed_value_is_ignored_while_typing() -> None:
    flt = parse_filter("platform:")
    assert not flt.active
    assert len(flt.apply(POSTS)) == len(POSTS)


def test_retryable_toggle_uses_the_callers_verdict() -> None:
    # Default: a failed run with HTTP 500.
    assert shown("", retryable_only=True) == ["p-mixed"]
    flt = parse_filter("").with_retryable(True)
    assert flt.active and flt.describe() == "retryable only"
    asked: list[str] = []

    def service_says(submission: Submission) -> bool:
        asked.append(submission.post_submission_id)
        return submission.post_submission_id == "p-x-only"

    flt = parse_filter("status:4xx", retryable_only=True)
    assert [p.post_submission_id for p in flt.apply(POSTS, retryable=service_says)] == ["p-x-only"]
    # The (expensive) verdict is asked only for posts that passed the text.
    assert "p-unknown" not in asked
    assert flt.matches(POSTS[3], retryable=service_says)
    assert not flt.matches(POSTS[0], retryable=service_says)


def test_describe_for_the_header() -> None:
    flt = parse_filter('platform:yt,tt !status:4xx "video too" !code:forbidden')
    assert flt.describe() == (
        "platform YouTube or TikTok · not status 4xx · “video too” · not code forbidden"
    )
    assert parse_filter("platform:x", retryable_only=True).describe() == (
        "platform X · retryable only"
    )


def test_describe_and_warnings_never_carry_escape_bytes() -> None:
    flt = parse_filter('\x1b]52;c;aGk=\x07 foo:\x1b[2J platform:\x9b31m status:\x1b "\u202e')
    for text in (flt.describe(), *flt.warnings):
        assert "\x1b" not in text
        assert "\x9b" not in text
        assert "\u202e" not in text
        assert "\x07" not in text


def test_hostile_server_text_is_searchable_and_never_breaks_matching() -> None:
    posts = [
        post(f"h{n}", run("x", 500, text, message=text, account=text), caption=text)
        for n, text in enumerate(HOSTILE_STRINGS)
    ]
    for text in HOSTILE_STRINGS:
        flt = parse_filter(text)
        flt.apply(posts)  # no exception
    # A caption holding a real ESC can be found by the visible text around it.
    evil = post("evil", run("x", 500), caption="clear\x1b[2Jscreen")
    assert parse_filter("screen").matches(evil)


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_parse_filter_never_raises(text: str) -> None:
    flt = parse_filter(text)
    assert isinstance(flt, Filter)
    assert isinstance(flt.describe(), str)
    for submission in POSTS:
        assert isinstance(flt.matches(submission), bool)


_WORDS = st.sampled_from(
    [
        "platform:",
        "status:",
        "code:",
        "account:",
        "!",
        '"',
        ",",
        ":",
        "x",
        "yt",
        "4xx",
        "5",
        "500",
        "upload",
        " ",
        "\x00",
        "\x1b",
        "\u202e",
        "🌸",
    ]
)


@given(st.lists(_WORDS, max_size=30).map("".join))
@settings(max_examples=400, deadline=None)
def test_parse_filter_never_raises_on_filter_shaped_text(text: str) -> None:
    flt = parse_filter(text)
    for term in flt.terms:
        assert term.kind in ("text", "platform", "status", "code", "account")
        assert term.values  # every kept term can match something
    for submission in POSTS:
        flt.matches(submission)


@pytest.mark.parametrize("text", ["spring", "internal", '"token revoked"', "p-"])
def test_free_text_and_its_negation_split_the_posts_in_two(text: str) -> None:
    yes = set(shown(text))
    no = set(shown("!" + text))
    assert yes.isdisjoint(no)
    assert yes | no == {p.post_submission_id for p in POSTS}


def test_the_per_post_cache_forgets_posts_that_are_gone() -> None:
    # Hours of polling must not grow memory: facts die with the snapshot holding them.
    import gc

    from soku_tui.core.facts import PostFacts

    def alive() -> int:
        return sum(isinstance(o, PostFacts) for o in gc.get_objects())

    before = alive()
    batch = [post(f"tmp{n}", run("x", 500), caption="temporary") for n in range(200)]
    assert len(parse_filter("temporary").apply(batch)) == 200
    assert alive() >= before + 200
    del batch
    gc.collect()
    assert alive() <= before


def test_warming_gives_the_same_answers() -> None:
    from soku_tui.core.facts import warm

    fresh = [dataclasses.replace(p) for p in POSTS]  # new objects: nothing cached yet
    cold = [p.post_submission_id for p in parse_filter("status:4xx token").apply(fresh)]
    assert cold == ["p-tiktok-401", "p-x-only"]
    warm(fresh)
    assert [p.post_submission_id for p in parse_filter("status:4xx token").apply(fresh)] == cold
