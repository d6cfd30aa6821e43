"""The ingest step between parsing and the store: topic match, symbol links, dedup keys.

Pure: given parsed entries, decide which query terms each one matches, which watchlist
symbols it mentions and its dedup keys; the store decides new or known.  The engine runs
it off the event loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.news.symbols import SymbolLinker
from monitor.query import Query, fold, parse_query

#: what an empty topic query "matches" with: every headline is shown
MATCH_ALL = "*"


class MatchAll:
    """The query of an empty ``[news] query``: every headline matches."""

    source = ""
    terms: tuple[str, ...] = ()

    def match(self, text: str, folded: str | None = None) -> tuple[str, ...]:
        return (MATCH_ALL,)


def compile_query(text: str | None) -> Query | MatchAll:
    return parse_query(text) if text and text.strip() else MatchAll()


@dataclass
class Ingest:
    """Matches entries against their feed's query and links them to symbols."""

    default_query: Query | MatchAll
    feed_queries: Mapping[str, Query | MatchAll]
    linker: SymbolLinker

    @classmethod
    def build(
        cls,
        query: str,
        feed_queries: Mapping[str, str | None],
        aliases: Mapping[str, Sequence[str]],
        symbols: Sequence[str],
    ) -> Ingest:
        return cls(
            default_query=compile_query(query),
            feed_queries={name: parse_query(q) for name, q in feed_queries.items() if q},
            linker=SymbolLinker(aliases, symbols),
        )

    def query_for(self, feed: str) -> Query | MatchAll:
        return self.feed_queries.get(feed, self.default_query)

    def process(self, entries: Sequence[Entry]) -> list[Matched]:
        link, queries, default = self.linker.link, self.feed_queries, self.default_query
        out: list[Matched] = []
        for entry in entries:
            text = f"{entry.title}\n{entry.summary}" if entry.summary else entry.title
            folded = fold(text)  # once for the query and the symbols
            matched = queries.get(entry.feed, default).match(text, folded)
            symbols = link(text, entry.tickers, folded)
            out.append(Matched(entry, matched, symbols, entry_keys(entry)))
        return out
