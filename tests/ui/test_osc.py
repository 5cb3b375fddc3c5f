"""OSC 52 / OSC 8 / OSC 9 / OSC 777: exact bytes, tmux wrapping, and no injection.

Pure functions: no app, no terminal. The sequences are checked byte for byte, because a
terminal obeys bytes.
"""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from soku_tui.ui.osc import (
    BELL,
    OSC52_MAX_BYTES,
    clipboard_mode,
    dashboard_post_url,
    hyperlink,
    in_tmux,
    notify_osc9,
    notify_osc777,
    osc52_copy,
    safe_url,
    tmux_passthrough,
)
from tests.core.hostile_corpus import FORBIDDEN, FORBIDDEN_EXCEPT_NEWLINE, HOSTILE_STRINGS

ESC = "\x1b"


def osc_body(sequence: str, prefix: str) -> str:
    """The part between ``prefix`` and the BEL that ends a bare OSC sequence."""
    assert sequence.startswith(prefix), sequence
    assert sequence.endswith("\x07")
    return sequence[len(prefix) : -1]


def test_osc52_is_base64_of_the_text() -> None:
    seq = osc52_copy("post-123 ✓", in_tmux=False)
    assert seq == f"{ESC}]52;c;{base64.b64encode('post-123 ✓'.encode()).decode()}\x07"


def test_osc52_in_tmux_is_wrapped_in_passthrough_with_escs_doubled() -> None:
    seq = osc52_copy("abc", in_tmux=True)
    assert seq == f"{ESC}Ptmux;{ESC}{ESC}]52;c;YWJj\x07{ESC}\\"


def test_osc52_size_guard() -> None:
    assert osc52_copy("a" * OSC52_MAX_BYTES, in_tmux=False) is not None
    assert osc52_copy("a" * (OSC52_MAX_BYTES + 1), in_tmux=False) is None
    # The guard counts bytes, not characters: 3 bytes each in UTF-8.
    assert osc52_copy("€" * 10, in_tmux=False, max_bytes=29) is None
    assert osc52_copy("€" * 10, in_tmux=False, max_bytes=30) is not None
    # At the default the whole sequence stays under the common 100,000-byte limit.
    longest = osc52_copy("a" * OSC52_MAX_BYTES, in_tmux=True)
    assert longest is not None and len(longest) < 100_020


def test_osc52_copies_hostile_text_defanged() -> None:
    # What lands on the clipboard is pasted into shells: no live ESC or BEL in it.
    seq = osc52_copy("rm -rf ~\x1b[201~\x07\n", in_tmux=False)
    assert seq is not None
    decoded = base64.b64decode(osc_body(seq, f"{ESC}]52;c;")).decode()
    assert not FORBIDDEN_EXCEPT_NEWLINE.search(decoded)
    assert decoded == "rm -rf ~␛[201~␇\n"  # visible stand-ins; the newline kept


def test_hyperlink_bytes() -> None:
    link = hyperlink("open in Soku", "https://mysoku.io/posts")
    assert link == f"{ESC}]8;;https://mysoku.io/posts{ESC}\\open in Soku{ESC}]8;;{ESC}\\"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "file:///etc/passwd",
        "ssh://host",
        "https://",
        "//mysoku.io/posts",
        "https://evil.example/\x1b]8;;https://other\x1b\\",
        "https://evil.example/\x07",
        "https://evil.example/\x9c",
        "https://evil.example/a b",
        "https://evil\u202e.example/",
        "https://evil.example/" + "a" * 3000,
        "",
    ],
)
def test_unsafe_urls_give_plain_text(url: str) -> None:
    assert safe_url(url) is None
    assert hyperlink("caption", url) == "caption"


def test_urls_are_made_printable_ascii() -> None:
    assert safe_url("https://www.tiktok.com/@brand/video/1?x=é") == (
        "https://www.tiktok.com/@brand/video/1?x=%C3%A9"
    )
    assert safe_url("https://x.com/a%20b") == "https://x.com/a%20b"  # not encoded twice
    assert safe_url("HTTP://Example.com/") == "HTTP://Example.com/"


def test_link_text_is_sanitised() -> None:
    link = hyperlink("[b]cap\x1b[2Jtion\nnext", "https://mysoku.io/posts")
    text = link.split(f"{ESC}\\")[1].removesuffix(f"{ESC}]8;;")
    assert text == "[b]cap␛[2Jtion ⏎ next"


def test_dashboard_url() -> None:
    assert dashboard_post_url("abc") == "https://mysoku.io/posts"
    assert dashboard_post_url("abc", base="https://soku.agency.example/") == (
        "https://soku.agency.example/posts"
    )
    assert dashboard_post_url("abc", base="javascript:x") is None


def test_osc9_and_osc777_bytes() -> None:
    assert notify_osc9("3 new failures: X 500") == f"{ESC}]9;3 new failures: X 500\x07"
    assert notify_osc777("Soku", "3 new failures; X 500") == (
        f"{ESC}]777;notify;Soku;3 new failures; X 500\x07"
    )
    assert notify_osc777("a;b", "c") == f"{ESC}]777;notify;a,b;c\x07"
    assert notify_osc9("x", in_tmux=True).startswith(f"{ESC}Ptmux;{ESC}{ESC}]9;")


def test_osc9_never_looks_like_a_conemu_command() -> None:
    # "OSC 9 ; 4 ; …" sets a progress bar in Windows Terminal.
    assert notify_osc9("4;3;50") == f"{ESC}]9; 4;3;50\x07"


def test_notifications_are_one_short_line() -> None:
    body = osc_body(notify_osc9("line one\nline two " + "x" * 500), f"{ESC}]9;")
    assert "\n" not in body and len(body) <= 200


@pytest.mark.parametrize("text", HOSTILE_STRINGS)
def test_no_hostile_string_can_break_out_of_a_sequence(text: str) -> None:
    bodies = [
        osc_body(notify_osc9(text), f"{ESC}]9;"),
        osc_body(notify_osc777(text, text), f"{ESC}]777;notify;"),
    ]
    link = hyperlink(text, "https://mysoku.io/posts")
    bodies.append(link.removeprefix(f"{ESC}]8;;https://mysoku.io/posts{ESC}\\").split(ESC)[0])
    for body in bodies:
        assert not FORBIDDEN.search(body), repr(body)
    assert link.count(ESC) == 4
    copied = osc52_copy(text, in_tmux=False)
    assert copied is not None
    # On the clipboard, line breaks are kept (a post as JSON is several lines).
    clipboard = base64.b64decode(osc_body(copied, f"{ESC}]52;c;")).decode()
    assert not FORBIDDEN_EXCEPT_NEWLINE.search(clipboard), repr(clipboard)


@given(st.text(max_size=300), st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_fuzzed_input_never_escapes(title: str, body: str) -> None:
    seq = notify_osc777(title, body)
    assert seq.count(ESC) == 1 and seq.count("\x07") == 1
    assert not FORBIDDEN.search(osc_body(seq, f"{ESC}]777;notify;"))
    assert osc_body(seq, f"{ESC}]777;notify;").count(";") >= 1
    url = safe_url(body)
    assert url is None or (url.isascii() and url.isprintable() and " " not in url)


def test_tmux_passthrough_doubles_every_esc() -> None:
    assert tmux_passthrough(f"{ESC}]9;a{ESC}\\") == f"{ESC}Ptmux;{ESC}{ESC}]9;a{ESC}{ESC}\\{ESC}\\"


def test_environment_switches() -> None:
    assert clipboard_mode({}) == "osc52"
    assert clipboard_mode({"SOKU_CLIPBOARD": "osc52"}) == "osc52"
    for off in ("off", "OFF", " 0 ", "false", "no", "none"):
        assert clipboard_mode({"SOKU_CLIPBOARD": off}) == "off"
    assert in_tmux({"TMUX": "/tmp/tmux-1000/default,123,0"})
    assert not in_tmux({"TMUX": ""})
    assert not in_tmux({})
    assert BELL == "\x07"


def test_module_loads_neither_textual_nor_rich() -> None:
    code = "import sys, soku_tui.ui.osc; print(sorted(m for m in sys.modules " + (
        "if m.split('.')[0] in ('textual', 'rich')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    assert out.strip() == "[]"
