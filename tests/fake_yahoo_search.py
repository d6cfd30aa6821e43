"""The fake Yahoo's ``/v1/finance/search`` (news), as strict as Yahoo's.

Like Yahoo (``tests/data/yahoo/search-AAPL.json``, recorded with an empty cookie):

- no cookie and no crumb are needed;
- ``q`` is required: without it (or empty) the answer is 400 with Yahoo's error JSON
  ``{"finance": {"result": null, "error": {"code": "Bad Request", "description":
  "Missing required query parameter=q"}}}``;
- ``newsCount`` caps the news list (Yahoo's default when absent: 8, as yfinance's);
  ``quotesCount`` caps the quotes list (none are served but recorded ones);
- the answer holds ``explains``, ``count``, ``quotes``, ``news``, ``nav``, ``lists``,
  ``researchReports`` and the timings, newest news first.

A story matches a search when its title holds ``q`` (any case) or ``relatedTickers``
holds it.  ``search_mode``: "429" (Too Many Requests), "down" (Yahoo's "Will be right
back" page, answered 200 as Yahoo does), "garbage" (200 with a body that is no JSON).
``serve_recorded_search(q, body)`` answers ``q`` with a recorded body as it is.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime
from typing import Any

MISSING_Q = {
    "finance": {
        "result": None,
        "error": {"code": "Bad Request", "description": "Missing required query parameter=q"},
    }
}
DOWN_PAGE = "<html><head><title>Yahoo</title></head><body>Will be right back...</body></html>"
#: Yahoo's newsCount when the request has none (yfinance's default too)
DEFAULT_NEWS_COUNT = 8


def story(
    title: str,
    *,
    publisher: str = "Reuters",
    time: datetime,
    link: str | None = None,
    uuid: str | None = None,
    tickers: list[str] | None = None,
    **raw: Any,
) -> dict[str, Any]:
    """A news item shaped like Yahoo's; ``raw`` fields are sent as they are."""
    slug = "-".join(title.lower().split())[:60]
    item: dict[str, Any] = {
        "uuid": uuid or f"fake-{abs(hash(title)) % 10**12:012d}",
        "title": title,
        "publisher": publisher,
        "link": link or f"https://finance.yahoo.com/news/{slug}-{int(time.timestamp())}.html",
        "providerPublishTime": int(time.timestamp()),
        "type": "STORY",
    }
    if tickers is not None:
        item["relatedTickers"] = tickers
    item.update(raw)
    return item


class SearchMixin:
    """Yahoo's news search, mixed into ``FakeYahoo`` (which owns ``_lock`` and ``count``)."""

    _lock: threading.Lock

    def count(self, kind: str, symbol: str | None = None) -> None:  # FakeYahoo's
        raise NotImplementedError

    def _init_search(self) -> None:
        self.stories: list[dict[str, Any]] = []
        self.search_mode = "ok"
        self.search_queries: list[dict[str, str]] = []  # every search's parameters
        self.recorded_searches: dict[str, str] = {}

    def add_story(self, item: dict[str, Any]) -> None:
        with self._lock:
            self.stories.append(item)

    def serve_recorded_search(self, q: str, body: dict[str, Any]) -> None:
        with self._lock:
            self.recorded_searches[q.lower()] = json.dumps(body)

    def _search(self, query: dict[str, list[str]]) -> tuple[int, Any, dict[str, str]]:
        self.count("search")
        params = {k: v[0] for k, v in query.items()}
        with self._lock:
            self.search_queries.append(params)
            recorded = self.recorded_searches.get(params.get("q", "").lower())
            stories = list(self.stories)
        if self.search_mode == "429":
            return 429, "Too Many Requests\r\n", {}
        q = params.get("q", "").strip()
        if not q:
            return 400, MISSING_Q, {}
        if self.search_mode == "down":
            return 200, DOWN_PAGE, {}
        if self.search_mode == "garbage":
            return 200, '{"news": [', {"Content-Type": "application/json;charset=utf-8"}
        if recorded is not None:
            return 200, recorded, {"Content-Type": "application/json;charset=utf-8"}
        count = params.get("newsCount", "")
        news_count = int(count) if count.isdigit() else DEFAULT_NEWS_COUNT
        found = [s for s in stories if _matches(s, q)]
        found.sort(key=lambda s: s.get("providerPublishTime") or 0, reverse=True)
        news = found[:news_count]
        return 200, _answer(news), {}


def _matches(item: dict[str, Any], q: str) -> bool:
    title = item.get("title")
    related = item.get("relatedTickers") or []
    return (isinstance(title, str) and q.lower() in title.lower()) or q.upper() in {
        str(t).upper() for t in related
    }


def _answer(news: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "explains": [],
        "count": len(news),
        "quotes": [],
        "news": news,
        "nav": [],
        "lists": [],
        "researchReports": [],
        "screenerFieldResults": [],
        "totalTime": 12,
        "timeTakenForQuotes": 400,
        "timeTakenForNews": 600,
    }
