"""Typed models of what Soku sends us.

Every model is tolerant: unknown fields are ignored, unknown status and platform
values are kept as plain strings (shown, never a crash), optional fields may be
missing, and a timestamp we cannot read becomes ``None`` instead of failing the
whole submission. A page in which a few submissions cannot be read at all still
yields the rest, with a count of the skipped ones (see :func:`parse_page`).

A monitor holds 50,000 of these for hours, so the per-post models (:class:`Submission`,
:class:`Run`, :class:`RunError`) are pydantic *dataclasses* with ``__slots__``: pydantic
still validates every one of them, but an instance is a slotted object instead of a
``BaseModel`` with its own ``__dict__`` and fields-set (~300 bytes less each, 4–5 per
post), and the rarely read create body is kept as its JSON bytes (``request_json``;
:attr:`Submission.request` decodes it on demand) instead of a tree of dicts (~1.6 KB a
post). ``model_validate`` / ``model_validate_json`` work on them as on a ``BaseModel``.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Self

import orjson
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic.alias_generators import to_camel
from pydantic.dataclasses import dataclass as pydantic_dataclass

from soku_tui.core.timestamps import parse_iso

# Statuses and platforms we know. Anything else is kept verbatim.
SUBMISSION_STATUSES: Final = (
    "queued",
    "scheduled",
    "processing",
    "succeeded",
    "partially_failed",
    "failed",
)
RUN_STATUSES: Final = ("queued", "processing", "succeeded", "failed", "cancelled")
PLATFORMS: Final = (
    "x",
    "threads",
    "facebook",
    "instagram",
    "linkedin",
    "tiktok",
    "youtube",
    "snapchat",
)
PLATFORM_NAMES: Final = {
    "x": "X",
    "threads": "Threads",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "linkedin": "LinkedIn",
    "tiktok": "TikTok",
    "youtube": "YouTube",
    "snapchat": "Snapchat",
}


def platform_name(platform: str) -> str:
    """Human name of a platform; an unknown one is shown as sent."""
    return PLATFORM_NAMES.get(platform, platform)


def _lenient_datetime(value: Any) -> datetime | None:
    """Parse ISO 8601 (or epoch seconds); anything unreadable becomes None."""
    if value is None or isinstance(value, datetime):
        return _as_utc(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        return _parse_iso_shared(value)
    return None


@functools.lru_cache(maxsize=64)
def _parse_iso_shared(text: str) -> datetime | None:
    # Within one post the same instant is usually sent several times (the last run's
    # updatedAt, its error's timestamp, the post's updatedAt): one datetime object for
    # all of them instead of one each (48 bytes). Datetimes are immutable; lru_cache is
    # thread-safe. A small cache is enough: repeats are close together on the wire.
    return parse_iso(text)


def _as_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _lenient_str(value: Any) -> str | None:
    """Keep strings; numbers become strings; anything else (objects, lists) is dropped."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    return None


def _lenient_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


LenientDatetime = Annotated[datetime | None, BeforeValidator(_lenient_datetime)]
LenientStr = Annotated[str | None, BeforeValidator(_lenient_str)]
LenientInt = Annotated[int | None, BeforeValidator(_lenient_int)]


class _Model(BaseModel):
    # camelCase on the wire, snake_case in Python; unknown fields ignored; frozen so a
    # snapshot can be shared between the poller and the screens without copies.
    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        extra="ignore",
        frozen=True,
    )


# The same rules for the per-post models, which are pydantic dataclasses (see the module
# docstring); ``frozen`` and ``slots`` are given to the decorator.
_WIRE: Final = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


_ADAPTERS: Final[dict[type[Any], TypeAdapter[Any]]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


class _Slotted:
    """Base of the per-post models: ``model_validate`` like a ``BaseModel``."""

    __slots__ = ()

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        result: Self = _adapter(cls).validate_python(data)
        return result

    @classmethod
    def model_validate_json(cls, data: bytes | str) -> Self:
        result: Self = _adapter(cls).validate_json(data)
        return result


def wire_names(cls: type[Any]) -> dict[str, str]:
    """Field name → the key it has on the wire, in declaration order (for ``doctor``)."""
    fields = getattr(cls, "__pydantic_fields__", None)
    if fields is None:  # a plain dataclass (Page)
        return {field.name: to_camel(field.name) for field in dataclasses.fields(cls)}
    return {name: info.alias or name for name, info in fields.items()}


def _request_json(value: Any) -> bytes | None:
    """The create body as compact JSON bytes; anything but an object is dropped (the post
    is still shown, a retry says the request isn't stored)."""
    if isinstance(value, bytes):  # already encoded: dataclasses.replace, a copy
        return value
    if not isinstance(value, dict):
        return None
    try:
        # A copy of exactly the right size: orjson's own result keeps the ~4 KB buffer it
        # wrote into (measured: 4,120 bytes held per ~290-byte body).
        return memoryview(orjson.dumps(value)).tobytes()
    except TypeError:
        pass  # lone surrogates or an integer beyond 64 bits: the stdlib writes both
    try:
        return json.dumps(value, separators=(",", ":"), default=str).encode()
    except (TypeError, ValueError):
        return None


@pydantic_dataclass(frozen=True, slots=True, config=_WIRE)
class RunError(_Slotted):
    """Why one platform run failed, as Soku reported it. ``message`` is untrusted text."""

    status: LenientInt = None
    code: LenientStr = None
    message: Annotated[str, BeforeValidator(lambda v: _lenient_str(v) or "")] = ""
    request_id: LenientStr = None
    timestamp: LenientDatetime = None


@pydantic_dataclass(frozen=True, slots=True, config=_WIRE)
class Run(_Slotted):
    """One platform target of a submission."""

    target_id: str
    platform: Annotated[str, BeforeValidator(lambda v: _lenient_str(v) or "unknown")] = "unknown"
    account_id: LenientStr = None
    status: Annotated[str, BeforeValidator(lambda v: _lenient_str(v) or "unknown")] = "unknown"
    error: RunError | None = None
    attempt: Annotated[int, BeforeValidator(lambda v: _lenient_int(v) or 1)] = 1
    platform_post_url: LenientStr = None
    updated_at: LenientDatetime = None

    @model_validator(mode="before")
    @classmethod
    def _derive_target_id(cls, data: Any) -> Any:
        # The contract says targetId is "<platform>:<accountId>"; rebuild it when absent
        # so a run missing only its key is still shown and retryable.
        if isinstance(data, dict) and not isinstance(data.get("targetId"), str):
            platform = _lenient_str(data.get("platform")) or "unknown"
            account = _lenient_str(data.get("accountId")) or ""
            data = {**data, "targetId": f"{platform}:{account}" if account else platform}
        return data

    @property
    def is_failed(self) -> bool:
        return self.status == "failed"

    @property
    def http_status(self) -> int | None:
        return self.error.status if self.error else None


class _WithFacts(_Slotted):
    # Not a field: where ``core.facts`` keeps what filters and sorts derive from a post,
    # so they live and die with it (a cache keyed by weak references cost ~280 bytes a
    # post more). Unset until first asked for.
    __slots__ = ("_facts",)


@pydantic_dataclass(frozen=True, slots=True, config=_WIRE)
class Submission(_WithFacts):
    """A post submission: one post sent to several platforms."""

    post_submission_id: str
    status: Annotated[str, BeforeValidator(lambda v: _lenient_str(v) or "unknown")] = "unknown"
    created_at: LenientDatetime = None
    updated_at: LenientDatetime = None
    scheduled_time: LenientDatetime = None
    # The original create body (wire key "request"), re-sent (narrowed) by a retry, kept as
    # its JSON bytes: read only for a retry, a caption or an export, and ~8x smaller than
    # the decoded dicts. :attr:`request` decodes it.
    request_json: Annotated[bytes | None, BeforeValidator(_request_json)] = Field(
        default=None, alias="request"
    )
    runs: tuple[Run, ...] = ()

    @property
    def request(self) -> dict[str, Any] | None:
        """The original create body, decoded: a new dict on every call (callers may change
        it; the post itself never changes)."""
        if self.request_json is None:
            return None
        value = load_json(self.request_json)
        return value if isinstance(value, dict) else None

    @property
    def failed_runs(self) -> tuple[Run, ...]:
        return tuple(run for run in self.runs if run.is_failed)

    @property
    def when(self) -> datetime | None:
        """The time a user thinks of as "when it happened"."""
        return self.updated_at or self.created_at

    @property
    def worst_status(self) -> int | None:
        """The most serious HTTP status among failed runs (5xx > 4xx; higher wins)."""
        statuses = [run.http_status for run in self.failed_runs if run.http_status]
        return max(statuses) if statuses else None

    def caption(self) -> str:
        """The post text from the stored request, or "" (untrusted; sanitise before showing)."""
        try:
            text = self.request["post"]["content"]["text"]  # type: ignore[index]
        except (KeyError, TypeError):
            return ""
        return text if isinstance(text, str) else ""

    def run(self, target_id: str) -> Run | None:
        for run in self.runs:
            if run.target_id == target_id:
                return run
        return None


class ApiErrorBody(_Model):
    """The ``error`` object of Soku's error envelope."""

    type: LenientStr = None
    code: LenientStr = None
    message: LenientStr = None
    timestamp: LenientStr = None
    request_id: LenientStr = None
    details: dict[str, Any] | None = None


class ErrorEnvelope(_Model):
    error: ApiErrorBody


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ``GET /v1/posts`` (built from validated submissions, never from JSON)."""

    items: tuple[Submission, ...] = ()
    next_cursor: str | None = None
    # Entries present on the wire that could not be read as a submission.
    skipped: int = 0


class CreateAnswer(_Model):
    post_submission_id: str


class _StrictPage(_Model):
    items: tuple[Submission, ...]  # required: {"data": 1} is the wrong shape, not an empty page
    next_cursor: str | None = None


_STRICT_PAGE: Final = TypeAdapter(_StrictPage)
_STRICT_LIST: Final = TypeAdapter(tuple[Submission, ...])
_SUBMISSION: Final = TypeAdapter(Submission)
# One entry of a page, already decoded, as a Submission (ValidationError if unreadable).
validate_submission: Final = _SUBMISSION.validate_python


class PageShapeError(ValueError):
    """The answer is JSON but not a page of submissions (neither {items} nor a list)."""


def parse_page(content: bytes) -> Page:
    """Parse a ``GET /v1/posts`` body: ``{"items": [...], "nextCursor": ...}`` or a bare list.

    Fast path: the whole page validated in one pydantic call from bytes. Only when that
    fails do we fall back to item-by-item validation, so one bad entry costs the page
    nothing but itself. Raises ``PageShapeError`` for JSON of the wrong shape and
    ``ValueError`` (orjson.JSONDecodeError) for malformed JSON.
    """
    stripped = content.lstrip()
    try:
        if stripped.startswith(b"["):
            return Page(items=_STRICT_LIST.validate_json(content))
        page = _STRICT_PAGE.validate_json(content)
        return Page(items=page.items, next_cursor=page.next_cursor)
    except ValidationError:
        pass
    data = load_json(content)
    return parse_page_data(data)


def load_json(content: bytes) -> Any:
    """orjson, or the stdlib parser for the valid JSON orjson refuses: a lone surrogate
    escape such as ``"\\ud800"`` (one hostile caption must not make a whole page
    unreadable; the sanitiser shows it as U+FFFD). Malformed JSON still raises."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def page_entries(data: Any) -> list[Any]:
    """The entries of a decoded page (``{"items": [...]}`` or a bare list), unread.
    Raises ``PageShapeError`` for any other JSON."""
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        items: list[Any] = data["items"]
        return items
    raise PageShapeError(
        "expected a JSON object with an 'items' list, or a JSON list of submissions"
    )


def page_cursor(data: Any) -> str | None:
    """The cursor of the page after a decoded page, if it names one."""
    cursor = data.get("nextCursor") if isinstance(data, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def parse_page_data(data: Any) -> Page:
    """Item-by-item validation of already-decoded JSON (the slow, forgiving path)."""
    items: list[Submission] = []
    skipped = 0
    for raw in page_entries(data):
        try:
            items.append(validate_submission(raw))
        except ValidationError:
            skipped += 1
    return Page(items=tuple(items), next_cursor=page_cursor(data), skipped=skipped)


def parse_submission(content: bytes) -> Submission:
    """Parse a ``GET /v1/posts/{id}`` body. Raises ``ValidationError`` if unreadable."""
    try:
        return _SUBMISSION.validate_json(content)
    except ValidationError as error:
        if error.errors()[0]["type"] != "json_invalid":
            raise
        try:
            data = load_json(content)  # lone surrogate escapes: see load_json
        except ValueError:
            raise error from None
        return _SUBMISSION.validate_python(data)


def parse_error_envelope(content: bytes) -> ApiErrorBody | None:
    """The error object of an error answer, or None if the body is not the envelope."""
    try:
        return ErrorEnvelope.model_validate_json(content).error
    except (ValidationError, ValueError):
        return None


__all__ = [
    "PLATFORMS",
    "PLATFORM_NAMES",
    "RUN_STATUSES",
    "SUBMISSION_STATUSES",
    "ApiErrorBody",
    "CreateAnswer",
    "ErrorEnvelope",
    "Page",
    "PageShapeError",
    "Run",
    "RunError",
    "Submission",
    "load_json",
    "page_cursor",
    "page_entries",
    "parse_error_envelope",
    "parse_page",
    "parse_page_data",
    "parse_submission",
    "platform_name",
    "validate_submission",
    "wire_names",
]
