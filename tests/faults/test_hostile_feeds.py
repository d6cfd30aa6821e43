"""Issue 11, the feed side: redirects that leave for private addresses (case 8),
one bad byte in a UTF-8 feed (case 6) and dates that cannot hurt (case 1), each
through the real engine against a loopback server."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from monitor.clock import ManualClock
from monitor.engine import Engine
from monitor.model import Status
from monitor.news import fetch_redirects
from tests.faults.kit import (
    US_OPEN,
    StaticQuotes,
    config_text,
    items,
    loaded_config,
    open_engine,
    rfc822,
    rss,
    rss_item,
    source,
)
from tests.feedserver import FeedServer, moved

PUBLIC_ADDRESS = "93.184.216.34"  # what the test resolver says "localhost" is


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.fixture
def localhost_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The redirect check's resolver sees ``localhost`` as a public host; connections
    still go to 127.0.0.1, and IP literals are judged as they are."""
    real = fetch_redirects.system_resolver

    async def resolve(host: str) -> Sequence[str]:
        return [PUBLIC_ADDRESS] if host == "localhost" else await real(host)

    monkeypatch.setattr(fetch_redirects, "system_resolver", resolve)


async def engine_for(tmp_path, clock, url: str, settings: str = "") -> Engine:
    """An engine that builds its own fetcher from the config, as `monitor` does."""
    text = config_text(feeds=[("wire", url)], settings=settings)
    engine = Engine(
        loaded_config(tmp_path, text),
        clock=clock,
        quote_source=StaticQuotes(clock=clock),
        database=tmp_path / "m.db",
        notify=False,
    )
    await engine.open()
    return engine


def public_url(server: FeedServer, path: str) -> str:
    return f"http://localhost:{server.port}{path}"


@pytest.mark.parametrize("code", [301, 302])
async def test_case08_public_feed_may_not_redirect_to_loopback(
    feed_server: FeedServer, clock, tmp_path, localhost_is_public, code: int
) -> None:
    feed_server.sequence("/feed", [moved(feed_server.url("/admin"), code)])
    feed_server.serve("/admin", rss(items("internal", 2, when=clock.now())))
    engine = await engine_for(tmp_path, clock, public_url(feed_server, "/feed"))
    try:
        assert await engine.poll_news(force=True) == []
        status = source(engine, "wire")
        assert status.status is Status.ERROR
        assert "redirect to a non-public address refused (127.0.0.1)" in (status.error or "")
        assert "allow_private_redirects = true" in (status.error or "")
        assert feed_server.hits("/admin") == 0  # the request was never sent
        clock.advance(7200)
        await engine.poll_news(force=True)
        assert feed_server.hits("/feed") == 2  # the refused 301 target is not remembered
        assert feed_server.hits("/admin") == 0
        assert source(engine, "wire").detail is None  # no "moved permanently to ..."
    finally:
        await engine.stop()


async def test_case08_allow_private_redirects_follows_them(
    feed_server: FeedServer, clock, tmp_path, localhost_is_public
) -> None:
    feed_server.sequence("/feed", [moved(feed_server.url("/admin"))])
    feed_server.serve("/admin", rss(items("internal", 2, when=clock.now())))
    engine = await engine_for(
        tmp_path, clock, public_url(feed_server, "/feed"), "allow_private_redirects = true"
    )
    try:
        assert len(await engine.poll_news(force=True)) == 2
        assert source(engine, "wire").status is Status.OK
        assert feed_server.hits("/admin") == 1
    finally:
        await engine.stop()


async def test_case08_private_feed_may_redirect_privately_and_public_stays_public(
    feed_server: FeedServer, clock, tmp_path, localhost_is_public
) -> None:
    # A feed that is itself on a private address (127.0.0.1) is the person's own.
    feed_server.sequence("/local", [moved(feed_server.url("/new"))])
    feed_server.serve("/new", rss(items("local", 1, when=clock.now())))
    # A public feed moving to another public host is followed.
    feed_server.sequence("/pub", [moved(public_url(feed_server, "/pub2"))])
    feed_server.serve("/pub2", rss(items("pub", 1, when=clock.now())))
    text = config_text(
        feeds=[("local", feed_server.url("/local")), ("pub", public_url(feed_server, "/pub"))]
    )
    engine = Engine(
        loaded_config(tmp_path, text),
        clock=clock,
        quote_source=StaticQuotes(clock=clock),
        database=tmp_path / "m.db",
        notify=False,
    )
    await engine.open()
    try:
        assert {h.feed for h in await engine.poll_news(force=True)} == {"local", "pub"}
    finally:
        await engine.stop()


# ---- case 6: one bad byte ----------------------------------------------------------------


async def test_case06_one_bad_byte_keeps_the_feed_utf8(
    feed_server: FeedServer, clock, tmp_path
) -> None:
    when = rfc822(clock.now())
    body = rss(
        [
            rss_item("深度求索 发布 R1", link="https://example.com/1", guid="1", date=when),
            rss_item(
                "梁文锋 interview, BAD byte", link="https://example.com/2", guid="2", date=when
            ),
            rss_item("Nvidia falls", link="https://example.com/3", guid="3", date=when),
        ]
    ).replace(b"BAD", b"B\xffD")
    feed_server.serve("/wire", body, content_type="application/rss+xml; charset=utf-8")
    text = config_text(feeds=[("wire", feed_server.url("/wire"))], query="深度求索 OR 梁文锋")
    engine, _ = await open_engine(tmp_path, text, clock=clock)
    try:
        titles = sorted(h.title for h in await engine.poll_news(force=True) if h.matched)
        assert titles == ["梁文锋 interview, B\ufffdD byte", "深度求索 发布 R1"]
        stored = await engine.recent_headlines(limit=100, matched_only=False)
        assert "Nvidia falls" in {h.title for h in stored}  # untouched entries stay as sent
        status = source(engine, "wire")
        assert status.detail == "1 invalid UTF-8 byte sequence replaced (in 1 entry)"
    finally:
        await engine.stop()


async def test_case06_declared_in_the_document_only(
    feed_server: FeedServer, clock, tmp_path
) -> None:
    body = rss([rss_item("深度求索 BAD", link="https://example.com/1", guid="1")])
    feed_server.serve("/wire", body.replace(b"BAD", b"\xc3"), content_type="text/xml")
    text = config_text(feeds=[("wire", feed_server.url("/wire"))], query="深度求索")
    engine, _ = await open_engine(tmp_path, text, clock=clock)
    try:
        assert [h.title for h in await engine.poll_news(force=True)] == ["深度求索 \ufffd"]
        assert "invalid UTF-8" in (source(engine, "wire").detail or "")
    finally:
        await engine.stop()
