"""The failed-posts table's rows as lines: display order, expansion, key ↔ line.

Pure Python, no Textual: the widget asks this model what is on line ``n`` and renders
only the lines on screen. Every operation here is a handful of list/dict operations
done in C (a 50,000-post refresh is a few milliseconds); nothing is done per row in
Python except building the key → row dictionary.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Sequence, Set
from dataclasses import dataclass
from operator import attrgetter

from soku_tui.core.slices import chunks, finish
from soku_tui.ui.widgets.post_rows import PostRow, RowKey, RunKey, RunRow

_POST_ID = attrgetter("post_id")


@dataclass(frozen=True, slots=True)
class PreparedRows:
    """Rows indexed for :meth:`TableModel.set_rows`, made ahead of time.

    Indexing 50,000 rows takes a few ms (a C loop); made along with the rows, the table
    only swaps it in. Owned by the model once handed
    over: neither the dict nor the list may be changed afterwards.
    """

    posts: dict[str, PostRow]
    order: list[str]

    @classmethod
    def of(cls, rows: Iterable[PostRow]) -> PreparedRows:
        return finish(cls.of_in_steps(rows))

    @classmethod
    def of_in_steps(cls, rows: Iterable[PostRow]) -> Generator[None, None, PreparedRows]:
        """:meth:`of` in steps of a few ms (see soku_tui.core.slices): C loops over chunks."""
        rows = rows if isinstance(rows, list | tuple) else list(rows)
        posts: dict[str, PostRow] = {}
        for chunk in chunks(rows):
            posts.update(zip(map(_POST_ID, chunk), chunk, strict=True))
            yield
        return cls(posts, list(posts))

    def __len__(self) -> int:
        return len(self.order)


class TableModel:
    """Posts in the caller's order, with the runs of expanded posts spliced in under them."""

    def __init__(self) -> None:
        self._posts: dict[str, PostRow] = {}
        self._order: list[str] = []
        self._lines: list[RowKey] = []
        # Ids, not positions, so expansion survives refreshes, filters and re-sorts; an
        # id that is absent right now simply has no effect until its post comes back.
        self._expanded: set[str] = set()

    @property
    def order(self) -> Sequence[str]:
        """Post ids in display order. Replaced (never mutated) by :meth:`set_rows`."""
        return self._order

    @property
    def lines(self) -> Sequence[RowKey]:
        return self._lines

    @property
    def expanded(self) -> Set[str]:
        return frozenset(self._expanded)

    def __len__(self) -> int:
        return len(self._lines)

    def post(self, post_id: str) -> PostRow | None:
        return self._posts.get(post_id)

    def __contains__(self, post_id: object) -> bool:
        return post_id in self._posts

    def run(self, key: RunKey) -> RunRow | None:
        row = self._posts.get(key[0])
        if row is None:
            return None
        for run in row.runs:
            if run.target_id == key[1]:
                return run
        return None

    def set_rows(self, rows: Sequence[PostRow] | PreparedRows) -> None:
        """Replace the rows, in the given order. A repeated post id keeps its first place."""
        prepared = rows if isinstance(rows, PreparedRows) else PreparedRows.of(rows)
        self._posts = prepared.posts
        self._order = prepared.order
        self._rebuild_lines()

    def replace(self, row: PostRow) -> None:
        """Swap in a new version of a post that is already shown, keeping its place."""
        old = self._posts.get(row.post_id)
        if old is None:
            return
        self._posts[row.post_id] = row
        if row.post_id in self._expanded and [r.target_id for r in old.runs] != [
            r.target_id for r in row.runs
        ]:
            self._rebuild_lines()

    def line_of(self, key: RowKey) -> int | None:
        # A linear scan in C (about 0.3 ms at 50k lines), done once per refresh for the
        # cursor: cheaper than keeping a key → line dictionary up to date.
        try:
            return self._lines.index(key)
        except ValueError:
            return None

    def is_expanded(self, post_id: str) -> bool:
        return post_id in self._expanded

    def expand(self, post_id: str) -> bool:
        """Expand a post. True if the lines changed."""
        if post_id in self._expanded:
            return False
        self._expanded.add(post_id)
        children = self._children(post_id)
        line = self.line_of(post_id) if children else None
        if line is None:
            return False
        self._lines[line + 1 : line + 1] = children
        return True

    def collapse(self, post_id: str) -> bool:
        """Collapse a post. True if the lines changed."""
        if post_id not in self._expanded:
            return False
        self._expanded.discard(post_id)
        count = len(self._children(post_id))
        line = self.line_of(post_id) if count else None
        if line is None:
            return False
        del self._lines[line + 1 : line + 1 + count]
        return True

    def neighbour(self, old_order: Sequence[str], post_id: str) -> str | None:
        """The post that takes a vanished post's place: the nearest survivor after it in
        the old order (what slid up into its row), else the nearest one before it."""
        try:
            index = old_order.index(post_id)
        except ValueError:
            return self._order[0] if self._order else None
        posts = self._posts
        for candidate in old_order[index + 1 :]:
            if candidate in posts:
                return candidate
        for candidate in reversed(old_order[:index]):
            if candidate in posts:
                return candidate
        return None

    def _children(self, post_id: str) -> list[RowKey]:
        row = self._posts.get(post_id)
        if row is None:
            return []
        return [(post_id, run.target_id) for run in row.runs]

    def _rebuild_lines(self) -> None:
        posts = self._posts
        if not any(post_id in posts for post_id in self._expanded):
            self._lines = list(self._order)
            return
        expanded = self._expanded
        lines: list[RowKey] = []
        append = lines.append
        for post_id in self._order:
            append(post_id)
            if post_id in expanded:
                lines.extend((post_id, run.target_id) for run in posts[post_id].runs)
        self._lines = lines


__all__ = ["PreparedRows", "TableModel"]
