"""The headless path never loads Textual or Rich (startup time, and a core you can prove)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PROBE = """
import json, pkgutil, sys, importlib
import soku_tui.core
for info in pkgutil.walk_packages(soku_tui.core.__path__, "soku_tui.core."):
    importlib.import_module(info.name)
import soku_tui.config, soku_tui.output, soku_tui.exit_codes, soku_tui.cli
try:
    code = soku_tui.cli.main(["failed", "--json", "--demo"])
finally:
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("textual", "rich"))
    with open(sys.argv[1], "w") as report:
        json.dump({"loaded": loaded, "modules": sorted(sys.modules)}, report)
sys.exit(code)
"""


def test_core_and_headless_cli_load_neither_textual_nor_rich(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    report = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, str(report)],
        env=cli_env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stderr.decode()  # the demo has failures
    assert json.loads(proc.stdout)["posts"]  # the command really ran
    found = json.loads(report.read_text())
    assert "soku_tui.core.retry" in found["modules"]
    assert "soku_tui.demo.server" in found["modules"]
    assert found["loaded"] == []
