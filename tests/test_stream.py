"""Yahoo's live stream: the wire decoder against yfinance's own encoder, and the client
against a real websocket server on 127.0.0.1 (tests/fake_streamer.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from monitor.clock import ManualClock
from monitor.model import MarketState, Quote, SourceStatus, Status
from monitor.quotes.stream import YahooStream, quote_from_tick
from monitor.quotes.stream_wire import BadMessage, Tick, decode_frame, decode_pricing
from tests.fake_streamer import FakeStreamer, price_frame, pricing_bytes

OPEN = datetime(2025, 1, 27, 15, 0, tzinfo=UTC)  # a Monday, 10:00 New York
SATURDAY = datetime(2025, 1, 25, 15, 0, tzinfo=UTC)


# ---- the wire format ----------------------------------------------------------------


def test_decoder_reads_what_yfinance_pricing_pb2_writes():
    t = datetime(2025, 1, 27, 15, 0, 1, 250000, tzinfo=UTC)
    frame = price_frame(
        "NVDA",
        118.42,
        t,
        currency="USD",
        exchange="NMS",
        quote_type=8,
        change_percent=-16.97,
        day_volume=818_830_900,
        day_high=124.11,
        day_low=116.25,
        change=-24.2,
        short_name="NVIDIA Corporation",
        open_price=124.8,
        previous_close=142.62,
    )
    tick = decode_frame(frame)
    assert tick == Tick(
        symbol="NVDA",
        price=118.42,
        time=t,
        market_hours=1,
        quote_type=8,
        currency="USD",
        exchange="NMS",
        short_name="NVIDIA Corporation",
        change=-24.2,
        change_percent=-16.97,
        day_high=124.11,
        day_low=116.25,
        open=124.8,
        previous_close=142.62,
        day_volume=818_830_900.0,
    )


def test_fields_left_out_are_none_and_negative_prices_survive():
    tick = decode_pricing(pricing_bytes("CL=F", -37.63, None, market_hours=1))
    assert tick.price == -37.63 and tick.time is None
    assert tick.previous_close is None and tick.day_volume is None and tick.currency is None


def test_strings_are_cleaned_of_control_characters():
    raw = pricing_bytes(
        "NVDA\x1b[2J",
        1.0,
        OPEN,
        short_name="NVIDIA\x1b]52;c;ZXZpbA==\x07 Corp\u202e",
        currency="US\x07D",
    )
    tick = decode_pricing(raw)
    assert tick.symbol == "NVDA"
    assert tick.short_name == "NVIDIA Corp"
    assert tick.currency == "USD"


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "pricing"}', "no base64"),
        ('{"type": "pricing", "message": "@@@not base64@@@"}', "not base64"),
        (
            json.dumps({"message": base64.b64encode(b"\xff\xff\xff\xff").decode()}),
            "not a PricingData",
        ),
        (
            json.dumps({"message": base64.b64encode(pricing_bytes("", 1.0, OPEN)).decode()}),
            "no symbol",
        ),
        (
            json.dumps({"message": base64.b64encode(pricing_bytes("X", 1.0, 10**17)).decode()}),
            "out of range",
        ),
        ("x" * 20000, "too large"),
    ],
)
def test_a_bad_frame_raises_one_short_reason(frame, reason):
    with pytest.raises(BadMessage, match=reason):
        decode_frame(frame)


def test_frames_of_other_types_carry_no_price():
    assert decode_frame('{"type": "heartbeat"}') is None


# ---- ticks over polled context --------------------------------------------------------


def _tick(**kw) -> Tick:
    fields = {"symbol": "NVDA", "price": 118.42, "time": OPEN, "market_hours": 1, "quote_type": 8}
    return Tick(**(fields | kw))


POLLED = Quote(
    "NVDA",
    price=120.0,
    prev_close=142.62,
    open=124.8,
    high=124.11,
    low=119.0,
    volume=1e8,
    currency="USD",
    market_state=MarketState.REGULAR,
    as_of=OPEN - timedelta(minutes=1),
    name="NVIDIA Corporation",
    shares_outstanding=2.45e10,
    intraday=(124.8, 121.0, 120.0),
)


def test_a_tick_over_the_polled_quote_keeps_its_context():
    q = quote_from_tick(_tick(), POLLED, "NVDA", OPEN)
    assert q is not None
    assert (q.price, q.prev_close, q.open, q.high, q.low) == (118.42, 142.62, 124.8, 124.11, 118.42)
    assert q.as_of == OPEN and q.status is Status.OK and q.market_state is MarketState.REGULAR
    assert q.name == "NVIDIA Corporation" and q.shares_outstanding == 2.45e10
    assert q.intraday == POLLED.intraday


def test_previous_close_from_the_change_when_the_tick_has_none():
    q = quote_from_tick(_tick(change=-24.2), None, "NVDA", OPEN)
    assert q is not None and q.prev_close == pytest.approx(142.62)


def test_yesterdays_polled_quote_lends_no_day_values():
    yesterday = datetime(2025, 1, 24, 20, 0, tzinfo=UTC)
    q = quote_from_tick(
        _tick(), POLLED.__class__(**{**_fields(POLLED), "as_of": yesterday}), "NVDA", OPEN
    )
    assert q is not None
    assert q.high == q.low == 118.42 and q.open is None and q.prev_close is None


def _fields(q: Quote) -> dict:
    return {f: getattr(q, f) for f in q.__slots__}


def test_pre_and_post_market_ticks_are_not_prices():
    assert quote_from_tick(_tick(market_hours=0), POLLED, "NVDA", OPEN) is None
    assert quote_from_tick(_tick(market_hours=2), POLLED, "NVDA", OPEN) is None
    assert quote_from_tick(_tick(price=None), POLLED, "NVDA", OPEN) is None


def test_a_tick_from_the_future_is_suspect():
    q = quote_from_tick(_tick(time=OPEN + timedelta(minutes=5)), POLLED, "NVDA", OPEN)
    assert q is not None and q.status is Status.SUSPECT


# ---- the client against a websocket server on 127.0.0.1 ----------------------------------


class Client:
    """A YahooStream running against the fake, collecting what it hands on."""

    def __init__(self, url: str, symbols: list[str], now: datetime, **kw) -> None:
        self.quotes: asyncio.Queue[Quote] = asyncio.Queue()
        self.statuses: asyncio.Queue[SourceStatus] = asyncio.Queue()
        self.clock = ManualClock(now)
        options = {"resubscribe_every": 3600.0, "backoff_base": 0.01, "rng": random.Random(1)}
        self.stream = YahooStream(
            symbols,
            url=url,
            clock=self.clock,
            on_quote=self.quotes.put_nowait,
            on_status=self.statuses.put_nowait,
            **(options | kw),
        )

    async def quote(self) -> Quote:
        return await asyncio.wait_for(self.quotes.get(), 10)

    async def status(self, wanted: Status) -> SourceStatus:
        async def first() -> SourceStatus:
            while (status := await self.statuses.get()).status is not wanted:
                pass
            return status

        return await asyncio.wait_for(first(), 10)


@pytest.fixture
async def streamer() -> AsyncIterator[FakeStreamer]:
    async with FakeStreamer() as server:
        yield server


@pytest.fixture
async def running():
    tasks: list[asyncio.Task] = []

    def start(client: Client) -> Client:
        tasks.append(asyncio.create_task(client.stream.run()))
        return client

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_subscribes_and_hands_on_quotes(streamer, running):
    client = running(Client(streamer.url, ["NVDA", "9988.HK"], OPEN))
    await streamer.wait_subscribed()
    assert streamer.subscriptions == [["NVDA", "9988.HK"]]
    client.stream.seed(POLLED)
    await streamer.send(price_frame("NVDA", 118.42, OPEN, previous_close=142.62))
    q = await client.quote()
    assert (q.symbol, q.price, q.prev_close, q.as_of, q.name) == (
        "NVDA",
        118.42,
        142.62,
        OPEN,
        "NVIDIA Corporation",
    )
    assert client.stream.last_data_time("NVDA") == OPEN
    assert client.stream.source_status().status is Status.OK and client.stream.trusted()


async def test_symbols_not_asked_for_and_older_ticks_are_ignored(streamer, running):
    client = running(Client(streamer.url, ["NVDA"], OPEN))
    await streamer.wait_subscribed()
    await streamer.send(price_frame("AAPL", 1.0, OPEN))
    await streamer.send(price_frame("NVDA", 2.0, OPEN))
    await streamer.send(price_frame("NVDA", 3.0, OPEN - timedelta(seconds=5)))
    await streamer.send(price_frame("nvda", 4.0, OPEN + timedelta(seconds=1)))
    assert [(await client.quote()).price for _ in range(2)] == [2.0, 4.0]
    assert client.quotes.empty()


async def test_reconnects_after_the_server_drops(streamer, running):
    client = running(Client(streamer.url, ["NVDA"], OPEN))
    await streamer.wait_subscribed(1)
    await streamer.send(price_frame("NVDA", 1.0, OPEN))
    assert (await client.quote()).price == 1.0
    await streamer.drop()
    dropped = await client.status(Status.UNREACHABLE)
    assert dropped.error
    await streamer.wait_subscribed(2)
    await streamer.send(price_frame("NVDA", 2.0, OPEN + timedelta(seconds=1)))
    assert (await client.quote()).price == 2.0
    assert client.stream.connects == 2
    assert client.stream.source_status().status is Status.OK


async def test_a_refused_connection_is_retried_with_backoff(running):
    async with FakeStreamer() as gone:
        url = gone.url  # a port that nothing listens on once the server has stopped
    client = running(Client(url, ["NVDA"], OPEN))
    first = await client.status(Status.UNREACHABLE)
    second = await client.status(Status.UNREACHABLE)
    assert first.error and second.error
    assert client.stream.connects == 0


async def test_a_silent_stream_is_reported_and_replaced_while_a_market_is_open(streamer, running):
    client = running(Client(streamer.url, ["NVDA"], OPEN, silent_after=0.2))
    await streamer.wait_subscribed(1)
    silent = await client.status(Status.STALE)
    assert "no message" in silent.error
    assert not client.stream.trusted()
    await streamer.wait_subscribed(2)  # dropped and connected afresh
    await streamer.send(price_frame("NVDA", 5.0, OPEN))
    assert (await client.quote()).price == 5.0
    assert client.stream.trusted()


async def test_silence_with_every_market_shut_is_expected(streamer, running):
    client = running(Client(streamer.url, ["NVDA", "9988.HK"], SATURDAY, silent_after=0.05))
    await streamer.wait_subscribed(1)
    await client.status(Status.MARKET_CLOSED)
    await client.status(Status.MARKET_CLOSED)  # several silent windows, one connection
    assert streamer.connections == 1 and client.stream.trusted()


async def test_garbage_fails_that_message_only(streamer, running):
    client = running(Client(streamer.url, ["NVDA"], OPEN))
    await streamer.wait_subscribed()
    for bad in (
        "{oops",
        '{"type": "pricing", "message": "%%%"}',
        json.dumps({"type": "pricing", "message": base64.b64encode(b"\x0a\xff\xff").decode()}),
        b"\x00\x01binary",
    ):
        await streamer.send(bad)
    await streamer.send(price_frame("NVDA", 7.0, OPEN))
    assert (await client.quote()).price == 7.0
    assert client.stream.bad_messages == 4 and client.stream.last_bad
    assert client.stream.connects == 1


async def test_resubscribes_and_follows_new_symbols(streamer, running):
    client = running(Client(streamer.url, ["NVDA"], OPEN, resubscribe_every=0.05))
    await streamer.wait_subscribed()
    client.stream.set_symbols(["NVDA", "AMD"])
    for _ in range(100):
        if ["AMD"] in streamer.subscriptions and ["NVDA", "AMD"] in streamer.subscriptions:
            break
        await asyncio.sleep(0.05)
    assert ["AMD"] in streamer.subscriptions
    assert ["NVDA", "AMD"] in streamer.subscriptions  # the periodic renewal
    client.stream.set_symbols(["AMD"])
    for _ in range(100):
        if streamer.unsubscriptions:
            break
        await asyncio.sleep(0.05)
    assert streamer.unsubscriptions == [["NVDA"]]


def test_backoff_doubles_with_jitter_up_to_the_cap():
    stream = YahooStream(
        ["NVDA"],
        on_quote=print,
        clock=ManualClock(OPEN),
        backoff_base=2.0,
        backoff_cap=60.0,
        rng=random.Random(7),
    )
    delays = [stream._next_delay() for _ in range(8)]
    for n, delay in enumerate(delays):
        nominal = min(60.0, 2.0 * 2**n)
        assert 0.5 * nominal <= delay <= 1.5 * nominal
    assert len({round(d / min(60.0, 2.0 * 2**n), 6) for n, d in enumerate(delays)}) > 1
    assert stream.source_status().next_try > OPEN
