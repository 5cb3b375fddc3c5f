"""The one sanitiser for untrusted server text, before any widget or stdout.

Captions, error messages, platform names, account ids, codes and ids all come from
Soku (or from whoever wrote the post) and may hold bytes a terminal obeys: escape
sequences that clear the screen, set the clipboard (OSC 52) or the window title,
carriage returns that overwrite what was printed, bidi overrides that make text read
differently than it is stored. Everything that could act on the terminal, or hide
what the text really says, is replaced by a visible stand-in, never silently dropped,
so an operator sees that something odd was sent:

* C0 controls and DEL become Unicode control pictures (ESC → ``␛``, BEL → ``␇``).
  ``\\n`` is kept by :func:`clean`; a CR of a CRLF pair is dropped (that is only a line
  break), a lone CR becomes ``␍``.
* C1 controls (U+0080–U+009F, e.g. the 8-bit CSI U+009B), bidi controls and invisible
  characters that can spoof become ``<U+XXXX>``.
* U+2028/U+2029 are line breaks; lone surrogates become U+FFFD.
* Emoji tag sequences (the flags of England, Scotland, Wales) are kept; stray tag
  characters, which can smuggle invisible text, become ``<U+E00XX>``.

Rich markup is not this module's business: the UI renders with ``rich.text.Text`` and
``markup=False``. Widths are terminal cells as measured by wcwidth, except that an
emoji with VS15 counts two cells as in Rich (which lays out the tables) and most
terminals; the tests check that Rich never measures a cut cell wider than we do.

Every function is idempotent, and ``clean()`` returns its argument unchanged (same
object) when there is nothing to replace: it runs on every caption of every poll.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Final

import wcwidth

ELLIPSIS: Final = "…"
NEWLINE_MARK: Final = "⏎"
REPLACEMENT_CHAR: Final = "\ufffd"

# Marks kept per base character in one-line cells: enough for Vietnamese, Hebrew with
# points and accents, Tibetan stacks; a "zalgo" flood beyond it spills glyphs over the
# neighbouring table rows in many terminals.
MAX_MARKS_PER_CHAR: Final = 4

# Bidi embeddings, overrides, isolates and marks (Trojan Source).
_BIDI: Final = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
# Invisible or blank characters that make two different strings look the same (or
# render at a width terminals disagree about). ZWJ/ZWNJ are not here: emoji sequences
# and several scripts need them; see _joiners_stand_in.
_INVISIBLE: Final = [
    0x00AD,  # soft hyphen
    0x115F,  # Hangul choseong filler
    0x1160,  # Hangul jungseong filler
    0x180E,  # Mongolian vowel separator
    0x200B,  # zero-width space
    0x2060,  # word joiner
    0x2061,
    0x2062,
    0x2063,
    0x2064,  # invisible math operators
    0x2065,
    *range(0x206A, 0x2070),  # deprecated format characters
    0x3164,  # Hangul filler
    0xFEFF,  # zero-width no-break space / BOM
    0xFFA0,  # halfwidth Hangul filler
    0xFFF9,
    0xFFFA,
    0xFFFB,  # interlinear annotation
]


def _visible(code: int) -> str:
    return f"<U+{code:04X}>"


def _build_table() -> dict[int, str]:
    table: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20)}
    del table[0x0A]  # newlines are kept by clean() and marked by one_line()
    table[0x7F] = "\u2421"  # ␡
    table.update({code: _visible(code) for code in range(0x80, 0xA0)})
    table.update({code: _visible(code) for code in _BIDI})
    table.update({code: _visible(code) for code in _INVISIBLE})
    return table


# one_line() turns tabs into spaces before cleaning, so ␉ only appears in clean().
_TABLE: Final = _build_table()

# ZWJ/ZWNJ join emoji (👨‍👩‍👧) and letters of some scripts (Persian, Indic conjuncts):
# always after a non-ASCII letter, mark or symbol, always before a non-ASCII letter or
# symbol. Anywhere else a joiner only hides a character ("sk<ZWJ>_live"), and wcwidth
# and Rich let it swallow the width of whatever follows (a space, a mark), so a cell
# would be measured narrower than a terminal draws it. Those become visible.
_JOINER_RUN: Final = re.compile("[\u200c\u200d]+")
_TRANSLATABLE: Final = re.compile(
    "[" + "".join(re.escape(chr(code)) for code in sorted(_TABLE)) + "]"
)
# Every character the slow path may touch. One search of this plain class per string is
# the fast path: no lookaround, no astral list, so re scans it at C speed.
_UNSAFE: Final = re.compile(
    _TRANSLATABLE.pattern[:-1] + "\r\u2028\u2029\u200c\u200d\ud800-\udfff\U000e0000-\U000e007f]"
)
_SURROGATE: Final = re.compile("[\ud800-\udfff]")
_TAG_CHAR: Final = re.compile("[\U000e0000-\U000e007f]")
# A valid emoji tag sequence (black flag, tag letters, cancel tag) or a stray tag.
_TAGS: Final = re.compile(
    "(\U0001f3f4[\U000e0020-\U000e007e]{1,30}\U000e007f)|([\U000e0000-\U000e007f])"
)
_ASCII_RUN: Final = re.compile("[\x20-\x7e]+")
_TAB_RUN: Final = re.compile("[ \t]*\t[ \t]*")
_NEWLINE_RUN: Final = re.compile(" *\n[ \n]*")


def _tag_stand_in(match: re.Match[str]) -> str:
    if match.group(1):
        return match.group(1)
    return _visible(ord(match.group(2)))


def _table_stand_in(match: re.Match[str]) -> str:
    return _TABLE[ord(match.group())]


def _joiners_stand_in(match: re.Match[str]) -> str:
    text, (start, end) = match.string, match.span()
    if start > 0 and end < len(text):
        before, after = text[start - 1], text[end]
        if (
            not before.isascii()
            and not after.isascii()
            and unicodedata.category(before)[0] in "LMS"
            and unicodedata.category(after)[0] in "LS"
            and not "\U0001f1e6" <= after <= "\U0001f1ff"  # regional indicators pair up
        ):
            return match.group()
    return "".join(_visible(ord(char)) for char in match.group())


def _as_str(text: object) -> str:
    if type(text) is str:
        return text
    if isinstance(text, str):
        # A str subclass may override __str__; take the characters it holds.
        return str.__str__(text)
    if isinstance(text, bytes | bytearray):
        return bytes(text).decode("utf-8", errors="replace")
    try:
        return str(text)
    except Exception:  # a hostile __str__ must not take the UI down
        return f"<unprintable {type(text).__name__}>"


def _clean_str(original: str) -> str:
    if _UNSAFE.search(original) is None:
        return original
    text = original
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n")
    # Each step is guarded by a cheap test: most captions that get here hold one kind
    # of trouble, and the tag and joiner patterns are slow scans.
    if _SURROGATE.search(text):
        text = _SURROGATE.sub(REPLACEMENT_CHAR, text)
    if _TAG_CHAR.search(text):
        text = _TAGS.sub(_tag_stand_in, text)
    # A sub with a callback per hit: str.translate would look up every character.
    text = _TRANSLATABLE.sub(_table_stand_in, text)
    if "\u200c" in text or "\u200d" in text:
        # Last, so the neighbours it looks at are the final ones (keeps it idempotent).
        text = _JOINER_RUN.sub(_joiners_stand_in, text)
    # Emoji ZWJ sequences land here and usually come out unchanged: hand back the
    # original so callers can rely on identity when nothing changed.
    return original if text == original else text


def clean(text: object) -> str:
    """Full text, safe to write to a terminal; newlines kept, every other control visible."""
    return _clean_str(_as_str(text))


@functools.cache
def _mark_flood() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A finder and a trimmer of runs of combining marks (Mn, Me) in the BMP.

    Built on first use (about 5 ms). BMP only: a class holding astral characters makes
    Python's re fall back to a linear range scan, a hundred times slower per caption,
    and every script and zalgo generator in use floods with BMP marks.
    """
    marks = "".join(
        re.escape(chr(code))
        for code in range(0x300, 0x10000)
        if unicodedata.category(chr(code)) in ("Mn", "Me")
    )
    find = re.compile(f"[{marks}]{{{MAX_MARKS_PER_CHAR + 1}}}")
    trim = re.compile(f"([{marks}]{{{MAX_MARKS_PER_CHAR}}})[{marks}]+")
    return find, trim


def _one_line_uncut(text: str) -> str:
    if "\t" in text:
        text = _TAB_RUN.sub(" ", text)
    text = _clean_str(text)
    if "\n" in text:
        text = _NEWLINE_RUN.sub(f" {NEWLINE_MARK} ", text)
        # Only the spaces we just added can sit at the ends next to the mark.
        if text.startswith(f" {NEWLINE_MARK}"):
            text = text[1:]
        if text.endswith(f"{NEWLINE_MARK} "):
            text = text[:-1]
    if not text.isascii():
        find, trim = _mark_flood()
        if find.search(text):
            text = trim.sub(r"\1", text)
    return text


def _width(text: str) -> int:
    # wcwidth narrows an emoji followed by VS15 (text presentation) to one cell; Rich,
    # which lays out our tables, and most terminals keep it at two. Measure it wide.
    if "\ufe0e" in text:
        text = text.replace("\ufe0e", "")
    return int(wcwidth.wcswidth(text))


def _cut(text: str, max_cells: int) -> str:
    """Cut clean one-line ``text`` to at most ``max_cells`` cells, ending in an ellipsis."""
    if max_cells <= 0:
        return ""
    if text.isascii():
        # Clean ASCII is all printable: one cell per character.
        return text if len(text) <= max_cells else text[: max_cells - 1] + ELLIPSIS
    if _width(text) <= max_cells:
        return text
    budget = max_cells - 1
    # An ASCII start is one cell per character, and a boundary between any two ASCII
    # characters: the common case needs no measuring at all.
    ascii_run = _ASCII_RUN.match(text, 0, budget + 1)
    ascii_end = ascii_run.end() if ascii_run else 0
    if ascii_end > budget:
        return text[:budget] + ELLIPSIS
    # Longest prefix that fits, by bisection on the width (C speed; a Python loop over
    # grapheme clusters costs several times more per caption). The last ASCII character
    # is left in play in case a combining mark follows it.
    low, high = max(ascii_end - 1, 0), len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if _width(text[:middle]) <= budget:
            low = middle
        else:
            high = middle - 1
    # Back to the start of the cluster holding the next character: never half a wide
    # character, a flag or a ZWJ emoji.
    cut = wcwidth.grapheme_boundary_before(text, low + 1) if low < len(text) else low
    result = _joined_to_ellipsis(text[:cut])
    # A prefix's width need not grow with its length (emoji sequences): make sure.
    while cut > 0 and _width(result) > max_cells:
        cut = wcwidth.grapheme_boundary_before(text, cut)
        result = _joined_to_ellipsis(text[:cut])
    return result


def _joined_to_ellipsis(prefix: str) -> str:
    # A joiner left at the end of the kept part would join the ellipsis (and clean()
    # would show it the next time round); the cut drops it with the rest.
    return prefix.rstrip("\u200c\u200d") + ELLIPSIS


def one_line(text: object, max_cells: int | None = None) -> str:
    """clean() for a single line: tabs become a space, line breaks a visible ``⏎``.

    With ``max_cells``, the result is at most that many terminal cells wide, cut at a
    grapheme boundary and ended with ``…`` when anything was cut.
    """
    line = _one_line_uncut(_as_str(text))
    return line if max_cells is None else _cut(line, max_cells)


def cell_width(text: str) -> int:
    """Terminal cells ``text`` occupies (wide/emoji 2, combining 0).

    Text holding control characters or line breaks is measured as one_line() shows it.
    """
    width = _width(text)
    return width if width >= 0 else _width(_one_line_uncut(text))


def pad_cells(text: str, width: int) -> str:
    """``text`` as one line, cut or padded with spaces to exactly ``width`` cells."""
    if width <= 0:
        return ""
    line = one_line(text, width)
    padded = line + " " * (width - cell_width(line))
    # A trailing joiner swallows the first space in wcwidth's count; add what is missing.
    while cell_width(padded) < width:
        padded += " "
    return padded


__all__ = [
    "ELLIPSIS",
    "MAX_MARKS_PER_CHAR",
    "NEWLINE_MARK",
    "cell_width",
    "clean",
    "one_line",
    "pad_cells",
]
