"""Yahoo Finance news as a news source: the search endpoint ``yfinance.Search`` reads.

``GET https://query2.finance.yahoo.com/v1/finance/search`` with yfinance's parameters
(``yfinance/search.py``: ``q``, ``quotesCount``, ``newsCount``, ``enableFuzzyQuery``,
``quotesQueryId``, ``newsQueryId`` = ``news_cie_vespa``, ``listsCount``, ``enableCb``,
``enableNavLinks``, ``enableResearchReports``, ``enableCulturalAssets``,
``recommendedCount``), asking for news only (no quotes, lists or research).  It needs
neither cookie nor crumb (yahoo-finance2's recorded answer was fetched with an empty
cookie: ``tests/data/yahoo/search-AAPL.json``).  A missing ``q`` is answered 400 with
``{"finance": {"error": {"description": "Missing required query parameter=q"}}}``.

The answer's ``news`` items carry ``uuid``, ``title``, ``publisher``, ``link`` and
``providerPublishTime`` (Unix seconds), often ``relatedTickers``.  Each becomes an
:class:`~monitor.entries.Entry` cleaned by :mod:`monitor.text` like any feed's: the
publisher is the outlet, the uuid the guid, the related tickers link the story to those
watchlist symbols even when its title names none.  The same story from Reuters through an RSS
feed and through Yahoo has the same title key, so the store makes it one row.

A ``ticker`` source asks Yahoo for the symbol and keeps the stories Yahoo relates to
it (``relatedTickers``; a story without that list is kept).

HTTP is not done here: the engine passes a client (the live quote path's
``YahooHttp``: curl_cffi with a browser's fingerprint, as Yahoo wants) with ``open()``
and ``get(url)``; what it answers becomes a :class:`FetchResult`, as a feed's fetch.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import urlencode

from monitor.entries import Entry
from monitor.model import Status
from monitor.news.fetch_state import FeedState, FetchResult
from monitor.news.parse import (
    EARLIEST,
    FUTURE_TOLERANCE,
    GUID_MAX,
    NAME_MAX,
    TITLE_MAX,
    ParsedFeed,
)
from monitor.text import clean_text, clean_url, one_line

SEARCH_URL = "https://query2.finance.yahoo.com/v1/finance/search"
#: what the search answers while Yahoo Finance is down (yfinance checks for it too)
DOWN_PAGE = "Will be right back"
RATE_LIMIT_CODES = frozenset({429})


def search_url(term: str, count: int) -> str:
    """The search URL asking Yahoo for ``count`` news stories about ``term``."""
    params = {
        "q": term,
        "quotesCount": 0,
        "newsCount": count,
        "enableFuzzyQuery": "false",
        "quotesQueryId": "tss_match_phrase_query",
        "newsQueryId": "news_cie_vespa",
        "listsCount": 0,
        "enableCb": "false",
        "enableNavLinks": "false",
        "enableResearchReports": "false",
        "enableCulturalAssets": "false",
        "recommendedCount": 0,
    }
    return f"{SEARCH_URL}?{urlencode(params)}"


# ---- fetching ------------------------------------------------------------------------


class Answer(Protocol):
    """An HTTP answer: its status and its text."""

    @property
    def status(self) -> int: ...

    @property
    def text(self) -> str: ...


class YahooClient(Protocol):
    """What the engine passes in: ``monitor.quotes.yahoo_http.YahooHttp`` fits.  A
    request that got no answer raises an ``OSError`` (``.timeout`` true for a timeout)."""

    def open(self) -> AbstractAsyncContextManager[Any]: ...

    async def get(self, url: str) -> Answer: ...


class YahooNewsFetcher:
    """Fetches Yahoo news searches; every outcome is a ``FetchResult``, never a raise."""

    def __init__(self, client: YahooClient, *, deadline: float = 30) -> None:
        self.client = client
        self.deadline = deadline

    async def fetch_all(self, feeds: Sequence[tuple[str, FeedState]]) -> list[FetchResult]:
        """Fetch every search in one session, one after the other (as a browser would)."""
        if not feeds:
            return []
        async with self.client.open():
            return [await self.fetch(name, state) for name, state in feeds]

    async def fetch(self, name: str, state: FeedState) -> FetchResult:
        def failed(status: Status, error: str, code: int | None = None) -> FetchResult:
            return FetchResult(name, state.url, status, http_status=code, error=error)

        try:
            async with asyncio.timeout(self.deadline):
                answer = await self.client.get(state.url)
        except TimeoutError:
            return failed(Status.TIMEOUT, f"timed out after {self.deadline:g} s")
        except OSError as exc:  # no answer: DNS, refused, reset, curl's timeout
            status = Status.TIMEOUT if getattr(exc, "timeout", False) else Status.UNREACHABLE
            return failed(status, one_line(str(exc), max_len=200))
        code = answer.status
        if code in RATE_LIMIT_CODES:
            return failed(Status.RATE_LIMITED, f"HTTP {code}", code)
        if code == 503:  # down for a while, not a rate limit
            return failed(Status.ERROR, f"HTTP {code} (unavailable)", code)
        if code != 200:
            return failed(Status.ERROR, _http_error(code, answer.text), code)
        if DOWN_PAGE in answer.text[:2000]:
            return failed(Status.ERROR, "Yahoo Finance is down ('Will be right back')", code)
        body = answer.text.encode("utf-8")
        return FetchResult(
            name, state.url, Status.OK, body=body, content_type="application/json", http_status=code
        )


def _http_error(code: int, text: str) -> str:
    """'HTTP 400: Missing required query parameter=q' from Yahoo's error JSON."""
    try:
        data = json.loads(text)
        (only,) = data.values()
        description = only["error"]["description"]
    except (ValueError, TypeError, KeyError, AttributeError):
        return f"HTTP {code}"
    return f"HTTP {code}: {one_line(str(description), max_len=160)}"


# ---- parsing -------------------------------------------------------------------------


def parse_search(
    body: bytes, *, feed_name: str, now: datetime, ticker: str | None = None
) -> ParsedFeed:
    """Yahoo's search answer -> sanitized entries; never raises for bad input.

    An item without a usable title is dropped alone (the feed's warning says how
    many); a missing or unusable time is the time first seen, as in a feed; an answer
    that is not Yahoo's search JSON is a malformed feed with no entries.
    """
    now = now.astimezone(UTC)
    title = clean_text(feed_name, html=False, max_len=NAME_MAX)
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        return ParsedFeed(title, bozo=True, warning=one_line(f"not JSON: {exc}", max_len=300))
    news = data.get("news") if isinstance(data, dict) else None
    if not isinstance(news, list):
        return ParsedFeed(title, bozo=True, warning="not a Yahoo search answer (no news list)")
    entries: list[Entry] = []
    dropped = 0
    for item in news:
        if ticker is not None and not _relates_to(item, ticker):
            continue
        entry = _entry(item, feed_name, now)
        if entry is None:
            dropped += 1
        else:
            entries.append(entry)
    warning = f"{dropped} news item(s) without a usable title dropped" if dropped else None
    return ParsedFeed(title, entries, bozo=False, warning=warning)


def _relates_to(item: Any, ticker: str) -> bool:
    related = item.get("relatedTickers") if isinstance(item, dict) else None
    if not isinstance(related, list):
        return True
    return ticker.upper() in {str(t).upper() for t in related}


def _entry(item: Any, feed_name: str, now: datetime) -> Entry | None:
    if not isinstance(item, dict):
        return None
    title, link, uuid, publisher = (_text(item, k) for k in ("title", "link", "uuid", "publisher"))
    clean_title = clean_text(title, max_len=TITLE_MAX)
    if not clean_title:
        return None
    when, known = _published(item.get("providerPublishTime"), now)
    return Entry(
        feed=feed_name,
        source=clean_text(publisher, max_len=NAME_MAX) or "Yahoo Finance",
        title=clean_title,
        link=clean_url(link),
        guid=clean_text(uuid, html=False, max_len=GUID_MAX) or None,
        summary="",
        published=when,
        date_known=known,
        tickers=_tickers(item.get("relatedTickers")),
    )


def _tickers(related: Any) -> tuple[str, ...]:
    """Yahoo's relatedTickers as symbols (a ticker is a short printable word)."""
    if not isinstance(related, list):
        return ()
    found = (clean_text(t, html=False, max_len=32).upper() for t in related if isinstance(t, str))
    return tuple(dict.fromkeys(t for t in found if t and " " not in t))


def _text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


def _published(raw: Any, now: datetime) -> tuple[datetime, bool]:
    """Unix seconds -> (time, known); missing, not a number, before 1990 or in the
    future -> (first seen, unknown), as a feed's date."""
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        return now, False
    try:
        when = datetime.fromtimestamp(raw, UTC)
    except (OverflowError, OSError, ValueError):
        return now, False
    if when < EARLIEST or when > now + FUTURE_TOLERANCE:
        return now, False
    return when, True
