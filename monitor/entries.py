"""A feed entry on its way from bytes to a stored story: ``Entry`` (parsed and cleaned),
``Matched`` (with its topic terms, symbols and dedup keys), and a feed's remembered body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from monitor.frozen import fast_init


@fast_init
@dataclass(frozen=True, slots=True)
class Entry:
    """One feed entry after parsing and sanitizing: all text is plain and safe."""

    feed: str  # the configured feed's name
    source: str  # the outlet (entry source, or the feed's title)
    title: str
    link: str | None  # http(s) only, else None
    guid: str | None
    summary: str
    published: datetime  # aware UTC; first-seen when missing/unparseable; clamped to now
    date_known: bool = True
    #: symbols the source itself relates the entry to (Yahoo's relatedTickers)
    tickers: tuple[str, ...] = ()
    #: the outlet's domain ("reuters.com"), also behind an aggregator's redirect link
    domain: str | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class EntryKeys:
    """What recognizes an entry's story across polls, feeds and outlets (see news/dedup)."""

    guid_key: str | None  # "feed\nguid"
    link_key: str | None  # the canonical link
    title_key: str  # the folded title without its outlet suffix
    story: str  # the story id these keys propose (of the title key, else link or guid)


@fast_init
@dataclass(frozen=True, slots=True)
class Matched:
    """An entry ready to store: the topic terms it matched, the watchlist symbols it
    mentions and its dedup keys, each computed once by the news layer."""

    entry: Entry
    matched: tuple[str, ...]
    symbols: tuple[str, ...]
    keys: EntryKeys


@dataclass(frozen=True, slots=True)
class FeedBody:
    """The last body a feed answered with, remembered across polls and restarts: the
    same bytes again cost neither a parse nor a write."""

    digest: bytes
    warning: str | None  # that body's parse warning, still shown while it is served
    stories: tuple[str, ...]  # the stories of its entries
