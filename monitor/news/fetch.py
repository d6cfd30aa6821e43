"""Fetching feeds over HTTP: the client pools, limits, and every failure as a result.

I/O only: this module returns raw bytes and never parses them.  ``FeedFetcher`` turns
every outcome of one request into a ``FetchResult`` (it does not raise for a feed's
failure).  The rest of fetching lives beside it:

- ``fetch_state``: ``FeedState`` (conditional-GET validators, remembered redirects,
  backoff) and ``next_state``, the pure step that folds a result into it;
- ``fetch_body``: the size cap and bounded gzip/deflate decoding;
- ``fetch_redirects``: which redirect to remember, and public feeds kept from
  redirecting to private addresses.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl
import zlib
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import httpx

from monitor.backoff import parse_retry_after
from monitor.model import Status
from monitor.news.fetch_body import ACCEPT_ENCODING, TooLarge, Undecodable, read_capped, size_text
from monitor.news.fetch_redirects import (
    PrivateRedirect,
    RedirectGuard,
    Resolver,
    permanent_target,
)
from monitor.news.fetch_state import GONE_ERROR, FeedState, FetchResult, next_state
from monitor.news.tls import LazyTrustContext

__all__ = [
    "GONE_ERROR",
    "FeedFetcher",
    "FeedState",
    "FetchResult",
    "next_state",
]

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; monitor/0.1; +https://pypi.org/project/monitor/)"
# Feed types first; anything else is still accepted because many feeds are served as
# text/html or application/octet-stream.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
RATE_LIMIT_CODES = frozenset({429})
#: answers whose Retry-After is honoured: 429 (rate-limited) and 503 (the service is
#: down for a while: an error, not a rate limit, but told when to come back)
RETRY_LATER_CODES = frozenset({429, 503})
MAX_REDIRECTS = 10
#: connection pools a fetcher spreads its feeds over (see FeedFetcher)
POOL_SHARDS = 32


# ---- failures as short plain reasons ---------------------------------------------------


def _walk_causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in seen:
        seen.append(cur)
        cur = cur.__cause__ or cur.__context__
    return seen


_ERRNO_REASONS = {
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset",
    errno.ENETUNREACH: "network unreachable",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ETIMEDOUT: "connection timed out",
}


def _connect_reason(exc: BaseException) -> tuple[Status, str]:
    """A short plain reason for a failed connection (the raw text is noisy)."""
    for cause in _walk_causes(exc):
        if isinstance(cause, socket.gaierror):
            return Status.UNREACHABLE, "name not resolved"
        if isinstance(cause, ssl.SSLCertVerificationError):
            return Status.ERROR, "TLS certificate not trusted"
        if isinstance(cause, ssl.SSLError):
            return Status.ERROR, "TLS handshake failed"
        if isinstance(cause, OSError) and cause.errno in _ERRNO_REASONS:
            return Status.UNREACHABLE, _ERRNO_REASONS[cause.errno]
    return Status.UNREACHABLE, _short(exc)


def _short(exc: BaseException) -> str:
    """The first line of an exception's text, printable only (it may quote server bytes)."""
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return "".join(ch if ch.isprintable() else "?" for ch in line[:100])


# ---- the fetcher -----------------------------------------------------------------------


class FeedFetcher:
    """Fetches feeds with a few shared HTTP/1.1 connection pools.

    Each feed URL always goes to the same one of ``POOL_SHARDS`` clients: httpcore's pool
    scans all its connections for every request it assigns (quadratic in the number of
    connections): an unchanged poll of 100 feeds cost 1.7 s of CPU in one pool, 0.14-0.2 s
    in eight and 0.08 s in 32 (bench/fanout.py).  A pool costs ~0.4 ms to make (they
    share one TLS context) and is made when a feed first needs it.

    The ``httpx.AsyncClient`` pools are created lazily on the running loop, and the fetcher
    stays bound to that loop: use one fetcher per event loop.  Use ``async with`` or call
    ``aclose()`` when done.  ``fetch`` alone is not bounded by ``concurrency``;
    ``fetch_all`` is.  ``resolve`` replaces the system resolver in the redirect check
    only (tests); connections always use the system's.
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        max_bytes: int = 10_000_000,
        connect_timeout: float = 10,
        read_timeout: float = 20,
        deadline: float = 30,
        concurrency: int = 128,  # 100 feeds answering slowly still overlap fully
        allow_private_redirects: bool = False,
        resolve: Resolver | None = None,
    ) -> None:
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.concurrency = concurrency
        self.redirects = RedirectGuard(allow_private=allow_private_redirects, resolve=resolve)
        self._clients: dict[int, httpx.AsyncClient] = {}
        self._tls: ssl.SSLContext | None = None
        self._semaphore = asyncio.Semaphore(concurrency)

    async def __aenter__(self) -> FeedFetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _http(self, url: str) -> httpx.AsyncClient:
        shard = zlib.crc32(url.encode("utf-8", "replace")) % POOL_SHARDS
        client = self._clients.get(shard)
        if client is None:
            client = self._clients[shard] = self._new_client()
        return client

    def _new_client(self) -> httpx.AsyncClient:
        if self._tls is None:
            # One TLS context for every pool; it loads the CA bundle (~40 ms of CPU,
            # ~1.7 MB) at the first https handshake, not before.
            self._tls = LazyTrustContext()
        return httpx.AsyncClient(
            verify=self._tls,
            http1=True,
            http2=False,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            timeout=httpx.Timeout(
                connect=self.connect_timeout,
                read=self.read_timeout,
                write=self.read_timeout,
                pool=self.deadline,
            ),
            limits=httpx.Limits(
                max_connections=self.concurrency,
                max_keepalive_connections=self.concurrency,
            ),
            headers={
                "User-Agent": self.user_agent,
                "Accept": ACCEPT,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            event_hooks={"request": [self.redirects.on_request]},
        )

    async def fetch_all(self, feeds: Sequence[tuple[str, FeedState]]) -> list[FetchResult]:
        """Fetch every feed concurrently (at most ``concurrency`` at once), in input order."""
        return list(await asyncio.gather(*(self._bounded(name, state) for name, state in feeds)))

    async def _bounded(self, name: str, state: FeedState) -> FetchResult:
        async with self._semaphore:
            try:
                return await self.fetch(name, state)
            except Exception as exc:  # one feed's bug must not sink the whole poll
                return FetchResult(name, state.url, Status.ERROR, error=_short(exc))

    async def fetch(self, name: str, state: FeedState) -> FetchResult:
        """Fetch one feed; every network or HTTP failure becomes a result, not a raise."""

        def failed(status: Status, error: str) -> FetchResult:
            return FetchResult(name, state.url, status, error=error)

        try:
            async with asyncio.timeout(self.deadline):
                with self.redirects.chain():
                    return await self._get(name, state)
        except TimeoutError:
            return failed(Status.TIMEOUT, f"timed out after {self.deadline:g} s")
        except httpx.ConnectTimeout:
            return failed(Status.TIMEOUT, f"connect timed out after {self.connect_timeout:g} s")
        except httpx.ReadTimeout:
            return failed(Status.TIMEOUT, f"no data for {self.read_timeout:g} s")
        except httpx.TimeoutException:
            return failed(Status.TIMEOUT, "timed out")
        except httpx.ConnectError as exc:
            return failed(*_connect_reason(exc))
        except TooLarge:
            return failed(Status.ERROR, f"feed larger than {size_text(self.max_bytes)}")
        except httpx.TooManyRedirects:
            return failed(Status.ERROR, "too many redirects")
        except (Undecodable, PrivateRedirect) as exc:
            return failed(Status.ERROR, str(exc)[:200])
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            return failed(Status.ERROR, f"invalid URL: {state.url[:100]}")
        except httpx.RemoteProtocolError as exc:  # e.g. disconnected without a response
            return failed(Status.ERROR, _short(exc).rstrip("."))
        except httpx.TransportError as exc:
            return failed(Status.UNREACHABLE, _connect_reason(exc)[1])

    async def _get(self, name: str, state: FeedState) -> FetchResult:
        headers = state.conditional_headers()
        async with self._http(state.url).stream("GET", state.url, headers=headers) as response:
            code = response.status_code
            base = FetchResult(
                name,
                state.url,
                Status.OK,
                http_status=code,
                etag=response.headers.get("etag"),
                last_modified=response.headers.get("last-modified"),
            )
            if code == 304:
                return replace(base, status=Status.NOT_MODIFIED, new_url=permanent_target(response))
            if not 200 <= code < 300:
                return self._http_failure(base, response)
            body = await read_capped(response, self.max_bytes)
            return replace(
                base,
                body=body,
                content_type=response.headers.get("content-type"),
                new_url=permanent_target(response),
            )

    def _http_failure(self, base: FetchResult, response: httpx.Response) -> FetchResult:
        code = response.status_code
        failure = replace(base, etag=None, last_modified=None)
        if code in RETRY_LATER_CODES:
            retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            reason = f"HTTP {code}" if code in RATE_LIMIT_CODES else f"HTTP {code} (unavailable)"
            if retry_after is not None:
                reason += f"; retry after {retry_after:.0f} s"
            status = Status.RATE_LIMITED if code in RATE_LIMIT_CODES else Status.ERROR
            return replace(failure, status=status, retry_after=retry_after, error=reason)
        if code == 410:
            return replace(failure, status=Status.GONE, error=GONE_ERROR)
        return replace(failure, status=Status.ERROR, error=f"HTTP {code}")
