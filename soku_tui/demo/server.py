"""The embedded demo Soku API: a real HTTP server on 127.0.0.1 (stdlib only).

One fake API serves the demo, the tests and the benchmarks. It implements the contract;
the choices the contract leaves open are documented where they are made: the list ETag
(one per filtered result set, same on every page) in :mod:`.api`, keyset pagination
in :mod:`.store`, switchable misbehaviour in :mod:`.faults`. This module is the HTTP
plumbing around them:

* ``DemoServer`` — start in a background thread (port 0 picks a free port), ``stop()``
  (which doubles as "connection refused"; ``start()`` again re-opens the same port with
  the same data), ``tick()``, ``touch()``, ``faults``, ``created_count``.
* ``run_foreground`` / ``python -m soku_tui.demo.server`` — serve until Ctrl-C or SIGTERM.

The server never logs requests to stderr and never logs headers, so the key cannot leak
through it. Admin routes (``/_demo/faults``, ``/_demo/tick``, ``/_demo/touch``,
``/_demo/stats``) need no key: they exist only on this loopback demo.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Final, Literal, TextIO
from urllib.parse import parse_qs, urlsplit

from soku_tui.demo.api import AuthScheme, DemoApi, Request, Response, envelope
from soku_tui.demo.faults import Fault, FaultSet
from soku_tui.demo.scenario import iter_scenario
from soku_tui.demo.store import Store

DEMO_API_KEY: Final = "sk_live_demo"
MAX_REQUEST_BODY: Final = 1024 * 1024
_log = logging.getLogger("soku_tui.demo")
_SEND_ERROR_CODES: Final = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    408: "request_timeout",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    431: "headers_too_large",
    501: "not_implemented",
}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    # The stdlib default (5) resets connections when a burst of clients (a bulk retry,
    # racing monitors) connects at once.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], api: DemoApi, stopping: threading.Event) -> None:
        self.api = api
        self.stopping = stopping
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        # Keep-alive connections would otherwise go on being served after stop(), and a
        # stopped server must look like a dead one.
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; a vanished client is routine here.
        _log.debug("demo request failed", exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "SokuDemo/1.0"
    sys_version = ""
    timeout = 120  # an idle keep-alive connection is dropped after this
    # Headers and body go out in two writes; with Nagle on, the second waits ~40 ms for
    # the client's delayed ACK on every single answer.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        # Request line and status only, at debug level: never headers (the key is there).
        _log.debug("demo api: " + format, *args)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        # http.server calls this for malformed requests and unknown methods; answer with
        # Soku's JSON envelope rather than the stdlib's HTML page.
        self.close_connection = True
        try:
            phrase = HTTPStatus(code).phrase
        except ValueError:
            phrase = "Error"
        body = envelope(code, _SEND_ERROR_CODES.get(code, "error"), message or phrase)
        with contextlib.suppress(OSError):
            self.send_response(code, phrase)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

    # --- request ---

    def _serve(self) -> None:
        body = self._read_body()
        if body is None:
            return
        url = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=url.path,
            query=parse_qs(url.query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        api = self.server.api
        response = api.handle(request)
        if response.delivery == "hang":
            assert response.fault is not None
            if not self._hang(response.fault):
                self.close_connection = True
                return
            response = response.held or api.handle(request, allow_hang=False)
        self._send(response)

    def _read_body(self) -> bytes | None:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.send_error(411, "Send a Content-Length; chunked bodies are not supported.")
            return None
        length_text = self.headers.get("Content-Length")
        if not length_text:
            return b""
        try:
            length = int(length_text)
        except ValueError:
            self.send_error(400, "Content-Length is not a number.")
            return None
        if length < 0 or length > MAX_REQUEST_BODY:
            self.send_error(413, f"The request body is over {MAX_REQUEST_BODY} bytes.")
            return None
        return self.rfile.read(length)

    # --- response ---

    def _hang(self, fault: Fault) -> bool:
        """Hold the request. True when the fault was lifted, False to drop the connection."""
        faults = self.server.api.faults
        deadline = time.monotonic() + fault.param("seconds")
        while not faults.was_cleared(fault):
            if self.server.stopping.is_set() or self._client_gone():
                return False
            if time.monotonic() >= deadline:
                return False
            faults.wait(0.05)
        return True

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            for name, value in response.headers:
                self.send_header(name, value)
            if response.delivery == "unsized":
                self.send_header("Connection", "close")
                self.close_connection = True
            elif response.status != 304:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.status == 304:
                return
            if response.delivery == "reset":
                self._reset(response.body)
            elif response.delivery == "trickle":
                assert response.fault is not None
                self._trickle(response.body, response.fault)
            else:
                self.wfile.write(response.body)
        except OSError:  # the client went away mid-answer
            self.close_connection = True

    def _reset(self, body: bytes) -> None:
        self.wfile.write(body[: max(1, len(body) // 2)])
        # Linger 0 makes close() send RST, not FIN: the client sees a reset mid-body.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.connection.close()

    def _trickle(self, body: bytes, fault: Fault) -> None:
        delay = fault.param("delay")
        faults = self.server.api.faults
        for position in range(len(body)):
            if self.server.stopping.is_set():
                self.close_connection = True
                return
            if faults.was_cleared(fault):
                self.wfile.write(body[position:])  # the fault lifted: the rest at once
                return
            self.wfile.write(body[position : position + 1])
            time.sleep(delay)


def _shutdown_promptly(httpd: _HTTPServer) -> None:
    """``httpd.shutdown()`` without waiting out the poll interval: a connection to the
    listening socket wakes the serve loop, which then sees the shutdown request."""
    stopper = threading.Thread(target=httpd.shutdown, daemon=True)
    stopper.start()
    address = httpd.server_address[:2]
    while stopper.is_alive():
        with contextlib.suppress(OSError):
            socket.create_connection(address, timeout=0.2).close()  # type: ignore[arg-type]
        stopper.join(0.01)


def _default_clock(now: datetime | None) -> Callable[[], datetime]:
    if now is None:
        return lambda: datetime.now(UTC)
    # A fixed "now" anchors the scenario; time then moves on from it, so created posts
    # still settle.
    anchor = now if now.tzinfo else now.replace(tzinfo=UTC)
    started = time.monotonic()
    return lambda: anchor + timedelta(seconds=time.monotonic() - started)


class DemoServer:
    """The demo Soku API on 127.0.0.1, served from a background thread.

    ``with DemoServer().start() as server:`` … ``server.base_url``. All keyword options
    beyond the shared interface have defaults; ``clock`` overrides the server's time
    (a frozen clock never settles created posts), ``retry_success_rate`` sets how often a
    created run succeeds, ``auth_schemes`` limits the accepted auth headers.
    """

    def __init__(
        self,
        *,
        posts: int | None = None,
        seed: int = 7,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Iterable[str] = (DEMO_API_KEY,),
        now: datetime | None = None,
        retry_settle_seconds: float = 1.5,
        retry_success_rate: float = 0.85,
        auth_schemes: Iterable[AuthScheme] = ("header", "bearer"),
        faults: FaultSet | str | None = None,
        create_limit_per_minute: int = 30,
        read_limit_per_minute: int = 1200,
        reset_header_format: Literal["epoch", "iso"] = "epoch",
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        clock = clock or _default_clock(now)
        self.faults = faults if isinstance(faults, FaultSet) else FaultSet.from_spec(faults)
        self.store = Store(
            iter_scenario(posts, seed=seed, now=now or clock()),
            clock=clock,
            seed=seed,
            settle_seconds=retry_settle_seconds,
            success_rate=retry_success_rate,
        )
        self.api = DemoApi(
            self.store,
            self.faults,
            api_keys=api_keys,
            auth_schemes=auth_schemes,
            create_limit_per_minute=create_limit_per_minute,
            read_limit_per_minute=read_limit_per_minute,
            reset_header_format=reset_header_format,
        )
        self._host = host
        self._port = port
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._state_lock = threading.Lock()

    # --- life cycle ---

    def start(self) -> DemoServer:
        """Listen and serve in a daemon thread; returns self. Restarts on the same port."""
        with self._state_lock:
            if self._httpd is not None:
                return self
            httpd = _HTTPServer((self._host, self._port), self.api, threading.Event())
            self._port = int(httpd.server_address[1])
            thread = threading.Thread(
                target=httpd.serve_forever,
                kwargs={"poll_interval": 0.5},
                name=f"soku-demo-{self._port}",
                daemon=True,
            )
            thread.start()
            self._httpd, self._thread = httpd, thread
            return self

    def stop(self) -> None:
        """Stop listening and drop open connections: clients now get "connection refused"."""
        with self._state_lock:
            httpd, thread = self._httpd, self._thread
            self._httpd = self._thread = None
        if httpd is None:
            return
        httpd.stopping.set()  # releases hung and trickling requests
        _shutdown_promptly(httpd)
        httpd.server_close()
        httpd.close_connections()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        return self._httpd is not None

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # --- what callers look at ---

    @property
    def port(self) -> int:
        if not self._port:
            raise RuntimeError("the demo server has not been started yet")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def created_count(self) -> int:
        """Distinct submissions created through ``POST /v1/posts`` (replays not counted)."""
        return self.store.created_count

    def tick(self) -> None:
        """Advance the scenario: a new failure arrives, the oldest failure resolves."""
        self.store.tick()

    def touch(self, percent: float = 1.0, offset: int = 0) -> int:
        """Change ``percent`` % of the failed posts in place (same as ``POST /_demo/touch``);
        returns how many changed."""
        return self.store.touch(percent, offset)

    def add_submissions(self, raw: Iterable[dict[str, Any]]) -> list[str]:
        """Serve these submissions (wire-format dicts) too; returns their ids.

        For tests and benchmarks that need exact content, e.g. hostile captions. They
        are served as given, without validation beyond having a ``postSubmissionId``.
        """
        return self.store.add(raw)

    def stats(self) -> dict[str, Any]:
        """What ``GET /_demo/stats`` answers: counts of submissions, creates and requests."""
        return self.api.stats()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"DemoServer({where}, {len(self.store)} submissions, faults={self.faults!r})"


def run_foreground(
    port: int = 8765,
    posts: int | None = None,
    faults: str | None = None,
    *,
    seed: int = 7,
    out: TextIO | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve the demo API until Ctrl-C, SIGTERM or SIGHUP (or ``stop`` is set).

    Raises ``ValueError`` for a bad ``faults`` spec and ``OSError`` if the port is taken,
    both before anything is served.
    """
    out = out or sys.stdout
    fault_set = FaultSet.from_spec(faults)
    server = DemoServer(posts=posts, port=port, seed=seed, faults=fault_set).start()
    stop = stop or threading.Event()
    restore = _install_stop_signals(stop)
    try:
        _print_banner(server, out)
        while not stop.wait(0.2):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        restore()
        server.stop()
        print("demo API stopped", file=out, flush=True)


def _install_stop_signals(stop: threading.Event) -> Callable[[], None]:
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, on_signal)

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def _print_banner(server: DemoServer, out: TextIO) -> None:
    url = server.base_url
    submissions = len(server.store)
    failed = server.store.failed_count()
    faults = ", ".join(server.faults.names()) or "none"
    lines = [
        f"Soku demo API on {url}  ({submissions} submissions, {failed} with failures; "
        f"faults: {faults})",
        f"Demo key: {DEMO_API_KEY}  (header 'soku-api-key: {DEMO_API_KEY}' "
        f"or 'Authorization: Bearer {DEMO_API_KEY}')",
        f"Try:  curl -H 'soku-api-key: {DEMO_API_KEY}' '{url}/v1/posts?status=failed&limit=5'",
        f'Faults: curl -X POST {url}/_demo/faults -d \'{{"set": "html_502"}}\'  ·  Ctrl-C to stop',
    ]
    print("\n".join(lines), file=out, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m soku_tui.demo.server", description="Serve the demo Soku API."
    )
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (0: any)")
    parser.add_argument(
        "--posts", type=int, default=None, help="serve N failed posts instead of the mix"
    )
    parser.add_argument("--faults", default=None, help='e.g. "html_502@list*3,hang"')
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    if args.posts is not None and args.posts < 0:
        parser.error("--posts must be 0 or more")
    try:
        FaultSet.from_spec(args.faults)
    except ValueError as exc:
        parser.error(str(exc))
    try:
        run_foreground(args.port, args.posts, args.faults, seed=args.seed)
    except OSError as exc:
        print(f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
