"""What a ``CellTable`` keeps to forget a changed cell's renderings quickly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets.data_table import ColumnKey, RowKey


class Rendered:
    """The keys of each cell's renderings in a table's cell cache, noted as they are
    made, so that a changed cell's are dropped without reading the whole cache.

    Only those of the table's current update count are kept: every cache key holds it,
    and a key of an older count is never looked up again.  Renderings of one cell with
    and without the cursor, hover or focus add up; past ``KEPT`` the cache is cleared
    with the notes (rendered again, not read stale)."""

    KEPT = 20_000

    def __init__(self, cache: Any) -> None:
        self._cache = cache
        self._keys: dict[tuple[RowKey, ColumnKey], list[Any]] = {}
        self._count = -1
        self._noted = 0

    def note(self, cell: tuple[RowKey, ColumnKey], key: Any, count: int) -> None:
        """``key`` is about to be rendered into the cache for ``cell``."""
        if count != self._count or self._noted >= self.KEPT:
            if count == self._count:  # too many notes: start again from an empty cache
                self._cache.clear()
            self._keys, self._count, self._noted = {}, count, 0
        self._keys.setdefault(cell, []).append(key)
        self._noted += 1

    def forget(self, cells: Iterable[tuple[RowKey, ColumnKey]], count: int) -> None:
        """Drop the cached renderings of ``cells``."""
        if count != self._count:
            return  # nothing was rendered at this count
        for cell in cells:
            keys = self._keys.pop(cell, ())
            self._noted -= len(keys)
            for key in keys:
                self._cache.discard(key)
