"""One row per figure, printed as one table: figure, baseline, ratio, target, verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    bench: str  # "1 pipeline", "2 first data", …
    what: str
    figure: float
    unit: str  # "ms", "s", "B", "B/s", "MB"
    baseline: float | None = None
    baseline_what: str = ""
    target: float | None = None  # the figure must be at or below this
    # For targets on the ratio (the pipeline: at most 4× the orjson floor).
    ratio_target: float | None = None
    note: str = ""
    # Set when the thing measured did not finish: it took more than this many seconds.
    gave_up_after: float | None = None

    @property
    def ratio(self) -> float | None:
        if self.gave_up_after is not None or self.baseline is None or not self.baseline:
            return None
        return self.figure / self.baseline

    @property
    def verdict(self) -> str:
        if self.gave_up_after is not None:
            return "MISS" if self.target is not None or self.ratio_target is not None else ""
        if self.ratio_target is not None and self.ratio is not None:
            return "ok" if self.ratio <= self.ratio_target else "MISS"
        if self.target is not None:
            return "ok" if self.figure <= self.target else "MISS"
        return ""


def _amount(value: float, unit: str) -> str:
    if value != value:  # NaN: not measured (the note says why)
        return "n/a"
    if unit in ("B", "B/s"):
        return f"{value:,.0f} {unit}"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:g} {unit}"


def _target(row: Row) -> str:
    if row.ratio_target is not None:
        return f"≤ {row.ratio_target:g}×"
    if row.target is not None:
        return "≤ " + _amount(row.target, row.unit)
    return ""


def render(rows: Sequence[Row], title: str) -> str:
    """A Markdown table (it reads well in a terminal and pastes into the README)."""
    head = ("#", "benchmark", "figure", "baseline", "ratio", "target", "")
    cells: list[tuple[str, ...]] = [head]
    for row in rows:
        baseline = ""
        if row.baseline is not None:
            baseline = _amount(row.baseline, row.unit)
            if row.baseline_what:
                baseline += f" ({row.baseline_what})"
        ratio = f"{row.ratio:.1f}×" if row.ratio is not None else ""
        what = row.what + (f" — {row.note}" if row.note else "")
        figure = _amount(row.figure, row.unit)
        if row.gave_up_after is not None:
            figure = f"> {row.gave_up_after:g} s"
        cells.append(
            (
                row.bench,
                what,
                figure,
                baseline,
                ratio,
                _target(row),
                row.verdict,
            )
        )
    widths = [max(len(line[i]) for line in cells) for i in range(len(head))]
    right: Callable[[int], bool] = lambda i: i in (2, 4)  # noqa: E731 - tiny local rule
    lines = [title, ""]
    for index, line in enumerate(cells):
        padded = [
            text.rjust(widths[i]) if right(i) else text.ljust(widths[i])
            for i, text in enumerate(line)
        ]
        lines.append("| " + " | ".join(padded) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def gave_up(bench: str, what: str, unit: str, after: float, **options: object) -> Row:
    """The row of a measurement that did not finish within ``after`` seconds."""
    return Row(bench, what, float("nan"), unit, gave_up_after=after, **options)  # type: ignore[arg-type]
