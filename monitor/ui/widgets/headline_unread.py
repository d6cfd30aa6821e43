"""Unread topic matches: the state belongs to the story, not to the view (filtering,
`*`, `~` or the per-feed view never clear it), and a story read here stays read when
a later poll brings it again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from monitor.model import Headline


class UnreadStories:
    def __init__(self) -> None:
        self._unread: set[str] = set()
        self._read: set[str] = set()  # marked read here this session

    def __contains__(self, story: object) -> bool:
        return story in self._unread

    def __iter__(self) -> Iterator[str]:
        return iter(self._unread)

    def __len__(self) -> int:
        return len(self._unread)

    def note(self, headline: Headline) -> None:
        """A new topic match is unread, and a stored one nobody read yet, unless it was
        read here before."""
        fresh = headline.new or headline.unread
        if fresh and headline.matched and headline.story not in self._read:
            self._unread.add(headline.story)

    def keep(self, stories: set[str]) -> None:
        """Forget the stories the pane no longer holds."""
        self._unread &= stories
        self._read &= stories

    def read(self, stories: Iterable[str]) -> list[str]:
        """Mark ``stories`` read; those of them that were unread."""
        now_read = [s for s in stories if s in self._unread]
        self._unread.difference_update(now_read)
        self._read.update(now_read)
        return now_read

    def next_from(self, order: Sequence[str], start: int, step: int) -> int | None:
        """The row of the next (step 1) or previous (-1) unread story after ``start``."""
        count = len(order)
        for offset in range(1, count + 1):
            index = (start + step * offset) % count
            if order[index] in self._unread:
                return index
        return None
