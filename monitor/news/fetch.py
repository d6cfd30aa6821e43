"""Fetching feeds over HTTP: conditional GETs, redirects, limits, backoff.

I/O only: this module returns raw bytes and never parses them.  ``FeedFetcher`` turns
every outcome of one request into a ``FetchResult`` (it does not raise for a feed's
failure); ``next_state`` is the pure step that folds a result into the feed's
persisted ``FeedState`` (validators, permanent redirects, backoff, 410 Gone).

Status semantics in ``FeedState.status``: the status of the last attempt is kept as it
was (``timeout``, ``unreachable``, ``rate_limited``, ``error`` ...), even while the feed
is backing off; callers show "backing off until ``next_try``" from ``next_try`` rather
than from a separate ``backoff`` status.  The engine skips a feed while
``now < next_try`` or it is ``gone``.
"""

from __future__ import annotations

import asyncio
import errno
import random
import socket
import ssl
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from monitor.model import Status, iso

DEFAULT_USER_AGENT = "Mozilla/5.0 (compatible; monitor/0.1; +https://pypi.org/project/monitor/)"
# Feed types first; anything else is still accepted because many feeds are served as
# text/html or application/octet-stream.
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"
)
#: A server asking for more than this is treated as asking for this much.
MAX_RETRY_AFTER = 6 * 3600.0
PERMANENT_REDIRECTS = frozenset({301, 308})
RATE_LIMIT_CODES = frozenset({429, 503})
GONE_ERROR = "feed is gone (HTTP 410); disabled"
MAX_REDIRECTS = 10
#: connection pools a fetcher spreads its feeds over (see FeedFetcher)
POOL_SHARDS = 8


@dataclass(frozen=True)
class FeedState:
    """What is remembered about one feed between polls (persisted by the store)."""

    url: str  # current URL (after a remembered permanent redirect)
    etag: str | None = None
    last_modified: str | None = None
    failures: int = 0  # consecutive failures
    next_try: datetime | None = None  # do not fetch before this (backoff / Retry-After)
    gone: bool = False  # 410: disabled until the user changes the URL
    status: Status = Status.PENDING  # the last attempt's own status (see module doc)
    error: str | None = None
    last_ok: datetime | None = None
    moved_from: str | None = None  # original URL when a permanent redirect was remembered

    def to_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "etag": self.etag,
            "last_modified": self.last_modified,
            "failures": self.failures,
            "next_try": iso(self.next_try),
            "gone": self.gone,
            "status": self.status.value,
            "error": self.error,
            "last_ok": iso(self.last_ok),
            "moved_from": self.moved_from,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeedState:
        return cls(
            url=data["url"],
            etag=data.get("etag"),
            last_modified=data.get("last_modified"),
            failures=int(data.get("failures", 0)),
            next_try=_parse_iso(data.get("next_try")),
            gone=bool(data.get("gone", False)),
            status=Status(data.get("status", Status.PENDING)),
            error=data.get("error"),
            last_ok=_parse_iso(data.get("last_ok")),
            moved_from=data.get("moved_from"),
        )


def _parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    t = datetime.fromisoformat(text)
    return t if t.tzinfo else t.replace(tzinfo=UTC)


@dataclass(frozen=True)
class FetchResult:
    """The outcome of one fetch.  ``status`` is one of ok, not_modified, rate_limited,
    timeout, unreachable, gone, error; ``error`` is a short plain-text reason."""

    name: str
    url: str  # the URL requested (the state's URL)
    status: Status
    body: bytes | None = None
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    new_url: str | None = None  # permanent redirect (301/308) target to remember
    retry_after: float | None = None  # seconds
    http_status: int | None = None
    error: str | None = None


# ---- pure helpers ----------------------------------------------------------------------


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" dates come back naive; HTTP-dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def backoff_delay(
    failures: int,
    *,
    rng: random.Random | None = None,
    base_backoff: float = 30,
    max_backoff: float = 3600,
) -> float:
    """Seconds to wait after ``failures`` consecutive failures (1 -> base).

    ``base * 2**(failures-1)`` capped at ``max_backoff``, then scaled by a factor in
    [0.8, 1.2] drawn from ``rng`` so feeds that failed together do not retry together.
    Without ``rng`` there is no jitter (deterministic).
    """
    exponent = min(max(failures, 1) - 1, 62)  # 2**62 already exceeds any cap
    delay = min(base_backoff * 2.0**exponent, max_backoff)
    if rng is not None:
        delay *= rng.uniform(0.8, 1.2)
    return delay


def next_state(
    state: FeedState,
    result: FetchResult,
    now: datetime,
    *,
    rng: random.Random | None = None,
    base_backoff: float = 30,
    max_backoff: float = 3600,
) -> FeedState:
    """Fold one fetch result into the feed's state.  Pure: no I/O, no clock.

    - ok / not_modified: failures reset, ``next_try`` cleared, ``last_ok`` = now; a 200
      stores the response's validators, a 304 keeps the old ones unless new ones came.
      A permanent redirect (``new_url``) is remembered only on success, so a moved feed
      whose new home is broken keeps its original URL.
    - rate_limited: failures + 1, ``next_try = now + max(retry_after, backoff)``.
    - gone: ``gone`` set, status gone; the engine stops polling it.
    - other failures: failures + 1, exponential backoff with jitter (``backoff_delay``).
    """
    if result.status in (Status.OK, Status.NOT_MODIFIED):
        return _succeeded(state, result, now)
    if result.status is Status.GONE:
        return replace(
            state,
            gone=True,
            status=Status.GONE,
            error=GONE_ERROR,
            next_try=None,
            failures=state.failures + 1,
        )
    failures = state.failures + 1
    delay = backoff_delay(failures, rng=rng, base_backoff=base_backoff, max_backoff=max_backoff)
    if result.status is Status.RATE_LIMITED and result.retry_after is not None:
        delay = max(delay, result.retry_after)
    return replace(
        state,
        failures=failures,
        next_try=now + timedelta(seconds=delay),
        status=result.status,
        error=result.error,
    )


def _succeeded(state: FeedState, result: FetchResult, now: datetime) -> FeedState:
    if result.status is Status.OK:
        etag, last_modified = result.etag, result.last_modified
    else:
        etag = result.etag or state.etag
        last_modified = result.last_modified or state.last_modified
    url, moved_from = state.url, state.moved_from
    if result.new_url and result.new_url != state.url:
        url, moved_from = result.new_url, state.moved_from or state.url
    return replace(
        state,
        url=url,
        moved_from=moved_from,
        etag=etag,
        last_modified=last_modified,
        failures=0,
        next_try=None,
        gone=False,
        status=result.status,
        error=None,
        last_ok=now,
    )


# ---- the fetcher -----------------------------------------------------------------------


class _TooLarge(Exception):
    pass


def _size_text(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


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


def _permanent_target(response: httpx.Response) -> str | None:
    """The URL to remember: the end of the leading run of permanent redirects.

    A temporary redirect (302/303/307) ends the run, so only the part of the chain the
    server declared permanent is remembered.
    """
    hops = [*response.history, response]
    target = None
    for hop, following in zip(hops, hops[1:], strict=False):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        target = str(following.request.url)
    return target


class FeedFetcher:
    """Fetches feeds with a few shared HTTP/1.1 connection pools.

    Each feed URL always goes to the same one of ``POOL_SHARDS`` clients: httpcore's pool
    scans all its connections for every request it assigns (quadratic in the number of
    connections), which made a poll of 100 feeds cost 1.7 s of CPU in one pool and a
    small fraction of that in eight (bench/fanout.py).

    The ``httpx.AsyncClient`` pools are created lazily on the running loop, and the fetcher
    stays bound to that loop: use one fetcher per event loop.  Use ``async with`` or call
    ``aclose()`` when done.  ``fetch`` alone is not bounded by ``concurrency``;
    ``fetch_all`` is.
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
    ) -> None:
        self.user_agent = user_agent
        self.max_bytes = max_bytes
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.concurrency = concurrency
        self._clients: dict[int, httpx.AsyncClient] = {}
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
            client = self._clients[shard] = httpx.AsyncClient(
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
                    # Only what _Inflater decodes with bounded memory (not br/zstd).
                    "Accept-Encoding": "gzip, deflate",
                },
            )
        return client

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
        except _TooLarge:
            return failed(Status.ERROR, f"feed larger than {_size_text(self.max_bytes)}")
        except httpx.TooManyRedirects:
            return failed(Status.ERROR, "too many redirects")
        except _Undecodable as exc:
            return failed(Status.ERROR, str(exc)[:100])
        except (httpx.UnsupportedProtocol, httpx.InvalidURL):
            return failed(Status.ERROR, f"invalid URL: {state.url[:100]}")
        except httpx.RemoteProtocolError as exc:  # e.g. disconnected without a response
            return failed(Status.ERROR, _short(exc).rstrip("."))
        except httpx.TransportError as exc:
            return failed(Status.UNREACHABLE, _connect_reason(exc)[1])

    def _conditional_headers(self, state: FeedState) -> dict[str, str]:
        headers = {}
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        return headers

    async def _get(self, name: str, state: FeedState) -> FetchResult:
        headers = self._conditional_headers(state)
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
                return replace(
                    base, status=Status.NOT_MODIFIED, new_url=_permanent_target(response)
                )
            if not 200 <= code < 300:
                return self._http_failure(base, response)
            body = await self._read_capped(response)
            return replace(
                base,
                body=body,
                content_type=response.headers.get("content-type"),
                new_url=_permanent_target(response),
            )

    def _http_failure(self, base: FetchResult, response: httpx.Response) -> FetchResult:
        code = response.status_code
        failure = replace(base, etag=None, last_modified=None)
        if code in RATE_LIMIT_CODES:
            retry_after = parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC))
            reason = f"HTTP {code}"
            if retry_after is not None:
                reason += f"; retry after {retry_after:.0f} s"
            return replace(
                failure, status=Status.RATE_LIMITED, retry_after=retry_after, error=reason
            )
        if code == 410:
            return replace(failure, status=Status.GONE, error=GONE_ERROR)
        return replace(failure, status=Status.ERROR, error=f"HTTP {code}")

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """Read and decode the body, aborting as soon as it passes ``max_bytes``.

        Decoded bytes are counted, so a small gzip bomb is stopped too, and inflating
        is done in steps of at most 64 kB: peak memory stays near the cap even though
        deflate can expand a 64 kB network read into 64 MB.
        """
        encoding = response.headers.get("content-encoding", "").strip().lower()
        length = response.headers.get("content-length", "")
        inflater = None
        if encoding in ("", "identity"):
            if length.isdigit() and int(length) > self.max_bytes:
                raise _TooLarge
        elif encoding in ("gzip", "x-gzip", "deflate"):
            inflater = _Inflater(encoding)
        else:
            raise _Undecodable(f"unsupported content encoding {encoding[:30]!r}")
        body = bytearray()
        async for raw in response.aiter_raw():
            for piece in inflater.feed(raw) if inflater else (raw,):
                body += piece
                if len(body) > self.max_bytes:
                    raise _TooLarge
        for piece in inflater.finish() if inflater else ():
            body += piece
            if len(body) > self.max_bytes:
                raise _TooLarge
        return bytes(body)


class _Undecodable(Exception):
    pass


class _Inflater:
    """gzip/deflate decoding that yields at most ``STEP`` bytes per piece.

    httpx's own decoders inflate a whole network read at once, which is what lets a
    gzip bomb allocate tens of MB before any cap can be checked.  Like browsers, bytes
    after the end of the compressed data (padding, junk) are ignored.
    """

    STEP = 64 * 1024

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding != "deflate"
        self._wbits = zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._first = True  # nothing decoded yet: a raw-deflate fallback is still possible
        self._seen = bytearray()  # input so far while _first, replayed on that fallback
        self._after_end = False  # a stream has ended: what follows may be junk
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip:
            self._seen += data[: self.STEP]
        while data and not self._done:
            if self._inflater.eof:
                self._next_stream()
                continue
            try:
                piece = self._inflater.decompress(data, self.STEP)
            except zlib.error as exc:
                data = self._recover(data, exc)
                continue
            if piece:
                self._first = self._after_end = False
                self._seen.clear()
                yield piece
            inflater = self._inflater
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail

    def _next_stream(self) -> None:
        self._first = False
        self._seen.clear()
        if not self._gzip:
            self._done = True
            return
        self._after_end = True  # gzip allows several members back to back
        self._inflater = zlib.decompressobj(self._wbits)

    def _recover(self, data: bytes, exc: zlib.error) -> bytes:
        if self._first and not self._gzip:  # "deflate" sent without its zlib header
            self._first = False
            self._wbits = -zlib.MAX_WBITS
            self._inflater = zlib.decompressobj(self._wbits)
            return bytes(self._seen)
        if self._after_end:  # junk after the last member
            self._done = True
            return b""
        raise _Undecodable(f"body could not be decoded ({exc})") from exc

    def finish(self) -> Iterator[bytes]:
        if self._done or self._inflater.eof:
            return
        while piece := self._inflater.decompress(b"", self.STEP):
            yield piece
        if tail := self._inflater.flush():
            yield tail
