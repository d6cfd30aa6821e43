"""HTTP to Yahoo for the live quote path: one small async client over curl_cffi.

- Requests go through curl_cffi impersonating Chrome, as yfinance's do (Yahoo answers
  plain HTTP clients with 429).
- No session is held between polls: an open curl_cffi ``AsyncSession`` wakes the event
  loop ten times a second (it was most of the monitor's idle CPU).  ``open()`` holds one
  for a poll; the cookies are kept across sessions.
- Redirects are followed here, not by curl, and only to the same host or to Yahoo's
  consent hosts (``guce.yahoo.com``, ``consent.yahoo.com``): the EU consent flow is
  walked, the 1 MB finance.yahoo.com page it ends on is not fetched (its cookies are
  already set by then).
- A consent page met on the way (``consent.yahoo.com``) is accepted the way yfinance
  (``YfData._accept_consent_form``) and yahoo-finance2 (``getCrumb``) accept it: its
  form's hidden inputs (csrfToken, sessionId, originalDoneUrl, namespace) posted back
  with ``agree=agree``, the page as Referer.
- A request that never got an answer raises ``Unreachable`` (an OSError: the sources
  read it as "unreachable", or "timeout") with one short line: "fc.yahoo.com: name not
  resolved".
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from monitor.text import one_line

QUERY1 = "https://query1.finance.yahoo.com"
QUERY2 = "https://query2.finance.yahoo.com"
#: hosts a redirect may lead to, besides the host asked
CONSENT_HOSTS = ("guce.yahoo.com", "consent.yahoo.com")
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HOPS = 6
#: curl's error codes as a person would say them (the raw text runs to two lines)
CURL_REASONS = {
    5: "proxy not resolved",
    6: "name not resolved",
    7: "connection refused",
    28: "timed out",
    35: "TLS handshake failed",
    52: "empty reply",
    56: "connection reset",
}


def chrome_session(cookies: Any) -> Any:
    """A curl_cffi session that looks like Chrome to Yahoo (as yfinance's does)."""
    from curl_cffi.requests import AsyncSession

    return AsyncSession(impersonate="chrome", cookies=cookies)


#: what makes the HTTP sessions of the live path (tests route it to a local fake)
SESSION_FACTORY: Callable[[Any], Any] = chrome_session


def short_reason(exc: BaseException) -> str:
    """A one-line reason for a failed request: 'name not resolved'."""
    match = re.search(r"curl: \((\d+)\)", str(exc))
    if match and int(match.group(1)) in CURL_REASONS:
        return CURL_REASONS[int(match.group(1))]
    words = str(exc) or type(exc).__name__
    return one_line(words.splitlines()[0], max_len=160)  # it may quote Yahoo's answer


class Unreachable(OSError):
    """A request to Yahoo got no answer (DNS, refused, reset, timed out)."""

    def __init__(self, host: str, exc: BaseException) -> None:
        self.timeout = "Timeout" in type(exc).__name__ or isinstance(exc, TimeoutError)
        super().__init__(f"{host}: {short_reason(exc)}")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer from Yahoo: ``url`` is the Yahoo URL that gave it."""

    status: int
    url: str
    text: str
    location: str | None = None

    def json(self) -> Any:
        """The body as JSON (``ValueError`` when it is not)."""
        return json.loads(self.text)

    @property
    def host(self) -> str:
        return host_of(self.url)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class _ConsentForm(HTMLParser):
    """The first form of a consent page: its action and the fields a click would send."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: list[tuple[str, str]] = []
        self._in_form = self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done:
            self._in_form, self.action = True, a.get("action", "")
        elif self._in_form and tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind not in ("checkbox", "radio", "submit") or "checked" in a:
                self.fields.append((a["name"], a.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


class YahooHttp:
    """GET/POST to Yahoo's hosts with our own redirects and consent handling."""

    def __init__(
        self,
        *,
        factory: Callable[[Any], Any] | None = None,
        session: Any = None,
        timeout: float = 10,
    ) -> None:
        self._factory = factory or SESSION_FACTORY
        self._session = session
        self._own = session is None
        self._cookies: Any = None
        self._users = 0
        self._timeout = timeout
        self.sent = 0  # requests attempted, answered or not

    @property
    def is_open(self) -> bool:
        return self._session is not None

    @asynccontextmanager
    async def open(self) -> AsyncIterator[YahooHttp]:
        """Hold a session for the requests inside; closed (cookies kept) by the last."""
        self._users += 1
        try:
            yield self
        finally:
            self._users -= 1
            if self._users == 0 and self._own and self._session is not None:
                self._cookies = self._session.cookies
                session, self._session = self._session, None
                await session.close()

    async def aclose(self) -> None:
        if self._own and self._session is not None:
            await self._session.close()
        self._session = None

    def forget_cookies(self) -> None:
        """Start the next sign-in from a clean jar (another cookie strategy)."""
        self._cookies = None
        if self._session is not None:
            self._session.cookies.clear()

    async def get(self, url: str, params: Mapping[str, str] | None = None) -> Answer:
        """GET ``url``, following redirects to its own host and to the consent hosts;
        a consent page on the way is accepted."""
        answer = await self._follow("GET", url, params=params)
        if answer.status == 200 and answer.host.endswith("consent.yahoo.com"):
            answer = await self._accept_consent(answer)
        return answer

    async def _accept_consent(self, page: Answer) -> Answer:
        form = _ConsentForm()
        form.feed(page.text)
        if form.action is None:
            return page
        fields = [(k, v) for k, v in form.fields if "agree" not in k.lower()]
        body = urlencode([*fields, ("agree", "agree"), ("agree", "agree")])
        headers = {"Referer": page.url, "Content-Type": "application/x-www-form-urlencoded"}
        target = urljoin(page.url, form.action or page.url)
        return await self._follow("POST", target, data=body, headers=headers)

    async def _follow(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Answer:
        origin = host_of(url)
        answer = await self._request(method, url, params, data, headers)
        for _ in range(MAX_HOPS):
            if answer.status not in REDIRECTS or not answer.location:
                break
            target = urljoin(answer.url, answer.location)
            if urlsplit(target).scheme != "https" or host_of(target) not in (
                origin,
                *CONSENT_HOSTS,
            ):
                break  # its cookies are set; the page itself is not needed
            answer = await self._request("GET", target, None, None, None)
        return answer

    async def _request(
        self,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: str | None,
        headers: Mapping[str, str] | None,
    ) -> Answer:
        if self._session is None:
            self._session = self._factory(self._cookies)
        self.sent += 1
        try:
            r = await self._session.request(
                method,
                url,
                params=dict(params) if params else None,
                data=data,
                headers=dict(headers) if headers else None,
                timeout=self._timeout,
                allow_redirects=False,
            )
        except (OSError, TimeoutError) as exc:  # curl's errors are OSErrors
            raise Unreachable(host_of(url), exc) from exc
        return Answer(r.status_code, url, r.text, r.headers.get("location"))
