"""Table rows for a snapshot, rebuilt only for the posts that changed.

Building a :class:`PostRow` (its runs, marks and retry verdicts) costs tens of µs; 50,000
of them on every poll is a second of CPU. Between two polls almost every post is the
very same object (see :mod:`soku_tui.core.pages`), so a row is reused when its post is
``is``-identical, its retry state, acknowledgement and mark are unchanged, and its part
of the retry verdicts' epoch is too: its own ledger entries and sends (``post_epochs``)
and — only for posts with a failed 500 run, the only ones whose verdicts depend on it —
what holds for every post (``epoch``: read-only, sending blocked). See
:class:`~soku_tui.core.retry.VerdictEpoch`.

Even *checking* 50,000 posts one by one in Python costs ~100 ms per poll, all of it
holding the GIL the event loop needs. So the check is done in bulk, in C: rows are kept
by ``id()`` of their post object (the cache keeps each post alive, so a live id is never
reused for another object), a set difference finds the post objects not seen before,
and ``map`` looks the others up. Python-level work is then proportional to what changed:
new or changed posts, posts whose retry state, acknowledgement, mark or own epoch
changed (a few), and, when the shared epoch changed, the posts with a failed 500 run.

Pure data, no widgets; :meth:`RowCache.rows_in_steps` builds in small steps, so the
screen can run it on the event loop in slices (see :mod:`soku_tui.core.slices`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Mapping, Set
from itertools import compress, filterfalse
from operator import attrgetter, itemgetter

from soku_tui.core.models import Submission
from soku_tui.core.retry import RETRYABLE_STATUS
from soku_tui.core.slices import CHUNK, chunks, finish
from soku_tui.ui.rows import CanRetry, post_row
from soku_tui.ui.widgets.post_rows import PostRow

# What a row depends on besides its post: retry state, acknowledged, marked (all shown),
# and the post's own part of the retry verdicts' epoch (its ledger entries and sends).
_Extra = tuple[str | None, bool, bool, object]
_PLAIN: _Extra = (None, False, False, None)
# id(post) → (the post, kept alive so its id stays its own; its row)
_Entry = tuple[Submission, PostRow]
_row_of = itemgetter(1)
_POST_ID = attrgetter("post_submission_id")


def _depends_on_epoch(submission: Submission) -> bool:
    return any(run.is_failed and run.http_status == RETRYABLE_STATUS for run in submission.runs)


def _extras(
    states: Mapping[str, str],
    acknowledged: Set[str],
    marked: Set[str],
    post_epochs: Mapping[str, object],
) -> dict[str, _Extra]:
    """The posts whose row depends on more than the post itself (a handful), by post id."""
    ids = set(states) | set(acknowledged) | set(marked) | set(post_epochs)
    return {
        pid: (states.get(pid), pid in acknowledged, pid in marked, post_epochs.get(pid))
        for pid in ids
    }


class RowCache:
    """``rows(...)`` is ``build_rows(...)`` with memory."""

    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}
        self._extras: dict[str, _Extra] = {}
        # ids of cached posts whose row was built under an epoch (their verdicts depend
        # on it), and that epoch.
        self._epoch_bound: set[int] = set()
        self._epoch: object = None
        self.built = 0  # rows built (not reused) by the last call; for tests and benchmarks
        self._commits = 0  # calls that replaced the cache (see rows_in_steps)

    def rows(
        self,
        submissions: Iterable[Submission],
        can_retry: CanRetry,
        retry_states: Mapping[str, str] | None = None,
        *,
        acknowledged: Set[str] = frozenset(),
        marked: Set[str] = frozenset(),
        epoch: object = None,
        post_epochs: Mapping[str, object] | None = None,
    ) -> list[PostRow]:
        return finish(
            self.rows_in_steps(
                submissions,
                can_retry,
                retry_states,
                acknowledged=acknowledged,
                marked=marked,
                epoch=epoch,
                post_epochs=post_epochs,
            )
        )

    def rows_in_steps(
        self,
        submissions: Iterable[Submission],
        can_retry: CanRetry,
        retry_states: Mapping[str, str] | None = None,
        *,
        acknowledged: Set[str] = frozenset(),
        marked: Set[str] = frozenset(),
        epoch: object = None,
        post_epochs: Mapping[str, object] | None = None,
    ) -> Generator[None, None, list[PostRow]]:
        """``rows`` as a generator that yields after each row it builds, for
        :func:`soku_tui.core.slices.run_in_slices`.

        Other calls may run while it is paused (the screen builds small views at once).
        It works from the cache as it was when it started, builds into a dict of its own,
        and commits only if no other call committed meanwhile: an overtaken build
        returns its rows but leaves the cache to the newer one.
        """
        posts = submissions if isinstance(submissions, list | tuple) else list(submissions)
        extras = _extras(retry_states or {}, acknowledged, marked, post_epochs or {})
        started = self._commits
        old, old_extras = self._entries, self._extras
        old_epoch, old_epoch_bound = self._epoch, self._epoch_bound
        # Every pass over the 50,000 posts goes in chunks: a few ms each when cold, and the
        # loop may run between them.
        keys: list[int] = []
        for chunk in chunks(posts):
            keys.extend(map(id, chunk))
            yield
        # Posts to (re)build: objects not seen before…
        stale: set[int] = set()
        # …and the cached posts still listed whose verdicts depend on the epoch.
        epoch_bound: set[int] = set()
        for chunk in chunks(keys):
            stale.update(filterfalse(old.__contains__, chunk))
            epoch_bound.update(filter(old_epoch_bound.__contains__, chunk))
            yield
        # …posts whose retry state, acknowledgement or mark changed…
        changed_extras = {
            pid
            for pid in extras.keys() | old_extras.keys()
            if extras.get(pid, _PLAIN) != old_extras.get(pid, _PLAIN)
        }
        # …and, unless the epoch is known to be the same, every post whose verdicts
        # depend on it (no epoch at all: nothing can be assumed).
        if epoch is None or epoch != old_epoch:
            stale |= epoch_bound
        if changed_extras:
            for start in range(0, len(posts), CHUNK):
                hits = map(changed_extras.__contains__, map(_POST_ID, posts[start : start + CHUNK]))
                stale.update(compress(keys[start : start + CHUNK], hits))
                yield
        built = 0
        fresh: dict[int, _Entry] = {}
        if stale:
            # The stale posts themselves, picked out in bulk, in order.
            for start in range(0, len(posts), CHUNK):
                picked = map(stale.__contains__, keys[start : start + CHUNK])
                for post in compress(posts[start : start + CHUNK], picked):
                    key = id(post)
                    if key in fresh:
                        continue  # listed twice: one row serves both
                    extra = extras.get(post.post_submission_id, _PLAIN)
                    row = post_row(
                        post, can_retry, extra[0], acknowledged=extra[1], marked=extra[2]
                    )
                    fresh[key] = (post, row)
                    if _depends_on_epoch(post):
                        epoch_bound.add(key)
                    else:
                        epoch_bound.discard(key)
                    built += 1
                    yield
                yield
        # The rows in order: fresh ones, else the cached ones (both looked up in C). Every
        # key is in one or the other, so no entry is None.
        fresh_else: Callable[[int, _Entry | None], _Entry] = fresh.get  # type: ignore[assignment]
        entries: list[_Entry] = []
        for chunk in chunks(keys):
            entries.extend(map(fresh_else, chunk, map(old.get, chunk)))
            yield
        # Only what is shown stays cached (and alive): dropped posts are freed.
        kept: dict[int, _Entry] = {}
        for start in range(0, len(keys), CHUNK):
            kept.update(
                zip(keys[start : start + CHUNK], entries[start : start + CHUNK], strict=True)
            )
            yield
        rows: list[PostRow] = []
        for chunk in chunks(entries):
            rows.extend(map(_row_of, chunk))
            yield
        self.built = built
        if self._commits == started:
            self._entries = kept
            self._extras = extras
            self._epoch_bound = epoch_bound
            self._epoch = epoch
            self._commits += 1
        return rows


__all__ = ["RowCache"]
