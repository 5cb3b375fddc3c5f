"""Authentication and subscription: which setting to change, or what to fix in Soku."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from soku_tui.demo.server import DemoServer
from tests.doctor.conftest import diagnose, not_ok

MakeServer = Callable[..., DemoServer]


async def test_bearer_only_account_with_header_configured_says_switch_to_bearer(
    make_server: MakeServer,
) -> None:
    server = make_server(auth_schemes=("bearer",))
    report = await diagnose(server.base_url, auth_scheme="header")
    auth = report.check("auth")
    assert auth.status == "fail"
    assert "refuses the key in the soku-api-key header (401)" in auth.summary
    assert "accepts it as Authorization: Bearer" in auth.summary
    assert auth.fix is not None
    assert 'auth_scheme = "bearer"' in auth.fix
    assert "SOKU_AUTH_SCHEME=bearer" in auth.fix
    assert auth.details["statuses"] == {"header": 401, "bearer": 200}
    assert report.working_auth_scheme == "bearer"
    assert report.exit_code == 4
    # The rest was checked the way that works, and holds.
    assert set(not_ok(report)) == {"auth"}


async def test_the_fix_names_the_setting_where_the_user_set_it(make_server: MakeServer) -> None:
    server = make_server(auth_schemes=("bearer",))
    from_env = await diagnose(
        server.base_url, auth_scheme="header", auth_scheme_source="env SOKU_AUTH_SCHEME"
    )
    assert (from_env.check("auth").fix or "").startswith("set SOKU_AUTH_SCHEME=bearer")
    config = Path("/home/me/.config/soku-tui/config.toml")
    from_file = await diagnose(
        server.base_url,
        auth_scheme="header",
        auth_scheme_source=f"config file {config}",
        config_file=config,
    )
    assert (from_file.check("auth").fix or "").startswith(f'set auth_scheme = "bearer" in {config}')


async def test_bearer_only_fault_mid_session_reads_the_same(make_server: MakeServer) -> None:
    server = make_server(faults="bearer_only")
    report = await diagnose(server.base_url)
    assert 'auth_scheme = "bearer"' in (report.check("auth").fix or "")
    assert report.exit_code == 4


async def test_header_only_account_with_bearer_configured_says_switch_to_header(
    make_server: MakeServer,
) -> None:
    server = make_server(auth_schemes=("header",))
    report = await diagnose(server.base_url, auth_scheme="bearer")
    auth = report.check("auth")
    assert "refuses the key as Authorization: Bearer (401)" in auth.summary
    assert 'auth_scheme = "header"' in (auth.fix or "")
    assert report.working_auth_scheme == "header"
    assert report.exit_code == 4


async def test_a_revoked_key_is_refused_both_ways(make_server: MakeServer) -> None:
    server = make_server(faults="revoked_key")
    report = await diagnose(server.base_url)
    auth = report.check("auth")
    assert auth.status == "fail"
    assert "refused the key in the soku-api-key header and as Authorization: Bearer" in (
        auth.summary
    )
    assert "revoked" in auth.summary  # Soku's own words, quoted
    assert auth.fix is not None
    assert "Settings > API" in auth.fix
    assert "update SOKU_API_KEY" in auth.fix
    assert report.working_auth_scheme is None
    assert report.check("list").summary == "not checked: Soku refused the key"
    assert report.exit_code == 4


async def test_an_unknown_key_is_refused(make_server: MakeServer) -> None:
    server = make_server()
    report = await diagnose(server.base_url, key="sk_live_not_this_one")
    assert report.check("auth").status == "fail"
    assert report.check("auth").details["statuses"] == {"header": 401, "bearer": 401}
    assert report.exit_code == 4


async def test_a_lapsed_subscription_gets_the_billing_fix(make_server: MakeServer) -> None:
    server = make_server(faults="lapsed_subscription")
    report = await diagnose(server.base_url)
    assert report.check("auth").status == "ok"  # a 403 is not a key problem
    subscription = report.check("subscription")
    assert subscription.status == "fail"
    assert "403 Forbidden" in subscription.summary
    assert "failed payment" in subscription.summary  # Soku's own words, quoted
    assert subscription.fix is not None
    assert "Settings > Billing" in subscription.fix
    assert "payment method" in subscription.fix
    assert subscription.exit_code == 4
    assert report.check("list").status == "unknown"
    assert report.exit_code == 4


async def test_no_key_still_checks_the_network(demo_server: DemoServer) -> None:
    report = await diagnose(demo_server.base_url, key=None)
    key = report.check("key")
    assert key.status == "fail"
    assert key.fix is not None and "SOKU_API_KEY_FILE" in key.fix
    assert report.check("tcp").status == "ok"
    assert report.check("http").status == "ok"
    assert report.check("auth").summary == "not checked: there is no key"
    assert report.exit_code == 4
