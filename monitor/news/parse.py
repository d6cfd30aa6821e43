"""Feed bytes -> sanitized :class:`~monitor.entries.Entry` objects.  Never raises for bad input.

Two parsers: fastfeedparser (lxml and a native extractor, ~0.3 ms for 100 entries) for
well-formed feeds, and feedparser (~15-30 ms) for everything else.  The fast path is
taken only when the bytes are well-formed XML without a DOCTYPE internal subset or
entity declaration: lxml's recovering parser mangles malformed feeds (it cut a title at
an undeclared ``&nbsp;`` and lost an entry), and entity declarations are what billion
laughs and external-entity (XXE) attacks are made of.  feedparser does not expand
declared entities and reads no external ones; those feeds get a warning.

fastfeedparser does not report an item's ``<source>`` (Google News names the outlet
there), so it is read from the item's own XML when the feed has any
(:mod:`monitor.news.outlets`, which also gives each entry its outlet's domain).

Encoding: a feed that declares UTF-8 stays UTF-8; invalid bytes are replaced where they
stand and the feed gets a warning (``decoding``).

Dates: an entry's published time, else its updated time, as aware UTC.  Missing or
unparseable -> ``now`` (the time the entry is first seen) with ``date_known=False``;
before 1990 or more than five minutes after ``now`` -> ``now`` with ``date_known=False``
too, since the feed's clock is not to be trusted (and a year-0001 date cannot even be
shown west of UTC).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

import fastfeedparser
from lxml import etree

from monitor.entries import Entry
from monitor.news import decoding
from monitor.news.outlets import ItemSource, item_sources, outlet_domain
from monitor.text import clean_multiline, clean_text, clean_url

MAX_ENTRIES = 500
FUTURE_TOLERANCE = timedelta(minutes=5)
#: Dates before this are a feed's mistake (year 0001, 1900, the epoch), not news.
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
TITLE_MAX = 500
SUMMARY_MAX = 4000
NAME_MAX = 200
GUID_MAX = 500
ENTITY_WARNING = "feed declares XML entities; not expanded"

_ENTITY_DECL = re.compile(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
# A DOCTYPE's internal subset, or stray entity declarations: removed before feedparser
# sees the bytes, because expat expands declared entities until its amplification
# limit trips (~50 MB and 1.5 s for a billion laughs) and that is not "never expanded".
_INTERNAL_SUBSET = re.compile(
    rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>|<!ENTITY[^>]*>", re.IGNORECASE | re.DOTALL
)
NOT_A_FEED = "not an RSS or Atom feed"
_ABSOLUTE = ("https://", "http://")  # most links: no need to split them to see so


class _StrictParser(threading.local):
    """Well-formedness check only: no DTD, no network, no entities, default size limits.

    One per thread, because lxml holds a parser's lock for a whole parse.
    """

    def __init__(self) -> None:
        self.parser = etree.XMLParser(
            recover=False,
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            target=_NoTree(),  # the same errors, without building a tree (half the time)
        )


class _NoTree:
    """A parser target with no callbacks: lxml only checks the document."""

    def close(self) -> None:
        return None


_STRICT = _StrictParser()


@dataclass
class ParsedFeed:
    title: str
    entries: list[Entry] = field(default_factory=list)
    bozo: bool = False
    warning: str | None = None  # one line of plain text: why the feed was malformed


@dataclass(slots=True)
class _RawFeed:
    """A parser's answer: the feed's title and its entries, already sanitized."""

    title: str | None
    entries: list[Entry]
    bozo: bool = False
    warning: str | None = None


@dataclass(frozen=True, slots=True)
class _Entries:
    """Turns a parser's fields straight into sanitized entries (no shape in between)."""

    feed_name: str
    now: datetime
    base_url: str | None
    latest: datetime  # ``now`` + FUTURE_TOLERANCE: a later date is the feed's mistake
    #: a link's outlet domain by the link's start up to its first "/" after the scheme,
    #: which holds its host: a feed's links mostly share one
    domains: dict[str, str | None]

    def outlet(self, feed_title: str | None) -> str:
        """The feed's title, else its configured name: an entry's default source."""
        return clean_text(feed_title, max_len=NAME_MAX) or clean_text(
            self.feed_name, html=False, max_len=NAME_MAX
        )

    def make(
        self,
        outlet: str,
        title: str | None,
        link: str | None,
        guid: str | None,
        summary: str | None,
        published: datetime | None,
        source: ItemSource | None,
    ) -> Entry | None:
        """An entry from a parser's fields (positional: a poll makes thousands)."""
        clean_link = _link(link, self.base_url)
        clean_title = clean_text(title, max_len=TITLE_MAX) or (clean_link or "")
        if not clean_title:
            return None
        clean_guid = clean_text(guid, html=False, max_len=GUID_MAX) or None
        if clean_guid is not None and link and clean_guid == link.strip():
            clean_guid = None  # fastfeedparser fills a missing id with the link
        if published is None or published < EARLIEST or published > self.latest:
            when, date_known = self.now, False
        else:
            when, date_known = published, True
        # positional, in field order (feed, source, title, link, guid, summary,
        # published, date_known, tickers, domain): a keyword call cost half as much again
        return Entry(
            self.feed_name,
            (clean_text(source.name, max_len=NAME_MAX) if source else None) or outlet,
            clean_title,
            clean_link,
            clean_guid,
            clean_multiline(summary, max_len=SUMMARY_MAX),
            when,
            date_known,
            (),
            outlet_domain(clean_link, source.url) if source else self.domain(clean_link),
        )

    def domain(self, link: str | None) -> str | None:
        """``outlet_domain(link, None)``, worked out once per host."""
        if link is None or (end := link.find("/", 8)) < 0:
            return outlet_domain(link, None)
        start = link[:end]
        if start not in self.domains:
            self.domains[start] = outlet_domain(link, None)
        return self.domains[start]


# ---- choosing the parser -------------------------------------------------------------


def _one_line(message: object) -> str:
    return clean_text(str(message), html=False, max_len=300)


def _fast_path_refusal(data: bytes) -> tuple[str, bool] | None:
    """Why the fast path must not read these bytes (reason, malformed), or None."""
    head = data[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        return "UTF-16/32 feed", False  # the byte checks below would not see inside it
    if _ENTITY_DECL.search(data):
        return ENTITY_WARNING, True
    try:
        etree.fromstring(data, _STRICT.parser)
    except etree.XMLSyntaxError as exc:
        return f"malformed feed: {exc}", True
    except ValueError as exc:  # e.g. a unicode string with an encoding declaration
        return f"malformed feed: {exc}", True
    return None


# ---- fastfeedparser ------------------------------------------------------------------


def _iso_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        t = datetime.fromisoformat(value)
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _fast_content(entry: Any) -> str | None:
    """The summary of an entry without a description: its first content's text."""
    for content in entry.get("content") or ():
        if isinstance(content, dict) and content.get("value"):
            return str(content["value"])
    return None


def _parse_fast(data: bytes, make: _Entries) -> _RawFeed | None:
    try:
        parsed = fastfeedparser.parse(data)
    except Exception:  # noqa: BLE001 - any failure means: use feedparser
        return None
    raw_entries = parsed.get("entries") or []
    if not raw_entries and (b"<item" in data or b"<entry" in data):
        return None  # items it could not see: let feedparser try
    sources: list[ItemSource | None] = [None] * len(raw_entries)
    if raw_entries and b"<source" in data:
        found: list[ItemSource] | None = item_sources(data, len(raw_entries))
        if found is None:
            return None
        sources = list(found)
    title = (parsed.get("feed") or parsed).get("title")
    outlet = make.outlet(title)
    entries = [
        entry
        for e, source in zip(raw_entries[:MAX_ENTRIES], sources, strict=False)
        if (
            entry := make.make(
                outlet,
                e.get("title"),
                e.get("link"),
                e.get("id"),
                e.get("description") or _fast_content(e),
                _iso_time(e.get("published")) or _iso_time(e.get("updated")),
                source,
            )
        )  # fmt: skip
    ]
    return _RawFeed(title=title, entries=entries)


# ---- feedparser ----------------------------------------------------------------------


def _struct_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _slow_link(e: Any) -> str | None:
    link = e.get("link")
    # With isPermaLink defaulting to true, feedparser copies any guid into ``link``;
    # a guid like "d-9" is no link (and must not be resolved against the feed URL).
    if link and e.get("guidislink") and _scheme(link) not in ("http", "https"):
        return None
    return link


def _scheme(url: str) -> str:
    try:
        return urlsplit(url).scheme.lower()
    except ValueError:  # e.g. a malformed IPv6 host
        return ""


def _slow_source(e: Any) -> ItemSource | None:
    source = e.get("source")
    if not source:
        return None
    return ItemSource(source.get("title"), source.get("href"))


def _slow_summary(e: Any) -> str | None:
    if e.get("summary"):
        return e.get("summary")
    for content in e.get("content") or ():
        if content.get("value"):
            return content.get("value")
    return None


def _parse_slow(data: bytes, content_type: str | None, make: _Entries) -> _RawFeed:
    import feedparser  # deferred: ~15 ms to import, and most feeds take the fast path

    headers = {"content-type": content_type} if content_type else {}
    try:
        d = feedparser.parse(
            data, sanitize_html=False, resolve_relative_uris=False, response_headers=headers
        )
    except Exception as exc:  # noqa: BLE001 - feedparser is the last resort
        return _RawFeed(title=None, entries=[], bozo=True, warning=f"unreadable feed: {exc}")
    outlet = make.outlet(d.feed.get("title"))
    entries = [
        entry
        for e in d.entries[:MAX_ENTRIES]
        if (
            entry := make.make(
                outlet,
                e.get("title"),
                _slow_link(e),
                e.get("id"),
                _slow_summary(e),
                # dict.get: FeedParserDict.get maps a missing updated_parsed to
                # published_parsed with a DeprecationWarning
                _struct_time(dict.get(e, "published_parsed"))
                or _struct_time(dict.get(e, "updated_parsed")),
                _slow_source(e),
            )
        )  # fmt: skip
    ]
    warning = None
    if d.get("bozo"):
        warning = f"malformed feed: {d.get('bozo_exception')}"
    if not d.get("version") and not d.entries:
        warning = NOT_A_FEED
    return _RawFeed(
        d.feed.get("title"), entries, bool(d.get("bozo")) or warning is not None, warning
    )


# ---- mapping to Entry ----------------------------------------------------------------


def _link(raw: str | None, base_url: str | None) -> str | None:
    if not raw:
        return None
    raw = raw.strip()
    try:  # urlsplit raises on a malformed IPv6 host ("http://[x/"), a feed's to give
        if base_url and not raw.startswith(_ABSOLUTE) and not urlsplit(raw).scheme:
            raw = urljoin(base_url, raw)
    except ValueError:
        return None
    return clean_url(raw)


def _explain(raw: _RawFeed, reason: str, malformed: bool) -> None:
    """Say why the slow path was taken, unless "not a feed" says more."""
    raw.bozo = raw.bozo or malformed
    if reason == ENTITY_WARNING or raw.warning != NOT_A_FEED:
        raw.warning = reason if malformed else raw.warning


def parse_feed(
    data: bytes,
    *,
    feed_name: str,
    now: datetime,
    base_url: str | None = None,
    content_type: str | None = None,
) -> ParsedFeed:
    """Parse feed bytes into sanitized entries (at most 500); never raises for bad input.

    ``source`` of each entry is its ``<source>`` name, else the feed's title, else
    ``feed_name``.  Relative links are resolved against ``base_url`` (the feed's URL).
    Entries with neither title nor link are dropped; an entry with a link but no title
    takes the link as its title.
    """
    now = now.astimezone(UTC)
    if not data or not data.strip():
        return ParsedFeed(title=clean_text(feed_name), bozo=True, warning="empty response")
    repaired = decoding.repair_utf8(data, content_type)  # one bad byte stays one bad byte
    data = repaired.data
    make = _Entries(feed_name, now, base_url, now + FUTURE_TOLERANCE, {})
    refusal = _fast_path_refusal(data)
    raw = _parse_fast(data, make) if refusal is None else None
    if raw is None:
        if refusal is not None and refusal[0] == ENTITY_WARNING:
            data = _INTERNAL_SUBSET.sub(b"", data)  # references stay as literal text
        raw = _parse_slow(data, content_type, make)
        if refusal is not None:
            _explain(raw, *refusal)
    warning = _one_line(raw.warning) if raw.warning else None
    if repaired.replaced:
        touched = decoding.entries_holding_replacements(
            [[e.title, e.summary, e.source] for e in raw.entries]
        )
        note = decoding.warning(repaired.replaced, touched)
        warning = note if warning is None else f"{note}; {warning}"
    return ParsedFeed(
        title=make.outlet(raw.title), entries=raw.entries, bozo=raw.bozo, warning=warning
    )
