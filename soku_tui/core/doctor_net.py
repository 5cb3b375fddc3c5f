"""Reachability probes for ``soku-tui doctor``: DNS, TCP and TLS, below HTTP.

When the HTTP client says "cannot connect", it does not say which layer failed. These
probes take the base URL apart one layer at a time so the doctor can say "the name does
not resolve" or "the certificate is not trusted" instead. Each is a blocking stdlib call
with its own timeout, run in a daemon thread (:func:`in_thread`) so that a resolver that
never answers cannot hold the event loop, nor the process at exit.

Nothing here sends an HTTP request, so no header and no key ever passes through.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final, TypeVar

import httpx

T = TypeVar("T")
U = TypeVar("U")

# At most this many resolved addresses are tried for the TCP connect.
MAX_ADDRESSES: Final = 3


@dataclass(frozen=True, slots=True)
class Resolved:
    addresses: tuple[tuple[socket.AddressFamily, str, int], ...]  # (family, ip, port)
    elapsed: float
    literal: bool  # the host is an IP address: nothing was resolved


@dataclass(frozen=True, slots=True)
class Connected:
    sock: socket.socket
    address: str  # "ip:port"
    elapsed: float


@dataclass(frozen=True, slots=True)
class Handshake:
    version: str  # "TLSv1.3"
    elapsed: float
    expires: datetime | None  # the certificate's notAfter


class NetProblem(Exception):
    """A layer failed; ``str()`` says how, in words a user can act on."""


async def in_thread(call: Callable[[], T], limit: float) -> T:
    """Run a blocking call in a daemon thread; ``TimeoutError`` after ``limit`` s.

    Not ``asyncio.to_thread``: its executor is joined when ``asyncio.run`` ends, so a
    ``getaddrinfo`` that never returns (it has no timeout) would hang the exit.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def run() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed to the awaiting task, never lost
            _hand_over(loop, _fail, future, exc)
        else:
            _hand_over(loop, _succeed, future, result)

    threading.Thread(target=run, name="soku-doctor-net", daemon=True).start()
    return await asyncio.wait_for(future, limit)


def _hand_over(
    loop: asyncio.AbstractEventLoop,
    settle: Callable[[asyncio.Future[T], U], None],
    future: asyncio.Future[T],
    value: U,
) -> None:
    with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is waiting
        loop.call_soon_threadsafe(settle, future, value)


def _succeed(future: asyncio.Future[T], result: T) -> None:
    if not future.done():  # wait_for gave up on it already
        future.set_result(result)


def _fail(future: asyncio.Future[T], error: BaseException) -> None:
    if not future.done():
        future.set_exception(error)


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(host: str, port: int) -> Resolved:
    """The host's addresses (getaddrinfo; blocking, no timeout of its own)."""
    started = time.monotonic()
    literal = is_ip_literal(host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise NetProblem(f"{host} does not resolve ({exc.strerror})") from None
    except (OSError, UnicodeError) as exc:
        raise NetProblem(f"{host} cannot be resolved ({exc})") from None
    seen: list[tuple[socket.AddressFamily, str, int]] = []
    for family, _, _, _, sockaddr in infos:
        entry = (family, str(sockaddr[0]), int(sockaddr[1]))
        if entry not in seen:
            seen.append(entry)
    if not seen:
        raise NetProblem(f"{host} resolves to no address")
    return Resolved(tuple(seen), time.monotonic() - started, literal)


def connect(resolved: Resolved, timeout: float) -> Connected:
    """A TCP connection to the first address that accepts one, within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    problems: list[str] = []
    for family, ip, port in resolved.addresses[:MAX_ADDRESSES]:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        shown = f"[{ip}]:{port}" if family == socket.AF_INET6 else f"{ip}:{port}"
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(left)
        started = time.monotonic()
        try:
            sock.connect((ip, port))
        except ConnectionRefusedError:
            problems.append(f"{shown} refused the connection (nothing listens there)")
        except TimeoutError:
            problems.append(
                f"{shown} did not answer within {timeout:g} s (a firewall dropping packets?)"
            )
        except OSError as exc:
            problems.append(f"{shown}: {exc.strerror or exc}")
        else:
            return Connected(sock, shown, time.monotonic() - started)
        sock.close()
    raise NetProblem("; ".join(problems) or f"no time left to connect within {timeout:g} s")


def handshake(connected: Connected, host: str, timeout: float) -> Handshake:
    """A TLS handshake on the connection, verified the way httpx verifies it.

    ``httpx.create_ssl_context()`` is the context the client itself will use (certifi,
    or ``SSL_CERT_FILE``/``SSL_CERT_DIR``), so a verdict here matches the client's.
    The connection is closed afterwards either way.
    """
    context = httpx.create_ssl_context()
    started = time.monotonic()
    try:
        connected.sock.settimeout(timeout)
        with context.wrap_socket(connected.sock, server_hostname=host) as tls:
            version = tls.version() or "TLS"
            cert = tls.getpeercert() or {}
    except ssl.SSLCertVerificationError as exc:
        reason = exc.verify_message or exc.reason or "verification failed"
        raise NetProblem(f"the certificate of {host} is not trusted ({reason})") from None
    except ssl.SSLError as exc:
        raise NetProblem(f"the TLS handshake with {host} failed ({exc.reason or exc})") from None
    except TimeoutError:
        raise NetProblem(f"the TLS handshake with {host} took over {timeout:g} s") from None
    except OSError as exc:
        raise NetProblem(f"the TLS handshake with {host} broke ({exc.strerror or exc})") from None
    finally:
        connected.sock.close()
    return Handshake(version, time.monotonic() - started, _not_after(cert))


def _not_after(cert: object) -> datetime | None:
    raw = cert.get("notAfter") if isinstance(cert, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(raw), tz=UTC)
    except (ValueError, OverflowError):
        return None


__all__ = [
    "Connected",
    "Handshake",
    "NetProblem",
    "Resolved",
    "connect",
    "handshake",
    "in_thread",
    "is_ip_literal",
    "is_loopback",
    "resolve",
]
