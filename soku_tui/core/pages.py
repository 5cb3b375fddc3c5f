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
entry is skipped and counted, the rest of the page stands). A page of ordinary size
(250 posts) is read on the event loop in a millisecond or two; a big body in a worker
thread (see ``SokuClient.iter_failed_pages``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter, ne
from typing import Any, Final

import orjson
from pydantic import ValidationError

from soku_tui.core.models import (
    Page,
    Submission,
    load_json,
    page_cursor,
    page_entries,
    validate_submission,
)
from soku_tui.core.page_layout import Walk, is_canonical, walk

_POST_ID: Final = itemgetter("postSubmissionId")
_ID_OF: Final = attrgetter("post_submission_id")


class _Unknown:
    """Stands for "no post with this fingerprint last poll" in the bulk lookups (its id
    equals no string, so the comparison stays one C loop)."""

    __slots__ = ()
    post_submission_id = None


_UNKNOWN: Final = _Unknown()
# The posts read from a page, how many entries were skipped, the posts' fingerprints
# (None when some post has none: such a body is not remembered), and every entry's JSON
# as orjson writes it (None when not made).
_Entries = tuple[list[Submission], int, tuple[int, ...] | None, list[bytes] | None]


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


# A post's fingerprint is the hash of its JSON as orjson writes it: the same server answer
# gives the same bytes (orjson keeps the keys' order). 64 bits: a collision is not a risk
# worth 50,000 stored bodies, and a post is reused only under its own id besides.
_hash_json = hash


def _fingerprint(raw: Any) -> int | None:
    try:
        return _hash_json(orjson.dumps(raw))
    except TypeError:  # lone surrogates have no UTF-8 form: always validate these
        return None


@dataclass(slots=True)
class _Reading:
    """What one poll read: each post's object, by the fingerprint of its JSON.

    Keyed by fingerprint, not by id: an int key costs nothing to hash, where looking up
    10,000 fresh id strings twice a poll cost more than validating the changed posts
    (measured: 7 ms of a 100 ms poll). A dict keyed by ints still refers to every post,
    so it is one container for a full collection to walk, not 50,000 pairs.
    """

    posts: dict[int, Submission] = field(default_factory=dict)
    # Whole bodies, by hash(bytes): an idle poll gets every page back byte for byte, and
    # then neither decoding nor fingerprinting its entries is needed.
    bodies: dict[int, _KnownBody] = field(default_factory=dict)
    # The poll's pages in order (None for one not remembered): a changed page is compared
    # with the same page of the last poll (see core/page_layout.py).
    pages: list[_KnownBody | None] = field(default_factory=list)


@dataclass(slots=True)
class _Decoded:
    """A body decoded by ``PageReader.decode``, with its bytes (to remember it by).

    ``read`` lets go of the JSON as soon as it is read: the thousands of objects it holds
    are freed while their memory is still in the CPU's cache, not later when the next
    page's JSON replaces them (measured: freeing them then cost as much as decoding).
    """

    content: bytes
    data: Any


@dataclass(frozen=True, slots=True)
class _KnownBody:
    """A body read in full by the last poll, the page it gave, and the fingerprint of
    each of the page's posts (in the page's order); with the byte size of each post's
    JSON when the body is in the form core/page_layout.py can walk."""

    key: int
    page: Page
    fingerprints: tuple[int, ...]
    sizes: tuple[int, ...] | None = None


@dataclass(slots=True)
class _Walked:
    """A body compared with the same page of the last poll (see ``PageReader.decode``)."""

    content: bytes
    walk: Walk
    previous: _KnownBody


class PageReader:
    """Reads the pages of one poll at a time; ``commit`` makes it the one to reuse from."""

    def __init__(self) -> None:
        self._previous = _Reading()
        self._current = _Reading()
        self.reused = 0
        self.validated = 0

    def begin(self) -> None:
        """Start reading a new poll."""
        self._current = _Reading()
        self.reused = self.validated = 0

    def commit(self) -> None:
        """The poll completed: its entries are what the next poll is compared with."""
        self._previous, self._current = self._current, _Reading()

    def abort(self) -> None:
        """The poll failed: keep comparing with the last complete one."""
        self._current = _Reading()

    def parse(self, content: bytes) -> Page:
        """One ``GET /v1/posts`` body (``{"items": …}`` or a bare list) as a :class:`Page`.

        Raises ``PageShapeError`` for JSON of the wrong shape and ``ValueError`` for
        malformed JSON, like :func:`soku_tui.core.models.parse_page`.
        """
        known = self.known(content)
        return known if known is not None else self.read(self.decode(content))

    def known(self, content: bytes) -> Page | None:
        """The page of a body the last poll received byte for byte (its posts become this
        poll's as they were), or None. Hashing the bytes is all it costs: an idle poll
        neither decodes nor fingerprints anything."""
        # hash() of the bytes: 64 bits, the same bet as the entries' fingerprints.
        body = self._previous.bodies.get(hash(content))
        if body is None:
            return None
        self._carry_over(body)
        return body.page

    def decode(self, content: bytes) -> Any:
        """The JSON of a body (``ValueError`` if malformed): the cheap first half of
        ``parse``, so the client learns the next cursor before the entries are read.

        When the same page of the last poll was in the canonical form, only the posts
        that are not where they were are decoded (see core/page_layout.py)."""
        pages = self._previous.pages
        index = len(self._current.pages)
        previous = pages[index] if index < len(pages) else None
        if previous is not None and previous.sizes is not None:
            items = previous.page.items
            walked = walk(
                content,
                previous.sizes,
                previous.fingerprints,
                [item.post_submission_id for item in items],
                _hash_json,
            )
            if walked is not None:
                return _Walked(content, walked, previous)
        return _Decoded(content, load_json(content))

    @staticmethod
    def next_cursor(data: Any) -> str | None:
        """The cursor of the page after ``data`` (decoded), if there is one."""
        if isinstance(data, _Walked):
            return page_cursor(data.walk.tail)
        return page_cursor(data.data if isinstance(data, _Decoded) else data)

    def read(self, data: Any) -> Page:
        """The entries of what ``decode`` returned; raises ``PageShapeError`` for the
        wrong shape."""
        if isinstance(data, _Walked):
            return self._read_walked(data)
        decoded, data.data = data.data, None
        page, fingerprints, dumped = self._read_entries(decoded)
        del decoded  # see _Decoded
        sizes = None
        if dumped is not None and is_canonical(data.content, dumped):
            sizes = tuple(map(len, dumped))
        self._remember(data.content, page, fingerprints, sizes)
        return page

    def _read_walked(self, walked: _Walked) -> Page:
        """A page whose unchanged posts were found in its bytes: those are last poll's
        objects, and only the posts between them are read."""
        found, previous = walked.walk, walked.previous
        counters = self.reused, self.validated
        read = self._read_well_formed(found.middle) if found.middle else ([], 0, (), [])
        fresh, skipped, fresh_prints, dumped = read if read is not None else ([], 1, None, None)
        if skipped or fresh_prints is None or dumped is None:
            # Entries that are not plain posts: read the page the ordinary way instead.
            self.reused, self.validated = counters
            return self.read(_Decoded(walked.content, load_json(walked.content)))
        kept, kept_prints = previous.page.items, previous.fingerprints
        kept_sizes = previous.sizes or ()
        items: list[Submission] = []
        prints: list[int] = []
        sizes: list[int] = []
        reused = 0
        taken = iter(zip(fresh, fresh_prints, map(len, dumped), strict=True))
        for index in found.order:
            if index < 0:
                item, fingerprint, size = next(taken)
            else:
                item, fingerprint, size = kept[index], kept_prints[index], kept_sizes[index]
                reused += 1
            items.append(item)
            prints.append(fingerprint)
            sizes.append(size)
        self._current.posts.update(zip(prints, items, strict=True))
        self.reused += reused
        page = Page(items=tuple(items), next_cursor=self.next_cursor(walked), skipped=0)
        # Each run of changed posts must be their orjson bytes too, for the next walk.
        start = 0
        canonical = True
        for region, count in zip(found.regions, found.counts, strict=True):
            canonical = canonical and b",".join(dumped[start : start + count]) == region
            start += count
        self._remember(walked.content, page, tuple(prints), tuple(sizes) if canonical else None)
        return page

    def _remember(
        self,
        content: bytes,
        page: Page,
        fingerprints: tuple[int, ...] | None,
        sizes: tuple[int, ...] | None,
    ) -> None:
        """Keep a page read in full for the next poll (in its place in the poll's order).
        A page with unreadable entries is not kept: it is always read again."""
        known = None
        if not page.skipped and fingerprints is not None:
            key = hash(content)
            known = _KnownBody(key, page, fingerprints, sizes)
            self._current.bodies[key] = known
        self._current.pages.append(known)

    def _carry_over(self, body: _KnownBody) -> None:
        """A page received again unchanged: its posts are this poll's, as they were."""
        current = self._current
        current.bodies[body.key] = body
        current.pages.append(body)
        current.posts.update(zip(body.fingerprints, body.page.items, strict=True))
        self.reused += len(body.page.items)

    def _read_entries(self, data: Any) -> tuple[Page, tuple[int, ...] | None, list[bytes] | None]:
        """The page, its posts' fingerprints (None if some post has none), and every
        entry's JSON as orjson writes it (None if not known)."""
        raw_items = page_entries(data)
        read = self._read_well_formed(raw_items)
        items, skipped, fingerprints, dumped = (
            read if read is not None else self._read_one_by_one(raw_items)
        )
        page = Page(items=tuple(items), next_cursor=self.next_cursor(data), skipped=skipped)
        return page, fingerprints, dumped

    def _read_well_formed(self, raw_items: list[Any]) -> _Entries | None:
        """The entries of a page where every one is an object with a string id and text
        that UTF-8 can hold (nearly every page), or None to read it one by one instead.

        Ids, fingerprints and lookups are C loops (map/compress): a poll of 10,000 posts
        that changed 1% spends its Python steps on the 100 changed posts only.
        """
        try:
            ids = list(map(_POST_ID, raw_items))
            dumped = list(map(orjson.dumps, raw_items))
        except (TypeError, KeyError):  # not an object, no id, a lone surrogate
            return None
        prints = list(map(_hash_json, dumped))
        if not all(map(str.__instancecheck__, ids)):
            return None
        posts: list[Any] = list(map(self._previous.posts.get, prints, repeat(_UNKNOWN)))
        # Reused only with the same id too: two posts' JSON hashing alike is as unlikely
        # as two versions of one post doing so, but this way it cannot cross posts.
        changed = list(map(ne, map(_ID_OF, posts), ids))
        skipped = 0
        for index in compress(range(len(ids)), changed):
            raw = raw_items[index]
            _share_strings(raw)
            try:
                posts[index] = validate_submission(raw)
            except ValidationError:
                posts[index] = None
                skipped += 1
        readable = list(map(is_not, posts, repeat(None)))
        self._current.posts.update(compress(zip(prints, posts, strict=True), readable))
        validated = sum(changed) - skipped
        self.validated += validated
        self.reused += len(ids) - validated - skipped
        items = list(compress(posts, readable))
        return items, skipped, tuple(compress(prints, readable)), dumped

    def _read_one_by_one(self, raw_items: list[Any]) -> _Entries:
        """Any page: each entry on its own (one that can't be read is skipped and counted)."""
        known = self._previous.posts
        current = self._current.posts
        items: list[Submission] = []
        prints: list[int] = []
        skipped = 0
        for raw in raw_items:
            post_id = raw.get("postSubmissionId") if isinstance(raw, dict) else None
            fingerprint = _fingerprint(raw) if isinstance(post_id, str) else None
            submission = known.get(fingerprint) if fingerprint is not None else None
            if submission is not None and submission.post_submission_id == post_id:
                self.reused += 1
            else:
                if isinstance(raw, dict):
                    _share_strings(raw)
                try:
                    submission = validate_submission(raw)
                except ValidationError:
                    skipped += 1
                    continue
                self.validated += 1
            if fingerprint is not None:
                current[fingerprint] = submission
                prints.append(fingerprint)
            items.append(submission)
        return items, skipped, tuple(prints) if len(prints) == len(items) else None, None


__all__ = ["PageReader"]
