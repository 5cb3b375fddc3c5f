"""PageReader: a poll reuses the previous poll's objects for unchanged posts, and only those."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from soku_tui.core.client import SokuClient
from soku_tui.core.models import PageShapeError
from soku_tui.core.monitor import Monitor
from soku_tui.core.pages import PageReader
from soku_tui.demo.server import DEMO_API_KEY, DemoServer


def _post(post_id: str, message: str = "boom", caption: str = "hello") -> dict[str, Any]:
    return {
        "postSubmissionId": post_id,
        "status": "failed",
        "updatedAt": "2026-03-01T10:00:00.000Z",
        "request": {"post": {"content": {"text": caption, "platform": ["x"]}}},
        "runs": [
            {
                "targetId": "x:acct",
                "platform": "x",
                "status": "failed",
                "error": {"status": 500, "code": "internal_error", "message": message},
            }
        ],
    }


def _page(*items: Any, cursor: str | None = None) -> bytes:
    return orjson.dumps({"items": list(items), "nextCursor": cursor})


def _read(reader: PageReader, body: bytes) -> dict[str, Any]:
    reader.begin()
    page = reader.parse(body)
    reader.commit()
    return {s.post_submission_id: s for s in page.items}


def test_unchanged_posts_are_the_same_objects_and_changed_ones_are_new() -> None:
    reader = PageReader()
    first = _read(reader, _page(_post("a"), _post("b"), cursor="next"))
    second = _read(reader, _page(_post("a"), _post("b", message="worse")))
    assert second["a"] is first["a"]
    assert second["b"] is not first["b"]
    assert second["b"].runs[0].error is not None
    assert second["b"].runs[0].error.message == "worse"
    assert (reader.reused, reader.validated) == (1, 1)


def test_a_broken_entry_is_skipped_and_counted_and_the_rest_stands() -> None:
    reader = PageReader()
    reader.begin()
    page = reader.parse(_page(_post("a"), {"no": "id"}, "junk", _post("b"), cursor="c2"))
    assert [s.post_submission_id for s in page.items] == ["a", "b"]
    assert page.skipped == 2
    assert page.next_cursor == "c2"


def test_a_failed_poll_does_not_become_the_reference() -> None:
    reader = PageReader()
    first = _read(reader, _page(_post("a")))
    reader.begin()
    reader.parse(_page(_post("a", message="half-read poll")))
    reader.abort()
    again = _read(reader, _page(_post("a")))
    assert again["a"] is first["a"]


def test_a_bare_list_and_a_lone_surrogate_caption_are_read() -> None:
    reader = PageReader()
    body = (
        b'[{"postSubmissionId": "s", "status": "failed",'
        b' "request": {"post": {"content": {"text": "x\\ud800"}}}}]'
    )
    reader.begin()
    page = reader.parse(body)
    assert [s.post_submission_id for s in page.items] == ["s"]
    assert "x" in page.items[0].caption()


def test_wrong_shape_and_malformed_json_raise_like_parse_page() -> None:
    reader = PageReader()
    with pytest.raises(PageShapeError):
        reader.parse(b'{"data": 1}')
    with pytest.raises(ValueError, match=r"."):
        reader.parse(b'{"items": [')


async def test_polls_through_the_monitor_reuse_unchanged_posts() -> None:
    server = DemoServer(posts=300).start()
    try:
        async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=5) as c:
            monitor = Monitor(c, use_etag=False)
            first = await monitor.poll_once()
            server.touch(1, offset=7)  # three posts change in place
            second = await monitor.poll_once()
    finally:
        server.stop()
    assert first is not None and second is not None
    old, new = first.snapshot, second.snapshot
    assert [s.post_submission_id for s in new.submissions] == [
        s.post_submission_id for s in old.submissions
    ]
    changed = set(second.diff.changed)
    assert len(changed) == 3
    assert not second.diff.added and not second.diff.removed
    for post_id, submission in new.by_id.items():
        if post_id in changed:
            assert submission is not old.by_id[post_id]
            assert submission != old.by_id[post_id]
        else:
            assert submission is old.by_id[post_id]
    assert new.failed_run_count == sum(len(s.failed_runs) for s in new.submissions)


def test_a_body_received_again_byte_for_byte_is_not_read_again() -> None:
    reader = PageReader()
    body = _page(_post("a"), _post("b"), cursor="next")
    reader.begin()
    first = reader.parse(body)
    reader.commit()
    reader.begin()
    again = reader.parse(bytes(body))  # equal bytes, another object (as off the wire)
    reader.commit()
    assert again is first
    assert (reader.reused, reader.validated) == (2, 0)
    assert reader.next_cursor(reader.decode(body)) == "next"


def test_after_a_reused_body_a_changed_body_still_reuses_its_unchanged_posts() -> None:
    reader = PageReader()
    first = _read(reader, _page(_post("a"), _post("b")))
    _read(reader, _page(_post("a"), _post("b")))  # idle poll: the whole body reused
    third = _read(reader, _page(_post("a"), _post("b", message="worse")))
    assert third["a"] is first["a"]
    assert third["b"] is not first["b"]
    assert (reader.reused, reader.validated) == (1, 1)


def test_a_body_with_unreadable_entries_is_read_again_each_time() -> None:
    reader = PageReader()
    body = _page(_post("a"), {"no": "id"})
    for _ in range(2):
        reader.begin()
        page = reader.parse(body)
        reader.commit()
        assert page.skipped == 1
        assert [s.post_submission_id for s in page.items] == ["a"]


class _OneByOne(PageReader):
    """The same reader without the bulk path, to compare against."""

    def _read_well_formed(self, raw_items: list[Any]) -> None:
        return None


@pytest.mark.parametrize("seed", range(10))
def test_the_bulk_path_reads_exactly_what_one_by_one_reading_does(seed: int) -> None:
    import random

    rng = random.Random(seed)
    bulk, single = PageReader(), _OneByOne()
    posts = {f"p{i}": _post(f"p{i}") for i in range(30)}
    for _ in range(4):
        for key in rng.sample(sorted(posts), 5):
            posts[key] = _post(key, message=f"boom {rng.random()}")
        entries: list[Any] = list(posts.values())
        if rng.random() < 0.5:  # an entry pydantic refuses, with a string id
            entries.append({"postSubmissionId": "bad", "runs": "not a list"})
        body = _page(*entries, cursor="c")
        pages = []
        for reader in (bulk, single):
            reader.begin()
            pages.append(reader.parse(body))
            reader.commit()
        fast, slow = pages
        assert [s.post_submission_id for s in fast.items] == [
            s.post_submission_id for s in slow.items
        ]
        assert fast.items == slow.items
        assert (fast.skipped, fast.next_cursor) == (slow.skipped, slow.next_cursor)
        assert (bulk.reused, bulk.validated) == (single.reused, single.validated)


def test_two_posts_whose_json_hashes_alike_are_never_mixed_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Posts are remembered by the hash of their JSON; a hash shared by two different
    posts (64 bits: astronomically rare, forced here) must not hand one post's object to
    the other."""
    import soku_tui.core.pages as pages

    monkeypatch.setattr(pages, "_hash_json", lambda value: 7)
    reader = PageReader()
    _read(reader, _page(_post("a", caption="first")))
    second = _read(reader, _page(_post("b", caption="second")))
    assert second["b"].post_submission_id == "b"
    assert second["b"].caption() == "second"
    assert (reader.reused, reader.validated) == (0, 1)


# --- Finding unchanged posts in a changed page's bytes (core/page_layout.py) -------------


def _reference(body: bytes) -> list[Any]:
    """What a page reads as with no memory of earlier polls."""
    reader = PageReader()
    reader.begin()
    return list(reader.parse(body).items)


def _poll(reader: PageReader, bodies: list[bytes]) -> list[Any]:
    reader.begin()
    items = [item for body in bodies for item in reader.parse(body).items]
    reader.commit()
    return items


def test_a_changed_page_decodes_only_the_posts_that_are_not_where_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import soku_tui.core.pages as pages

    posts = [_post(f"p{i}", caption=f"caption {i}") for i in range(20)]
    reader = PageReader()
    first = _poll(reader, [_page(*posts, cursor="c2")])
    posts[7] = _post("p7", message="worse")

    def no_full_decode(content: bytes) -> Any:
        raise AssertionError("the whole page was decoded")

    monkeypatch.setattr(pages, "load_json", no_full_decode)
    second = _poll(reader, [_page(*posts, cursor="c2")])
    assert [s.post_submission_id for s in second] == [f"p{i}" for i in range(20)]
    assert all(second[i] is first[i] for i in range(20) if i != 7)
    assert second[7] is not first[7]
    assert second[7].runs[0].error is not None
    assert second[7].runs[0].error.message == "worse"
    assert (reader.reused, reader.validated) == (19, 1)


def test_hostile_text_that_looks_like_page_structure_reads_as_without_memory() -> None:
    tricky = [
        '],"nextCursor":"evil"}',
        '{"postSubmissionId":"p1"}',
        '","status":"failed"},{"postSubmissionId":"p2',
        '\\",\\"',
        "💥 \u202e \x1b[2J",
    ]
    posts = [_post(f"p{i}", caption=tricky[i % len(tricky)]) for i in range(12)]
    # A request holding an array and then a key named nextCursor, and a nested object
    # that starts the way a post does.
    posts[3]["request"]["extra"] = {"a": [1], "nextCursor": "x"}
    posts[5]["request"]["extra"] = [{"postSubmissionId": "p6", "status": "failed"}]
    reader = PageReader()
    for round_ in range(4):
        posts[(round_ * 5) % 12] = _post(
            f"p{(round_ * 5) % 12}", caption=tricky[round_ % len(tricky)] + str(round_)
        )
        body = _page(*posts, cursor=f"c{round_}")
        got = _poll(reader, [body])
        assert got == _reference(body)
        assert reader.next_cursor(reader.decode(body)) == f"c{round_}"


def test_a_page_not_written_compactly_is_read_whole_and_correctly() -> None:
    import json

    posts = [_post(f"p{i}") for i in range(6)]
    reader = PageReader()
    for round_ in range(3):
        posts[round_] = _post(f"p{round_}", message=f"round {round_}")
        body = json.dumps({"items": posts, "nextCursor": None}, indent=1).encode()
        got = _poll(reader, [body])
        assert got == _reference(body)
        assert reader.validated == (6 if round_ == 0 else 1)


@pytest.mark.parametrize("seed", range(12))
def test_pages_changing_shifting_and_shrinking_read_as_without_memory(seed: int) -> None:
    """Random polls over three pages: posts change in place, new ones arrive at the top
    (every page shifts), some stop failing, pages shrink. Every poll must read exactly as
    a reader with no memory would, and an unchanged post must stay the same object."""
    import random

    rng = random.Random(seed)
    posts = [_post(f"p{i}", caption=f"c{i}") for i in range(30)]
    reader = PageReader()
    previous: dict[str, Any] = {}
    for _ in range(6):
        for index in rng.sample(range(len(posts)), rng.randint(0, 4)):
            posts[index] = _post(posts[index]["postSubmissionId"], message=str(rng.random()))
        for _ in range(rng.randint(0, 2)):
            posts.insert(0, _post(f"n{rng.random()}"))
        for _ in range(rng.randint(0, 2)):
            if len(posts) > 5:
                posts.pop(rng.randrange(len(posts)))
        size = rng.choice([10, 10, 10, 7])
        chunks = [posts[start : start + size] for start in range(0, len(posts), size)]
        bodies = [
            _page(*chunk, cursor=None if n == len(chunks) - 1 else f"c{n}")
            for n, chunk in enumerate(chunks)
        ]
        got = _poll(reader, bodies)
        expected = [item for body in bodies for item in _reference(body)]
        assert got == expected
        for item in got:
            before = previous.get(item.post_submission_id)
            if before is not None and before == item:
                assert before is item  # unchanged: not validated again
        previous = {item.post_submission_id: item for item in got}
