"""Server text can never act on the terminal, and still reads as what was sent."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len

from soku_tui.core.sanitize import (
    MAX_MARKS_PER_CHAR,
    cell_width,
    clean,
    one_line,
    pad_cells,
)
from tests.core.hostile_corpus import (
    ESC,
    FORBIDDEN,
    HOSTILE,
    HOSTILE_STRINGS,
    assert_terminal_safe,
)

WIDTHS = (0, 1, 2, 3, 5, 8, 13, 40, 80)

# Every category, surrogates included, with the characters attackers actually use mixed
# in often enough that hypothesis builds sequences from them.
_SPECIALS = st.sampled_from(
    [
        *(ESC, "[", "]", "\x07", "\x9b", "\r", "\n", "\t", "\u202e", "\u2066", "\u200d"),
        *("\ufe0f", "\ufe0e", "\U000e0041", "\U0001f3f4", "\U000e007f", "\u0301", "\u20e3"),
        *("日", "👍", "🇯", "🇵", "👩", "🏽", "⌚", "\ud800", "\u2028", "a", " "),
    ]
)
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()) | _SPECIALS, max_size=80)

ORDINARY = [
    "Big launch today! Check out the new collection at https://example.com/summer?ref=x",
    "Hello, world. 100% ready; (see #hashtags) & @mentions — quotes “like these”.",
    "Line one\nLine two",
    "新商品を発売しました！ぜひご覧ください。",
    "사진 공유합니다 😊",
    "مرحبا بالعالم",
    "שלום עולם",
    "Ça marche très bien, naïve café, Ünïcödé",
    "👍🏽 👨\u200d👩\u200d👧\u200d👦 🇯🇵 🏳\ufe0f\u200d🌈 ❤\ufe0f",
    "नमस्ते दुनिया",
    "می‌خواهم",  # Persian: ZWNJ between letters is spelling, not a trick
    "[bold]rich markup is the UI's job[/bold] $accent",
    "",
]


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=list(HOSTILE))
def test_hostile_corpus_never_reaches_the_terminal(text: str) -> None:
    cleaned = clean(text)
    assert_terminal_safe(cleaned, allow_newline=True)
    assert_terminal_safe(one_line(text))
    for width in WIDTHS:
        assert_terminal_safe(one_line(text, width))
        assert_terminal_safe(pad_cells(text, width))


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=list(HOSTILE))
def test_hostile_corpus_fits_its_cell_for_us_and_for_rich(text: str) -> None:
    for width in WIDTHS:
        line = one_line(text, width)
        assert cell_width(line) <= width
        # Rich lays out the table: if it measured wider than we do, cells would wrap.
        assert cell_len(line) <= width
        padded = pad_cells(text, width)
        assert cell_width(padded) == width


@pytest.mark.parametrize("text", HOSTILE_STRINGS, ids=list(HOSTILE))
def test_hostile_corpus_is_idempotent(text: str) -> None:
    assert clean(clean(text)) == clean(text)
    assert one_line(one_line(text)) == one_line(text)
    for width in WIDTHS:
        assert one_line(one_line(text, width), width) == one_line(text, width)


def test_corpus_is_big_and_varied() -> None:
    assert len(HOSTILE_STRINGS) >= 60
    assert any(ESC + "]52;" in text for text in HOSTILE_STRINGS)
    assert any(len(text) >= 10_000 for text in HOSTILE_STRINGS)
    assert sum(1 for text in HOSTILE_STRINGS if FORBIDDEN.search(text)) >= 30


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_text_passes_through_clean_unchanged(text: str) -> None:
    assert clean(text) == text
    # The fast path hands back the very same object: no copy per caption per poll.
    assert clean(text) is text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (f"{ESC}[2Jboom", "␛[2Jboom"),
        (f"{ESC}]52;c;aGk=\x07", "␛]52;c;aGk=␇"),
        ("\x9b31mred", "<U+009B>31mred"),
        ("user\u202etxt.exe", "user<U+202E>txt.exe"),
        ("\u2066isolate\u2069", "<U+2066>isolate<U+2069>"),
        ("ok\rFAILED", "ok␍FAILED"),
        ("one\r\ntwo", "one\ntwo"),
        ("a\tb", "a␉b"),
        ("nul\x00del\x7f", "nul␀del␡"),
        ("zero\u200bwidth\ufeff", "zero<U+200B>width<U+FEFF>"),
        ("one\u2028two\u2029three", "one\ntwo\nthree"),
        ("bad \ud800 pair", "bad \ufffd pair"),
        ("hi\U000e0069\U000e0021", "hi<U+E0069><U+E0021>"),
        ("sk\u200d_live\u200c\u200d", "sk<U+200D>_live<U+200C><U+200D>"),
        ("\u200dstart", "<U+200D>start"),
        ("[red]x[/]", "[red]x[/]"),
    ],
)
def test_clean_makes_controls_visible(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_emoji_tag_sequence_flag_is_kept() -> None:
    scotland = "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    assert clean(f"go {scotland}!") == f"go {scotland}!"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("line one\nline two", "line one ⏎ line two"),
        ("para\n\n\n  next", "para ⏎ next"),
        ("windows\r\nline", "windows ⏎ line"),
        ("trailing\n", "trailing ⏎"),
        ("\nleading", "⏎ leading"),
        ("col1\tcol2\t\t col3", "col1 col2 col3"),
        ("sep\u2028arated", "sep ⏎ arated"),
    ],
)
def test_one_line_shows_line_breaks_and_tabs(raw: str, shown: str) -> None:
    assert one_line(raw) == shown


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("abc", 1, "…"),
        ("abc", 0, ""),
        ("日本語", 6, "日本語"),
        ("日本語", 5, "日本…"),
        ("日本語", 4, "日…"),  # never half a wide character: 3 cells, not 4
        ("👨\u200d👩\u200d👧 family", 3, "👨\u200d👩\u200d👧…"),
        ("🇯🇵🇫🇷🇩🇪", 5, "🇯🇵🇫🇷…"),
        ("e\u0301e\u0301e\u0301e\u0301", 3, "e\u0301e\u0301…"),
    ],
)
def test_one_line_cuts_whole_characters_to_the_cell_budget(
    text: str, width: int, expected: str
) -> None:
    assert one_line(text, width) == expected


def test_zalgo_flood_is_capped_in_table_cells() -> None:
    zalgo = "Z" + "\u0351\u0352\u0353\u0354" * 50 + "algo"
    line = one_line(zalgo, 20)
    assert line == "Z\u0351\u0352\u0353\u0354algo"
    assert len(line) - len("Zalgo") == MAX_MARKS_PER_CHAR
    # The full text (detail pane) keeps every mark.
    assert clean(zalgo) == zalgo


def test_long_text_is_cut_quickly_from_the_front() -> None:
    text = "日本語のキャプション " * 2000
    line = one_line(text, 30)
    assert line.endswith("…")
    assert cell_width(line) <= 30
    assert text.startswith(line[:-1])


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("abc", 3),
        ("日本", 4),
        ("e\u0301", 1),
        ("👍", 2),
        ("🇯🇵", 2),
        ("", 0),
        ("👨\u200d👩\u200d👧", 2),
        ("⌚\ufe0e", 2),  # VS15: two cells, as Rich and terminals draw it
    ],
)
def test_cell_width_counts_terminal_cells(text: str, width: int) -> None:
    assert cell_width(text) == width


def test_cell_width_of_raw_controls_is_their_visible_form() -> None:
    assert cell_width(f"a{ESC}b") == len("a␛b")
    assert cell_width("a\nb") == cell_width("a ⏎ b")


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("ab", 5, "ab   "),
        ("日本", 5, "日本 "),
        ("日本語", 5, "日本…"),
        ("日本語", 4, "日… "),
        ("abcdef", 4, "abc…"),
        ("x", 0, ""),
    ],
)
def test_pad_cells_gives_exact_width(text: str, width: int, expected: str) -> None:
    assert pad_cells(text, width) == expected
    assert cell_width(pad_cells(text, width)) == width


class _Hostile:
    def __str__(self) -> str:
        raise RuntimeError("no")


class _SneakyStr(str):
    def __str__(self) -> str:
        return f"{ESC}[2J"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "None"),
        (42, "42"),
        (b"caf\xc3\xa9 \xff", "café \ufffd"),
        (_Hostile(), "<unprintable _Hostile>"),
        (_SneakyStr("plain"), "plain"),
        (ValueError(f"{ESC}]0;title\x07"), "␛]0;title␇"),
    ],
)
def test_non_str_input_is_stringified_safely(value: object, shown: str) -> None:
    assert clean(value) == shown
    assert type(clean(value)) is str


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT)
def test_fuzz_clean_is_safe_and_idempotent(text: str) -> None:
    cleaned = clean(text)
    assert_terminal_safe(cleaned, allow_newline=True)
    assert clean(cleaned) == cleaned


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT, st.integers(min_value=0, max_value=30))
def test_fuzz_one_line_is_safe_fits_and_is_a_prefix(text: str, width: int) -> None:
    full = one_line(text)
    assert_terminal_safe(full)
    assert one_line(full) == full
    line = one_line(text, width)
    assert_terminal_safe(line)
    assert cell_width(line) <= width
    assert cell_len(line) <= width
    assert one_line(line, width) == line
    if line != full and width > 0:
        # Cut, never rewritten: what is shown is the start of the full line.
        assert line.endswith("…")
        assert full.startswith(line[:-1])
    padded = pad_cells(text, width)
    assert cell_width(padded) == width
