"""Suspect prints through the real engine (issue 10, item 3): held back and checked at
once, confirmed, dropped, or released unverified after two minutes on the engine clock.

A scripted source answers each poll and each ``confirm`` (the live source's chart) as
the test says; a second source without ``confirm`` stands for one that cannot check
(a recording); the last test plays a recorded CSV through ``run_replay``.  Real SQLite,
real rules, a manual clock: nothing here waits on wall time.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.model import Quote, QuoteBatch, RuleStatus, SourceStatus, Status
from monitor.quotes.base import Confirms
from tests.faults.kit import US_OPEN, StaticQuotes, config_text, open_engine, rule_state

#: Monday 2025-01-27 10:00 in Shanghai: the A-share morning session
CN_OPEN = datetime(2025, 1, 27, 2, 0, tzinfo=UTC)


class Scripted:
    """A quote source whose polls and charts say what the test sets."""

    name = "scripted"

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.quotes: dict[str, Quote] = {}
        self.charts: dict[str, Quote | None] = {}
        self.asked: list[str] = []

    def set(self, symbol: str, price: float, prev: float, **kw: Any) -> None:
        kw.setdefault("as_of", self.clock.now())
        kw.setdefault("currency", "USD")
        self.quotes[symbol] = Quote(symbol, price=price, prev_close=prev, **kw)

    def chart(self, symbol: str, price: float | None, prev: float, **kw: Any) -> None:
        kw.setdefault("as_of", self.clock.now())
        self.charts[symbol] = (
            None if price is None else Quote(symbol, price=price, prev_close=prev, **kw)
        )

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        now = self.clock.now()
        return QuoteBatch(
            now, {s: self.quotes.get(s, Quote(s, status=Status.NO_DATA)) for s in symbols}
        )

    async def confirm(self, symbol: str) -> Quote | None:
        self.asked.append(symbol)
        return self.charts.get(symbol)

    async def history(self, symbol: str, days: int = 400) -> list[Any]:
        return []

    def source_status(self) -> SourceStatus:
        return SourceStatus(self.name, "quotes", Status.OK)

    async def aclose(self) -> None:
        pass


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


async def _engine(tmp_path: Path, clock: ManualClock, source: Any, symbols, rules):
    assert isinstance(source, Confirms) is hasattr(source, "confirm")
    text = config_text(symbols=symbols, rules=rules)
    return await open_engine(tmp_path, text, clock=clock, quote_source=source)


async def _stored_prices(engine: Engine, symbol: str) -> list[float]:
    since = engine.clock.now() - timedelta(days=1)
    return [p for _, p in await engine.store.read(lambda s: s.intraday(symbol, since))]


# ---- glitches ------------------------------------------------------------------------


async def test_btc_at_a_ten_thousandth_is_held_and_the_chart_drops_it(clock, tmp_path):
    """The print of the issue: BTC-USD at 0.0001 against a previous close of 100 fired
    `day% <= -5` and `price < 50`.  Now it is shown marked, not stored, never alerted."""
    source = Scripted(clock)
    rules = [("btc drop", "BTC-USD day% <= -5"), ("btc under 50", "BTC-USD price < 50")]
    engine, events = await _engine(tmp_path, clock, source, ["BTC-USD"], rules)
    try:
        source.set("BTC-USD", 100.5, 100.0, high=101.0, low=99.0, open=100.0)
        await engine.poll_quotes()
        clock.advance(30)
        source.set("BTC-USD", 0.0001, 100.0, high=101.0, low=0.0001, open=100.0)
        source.chart("BTC-USD", 100.4, 100.0)
        events.clear()
        await engine.poll_quotes()

        shown = [b.quotes["BTC-USD"] for b in events.quote_batches]
        assert shown[0].status is Status.SUSPECT and shown[0].price == 0.0001
        assert "-100% from the previous close 100" in (shown[0].error or "")
        assert shown[0].low == 99.0  # the day's low of the last good print, not 0.0001
        assert source.asked == ["BTC-USD"]  # checked at once
        assert shown[-1].status is Status.OK and shown[-1].price == 100.4  # its chart
        assert events.alerts == []
        assert 0.0001 not in await _stored_prices(engine, "BTC-USD")
        assert engine.quotes()["BTC-USD"].price == 100.4
    finally:
        await engine.stop()


async def test_without_a_chart_the_next_plausible_print_drops_the_glitch(clock, tmp_path):
    source = StaticQuotes(clock=clock)  # no confirm: like a recording
    rules = [("btc drop", "BTC-USD day% <= -5"), ("btc cross", "BTC-USD crosses 50")]
    engine, events = await _engine(tmp_path, clock, source, ["BTC-USD"], rules)
    try:
        source.quotes["BTC-USD"] = Quote("BTC-USD", 0.0001, 100.0, as_of=clock.now())
        await engine.poll_quotes()
        state = rule_state(engine, "btc drop")
        assert state.status is RuleStatus.NOT_EVALUATED and "suspect print" in state.why
        clock.advance(30)
        source.quotes["BTC-USD"] = Quote("BTC-USD", 100.2, 100.0, as_of=clock.now())
        await engine.poll_quotes()

        assert engine.quotes()["BTC-USD"].status is Status.OK
        assert events.alerts == []  # nor "crossed 50 upward (0.0001 → 100.2)"
        assert rule_state(engine, "btc drop").status is RuleStatus.ARMED
    finally:
        await engine.stop()


async def test_an_index_step_beyond_a_quarter_is_checked_and_refuted(clock, tmp_path):
    source = Scripted(clock)
    engine, events = await _engine(tmp_path, clock, source, ["^SOX"], [("sox", "^SOX day% <= -5")])
    try:
        source.set("^SOX", 5341.94, 5341.94)
        await engine.poll_quotes()
        clock.advance(30)
        source.set("^SOX", 3800.0, 5341.94)  # -29%: within 50% of the close, not one step
        source.chart("^SOX", 5320.0, 5341.94)
        await engine.poll_quotes()

        assert source.asked == ["^SOX"]
        assert engine.quotes()["^SOX"].price == 5320.0 and events.alerts == []
    finally:
        await engine.stop()


async def test_a_price_that_is_no_price_is_never_released(clock, tmp_path):
    source = Scripted(clock)
    engine, events = await _engine(tmp_path, clock, source, ["NVDA"], [("low", "NVDA price < 50")])
    try:
        source.set("NVDA", 0.0, 142.62)
        for _ in range(8):  # four minutes of polls
            await engine.poll_quotes()
            clock.advance(30)
        assert engine.quotes()["NVDA"].status is Status.SUSPECT
        assert source.asked == []  # nothing to confirm
        assert events.alerts == []
    finally:
        await engine.stop()


async def test_a_print_a_day_ahead_is_not_fresh(clock, tmp_path):
    source = Scripted(clock)
    engine, events = await _engine(tmp_path, clock, source, ["NVDA"], [("drop", "NVDA day% <= -5")])
    try:
        source.set("NVDA", 118.42, 142.62, as_of=clock.now() + timedelta(days=1))
        await engine.poll_quotes()
        assert engine.quotes()["NVDA"].status is Status.SUSPECT
        assert "1 d ahead" in rule_state(engine, "drop").why
        assert events.alerts == []
    finally:
        await engine.stop()


async def test_a_print_a_day_ahead_confirmed_by_its_chart_is_dated_by_its_arrival(clock, tmp_path):
    source = Scripted(clock)
    engine, events = await _engine(tmp_path, clock, source, ["NVDA"], [("drop", "NVDA day% <= -5")])
    try:
        source.set("NVDA", 118.42, 142.62, as_of=clock.now() + timedelta(days=1))
        source.chart("NVDA", 118.50, 142.62)
        await engine.poll_quotes()

        quote = engine.quotes()["NVDA"]
        assert quote.status is Status.OK and quote.as_of == clock.now()
        assert [a.rule for a in events.alerts] == ["drop"]
    finally:
        await engine.stop()


# ---- real moves ----------------------------------------------------------------------


async def test_real_crashes_alert_at_once_without_a_check(clock, tmp_path):
    """2025-01-27: NVDA -17% (142.62 → 118.42), ^SOX -9% (5341.94 → 4853.24)."""
    source = Scripted(clock)
    rules = [("nvda", "NVDA day% <= -5"), ("sox", "^SOX day% <= -5")]
    engine, events = await _engine(tmp_path, clock, source, ["NVDA", "^SOX"], rules)
    try:
        source.set("NVDA", 142.62, 142.62)
        source.set("^SOX", 5341.94, 5341.94)
        await engine.poll_quotes()
        clock.advance(30)
        source.set("NVDA", 118.42, 142.62)
        source.set("^SOX", 4853.24, 5341.94)
        await engine.poll_quotes()

        assert sorted(a.rule for a in events.alerts) == ["nvda", "sox"]
        assert source.asked == []
        assert not any(a.to_json()["unverified"] for a in events.alerts)
    finally:
        await engine.stop()


async def test_an_a_share_at_its_twenty_percent_limit_alerts_at_once(tmp_path):
    clock = ManualClock(CN_OPEN)
    source = Scripted(clock)
    rules = [("limit", "300766.SZ limit_up")]
    engine, events = await _engine(tmp_path, clock, source, ["300766.SZ"], rules)
    try:
        source.set("300766.SZ", 48.40, 40.33, currency="CNY")  # ChiNext +20%
        await engine.poll_quotes()
        assert [a.rule for a in events.alerts] == ["limit"]
        assert source.asked == []
    finally:
        await engine.stop()


async def test_a_real_sixty_percent_fall_confirmed_by_the_chart_alerts_in_that_poll(
    clock, tmp_path
):
    source = Scripted(clock)
    engine, events = await _engine(
        tmp_path, clock, source, ["SMCI"], [("crash", "SMCI day% <= -20")]
    )
    try:
        source.set("SMCI", 40.0, 100.0)
        source.chart("SMCI", 40.3, 100.0)
        await engine.poll_quotes()

        assert source.asked == ["SMCI"]
        assert [a.rule for a in events.alerts] == ["crash"]
        assert "unverified" not in events.alerts[0].message
        assert 40.0 in await _stored_prices(engine, "SMCI")
    finally:
        await engine.stop()


async def test_the_next_print_within_two_percent_confirms(clock, tmp_path):
    source = Scripted(clock)
    source.chart("SMCI", None, 100.0)  # the chart cannot be had
    engine, events = await _engine(
        tmp_path, clock, source, ["SMCI"], [("crash", "SMCI day% <= -20")]
    )
    try:
        source.set("SMCI", 40.0, 100.0)
        await engine.poll_quotes()
        assert events.alerts == []
        clock.advance(30)
        source.set("SMCI", 39.5, 100.0)
        await engine.poll_quotes()

        assert [a.rule for a in events.alerts] == ["crash"]
        assert not events.alerts[0].to_json()["unverified"]
    finally:
        await engine.stop()


async def test_a_halted_stock_after_a_real_fall_alerts_unverified_after_two_minutes(
    clock, tmp_path
):
    """No chart, no new print (halted): the same print each poll.  At 90 s it is still
    held; at two minutes it alerts, marked unverified in the message and the JSON."""
    source = Scripted(clock)
    source.chart("SMCI", None, 100.0)
    engine, events = await _engine(
        tmp_path, clock, source, ["SMCI"], [("crash", "SMCI day% <= -20")]
    )
    try:
        source.set("SMCI", 40.0, 100.0)
        for _ in range(4):  # 0, 30, 60, 90 s
            await engine.poll_quotes()
            assert events.alerts == []
            clock.advance(30)
        await engine.poll_quotes()  # 120 s

        [alert] = events.alerts
        assert "unverified: SMCI print not confirmed within 2 min" in alert.message
        payload = json.loads(json.dumps(alert.to_json()))
        assert payload["unverified"] is True and payload["context"]["unverified"] == ["SMCI"]
        assert engine.quotes()["SMCI"].unverified
        assert engine.quotes()["SMCI"].to_json()["unverified"] is True
        assert source.asked == ["SMCI"]  # asked once for that print, not every poll

        clock.advance(30)
        await engine.poll_quotes()  # the same print again: no second alert
        assert len(events.alerts) == 1
    finally:
        await engine.stop()


async def test_a_future_below_zero_alerts_once_its_chart_agrees(clock, tmp_path):
    """CL=F on 2020-04-20: -37.63 against a previous close of 18.27."""
    source = Scripted(clock)
    engine, events = await _engine(tmp_path, clock, source, ["CL=F"], [("neg", "CL=F price < 0")])
    try:
        source.set("CL=F", -37.63, 18.27)
        source.chart("CL=F", -37.63, 18.27)
        await engine.poll_quotes()
        assert [a.rule for a in events.alerts] == ["neg"]
    finally:
        await engine.stop()


# ---- a recording ---------------------------------------------------------------------


def _recorded(tmp_path: Path, rows: list[str], rules: str) -> LoadedConfig:
    (tmp_path / "q.csv").write_text("time,symbol,price,prev_close\n" + "\n".join(rows) + "\n")
    text = (
        '[settings]\nquote_source = "q.csv"\nnotify = ["terminal"]\n'
        '[watchlist]\nmain = ["SMCI", "BTC-USD"]\n' + rules
    )
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return LoadedConfig(parse_config_text(text, path), path, "--config")


async def test_a_replay_settles_suspect_rows_by_the_next_row_or_two_minutes(tmp_path):
    """BTC-USD's glitch row is dropped by the next; SMCI's -60% row, the last of a
    halted stock, alerts unverified at the first batch two minutes later."""
    t = datetime(2025, 1, 27, 15, 0, tzinfo=UTC)
    rows = []
    for i in range(5):
        at = (t + timedelta(minutes=i)).isoformat()
        btc = 0.0001 if i == 1 else 100.0
        rows.append(f"{at},BTC-USD,{btc},100")
        if i <= 1:
            rows.append(f"{at},SMCI,{100.0 if i == 0 else 40.0},100")
    rules = (
        '[[alerts]]\nname = "btc"\nwhen = "BTC-USD day% <= -5"\n'
        '[[alerts]]\nname = "smci"\nwhen = "SMCI day% <= -20"\n'
    )
    engine = Engine(_recorded(tmp_path, rows, rules), database=tmp_path / "m.db", notify=False)
    fired: list[Any] = []
    engine.subscribe(lambda e: fired.append(e.alert) if hasattr(e, "alert") else None)
    await engine.open()
    try:
        await engine.run_replay()
    finally:
        await engine.stop()

    assert [(a.rule, a.time) for a in fired] == [("smci", t + timedelta(minutes=3))]
    assert dataclasses.asdict(fired[0])["context"]["unverified"] == ["SMCI"]


# ---- the live source ------------------------------------------------------------------


async def test_the_live_source_checks_a_batch_quote_glitch_with_its_chart(fake, tmp_path):
    """Yahoo's batch quote says 0.0001, the symbol's chart (``confirm``) says 100.4."""
    from monitor.quotes.backoff import Backoff
    from monitor.quotes.yahoo_live import YahooLiveQuotes
    from tests.fake_yahoo import fake_async_session

    clock = ManualClock(US_OPEN)
    fake.set_quote(
        "BTC-USD",
        price=100.4,
        prev_close=100.0,
        time=clock.now(),
        row_raw={"regularMarketPrice": 0.0001},
    )
    session = fake_async_session(fake)
    live = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path,
        live_session=session,
        quotes_every=30,
        backoff=Backoff(base=60, cap=600),
    )
    engine, events = await _engine(
        tmp_path, clock, live, ["BTC-USD"], [("d", "BTC-USD day% <= -5")]
    )
    try:
        await engine.poll_quotes()
        first = events.quote_batches[0].quotes["BTC-USD"]
        assert first.status is Status.SUSPECT and first.price == 0.0001
        assert fake.chart_requests["BTC-USD"] == 2  # the poll's chart, then the check
        quote = engine.quotes()["BTC-USD"]
        assert quote.status is Status.OK and quote.price == 100.4
        assert events.alerts == []
    finally:
        await engine.stop()
        await session.close()


async def test_a_vix_spike_through_yahoo_is_confirmed_and_alerts(fake, tmp_path):
    """^VIX on 2018-02-05: 17.31 -> 37.32 (+115.6%). Yahoo's answer is a price, not a
    broken close; the quote book checks the move with the chart, then the rule fires."""
    from monitor.quotes.backoff import Backoff
    from monitor.quotes.yahoo_live import YahooLiveQuotes
    from tests.fake_yahoo import fake_async_session

    clock = ManualClock(US_OPEN)
    fake.set_quote("^VIX", price=37.32, prev_close=17.31, time=clock.now())
    session = fake_async_session(fake)
    live = YahooLiveQuotes(clock=clock, cache_dir=tmp_path, live_session=session,
                           quotes_every=30, backoff=Backoff(base=60, cap=600))  # fmt: skip
    engine, events = await _engine(tmp_path, clock, live, ["^VIX"], [("fear", "^VIX day% >= 50")])
    try:
        await engine.poll_quotes()
        quote = engine.quotes()["^VIX"]
        assert quote.status is Status.OK and quote.price == 37.32
        assert [a.rule for a in events.alerts] == ["fear"]
        assert fake.chart_requests["^VIX"] == 2  # the poll's chart, then the check
    finally:
        await engine.stop()
        await session.close()
