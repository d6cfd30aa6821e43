"""Signing in for Yahoo's batch quote endpoint: a cookie, then a crumb.

Yahoo's ``/v7/finance/quote`` wants a cookie and a "crumb" (a token bound to that
cookie); the chart endpoint wants neither.  This is yfinance 1.7's sign-in
(``yfinance/data.py``: ``_get_cookie_and_crumb`` and its two strategies), in async:

- **basic**: GET ``https://fc.yahoo.com`` (its 404 page sets the ``A3`` cookie; in the
  EU it redirects through the consent flow, which ``YahooHttp`` accepts), then the crumb
  from ``https://query1.finance.yahoo.com/v1/test/getcrumb``.
- **csrf**: GET ``https://guce.yahoo.com/consent`` (in the EU: to
  ``consent.yahoo.com/v2/collectConsent``, whose form is accepted, then
  ``guce.yahoo.com/copyConsent`` sets the cookie; elsewhere guce redirects straight
  back with the cookie), then the crumb from ``query2``.

The strategy that worked last is tried first; the other when it fails.  As in yfinance,
``fc.yahoo.com`` unreachable (it is on ad-block lists and Pi-hole: yfinance issue
#2386) is not fatal (csrf follows), and a getcrumb answering 429 ends the attempt
without a crumb (the other strategy would meet the same rate limit): prices then come
from the chart endpoint, which needs none.  Unlike yfinance, a failed sign-in is not
tried again on the next request: it backs off (exponential with jitter, 5 min by
default), so a Yahoo that keeps refusing costs nothing between attempts.
"""

from __future__ import annotations

import re
from datetime import datetime

from monitor.quotes.backoff import Backoff
from monitor.quotes.yahoo_http import QUERY1, QUERY2, Unreachable, YahooHttp

COOKIE_URL = "https://fc.yahoo.com"
CONSENT_URL = "https://guce.yahoo.com/consent"
#: a crumb is a short token ("Mm.oQGSe2By"), never a page or a sentence
CRUMB = re.compile(r"[^\s<>\"']{1,64}")


class RateLimited(Exception):
    """getcrumb answered 429 Too Many Requests."""


class SignIn:
    """The cookie and crumb of the batch quote endpoint, and why there is none."""

    def __init__(self, http: YahooHttp, backoff: Backoff) -> None:
        self._http = http
        self._backoff = backoff
        self._order = ["basic", "csrf"]
        self.crumb: str | None = None
        #: the crumb was fetched during the current poll (a 401 on it is no expiry)
        self.fresh = False
        #: why there is no crumb, in a few words ("getcrumb answered 429 ...")
        self.problem: str | None = None

    @property
    def next_try(self) -> datetime | None:
        return self._backoff.next_try

    def waiting(self, now: datetime) -> bool:
        return self._backoff.waiting(now)

    async def crumb_for(self, now: datetime) -> str | None:
        """The crumb, signing in when there is none (unless backing off)."""
        if self.crumb is not None:
            return self.crumb
        if self._backoff.waiting(now):
            return None
        try:
            crumb = await self._sign_in()
        except RateLimited:
            crumb = None
        if crumb is None:
            self._backoff.fail(now)
            return None
        self._backoff.succeed()
        self.crumb, self.fresh, self.problem = crumb, True, None
        return crumb

    def expired(self) -> None:
        """Yahoo refused a crumb that had worked: fetch a new one (one silent retry)."""
        self.crumb = None

    def refused(self, now: datetime, why: str) -> None:
        """Yahoo refused a crumb it has just given: start again later, with the other
        strategy first and a clean cookie jar."""
        self.crumb, self.problem = None, why
        self._order.reverse()
        self._http.forget_cookies()
        self._backoff.fail(now)

    async def _sign_in(self) -> str | None:
        problems: list[str] = []  # what went wrong with each strategy tried
        for strategy in list(self._order):
            self.problem = None
            try:
                crumb = await (self._basic() if strategy == "basic" else self._csrf())
            finally:
                if self.problem and self.problem not in problems:
                    problems.append(self.problem)
                self.problem = "; ".join(problems) or None
            if crumb is not None:
                if self._order[0] != strategy:
                    self._order.reverse()
                return crumb
        return None

    async def _basic(self) -> str | None:
        try:
            await self._http.get(COOKIE_URL)
        except Unreachable as exc:
            self.problem = f"no cookie: {exc}"
            return None
        return await self._get_crumb(QUERY1)

    async def _csrf(self) -> str | None:
        try:
            await self._http.get(CONSENT_URL)
        except Unreachable as exc:
            self.problem = f"no cookie: {exc}"
            return None
        return await self._get_crumb(QUERY2)

    async def _get_crumb(self, base: str) -> str | None:
        try:
            answer = await self._http.get(base + "/v1/test/getcrumb")
        except Unreachable as exc:
            self.problem = f"no crumb: {exc}"
            return None
        body = answer.text.strip()
        if answer.status == 429 or "Too Many Requests" in body:
            self.problem = "getcrumb answered 429 Too Many Requests"
            raise RateLimited(self.problem)
        if answer.status == 200 and CRUMB.fullmatch(body):
            return body
        page = " with a page, not a crumb" if "<" in body else ""
        self.problem = f"getcrumb answered HTTP {answer.status}{page}"
        return None
