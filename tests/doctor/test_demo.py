"""The demo API is the contract: the doctor passes every check on it."""

from __future__ import annotations

import json

import pytest

from soku_tui.core.client import SokuClient
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from tests.cli.conftest import RunCli
from tests.doctor.conftest import CHECK_IDS, diagnose, not_ok


async def test_every_check_passes_on_the_demo_api(demo_server: DemoServer) -> None:
    report = await diagnose(demo_server.base_url)
    assert [check.id for check in report.checks] == CHECK_IDS
    assert not_ok(report) == {}
    assert report.exit_code == 0
    assert report.working_auth_scheme == "header"
    assert report.check("list").details["shape"] == "object"
    assert report.check("etag").details["same_on_page_two"] is True
    assert report.check("rate_limit").details["reset_format"] == "epoch"


async def test_doctor_never_writes_anything(demo_server: DemoServer) -> None:
    await diagnose(demo_server.base_url)
    stats = demo_server.stats()
    assert stats["requests"]["create"] == 0
    assert stats["requests"]["other"] == 0
    assert demo_server.created_count == 0
    assert stats["requests"]["list"] >= 3  # list, page 2, If-None-Match
    assert stats["requests"]["get"] == 1


async def test_a_probe_cannot_post(demo_server: DemoServer) -> None:
    async with SokuClient(base_url=demo_server.base_url, api_key=DEMO_API_KEY) as client:
        with pytest.raises(ValueError, match="read-only"):
            await client.probe("POST", "/v1/posts")  # type: ignore[arg-type]
    assert demo_server.stats()["requests"]["create"] == 0


def test_doctor_demo_prints_one_passing_line_per_check(run_cli: RunCli) -> None:
    result = run_cli("doctor", "--demo")
    assert result.returncode == 0, result.out + result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("soku-tui doctor — http://127.0.0.1:")
    assert "(demo)" in lines[0]
    check_lines = [line for line in lines if line[:2] in ("✓ ", "✗ ", "? ")]
    assert len(check_lines) == len(CHECK_IDS)
    assert all(line.startswith("✓ ") for line in check_lines), result.out
    assert "Everything the monitor needs holds. Exit 0" in result.out
    assert b"\x1b" not in result.stdout


def test_doctor_json_demo_is_the_same_report_as_data(run_cli: RunCli) -> None:
    result = run_cli("doctor", "--json", "--demo")
    assert result.returncode == 0, result.err
    data = json.loads(result.stdout)  # data only on stdout
    assert data["tool"] == "soku-tui doctor"
    assert data["exit_code"] == 0
    assert data["demo"] is True
    assert data["working_auth_scheme"] == "header"
    assert [check["id"] for check in data["checks"]] == CHECK_IDS
    for check in data["checks"]:
        assert check["status"] == "ok", check
        assert check["symbol"] == "✓"
        assert check["summary"]
        assert check["exit_code"] is None
    text = run_cli("doctor", "--demo").out
    for check in data["checks"]:
        assert check["title"] in text
