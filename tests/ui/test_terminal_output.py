"""What the app writes to the terminal on purpose: OSC 52 copies, OSC 8 links, the bell and
desktop notifications. Recorded at the app's driver, where the bytes leave for the
terminal (in a real session, over SSH).
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from textual.geometry import Region
from textual.widgets import Static

from soku_tui.demo.server import DemoServer
from soku_tui.ui.app import SokuApp
from soku_tui.ui.widgets.detail import DetailPane
from tests.ui.driving import (
    SIZE,
    MakeApp,
    highlight,
    monitor,
    poll,
    polled,
    screen_text,
    server_submission,
    shown,
    status_line,
    table,
    wait_until,
)

OSC52 = re.compile(r"\x1b\]52;c;([A-Za-z0-9+/=]*)\x07")


def record_terminal(app: SokuApp) -> list[str]:
    """Everything written through the driver from now on."""
    driver = app._driver
    assert driver is not None
    written: list[str] = []
    original = driver.write

    def write(data: str) -> None:
        written.append(data)
        original(data)

    driver.write = write  # type: ignore[method-assign]
    return written


def copied(written: list[str]) -> list[str]:
    return [base64.b64decode(m).decode() for chunk in written for m in OSC52.findall(chunk)]


# ---------------------------------------------------------------------------- copy


async def test_y_copies_the_post_id_and_Y_the_post_as_json(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with polled(app) as pilot:
        written = record_terminal(app)
        post = max(shown(app), key=lambda s: len(s.runs))
        post_id = post.post_submission_id
        # On one of its runs, y still copies the post's id.
        await highlight(pilot, (post_id, post.runs[0].target_id))

        await pilot.press("y")
        assert copied(written) == [post_id]
        assert status_line(app).startswith(f"Copied post id {post_id[:8]}…")
        assert not any(chunk.startswith("\x1bPtmux;") for chunk in written)

        await pilot.press("Y")
        data = json.loads(copied(written)[-1])
        truth = server_submission(fixed_server, post_id)
        assert data["post_id"] == post_id
        assert [r["target_id"] for r in data["runs"]] == [r["targetId"] for r in truth["runs"]]
        assert data["ack"] is None


async def test_inside_tmux_the_copy_is_wrapped_for_passthrough(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server, tmux=True)
    async with polled(app) as pilot:
        written = record_terminal(app)
        await pilot.press("down", "y")
        wrapped = [chunk for chunk in written if chunk.startswith("\x1bPtmux;")]
        assert len(wrapped) == 1
        assert wrapped[0].endswith("\x1b\\")
        assert "through tmux" in status_line(app)
        # Textual's own copy (a text selection, ctrl+c in an input) goes the same way.
        app.copy_to_clipboard("selected text")
        assert sum(chunk.startswith("\x1bPtmux;") for chunk in written) == 2


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"clipboard": "off"}, "clipboard = off"),
        ({"clipboard_max_bytes": 40}, "over the 40-byte limit"),
    ],
    ids=["off", "too-large"],
)
async def test_nothing_is_copied_when_off_or_too_large_and_the_status_says_why(
    fixed_server: DemoServer, make_app: MakeApp, overrides: dict[str, object], reason: str
) -> None:
    app = make_app(fixed_server, **overrides)
    async with polled(app) as pilot:
        written = record_terminal(app)
        await pilot.press("down", "Y")
        assert copied(written) == []
        said = status_line(app)
        assert said.startswith("Not copied") and reason in said


# ---------------------------------------------------------------------------- links


async def test_links_in_the_detail_pane_are_osc8_hyperlinks_never_a_browser(
    fixed_server: DemoServer, make_app: MakeApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(fixed_server)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, **_: opened.append(url))
    async with app.run_test(size=(160, 48)) as pilot:
        await poll(pilot)
        post = next(
            s
            for s in shown(app)
            if any(r.status == "succeeded" and r.platform_post_url for r in s.runs)
        )
        live = next(r.platform_post_url for r in post.runs if r.platform_post_url)
        await highlight(pilot, post.post_submission_id)
        body = monitor(app).query_one(DetailPane).query_one("#detail-body", Static)
        strips = body.render_lines(Region(0, 0, body.size.width, body.size.height))
        sent = "".join(strip.render(app.console) for strip in strips)
        for url in (live, "https://mysoku.io/posts"):
            assert re.search(rf"\x1b\]8;id=[^;]*;{re.escape(url)}\x1b\\", sent), url
        # Clicking a link is the terminal's business: nothing is opened on this host.
        await pilot.click(DetailPane)
        assert opened == []


# ---------------------------------------------------------------------------- notify


async def test_new_failures_are_announced_once_and_quietly_by_default(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        written = record_terminal(app)
        await poll(pilot)
        assert "new failure" not in screen_text(app), "the first load is not news"
        before = set(table(app).post_ids)
        fixed_server.tick()
        await poll(pilot)
        (new_id,) = set(table(app).post_ids) - before
        runs = [r for r in server_submission(fixed_server, new_id)["runs"] if r["error"]]
        noun = "failure" if len(runs) == 1 else "failures"
        await wait_until(
            pilot, lambda: f"{len(runs)} new {noun}" in screen_text(app), "the notification"
        )
        await poll(pilot)  # nothing new: no second notice
        await pilot.pause(0.2)
        assert screen_text(app).count(f"{len(runs)} new {noun}") == 1
        assert not any("\x07" in chunk or "\x1b]9;" in chunk for chunk in written)


async def test_the_toast_waits_while_the_user_is_pressing_keys(
    fixed_server: DemoServer, make_app: MakeApp
) -> None:
    app = make_app(fixed_server)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await poll(pilot)
        before = set(table(app).post_ids)
        fixed_server.tick()
        await pilot.press("j")  # typing as the poll lands
        await poll(pilot)
        # The table already shows the new post; the toast is not up yet…
        assert set(table(app).post_ids) - before
        assert "new failure" not in screen_text(app)
        # …and comes once the keys have stopped for a moment.
        await wait_until(pilot, lambda: "new failure" in screen_text(app), "the toast")


@pytest.mark.parametrize(
    ("protocol", "sequence"), [("osc9", "\x1b]9;"), ("osc777", "\x1b]777;notify;")]
)
async def test_bell_and_desktop_notification_when_the_config_asks(
    fixed_server: DemoServer, make_app: MakeApp, protocol: str, sequence: str
) -> None:
    app = make_app(fixed_server, notify_bell=True, notify_desktop=True, desktop_protocol=protocol)
    async with app.run_test(size=SIZE) as pilot:
        written = record_terminal(app)
        await poll(pilot)
        assert written.count("\x07") == 0
        fixed_server.tick()
        await poll(pilot)
        assert written.count("\x07") == 1
        desktop = [chunk for chunk in written if chunk.startswith(sequence)]
        assert len(desktop) == 1
        assert "new failure" in desktop[0]
