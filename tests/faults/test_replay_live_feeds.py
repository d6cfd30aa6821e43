"""Issue 11, case 9: a recorded quote source never freezes live news polling.

With ``quote_source`` set to a recorded CSV, the engine's clock is the recording's:
it stops at the last recorded time.  When a live feed is due, and its backoff, are
decided by real time; the replay clock decides only what the data says (when entries
were seen, in the recording's world).
The engine here is the real one on its real scheduler (the news job's tick is
accelerated, the config's floor being 10 s), the feed a loopback server.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.engine.build import EngineSettings
from monitor.events import ReplayEndedEvent
from monitor.news.fetch import FeedFetcher
from tests.faults.kit import Events, items, rss, source, toml_str, wait_until

RECORDING = """time,symbol,price,prev_close
2025-01-27T14:30:00+00:00,NVDA,130.0,142.6
2025-01-27T14:35:00+00:00,NVDA,125.0,142.6
2025-01-27T14:40:00+00:00,NVDA,121.0,142.6
"""
TICK = 0.2  # seconds: the news job's accelerated interval


def _config(tmp_path, feed_url: str) -> LoadedConfig:
    (tmp_path / "quotes.csv").write_text(RECORDING, encoding="utf-8")
    text = f"""
[settings]
quote_source = "quotes.csv"
notify = ["terminal"]
[watchlist]
chips = ["NVDA"]
[news]
query = "chips"
[[news.feeds]]
name = "live"
url = {toml_str(feed_url)}
"""
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return LoadedConfig(parse_config_text(text, path), path, "--config")


async def test_case09_live_feeds_keep_polling_after_the_recording_ends(
    feed_server, tmp_path, monkeypatch
) -> None:
    published = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    feed_server.serve("/live", rss(items("live", 3, when=published)))
    monkeypatch.setattr(EngineSettings, "news_tick", property(lambda self: TICK))
    engine = Engine(
        _config(tmp_path, feed_server.url("/live")),
        database=tmp_path / "m.db",
        notify=False,
        fetcher=FeedFetcher(deadline=5, connect_timeout=2, read_timeout=5),
    )
    events = Events()
    engine.subscribe(events)
    assert engine.is_replay
    engine.settings.feeds = [dataclasses.replace(f, every=TICK / 2) for f in engine.settings.feeds]
    try:
        await engine.open()
        await engine.run_replay()  # the whole recording: its clock now stands at its end
        assert events.of(ReplayEndedEvent)
        assert engine.clock.now() == datetime(2025, 1, 27, 14, 40, tzinfo=UTC)

        await engine.start()  # the scheduler's news job, as in `monitor run`
        assert await wait_until(lambda: feed_server.hits("/live") >= 4, timeout=20), (
            feed_server.hits("/live")
        )
        assert engine.clock.now() == datetime(2025, 1, 27, 14, 40, tzinfo=UTC)  # still

        live = [h for h in events.headlines if h.feed == "live"]
        assert len(live) == 3  # each announced once, however often the feed is polled
        # the feed's own state is on real time; its entries are seen in the replay's
        # world (when the replay clock stood at the recording's end)
        feed = source(engine, "live")
        assert feed.last_ok is not None and abs(feed.last_ok - datetime.now(UTC)) < timedelta(
            hours=1
        )
        assert {h.first_seen for h in live} == {engine.clock.now()}
    finally:
        await engine.stop()
