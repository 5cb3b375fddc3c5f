"""The fix catalogue tells the user what failed, why, what to do and where, and never
offers a retry that cannot help."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soku_tui.core.catalog import (
    CATALOGUE_STATUSES,
    CODE_STATUS,
    GATEWAY_STATUSES,
    KNOWN_CODES,
    Fix,
    api_problem_advice,
    fix_for,
    retry_refusal,
)
from soku_tui.core.models import PLATFORMS, platform_name
from tests.core.hostile_corpus import ESC, HOSTILE, HOSTILE_STRINGS, assert_terminal_safe

DASHBOARD_PLACES = {"Settings > API", "Settings > Billing", "Settings > Integrations", "/posts"}


def _all_text(fix: Fix) -> str:
    """Everything a detail pane would show, lower-cased for phrase checks."""
    parts = [fix.title, fix.meaning, *fix.causes, *fix.steps, *fix.where, fix.summary]
    return "\n".join(parts).lower()


def _text_fields(fix: Fix) -> list[str]:
    return [fix.title, fix.meaning, *fix.causes, *fix.steps, *fix.where, fix.summary]


@pytest.mark.parametrize("platform", [None, *PLATFORMS])
@pytest.mark.parametrize("status", CATALOGUE_STATUSES)
def test_every_catalogue_entry_is_complete(status: int, platform: str | None) -> None:
    fix = fix_for(status, platform=platform)
    assert fix.status == status
    assert fix.title.startswith(str(status))
    for field in _text_fields(fix):
        assert field.strip(), f"empty field in {fix!r}"
    assert fix.causes
    assert fix.steps
    assert fix.where
    assert set(fix.where) <= DASHBOARD_PLACES
    # No template placeholder may leak to the screen.
    assert "{" not in _all_text(fix)


@pytest.mark.parametrize("code", KNOWN_CODES)
def test_every_known_code_has_complete_advice(code: str) -> None:
    status = CODE_STATUS[code]
    for fix in (fix_for(status, code, platform="tiktok"), fix_for(None, code)):
        assert fix.code == code
        for field in _text_fields(fix):
            assert field.strip(), f"empty field in {fix!r}"
        assert "{" not in _all_text(fix)
    assert fix_for(status, code).title.startswith(str(status))


@settings(max_examples=300, deadline=None)
@given(
    st.integers(min_value=100, max_value=599),
    st.sampled_from([None, *KNOWN_CODES]) | st.text(max_size=20),
    st.sampled_from([None, *PLATFORMS]) | st.text(max_size=20),
)
def test_only_500_is_retryable(status: int, code: str | None, platform: str | None) -> None:
    fix = fix_for(status, code, platform=platform)
    assert fix.retryable is (status == 500)
    refusal = retry_refusal(status, code, platform=platform)
    assert refusal.startswith(f"{status} — ")
    if status != 500:
        assert "a retry can help" not in refusal


@pytest.mark.parametrize("code", [None, *KNOWN_CODES])
def test_no_status_is_never_retryable(code: str | None) -> None:
    # Even code internal_error: Soku's "safe to re-send" is tied to the HTTP 500.
    assert fix_for(None, code).retryable is False
    assert fix_for(None, code).title.startswith("No HTTP status")


# Every cause in the contract's table, and every fix it names, by its key phrases.
CONTRACT_PHRASES = {
    400: [
        "no platform was selected",
        "caption",
        "media is missing",
        "media format is not supported by",
        "no connected account",
        "settings > integrations",
        "post editor",
        "content type",
        "read the error message",
    ],
    401: [
        "api key is wrong, expired, revoked or missing",
        "authorization header is missing or malformed",
        "token",
        "expired and soku could not refresh it",
        "settings > api",
        "generate a new one",
        "re-authorize",
        "red (danger)",
        "settings > integrations",
    ],
    403: [
        "trial has ended",
        "subscription was cancelled",
        "paused after a failed payment",
        "not included in the current plan",
        "settings > billing",
        "subscribe, renew",
        "payment method in the billing portal",
    ],
    500: [
        "soku's side",
        "not caused by you",
        "wait a moment, then retry",
        "status page",
        "contact soku support",
        "timestamp",
        "platforms",
        "error message",
        "request id",
    ],
}


@pytest.mark.parametrize("status", sorted(CONTRACT_PHRASES))
def test_every_cause_and_fix_of_the_contract_table_is_there(status: int) -> None:
    text = _all_text(fix_for(status))
    missing = [phrase for phrase in CONTRACT_PHRASES[status] if phrase not in text]
    assert not missing, f"{status} lacks {missing}"


def test_401_points_to_the_red_account_of_the_failed_platform() -> None:
    fix = fix_for(401, "unauthorized", platform="tiktok")
    assert fix.title == "401 Unauthorized"
    assert fix.summary == (
        "401 Unauthorized on TikTok — re-authorize the TikTok account in Settings > Integrations"
    )
    assert fix.where[0] == "Settings > Integrations"
    assert "Settings > API" in fix.where
    assert any("TikTok account shows a red (Danger) status" in step for step in fix.steps)


def test_retry_refusal_reads_like_the_issue_example() -> None:
    assert retry_refusal(401, platform="tiktok") == (
        "401 — a retry can't fix this: re-authorize the TikTok account in Settings > Integrations"
    )


@pytest.mark.parametrize(
    ("status", "code", "platform", "expected"),
    [
        (
            400,
            "missing_account",
            "youtube",
            "connect the YouTube account in Settings > Integrations",
        ),
        (400, "upload_failed", "instagram", "format is supported by Instagram"),
        (400, "validation_error", None, "the field the message names"),
        (403, "forbidden", "x", "Settings > Billing"),
        (500, "internal_error", "threads", "a retry can help"),
        (502, None, None, "not a Soku 500"),
        (429, "rate_limit_exceeded", None, "not a publishing failure"),
    ],
)
def test_retry_refusal_says_what_to_do_instead(
    status: int, code: str | None, platform: str | None, expected: str
) -> None:
    assert expected in retry_refusal(status, code, platform=platform)


@pytest.mark.parametrize("status", CATALOGUE_STATUSES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_summary_names_the_platform(status: int, platform: str) -> None:
    fix = fix_for(status, platform=platform)
    assert f" on {platform_name(platform)} — " in fix.summary
    assert fix.summary.startswith(fix.title)
    assert "\n" not in fix.summary


def test_unknown_platform_is_named_as_sent() -> None:
    assert " on Mastodon — " in fix_for(401, platform="Mastodon").summary
    assert " on TikTok — " in fix_for(401, platform=" TikTok ").summary


def test_upload_failed_refines_the_400_advice() -> None:
    fix = fix_for(400, "upload_failed", platform="instagram")
    text = _all_text(fix)
    assert fix.title == "400 Bad Request: media upload failed"
    assert "media url" in text
    assert "publicly reachable" in text
    assert "not supported by instagram" in text
    assert fix.retryable is False


def test_missing_account_refines_the_400_advice() -> None:
    fix = fix_for(400, "missing_account", platform="youtube")
    assert fix.where == ("Settings > Integrations",)
    assert "Connect the YouTube account" in " ".join(fix.steps)
    assert fix.summary.endswith("connect the YouTube account in Settings > Integrations")


def test_status_decides_first_and_a_foreign_code_is_ignored() -> None:
    # The contract: branch on the HTTP status, then on the code.
    assert fix_for(500, "upload_failed").title == "500 Internal Server Error"
    assert fix_for(500, "upload_failed").retryable is True
    assert fix_for(400, "internal_error").retryable is False
    assert fix_for(400, "internal_error").title == "400 Bad Request"
    assert fix_for(400, "UPLOAD_FAILED").title == fix_for(400, "upload_failed").title


def test_rate_limit_is_about_our_key_not_the_post() -> None:
    fix = fix_for(429, "rate_limit_exceeded")
    text = _all_text(fix)
    assert "api key" in text
    assert "not a failed publish" in text
    assert "30 posts" in text
    assert fix.retryable is False


@pytest.mark.parametrize("status", GATEWAY_STATUSES)
def test_gateway_errors_are_explained_and_not_retried(status: int) -> None:
    fix = fix_for(status, platform="facebook")
    text = _all_text(fix)
    assert fix.retryable is False
    assert "gateway in front of soku" in text
    assert "not a soku 500" in text
    assert "status page" in text
    assert "published" in text  # it may have gone out: look before re-publishing
    assert "not a Soku 500" in retry_refusal(status)


@pytest.mark.parametrize("status", [100, 204, 302, 402, 408, 418, 451, 499, 501, 505, 599, 0, 700])
def test_unknown_status_gets_honest_advice_naming_it(status: int) -> None:
    fix = fix_for(status, platform="linkedin")
    assert str(status) in fix.title
    assert str(status) in fix.meaning
    assert str(status) in fix.summary
    assert retry_refusal(status).startswith(f"{status} — ")
    assert fix.retryable is False
    for field in _text_fields(fix):
        assert field.strip()
    if 400 <= status < 500:
        assert f"unknown client error {status}" in fix.meaning.lower()
    if 500 <= status < 600:
        assert f"unknown server error {status}" in fix.meaning.lower()


def test_unknown_code_refines_nothing_but_is_kept_safely() -> None:
    fix = fix_for(401, f"token_revoked{ESC}[2J", platform="tiktok")
    assert fix.title == "401 Unauthorized"
    assert fix.code == "token_revoked␛[2J"


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=list(HOSTILE))
def test_hostile_platform_and_code_cannot_reach_the_terminal(text: str) -> None:
    for status in (400, 401, 500, 503, 418, None):
        fix = fix_for(status, text, platform=text)
        for field in _text_fields(fix):
            assert_terminal_safe(field)
        if fix.code is not None:
            assert_terminal_safe(fix.code)
        assert_terminal_safe(retry_refusal(status, text, platform=text))
    # A 10k-character "platform" must not blow up a status bar.
    assert len(fix_for(401, platform=text).summary) < 200


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "Settings > API"),
        (401, "SOKU_AUTH_SCHEME=bearer"),
        (403, "Settings > Billing"),
        (429, "Rate limited"),
        (500, "keeps retrying"),
        (502, "status page"),
        (503, "keeps retrying"),
        (404, "GET /v1/posts"),
        (400, "SOKU_BASE_URL"),
        (418, "unknown client error 418"),
        (507, "507"),
        (302, "302"),
    ],
)
def test_api_problem_advice_for_our_own_calls(status: int, expected: str) -> None:
    advice = api_problem_advice(status)
    assert expected in advice
    assert "\n" not in advice


def test_fix_is_immutable_and_shared() -> None:
    fix = fix_for(401, platform="tiktok")
    with pytest.raises(AttributeError):
        fix.retryable = True  # type: ignore[misc]
    # Cached: 50,000 runs with the same failure do not build 50,000 Fix objects.
    assert fix_for(401, platform="tiktok") is fix
