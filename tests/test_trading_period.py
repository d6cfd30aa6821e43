"""Yahoo's reported trading period (a real recorded chart's `currentTradingPeriod`) wins
over the calendar for its day: an early close the calendar does not know is honoured."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor import sessions
from monitor.model import MarketState
from monitor.quotes.yahoo_fields import note_trading_period

CHART = Path(__file__).parent / "data" / "yahoo" / "chart-AAPL-5m.json"


@pytest.fixture(autouse=True)
def _forget() -> Iterator[None]:
    sessions.forget_trading_periods()
    yield
    sessions.forget_trading_periods()


def _meta() -> dict:
    return json.loads(CHART.read_text("utf-8"))["chart"]["result"][0]["meta"]


def test_the_recorded_period_is_read() -> None:
    meta = _meta()
    regular = meta["currentTradingPeriod"]["regular"]
    start = datetime.fromtimestamp(regular["start"], UTC)
    note_trading_period("AAPL", meta)
    assert sessions.market_state("AAPL", start + timedelta(minutes=1)) is MarketState.REGULAR


def test_a_reported_early_close_wins_over_the_calendar() -> None:
    meta = copy.deepcopy(_meta())
    regular = meta["currentTradingPeriod"]["regular"]
    start = datetime.fromtimestamp(regular["start"], UTC)
    three_hours_in = start + timedelta(hours=3)
    assert sessions.market_state("AAPL", three_hours_in) is MarketState.REGULAR  # calendar
    regular["end"] = regular["start"] + 2 * 3600  # Yahoo says: closes after two hours today
    meta["currentTradingPeriod"]["post"]["start"] = regular["end"]
    note_trading_period("AAPL", meta)
    assert sessions.market_state("AAPL", three_hours_in) is not MarketState.REGULAR


@pytest.mark.parametrize("bad", [None, "x", {"regular": {"start": "a", "end": 1}}, {"pre": {}}])
def test_a_malformed_period_is_ignored(bad: object) -> None:
    meta = dict(_meta(), currentTradingPeriod=bad)
    note_trading_period("AAPL", meta)  # no exception; the calendar decides
    assert sessions._REPORTED == {}
