"""Seeded, realistic Soku submissions for the demo API, in raw wire format (camelCase).

Everything is deterministic given ``seed`` and ``now``: one ``random.Random(seed)`` drives
ids, times, captions and errors. Two sizes:

* ``posts=None`` — a hand-shaped mix (about 54 submissions over the last 48 h) that covers
  every platform and every catalogue status (400 ``validation_error`` / ``upload_failed`` /
  ``missing_account`` / ``bad_request``, 401, 403, 500), partially failed posts, long and
  non-ASCII captions, and some processing, queued, scheduled and succeeded posts.
* ``posts=N`` — exactly N *failed* submissions (each with at least one failed run), for
  scale work. Built as a generator so 50,000 of them never sit in memory as dicts at once.

The module also owns the life cycle of a submission after the scenario is built (a post
created through the API, its runs settling, an old failure resolving), so every
submission the demo serves has the same shape whoever made it.
"""

from __future__ import annotations

import base64
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from soku_tui.core.catalog import CODE_STATUS
from soku_tui.core.models import PLATFORM_NAMES, PLATFORMS
from soku_tui.demo.texts import CAPTIONS, LONG_CAPTION, MESSAGES

_T = TypeVar("_T")

HOUR_MS: Final = 3_600_000
MINUTE_MS: Final = 60_000
WINDOW_MS: Final = 48 * HOUR_MS

# Realistic account ids per platform; the first one is the account a bare platform
# string ("threads") publishes to.
PLATFORM_ACCOUNTS: Final[dict[str, tuple[str, ...]]] = {
    "x": ("x_primary", "x_support"),
    "threads": ("threads_main",),
    "facebook": ("fb_page_main", "fb_page_de"),
    "instagram": ("ig_brand_eu", "ig_brand_us"),
    "linkedin": ("li_company_page", "li_ceo"),
    "tiktok": ("tt_brand", "tt_shop"),
    "youtube": ("yt_channel_main",),
    "snapchat": ("snap_brand",),
}
_VIDEO_ONLY: Final = frozenset({"tiktok", "youtube", "snapchat"})

_FAILURE_KINDS: Final = (
    "internal_error",
    "validation_error",
    "upload_failed",
    "missing_account",
    "bad_request",
    "unauthorized",
)
# 500s dominate so a retry has something to do; every other kind still shows up often.
_FAILURE_CUM_WEIGHTS: Final = (45, 55, 65, 71, 77, 92)
_HANDLE: Final = "acmebrand"


_DAYS: dict[int, str] = {}


def iso_ms(ms: int) -> str:
    """Epoch milliseconds → ``2026-02-28T12:00:00.000Z`` (sorts like the time it names)."""
    # Hand-rolled because it runs ~6 times per submission and 50,000 submissions must
    # build in about a second; strftime per call doubles that.
    days, rest = divmod(ms, 86_400_000)
    day = _DAYS.get(days)
    if day is None:
        day = _DAYS[days] = time.strftime("%Y-%m-%d", time.gmtime(days * 86_400))
    hours, rest = divmod(rest, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{day}T{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}Z"


def parse_iso_ms(text: str) -> int:
    """ISO 8601 → epoch milliseconds (a naive time is UTC). Raises ``ValueError``."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return to_ms(parsed)


def to_ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def default_account(platform: str) -> str:
    """The account a bare platform string publishes to."""
    accounts = PLATFORM_ACCOUNTS.get(platform)
    return accounts[0] if accounts else f"{platform}_primary"


# random.choice/randint/sample cost ~1 µs each in pure Python; these C-backed
# equivalents keep 50,000 submissions near one second (still fully seeded).
def _pick(rng: random.Random, items: Sequence[_T]) -> _T:
    return items[int(rng.random() * len(items))]


def _between(rng: random.Random, low: int, high: int) -> int:
    return low + int(rng.random() * (high - low + 1))


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def request_id(rng: random.Random) -> str:
    return f"req_{rng.getrandbits(48):012x}"


def _token(rng: random.Random, length: int) -> str:
    return base64.urlsafe_b64encode(rng.randbytes(length)).decode("ascii")[:length]


def platform_post_url(rng: random.Random, platform: str, account: str) -> str:
    """A plausible link to the live post on the platform."""
    digits = str(10**18 + rng.getrandbits(59))
    if platform == "x":
        return f"https://x.com/{_HANDLE}/status/{digits}"
    if platform == "threads":
        return f"https://www.threads.net/@{_HANDLE}/post/{_token(rng, 11)}"
    if platform == "facebook":
        return f"https://www.facebook.com/{account}/posts/{digits}"
    if platform == "instagram":
        return f"https://www.instagram.com/p/{_token(rng, 11)}/"
    if platform == "linkedin":
        return f"https://www.linkedin.com/feed/update/urn:li:activity:{digits}/"
    if platform == "tiktok":
        return f"https://www.tiktok.com/@{_HANDLE}/video/{digits}"
    if platform == "youtube":
        return f"https://youtube.com/shorts/{_token(rng, 11)}"
    if platform == "snapchat":
        return f"https://www.snapchat.com/spotlight/{_token(rng, 22)}"
    return f"https://{platform}.example/{_HANDLE}/{digits}"


def run_error(
    rng: random.Random, kind: str, platform: str, account: str, at_ms: int, *, variant: int = -1
) -> dict[str, Any]:
    """The ``error`` object of a failed run of the given catalogue kind."""
    by_platform = MESSAGES[kind]
    choices = by_platform.get(platform) or by_platform["*"]
    template, details = choices[variant % len(choices)] if variant >= 0 else rng.choice(choices)
    name = PLATFORM_NAMES.get(platform, platform)
    error: dict[str, Any] = {
        "status": CODE_STATUS[kind],  # Soku's own table (see core/catalog.py)
        "code": kind,
        "message": template.format(name=name, account=account),
        "requestId": request_id(rng),
        "timestamp": iso_ms(at_ms),
    }
    if details is not None:
        error["details"] = dict(details)
    return error


def derive_status(runs: Sequence[dict[str, Any]], *, scheduled: bool = False) -> str:
    """A submission's status from its runs, the way Soku's dashboard summarises them."""
    if scheduled:
        return "scheduled"
    statuses = [run.get("status") for run in runs]
    if "processing" in statuses:
        return "processing"
    if "queued" in statuses:
        return "queued"
    failed = statuses.count("failed")
    if failed and failed == len(statuses):
        return "failed"
    if failed:
        return "partially_failed"
    return "succeeded"


def has_failed_run(submission: dict[str, Any]) -> bool:
    runs = submission.get("runs")
    return isinstance(runs, list) and any(
        isinstance(run, dict) and run.get("status") == "failed" for run in runs
    )


# One run to build: (platform, account, run status, failure kind or None, attempt).
_RunSpec = tuple[str, str, str, str | None, int]


def _submission(
    rng: random.Random,
    *,
    updated_ms: int,
    runs: Sequence[_RunSpec],
    caption: str,
    media_type: str | None = None,
    scheduled_ms: int | None = None,
    created_ms: int | None = None,
    error_variant: int = -1,
) -> dict[str, Any]:
    """Build one submission whose latest change happened at ``updated_ms``."""
    sid = _uuid(rng)
    if created_ms is None:
        created_ms = updated_ms - _between(rng, 5_000, 10 * MINUTE_MS)
    platforms = [spec[0] for spec in runs]
    if media_type is None:
        if _VIDEO_ONLY.intersection(platforms):
            media_type = "video"
        else:
            media_type = _pick(rng, ("image", "image", "video", "text"))
    media_urls: list[str] = []
    if media_type != "text":
        extension = "mp4" if media_type == "video" else "jpg"
        media_urls = [f"https://cdn.acme-brand.example/media/{sid[:8]}.{extension}"]
    targets: list[Any] = []
    wire_runs: list[dict[str, Any]] = []
    last = len(runs) - 1
    for index, (platform, account, status, kind, attempt) in enumerate(runs):
        # The bare-string form of a target is only possible for the default account.
        if account == default_account(platform) and rng.random() < 0.5:
            targets.append(platform)
        else:
            targets.append({"platform": platform, "accountId": account})
        run_ms = updated_ms if index == last else _between(rng, created_ms, updated_ms)
        error = None
        if status == "failed" and kind is not None:
            error = run_error(rng, kind, platform, account, run_ms, variant=error_variant)
        wire_runs.append(
            {
                "targetId": f"{platform}:{account}",
                "platform": platform,
                "accountId": account,
                "status": status,
                "error": error,
                "attempt": attempt,
                "platformPostUrl": (
                    platform_post_url(rng, platform, account) if status == "succeeded" else None
                ),
                "updatedAt": iso_ms(run_ms),
            }
        )
    scheduled_iso = iso_ms(scheduled_ms) if scheduled_ms is not None else None
    return {
        "postSubmissionId": sid,
        "status": _status_for(wire_runs, scheduled_ms, updated_ms),
        "createdAt": iso_ms(created_ms),
        "updatedAt": iso_ms(updated_ms),
        "scheduledTime": scheduled_iso,
        "request": {
            "post": {
                "content": {
                    "text": caption,
                    "mediaType": media_type,
                    "mediaUrls": media_urls,
                    "platform": targets,
                }
            },
            "scheduledTime": scheduled_iso,
        },
        "runs": wire_runs,
    }


def _status_for(runs: Sequence[dict[str, Any]], scheduled_ms: int | None, updated_ms: int) -> str:
    pending = all(run["status"] == "queued" for run in runs)
    return derive_status(
        runs, scheduled=scheduled_ms is not None and scheduled_ms > updated_ms and pending
    )


def _random_targets(rng: random.Random) -> list[tuple[str, str]]:
    count = _pick(rng, (1, 1, 2, 2, 2, 3, 3, 4))
    platforms: list[str] = []
    while len(platforms) < count:
        platform = _pick(rng, PLATFORMS)
        if platform not in platforms:
            platforms.append(platform)
    return [(p, _pick(rng, PLATFORM_ACCOUNTS[p])) for p in platforms]


def _random_caption(rng: random.Random) -> str:
    return LONG_CAPTION if rng.random() < 0.03 else _pick(rng, CAPTIONS)


def failed_submission(rng: random.Random, *, updated_ms: int) -> dict[str, Any]:
    """A random submission with at least one failed run, last changed at ``updated_ms``."""
    targets = _random_targets(rng)
    variant = -1
    runs: list[_RunSpec] = []
    if rng.random() < 0.08:
        # Trial, billing and plan problems hit the whole account: every target fails.
        variant = rng.randrange(4)
        runs = [(p, a, "failed", "forbidden", 1) for p, a in targets]
    else:
        must_fail = int(rng.random() * len(targets))
        for index, (platform, account) in enumerate(targets):
            if index == must_fail or rng.random() < 0.3:
                kind = rng.choices(_FAILURE_KINDS, cum_weights=_FAILURE_CUM_WEIGHTS)[0]
                attempt = 2 if rng.random() < 0.1 else 1
                runs.append((platform, account, "failed", kind, attempt))
            else:
                runs.append((platform, account, "succeeded", None, 1))
    return _submission(
        rng,
        updated_ms=updated_ms,
        runs=runs,
        caption=_random_caption(rng),
        error_variant=variant,
    )


def _random_with_status(rng: random.Random, status: str, *, updated_ms: int) -> dict[str, Any]:
    runs: list[_RunSpec] = [(p, a, status, None, 1) for p, a in _random_targets(rng)]
    return _submission(rng, updated_ms=updated_ms, runs=runs, caption=_random_caption(rng))


# Hand-shaped submissions that guarantee coverage: (minutes ago, caption index, runs,
# extra). Runs read "platform/account=outcome[@attempt]", where outcome is a catalogue
# code (the run failed with it), "ok" (succeeded), "processing" or "queued".
_ARCHETYPES: Final[tuple[tuple[int, int, str, dict[str, Any]], ...]] = (
    (7, 0, "tiktok/tt_brand=unauthorized instagram/ig_brand_eu=ok", {}),
    (
        23,
        1,
        "instagram/ig_brand_us=validation_error facebook/fb_page_main=ok threads/threads_main=ok",
        {"media_type": "text"},
    ),
    (55, 9, "youtube/yt_channel_main=upload_failed x/x_primary=ok", {}),
    (95, 16, "linkedin/li_ceo=missing_account", {}),
    (
        140,
        13,
        "snapchat/snap_brand=bad_request x/x_primary=ok threads/threads_main=ok",
        {"media_type": "text"},
    ),
    (
        190,
        15,
        "x/x_primary=forbidden facebook/fb_page_de=forbidden instagram/ig_brand_eu=forbidden",
        {"error_variant": 0},  # trial ended
    ),
    (12, 14, "facebook/fb_page_main=internal_error threads/threads_main=ok x/x_support=ok", {}),
    (31, 2, "x/x_primary=internal_error threads/threads_main=internal_error", {}),
    (
        260,
        17,
        "youtube/yt_channel_main=forbidden tiktok/tt_shop=ok",
        {"error_variant": 2},  # not in the plan
    ),
    (75, 5, "instagram/ig_brand_eu=unauthorized facebook/fb_page_main=internal_error", {}),
    (
        330,
        -1,
        "linkedin/li_company_page=internal_error x/x_primary=validation_error",
        {"media_type": "text"},
    ),
    (2, 10, "tiktok/tt_shop=processing instagram/ig_brand_us=processing", {}),
    (1, 6, "youtube/yt_channel_main=queued", {}),
    (
        45,
        7,
        "instagram/ig_brand_eu=queued facebook/fb_page_de=queued",
        {"scheduled_in_minutes": 300},
    ),
    (400, 4, "threads/threads_main=internal_error instagram/ig_brand_us=upload_failed", {}),
    (610, 3, "tiktok/tt_brand=internal_error@2", {}),
    (880, 11, "youtube/yt_channel_main=unauthorized linkedin/li_company_page=ok", {}),
    (
        1300,
        7,
        "x/x_primary=forbidden facebook/fb_page_main=forbidden instagram/ig_brand_us=forbidden",
        {"error_variant": 1},  # payment failed
    ),
    (
        47,
        12,
        "x/x_primary=ok threads/threads_main=ok facebook/fb_page_main=ok "
        "instagram/ig_brand_eu=internal_error linkedin/li_company_page=internal_error "
        "tiktok/tt_brand=unauthorized youtube/yt_channel_main=upload_failed "
        "snapchat/snap_brand=validation_error",
        {},
    ),
    (2000, 8, "x/x_primary=ok threads/threads_main=ok facebook/fb_page_main=ok", {}),
    (
        160,
        0,
        "linkedin/li_company_page=queued x/x_primary=queued",
        {"scheduled_in_minutes": 1200},
    ),
    (2700, 0, "facebook/fb_page_de=internal_error@3", {}),
)


def _parse_runs(text: str) -> list[_RunSpec]:
    runs: list[_RunSpec] = []
    for item in text.split():
        target, _, outcome = item.partition("=")
        platform, _, account = target.partition("/")
        outcome, _, attempt = outcome.partition("@")
        if outcome == "ok":
            runs.append((platform, account, "succeeded", None, 1))
        elif outcome in ("processing", "queued"):
            runs.append((platform, account, outcome, None, 1))
        else:
            runs.append((platform, account, "failed", outcome, int(attempt or 1)))
    return runs


DEFAULT_SIZE: Final = 54


def _default_scenario(rng: random.Random, now_ms: int) -> Iterator[dict[str, Any]]:
    for minutes_ago, caption_index, run_text, extra in _ARCHETYPES:
        options = dict(extra)
        scheduled_in = options.pop("scheduled_in_minutes", None)
        updated_ms = now_ms - minutes_ago * MINUTE_MS - rng.randint(0, 59_999)
        scheduled_ms = now_ms + scheduled_in * MINUTE_MS if scheduled_in is not None else None
        yield _submission(
            rng,
            updated_ms=updated_ms,
            runs=_parse_runs(run_text),
            caption=LONG_CAPTION if caption_index < 0 else CAPTIONS[caption_index],
            scheduled_ms=scheduled_ms,
            **options,
        )
    for _ in range(DEFAULT_SIZE - len(_ARCHETYPES)):
        roll = rng.random()
        if roll < 0.55:
            yield failed_submission(rng, updated_ms=now_ms - _between(rng, MINUTE_MS, WINDOW_MS))
        elif roll < 0.85:
            updated_ms = now_ms - rng.randint(MINUTE_MS, WINDOW_MS)
            yield _random_with_status(rng, "succeeded", updated_ms=updated_ms)
        elif roll < 0.93:
            updated_ms = now_ms - rng.randint(5_000, 15 * MINUTE_MS)
            yield _random_with_status(rng, "processing", updated_ms=updated_ms)
        else:
            updated_ms = now_ms - rng.randint(MINUTE_MS, 6 * HOUR_MS)
            runs: list[_RunSpec] = [(p, a, "queued", None, 1) for p, a in _random_targets(rng)]
            yield _submission(
                rng,
                updated_ms=updated_ms,
                runs=runs,
                caption=_random_caption(rng),
                scheduled_ms=now_ms + rng.randint(HOUR_MS, 36 * HOUR_MS),
            )


def iter_scenario(
    posts: int | None = None, *, seed: int = 7, now: datetime
) -> Iterator[dict[str, Any]]:
    """Yield the scenario's submissions one at a time (same content as ``build_scenario``)."""
    rng = random.Random(seed)
    now_ms = to_ms(now)
    if posts is None:
        yield from _default_scenario(rng, now_ms)
        return
    if posts < 0:
        raise ValueError("posts must be 0 or more")
    for _ in range(posts):
        yield failed_submission(rng, updated_ms=now_ms - _between(rng, MINUTE_MS, WINDOW_MS))


def build_scenario(
    posts: int | None = None, *, seed: int = 7, now: datetime
) -> list[dict[str, Any]]:
    """Raw wire-format submissions: the default mix, or ``posts`` failed submissions."""
    return list(iter_scenario(posts, seed=seed, now=now))


# --- Life cycle after the scenario: created posts, settling runs, resolving failures ---


def new_submission(
    body: dict[str, Any],
    *,
    submission_id: str,
    targets: Sequence[tuple[str, str]],
    at_ms: int,
    scheduled_ms: int | None,
) -> dict[str, Any]:
    """A submission just created by ``POST /v1/posts``; its runs have not settled yet."""
    scheduled = scheduled_ms is not None and scheduled_ms > at_ms
    run_status = "queued" if scheduled else "processing"
    runs = [
        {
            "targetId": f"{platform}:{account}",
            "platform": platform,
            "accountId": account,
            "status": run_status,
            "error": None,
            "attempt": 1,
            "platformPostUrl": None,
            "updatedAt": iso_ms(at_ms),
        }
        for platform, account in targets
    ]
    return {
        "postSubmissionId": submission_id,
        "status": derive_status(runs, scheduled=scheduled),
        "createdAt": iso_ms(at_ms),
        "updatedAt": iso_ms(at_ms),
        "scheduledTime": iso_ms(scheduled_ms) if scheduled_ms is not None else None,
        "request": body,
        "runs": runs,
    }


def settle_submission(
    submission: dict[str, Any], *, at_ms: int, rng: random.Random, success_rate: float
) -> dict[str, Any]:
    """Finish every pending run: most succeed, the rest fail with a 500 (seeded)."""
    for run in submission["runs"]:
        if run.get("status") not in ("processing", "queued"):
            continue
        platform = str(run.get("platform"))
        account = str(run.get("accountId"))
        if rng.random() < success_rate:
            run["status"] = "succeeded"
            run["error"] = None
            run["platformPostUrl"] = platform_post_url(rng, platform, account)
        else:
            run["status"] = "failed"
            run["error"] = run_error(rng, "internal_error", platform, account, at_ms)
        run["updatedAt"] = iso_ms(at_ms)
    submission["status"] = derive_status(submission["runs"])
    submission["updatedAt"] = iso_ms(at_ms)
    return submission


def resolve_submission(
    submission: dict[str, Any], *, at_ms: int, rng: random.Random
) -> dict[str, Any]:
    """Someone fixed it and it published: every failed run becomes succeeded."""
    for run in submission.get("runs", []):
        if run.get("status") != "failed":
            continue
        run["status"] = "succeeded"
        run["error"] = None
        run["attempt"] = int(run.get("attempt") or 1) + 1
        run["platformPostUrl"] = platform_post_url(
            rng, str(run.get("platform")), str(run.get("accountId"))
        )
        run["updatedAt"] = iso_ms(at_ms)
    submission["status"] = derive_status(submission.get("runs", []))
    submission["updatedAt"] = iso_ms(at_ms)
    return submission


def touch_submission(submission: dict[str, Any], *, at_ms: int) -> dict[str, Any]:
    """The platform answered a failed run again, differently: its attempt goes up and a
    500 becomes a 502 (or anything else a 500), so the row visibly changes. Timestamps of
    the submission stay, so it keeps its place in a newest-first list (benchmarks change
    rows in place with this)."""
    for run in submission.get("runs", []):
        if run.get("status") != "failed":
            continue
        error = run.get("error") if isinstance(run.get("error"), dict) else {}
        was_500 = error.get("status") == 500
        run["error"] = {
            **error,
            "status": 502 if was_500 else 500,
            "code": "bad_gateway" if was_500 else "internal_error",
            "message": "The platform's gateway answered with an error; try again later."
            if was_500
            else "The platform had an internal error; a retry usually works.",
            "timestamp": iso_ms(at_ms),
        }
        run["attempt"] = int(run.get("attempt") or 1) + 1
        break
    return submission


def new_submission_id(rng: random.Random) -> str:
    return _uuid(rng)
