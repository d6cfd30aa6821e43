"""Outlets: a Google News item names its outlet's domain (from ``<source url>``; its
link is a news.google.com redirect), the domain survives the store, and the link to
open is the outlet's own where a feed gave one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.model import Headline, Outlet
from tests.cli_helpers import DAILY_CSV, write_config
from tests.faults.kit import rss, rss_item
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data" / "feeds"
T27 = datetime(2025, 1, 27, 21, 0, tzinfo=UTC)
GOOGLE = "https://news.google.com/rss/articles/CBMiBBB2?oc=5"
CNBC = "https://www.cnbc.com/2025/01/27/nvidia-falls-deepseek.html"


def _headline(*outlets: Outlet) -> Headline:
    first = outlets[0]
    return Headline(
        story="s",
        title="Nvidia shares plunge",
        link=first.link,
        source=first.source,
        feed="f",
        published=T27,
        first_seen=T27,
        outlets=outlets,
        domain=first.domain,
    )


def test_the_link_to_open_is_an_outlets_own_where_a_feed_gave_one() -> None:
    google = Outlet("CNBC", GOOGLE, T27, "cnbc.com")
    own = Outlet("CNBC", CNBC, T27, "cnbc.com")
    reuters_google = Outlet("Reuters", "https://news.google.com/rss/articles/A", T27, "reuters.com")

    assert not google.is_own_link and own.is_own_link
    assert _headline(google).open_link == GOOGLE, "only the redirect: it is what there is"
    assert _headline(reuters_google, own).open_link == CNBC
    assert _headline(own, reuters_google).open_link == CNBC
    assert _headline(Outlet("X", "https://evilcnbc.com/a", T27, "cnbc.com")).open_link == (
        "https://evilcnbc.com/a"
    )
    assert not Outlet("X", "https://evilcnbc.com/a", T27, "cnbc.com").is_own_link


def test_json_names_the_domain_of_the_story_and_of_each_outlet() -> None:
    line = _headline(Outlet("Reuters", GOOGLE, T27, "reuters.com")).to_json()
    assert line["domain"] == "reuters.com"
    assert line["outlets"][0]["domain"] == "reuters.com"


def _config(tmp: Path, feeds: str) -> LoadedConfig:
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = f"""
[settings]
quote_source = "quotes.csv"
database = "m.db"
notify = ["terminal"]
[watchlist]
chips = ["NVDA"]
[news]
query = "DeepSeek"
{feeds}
"""
    path = write_config(tmp, text)
    return LoadedConfig(parse_config_text(text, path), path, "--config")


async def test_google_news_domains_survive_the_store_and_the_own_link_wins(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    cnbc_feed = rss(
        [rss_item("Nvidia Shares Plunge 17% As DeepSeek Rattles AI Trade", link=CNBC, guid="c1")],
        title="CNBC",
    )
    feed_server.serve("/cnbc.xml", cnbc_feed)
    feeds = (
        f'[[news.feeds]]\nname = "Google News"\nurl = "{feed_server.url("/g.xml")}"\n'
        f'[[news.feeds]]\nname = "CNBC"\nurl = "{feed_server.url("/cnbc.xml")}"\n'
    )
    loaded = _config(tmp_path, feeds)
    engine = Engine(loaded, clock=ManualClock(T27))
    await engine.open()
    try:
        polled = await engine.poll_news(force=True)
    finally:
        await engine.stop()
    again = Engine(loaded, clock=ManualClock(T27))  # a restart: read back from the store
    await again.open()
    try:
        stored = await again.recent_headlines(limit=50)
    finally:
        await again.stop()

    assert {h.story for h in polled} >= {h.story for h in stored}
    plunge = next(h for h in stored if "plunge 17%" in h.title.lower())
    assert plunge.domain == "reuters.com" and plunge.link.startswith("https://news.google.com/")
    assert {(o.source, o.domain) for o in plunge.outlets} == {
        ("Reuters", "reuters.com"),
        ("CNBC", "cnbc.com"),
    }
    assert plunge.open_link == CNBC, "CNBC's own feed gave the article's own link"
    sina = next(h for h in stored if "新浪" in h.source)
    assert sina.domain == "finance.sina.com.cn" and sina.open_link == sina.link


def test_a_links_domain_is_what_urlsplit_says_on_the_fast_path_too() -> None:
    """Plain links skip urlsplit; any other shape goes through it.  Both must agree."""
    from urllib.parse import urlsplit

    from monitor.news.outlets import outlet_domain

    links = [
        "https://www.reuters.com/markets/x", "http://cnbc.com", "https://a.b.example./p?q#f",
        "https://news.google.com/rss/articles/x", "https://WWW.FT.com/x", "https://x.com:8443/a",
        "https://user@host.example/p", "https://[::1]/a", "https://h.example?x=1",
        "https://h.example#top", "https://www./x", "https:///nohost", "ftp://files.example/x",
        "https://xn--bcher-kva.example/a", "https://h_x.example/a",
    ]  # fmt: skip
    for link in links:
        host = (urlsplit(link).hostname or "").rstrip(".").lower().removeprefix("www.") or None
        expected = None if host == "news.google.com" else host
        assert outlet_domain(link, None) == expected, link
    assert outlet_domain(GOOGLE, "https://www.Reuters.com") == "reuters.com"
