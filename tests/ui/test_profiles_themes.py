"""Several Soku accounts in one config file, switched from the command palette; themes.

The profiles test goes through the real path: a TOML config file with two profiles,
``load_settings`` and ``cli.app_config``, two demo servers standing in for two accounts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from soku_tui.cli import app_config
from soku_tui.config import load_settings
from soku_tui.demo.server import DEMO_API_KEY, DemoServer
from soku_tui.ui.app import AppConfig, SokuApp
from tests.ui.conftest import FIXED_NOW
from tests.ui.driving import SIZE, MakeApp, monitor, poll, polled, screen_text, table, wait_until


@pytest.fixture
def second_server() -> Iterator[DemoServer]:
    server = DemoServer(posts=6, seed=3, now=FIXED_NOW).start()
    yield server
    server.stop()


@pytest.fixture
def two_profiles(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fixed_server: DemoServer,
    second_server: DemoServer,
) -> Path:
    for name in ("SOKU_API_KEY", "SOKU_API_KEY_FILE", "SOKU_BASE_URL", "SOKU_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SOKU_STATE_DIR", str(tmp_path / "state"))  # never the user's
    key = tmp_path / "key"
    key.write_text(DEMO_API_KEY + "\n")
    key.chmod(0o600)
    config = tmp_path / "config.toml"
    config.write_text(
        f'[profiles.acme]\nbase_url = "{fixed_server.base_url}"\napi_key_file = "{key}"\n'
        f'[profiles.globex]\nbase_url = "{second_server.base_url}"\napi_key_file = "{key}"\n'
    )
    config.chmod(0o600)
    return config


def pinned(config: AppConfig) -> AppConfig:
    """The config as the tests need it (a frozen clock, polls by hand), for every profile
    it can switch to as well."""
    load = config.load_profile
    return dataclasses.replace(
        config,
        clock=lambda: FIXED_NOW,
        autostart_polling=False,
        load_profile=(lambda name: pinned(load(name))) if load else None,
    )


def palette_titles(app: SokuApp) -> list[str]:
    return [command.title for command in app.get_system_commands(monitor(app))]


async def test_switching_profile_from_the_palette_watches_the_other_account(
    two_profiles: Path, fixed_server: DemoServer, second_server: DemoServer
) -> None:
    settings = load_settings({"config": str(two_profiles), "profile": "acme"})
    app = SokuApp(pinned(app_config(settings)))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await poll(pilot)
        assert table(app).row_count == fixed_server.stats()["failedSubmissions"]
        assert screen_text(app).splitlines()[0].count("acme · 127.0.0.1") == 1
        titles = palette_titles(app)
        assert "Switch profile: globex" in titles
        assert "Switch profile: acme" not in titles
        await pilot.press("space")  # a mark on acme's post must not survive the switch
        assert monitor(app).marked

        switch = next(
            c for c in app.get_system_commands(monitor(app)) if c.title.endswith("globex")
        )
        switch.callback()
        await wait_until(pilot, lambda: app.config.profile == "globex", "the switch")
        assert table(app).row_count == 0, "nothing of acme's stays on screen"
        await poll(pilot)
        assert table(app).row_count == second_server.stats()["failedSubmissions"]
        assert "globex · 127.0.0.1" in screen_text(app).splitlines()[0]
        assert monitor(app).marked == ()
        shown = list(table(app).post_ids)
        assert all(second_server.store.get_json(post_id) is not None for post_id in shown)
        assert all(fixed_server.store.get_json(post_id) is None for post_id in shown)
        assert "Switch profile: acme" in palette_titles(app)

        # A profile that is not in the file: said, and the monitor stays where it is.
        assert not await app.switch_profile("initech")
        await pilot.pause()
        assert "Cannot switch to profile initech" in screen_text(app)
        assert app.config.profile == "globex"


async def test_no_profile_switching_in_the_demo(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with app.run_test(size=SIZE):
        assert not any(t.startswith("Switch profile") for t in palette_titles(app))


# ---------------------------------------------------------------------------- themes


async def test_the_configured_theme_is_used_and_ansi_themes_are_offered(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server, theme="ansi-dark")
    async with polled(app) as pilot:
        assert app.theme == "ansi-dark"
        commands = app.get_system_commands(monitor(app))
        light = next(c for c in commands if c.title == "Theme: ansi-light")
        light.callback()
        await pilot.pause()
        assert app.theme == "ansi-light"
        assert table(app).row_count > 0


async def test_an_unknown_theme_falls_back_and_says_so(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server, theme="no-such-theme")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "textual-dark"
        assert "unknown theme 'no-such-theme'" in screen_text(app)


async def test_the_palette_offers_the_on_call_actions(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        titles = palette_titles(app)
        for title in (
            "Filter",
            "Retryable only",
            "Sort",
            "Pause",
            "Retry marked",
            "Acknowledge",
            "Copy post id",
            "Copy post as JSON",
            "Poll less often",
            "Actions log",
            "Theme: ansi-dark",
        ):
            assert title in titles, title
        pause = next(c for c in app.get_system_commands(monitor(app)) if c.title == "Pause")
        pause.callback()
        await pilot.pause()
        assert monitor(app).paused
        assert "Resume" in palette_titles(app)
