"""The `/` filter: the topic query language of the config, over the stored history.

The same parser and the same matching as ``[news] query`` (monitor.query): words,
"phrases", OR, AND, NOT or -word, parentheses, CJK.  The store's word index only
narrows the search (each alternative of terms the query requires is one indexed
search); the query itself decides what matches, on the same text a feed entry is
matched on (title and summary).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.model import Headline
from monitor.query import Query, QueryError, parse_query

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

#: stories read for each indexed search, and for a query the index cannot narrow
POOL = 2000


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
