"""``soku-tui doctor``: which parts of the API contract hold for this account.

Soku documents creating posts, errors, keys and rate limits, but not reading posts back,
so the monitor's read side is an assumption (docs/api-contract.md). The doctor tests
each assumption against the configured account and returns a :class:`DoctorReport`:
one :class:`Check` per line, pure data, rendered elsewhere (``soku_tui/doctor_output``).
This module checks the key and the network below HTTP; :mod:`.doctor_api` does the rest.

Read-only by construction: every request goes through :meth:`SokuClient.probe`, which
only allows GET and HEAD. The key is handled by the client alone; the doctor only knows
whether there is one and where it came from.

Time: every step has its own limit and the whole run has a budget (10 s by default), so
a resolver, a firewall or a server that never answers still gets a report in about ten
seconds. A check that could not run says why, with ``?``.

Exit status (also in the report): 0 when everything the monitor needs holds, 3 when
Soku cannot be reached, 4 on an authentication or subscription problem, 5 when the read
API differs from the contract in a way that breaks the monitor.
"""

from __future__ import annotations

import os
import re
import stat
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlsplit

from soku_tui.core import doctor_net as net
from soku_tui.core.catalog import SETTINGS_API
from soku_tui.core.client import SokuClient
from soku_tui.core.doctor_api import ApiChecks
from soku_tui.core.doctor_report import (
    BLOCKER_EXIT,
    CHECKS,
    STILL_WORKS,
    SYMBOLS,
    Blocker,
    Check,
    CheckStatus,
    DoctorConfig,
    DoctorReport,
    Recorder,
    ms,
    ms_value,
)

NET_STEP_TIMEOUT: Final = 3.0
_KEY_FORMAT: Final = re.compile(r"sk_live_[A-Za-z0-9_-]+")
_KEY_PREFIX: Final = "sk_live_"


async def run_doctor(config: DoctorConfig) -> DoctorReport:
    """Run every check within ``config.budget`` seconds (plus a little) and report."""
    return await _Doctor(config).run()


class _Doctor:
    def __init__(self, config: DoctorConfig) -> None:
        self.config = config
        self.rec = Recorder(config.budget)
        self.api = ApiChecks(self.rec, config)
        parts = urlsplit(config.base_url)
        self.host = parts.hostname or ""
        self.https = parts.scheme == "https"
        self.port = parts.port or (443 if self.https else 80)

    async def run(self) -> DoctorReport:
        started_at = self.config.clock()
        self.check_key()
        if await self.check_network():
            client = SokuClient(
                base_url=self.config.base_url,
                api_key=self.config.api_key,
                auth_scheme=self.config.auth_scheme,
                timeout=self.config.request_timeout,
                max_body_bytes=self.config.max_body_bytes,
                transport=self.config.transport,
            )
            async with client:
                await self.api.run(client)
        return DoctorReport(
            base_url=self.config.base_url,
            demo=self.config.demo,
            auth_scheme=self.config.auth_scheme,
            auth_scheme_source=self.config.auth_scheme_source,
            working_auth_scheme=self.api.working_scheme,
            started_at=started_at,
            duration=time.monotonic() - self.rec.started,
            checks=self.rec.checks(),
        )

    # -- 1. the key --

    def check_key(self) -> None:
        config = self.config
        if not config.api_key:
            self.rec.put(
                "key",
                "fail",
                "no API key is set",
                f"create a key in Soku under {SETTINGS_API}, put it in a file only you can "
                "read and set SOKU_API_KEY_FILE (or --api-key-file) to it, or set "
                "SOKU_API_KEY; `soku-tui doctor --demo` needs no key",
                blocks="auth",
                origin=None,
            )
            self.rec.put("key_format", "unknown", "no key to check")
            self.rec.put("key_file", "unknown", "no key to check")
            return
        source = config.key_source or "an unknown source"
        self.rec.put("key", "ok", f"set, from {source} (never shown)", origin=config.key_origin)
        if _KEY_FORMAT.fullmatch(config.api_key):
            self.rec.put("key_format", "ok", f"{_KEY_PREFIX}… followed by letters, digits, _ or -")
        else:
            what = (
                f"does not start with {_KEY_PREFIX} as Soku's keys do"
                if not config.api_key.startswith(_KEY_PREFIX)
                else "holds characters other than letters, digits, _ or -"
            )
            self.rec.put(
                "key_format",
                "fail",
                f"the key {what}; it is used anyway",
                f"copy the key again from Soku under {SETTINGS_API} (whole, without spaces)",
            )
        self.check_key_file()

    def check_key_file(self) -> None:
        path = self.config.key_file
        if path is None:
            where = "the demo's built-in key" if self.config.demo else self.config.key_source
            self.rec.put("key_file", "ok", f"no file to protect ({where})")
            return
        if os.name != "posix":
            self.rec.put("key_file", "unknown", f"permissions of {path} not checked on this system")
            return
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError as exc:
            self.rec.put("key_file", "unknown", f"cannot read the permissions of {path} ({exc})")
            return
        if mode & (stat.S_IRGRP | stat.S_IROTH):
            self.rec.put(
                "key_file",
                "fail",
                f"{path} is readable by other users (mode {mode:04o}); {STILL_WORKS}",
                f"run: chmod 600 {path}",
                path=str(path),
                mode=f"{mode:04o}",
            )
        else:
            self.rec.put(
                "key_file",
                "ok",
                f"{path} is readable only by you (mode {mode:04o})",
                path=str(path),
                mode=f"{mode:04o}",
            )

    # -- 2. reachability below HTTP --

    async def check_network(self) -> bool:
        """DNS, TCP, TLS. False when Soku is unreachable (the HTTP checks are skipped)."""
        unreachable = "not checked: Soku could not be reached"
        if not self.https:
            self.check_plain_http()  # a fact of the URL, whether or not the host answers
        if not self.host:
            self.rec.put("dns", "fail", "the base URL has no host name", blocks="unreachable")
            self.rec.skip(unreachable)
            return False
        resolved = await self.run_net("dns", lambda: net.resolve(self.host, self.port))
        if resolved is None:
            self.rec.skip(unreachable)
            return False
        if resolved.literal:
            self.rec.put("dns", "ok", f"{self.host} is an IP address: nothing to resolve")
        else:
            shown = ", ".join(ip for _, ip, _ in resolved.addresses[:4])
            self.rec.put(
                "dns",
                "ok",
                f"{self.host} resolves to {shown} ({ms(resolved.elapsed)})",
                addresses=[ip for _, ip, _ in resolved.addresses],
                elapsed_ms=ms_value(resolved.elapsed),
            )
        connected = await self.run_net("tcp", lambda: net.connect(resolved, NET_STEP_TIMEOUT))
        if connected is None:
            self.rec.skip(unreachable)
            return False
        proxy = _proxy_note(self.https)
        self.rec.put(
            "tcp",
            "ok",
            f"connected to {connected.address} in {ms(connected.elapsed)}{proxy}",
            address=connected.address,
            elapsed_ms=ms_value(connected.elapsed),
        )
        if not self.https:
            connected.sock.close()
            return True
        shaken = await self.run_net(
            "tls", lambda: net.handshake(connected, self.host, NET_STEP_TIMEOUT)
        )
        if shaken is None:
            self.rec.skip(unreachable)
            return False
        expiry = ""
        days: int | None = None
        if shaken.expires is not None:
            days = (shaken.expires - datetime.now(UTC)).days
            expiry = f", certificate valid for {days} more days"
        self.rec.put(
            "tls",
            "ok",
            f"{shaken.version} handshake with a trusted certificate{expiry} ({ms(shaken.elapsed)})",
            version=shaken.version,
            certificate_days_left=days,
            elapsed_ms=ms_value(shaken.elapsed),
        )
        return True

    def check_plain_http(self) -> None:
        if net.is_loopback(self.host):
            self.rec.put("tls", "ok", "plain http to this machine (a local server): no TLS needed")
            return
        https = "https" + self.config.base_url[len("http") :]
        self.rec.put(
            "tls",
            "fail",
            f"plain http to {self.host}: the API key crosses the network unencrypted; "
            f"{STILL_WORKS}",
            f"set base_url to {https}",
        )

    async def run_net(self, check_id: str, call: Callable[[], Any]) -> Any:
        """A blocking network step in a thread; on failure the check is recorded ✗."""
        limit = self.rec.step_limit(NET_STEP_TIMEOUT)
        fix = (
            f"check base_url (from {self.config.base_url_source}) and this machine's "
            "network (DNS, firewall, proxy)"
        )
        if limit is None:
            self.rec.put(check_id, "unknown", "skipped: doctor's time budget ran out")
            return None
        try:
            return await net.in_thread(call, limit + 0.5)
        except net.NetProblem as exc:
            self.rec.put(check_id, "fail", str(exc), fix, blocks="unreachable")
        except TimeoutError:
            self.rec.put(
                check_id,
                "fail",
                f"no result within {limit:.1f} s",
                fix,
                blocks="unreachable",
            )
        return None


def _proxy_note(https: bool) -> str:
    scheme = "HTTPS" if https else "HTTP"
    names = (f"{scheme}_PROXY", f"{scheme.lower()}_proxy", "ALL_PROXY", "all_proxy")
    for name in names:
        if os.environ.get(name):
            return f" (directly; soku-tui's requests go through the proxy in {name})"
    return ""


__all__ = [
    "BLOCKER_EXIT",
    "CHECKS",
    "SYMBOLS",
    "Blocker",
    "Check",
    "CheckStatus",
    "DoctorConfig",
    "DoctorReport",
    "run_doctor",
]
