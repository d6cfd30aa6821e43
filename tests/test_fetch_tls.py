"""Feeds over real TLS on 127.0.0.1: the fetcher's context loads the trusted CA
certificates at the first handshake (not at start-up), and still refuses a server whose
certificate it cannot verify.  Certificates come from ``trustme`` (a throwaway CA)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from monitor.model import Status
from monitor.news.fetch import FeedFetcher
from monitor.news.fetch_state import FeedState
from monitor.news.tls import LazyTrustContext
from tests.feedserver import FeedServer

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
    b"<item><title>DeepSeek over TLS</title><link>https://example.com/a</link></item>"
    b"</channel></rss>"
)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FeedServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with FeedServer(tls=context) as server:
        server.serve("/feed", RSS)
        yield server


@pytest.fixture
def trusting(ca: trustme.CA, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The throwaway CA as the one trusted (SSL_CERT_FILE, as httpx honours it)."""
    pem = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    monkeypatch.setenv("SSL_CERT_FILE", str(pem))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)


async def test_an_https_feed_is_fetched_once_its_ca_is_trusted(
    tls_server: FeedServer, trusting: None
) -> None:
    url = tls_server.url("/feed")
    assert url.startswith("https://")
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("tls", FeedState(url=url))
        assert result.status is Status.OK, result.error
        assert b"DeepSeek over TLS" in (result.body or b"")
        assert isinstance(fetcher._tls, LazyTrustContext) and fetcher._tls.trusted
        assert fetcher._tls.cert_store_stats()["x509_ca"] == 1  # just the trusted CA


async def test_a_certificate_from_an_unknown_ca_is_refused(
    tls_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("tls", FeedState(url=tls_server.url("/feed")))
        assert fetcher._tls is not None and fetcher._tls.cert_store_stats()["x509_ca"] > 100
    assert result.status is not Status.OK
    assert result.body is None
    assert "certificate" in (result.error or "").lower()
    assert tls_server.hits("/feed") == 0


async def test_plain_http_feeds_never_load_the_ca_bundle(feed_server: FeedServer) -> None:
    feed_server.serve("/feed", RSS)
    async with FeedFetcher() as fetcher:
        result = await fetcher.fetch("plain", FeedState(url=feed_server.url("/feed")))
        assert result.status is Status.OK
        assert isinstance(fetcher._tls, LazyTrustContext)
        assert not fetcher._tls.trusted
        assert fetcher._tls.cert_store_stats()["x509_ca"] == 0


def test_the_context_verifies_like_the_default_one() -> None:
    context = LazyTrustContext()
    default = ssl.create_default_context()
    assert context.verify_mode == ssl.CERT_REQUIRED == default.verify_mode
    assert context.check_hostname and default.check_hostname
    assert context.minimum_version == default.minimum_version
    assert context.options == default.options
