"""Related stories in the engine and on the command line: while the DeepSeek burst is
live, "Nvidia rout" (a watched symbol, no DeepSeek) is announced as related beside the
DeepSeek stories, never counted by the burst rule, and no longer once the burst is over;
`monitor once --json` marks it the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.events import AlertEvent, HeadlinesEvent, RelatedEvent
from tests.cli_helpers import DAILY_CSV, json_lines, run_monitor, write_config
from tests.faults.kit import rss, rss_item
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data" / "feeds"
#: before the Google News items' times, so each of its three DeepSeek stories is breaking
T27 = datetime(2025, 1, 27, 19, 55, tzinfo=UTC)
ROUT = "Nvidia rout deepens as chip stocks slide"
IPAD = "Apple unveils a new iPad"


def _config_text(google: str, wire: str) -> str:
    return f"""
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
url = "{google}"
[[news.feeds]]
name = "Wire"
url = "{wire}"
[[alerts]]
name = "DeepSeek news burst"
when = 'news "DeepSeek" count >= 3 within 30m'
"""


def _serve(feed_server: FeedServer) -> tuple[str, str]:
    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    wire = rss([rss_item(ROUT, link="https://wire.example/rout"), rss_item(IPAD, link=None)])
    feed_server.serve("/wire.xml", wire)
    return feed_server.url("/g.xml"), feed_server.url("/wire.xml")


async def test_a_related_story_is_announced_while_the_burst_lives(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = _config_text(*_serve(feed_server))
    path = write_config(tmp_path, text)
    clock = ManualClock(T27)
    engine = Engine(LoadedConfig(parse_config_text(text, path), path, "--config"), clock=clock)
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    try:
        await engine.poll_news(force=True)
        during = engine.related_headlines()
        clock.advance(31 * 60)
        await engine._evaluate()  # what each quote batch does
        after = engine.related_headlines()
    finally:
        await engine.stop()

    (rout,) = [h for h in during if h.title == ROUT]
    assert rout.related == "DeepSeek news burst" and rout.related_by == ("NVDA",)
    assert not rout.matched and IPAD not in {h.title for h in during}
    announced = [h for e in events if isinstance(e, HeadlinesEvent) for h in e.headlines]
    assert any(h.title == ROUT and h.related for h in announced), "marked as it arrives"
    related_events = [e for e in events if isinstance(e, RelatedEvent)]
    assert related_events[0].bursts == ("DeepSeek news burst",)
    assert ROUT in {h.title for h in related_events[0].headlines}
    assert related_events[-1].headlines == () and after == [], "the burst is over"
    (alert,) = [e.alert for e in events if isinstance(e, AlertEvent)]
    assert alert.value == 3, "the burst counts topic matches only, never related stories"


def test_monitor_once_json_marks_related_stories(tmp_path: Path, feed_server: FeedServer) -> None:
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    write_config(tmp_path, _config_text(*_serve(feed_server)))

    done = run_monitor(tmp_path, "once", "--json", "--config", "watchlist.toml")

    assert done.returncode == 0, done.stderr
    headlines = {x["title"]: x for x in json_lines(done.stdout) if x["type"] == "headline"}
    assert headlines[ROUT]["related"] == "DeepSeek news burst"
    assert headlines[ROUT]["related_by"] == ["NVDA"] and headlines[ROUT]["matched"] == []
    assert IPAD not in headlines
    plunge = next(t for t in headlines if "plunge 17%" in t)
    assert headlines[plunge]["related"] is None and headlines[plunge]["matched"]


def test_without_a_burst_nothing_is_related(tmp_path: Path, feed_server: FeedServer) -> None:
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    text = _config_text(*_serve(feed_server)).replace("count >= 3", "count >= 9")
    write_config(tmp_path, text)

    done = run_monitor(tmp_path, "once", "--json", "--config", "watchlist.toml")

    titles = {x["title"] for x in json_lines(done.stdout) if x["type"] == "headline"}
    assert done.returncode == 0, done.stderr
    assert ROUT not in titles and any("DeepSeek" in t for t in titles)


def test_run_headless_prints_a_story_once_when_it_becomes_related() -> None:
    import io
    import json

    from monitor.cli.printer import Printer
    from monitor.model import Headline

    def story(related: str | None) -> Headline:
        return Headline(
            story="r1", title=ROUT, link=None, source="Wire", feed="Wire",
            published=T27, first_seen=T27, symbols=("NVDA",),
            related=related, related_by=("NVDA",) if related else (),
        )  # fmt: skip

    out = io.StringIO()
    printer = Printer(as_json=True, show_all=False, out=out)
    printer.event(HeadlinesEvent((story(None),)))  # before the burst: not shown
    printer.event(RelatedEvent((story("DeepSeek news burst"),), ("DeepSeek news burst",)))
    printer.event(RelatedEvent((story("DeepSeek news burst"),), ("DeepSeek news burst",)))
    printer.event(RelatedEvent((), ()))

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(x["title"], x["related"]) for x in lines] == [(ROUT, "DeepSeek news burst")]
