"""Yahoo Finance news as a news source (``kind = "yahoo"``): Yahoo's search answer parsed
(the recorded one in tests/data/yahoo/search-AAPL.json and hostile ones), fetched
through the live path's own Yahoo client from the fake on 127.0.0.1, and polled by the
engine beside an RSS feed, the same story from both being one row."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.model import Status
from monitor.news.fetch_state import FeedState
from monitor.news.yahoo import YahooNewsFetcher, parse_search, search_url
from monitor.quotes import yahoo_http
from monitor.quotes.yahoo_http import YahooHttp
from tests.cli_helpers import DAILY_CSV, ROOT, isolated_env, json_lines, write_config
from tests.fake_yahoo import FakeYahoo, fake_async_session
from tests.fake_yahoo_search import story
from tests.faults.kit import StaticQuotes
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data"
NOW = datetime(2025, 1, 27, 21, 0, tzinfo=UTC)
#: the Reuters story of tests/data/feeds/google_news.xml, as Yahoo lists it
REUTERS = story(
    "Nvidia shares plunge 17% as DeepSeek rattles AI trade",
    publisher="Reuters",
    time=datetime(2025, 1, 27, 20, 12, tzinfo=UTC),
    tickers=["NVDA"],
)
YAHOO_ONLY = story(
    "DeepSeek's R1 tops App Store as US tech stocks slide",
    publisher="Yahoo Finance",
    time=datetime(2025, 1, 27, 19, 0, tzinfo=UTC),
    tickers=["NVDA", "AAPL"],
)
NOT_NVDA = story(
    "DeepSeek app banned on Italian app stores",
    publisher="Reuters",
    time=datetime(2025, 1, 27, 18, 0, tzinfo=UTC),
    tickers=[],
)


def recorded_search() -> dict[str, Any]:
    payload = json.loads((DATA / "yahoo" / "search-AAPL.json").read_text(encoding="utf-8"))
    return payload["response"]["bodyJson"]


def body(news: Any) -> bytes:
    return json.dumps({"count": 1, "quotes": [], "news": news}).encode()


# ---- parsing ---------------------------------------------------------------------------


async def test_the_recorded_answer_becomes_entries(fake: FakeYahoo) -> None:
    fake.serve_recorded_search("AAPL", recorded_search())
    (fetched,) = await _fetcher(fake).fetch_all([("Yahoo: AAPL", FeedState(search_url("AAPL", 4)))])
    raw = fetched.body or b""
    parsed = parse_search(raw, feed_name="Yahoo: AAPL", now=datetime(2026, 3, 4, 8, tzinfo=UTC))

    assert parsed.warning is None and not parsed.bozo
    assert [e.source for e in parsed.entries] == [
        "Simply Wall St.",
        "MT Newswires",
        "Zacks",
        "Motley Fool",
    ]
    first = parsed.entries[0]
    assert first.title == "Apple’s Broad Hardware Refresh Puts Ecosystem And Valuation In Focus"
    assert first.link == (
        "https://finance.yahoo.com/news/apple-broad-hardware-refresh-puts-021224368.html"
    )
    assert first.guid == "1b324182-5181-30d2-b2e3-63709a52567f"
    assert first.published == datetime(2026, 3, 4, 2, 12, 24, tzinfo=UTC) and first.date_known
    assert first.feed == "Yahoo: AAPL" and first.summary == ""
    assert parsed.entries[2].tickers == ("AAPL", "TTE", "BSX", "GTIM")
    assert parsed.entries[3].tickers == ("AAPL", "NVDA", "INTC", "^GSPC")


def test_a_ticker_source_keeps_the_stories_yahoo_relates_to_it() -> None:
    raw = json.dumps(recorded_search()).encode()
    now = datetime(2026, 3, 4, 8, tzinfo=UTC)

    nvda = parse_search(raw, feed_name="y", now=now, ticker="NVDA").entries
    aapl = parse_search(raw, feed_name="y", now=now, ticker="aapl").entries

    assert [e.source for e in nvda] == ["Motley Fool"]  # relatedTickers: AAPL, NVDA, ...
    assert len(aapl) == 4


def test_untrusted_text_is_cleaned_and_bad_items_dropped_alone() -> None:
    news = [
        {
            "title": "\x1b]52;c;cm0gLXJmIH4=\x07Nvidia \u202eexcl\u202c <b>falls</b> &amp; more",
            "publisher": "Evil\x1b[2J Wire",
            "link": "javascript:alert(1)",
            "uuid": "u-1\x07",
            "providerPublishTime": 1737990000,
        },
        {"title": 42, "publisher": "x", "link": "https://x.example/a"},
        "not an item",
        {"title": "  ", "link": "https://x.example/b"},
        {"title": "Time is a string", "providerPublishTime": "yesterday"},
        {"title": "Time in the future", "providerPublishTime": 4102444800},
        {"title": "Time is true", "providerPublishTime": True},
    ]

    parsed = parse_search(body(news), feed_name="y", now=NOW)

    first, *rest = parsed.entries
    assert first.title == "Nvidia excl falls & more"
    assert first.source == "Evil Wire" and first.link is None and first.guid == "u-1"
    assert first.published == datetime.fromtimestamp(1737990000, UTC)
    assert [(e.title, e.published, e.date_known) for e in rest] == [
        ("Time is a string", NOW, False),
        ("Time in the future", NOW, False),
        ("Time is true", NOW, False),
    ]
    assert parsed.warning == "3 news item(s) without a usable title dropped"


@pytest.mark.parametrize(
    ("raw", "warning"),
    [
        (b"<html>oops</html>", "not JSON"),
        (b'{"finance": {"result": null}}', "not a Yahoo search answer"),
        (b'["news"]', "not a Yahoo search answer"),
        (b'{"news": {"title": "x"}}', "not a Yahoo search answer"),
    ],
)
def test_an_answer_that_is_not_yahoo_search_json_is_a_malformed_feed(
    raw: bytes, warning: str
) -> None:
    parsed = parse_search(raw, feed_name="y", now=NOW)
    assert parsed.bozo and parsed.entries == [] and warning in (parsed.warning or "")


# ---- fetching from the fake --------------------------------------------------------


def _fetcher(fake: FakeYahoo) -> YahooNewsFetcher:
    return YahooNewsFetcher(YahooHttp(factory=lambda cookies: fake_async_session(fake, cookies)))


async def test_the_search_is_asked_as_yfinance_asks_it_without_signing_in(
    fake: FakeYahoo,
) -> None:
    for item in (REUTERS, YAHOO_ONLY, NOT_NVDA):
        fake.add_story(item)
    state = FeedState(url=search_url("DeepSeek", 2))

    (result,) = await _fetcher(fake).fetch_all([("Yahoo: DeepSeek", state)])

    assert result.status == Status.OK and result.http_status == 200
    titles = [e.title for e in parse_search(result.body or b"", feed_name="y", now=NOW).entries]
    assert titles == [REUTERS["title"], YAHOO_ONLY["title"]]  # newest first, newsCount=2
    (asked,) = fake.search_queries
    assert asked["q"] == "DeepSeek" and asked["newsCount"] == "2" and asked["quotesCount"] == "0"
    assert asked["newsQueryId"] == "news_cie_vespa" and "crumb" not in asked
    assert fake.requests["cookie"] == fake.requests["crumb"] == 0


@pytest.mark.parametrize(
    ("mode", "status", "error"),
    [
        ("429", Status.RATE_LIMITED, "HTTP 429"),
        ("down", Status.ERROR, "Yahoo Finance is down"),
        ("no q", Status.ERROR, "HTTP 400: Missing required query parameter=q"),
        ("unreachable", Status.UNREACHABLE, "connection refused"),
    ],
)
async def test_every_failure_is_a_result_with_a_reason(
    fake: FakeYahoo, mode: str, status: Status, error: str
) -> None:
    url = search_url("DeepSeek", 5)
    if mode == "no q":
        url = url.replace("q=DeepSeek&", "")
    elif mode == "unreachable":
        fake.unreachable_hosts.add("query2.finance.yahoo.com")
    else:
        fake.search_mode = mode

    (result,) = await _fetcher(fake).fetch_all([("y", FeedState(url=url))])

    assert result.status == status and error in (result.error or "")
    assert result.body is None


def test_the_search_url_carries_yfinance_parameters() -> None:
    query = parse_qs(urlsplit(search_url("深度求索 R1", 20)).query)
    assert query["q"] == ["深度求索 R1"] and query["newsCount"] == ["20"]
    assert query["enableFuzzyQuery"] == ["false"] and query["quotesQueryId"]


# ---- the engine: a yahoo source beside an RSS feed --------------------------------------


def _config(tmp: Path, rss_url: str) -> LoadedConfig:
    (tmp / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = f"""
[settings]
quote_source = "quotes.csv"
database = "m.db"
notify = ["terminal"]

[watchlist]
chips = ["NVDA", "^SOX"]

[aliases]
NVDA = ["Nvidia"]

[news]
query = "DeepSeek"

[[news.feeds]]
name = "Google News"
url = "{rss_url}"

[[news.feeds]]
name = "Yahoo: DeepSeek"
kind = "yahoo"
search = "DeepSeek"

[[news.feeds]]
name = "Yahoo: NVDA"
kind = "yahoo"
ticker = "NVDA"
query = ""
"""
    path = write_config(tmp, text)
    return LoadedConfig(parse_config_text(text, path), path, "--config")


async def test_a_story_from_rss_and_from_yahoo_is_one_row(
    tmp_path: Path, fake: FakeYahoo, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yahoo_http, "SESSION_FACTORY", lambda c: fake_async_session(fake, c))
    for item in (REUTERS, YAHOO_ONLY, NOT_NVDA):
        fake.add_story(item)
    feed_server.serve("/g.xml", (DATA / "feeds" / "google_news.xml").read_bytes())
    engine = Engine(_config(tmp_path, feed_server.url("/g.xml")), clock=ManualClock(NOW))
    await engine.open()
    try:
        await engine.poll_news(force=True)
        stored = await engine.recent_headlines(limit=100)
        sources = {s.name: s for s in engine.sources()}
    finally:
        await engine.stop()

    plunge = [h for h in stored if "plunge 17%" in h.title.lower()]
    assert len(plunge) == 1, [h.title for h in stored]
    feeds = {o.source for o in plunge[0].outlets}
    assert feeds == {"Reuters", "CNBC"}, "Yahoo's Reuters copy joins the RSS story"
    assert any(h.title == YAHOO_ONLY["title"] and h.source == "Yahoo Finance" for h in stored)
    assert "NVDA" in next(h for h in stored if h.title == YAHOO_ONLY["title"]).symbols
    assert sources["Yahoo: DeepSeek"].status == Status.OK
    assert sources["Yahoo: NVDA"].status == Status.OK
    asked = sorted(q["q"] for q in fake.search_queries)
    assert asked == ["DeepSeek", "NVDA"]


async def test_a_failing_yahoo_source_backs_off_alone(
    tmp_path: Path, fake: FakeYahoo, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(yahoo_http, "SESSION_FACTORY", lambda c: fake_async_session(fake, c))
    fake.search_mode = "429"
    feed_server.serve("/g.xml", (DATA / "feeds" / "google_news.xml").read_bytes())
    clock = ManualClock(NOW)
    # A live quote source (not the config's recording), so that `clock` is the live
    # sources' time: a replay's clock never decides when a live source is due (#11).
    quotes = StaticQuotes(clock=clock)
    engine = Engine(_config(tmp_path, feed_server.url("/g.xml")), clock=clock, quote_source=quotes)
    await engine.open()
    try:
        first = await engine.poll_news(force=True)
        sources = {s.name: s for s in engine.sources()}
        fake.search_mode = "ok"
        clock.advance(20)  # the first backoff is 30 s +- 20 %
        await engine.poll_news()
        searches_while_backing_off = fake.requests["search"]
        clock.advance(120)
        await engine.poll_news()
        recovered = {s.name: s.status for s in engine.sources()}
    finally:
        await engine.stop()

    assert first, "the RSS feed's headlines arrive"
    yahoo = sources["Yahoo: DeepSeek"]
    assert yahoo.status == Status.RATE_LIMITED and yahoo.error == "HTTP 429"
    assert yahoo.next_try is not None and yahoo.next_try > NOW
    assert sources["Google News"].status == Status.OK
    assert searches_while_backing_off == 2, "not asked again before next_try"
    assert fake.requests["search"] == 4 and recovered["Yahoo: DeepSeek"] == Status.OK


#: runs the real command line with the live Yahoo sessions sent to the fake
BOOT = (
    "import json, os, sys, types\n"
    "from tests.fake_yahoo import route_live_quotes\n"
    "route_live_quotes(types.SimpleNamespace(**json.loads(os.environ['FAKE_YAHOO'])))\n"
    "from monitor.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def test_monitor_once_prints_yahoo_news(tmp_path: Path, fake: FakeYahoo) -> None:
    for item in (REUTERS, YAHOO_ONLY, NOT_NVDA):
        fake.add_story(item)
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    cfg = write_config(
        tmp_path,
        """
[settings]
quote_source = "quotes.csv"
database = "m.db"
[watchlist]
chips = ["NVDA"]
[news]
query = "DeepSeek"
[[news.feeds]]
name = "Yahoo: NVDA"
kind = "yahoo"
ticker = "NVDA"
""",
    )
    env = isolated_env(tmp_path)
    env["FAKE_YAHOO"] = json.dumps({"base_url": fake.base_url, "unreachable_hosts": []})

    done = subprocess.run(
        [sys.executable, "-c", BOOT, "once", "--json", "--config", str(cfg)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    titles = {line["title"] for line in lines if line["type"] == "headline"}
    assert titles == {REUTERS["title"], YAHOO_ONLY["title"]}  # NOT_NVDA: not NVDA's
    (source,) = [x for x in lines if x["type"] == "source" and x["kind"] == "feed"]
    assert source["name"] == "Yahoo: NVDA" and source["status"] == "ok"
