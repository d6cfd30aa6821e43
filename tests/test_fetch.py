"""Feed fetching against a real loopback server, and the pure state transitions."""

from __future__ import annotations

import gzip
import random
import socket
import tracemalloc
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from monitor.backoff import MAX_RETRY_AFTER, Backoff, parse_retry_after
from monitor.model import Status
from monitor.news.fetch import (
    DEFAULT_USER_AGENT,
    GONE_ERROR,
    POOL_SHARDS,
    FeedFetcher,
    FeedState,
    FetchResult,
    _connect_reason,
    next_state,
)
from monitor.news.fetch_body import Inflater
from monitor.news.fetch_redirects import is_public_address
from monitor.news.fetch_state import FEED_BACKOFF
from tests.feedserver import FeedServer, Reply, failure, gzip_bomb_body, unused_url

RSS = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LAST_MODIFIED = "Sat, 28 Nov 2026 10:00:00 GMT"


def state_for(server: FeedServer, path: str, **kwargs: object) -> FeedState:
    return FeedState(url=server.url(path), **kwargs)  # type: ignore[arg-type]


async def fetch_once(server: FeedServer, path: str, **fetcher_kwargs: object) -> FetchResult:
    async with FeedFetcher(**fetcher_kwargs) as fetcher:  # type: ignore[arg-type]
        return await fetcher.fetch("feed", state_for(server, path))


# ---- success, validators, headers ---------------------------------------------------


async def test_etag_then_not_modified_keeps_validators(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, etag='"v1"', last_modified=LAST_MODIFIED)
    state = state_for(feed_server, "/rss")
    async with FeedFetcher() as fetcher:
        first = await fetcher.fetch("tech", state)
        assert (first.status, first.body, first.http_status) == (Status.OK, RSS, 200)
        assert first.etag == '"v1"' and first.last_modified == LAST_MODIFIED
        assert first.content_type == "application/rss+xml; charset=utf-8"
        state = next_state(state, first, NOW)

        second = await fetcher.fetch("tech", state)
    assert second.status is Status.NOT_MODIFIED
    assert second.body is None and second.http_status == 304
    sent = feed_server.requests[-1]
    assert sent.header("If-None-Match") == '"v1"'
    assert sent.header("If-Modified-Since") == LAST_MODIFIED
    later = next_state(state, second, NOW + timedelta(minutes=5))
    assert later.etag == '"v1"' and later.last_modified == LAST_MODIFIED
    assert later.status is Status.NOT_MODIFIED and later.last_ok == NOW + timedelta(minutes=5)


async def test_changed_body_is_fetched_again(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS, etag='"v1"')
    state = state_for(feed_server, "/rss")
    async with FeedFetcher() as fetcher:
        state = next_state(state, await fetcher.fetch("f", state), NOW)
        feed_server.serve("/rss", RSS + b"<!-- v2 -->", etag='"v2"')
        result = await fetcher.fetch("f", state)
    assert result.status is Status.OK and result.body == RSS + b"<!-- v2 -->"
    assert next_state(state, result, NOW).etag == '"v2"'


async def test_last_modified_alone_gives_304(feed_server: FeedServer) -> None:
    feed_server.serve("/atom", RSS, last_modified=LAST_MODIFIED)
    state = state_for(feed_server, "/atom")
    async with FeedFetcher() as fetcher:
        state = next_state(state, await fetcher.fetch("f", state), NOW)
        assert state.last_modified == LAST_MODIFIED and state.etag is None
        result = await fetcher.fetch("f", state)
    assert result.status is Status.NOT_MODIFIED
    assert feed_server.requests[-1].header("If-Modified-Since") == LAST_MODIFIED
    assert feed_server.requests[-1].header("If-None-Match") is None


async def test_real_user_agent_and_accept_are_sent(feed_server: FeedServer) -> None:
    feed_server.serve("/rss", RSS)
    await fetch_once(feed_server, "/rss")
    (sent,) = feed_server.requests
    assert sent.header("User-Agent") == DEFAULT_USER_AGENT
    assert "python" not in sent.header("User-Agent").lower()
    assert sent.header("Accept").startswith("application/rss+xml, application/atom+xml")
    assert sent.header("Accept-Encoding") == "gzip, deflate"
    assert sent.header("If-None-Match") is None and sent.header("If-Modified-Since") is None


async def test_gzip_body_is_decoded(feed_server: FeedServer) -> None:
    feed_server.gzip("/rss.gz", RSS * 50)
    result = await fetch_once(feed_server, "/rss.gz")
    assert result.status is Status.OK and result.body == RSS * 50


# ---- redirects ----------------------------------------------------------------------


@pytest.mark.parametrize("code", [301, 308])
async def test_permanent_redirect_is_remembered(feed_server: FeedServer, code: int) -> None:
    feed_server.redirect("/old", "/new", status=code)
    feed_server.serve("/new", RSS)
    state = state_for(feed_server, "/old")
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("f", state)
    assert result.status is Status.OK and result.body == RSS
    assert result.new_url == feed_server.url("/new")
    moved = next_state(state, result, NOW)
    assert moved.url == feed_server.url("/new") and moved.moved_from == feed_server.url("/old")


@pytest.mark.parametrize("code", [302, 307])
async def test_temporary_redirect_is_not_remembered(feed_server: FeedServer, code: int) -> None:
    feed_server.redirect("/old", "/elsewhere", status=code)
    feed_server.serve("/elsewhere", RSS)
    state = state_for(feed_server, "/old")
    result = await fetch_once(feed_server, "/old")
    assert result.status is Status.OK and result.body == RSS and result.new_url is None
    assert next_state(state, result, NOW).url == state.url


async def test_only_the_permanent_part_of_a_chain_is_remembered(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b", status=301)
    feed_server.redirect("/b", "/c", status=302)
    feed_server.serve("/c", RSS)
    result = await fetch_once(feed_server, "/a")
    assert result.status is Status.OK and result.new_url == feed_server.url("/b")


async def test_redirect_to_a_broken_url_keeps_the_old_one(feed_server: FeedServer) -> None:
    feed_server.redirect("/old", "/missing", status=301)
    state = state_for(feed_server, "/old")
    result = await fetch_once(feed_server, "/old")
    assert result.status is Status.ERROR and result.error == "HTTP 404"
    assert next_state(state, result, NOW).url == state.url


# ---- HTTP failures ------------------------------------------------------------------


async def test_429_with_retry_after_seconds(feed_server: FeedServer) -> None:
    feed_server.fail("/busy", 429, retry_after="120")
    result = await fetch_once(feed_server, "/busy")
    assert result.status is Status.RATE_LIMITED and result.http_status == 429
    assert result.retry_after == 120.0
    assert result.body is None and "429" in result.error


async def test_429_with_retry_after_http_date(feed_server: FeedServer) -> None:
    when = datetime.now(UTC) + timedelta(seconds=600)
    feed_server.fail("/busy", 429, retry_after=format_datetime(when, usegmt=True))
    result = await fetch_once(feed_server, "/busy")
    assert result.status is Status.RATE_LIMITED
    assert result.retry_after is not None and 500 < result.retry_after <= 600


async def test_503_is_an_error_not_a_rate_limit(feed_server: FeedServer) -> None:
    feed_server.fail("/down", 503)
    result = await fetch_once(feed_server, "/down")
    assert result.status is Status.ERROR and result.retry_after is None
    assert result.error == "HTTP 503 (unavailable)"


async def test_503_retry_after_is_still_honoured(feed_server: FeedServer) -> None:
    feed_server.fail("/down", 503, retry_after="900")
    state = state_for(feed_server, "/down")
    result = await fetch_once(feed_server, "/down")
    assert result.status is Status.ERROR and result.retry_after == 900.0
    assert result.error == "HTTP 503 (unavailable); retry after 900 s"
    after = next_state(state, result, NOW)
    assert after.status is Status.ERROR and after.next_try >= NOW + timedelta(seconds=900)


@pytest.mark.parametrize("code", [500, 404, 403])
async def test_other_http_errors(feed_server: FeedServer, code: int) -> None:
    feed_server.fail("/bad", code, body=b"oops")
    result = await fetch_once(feed_server, "/bad")
    assert result.status is Status.ERROR and result.error == f"HTTP {code}"
    assert result.http_status == code and result.body is None


async def test_410_is_gone(feed_server: FeedServer) -> None:
    feed_server.fail("/dead", 410)
    state = state_for(feed_server, "/dead")
    result = await fetch_once(feed_server, "/dead")
    assert result.status is Status.GONE
    after = next_state(state, result, NOW)
    assert after.gone and after.status is Status.GONE and after.error == GONE_ERROR


async def test_rate_limited_then_ok(feed_server: FeedServer) -> None:
    feed_server.sequence("/flaky", [failure(429, retry_after=1), Reply(body=RSS)])
    state = state_for(feed_server, "/flaky")
    async with FeedFetcher() as fetcher:
        first = await fetcher.fetch("f", state)
        second = await fetcher.fetch("f", state)
        third = await fetcher.fetch("f", state)
    assert [first.status, second.status, third.status] == [
        Status.RATE_LIMITED,
        Status.OK,
        Status.OK,
    ]
    assert second.body == RSS and feed_server.hits("/flaky") == 3


# ---- timeouts, size caps, unreachable ------------------------------------------------


async def test_trickle_is_aborted_at_the_deadline(feed_server: FeedServer) -> None:
    feed_server.trickle("/slow", RSS, bytes_per_second=1)
    result = await fetch_once(feed_server, "/slow", deadline=1.5, read_timeout=10)
    assert result.status is Status.TIMEOUT
    assert result.error == "timed out after 1.5 s" and result.body is None


async def test_hanging_server_is_aborted_at_the_deadline(feed_server: FeedServer) -> None:
    feed_server.hang("/hang")
    result = await fetch_once(feed_server, "/hang", deadline=1.5, read_timeout=10)
    assert result.status is Status.TIMEOUT and result.error == "timed out after 1.5 s"


async def test_read_timeout_is_a_timeout(feed_server: FeedServer) -> None:
    feed_server.hang("/hang")
    result = await fetch_once(feed_server, "/hang", deadline=10, read_timeout=0.3)
    assert result.status is Status.TIMEOUT and result.error == "no data for 0.3 s"


async def test_oversized_body_is_rejected(feed_server: FeedServer) -> None:
    feed_server.serve("/big", b"x" * 3_000_000)
    result = await fetch_once(feed_server, "/big", max_bytes=1_000_000)
    assert result.status is Status.ERROR
    assert result.body is None and result.error == "feed larger than 1 MB"


async def test_oversized_compressed_body_is_cut_while_streaming(feed_server: FeedServer) -> None:
    # Content-Length is the compressed size (small): only counting decoded bytes catches it.
    feed_server.gzip("/big.gz", b"<item>same</item>" * 200_000)  # 3.4 MB decoded
    result = await fetch_once(feed_server, "/big.gz", max_bytes=1_000_000)
    assert result.status is Status.ERROR
    assert result.body is None and result.error == "feed larger than 1 MB"


async def test_gzip_bomb_is_aborted_with_bounded_memory(feed_server: FeedServer) -> None:
    feed_server.gzip_bomb("/bomb")  # 200 MB of zeros in ~200 kB
    gzip_bomb_body(200_000_000)  # built before measuring
    tracemalloc.start()
    try:
        result = await fetch_once(feed_server, "/bomb")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.status is Status.ERROR
    assert result.body is None and result.error == "feed larger than 10 MB"
    # Inflating a whole 64 kB read at once would allocate ~64 MB per read.
    assert peak < 30_000_000


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda b: gzip.compress(b[:5000]) + gzip.compress(b[5000:])),  # 2 members
        ("deflate", zlib.compress),  # zlib-wrapped, as RFC 9110 says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as IIS sends it
    ],
)
async def test_compressed_bodies_are_decoded(
    feed_server: FeedServer, encoding: str, compress: Callable[[bytes], bytes]
) -> None:
    body = b"".join(b"<item><title>%d</title></item>" % i for i in range(20_000))
    feed_server.sequence("/z", [Reply(body=compress(body), headers={"Content-Encoding": encoding})])
    result = await fetch_once(feed_server, "/z")
    assert result.status is Status.OK and result.body == body


@pytest.mark.parametrize("read_size", [1, 3, 4096, 1 << 20])
@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", lambda b: gzip.compress(b[:999]) + gzip.compress(b[999:]) + b"\0\0"),
        ("deflate", lambda b: zlib.compress(b) + b"junk"),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),
    ],
)
def test_inflater_pieces_are_bounded_whatever_the_reads(
    encoding: str, compress: Callable[[bytes], bytes], read_size: int
) -> None:
    body = b"".join(b"<item>%d</item>" % i for i in range(300)) + bytes(300_000)
    data, inflater, pieces = compress(body), Inflater(encoding), []
    for start in range(0, len(data), read_size):
        pieces += inflater.feed(data[start : start + read_size])
    pieces += inflater.finish()
    assert b"".join(pieces) == body
    assert max(map(len, pieces)) <= Inflater.STEP


async def test_corrupt_or_unknown_encoding_is_an_error(feed_server: FeedServer) -> None:
    feed_server.sequence("/bad", [Reply(body=b"not gzip", headers={"Content-Encoding": "gzip"})])
    feed_server.sequence("/br", [Reply(body=b"xx", headers={"Content-Encoding": "br"})])
    bad = await fetch_once(feed_server, "/bad")
    br = await fetch_once(feed_server, "/br")
    assert bad.status is Status.ERROR and bad.error.startswith("body could not be decoded")
    assert br.status is Status.ERROR and br.error == "unsupported content encoding 'br'"


async def test_connection_refused_is_unreachable() -> None:
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("f", FeedState(url=unused_url("/rss")))
    assert result.status is Status.UNREACHABLE and result.error == "connection refused"


def test_dns_failure_reason_is_short() -> None:
    # Built by hand: a real lookup would leave the machine.
    try:
        try:
            raise socket.gaierror(-2, "Name or service not known")
        except socket.gaierror as cause:
            raise httpx.ConnectError("[Errno -2] Name or service not known") from cause
    except httpx.ConnectError as exc:
        assert _connect_reason(exc) == (Status.UNREACHABLE, "name not resolved")


async def test_invalid_url_is_an_error_not_a_raise() -> None:
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("f", FeedState(url="ftp://example.invalid/feed"))
    assert result.status is Status.ERROR and result.error.startswith("invalid URL")


# ---- many feeds ---------------------------------------------------------------------


async def test_fetch_all_returns_every_result_in_order(feed_server: FeedServer) -> None:
    feeds = []
    for i in range(20):
        path = f"/feed{i}"
        if i % 5 == 1:
            feed_server.fail(path, 500)
        elif i % 5 == 3:
            feed_server.fail(path, 429, retry_after=30)
        else:
            feed_server.serve(path, RSS + str(i).encode())
        feeds.append((f"feed{i}", state_for(feed_server, path)))
    feeds[7] = ("feed7", FeedState(url=unused_url("/x")))

    async with FeedFetcher(concurrency=4) as fetcher:
        results = await fetcher.fetch_all(feeds)

    assert [r.name for r in results] == [f"feed{i}" for i in range(20)]
    for i, result in enumerate(results):
        if i == 7:
            assert result.status is Status.UNREACHABLE
        elif i % 5 == 1:
            assert result.status is Status.ERROR
        elif i % 5 == 3:
            assert result.status is Status.RATE_LIMITED and result.retry_after == 30
        else:
            assert result.status is Status.OK and result.body == RSS + str(i).encode()


# ---- next_state: pure ---------------------------------------------------------------


def failed(status: Status = Status.TIMEOUT, retry_after: float | None = None) -> FetchResult:
    error = "timed out after 30 s"
    return FetchResult("f", "http://x/", status, retry_after=retry_after, error=error)


def test_backoff_doubles_and_is_capped() -> None:
    state = FeedState(url="http://x/")
    delays = []
    for _ in range(9):
        state = next_state(state, failed(), NOW, policy=Backoff(30, 3600))
        delays.append((state.next_try - NOW).total_seconds())
    assert delays == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
    assert state.failures == 9
    assert state.status is Status.TIMEOUT and state.error == "timed out after 30 s"


def test_jitter_stays_within_twenty_percent() -> None:
    rng = random.Random(7)
    delays = [FEED_BACKOFF.delay(3, rng) for _ in range(500)]
    assert all(96 <= d <= 144 for d in delays)
    assert max(delays) - min(delays) > 30  # it really varies
    state = next_state(FeedState(url="u", failures=2), failed(), NOW, rng=random.Random(1))
    assert 96 <= (state.next_try - NOW).total_seconds() <= 144


def test_retry_after_is_honoured_when_longer_than_backoff() -> None:
    limited = failed(Status.RATE_LIMITED, retry_after=900.0)
    state = next_state(FeedState(url="u"), limited, NOW)
    assert state.next_try == NOW + timedelta(seconds=900)
    assert state.status is Status.RATE_LIMITED and state.failures == 1
    short = failed(Status.RATE_LIMITED, retry_after=5.0)
    assert next_state(FeedState(url="u"), short, NOW).next_try == NOW + timedelta(seconds=30)


def test_success_resets_failures_and_stores_validators() -> None:
    broken = FeedState(
        url="u",
        failures=4,
        next_try=NOW,
        status=Status.TIMEOUT,
        error="x",
        etag='"old"',
        last_modified="old",
    )
    ok = FetchResult("f", "u", Status.OK, body=RSS, etag='"new"', last_modified=None)
    state = next_state(broken, ok, NOW)
    assert (state.failures, state.next_try, state.error) == (0, None, None)
    assert state.status is Status.OK and state.last_ok == NOW
    # A 200 replaces the validators, even with none: the old ones describe old content.
    assert state.etag == '"new"' and state.last_modified is None


def test_moved_from_keeps_the_original_url_across_moves() -> None:
    state = FeedState(url="http://a/")
    state = next_state(state, FetchResult("f", "http://a/", Status.OK, new_url="http://b/"), NOW)
    state = next_state(state, FetchResult("f", "http://b/", Status.OK, new_url="http://c/"), NOW)
    assert state.url == "http://c/" and state.moved_from == "http://a/"


def test_feed_state_round_trips_through_json() -> None:
    state = FeedState(
        url="u",
        etag='"e"',
        last_modified="lm",
        failures=2,
        next_try=NOW,
        status=Status.RATE_LIMITED,
        error="HTTP 429",
        last_ok=NOW - timedelta(hours=1),
        moved_from="m",
    )
    assert FeedState.from_json(state.to_json()) == state
    assert FeedState.from_json({"url": "u"}) == FeedState(url="u")


def test_parse_retry_after() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    date = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert parse_retry_after(date, NOW) == 90.0
    assert parse_retry_after(format_datetime(NOW - timedelta(hours=1), usegmt=True), NOW) == 0.0
    assert parse_retry_after("99999999", NOW) == MAX_RETRY_AFTER
    assert parse_retry_after("soon", NOW) is None and parse_retry_after(None, NOW) is None


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata (link-local)
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        ("224.0.0.1", False),
        ("not an address", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public


async def test_redirect_check_uses_the_injected_resolver(feed_server: FeedServer) -> None:
    async def resolve(host: str) -> list[str]:  # "localhost" stands for a public host
        return ["93.184.216.34"] if host == "localhost" else ["127.0.0.1"]

    feed_server.redirect("/feed", feed_server.url("/inside"), status=302)
    feed_server.serve("/inside", RSS)
    public = FeedState(url=f"http://localhost:{feed_server.port}/feed")
    async with FeedFetcher(resolve=resolve) as fetcher:
        refused = await fetcher.fetch("f", public)
    assert refused.status is Status.ERROR and "non-public address" in (refused.error or "")
    assert feed_server.hits("/inside") == 0
    async with FeedFetcher(resolve=resolve, allow_private_redirects=True) as fetcher:
        assert (await fetcher.fetch("f", public)).status is Status.OK


async def test_every_pool_shares_one_tls_context(
    feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each pool loading the CA bundle cost ~20 ms of CPU, once per pool."""
    from monitor.news import fetch as fetch_module
    from monitor.news.tls import LazyTrustContext

    made: list[LazyTrustContext] = []

    class Counting(LazyTrustContext):
        def __new__(cls) -> LazyTrustContext:
            made.append(super().__new__(cls))
            return made[-1]

    monkeypatch.setattr(fetch_module, "LazyTrustContext", Counting)
    paths = [f"/rss{i}" for i in range(40)]  # enough URLs to reach every shard
    for path in paths:
        feed_server.serve(path, RSS)
    async with FeedFetcher() as fetcher:
        results = [await fetcher.fetch("f", state_for(feed_server, p)) for p in paths]
        assert 1 < len(fetcher._clients) <= POOL_SHARDS
    assert {r.status for r in results} == {Status.OK}
    assert len(made) == 1
