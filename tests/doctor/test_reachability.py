"""Reachability: each layer below HTTP named when it fails, and a bounded run time."""

from __future__ import annotations

import re
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from pathlib import Path

import pytest

from soku_tui.demo.server import DemoServer
from tests.doctor.conftest import diagnose

MakeServer = Callable[..., DemoServer]


async def test_connection_refused(closed_port: int) -> None:
    report = await diagnose(f"http://127.0.0.1:{closed_port}")
    tcp = report.check("tcp")
    assert tcp.status == "fail"
    assert f"127.0.0.1:{closed_port} refused the connection" in tcp.summary
    assert tcp.fix is not None and "check base_url" in tcp.fix
    assert report.check("http").summary == "not checked: Soku could not be reached"
    assert report.exit_code == 3


async def test_a_server_that_never_answers_times_out(make_server: MakeServer) -> None:
    server = make_server(faults="hang")
    report = await diagnose(server.base_url, request_timeout=0.5)
    assert report.check("tcp").status == "ok"  # it accepts connections…
    http = report.check("http")
    assert http.status == "fail"  # …but never answers
    assert "got no complete answer within 0.5 s" in http.summary
    assert report.check("list").summary == "not checked: Soku did not answer"
    assert report.exit_code == 3


async def test_the_whole_run_stays_within_its_budget(make_server: MakeServer) -> None:
    # Each request may take 30 s, but the run has 1 s: the budget cuts the wait short.
    server = make_server(faults="hang")
    report = await diagnose(server.base_url, request_timeout=30.0, budget=1.0)
    http = report.check("http")
    assert http.status == "fail"
    waited = re.search(r"no complete answer within ([0-9.]+) s", http.summary)
    assert waited is not None, http.summary
    assert float(waited.group(1)) <= 1.0
    assert report.exit_code == 3


async def test_a_name_that_does_not_resolve() -> None:
    report = await diagnose("https://soku-doctor-test.invalid")
    dns = report.check("dns")
    assert dns.status == "fail"
    assert "soku-doctor-test.invalid" in dns.summary
    assert "resolve" in dns.summary
    assert report.check("tcp").status == "unknown"
    assert report.exit_code == 3


async def test_plain_http_to_another_host_is_flagged_but_not_fatal() -> None:
    report = await diagnose("http://soku-doctor-test.invalid")
    tls = report.check("tls")
    assert tls.status == "fail"
    assert "the API key crosses the network unencrypted" in tls.summary
    assert tls.fix == "set base_url to https://soku-doctor-test.invalid"
    assert tls.exit_code is None  # a warning; the exit status comes from DNS here
    assert report.check("dns").exit_code == 3


# -- TLS against a real handshake ----------------------------------------------------------


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A TLS listener on 127.0.0.1 with a fresh self-signed certificate: (port, cert)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with suppress(OSError, ssl.SSLError):
                conn.settimeout(2)
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)  # hold until the client closes
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1]), cert
    finally:
        stop.set()
        listener.close()
        thread.join(5)


async def test_an_untrusted_certificate_is_named(tls_server: tuple[int, Path]) -> None:
    port, _ = tls_server
    report = await diagnose(f"https://127.0.0.1:{port}")
    assert report.check("tcp").status == "ok"
    tls = report.check("tls")
    assert tls.status == "fail"
    assert "certificate of 127.0.0.1 is not trusted" in tls.summary
    assert report.exit_code == 3


async def test_tls_trust_follows_ssl_cert_file_like_the_client(
    tls_server: tuple[int, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert = tls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    report = await diagnose(f"https://127.0.0.1:{port}", request_timeout=1.0)
    tls = report.check("tls")
    assert tls.status == "ok", tls.summary
    assert "handshake with a trusted certificate" in tls.summary
    assert tls.details["certificate_days_left"] in (1, 2)
    # This listener speaks no HTTP: the doctor gets past TLS and no further.
    assert report.check("http").status == "fail"
    assert report.exit_code == 3
