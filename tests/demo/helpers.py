"""Small HTTP helpers for the demo-server tests (real sockets, no mocks)."""

from __future__ import annotations

import socket
from typing import Any

import httpx

from soku_tui.demo.server import DEMO_API_KEY, DemoServer


def client_for(
    server: DemoServer, *, key: str | None = DEMO_API_KEY, scheme: str = "header"
) -> httpx.Client:
    headers: dict[str, str] = {}
    if key is not None:
        if scheme == "bearer":
            headers["Authorization"] = f"Bearer {key}"
        else:
            headers["soku-api-key"] = key
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=10.0)


def walk(client: httpx.Client, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of GET /v1/posts across all pages, and the number of pages."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/posts", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        pages += 1
        cursor = page["nextCursor"]
        if not cursor:
            return items, pages


def create_body(
    text: str = "Launch day 🚀", platforms: list[Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "post": {
            "content": {
                "text": text,
                "mediaType": "image",
                "mediaUrls": ["https://cdn.example/launch.jpg"],
                "platform": platforms if platforms is not None else ["x", "threads"],
            }
        },
        **extra,
    }


def raw_request(server: DemoServer, path: str, *, key: str = DEMO_API_KEY) -> socket.socket:
    """Send a GET by hand and return the socket, to watch exactly what comes back."""
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    sock.sendall(
        f"GET {path} HTTP/1.1\r\nHost: demo\r\nsoku-api-key: {key}\r\n\r\n".encode("ascii")
    )
    return sock


def read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Read until the end of the headers: (head, body bytes received so far)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest
