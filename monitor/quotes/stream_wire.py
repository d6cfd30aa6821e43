"""Yahoo's live price messages: the wire format, described and decoded here.

The streamer (``wss://streamer.finance.yahoo.com/?version=2``) sends JSON text frames
``{"type": "pricing", "message": "<base64>"}`` whose message is one protobuf
``PricingData``.  The field numbers and types below are facts of that wire format (the
same ones yfinance's ``pricing.proto`` lists); the descriptor is built in code, in a
pool of its own, so neither protoc nor a generated module nor yfinance is needed.

Everything in a frame is untrusted: a frame that is not JSON, not base64 or not a
``PricingData`` raises :class:`BadMessage` for that frame alone; strings are cleaned of
control characters (``monitor.text``); a time outside 2000..2100 is refused.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from monitor.text import clean_text

#: ``market_hours`` values
PRE_MARKET, REGULAR_MARKET, POST_MARKET, EXTENDED_HOURS = 0, 1, 2, 3
#: a ``quote_type`` the streamer uses for keep-alive messages
HEARTBEAT = 7

# FieldDescriptorProto types
_DOUBLE, _FLOAT, _INT32, _STRING, _SINT64 = 1, 2, 5, 9, 18
_FIELDS = (
    ("id", 1, _STRING),
    ("price", 2, _FLOAT),
    ("time", 3, _SINT64),  # epoch milliseconds
    ("currency", 4, _STRING),
    ("exchange", 5, _STRING),
    ("quote_type", 6, _INT32),
    ("market_hours", 7, _INT32),
    ("change_percent", 8, _FLOAT),
    ("day_volume", 9, _SINT64),
    ("day_high", 10, _FLOAT),
    ("day_low", 11, _FLOAT),
    ("change", 12, _FLOAT),
    ("short_name", 13, _STRING),
    ("expire_date", 14, _SINT64),
    ("open_price", 15, _FLOAT),
    ("previous_close", 16, _FLOAT),
    ("strike_price", 17, _FLOAT),
    ("underlying_symbol", 18, _STRING),
    ("open_interest", 19, _SINT64),
    ("options_type", 20, _SINT64),
    ("mini_option", 21, _SINT64),
    ("last_size", 22, _SINT64),
    ("bid", 23, _FLOAT),
    ("bid_size", 24, _SINT64),
    ("ask", 25, _FLOAT),
    ("ask_size", 26, _SINT64),
    ("price_hint", 27, _SINT64),
    ("vol_24hr", 28, _SINT64),
    ("vol_all_currencies", 29, _SINT64),
    ("from_currency", 30, _STRING),
    ("last_market", 31, _STRING),
    ("circulating_supply", 32, _DOUBLE),
    ("market_cap", 33, _DOUBLE),
)
#: the largest frame read (real ones are ~200 bytes)
MAX_FRAME = 16 * 1024
_EARLIEST, _LATEST = 946_684_800_000, 4_102_444_800_000  # 2000-01-01 .. 2100-01-01 in ms


class BadMessage(ValueError):
    """One frame that cannot be read; the reason is one short line."""


@dataclass(frozen=True, slots=True)
class Tick:
    """One decoded price message.  Numbers the message left out (protobuf sends no zero
    values) are None; ``time`` is the data's own time."""

    symbol: str
    price: float | None
    time: datetime | None
    market_hours: int
    quote_type: int
    currency: str | None = None
    exchange: str | None = None
    short_name: str | None = None
    change: float | None = None
    change_percent: float | None = None
    day_high: float | None = None
    day_low: float | None = None
    open: float | None = None
    previous_close: float | None = None
    day_volume: float | None = None


@cache
def pricing_data_class() -> Any:
    """The ``PricingData`` message class, built once from the table above."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

    proto = descriptor_pb2.FileDescriptorProto(
        name="monitor/yahoo_pricing.proto", package="monitor.yahoo", syntax="proto3"
    )
    message = proto.message_type.add(name="PricingData")
    for name, number, kind in _FIELDS:
        message.field.add(name=name, number=number, type=kind, label=1)  # LABEL_OPTIONAL
    pool = descriptor_pool.DescriptorPool()
    pool.Add(proto)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("monitor.yahoo.PricingData"))


def decode_frame(frame: str | bytes) -> Tick | None:
    """A text frame -> its Tick; None for a frame that carries no price (not "pricing").

    Raises :class:`BadMessage` when the frame cannot be read.
    """
    if len(frame) > MAX_FRAME:
        raise BadMessage(f"frame of {len(frame)} bytes is too large")
    try:
        envelope = json.loads(frame)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadMessage(f"not JSON ({exc.__class__.__name__})") from None
    if not isinstance(envelope, dict):
        raise BadMessage("not a JSON object")
    payload = envelope.get("message")
    if payload is None and envelope.get("type") not in (None, "pricing"):
        return None
    if not isinstance(payload, str):
        raise BadMessage("no base64 'message'")
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadMessage("'message' is not base64") from None
    return decode_pricing(raw)


def decode_pricing(raw: bytes) -> Tick:
    """Protobuf bytes of one ``PricingData`` -> Tick (raises :class:`BadMessage`)."""
    from google.protobuf.message import DecodeError

    message = pricing_data_class()()
    try:
        message.ParseFromString(raw)
    except (DecodeError, RuntimeError, ValueError) as exc:
        raise BadMessage(f"not a PricingData message ({exc})"[:120]) from None
    symbol = clean_text(message.id, html=False, max_len=32)
    if not symbol:
        raise BadMessage("no symbol")
    return Tick(
        symbol=symbol,
        price=_float32(message.price),
        time=_time(message.time),
        market_hours=int(message.market_hours),
        quote_type=int(message.quote_type),
        currency=_text(message.currency, 8),
        exchange=_text(message.exchange, 16),
        short_name=_text(message.short_name, 120),
        change=_float32(message.change),
        change_percent=_float32(message.change_percent),
        day_high=_float32(message.day_high),
        day_low=_float32(message.day_low),
        open=_float32(message.open_price),
        previous_close=_float32(message.previous_close),
        day_volume=float(message.day_volume) if message.day_volume > 0 else None,
    )


def _time(ms: int) -> datetime | None:
    if ms == 0:
        return None
    if not _EARLIEST <= ms < _LATEST:
        raise BadMessage(f"time {ms} is out of range")
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def _text(value: str, max_len: int) -> str | None:
    return clean_text(value, html=False, max_len=max_len) or None


def _float32(x: float) -> float | None:
    """A float field as the decimal the sender wrote (182.55, not 182.5500030517578);
    None for zero (not sent) and for NaN/inf."""
    if x == 0.0 or not math.isfinite(x):
        return None
    for digits in range(6, 10):
        shortest = float(f"{x:.{digits}g}")
        if struct.unpack("<f", struct.pack("<f", shortest))[0] == x:
            return shortest
    return x
