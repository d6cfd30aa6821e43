"""The `/` filter: the topic query language of the config, over the stored history.

The same parser and the same matching as ``[news] query`` (monitor.query): words,
"phrases", OR, AND, NOT or -word, parentheses, CJK.  The store's word index only
narrows the search (each alternative of terms the query requires is one indexed
search); the query itself decides what matches, on the same text a feed entry is
matched on (title and summary).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from monitor.model import Headline
from monitor.query import Query, QueryError, parse_query
from monitor.text import has_controls, one_line, strip_controls

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

#: stories read for each indexed search, and for a query the index cannot narrow
POOL = 2000
#: wait this long after the last keystroke before asking the store again
FILTER_DEBOUNCE = 0.2


def matched_text(headline: Headline) -> str:
    """The text a query is matched on: the title, and the summary when there is one."""
    return f"{headline.title}\n{headline.summary}" if headline.summary else headline.title


def parse_filter(text: str) -> tuple[Query | None, str | None]:
    """The parsed filter, or the reason it cannot be parsed."""
    try:
        return parse_query(text), None
    except QueryError as error:
        return None, str(error)


async def search(engine: EngineAPI, query: Query) -> list[Headline]:
    """Every stored story the query matches, newest first (topic matches or not)."""
    alternatives = query.required()
    pool: list[Headline] = []
    if alternatives is None:
        pool = await engine.recent_headlines(limit=POOL, matched_only=False)
    else:
        for terms in alternatives:
            pool += await engine.search_headlines(" ".join(terms), limit=POOL)
    found = {h.story: h for h in pool if query.holds(matched_text(h))}
    return sorted(found.values(), key=lambda h: (h.published, h.first_seen), reverse=True)


@dataclass
class FilterAnswer:
    """What the filter says for ``text``: its results, or why it cannot be read."""

    text: str
    query: Query | None = None
    results: list[Headline] | None = None
    error: str | None = None


class FilterBox(Input):
    """The `/` box: waits for typing to pause, parses, asks the store, answers its pane
    with a :class:`FilterBox.Answered` message (an empty text: the filter is off)."""

    @dataclass
    class Answered(Message):
        answer: FilterAnswer

    def __init__(self) -> None:
        super().__init__(
            placeholder='filter: words, "phrase", a OR b, -not …', id="headline-filter"
        )
        self.engine: EngineAPI | None = None
        self.text = ""
        self._query: Query | None = None
        self._debounce: Timer | None = None

    def open(self) -> None:
        self.add_class("-active")
        self.focus()

    def close(self) -> None:
        self.value = ""
        self.remove_class("-active")
        self._set("")

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if has_controls(event.value):  # a paste with escape sequences: they never show
            self.value = strip_controls(event.value)  # comes back as a new change
            return
        self._set(one_line(event.value))

    def again(self) -> None:
        """New stories arrived: ask again (when typing pauses)."""
        if self.text:
            self._schedule()

    def _set(self, text: str) -> None:
        if text == self.text:
            return
        self.text = text
        if not text:  # back to the live view: nothing to ask the store
            self._query = None
            self.post_message(self.Answered(FilterAnswer("")))
            return
        self._schedule()

    def _schedule(self) -> None:
        # one keystroke only re-arms a timer; the search runs when typing pauses
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(FILTER_DEBOUNCE, self._search)

    def _search(self) -> None:
        self._debounce = None
        if self.engine is None or not self.text:
            return
        query, error = parse_filter(self.text)
        if query is None:
            self.post_message(self.Answered(FilterAnswer(self.text, error=error)))
            return
        self._query = query
        self._run(query)

    @work(exclusive=True, group="headline-search", exit_on_error=False)
    async def _run(self, query: Query) -> None:
        assert self.engine is not None
        found = await search(self.engine, query)
        if query is self._query:  # else typing moved on: a newer search will answer
            self.post_message(self.Answered(FilterAnswer(query.source, query, found)))
