"""Helpers for driving the real app against the real demo server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from soku_tui.ui.app import AppConfig, SokuApp

# Every screen in the UI tests is drawn at this instant, so snapshots never drift.
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
SNAPSHOT_DIR = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("SOKU_UPDATE_SNAPSHOTS") == "1"


@pytest.fixture
def fixed_server() -> object:
    server = DemoServer(now=FIXED_NOW, retry_settle_seconds=0.2).start()
    yield server
    server.stop()


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., SokuApp]:
    def factory(server: DemoServer, **overrides: object) -> SokuApp:
        options: dict[str, object] = {
            "base_url": server.base_url,
            "api_key": DEMO_API_KEY,
            "state_dir": tmp_path / "state",
            "demo": True,
            "clock": lambda: FIXED_NOW,
            "timer": lambda: 0.0,
            "autostart_polling": False,
            "timeout": 3.0,
        }
        options.update(overrides)
        return SokuApp(AppConfig(**options))  # type: ignore[arg-type]

    return factory


def _normalise(svg: str) -> str:
    # Textual names its CSS classes after a hash of the terminal id; keep only content.
    return re.sub(r"terminal-\d+", "terminal", svg)


def assert_snapshot(app: SokuApp, name: str) -> None:
    """Compare the exported screen with tests/ui/snapshots/NAME.svg.

    On a difference the new picture is written beside it as NAME.actual.svg to look at;
    SOKU_UPDATE_SNAPSHOTS=1 accepts it.
    """
    actual = _normalise(app.export_screenshot(title="soku-tui"))
    expected_path = SNAPSHOT_DIR / f"{name}.svg"
    actual_path = SNAPSHOT_DIR / f"{name}.actual.svg"
    if UPDATE or not expected_path.exists():
        SNAPSHOT_DIR.mkdir(exist_ok=True)
        expected_path.write_text(actual, encoding="utf-8")
        actual_path.unlink(missing_ok=True)
        if not UPDATE:
            pytest.fail(f"new snapshot {expected_path.name} written; look at it and re-run")
        return
    if expected_path.read_text(encoding="utf-8") != actual:
        actual_path.write_text(actual, encoding="utf-8")
        pytest.fail(
            f"screen differs from {expected_path.name}; see {actual_path.name} "
            "(SOKU_UPDATE_SNAPSHOTS=1 accepts it)"
        )
    actual_path.unlink(missing_ok=True)
