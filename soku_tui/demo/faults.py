"""Switchable faults for the demo Soku API: how a real API, or a proxy in front of it,
misbehaves on a bad night.

A :class:`FaultSet` is shared by the demo server's request threads and whoever switches
faults (tests, ``POST /_demo/faults``, the ``--faults`` flag), so every method is
thread-safe. The server consults it at the start of each request; the ``/_demo/*`` admin
routes are never faulted. "Connection refused" is not a fault here: stop the server
(``DemoServer.stop()``) and start it again to lift it.

Fault names are a public API (tests, the ``make faults`` table and the docs use them):

===========================  ==========================================================
``hang``                     read the request, then never answer (until the fault is
                             cleared, the client goes away, or ``seconds``, default 60);
                             a ``POST /v1/posts`` is processed first — the post exists,
                             its answer never comes (the case idempotency is for)
``reset``                    send the headers and half of the body, then reset the socket
``rate_limit_retry_after``   429 with ``Retry-After: seconds`` (default 5)
``rate_limit_reset_only``    429 with only ``X-RateLimit-Reset`` (``seconds`` from now)
``html_500/502/503``         that status with an HTML page, as a proxy would send it
``malformed_json``           200 whose body is cut-off JSON
``wrong_shape``              200 with valid JSON of the wrong shape (``{"data": 1}``)
``unknown_values``           items carry statuses, platforms and codes we do not know
``missing_fields``           items lack optional fields; every third one lacks its id
``huge_body``                200 with a ``bytes``-long body (default 20 MB) of items;
                             ``sized=0`` omits Content-Length (the end is the close)
``trickle``                  the body one byte at a time, ``delay`` s apart (0.05)
``revoked_key``              401 ``unauthorized`` on everything
``lapsed_subscription``      403 ``forbidden`` on everything
``bearer_only``              only ``Authorization: Bearer`` is accepted
``no_read_api``              404 (or ``status``) on ``GET /v1/posts`` and ``/v1/posts/{id}``
``bare_array``               ``GET /v1/posts`` answers the page's items as a bare JSON
                             array, without ``{"items"}`` or a cursor (as Soku's only
                             documented list, ``GET /v1/repurposeLinks``, does)
===========================  ==========================================================

Each fault has a *scope* — ``all`` (default), ``list`` (``GET /v1/posts`` only), ``get``
(``GET /v1/posts/{id}`` only), ``read`` (both GET routes) or ``create`` (``POST /v1/posts``)
— and an optional *count*: it applies that many times, then clears itself.

Spec strings (``--faults``, ``FaultSet.from_spec``): comma-separated items of the form
``name[@scope][*count][:param=value]...``, e.g. ``"html_502@list*3,hang:seconds=5"``.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Route = Literal["list", "get", "create", "other"]

FAULT_NAMES: Final = (
    "hang",
    "reset",
    "rate_limit_retry_after",
    "rate_limit_reset_only",
    "html_500",
    "html_502",
    "html_503",
    "malformed_json",
    "wrong_shape",
    "unknown_values",
    "missing_fields",
    "huge_body",
    "trickle",
    "revoked_key",
    "lapsed_subscription",
    "bearer_only",
    "no_read_api",
    "bare_array",
)
SCOPES: Final = ("all", "list", "get", "read", "create")
_SCOPE_ROUTES: Final[dict[str, frozenset[str]]] = {
    "all": frozenset({"list", "get", "create", "other"}),
    "list": frozenset({"list"}),
    "get": frozenset({"get"}),
    "read": frozenset({"list", "get"}),
    "create": frozenset({"create"}),
}
DEFAULT_PARAMS: Final[dict[str, dict[str, float]]] = {
    "hang": {"seconds": 60.0},
    "trickle": {"delay": 0.05},
    "rate_limit_retry_after": {"seconds": 5.0},
    "rate_limit_reset_only": {"seconds": 5.0},
    "huge_body": {"bytes": 20 * 1024 * 1024, "sized": 1},
    "no_read_api": {"status": 404},
}
_SPEC_ITEM: Final = re.compile(
    r"^(?P<name>[a-z0-9_]+)"
    r"(?:@(?P<scope>[a-z]+))?"
    r"(?:\*(?P<count>\d+))?"
    r"(?P<params>(?::[a-z_]+=[0-9.]+)*)$"
)
_serials = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Fault:
    """One active fault. ``count`` is how many more requests it applies to (None: all)."""

    name: str
    scope: str = "all"
    count: int | None = None
    params: Mapping[str, float] = field(default_factory=dict)
    # Tells apart two faults of the same name set one after the other (see was_cleared).
    serial: int = field(default_factory=lambda: next(_serials), compare=False)

    def param(self, key: str) -> float:
        value = self.params.get(key)
        if value is None:
            value = DEFAULT_PARAMS.get(self.name, {}).get(key)
        if value is None:
            raise KeyError(f"fault {self.name!r} has no parameter {key!r}")
        return value

    def applies_to(self, route: Route) -> bool:
        return route in _SCOPE_ROUTES[self.scope]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "scope": self.scope,
            "count": self.count,
            "params": {**DEFAULT_PARAMS.get(self.name, {}), **self.params},
        }


def make_fault(
    name: str,
    *,
    scope: str = "all",
    count: int | None = None,
    params: Mapping[str, float] | None = None,
) -> Fault:
    """A validated :class:`Fault`; raises ``ValueError`` naming what is wrong."""
    if name not in FAULT_NAMES:
        raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}")
    if scope not in SCOPES:
        raise ValueError(f"unknown fault scope {scope!r}; use one of: {', '.join(SCOPES)}")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError(f"fault count must be a whole number of 1 or more, not {count!r}")
    clean: dict[str, float] = {}
    known = DEFAULT_PARAMS.get(name, {})
    for key, value in (params or {}).items():
        if key not in known:
            allowed = ", ".join(known) or "none"
            raise ValueError(f"fault {name!r} has no parameter {key!r} (parameters: {allowed})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ValueError(f"fault parameter {key!r} must be a number of 0 or more")
        clean[key] = value
    return Fault(name=name, scope=scope, count=count, params=clean)


def parse_spec(spec: str) -> list[Fault]:
    """Parse ``"html_502@list*3,hang:seconds=5"`` into faults; ``ValueError`` if invalid."""
    faults: list[Fault] = []
    for raw in spec.split(","):
        item = raw.strip()
        if not item:
            continue
        match = _SPEC_ITEM.match(item)
        if match is None:
            raise ValueError(
                f"cannot read fault {item!r}; expected name[@scope][*count][:param=value]"
            )
        params: dict[str, float] = {}
        for pair in filter(None, match["params"].split(":")):
            key, _, value = pair.partition("=")
            try:
                params[key] = float(value)
            except ValueError:
                raise ValueError(f"fault parameter {key!r} must be a number") from None
        faults.append(
            make_fault(
                match["name"],
                scope=match["scope"] or "all",
                count=int(match["count"]) if match["count"] else None,
                params=params,
            )
        )
    return faults


class FaultSet:
    """The faults currently switched on. At most one fault per name; setting replaces."""

    def __init__(self, faults: Iterable[Fault] = ()) -> None:
        self._changed = threading.Condition()
        self._faults: dict[str, Fault] = {}
        # name -> serial of the latest fault set under it, even if its count ran out, so
        # clearing still releases the requests it holds (see was_cleared).
        self._issued: dict[str, int] = {}
        # name -> highest serial that was cleared or replaced.
        self._cleared_upto: dict[str, int] = {}
        for fault in faults:
            self._faults[fault.name] = fault
            self._issued[fault.name] = fault.serial

    @classmethod
    def from_spec(cls, spec: str | None) -> FaultSet:
        """Build from a ``--faults`` value; ``None`` or ``""`` means no faults."""
        return cls(parse_spec(spec or ""))

    def set(
        self,
        name: str,
        *,
        scope: str = "all",
        count: int | None = None,
        **params: float,
    ) -> Fault:
        """Switch a fault on (replacing one of the same name). Returns it."""
        fault = make_fault(name, scope=scope, count=count, params=params)
        self.add(fault)
        return fault

    def add(self, fault: Fault) -> None:
        with self._changed:
            self._mark_cleared(fault.name)
            self._faults[fault.name] = fault
            self._issued[fault.name] = fault.serial
            self._changed.notify_all()

    def apply_spec(self, spec: str) -> list[Fault]:
        """Switch on every fault of a spec string (validated before anything changes)."""
        faults = parse_spec(spec)
        for fault in faults:
            self.add(fault)
        return faults

    def clear(self, name: str | None = None) -> None:
        """Switch one fault off, or all of them. Releases requests held by ``hang``."""
        with self._changed:
            names = list(self._issued) if name is None else [name]
            for key in names:
                self._faults.pop(key, None)
                self._mark_cleared(key)
            self._changed.notify_all()

    def _mark_cleared(self, name: str) -> None:
        issued = self._issued.get(name)
        if issued is not None:
            self._cleared_upto[name] = max(self._cleared_upto.get(name, 0), issued)

    def take(self, name: str, route: Route) -> Fault | None:
        """The active fault of that name for the route; a counted fault is used up once
        (and removed at zero)."""
        with self._changed:
            fault = self._faults.get(name)
            if fault is None or not fault.applies_to(route):
                return None
            if fault.count is not None:
                if fault.count <= 1:
                    # Used up, but not "cleared": a request it is holding keeps its fault.
                    del self._faults[name]
                else:
                    self._faults[name] = Fault(
                        name=fault.name,
                        scope=fault.scope,
                        count=fault.count - 1,
                        params=fault.params,
                        serial=fault.serial,
                    )
                self._changed.notify_all()
            return fault

    def was_cleared(self, fault: Fault) -> bool:
        """True once someone cleared (or replaced) this fault after it was taken."""
        with self._changed:
            return self._cleared_upto.get(fault.name, 0) >= fault.serial

    def wait(self, timeout: float) -> None:
        """Sleep until the set changes or ``timeout`` seconds pass."""
        with self._changed:
            self._changed.wait(timeout)

    def active(self) -> tuple[Fault, ...]:
        with self._changed:
            return tuple(self._faults.values())

    def names(self) -> tuple[str, ...]:
        return tuple(fault.name for fault in self.active())

    def to_json(self) -> list[dict[str, Any]]:
        return [fault.to_json() for fault in self.active()]

    def apply_json(self, payload: Any) -> None:
        """Apply an admin request: ``{"clear": true | "name" | [names], "set": spec | [..]}``.

        ``set`` is a spec string, or a list of spec strings and objects
        ``{"name", "scope"?, "count"?, "params"?}``. Everything is validated before
        anything changes; ``clear`` happens before ``set``. Raises ``ValueError``.
        """
        if not isinstance(payload, dict):
            raise ValueError("expected a JSON object with 'set' and/or 'clear'")
        unknown = set(payload) - {"set", "clear"}
        if unknown:
            raise ValueError(f"unknown keys: {', '.join(sorted(unknown))}")
        to_clear = _clear_names(payload.get("clear"))
        to_set = _faults_from_json(payload.get("set"))
        if to_clear is not None:
            if to_clear == ["*"]:
                self.clear()
            for name in to_clear:
                if name != "*":
                    self.clear(name)
        for fault in to_set:
            self.add(fault)

    def __len__(self) -> int:
        with self._changed:
            return len(self._faults)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __repr__(self) -> str:
        return f"FaultSet({', '.join(self.names()) or 'none'})"


def _clear_names(value: Any) -> list[str] | None:
    if value is None or value is False:
        return None
    if value is True or value == "all":
        return ["*"]
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("'clear' must be true, a fault name, or a list of fault names")
    for name in value:
        if name not in FAULT_NAMES:
            raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}")
    return list(value)


def _faults_from_json(value: Any) -> list[Fault]:
    if value is None:
        return []
    if isinstance(value, str):
        return parse_spec(value)
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise ValueError("'set' must be a spec string or a list of faults")
    faults: list[Fault] = []
    for item in value:
        if isinstance(item, str):
            faults.extend(parse_spec(item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise ValueError("each fault must be a spec string or an object with a 'name'")
        params = item.get("params") or {}
        if not isinstance(params, dict):
            raise ValueError("'params' must be an object")
        faults.append(
            make_fault(
                item["name"],
                scope=item.get("scope") or "all",
                count=item.get("count"),
                params=params,
            )
        )
    return faults


__all__ = [
    "DEFAULT_PARAMS",
    "FAULT_NAMES",
    "SCOPES",
    "Fault",
    "FaultSet",
    "Route",
    "make_fault",
    "parse_spec",
]
