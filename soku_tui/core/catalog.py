"""What each failure means and what the user does about it: the fix catalogue.

Source: the table of Soku's "Publishing Errors" page (see docs/api-contract.md),
rewritten in our words and complete, plus what we know about the codes of Soku's
error envelope. The HTTP status decides first and the code refines it second, as the
contract says; a code that belongs to another status is ignored.

Only a 500 is retryable. Soku says the same request may be sent again after a 500;
every other failure either needs the user to act first (400, 401, 403) or could hide a
post that did go out (a gateway 502/503/504), so re-sending it blindly is wrong.

Pure data and functions: no I/O. Platform names (untrusted server text) pass through
the sanitiser before they are woven into a sentence.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, replace
from http import HTTPStatus
from types import MappingProxyType
from typing import Final

from soku_tui.core.models import platform_name
from soku_tui.core.sanitize import one_line

SETTINGS_API: Final = "Settings > API"
SETTINGS_BILLING: Final = "Settings > Billing"
SETTINGS_INTEGRATIONS: Final = "Settings > Integrations"
POSTS: Final = "/posts"

RETRYABLE_STATUS: Final = 500
GATEWAY_STATUSES: Final = (502, 503, 504)


@dataclass(frozen=True)
class Fix:
    """Everything a screen or a headless command says about one failure."""

    status: int | None
    code: str | None
    title: str  # "401 Unauthorized"
    meaning: str  # one or two sentences
    causes: tuple[str, ...]
    steps: tuple[str, ...]  # what to do, in order
    where: tuple[str, ...]  # places in Soku's dashboard
    retryable: bool
    summary: str  # one line for a status bar, names the platform when known


@dataclass(frozen=True)
class _Advice:
    """Catalogue text. ``{platform}`` and ``{account}`` are filled per failure."""

    meaning: str
    causes: tuple[str, ...]
    steps: tuple[str, ...]
    where: tuple[str, ...]
    # Short imperative for the summary and the retry refusal.
    action: str
    # The action when no platform is known, if it must read differently.
    action_generic: str | None = None
    # "{label} — <refusal>: <action>"; None means the usual "a retry can't fix this",
    # "" means the action alone says it.
    refusal: str | None = None


_BAD_REQUEST_CAUSES: Final = (
    "No platform was selected for the post.",
    "The caption (the post text) is missing.",
    "The media is missing, for a post whose content type needs a video or image.",
    "The media format is not supported by {platform}.",
    "{platform} is selected but has no connected account in Soku.",
)

_STATUS_ADVICE: Final[dict[int, _Advice]] = {
    400: _Advice(
        meaning=(
            "The post was rejected because a required field is missing or invalid. "
            "Sending it again unchanged fails the same way."
        ),
        causes=_BAD_REQUEST_CAUSES,
        steps=(
            "Read the error message: it usually names the field that is wrong.",
            f"Open the post in {POSTS} (status Failed) and fix it in the post editor: "
            "caption, content type, platforms and media.",
            f"Check that every selected platform has a connected account in "
            f"{SETTINGS_INTEGRATIONS}.",
            "Publish the post again once it is fixed.",
        ),
        where=(POSTS, SETTINGS_INTEGRATIONS),
        action=(
            f"fix the post as the message says and check {{account}} is connected in "
            f"{SETTINGS_INTEGRATIONS}"
        ),
        action_generic=(
            f"fix the post as the message says and check its platforms are connected in "
            f"{SETTINGS_INTEGRATIONS}"
        ),
    ),
    401: _Advice(
        meaning=(
            "The credentials were not accepted: either the Soku API key, or the access "
            "token Soku holds for {account}."
        ),
        # On a platform run Soku already accepted our key, so the platform token is the
        # likely cause; the key causes stay because the table lists them.
        causes=(
            "The access token of {account} expired and Soku could not refresh it.",
            "The Soku API key is wrong, expired, revoked or missing.",
            "The Authorization header is missing or malformed.",
        ),
        steps=(
            f"Open {SETTINGS_INTEGRATIONS}: if {{account}} shows a red (Danger) status, "
            "its token expired and could not be refreshed; re-authorize (reconnect) it.",
            f"Otherwise check the API key in {SETTINGS_API}; generate a new one if it was "
            "revoked or expired, and update it wherever it is used (SOKU_API_KEY here).",
            "If your own code calls Soku, make sure it sends the key, in the soku-api-key "
            "header or as 'Authorization: Bearer <key>', exactly as issued.",
            "Publish the post again after fixing the credentials.",
        ),
        where=(SETTINGS_INTEGRATIONS, SETTINGS_API),
        action=f"re-authorize {{account}} in {SETTINGS_INTEGRATIONS}",
        action_generic=(
            f"re-authorize the account shown red (Danger) in {SETTINGS_INTEGRATIONS}, "
            f"or check the API key in {SETTINGS_API}"
        ),
    ),
    403: _Advice(
        meaning=(
            "Soku refused the action for this account: the subscription does not allow "
            "it right now."
        ),
        causes=(
            "The free trial has ended.",
            "The subscription was cancelled.",
            "The subscription is paused after a failed payment.",
            "The action is not included in the current plan.",
        ),
        steps=(
            f"Open {SETTINGS_BILLING} and check the subscription's status.",
            "Subscribe, renew, or move to a plan that includes the action.",
            "If a payment failed, update the payment method in the billing portal "
            f"(reached from {SETTINGS_BILLING}).",
            "Publish the post again once the subscription is active.",
        ),
        where=(SETTINGS_BILLING,),
        action=(
            f"check the subscription in {SETTINGS_BILLING} (renew, or update the payment method)"
        ),
    ),
    404: _Advice(
        meaning=(
            "Something the request points to does not exist (any more): the post in "
            "Soku, or the account, page or media it refers to."
        ),
        causes=(
            "The post was deleted in Soku.",
            "The post belongs to another Soku account than the API key in use.",
            "The page, channel or media on {platform} was deleted or is no longer reachable.",
            "This Soku account does not offer the read API this monitor assumes (GET /v1/posts).",
        ),
        steps=(
            f"Look for the post in {POSTS} in Soku's dashboard.",
            f"Check that the API key in use belongs to the account that owns the post "
            f"({SETTINGS_API}).",
            f"Check {{account}} and its page or channel in {SETTINGS_INTEGRATIONS}.",
            "If every read fails with 404, check the base URL (SOKU_BASE_URL).",
        ),
        where=(POSTS, SETTINGS_API, SETTINGS_INTEGRATIONS),
        action=f"look for the post in {POSTS} and check {{account}} in {SETTINGS_INTEGRATIONS}",
        action_generic=f"look for the post in {POSTS}; check the API key and base URL",
    ),
    429: _Advice(
        meaning=(
            "Soku is rate-limiting requests made with this API key. This is about our "
            "calls to Soku, not a failed publish: nothing is wrong with the post."
        ),
        causes=(
            "More than 30 posts were created in a minute on this Soku account (bulk "
            "retries count too).",
            "Other scripts or monitors use the same account's API budget.",
            "The poll interval is too short for the account's rate limit.",
        ),
        steps=(
            "Nothing to fix in the dashboard: the monitor waits as Soku asks "
            "(Retry-After, X-RateLimit-Reset) and then asks again by itself.",
            f"If it keeps happening, look for other tools using this account's keys "
            f"({SETTINGS_API}), or poll less often.",
        ),
        where=(SETTINGS_API,),
        action="rate limited on this API key; waiting, then asking again",
        refusal="not a publishing failure",
    ),
    500: _Advice(
        meaning=(
            "An unexpected error on Soku's side, not caused by you or by the post. "
            "Soku says sending the same request again is safe."
        ),
        causes=(
            "A temporary fault inside Soku.",
            "An outage at Soku, or between Soku and {platform}.",
        ),
        steps=(
            "Wait a moment, then retry: this monitor re-sends only the failed platforms, "
            "and never publishes twice.",
            "Check Soku's status page if several posts fail this way.",
            "If it keeps failing for more than a few minutes, contact Soku support with "
            "the timestamp of the failure, the platforms, the error message and the "
            "request id.",
        ),
        where=(POSTS,),
        action="Soku-side error; a retry can help",
        refusal="",
    ),
}

# The status each known code of Soku's error envelope belongs to.
_CODE_STATUS: Final[dict[str, int]] = {
    "validation_error": 400,
    "upload_failed": 400,
    "missing_account": 400,
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "not_found": 404,
    "rate_limit_exceeded": 429,
    "internal_error": 500,
}
CODE_STATUS: Final[Mapping[str, int]] = MappingProxyType(_CODE_STATUS)

# The codes whose advice is more precise than their status's. A code refines its own
# status only; each entry replaces that status's advice.
_CODE_LABEL: Final[dict[str, str]] = {
    "validation_error": "invalid or missing field",
    "upload_failed": "media upload failed",
    "missing_account": "no connected account",
}
_CODE_ADVICE: Final[dict[str, _Advice]] = {
    "validation_error": replace(
        _STATUS_ADVICE[400],
        meaning=(
            "A required field of the post is missing or has an invalid value; the "
            "message names it (for example post.content.text for the caption)."
        ),
        steps=(
            "Read the error message for the field that is wrong.",
            f"Open the post in {POSTS} and fill or correct that field in the post "
            "editor: caption, content type, platforms or media.",
            f"Check that every selected platform has a connected account in "
            f"{SETTINGS_INTEGRATIONS}.",
            "Publish the post again once it is fixed.",
        ),
        action="fill or correct the field the message names, then publish again",
        action_generic=None,
    ),
    "upload_failed": _Advice(
        meaning=(
            "The media could not be delivered to {platform}: the file could not be "
            "fetched, or {platform} does not accept its format."
        ),
        causes=(
            "The media URL is not publicly reachable (private, behind a login, deleted, "
            "or an expired signed link).",
            "The media format (type, codec, size, length or aspect ratio) is not "
            "supported by {platform}.",
            "The media is missing, for a post whose content type needs it.",
        ),
        steps=(
            "Open the media URL from outside your network: it must download without a "
            "login and must not expire before Soku fetches it.",
            "Check {platform}'s requirements for format, size and length; convert the "
            "file if needed.",
            f"Attach the media again in the post editor ({POSTS}) and publish again.",
        ),
        where=(POSTS,),
        action="check the media URL is reachable and its format is supported by {platform}",
    ),
    "missing_account": _Advice(
        meaning="{platform} is selected for the post, but no account for it is connected.",
        causes=(
            "{platform} is selected without a connected account.",
            "{account} was disconnected or removed after the post was created.",
        ),
        steps=(
            f"Open {SETTINGS_INTEGRATIONS}.",
            "Connect {account} (or reconnect it if it is listed but broken).",
            "Publish the post again.",
        ),
        where=(SETTINGS_INTEGRATIONS,),
        action=f"connect {{account}} in {SETTINGS_INTEGRATIONS}",
    ),
}

_STATUS_PHRASE_FALLBACK: Final = {4: "Client Error", 5: "Server Error"}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _STATUS_PHRASE_FALLBACK.get(status // 100, "")


def _status_title(status: int) -> str:
    phrase = _phrase(status)
    return f"{status} {phrase}" if phrase else str(status)


def _gateway_advice(status: int) -> _Advice:
    timeout_cause = (
        ("Soku took too long to answer; the post may still have been published.",)
        if status == 504
        else ()
    )
    return _Advice(
        meaning=(
            f"A gateway in front of Soku failed ({_status_title(status)}). It is not a "
            "Soku 500, so the post is not re-published from here: it may have gone out."
        ),
        causes=(
            "Soku, or the load balancer in front of it, is overloaded or restarting.",
            "A network problem between the gateway and Soku.",
            *timeout_cause,
        ),
        steps=(
            "Wait a few minutes and check Soku's status page.",
            f"Open the post in {POSTS} to see whether it was published before publishing it again.",
            "If it persists, contact Soku support with the timestamp, the platforms, "
            "the error message and the request id.",
        ),
        where=(POSTS,),
        action="a gateway in front of Soku failed; wait and check Soku's status page",
        refusal="not retried (not a Soku 500; re-sending could publish twice)",
    )


def _unknown_advice(status: int | None, *, with_code: bool = False) -> _Advice:
    if status is None:
        what = "The run failed (code {code}) without an HTTP status"
        if not with_code:
            what = "The run failed without an HTTP status"
        meaning = f"{what}, so this monitor cannot say why; the error message is the clue."
        action = f"read the message and check the post in {POSTS}"
        refusal = "a retry can't be judged safe"
    elif 400 <= status < 500:
        meaning = (
            f"Unknown client error {status}: Soku's documentation does not describe it, "
            "so the error message is the best clue. Re-sending the post unchanged will "
            "not help."
        )
        action = f"unknown client error {status}; read the message and check the post in {POSTS}"
        refusal = "a retry can't fix this"
    elif 500 <= status < 600:
        meaning = (
            f"Unknown server error {status}: not the documented 500, so it is not "
            "re-published from here; the post may or may not have gone out."
        )
        action = (
            f"unknown server error {status}; wait, check Soku's status page and the post in {POSTS}"
        )
        refusal = "not retried (only a Soku 500 is known to be safe to re-send)"
    else:
        meaning = (
            f"Unexpected status {status}: not an error status, yet the run is marked "
            "failed. The error message is the best clue."
        )
        action = f"unexpected status {status}; read the message and check the post in {POSTS}"
        refusal = "a retry can't be judged safe"
    return _Advice(
        meaning=meaning,
        causes=(
            "Something Soku or {platform} did not accept that this catalogue does not "
            "know; the error message says more.",
        ),
        steps=(
            "Read the error message and the error code.",
            f"Open the post in {POSTS} and compare it with Soku's help centre.",
            "If it is still unclear, contact Soku support with the timestamp, the "
            "platforms, the error message and the request id.",
        ),
        where=(POSTS,),
        action=action,
        refusal=refusal,
    )


def _norm_code(code: str | None) -> str | None:
    if code is None:
        return None
    norm = code.strip().lower()
    return norm or None


def _norm_platform(platform: str | None) -> str | None:
    if not platform:
        return None
    # Platform values are server text: a name we do not know is shown as sent, safely.
    key = platform.strip().lower()
    name = platform_name(key)
    return one_line(platform.strip() if name == key else name, 30) or None


def _select(status: int | None, code: str | None) -> tuple[str, _Advice]:
    """The title and advice for a status refined by a code (normalised inputs)."""
    code_status = _CODE_STATUS.get(code) if code else None
    if status is None:
        # Without a status the code is all we have; but a 500's "safe to re-send" is
        # never assumed from a code alone.
        if code and code_status is not None and code_status != RETRYABLE_STATUS:
            advice = _CODE_ADVICE.get(code) or _STATUS_ADVICE[code_status]
            return f"No HTTP status, code {code}", advice
        return "No HTTP status", _unknown_advice(None, with_code=code is not None)
    if status in _STATUS_ADVICE:
        title = _status_title(status)
        if code and code_status == status and code in _CODE_ADVICE:
            return f"{title}: {_CODE_LABEL[code]}", _CODE_ADVICE[code]
        return title, _STATUS_ADVICE[status]
    if status in GATEWAY_STATUSES:
        return _status_title(status), _gateway_advice(status)
    return _status_title(status), _unknown_advice(status)


def _fill(
    template: str, platform: str | None, code: str | None = None, *, sentence: bool = False
) -> str:
    # Server text only ever enters as a format value, never as part of a template:
    # str.format does not re-parse values, so braces in a platform or code are inert.
    text = template.format(
        platform=platform or "the platform",
        account=f"the {platform} account" if platform else "the platform account",
        code=code or "",
    )
    if sentence and text.startswith("the "):
        return "T" + text[1:]
    return text


def _action(advice: _Advice, platform: str | None) -> str:
    template = advice.action if platform or not advice.action_generic else advice.action_generic
    return _fill(template, platform)


@functools.lru_cache(maxsize=4096)
def _fix(status: int | None, code: str | None, shown_code: str | None, platform: str | None) -> Fix:
    title, advice = _select(status, code)
    on = f" on {platform}" if platform else ""
    return Fix(
        status=status,
        code=shown_code,
        title=title,
        meaning=_fill(advice.meaning, platform, shown_code, sentence=True),
        causes=tuple(_fill(cause, platform, sentence=True) for cause in advice.causes),
        steps=tuple(_fill(step, platform, sentence=True) for step in advice.steps),
        where=advice.where,
        retryable=status == RETRYABLE_STATUS,
        summary=f"{title}{on} — {_action(advice, platform)}",
    )


def fix_for(status: int | None, code: str | None = None, *, platform: str | None = None) -> Fix:
    """The catalogue entry for a failure: its HTTP status first, its error code second."""
    # A bool is an int to Python but never an HTTP status.
    if isinstance(status, bool):
        status = None
    norm_code = _norm_code(code)
    # A code we do not know refines nothing, but is kept as sent (safely) for display.
    shown_code = norm_code if norm_code in _CODE_STATUS or code is None else one_line(code, 64)
    return _fix(status, norm_code, shown_code, _norm_platform(platform))


def retry_refusal(
    status: int | None, code: str | None = None, *, platform: str | None = None
) -> str:
    """The sentence a screen shows when retry is refused, e.g. "401 — a retry can't fix
    this: re-authorize the TikTok account in Settings > Integrations".

    For a 500 it says a retry can help; the retry service supplies its own reason
    (already retried at this attempt, read-only mode) when it still refuses one.
    """
    if isinstance(status, bool):
        status = None
    norm_platform = _norm_platform(platform)
    _, advice = _select(status, _norm_code(code))
    label = str(status) if status is not None else "No HTTP status"
    action = _action(advice, norm_platform)
    refusal = "a retry can't fix this" if advice.refusal is None else advice.refusal
    return f"{label} — {refusal}: {action}" if refusal else f"{label} — {action}"


def api_problem_advice(status: int, code: str | None = None) -> str:
    """One or two sentences for the banner when the monitor's own calls to Soku fail."""
    title = _status_title(status)
    norm_code = _norm_code(code)
    if status == 400:
        detail = " (validation_error)" if norm_code == "validation_error" else ""
        return (
            f"Soku rejected the monitor's request as invalid (400{detail}): its API may "
            "differ from what this version of soku-tui assumes. Check SOKU_BASE_URL and "
            "update soku-tui."
        )
    if status == 401:
        return (
            f"Soku rejected the API key (401 Unauthorized): check it in {SETTINGS_API} and "
            "generate a new one there if it was revoked or expired, then update "
            "SOKU_API_KEY or the key file. If the key is right, the auth header may be "
            'the wrong one: try auth_scheme = "bearer" (SOKU_AUTH_SCHEME=bearer).'
        )
    if status == 403:
        return (
            "Soku refused access (403 Forbidden): the trial ended, the subscription was "
            "cancelled or paused after a failed payment, or the plan does not include "
            f"this. Fix it in {SETTINGS_BILLING} (renew, or update the payment method)."
        )
    if status == 404:
        return (
            "Soku answered 404 Not Found: the post, or the read API this monitor uses "
            "(GET /v1/posts), is not there for this account. Check SOKU_BASE_URL."
        )
    if status == 429:
        return (
            "Rate limited by Soku (429 Too Many Requests) on this API key: waiting as "
            "Soku asks, then asking again."
        )
    if status == 500:
        return (
            "The trouble is on Soku's side; the monitor keeps retrying on its own. "
            "Check Soku's status page if it lasts."
        )
    if status in GATEWAY_STATUSES:
        return (
            "The monitor keeps retrying on its own. Check Soku's status page if it lasts; "
            "if only this machine is affected, check its proxy or network."
        )
    if 500 <= status < 600:
        return (
            f"Soku answered {title}, an unknown server error: will retry. Check Soku's "
            "status page if it lasts."
        )
    if 400 <= status < 500:
        return (
            f"Soku answered {title}, an unknown client error {status}: the monitor's "
            "requests may not match this Soku API. Check SOKU_BASE_URL and update soku-tui."
        )
    return f"Soku answered an unexpected HTTP status {status}."


KNOWN_CODES: Final = tuple(_CODE_STATUS)
# Every status with its own catalogue entry (the rest get honest generic advice).
CATALOGUE_STATUSES: Final = (*sorted(_STATUS_ADVICE), *GATEWAY_STATUSES)

__all__ = [
    "CATALOGUE_STATUSES",
    "CODE_STATUS",
    "GATEWAY_STATUSES",
    "KNOWN_CODES",
    "POSTS",
    "RETRYABLE_STATUS",
    "SETTINGS_API",
    "SETTINGS_BILLING",
    "SETTINGS_INTEGRATIONS",
    "Fix",
    "api_problem_advice",
    "fix_for",
    "retry_refusal",
]
