"""The ``/`` filter language of the failed-posts table.

Syntax (terms separated by spaces, every term must hold — AND)::

    token                 free text, case-insensitive, anywhere in the post: caption,
                          post id, and each run's message, account, platform (code or
                          display name), error code and request id
    "two words"           free text with spaces (double quotes; an unclosed quote runs
                          to the end)
    platform:youtube      the platform, by code (youtube), display name (YouTube) or short
                          code (yt); see PLATFORM_ALIASES. Unknown names are matched as sent.
    status:500            the run's HTTP status; also a class (4xx, 5xx) or a narrower
                          mask (40x)
    code:upload_failed    the run's error code, case-insensitive; a prefix is enough
                          (code:upload finds upload_failed)
    account:brand_main    the run's account id, substring (case-insensitive)
    platform:x,tiktok     a comma means OR inside one term
    !term                 negates any term: !platform:x, !status:4xx, !"rate limit"

Prefixes are case-insensitive. How terms combine, in one sentence: the structured terms
(``platform:``, ``status:``, ``code:``, ``account:``, negated or not) must all hold *for the
same failed run*, while free text may match anywhere in the post. So
``platform:tiktok status:401`` finds TikTok runs that failed with 401 (not a post with a
TikTok 500 and an X 401), and ``!platform:x`` keeps every post that has a failed run on
something other than X (a post that failed only on X is hidden). Posts with no failed run
are judged on all their runs; a post with no runs at all matches no structured term.

The "retryable only" quick toggle is not part of the text: it is ``Filter.retryable_only``
(``Filter.with_retryable(True)``), judged by the caller's ``retryable`` predicate.

:func:`parse_filter` never raises. What it cannot use is reported in
``Filter.warnings`` (an unknown prefix is searched as free text; a bad status is ignored),
so the UI can show why a term does nothing.

Speed: parsing runs once per keystroke and compiles the whole filter into one predicate
per post, no regex. The predicate reads facts derived once per ``Submission`` object and
cached while it lives (:mod:`soku_tui.core.facts`): over 50,000 cached posts a keystroke
costs a few tens of ms on a 2-core machine. The first pass over a new snapshot also
derives the facts (~6 µs a post): the app calls :func:`soku_tui.core.facts.warm` on a
poll's new posts as it arrives, so a keystroke never pays that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Final, Literal

from soku_tui.core.catalog import RETRYABLE_STATUS
from soku_tui.core.facts import RunFacts, facts
from soku_tui.core.models import PLATFORM_NAMES, Submission, platform_name
from soku_tui.core.sanitize import one_line

__all__ = [
    "PLATFORM_ALIASES",
    "PREFIXES",
    "Filter",
    "Term",
    "TermKind",
    "default_retryable",
    "parse_filter",
]

TermKind = Literal["text", "platform", "status", "code", "account"]
PREFIXES: Final[tuple[TermKind, ...]] = ("platform", "status", "code", "account")

# Short codes people type, on top of the platform codes and display names themselves.
PLATFORM_ALIASES: Final[dict[str, str]] = {
    "twitter": "x",
    "tw": "x",
    "th": "threads",
    "fb": "facebook",
    "ig": "instagram",
    "insta": "instagram",
    "li": "linkedin",
    "in": "linkedin",
    "tt": "tiktok",
    "yt": "youtube",
    "sc": "snapchat",
    "snap": "snapchat",
}

_STATUS_MASK: Final = re.compile(r"[1-5][0-9x]{2}")
# Filter text comes from a single-line input, but a paste can bring anything.
_MAX_TEXT: Final = 1000


def _platform_lookup() -> dict[str, str]:
    table = {code: code for code in PLATFORM_NAMES}
    table.update({name.casefold(): code for code, name in PLATFORM_NAMES.items()})
    table.update(PLATFORM_ALIASES)
    return table


_PLATFORMS: Final = _platform_lookup()


def default_retryable(submission: Submission) -> bool:
    """A failed run with HTTP 500: what a retry can fix, per the catalogue.

    The UI should pass the retry service's verdict instead (it also knows the ledger and
    read-only mode): ``retryable=lambda s: service.can_retry(s) is None``.
    """
    return any(run.is_failed and run.http_status == RETRYABLE_STATUS for run in submission.runs)


@dataclass(frozen=True, slots=True)
class Term:
    """One parsed term. ``values`` are the alternatives of a comma list, normalised:
    casefolded text, platform codes, status masks (``"5xx"``); ``ranges`` are the status
    masks as inclusive ``(low, high)`` pairs."""

    kind: TermKind
    raw: str
    negate: bool = False
    values: tuple[str, ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()

    def describe(self) -> str:
        """The term in words (terminal-safe): ``not platform X or TikTok``."""
        if self.kind == "text":
            text = f"“{one_line(self.values[0], 40)}”"
        elif self.kind == "platform":
            text = f"platform {' or '.join(one_line(platform_name(v), 20) for v in self.values)}"
        else:
            text = f"{self.kind} {' or '.join(one_line(v, 40) for v in self.values)}"
        return f"not {text}" if self.negate else text


def _run_test(term: Term) -> Callable[[RunFacts], bool]:
    """A predicate over one run's facts, negation folded in: built once per keystroke,
    called per run, so each kind gets its own small closure."""
    negate = term.negate
    if term.kind == "platform":
        platforms = frozenset(term.values)

        def test(run: RunFacts) -> bool:
            return (run[0] in platforms) != negate

    elif term.kind == "status" and len(term.ranges) == 1:
        ((low, high),) = term.ranges

        def test(run: RunFacts) -> bool:
            status = run[1]
            return (status is not None and low <= status <= high) != negate

    elif term.kind == "status":
        ranges = term.ranges

        def test(run: RunFacts) -> bool:
            status = run[1]
            found = status is not None and any(low <= status <= high for low, high in ranges)
            return found != negate

    elif term.kind == "code":
        prefixes = term.values

        def test(run: RunFacts) -> bool:
            code = run[2]
            return (code is not None and code.startswith(prefixes)) != negate

    elif term.kind == "account":
        parts = term.values

        def test(run: RunFacts) -> bool:
            account = run[3]
            return (account is not None and any(p in account for p in parts)) != negate

    else:
        raise ValueError(f"{term.kind} is not a run term")
    return test


def _all_of(tests: tuple[Callable[[RunFacts], bool], ...]) -> Callable[[RunFacts], bool]:
    if len(tests) == 1:
        return tests[0]
    if len(tests) == 2:
        first, second = tests
        return lambda run: first(run) and second(run)

    def test(run: RunFacts) -> bool:
        return all(one(run) for one in tests)

    return test


Predicate = Callable[[Submission], bool]


def _compile(
    run_test: Callable[[RunFacts], bool] | None, needles: tuple[tuple[str, bool], ...]
) -> Predicate | None:
    """One predicate per post for the whole filter (None: everything passes).

    The common shapes get their own closure: this runs 50,000 times per keystroke.
    """
    if run_test is None and not needles:
        return None
    if not needles:
        assert run_test is not None

        def runs_only(submission: Submission) -> bool:
            return any(map(run_test, facts(submission).runs))

        return runs_only
    if len(needles) == 1:
        ((needle, negate),) = needles

        def one_needle(submission: Submission) -> bool:
            post = facts(submission)
            if run_test is not None and not any(map(run_test, post.runs)):
                return False
            return post.contains(submission, needle) != negate

        return one_needle

    def general(submission: Submission) -> bool:
        post = facts(submission)
        if run_test is not None and not any(map(run_test, post.runs)):
            return False
        return all(post.contains(submission, needle) != negate for needle, negate in needles)

    return general


@dataclass(frozen=True, slots=True)
class Filter:
    """A parsed filter. Immutable; build with :func:`parse_filter`.

    ``text`` is what the user typed, ``terms`` what was understood, ``warnings`` what was
    not (one sentence each, safe to show). ``retryable_only`` is the quick toggle.
    """

    text: str = ""
    terms: tuple[Term, ...] = ()
    warnings: tuple[str, ...] = ()
    retryable_only: bool = False
    _predicate: Predicate | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        """False when every post matches (nothing typed, toggle off)."""
        return bool(self.terms) or self.retryable_only

    def with_retryable(self, on: bool) -> Filter:
        """The same filter with the "retryable only" toggle set."""
        return replace(self, retryable_only=on)

    def matches(
        self,
        submission: Submission,
        *,
        retryable: Callable[[Submission], bool] | None = None,
    ) -> bool:
        """Whether ``submission`` passes.

        ``retryable`` judges the "retryable only" toggle (default:
        :func:`default_retryable`). It is asked last, only for posts that pass the rest,
        so an expensive verdict (the retry service's) runs for as few posts as possible.
        """
        predicate = self._predicate
        if predicate is not None and not predicate(submission):
            return False
        return not self.retryable_only or (retryable or default_retryable)(submission)

    def apply(
        self,
        submissions: Iterable[Submission],
        *,
        retryable: Callable[[Submission], bool] | None = None,
    ) -> list[Submission]:
        """The submissions that pass, in their given order (same rules as ``matches``)."""
        chosen = (
            list(submissions)
            if self._predicate is None
            else [s for s in submissions if self._predicate(s)]
        )
        if self.retryable_only:
            judge = retryable or default_retryable
            chosen = [s for s in chosen if judge(s)]
        return chosen

    def describe(self) -> str:
        """The filter in words for the header, e.g. ``platform TikTok · status 4xx ·
        “token” · retryable only``; ``""`` when inactive. Safe to display as is."""
        parts = [term.describe() for term in self.terms]
        if self.retryable_only:
            parts.append("retryable only")
        return " · ".join(parts)


# -- parsing --------------------------------------------------------------------------------


def parse_filter(text: str, *, retryable_only: bool = False) -> Filter:
    """Parse what the user typed after ``/``. Never raises; see the module docstring."""
    try:
        return _parse(text, retryable_only)
    except Exception as exc:  # a filter box must never take the screen down
        return Filter(
            text=str(text)[:_MAX_TEXT] if isinstance(text, str) else "",
            warnings=(f"could not read the filter ({type(exc).__name__}); showing everything",),
            retryable_only=retryable_only,
        )


def _parse(text: str, retryable_only: bool) -> Filter:
    warnings: list[str] = []
    if not isinstance(text, str):
        text = str(text)
    if len(text) > _MAX_TEXT:
        warnings.append(f"the filter is cut to its first {_MAX_TEXT} characters")
        text = text[:_MAX_TEXT]
    tokens, unclosed = _tokenize(text)
    if unclosed:
        warnings.append("a quote is not closed; it runs to the end")
    terms = [term for token in tokens if (term := _term(token, warnings)) is not None]
    run_tests = tuple(_run_test(t) for t in terms if t.kind != "text")
    return Filter(
        text=text,
        terms=tuple(terms),
        warnings=tuple(warnings),
        retryable_only=retryable_only,
        _predicate=_compile(
            _all_of(run_tests) if run_tests else None,
            tuple((t.values[0], t.negate) for t in terms if t.kind == "text"),
        ),
    )


@dataclass(slots=True)
class _Token:
    chars: list[str] = field(default_factory=list)
    negate: bool = False  # an unquoted "!" first
    literal: bool = False  # a quote opened before any unquoted ":": all of it is text
    colon: bool = False  # an unquoted ":" seen
    quoted: bool = False  # any quote at all

    @property
    def body(self) -> str:
        return "".join(self.chars)


def _tokenize(text: str) -> tuple[list[_Token], bool]:
    """Split on whitespace outside double quotes. Returns the tokens and whether a quote
    was left open. ``"a b"``, ``!"a b"`` are text; ``code:"a b"`` is a prefixed value."""
    tokens: list[_Token] = []
    token = _Token()
    in_quotes = False
    for char in text:
        if char == '"':
            if not in_quotes and not token.colon:
                token.literal = True
            in_quotes = not in_quotes
            token.quoted = True
        elif in_quotes:
            token.chars.append(char)
        elif char.isspace():
            if token.chars or token.quoted or token.negate:
                tokens.append(token)
            token = _Token()
        elif char == "!" and not token.chars and not token.quoted and not token.negate:
            token.negate = True
        else:
            if char == ":":
                token.colon = True
            token.chars.append(char)
    if token.chars or token.quoted or token.negate:
        tokens.append(token)
    return tokens, in_quotes


_RUN_KINDS: Final[dict[str, TermKind]] = {kind: kind for kind in PREFIXES}


def _term(token: _Token, warnings: list[str]) -> Term | None:
    body = token.body
    raw = ("!" if token.negate else "") + body
    if not body:
        # A lone "!" or "" is what a half-typed term looks like: nothing to match yet.
        return None
    if token.literal or not token.colon:
        return _text(raw, body, token.negate)
    prefix, _, value = body.partition(":")
    kind = _RUN_KINDS.get(prefix.casefold())
    if kind is None:
        warnings.append(
            f"unknown filter “{one_line(prefix, 20)}:”; searching for “{one_line(body, 40)}” "
            f"as text (filters: {', '.join(p + ':' for p in PREFIXES)})"
        )
        return _text(raw, body, token.negate)
    alternatives = [v.strip() for v in value.split(",") if v.strip()]
    if not alternatives:
        warnings.append(f"“{kind}:” needs a value")
        return None
    if kind == "platform":
        return Term(kind, raw, token.negate, _platforms(alternatives, warnings))
    if kind == "status":
        masks = _status_masks(alternatives, warnings)
        if not masks:
            return None
        ranges = tuple((int(m.replace("x", "0")), int(m.replace("x", "9"))) for m in masks)
        return Term(kind, raw, token.negate, masks, ranges)
    return Term(kind, raw, token.negate, tuple(dict.fromkeys(v.casefold() for v in alternatives)))


def _text(raw: str, body: str, negate: bool) -> Term:
    return Term("text", raw, negate, (body.casefold(),))


def _platforms(alternatives: list[str], warnings: list[str]) -> tuple[str, ...]:
    codes: list[str] = []
    for alternative in alternatives:
        folded = alternative.casefold()
        code = _PLATFORMS.get(folded)
        if code is None:
            # Unknown platforms are kept by the models as sent, so match them as sent.
            code = folded
            known = ", ".join(PLATFORM_NAMES)
            warnings.append(
                f"“{one_line(alternative, 20)}” is not a platform soku-tui knows ({known}); "
                "matching it as written"
            )
        codes.append(code)
    return tuple(dict.fromkeys(codes))


def _status_masks(alternatives: list[str], warnings: list[str]) -> tuple[str, ...]:
    masks: list[str] = []
    for alternative in alternatives:
        mask = alternative.casefold()
        if _STATUS_MASK.fullmatch(mask):
            masks.append(mask)
        else:
            warnings.append(
                f"status “{one_line(alternative, 20)}” is not an HTTP status; "
                "use e.g. status:500, status:4xx or status:5xx"
            )
    return tuple(dict.fromkeys(masks))
