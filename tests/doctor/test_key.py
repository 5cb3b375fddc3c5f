"""The key: present, where from, its format and its file's permissions; never shown."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from soku_tui.core.doctor import DoctorConfig, run_doctor
from soku_tui.demo.server import DemoServer
from tests.doctor.conftest import SECRET_KEY, diagnose, not_ok

MakeServer = Callable[..., DemoServer]


def key_file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "soku.key"
    path.write_text(SECRET_KEY + "\n")
    path.chmod(mode)
    return path


async def doctor_with_key_file(server: DemoServer, path: Path) -> DoctorConfig:
    return DoctorConfig(
        base_url=server.base_url,
        api_key=SECRET_KEY,
        key_source=f"key file {path}",
        key_origin="key_file",
        key_file=path,
    )


async def test_a_key_file_others_can_read_is_flagged(
    make_server: MakeServer, tmp_path: Path
) -> None:
    server = make_server(api_keys=(SECRET_KEY,))
    path = key_file(tmp_path, 0o644)
    report = await run_doctor(await doctor_with_key_file(server, path))
    check = report.check("key_file")
    assert check.status == "fail"
    assert "readable by other users (mode 0644)" in check.summary
    assert check.fix == f"run: chmod 600 {path}"
    # A warning, not a blocker: the monitor works, so the exit status stays 0.
    assert set(not_ok(report)) == {"key_file"}
    assert report.exit_code == 0


async def test_a_private_key_file_passes(make_server: MakeServer, tmp_path: Path) -> None:
    server = make_server(api_keys=(SECRET_KEY,))
    path = key_file(tmp_path, 0o600)
    report = await run_doctor(await doctor_with_key_file(server, path))
    assert report.check("key_file").status == "ok"
    assert "readable only by you (mode 0600)" in report.check("key_file").summary
    assert report.check("key").summary == f"set, from key file {path} (never shown)"
    assert not_ok(report) == {}


async def test_a_key_without_the_soku_prefix_is_flagged(make_server: MakeServer) -> None:
    odd_key = "live-key-without-prefix"
    server = make_server(api_keys=(odd_key,))
    report = await diagnose(server.base_url, key=odd_key)
    key_format = report.check("key_format")
    assert key_format.status == "fail"
    assert "does not start with sk_live_" in key_format.summary
    assert odd_key not in key_format.summary
    assert report.check("auth").status == "ok"  # Soku accepted it anyway
    assert report.exit_code == 0


async def test_the_key_never_reaches_the_report(make_server: MakeServer) -> None:
    # Accepted only as Bearer, so the key travels both ways, and then is revoked.
    server = make_server(api_keys=(SECRET_KEY,), auth_schemes=("bearer",))
    accepted = await diagnose(server.base_url, key=SECRET_KEY)
    server.faults.set("revoked_key")
    refused = await diagnose(server.base_url, key=SECRET_KEY)
    for report in (accepted, refused):
        text = repr(report) + repr(report.to_json())
        assert SECRET_KEY not in text
        assert SECRET_KEY.removeprefix("sk_live_") not in text
    assert SECRET_KEY not in repr(DoctorConfig(base_url="http://x", api_key=SECRET_KEY))
