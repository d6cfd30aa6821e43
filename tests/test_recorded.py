"""RecordedQuotes: the CSV format, batches in order, latest-at, history, pacing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Status
from monitor.quotes.base import QuoteSource
from monitor.quotes.playback import MAX_SKIP_PAUSE, playback_delay
from monitor.quotes.recorded import RecordedQuotes, RecordedQuotesError

DATA = Path(__file__).parent / "data" / "quotes"
DEEPSEEK = DATA / "deepseek-2025-01-27.csv"
DAILY = DATA / "daily-2025-01.csv"
MONDAY_OPEN = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2025, 1, day, hour, minute, tzinfo=UTC)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "quotes.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_symbols_and_batch_times():
    rec = RecordedQuotes(DEEPSEEK)
    assert isinstance(rec, QuoteSource)
    assert rec.name == "deepseek-2025-01-27.csv"
    assert rec.symbols == ["NVDA", "^SOX"]
    assert len(rec.times) == 7
    assert (rec.first_time, rec.last_time) == (utc(24, 14, 35), utc(27, 21))


def test_next_batch_delivers_in_order_and_moves_the_clock():
    clock = ManualClock(utc(1, 0))
    rec = RecordedQuotes(DEEPSEEK, clock=clock)
    seen = []
    while (batch := rec.next_batch()) is not None:
        assert set(batch.quotes) == {"NVDA", "^SOX"}
        assert clock.now() == batch.time
        seen.append(batch.time)
    assert seen == rec.times and rec.finished
    assert rec.next_batch() is None


def test_quote_fields_intraday_and_market_state():
    rec = RecordedQuotes(DEEPSEEK)
    batch = rec.latest_at(utc(27, 17, 10))
    nvda = batch.quotes["NVDA"]
    assert nvda.status is Status.OK
    assert (nvda.price, nvda.prev_close, nvda.open, nvda.low) == (121.36, 142.62, 124.80, 120.26)
    assert nvda.as_of == utc(27, 17, 5)
    # Only Monday's prices: Friday's rows belong to another trading day.
    assert nvda.intraday == (127.51, 125.92, 121.36)
    assert nvda.market_state is MarketState.REGULAR
    assert nvda.name == "NVIDIA Corporation" and nvda.currency == "USD"
    assert batch.quotes["^SOX"].change_pct == pytest.approx(-8.29, abs=0.01)
    closed = rec.latest_at(utc(28, 3)).quotes["NVDA"]
    assert closed.market_state is MarketState.CLOSED and closed.price == 118.42


async def test_fetch_follows_the_clock_and_flags_missing_symbols():
    clock = ManualClock(utc(27, 15))
    rec = RecordedQuotes(DEEPSEEK, clock=clock)
    batch = await rec.fetch(["NVDA", "AVGO"])
    assert batch.quotes["NVDA"].price == 127.51
    assert batch.quotes["AVGO"].status is Status.NO_DATA
    assert batch.quotes["AVGO"].error == "not in recorded file"
    clock.set(utc(27, 21))
    assert (await rec.fetch(["NVDA"])).quotes["NVDA"].price == 118.42
    clock.set(utc(20, 0))
    early = (await rec.fetch(["NVDA"])).quotes["NVDA"]
    assert early.status is Status.NO_DATA and early.price is None


def test_start_splits_history_batches_from_the_replay():
    rec = RecordedQuotes(DEEPSEEK, start=MONDAY_OPEN)
    history = rec.history_batches()
    assert [b.time for b in history] == [utc(24, 14, 35), utc(24, 17, 5), utc(24, 21)]
    assert rec.clock.now() == MONDAY_OPEN
    assert rec.batch_times()[0] == utc(27, 14, 35)
    first = rec.next_batch()
    assert first is not None and first.quotes["NVDA"].price == 127.51


async def test_history_derives_daily_bars_and_merges_the_daily_file():
    clock = ManualClock(utc(27, 15))
    rec = RecordedQuotes(DEEPSEEK, clock=clock, daily_history=DAILY)
    nvda = await rec.history("NVDA", days=30)
    assert [b.day.day for b in nvda] == [17, 21, 22, 23, 24]  # not Monday: today
    assert nvda[-1].close == 142.62 and nvda[-1].volume == 234657600
    sox = await rec.history("^SOX", days=30)
    # 01-24 is not in the daily file: it comes from the last recorded row of that day.
    assert sox[-1].day == date(2025, 1, 24)
    assert (sox[-1].close, sox[-1].open, sox[-1].low) == (5341.94, 5447.29, 5320.61)
    assert [b.day.day for b in await rec.history("NVDA", days=5)] == [22, 23, 24]
    assert await rec.history("AVGO") == []


async def test_history_without_daily_file_comes_from_the_rows():
    rec = RecordedQuotes(DEEPSEEK, clock=ManualClock(utc(28, 15)))
    bars = await rec.history("NVDA")
    assert [(b.day.day, b.close) for b in bars] == [(24, 142.62), (27, 118.42)]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "time,symbol,price,prev_close\n2025-01-27T14:35:00,NVDA,127.5,142.62\n",
            "quotes.csv:2: time '2025-01-27T14:35:00' has no UTC offset "
            "(write e.g. 2025-01-27T14:35:00+00:00)",
        ),
        (
            "time,symbol,price,prev_close\n2025-01-27,NVDA,127.5,142.62\n",
            "quotes.csv:2: time '2025-01-27' is a date without a time of day "
            "(write e.g. 2025-01-27T16:00:00-05:00)",
        ),
        ("time,symbol,price\n", "quotes.csv:1: missing column(s) prev_close"),
        ("time,symbol,price,prev_close,prevclose\n", "unknown column(s) prevclose"),
        (
            "time,symbol,price,prev_close\n# note\n2025-01-27T14:35:00Z,NVDA,abc,1\n",
            "quotes.csv:3: price 'abc' is not a number",
        ),
        (
            "time,symbol,price,prev_close\n2025-01-27T14:35:00Z,NVDA,-1,1\n",
            "quotes.csv:2: price -1 is not positive",
        ),
        (
            "time,symbol,price,prev_close\n2025-01-27T14:35:00Z,NVDA,1\n",
            "quotes.csv:2: 3 fields, the header has 4",
        ),
        (
            "time,symbol,price,prev_close\n2025-01-27T14:35:00Z,NVDA,1,1\n"
            "2025-01-27T14:35:00+00:00,NVDA,2,1\n",
            "quotes.csv:3: second row for NVDA",
        ),
        ("", "quotes.csv:1: empty file"),
        ("time,symbol,price,prev_close\n", "quotes.csv: no rows, only a header"),
        (
            "time,symbol,price,prev_close,shares\n2025-01-27T14:35:00Z,NVDA,1,1,0\n",
            "quotes.csv:2: shares 0 is not positive",
        ),
        (
            "time,symbol,price,prev_close,shares\n2025-01-27T14:35:00Z,NVDA,1,1,many\n",
            "quotes.csv:2: shares 'many' is not a number",
        ),
    ],
)
def test_bad_files_name_file_and_line(tmp_path, text, message):
    with pytest.raises(RecordedQuotesError) as err:
        RecordedQuotes(write(tmp_path, text))
    assert message in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "quotes.csv"))


def test_rows_out_of_order_are_sorted_and_z_times_accepted(tmp_path):
    path = write(
        tmp_path,
        "time,symbol,price,prev_close\n"
        "2025-01-27T15:00:00Z,NVDA,125,142.62\n"
        "2025-01-27T09:35:00-05:00,NVDA,127,142.62\n",
    )
    rec = RecordedQuotes(path)
    assert rec.times == [utc(27, 14, 35), utc(27, 15)]
    assert rec.latest_at(utc(27, 16)).quotes["NVDA"].intraday == (127.0, 125.0)


def test_a_share_intraday_spans_the_lunch_break_and_resets_next_day(tmp_path):
    path = write(
        tmp_path,
        "time,symbol,price,prev_close,currency\n"
        "2025-01-23T06:55:00Z,300766.SZ,40.33,40.10,CNY\n"
        "2025-01-24T01:35:00Z,300766.SZ,41.00,40.33,CNY\n"
        "2025-01-24T05:05:00Z,300766.SZ,42.10,40.33,CNY\n",
    )
    rec = RecordedQuotes(path)
    quote = rec.latest_at(utc(24, 5, 10)).quotes["300766.SZ"]
    assert quote.intraday == (41.0, 42.1) and quote.currency == "CNY"
    lunch = rec.latest_at(utc(24, 4)).quotes["300766.SZ"]  # 12:00 in Shenzhen
    assert lunch.market_state is MarketState.CLOSED


# ---- playback_delay ------------------------------------------------------------------


def test_playback_wall_gap_over_speed():
    assert playback_delay(
        utc(27, 15), utc(27, 15, 5), speed=60, skip_closed=False, symbols=["NVDA"]
    ) == pytest.approx(5.0)
    assert playback_delay(
        utc(24, 21), utc(27, 14, 35), speed=3600, skip_closed=False, symbols=["NVDA"]
    ) == pytest.approx(65.583, abs=0.001)


def test_playback_skips_nights_and_weekends():
    # Friday close to Monday 09:35 New York: only Monday's first 5 open minutes count.
    assert playback_delay(
        utc(24, 21), utc(27, 14, 35), speed=600, skip_closed=True, symbols=["NVDA", "^SOX"]
    ) == pytest.approx(0.5)
    # An open-market gap is kept as is.
    assert playback_delay(
        utc(27, 15), utc(27, 16), speed=60, skip_closed=True, symbols=["NVDA"]
    ) == pytest.approx(60.0)
    # A gap across closed time never waits longer than the cap.
    assert (
        playback_delay(utc(24, 15), utc(27, 16), speed=1, skip_closed=True, symbols=["NVDA"])
        == MAX_SKIP_PAUSE
    )
    # Entirely closed: no wait at all.
    assert (
        playback_delay(utc(25, 12), utc(26, 12), speed=1, skip_closed=True, symbols=["NVDA"]) == 0.0
    )


def test_playback_crypto_keeps_weekends_and_bad_speed_is_rejected():
    assert playback_delay(
        utc(25, 12), utc(25, 12, 1), speed=1, skip_closed=True, symbols=["NVDA", "BTC-USD"]
    ) == pytest.approx(60.0)
    assert (
        playback_delay(utc(25, 12), utc(25, 11), speed=1, skip_closed=True, symbols=["NVDA"]) == 0.0
    )
    with pytest.raises(ValueError):
        playback_delay(utc(25, 12), utc(25, 13), speed=0, skip_closed=False, symbols=[])


def test_history_before_start_keeps_clock_aware():
    with pytest.raises(ValueError):
        RecordedQuotes(DEEPSEEK, start=datetime(2025, 1, 27, 14, 30))  # noqa: DTZ001
    rec = RecordedQuotes(DEEPSEEK, start=utc(30, 0))
    assert rec.finished and len(rec.history_batches()) == 7
    assert rec.clock.now() == utc(30, 0)
    assert rec.source_status().status is Status.OK
    assert timedelta(0) == rec.clock.now() - utc(30, 0)


def test_shares_column_gives_shares_outstanding(tmp_path):
    path = write(
        tmp_path,
        "time,symbol,price,prev_close,shares\n"
        "2025-01-27T21:00:00Z,NVDA,118.42,142.62,24300000000\n"
        "2025-01-27T21:00:00Z,^SOX,4853.24,5341.94,\n",
    )
    batch = RecordedQuotes(path).latest_at(utc(27, 21))
    assert batch.quotes["NVDA"].shares_outstanding == 24_300_000_000
    assert batch.quotes["^SOX"].shares_outstanding is None


def test_the_demo_states_nvdas_market_value_lost_on_the_deepseek_monday():
    from monitor.rules.message import market_value_change

    demo = Path(__file__).parents[1] / "monitor" / "demo" / "quotes.csv"
    close = RecordedQuotes(demo).latest_at(utc(27, 21)).quotes["NVDA"]
    assert (close.price, close.prev_close) == (118.42, 142.62)
    assert market_value_change(close) == "NVDA lost $588B of market value"


@pytest.mark.parametrize("text", ["2025-01-27", "2025-01-27T14:35:00", "2025-01-27 14:35"])
def test_the_suggested_time_is_one_the_reader_accepts(tmp_path, text) -> None:
    path = tmp_path / "quotes.csv"
    path.write_text(f"time,symbol,price,prev_close\n{text},NVDA,127.5,142.62\n")
    with pytest.raises(RecordedQuotesError) as caught:
        RecordedQuotes(path, clock=None)
    suggested = str(caught.value).rpartition("write e.g. ")[2].rstrip(")")
    path.write_text(f"time,symbol,price,prev_close\n{suggested},NVDA,127.5,142.62\n")
    assert RecordedQuotes(path, clock=None).first_time.tzinfo is not None


async def test_an_index_volume_of_zero_is_unknown_in_quotes_and_daily_bars(tmp_path) -> None:
    from monitor.model import known_volume

    path = write(
        tmp_path,
        "time,symbol,price,prev_close,volume\n"
        "2025-01-27T10:00:00-05:00,^SOX,4900,5341.94,0\n"
        "2025-01-27T10:00:00-05:00,NVDA,120,142.62,0\n"
        "2025-01-28T10:00:00-05:00,^SOX,4890,4853.24,0\n",
    )
    rec = RecordedQuotes(path, clock=ManualClock(utc(28, 16)))
    quotes = rec.latest_at(utc(27, 15)).quotes
    assert quotes["^SOX"].volume is None and quotes["^SOX"].to_json()["volume"] is None
    assert quotes["NVDA"].volume == 0  # a stock with no trades yet did trade nothing
    assert [b.volume for b in await rec.history("^SOX")] == [None]
    assert (known_volume("^GSPC", 0), known_volume("^GSPC", 5e9), known_volume("MU", 0)) == (
        None,
        5e9,
        0,
    )
