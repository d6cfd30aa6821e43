"""The engine in-process: events, the store across restarts, one monitor per database,
rules evaluated once per batch, and the headless CLI end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.events import AlertEvent, HeadlinesEvent, QuotesEvent, RulesEvent, SourceEvent
from monitor.model import Headline, Quote, QuoteBatch, Status
from monitor.store import StoreLocked
from tests.cli_helpers import DAILY_CSV, isolated_env, json_lines, write_config
from tests.feedserver import FeedServer

DATA = Path(__file__).parent / "data" / "feeds"
T27 = datetime(2025, 1, 27, 21, 0, tzinfo=UTC)


def _loaded(tmp: Path, feeds: str = "", rules: str = "") -> LoadedConfig:
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
{feeds}
{rules}
"""
    path = write_config(tmp, text)
    return LoadedConfig(parse_config_text(text, path), path, "--config")


SOX_RULE = '[[alerts]]\nname = "SOX selloff"\nwhen = "^SOX day% <= -5"\n'


def _batch(t: datetime, sox: float, sox_prev: float, nvda: float, nvda_prev: float) -> QuoteBatch:
    return QuoteBatch(
        t,
        {
            "^SOX": Quote("^SOX", price=sox, prev_close=sox_prev, as_of=t, currency="USD"),
            "NVDA": Quote("NVDA", price=nvda, prev_close=nvda_prev, as_of=t, currency="USD"),
        },
    )


async def test_a_batch_emits_quotes_rules_and_one_alert(tmp_path: Path) -> None:
    engine = Engine(_loaded(tmp_path, rules=SOX_RULE), clock=ManualClock(T27))
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    try:
        await engine.process_batch(_batch(T27, 4853.24, 5341.94, 118.42, 142.62))
        await engine.process_batch(_batch(T27, 4853.24, 5341.94, 118.42, 142.62))
    finally:
        await engine.stop()
    alerts = [e.alert for e in events if isinstance(e, AlertEvent)]
    assert [a.rule for a in alerts] == ["SOX selloff"], "fires once, not on every batch"
    assert alerts[0].id is not None, "stored before it is announced"
    assert any(isinstance(e, QuotesEvent) for e in events)
    rules = [e for e in events if isinstance(e, RulesEvent)][-1]
    assert rules.states[0].status.value == "fired"


async def test_restart_neither_loses_nor_refires_alerts(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, rules=SOX_RULE)
    first = Engine(loaded, clock=ManualClock(T27))
    await first.open()
    await first.process_batch(_batch(T27, 4853.24, 5341.94, 118.42, 142.62))
    await first.stop()

    second = Engine(loaded, clock=ManualClock(T27))
    events: list[object] = []
    second.subscribe(events.append)
    await second.open()
    try:
        await second.process_batch(_batch(T27, 4850.0, 5341.94, 118.0, 142.62))
        log = await second.alert_log()
        quotes = second.quotes()
    finally:
        await second.stop()
    assert not [e for e in events if isinstance(e, AlertEvent)]
    assert [a.rule for a in log] == ["SOX selloff"]
    assert quotes["^SOX"].price == pytest.approx(4850.0)


async def test_last_good_quote_is_kept_with_the_failure_status(tmp_path: Path) -> None:
    engine = Engine(_loaded(tmp_path), clock=ManualClock(T27))
    await engine.open()
    try:
        await engine.process_batch(_batch(T27, 4853.24, 5341.94, 118.42, 142.62))
        failed = QuoteBatch(
            T27,
            {"NVDA": Quote("NVDA", status=Status.RATE_LIMITED, error="HTTP 429")},
        )
        await engine.process_batch(failed)
        nvda = engine.quotes()["NVDA"]
    finally:
        await engine.stop()
    assert nvda.price == pytest.approx(118.42)
    assert nvda.status == Status.RATE_LIMITED and nvda.as_of == T27


async def test_a_second_monitor_on_the_same_database_refuses(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path)
    first = Engine(loaded, clock=ManualClock(T27))
    await first.open()
    try:
        second = Engine(loaded, clock=ManualClock(T27))
        with pytest.raises(StoreLocked, match="already using") as caught:
            await second.open()
        # it suggests what exists: no read-only view is offered by any command
        assert f"(pid {os.getpid()})" in str(caught.value)
        assert "read-only" not in str(caught.value)
        assert "another database ([settings] database)" in str(caught.value)
        await second.store.close()
    finally:
        await first.stop()


async def test_news_poll_stores_dedups_and_links_symbols(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    feeds = f'[[news.feeds]]\nname = "G"\nurl = "{feed_server.url("/g.xml")}"\n'
    engine = Engine(_loaded(tmp_path, feeds=feeds), clock=ManualClock(T27))
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    try:
        first = await engine.poll_news(force=True)
        again = await engine.poll_news(force=True)
        stored = await engine.recent_headlines()
    finally:
        await engine.stop()
    assert first and all(h.new for h in first)
    assert again == [], "a second poll of the same feed reports nothing new"
    assert {h.story for h in stored} == {h.story for h in first if h.matched}
    plunge = [h for h in stored if "plunge 17%" in h.title.lower()]
    assert len(plunge) == 1 and len(plunge[0].outlets) == 2
    assert "NVDA" in plunge[0].symbols
    assert any(isinstance(e, HeadlinesEvent) for e in events)
    sources = [e.status for e in events if isinstance(e, SourceEvent) and e.status.kind == "feed"]
    assert sources and sources[-1].status == Status.OK


async def test_same_bytes_after_a_restart_cost_no_parse_and_no_entry_write(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server sends no validators; a new process still knows the body it stored."""
    from monitor.engine import news_poller

    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    feeds = f'[[news.feeds]]\nname = "G"\nurl = "{feed_server.url("/g.xml")}"\n'

    async def poll_in_a_new_process() -> tuple[list[Headline], list[Headline], int]:
        engine = Engine(_loaded(tmp_path, feeds=feeds), clock=ManualClock(T27))
        await engine.open()
        try:
            new = await engine.poll_news(force=True)
            seen = await engine.current_headlines(matched_only=False)
            entries = await engine.store.read(
                lambda s: s._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
            )
        finally:
            await engine.stop()
        return new, seen, entries

    first, seen_first, entries_first = await poll_in_a_new_process()
    real_parse, parsed = news_poller.parse_feed, []

    def counting_parse(*args: object, **kwargs: object) -> object:
        parsed.append(kwargs["feed_name"])
        return real_parse(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(news_poller, "parse_feed", counting_parse)
    again, seen_again, entries_again = await poll_in_a_new_process()
    assert first and seen_first and again == []
    assert parsed == [] and entries_again == entries_first
    assert [h.story for h in seen_again] == [h.story for h in seen_first]
    assert len(feed_server.requests) == 2  # fetched both times, parsed once


def test_headless_run_prints_events_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    (tmp_path / "quotes.csv").write_text(DAILY_CSV, encoding="utf-8")
    cfg = write_config(
        tmp_path,
        f"""
[settings]
quote_source = "quotes.csv"
database = "m.db"
notify = ["terminal"]
[settings.replay]
speed = 100000
[watchlist]
chips = ["NVDA", "^SOX"]
[news]
query = "DeepSeek"
[[news.feeds]]
name = "G"
url = "{feed_server.url("/g.xml")}"
{SOX_RULE}
""",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "monitor", "run", "--headless", "--json", "--config", str(cfg)],
        cwd=tmp_path,
        env=isolated_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert feed_server.wait_for_hits("/g.xml", 1, timeout=60)
        deadline = time.monotonic() + 60
        db = tmp_path / "m.db"
        while time.monotonic() < deadline and not _has_alert(db):
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    lines = json_lines(out)
    kinds = {line["type"] for line in lines}
    assert {"headline", "quote", "source", "alert"} <= kinds, kinds
    alert = next(line for line in lines if line["type"] == "alert")
    assert alert["rule"] == "SOX selloff" and alert["time"].startswith("2025-01-27")
    assert "Traceback" not in err


def _has_alert(db: Path) -> bool:
    import sqlite3

    if not db.exists():
        return False
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return bool(conn.execute("SELECT COUNT(*) FROM alerts").fetchone()[0])
    except sqlite3.Error:
        return False


async def test_a_quote_not_refreshed_goes_stale_while_its_market_is_open(tmp_path: Path) -> None:
    open_t = datetime(2025, 1, 27, 14, 35, tzinfo=UTC)  # 09:35 New York, market open
    later = datetime(2025, 1, 27, 15, 35, tzinfo=UTC)
    clock = ManualClock(open_t)
    engine = Engine(_loaded(tmp_path), clock=clock)
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    try:
        await engine.process_batch(_batch(open_t, 5000.0, 5341.94, 127.0, 142.62))
        assert engine.quotes()["NVDA"].status == Status.OK
        clock.set(later)
        only_sox = QuoteBatch(
            later, {"^SOX": Quote("^SOX", price=4990.0, prev_close=5341.94, as_of=later)}
        )
        await engine.process_batch(only_sox)
    finally:
        await engine.stop()
    assert engine.quotes()["NVDA"].status == Status.STALE
    assert engine.quotes()["^SOX"].status == Status.OK
    last = [e for e in events if isinstance(e, QuotesEvent)][-1]
    assert last.batch.quotes["NVDA"].status == Status.STALE, "the app is told"


async def test_limit_streak_of_an_a_share_from_daily_history(tmp_path: Path) -> None:
    from datetime import date

    from monitor.model import DailyBar

    engine = Engine(_loaded(tmp_path), clock=ManualClock(T27))
    bars = [
        DailyBar(date(2025, 1, 20), 10.0, 10.0, 10.0, 10.0),
        DailyBar(date(2025, 1, 21), 12.0, 12.0, 12.0, 12.0),  # +20%: ChiNext limit
        DailyBar(date(2025, 1, 22), 14.4, 14.4, 14.4, 14.4),
    ]
    engine.quote_book.history["300766.SZ"] = bars
    engine.quote_book.latest["300766.SZ"] = Quote(
        "300766.SZ", price=17.28, prev_close=14.4, as_of=T27, currency="CNY"
    )
    assert engine.limit_streak("300766.SZ") == 3
    assert engine.limit_streak("NVDA") is None
    await engine.store.close()


def test_the_engine_imports_no_ui_toolkit_and_no_pandas() -> None:
    """The layers: nothing below monitor.ui imports Textual; yfinance/pandas stay lazy."""
    code = (
        "import sys, monitor.engine, monitor.cli.commands, monitor.rules, monitor.notify.dispatch;"
        "print(sorted({m.split('.')[0] for m in sys.modules}"
        " & {'textual', 'pandas', 'yfinance'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "[]"


async def test_old_quote_snapshots_are_pruned_and_rule_state_not_rewritten(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    t0 = T27
    clock = ManualClock(t0)
    engine = Engine(_loaded(tmp_path, rules=SOX_RULE), clock=clock)
    await engine.open()
    try:
        await engine.process_batch(_batch(t0, 5300.0, 5341.94, 140.0, 142.62))
        await engine.process_batch(
            _batch(t0 + timedelta(minutes=1), 5301.0, 5341.94, 140.5, 142.62)
        )
        later = t0 + timedelta(days=4)
        clock.set(later)
        await engine.process_batch(_batch(later, 5400.0, 5350.0, 141.0, 140.5))
        points = await engine.store.read(lambda s: s.intraday("NVDA", t0 - timedelta(days=1)))
    finally:
        await engine.stop()
    assert [p[0] for p in points] == [later], "snapshots older than 3 days are gone"


async def test_a_symbol_is_stored_at_most_once_a_minute_and_its_newest_price_on_stop(
    tmp_path: Path,
) -> None:
    from datetime import timedelta

    t0 = T27
    clock = ManualClock(t0)
    engine = Engine(_loaded(tmp_path), clock=clock)
    await engine.open()
    try:
        for i, seconds in enumerate([0, 1, 2, 59, 60, 61, 62]):
            t = t0 + timedelta(seconds=seconds)
            clock.set(t)
            await engine.process_batch(_batch(t, 5300.0 + i, 5341.94, 140.0 + i, 142.62))
        points = await engine.store.read(lambda s: s.intraday("NVDA", t0))
    finally:
        await engine.stop()
    assert points == [(t0, 140.0), (t0 + timedelta(seconds=60), 144.0)]
    again = Engine(_loaded(tmp_path), clock=ManualClock(t0 + timedelta(minutes=5)))
    await again.open()
    try:
        stored = await again.store.read(lambda s: s.intraday("NVDA", t0))
        latest = await again.store.read(lambda s: s.latest_quotes())
    finally:
        await again.stop()
    assert stored[-1] == (t0 + timedelta(seconds=62), 146.0), "the held-back price is kept"
    assert latest["NVDA"].price == 146.0


async def test_a_quote_update_does_not_wait_for_its_snapshot_write(tmp_path: Path) -> None:
    import asyncio
    import threading
    from datetime import timedelta

    later = T27 + timedelta(minutes=1)
    clock = ManualClock(T27)
    engine = Engine(_loaded(tmp_path), clock=clock)
    await engine.open()
    gate = threading.Event()
    try:
        await engine.process_batch(_batch(T27, 5300.0, 5341.94, 140.0, 142.62))
        busy = asyncio.ensure_future(engine.store.read(lambda s: gate.wait(30)))
        await asyncio.sleep(0.01)  # the store thread is held by that read from now on
        clock.set(later)
        update = asyncio.ensure_future(
            engine.process_batch(_batch(later, 5301.0, 5341.94, 141.0, 142.62))
        )
        done, _ = await asyncio.wait({update}, timeout=20)  # a guard, not a measure
        returned_while_busy = not busy.done()
        gate.set()
        await busy
        points = await engine.store.read(lambda s: s.intraday("NVDA", T27))
    finally:
        gate.set()
        await engine.stop()
    assert done == {update} and returned_while_busy, "the update did not wait for the store"
    assert points == [(T27, 140.0), (later, 141.0)], "the snapshot landed after, in order"


async def test_rule_states_after_a_hot_reload_show_true_values(tmp_path: Path) -> None:
    nvda_rule = '[[alerts]]\nname = "NVDA below 120"\nwhen = "NVDA price < 120"\n'
    loaded = _loaded(tmp_path, rules=SOX_RULE + nvda_rule)
    engine = Engine(loaded, clock=ManualClock(T27))
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    try:
        await engine.process_batch(_batch(T27, 4853.24, 5341.94, 118.42, 142.62))
        await engine.written()  # its alerts announced (they are stored behind the batch)
        before = {s.name: (s.status, s.value) for s in engine.rule_states()}
        # an edit that adds a rule and leaves the others as they were
        news_rule = '[[alerts]]\nname = "NVDA up"\nwhen = "NVDA day% >= 5"\n'
        text = loaded.path.read_text(encoding="utf-8") + news_rule
        loaded.path.write_text(text, encoding="utf-8")
        assert await engine.reload_config() is None
        after = {s.name: (s.status, s.value) for s in engine.rule_states()}
    finally:
        await engine.stop()
    assert before["SOX selloff"][1] == pytest.approx(-9.149, abs=0.01)
    assert after["SOX selloff"] == before["SOX selloff"], "not reset to '—'"
    assert after["NVDA below 120"] == before["NVDA below 120"]
    assert after["NVDA up"][1] == pytest.approx(-16.97, abs=0.01), "a new rule shows its value"
    fired = [e.alert.rule for e in events if isinstance(e, AlertEvent)]
    assert fired.count("SOX selloff") == 1, "a reload does not fire a rule again"
    assert isinstance(events[-1], RulesEvent)


def test_rules_see_an_old_story_found_late_as_not_breaking_made_once_per_memory(
    tmp_path: Path,
) -> None:
    """Every quote batch asks for the rules' view of the news memory: it is made when
    the memory changes, not at each ask (a copy of every old story, each time)."""
    from datetime import timedelta

    engine = Engine(_loaded(tmp_path), clock=ManualClock(T27))
    old = Headline("a", "Old story", None, "X", "f", T27 - timedelta(days=2), T27, matched=("x",))
    fresh = Headline("b", "New story", None, "X", "f", T27 - timedelta(minutes=5), T27)
    engine.news.memory = [fresh, old]
    first = engine.news.rule_headlines()
    assert [h.first_seen for h in first] == [T27, old.published]
    assert first[0] is fresh and first[1] is not old
    again = engine.news.rule_headlines()
    assert again == first and again[1] is first[1]  # not made again
    engine.news.memory = [old]
    assert [h.first_seen for h in engine.news.rule_headlines()] == [old.published]
    engine.news.clear()
    assert engine.news.rule_headlines() == []


async def test_a_polls_write_does_not_hold_the_feed_bodies(
    tmp_path: Path, feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once parsed, the bodies are let go: the poll's one write (which may wait on the
    store) holds only their digests, not ~5 MB of feeds for 100 feeds."""
    from monitor.engine import news_poller

    feed_server.serve("/g.xml", (DATA / "google_news.xml").read_bytes())
    feeds = f'[[news.feeds]]\nname = "G"\nurl = "{feed_server.url("/g.xml")}"\n'
    real_write, written = news_poller.NewsPoller._write_poll, []

    async def watching(self: object, results: list[object], *args: object) -> object:
        written.extend(results)
        return await real_write(self, results, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(news_poller.NewsPoller, "_write_poll", watching)
    engine = Engine(_loaded(tmp_path, feeds=feeds), clock=ManualClock(T27))
    await engine.open()
    try:
        first = await engine.poll_news(force=True)
        again = await engine.poll_news(force=True)
    finally:
        await engine.stop()
    assert first and again == []  # stored, and the same bytes are known by their digest
    assert len(written) == 2 and all(r.body is None for r in written)  # type: ignore[attr-defined]
