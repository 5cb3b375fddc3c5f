"""The pipelined listing: the next page is requested while this one is read, and nothing
is requested twice, left running, or lost when reading stops early."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from soku_tui.core.client import SokuClient
from soku_tui.core.errors import SokuBadResponse
from soku_tui.core.models import Page, PageShapeError
from soku_tui.core.pages import PageReader
from soku_tui.demo.server import DEMO_API_KEY, DemoServer

PAGE = 50


@pytest.fixture
def server() -> Any:
    with DemoServer(posts=420, read_limit_per_minute=10_000) as running:
        yield running


def _list_requests(server: DemoServer) -> int:
    return int(server.stats()["requests"].get("list", 0))


async def test_pipelined_pages_match_the_plain_listing_and_cost_no_extra_request(
    server: DemoServer,
) -> None:
    async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=10) as client:
        plain = await client.list_failed(page_size=PAGE)
        before = _list_requests(server)
        ids: list[str] = []
        numbers: list[int] = []
        async for result in client.iter_failed_pages(page_size=PAGE, parser=PageReader()):
            ids.extend(s.post_submission_id for s in result.page.items)
            numbers.append(result.number)
        requests = _list_requests(server) - before
    assert ids == [s.post_submission_id for s in plain.submissions]
    assert len(ids) == server.stats()["failedSubmissions"] > 2 * PAGE
    assert numbers == list(range(1, len(numbers) + 1))
    assert requests == len(numbers) == plain.pages


class _BreaksOnPage(PageReader):
    """A reader whose ``read`` finds the second page of the wrong shape."""

    def __init__(self) -> None:
        super().__init__()
        self.pages = 0

    def read(self, data: Any) -> Page:
        self.pages += 1
        if self.pages == 2:
            raise PageShapeError("not a page")
        return super().read(data)


async def test_a_bad_page_mid_listing_raises_and_leaves_no_request_running(
    server: DemoServer,
) -> None:
    async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=10) as client:
        seen: list[int] = []

        async def read_all() -> None:
            async for result in client.iter_failed_pages(page_size=PAGE, parser=_BreaksOnPage()):
                seen.append(result.number)

        with pytest.raises(SokuBadResponse, match="wrong shape"):
            await read_all()
        await asyncio.sleep(0.05)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert seen == [1]
    assert others == []  # the third page, requested while the second was read, was cancelled


async def test_stopping_after_the_first_page_cancels_the_request_for_the_second(
    server: DemoServer,
) -> None:
    async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=10) as client:
        pages = client.iter_failed_pages(page_size=PAGE, parser=PageReader())
        first = await anext(pages)
        await pages.aclose()
        await asyncio.sleep(0.05)
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        assert others == []
        # The connection is still usable afterwards.
        again = await client.list_failed(page_size=PAGE)
    assert len(first.page.items) == PAGE
    assert len(again.submissions) > PAGE


class _ServerHangsAfterFirstPage(PageReader):
    """Decoding the first page switches on the demo's ``hang`` fault, so the request for
    the second page (sent while the first is read) gets no answer."""

    def __init__(self, server: DemoServer) -> None:
        super().__init__()
        self.server = server

    def decode(self, content: bytes) -> Any:
        if not self.server.faults.names():
            self.server.faults.set("hang", scope="list", seconds=60)
        return super().decode(content)


async def test_stopping_early_does_not_wait_for_a_page_nobody_will_read(
    server: DemoServer,
) -> None:
    async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=60) as client:
        pages = client.iter_failed_pages(page_size=PAGE, parser=_ServerHangsAfterFirstPage(server))
        first = await anext(pages)
        # Liveness, not speed: without the cancel this waits out the 60 s hang.
        async with asyncio.timeout(10):
            await pages.aclose()
        server.faults.clear()
        again = await client.list_failed(page_size=PAGE)
    assert len(first.page.items) == PAGE
    assert len(again.submissions) > PAGE


async def test_a_long_listing_waits_out_a_spent_read_budget_instead_of_overrunning_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Loading many pages on a small read budget: when the API says none is left, the
    next page waits for the window to reset (every page arrives; no 429 on the way)."""
    import functools
    import time

    import soku_tui.demo.api as demo_api

    # A 2-second window instead of a minute, so the wait fits in a test.
    monkeypatch.setattr(
        demo_api, "SlidingWindow", functools.partial(demo_api.SlidingWindow, period=2.0)
    )
    with DemoServer(posts=120, read_limit_per_minute=3) as server:
        async with SokuClient(base_url=server.base_url, api_key=DEMO_API_KEY, timeout=10) as c:
            started = time.monotonic()
            pages = [
                result async for result in c.iter_failed_pages(page_size=20, parser=PageReader())
            ]
            took = time.monotonic() - started
        failed = server.stats()["failedSubmissions"]
    assert sum(len(result.page.items) for result in pages) == failed
    assert len(pages) > 3  # more pages than one window allows
    assert took >= 1.0  # it waited for the window at least once
