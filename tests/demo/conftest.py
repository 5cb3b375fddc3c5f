from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from soku_tui.demo.server import DemoServer
from tests.demo.helpers import client_for


@pytest.fixture
def make_server() -> Iterator[Callable[..., DemoServer]]:
    """Start demo servers with custom options; all are stopped after the test."""
    servers: list[DemoServer] = []

    def make(**options: Any) -> DemoServer:
        options.setdefault("retry_settle_seconds", 0.2)
        server = DemoServer(**options).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def api(demo_server: DemoServer) -> Iterator[httpx.Client]:
    """An httpx client on the shared demo server, with the demo key."""
    with client_for(demo_server) as client:
        yield client
