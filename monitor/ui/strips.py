"""Painted lines that reference counting frees: Textual's caches made the lines of each
frame reference cycles, which only the cyclic garbage collector frees.

A ``Strip`` caches what its operations return in caches of its own.  ``divide`` of a
line no cut falls inside, and ``crop_extend`` to the line's own length, return the strip
itself, and cached it: the strip then held itself, so it (its seven caches, its
segments) outlived its frame until a pass of the cyclic garbage collector found it.
Under a moving market that was ~40 strips a second, ~800 objects: what the collector's
passes over the young generations walked (6-26 ms each, the worst updates of a minute).
Here those two answers are given without being cached (the same strip, the same
answer); every other call is Textual's own.

``LRUCache`` (the tables' caches of rendered cells, rows and lines) keeps its entries
in a ring of small lists; ``clear`` dropped the ring whole, itself a cycle that held
every line and cell it had cached until the collector came (a table clears its line
cache each time its cells change: every second under a moving market).  Here ``clear``
empties each link first, so what the cache held is freed at once.

Installed once, when ``monitor.ui.app`` is imported.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.style import Style
from textual.cache import LRUCache
from textual.strip import Strip

_divide = Strip.divide
_crop_extend = Strip.crop_extend
_lru_clear = LRUCache.clear


def _divide_uncached_self(self: Strip, cuts: Iterable[int]) -> Sequence[Strip]:
    cuts = list(cuts)
    length = self.cell_length
    if [cut for cut in cuts if cut <= length] == [length]:
        return [self]  # the whole line: Textual's answer, not cached in the line itself
    return _divide(self, cuts)


def _crop_extend_uncached_self(self: Strip, start: int, end: int, style: Style | None) -> Strip:
    if start <= 0 and end == self.cell_length:
        return self  # nothing to crop or extend: Textual's answer, not cached in itself
    return _crop_extend(self, start, end, style)


def _lru_clear_unlinked(self: LRUCache[object, object]) -> None:
    for link in self._cache.values():
        link.clear()  # [previous, next, key, value]: the ring is broken, the value let go
    _lru_clear(self)


def install() -> None:
    """Make ``Strip.divide`` and ``Strip.crop_extend`` cache no strip in itself, and
    ``LRUCache.clear`` leave no ring behind."""
    Strip.divide = _divide_uncached_self  # type: ignore[method-assign]
    Strip.crop_extend = _crop_extend_uncached_self  # type: ignore[method-assign]
    LRUCache.clear = _lru_clear_unlinked  # type: ignore[method-assign,assignment]
