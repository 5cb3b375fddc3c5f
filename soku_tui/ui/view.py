"""Which posts the table shows, in which order: the filter, the sort, hidden acknowledgements.

Pure data (no widgets), so the screen's rules are testable without a terminal and the
same rules hold whether the rows come from a poll, a key press or a resumed pause.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Final

from soku_tui.core.acks import Ack
from soku_tui.core.filters import Filter, parse_filter
from soku_tui.core.models import Submission
from soku_tui.core.monitor import Snapshot
from soku_tui.core.sorting import SortKey, next_sort_key, sort_submissions

# Each order's natural direction, then the reversed one, in words for the view line.
SORT_WORDS: Final[dict[SortKey, tuple[str, str]]] = {
    "time": ("newest first", "oldest first"),
    "platform": ("platform A→Z", "platform Z→A"),
    "status": ("worst status first", "mildest status first"),
}


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the user chose to see. The default shows every post, newest first."""

    filter: Filter = field(default_factory=lambda: parse_filter(""))
    sort: SortKey = "time"
    reverse: bool = False
    hide_acknowledged: bool = False

    @property
    def default_order(self) -> bool:
        # The snapshot is already newest first with the same tie-break, so the default
        # order costs nothing, not even the per-post facts a sort needs.
        return self.sort == "time" and not self.reverse

    @property
    def sort_words(self) -> str:
        natural, reversed_ = SORT_WORDS[self.sort]
        return reversed_ if self.reverse else natural

    def with_filter(self, text: str) -> ViewOptions:
        return replace(self, filter=parse_filter(text, retryable_only=self.filter.retryable_only))

    def with_retryable_only(self, on: bool) -> ViewOptions:
        return replace(self, filter=self.filter.with_retryable(on))

    def next_sort(self) -> ViewOptions:
        return replace(self, sort=next_sort_key(self.sort), reverse=False)

    def reversed(self) -> ViewOptions:
        return replace(self, reverse=not self.reverse)


@dataclass(frozen=True, slots=True)
class View:
    """The posts to show, in order, and what the header and view line say about them."""

    submissions: list[Submission]
    total: int  # posts in the snapshot the view was made from
    acknowledged: frozenset[str]  # shown or not, posts whose acknowledgement still covers them
    hidden_acknowledged: int  # of those, how many the view hides

    @property
    def shown(self) -> int:
        return len(self.submissions)


def current_acknowledgements(snapshot: Snapshot, acks: Mapping[str, Ack]) -> frozenset[str]:
    """Posts acknowledged with nothing new failing since: those are dimmed (or hidden).

    A post that failed again after its acknowledgement is news, so it is shown normally.
    Walks the acknowledgements (a handful), not the posts (maybe 50,000).
    """
    return frozenset(
        post_id
        for post_id, ack in acks.items()
        if (submission := snapshot.get(post_id)) is not None and ack.covers(submission)
    )


def build_view(
    snapshot: Snapshot,
    options: ViewOptions,
    *,
    retryable: Callable[[Submission], bool],
    acks: Mapping[str, Ack],
) -> View:
    """Filter, hide acknowledged posts if asked, then sort (stable, ties by post id)."""
    acknowledged = current_acknowledgements(snapshot, acks)
    chosen: list[Submission]
    if options.filter.active:
        chosen = options.filter.apply(snapshot.submissions, retryable=retryable)
    else:
        chosen = list(snapshot.submissions)
    hidden = 0
    if options.hide_acknowledged and acknowledged:
        before = len(chosen)
        chosen = [s for s in chosen if s.post_submission_id not in acknowledged]
        hidden = before - len(chosen)
    if not options.default_order:
        chosen = sort_submissions(chosen, options.sort, options.reverse)
    return View(chosen, len(snapshot.submissions), acknowledged, hidden)


__all__ = ["SORT_WORDS", "View", "ViewOptions", "build_view", "current_acknowledgements"]
