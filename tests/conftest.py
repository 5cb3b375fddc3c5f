"""Shared test set-up: a hermetic environment and the real demo Soku API.

Environment first, at import, before any test module imports Textual: Textual reads
``TEXTUAL_THEME`` (and friends) at import time and ``NO_COLOR`` when an App is made, and
either would change every SVG snapshot. ``COLORTERM`` is pinned for the same reason (SSH
sessions drop it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

for _name in (
    "NO_COLOR",
    "FORCE_COLOR",
    "TEXTUAL_THEME",
    "TEXTUAL_COLOR_SYSTEM",
    "TEXTUAL_DIM_FACTOR",
    "TEXTUAL_ANIMATIONS",
):
    os.environ.pop(_name, None)
os.environ["COLORTERM"] = "truecolor"

from soku_tui.demo.server import DemoServer  # noqa: E402  (after the environment is set)

_XDG_DIRS = ("XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")


@pytest.fixture(scope="session", autouse=True)
def _session_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Session-wide fallback so even session fixtures never touch the real home."""
    base = tmp_path_factory.mktemp("xdg-session")
    with pytest.MonkeyPatch.context() as patch:
        for name in _XDG_DIRS:
            patch.setenv(name, str(base / name.lower()))
        yield


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Per test: config, state (ledger, audit, logs), data and cache under tmp_path, and
    no SOKU_* setting leaking in from the developer's shell."""
    for name in _XDG_DIRS:
        path = tmp_path / "xdg" / name.lower()
        path.mkdir(parents=True)
        monkeypatch.setenv(name, str(path))
    for name in list(os.environ):
        if name.startswith("SOKU_"):
            monkeypatch.delenv(name)


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    """The real demo API on 127.0.0.1 (default scenario), stopped after the test."""
    server = DemoServer(retry_settle_seconds=0.2).start()
    try:
        yield server
    finally:
        server.stop()
