"""The embedded demo Soku API: a fake of the contract for the demo, tests and benchmarks.

Exports are loaded lazily, so ``python -m soku_tui.demo.server`` runs without importing
the server module twice.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soku_tui.demo.faults import FaultSet
    from soku_tui.demo.scenario import build_scenario
    from soku_tui.demo.server import DEMO_API_KEY, DemoServer, run_foreground

_EXPORTS = {
    "DEMO_API_KEY": "soku_tui.demo.server",
    "DemoServer": "soku_tui.demo.server",
    "run_foreground": "soku_tui.demo.server",
    "FaultSet": "soku_tui.demo.faults",
    "build_scenario": "soku_tui.demo.scenario",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)


__all__ = ["DEMO_API_KEY", "DemoServer", "FaultSet", "build_scenario", "run_foreground"]
