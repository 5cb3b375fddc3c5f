"""Finding last poll's unchanged posts in a page body without decoding them.

A poll of 10,000 posts where 1% changed gets every page back with one post different;
decoding all 250 posts of each page to find that one cost 3-4× the plain JSON parse.
But when the API writes its pages the way orjson would (compact, keys in order — the
demo server does, and so does a typical ``JSON.stringify`` API), each post is a run of
bytes whose length and hash the last poll already knows. So a page is compared with the
same page of the last poll from both ends: a post whose bytes sit where they sat and
hash as they hashed is unchanged; whatever is left between is decoded, and only that.

Nothing here is assumed without being checked: a page is remembered this way only if
its bytes are exactly ``HEAD`` + the posts' orjson bytes joined by commas + ``TAIL``…
(see :func:`is_canonical`), a post is taken as unchanged only if its bytes hash to its
fingerprint at the right place and hold its id, and anything unexpected returns None,
which means: decode the whole page as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

__all__ = ["HEAD", "TAIL", "Walk", "is_canonical", "walk"]

HEAD: Final = b'{"items":['
TAIL: Final = b'],"nextCursor":'
_COMMA: Final = ord(",")


@dataclass(frozen=True, slots=True)
class Walk:
    """A page compared with the same page of the last poll, in the page's order: each
    entry of ``order`` is the index of one of last poll's posts found unchanged, or -1
    for the next post of ``middle`` (the decoded JSON of what is new or changed, read
    from the byte runs ``regions``, ``counts[k]`` posts from ``regions[k]``)."""

    order: list[int]
    middle: list[Any]
    regions: list[bytes]
    counts: list[int]
    tail: dict[str, Any]  # what follows the posts: {"nextCursor": …}


def is_canonical(content: bytes, dumped: Sequence[bytes]) -> bool:
    """Whether ``content`` is exactly HEAD, ``dumped`` joined by commas, and TAIL…: the
    form :func:`walk` can find each post in again."""
    if not content.startswith(HEAD):
        return False
    joined = b",".join(dumped)
    end = len(HEAD) + len(joined)
    return memoryview(content)[len(HEAD) : end] == joined and content.startswith(TAIL, end)


# How many of last poll's posts after a changed one are looked for by id before the rest
# of the page is simply decoded (a post that stopped failing, or a few new ones).
RESYNC: Final = 4


def walk(
    content: bytes,
    sizes: Sequence[int],
    prints: Sequence[int],
    ids: Sequence[str],
    hash_json: Callable[[Any], int],
) -> Walk | None:
    """Compare ``content`` with last poll's page, whose posts had these byte ``sizes``,
    fingerprints (``hash_json`` of their bytes) and ``ids``, in order. None if the body
    is not in the canonical form or is not JSON where it must be."""
    if not content.startswith(HEAD):
        return None
    close = content.rfind(TAIL)  # the ']' ending the posts (no string holds a bare '"')
    if close < len(HEAD):
        return None
    try:
        tail = orjson.loads(b"{" + content[close + 2 :])  # '{"nextCursor":…}'
    except orjson.JSONDecodeError:
        return None
    if not isinstance(tail, dict):
        return None
    view = memoryview(content)

    def found_at(begin: int, index: int) -> bool:
        """Last poll's post ``index``, byte for byte, starting at ``begin``."""
        end = begin + sizes[index]
        return (
            end <= close
            and (end == close or content[end] == _COMMA)
            and hash_json(view[begin:end]) == prints[index]
            and content.find(b'"' + ids[index].encode() + b'"', begin, end) >= 0
        )

    def resync(start: int, first: int) -> tuple[int, int] | None:
        """Where one of the next few known posts starts again after ``start``: (its
        index, the comma before it). Posts are found by their id right after '{': a
        bare '"' cannot be inside a string, and a match must still be byte-exact."""
        for index in range(first, min(first + RESYNC, len(sizes))):
            needle = b',{"postSubmissionId":"' + ids[index].encode() + b'"'
            comma = content.find(needle, start, close)
            while comma >= 0:
                if found_at(comma + 1, index):
                    return index, comma
                comma = content.find(needle, comma + 1, close)
        return None

    order: list[int] = []
    spans: list[tuple[int, int]] = []
    start = len(HEAD)  # where the next post begins
    index = 0  # the next of last poll's posts to look for
    while start < close:
        if index < len(sizes) and found_at(start, index):
            order.append(index)
            start += sizes[index] + 1
            index += 1
            continue
        again = resync(start, index)
        end = again[1] if again is not None else close
        if end <= start:
            return None
        spans.append((start, end))
        order.append(-1)  # expanded below, once the run's posts are counted
        if again is None:
            break
        index, start = again[0], end + 1
    regions = [content[begin:end] for begin, end in spans]
    middle: list[Any] = []
    counts: list[int] = []
    try:
        for region in regions:
            run = orjson.loads(b"[" + region + b"]")
            middle.extend(run)
            counts.append(len(run))
    except orjson.JSONDecodeError:
        return None  # not a run of posts (or text orjson refuses): decode it all
    expanded: list[int] = []
    runs = iter(counts)
    for entry in order:
        if entry >= 0:
            expanded.append(entry)
        else:
            expanded.extend([-1] * next(runs))
    return Walk(expanded, middle, regions, counts, tail)
