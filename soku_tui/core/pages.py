"""Reading the pages of a poll, reusing what the previous poll already read.

A monitor polls the same 50,000 failed posts every 30 s, and almost all of them come
back unchanged. Validating each of them into models again costs ~10× the JSON parse
(and builds new objects, so every later stage would have to compare them field by
field). :class:`PageReader` parses a page with orjson, fingerprints each entry by its
JSON, and hands back the very same :class:`Submission` object as last time when the
fingerprint is unchanged; only new and changed entries are validated. Unchanged posts are
therefore ``is``-identical between polls, which the snapshot diff and the screen's row
cache rely on to skip them.

Validation is per entry, as in :func:`soku_tui.core.models.parse_page_data` (one bad
entry is skipped and counted, the rest of the page stands). ``parse`` is meant to run in
a worker thread (see ``SokuClient.iter_failed_pages``): it is a loop of small steps, so
the event loop gets the GIL back every few milliseconds while a big page is read.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Final

import orjson
from pydantic import TypeAdapter, ValidationError

from soku_tui.core.models import Page, PageShapeError, Run, RunError, Submission

_SUBMISSION: Final = TypeAdapter(Submission)


def _loads(content: bytes) -> Any:
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        # Valid JSON that orjson refuses (a lone surrogate escape): see models._loads.
        return json.loads(content)


# Short strings that repeat across thousands of posts (statuses, platforms, accounts, error
# codes and templated messages): one shared object each instead of one per post.
_RUN_STRINGS: Final = ("status", "platform", "accountId", "targetId")
_ERROR_STRINGS: Final = ("code", "message")
_MAX_SHARED: Final = 300


def _share_strings(raw: dict[str, Any]) -> None:
    status = raw.get("status")
    if isinstance(status, str):
        raw["status"] = sys.intern(status)
    runs = raw.get("runs")
    if not isinstance(runs, list):
        return
    for run in runs:
        if not isinstance(run, dict):
            continue
        for key in _RUN_STRINGS:
            value = run.get(key)
            if isinstance(value, str) and len(value) <= _MAX_SHARED:
                run[key] = sys.intern(value)
        error = run.get("error")
        if isinstance(error, dict):
            for key in _ERROR_STRINGS:
                value = error.get(key)
                if isinstance(value, str) and len(value) <= _MAX_SHARED:
                    error[key] = sys.intern(value)


# Pydantic gives every model instance its own set of the names of the fields that were
# set (~650 bytes each; 4–5 models per post). Nothing here reads it (it matters only to
# model_dump(exclude_unset=True)), and our models are frozen, so nothing adds to it: one
# shared set per class holds 3 KB per post, 150 MB at 50,000 posts (measured).
_ALL_FIELDS: Final = {cls: set(cls.model_fields) for cls in (Submission, Run, RunError)}


def _share_fields_set(submission: Submission) -> None:
    object.__setattr__(submission, "__pydantic_fields_set__", _ALL_FIELDS[Submission])
    for run in submission.runs:
        object.__setattr__(run, "__pydantic_fields_set__", _ALL_FIELDS[Run])
        if run.error is not None:
            object.__setattr__(run.error, "__pydantic_fields_set__", _ALL_FIELDS[RunError])


def _fingerprint(raw: Any) -> int | None:
    try:
        # Same server answer → same bytes (orjson keeps the keys' order). hash() of the
        # bytes is 64 bits: a collision between two versions of one post is not a risk
        # worth 50,000 stored bodies.
        return hash(orjson.dumps(raw))
    except TypeError:  # lone surrogates have no UTF-8 form: always validate these
        return None


class PageReader:
    """Reads the pages of one poll at a time; ``commit`` makes it the one to reuse from."""

    def __init__(self) -> None:
        self._previous: dict[str, tuple[int, Submission]] = {}
        self._current: dict[str, tuple[int, Submission]] = {}
        self.reused = 0
        self.validated = 0

    def begin(self) -> None:
        """Start reading a new poll."""
        self._current = {}
        self.reused = self.validated = 0

    def commit(self) -> None:
        """The poll completed: its entries are what the next poll is compared with."""
        self._previous, self._current = self._current, {}

    def abort(self) -> None:
        """The poll failed: keep comparing with the last complete one."""
        self._current = {}

    def parse(self, content: bytes) -> Page:
        """One ``GET /v1/posts`` body (``{"items": …}`` or a bare list) as a :class:`Page`.

        Raises ``PageShapeError`` for JSON of the wrong shape and ``ValueError`` for
        malformed JSON, like :func:`soku_tui.core.models.parse_page`.
        """
        data = _loads(content)
        cursor: Any = None
        if isinstance(data, list):
            raw_items: list[Any] = data
        elif isinstance(data, dict) and isinstance(data.get("items"), list):
            raw_items = data["items"]
            cursor = data.get("nextCursor")
        else:
            raise PageShapeError(
                "expected a JSON object with an 'items' list, or a JSON list of submissions"
            )
        previous = self._previous
        current = self._current
        items: list[Submission] = []
        skipped = 0
        for raw in raw_items:
            post_id = raw.get("postSubmissionId") if isinstance(raw, dict) else None
            fingerprint = _fingerprint(raw) if isinstance(post_id, str) else None
            known = previous.get(post_id) if fingerprint is not None else None  # type: ignore[arg-type]
            if known is not None and known[0] == fingerprint:
                submission = known[1]
                self.reused += 1
            else:
                if isinstance(raw, dict):
                    _share_strings(raw)
                try:
                    submission = _SUBMISSION.validate_python(raw)
                except ValidationError:
                    skipped += 1
                    continue
                _share_fields_set(submission)
                self.validated += 1
            if fingerprint is not None:
                current[submission.post_submission_id] = (fingerprint, submission)
            items.append(submission)
        return Page(
            items=tuple(items),
            next_cursor=cursor if isinstance(cursor, str) and cursor else None,
            skipped=skipped,
        )


__all__ = ["PageReader"]
