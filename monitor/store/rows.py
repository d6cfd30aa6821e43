"""How model objects map to the database's rows, shared by every module of the store.

Times are stored as integer microseconds since the Unix epoch (exact, sortable); lists
and mappings as compact JSON.  Nothing here runs SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from monitor.model import Alert, Headline, MarketState, Outlet, Quote, Status

T = TypeVar("T")

#: Keys per ``IN (...)`` list: far below SQLite's bound-parameter limit.
CHUNK = 300

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

STORY_COLS = (
    "s.id, s.title, s.link, s.source, s.feed, s.published, s.first_seen, s.summary,"
    " s.matched, s.symbols, s.is_matched AND NOT s.read"
)
QUOTE_COLS = "price, prev_close, open, high, low, volume, currency, market_state, status"
ALERT_COLS = (
    "rule, time, severity, symbol, symbols, value, threshold, level, message, context,"
    " headlines, notify, acknowledged"
)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def in_list(chunk: Sequence[T]) -> tuple[str, tuple[T, ...]]:
    """The ``?,?,?`` marks of an ``IN (...)`` list of ``chunk`` and the values to bind.

    The list is padded (its last value repeated, which changes no ``IN``) to a power of
    two from 8 up to ``CHUNK``, so a query takes a few SQL texts, not one per length:
    SQLite keeps each distinct text prepared in the connection's statement cache (128
    of them, 5-55 kB each), which one text per length filled with ~2 MB."""
    n = len(chunk)
    if n == 0:
        return "", ()
    size = min(CHUNK, max(8, 1 << (n - 1).bit_length()))
    values = tuple(chunk) + (chunk[-1],) * (size - n)
    return ",".join("?" * len(values)), values


def to_us(t: datetime) -> int:
    """Times are stored as integer microseconds since the Unix epoch: exact, sortable."""
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}: the store keeps timezone-aware times only")
    return (t - _EPOCH) // _MICROSECOND


def from_us(us: int) -> datetime:
    return _EPOCH + _MICROSECOND * us


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


# ---- headlines ---------------------------------------------------------------------------


def headline_from_row(r: Sequence[Any], outlets: tuple[Outlet, ...]) -> Headline:
    """A ``STORY_COLS`` row as a stored (not new) headline."""
    return Headline(
        story=r[0], title=r[1], link=r[2], source=r[3], feed=r[4], published=from_us(r[5]),
        first_seen=from_us(r[6]), summary=r[7], matched=tuple(json.loads(r[8])),
        symbols=tuple(json.loads(r[9])), outlets=outlets, domain=domain_of(r[3], outlets),
        unread=bool(r[10]),
    )  # fmt: skip


def domain_of(source: str, outlets: Iterable[Outlet]) -> str | None:
    """The domain of the story's own outlet (its ``source``)."""
    return next((o.domain for o in outlets if o.source == source), None)


def one_per_source(outlets: Iterable[Outlet]) -> tuple[Outlet, ...]:
    """An outlet is a source: keep its earliest entry (outlets come ordered by time),
    with the outlet's own link if a later entry has it (Reuters through Google News,
    then Reuters' own feed: the time of the first, the link of the second)."""
    first: dict[str, Outlet] = {}
    for outlet in outlets:
        kept = first.get(outlet.source)
        if kept is None:
            first[outlet.source] = outlet
        elif outlet.is_own_link and not kept.is_own_link:
            first[outlet.source] = replace(outlet, published=kept.published)
    return tuple(first.values())


def union(existing: Sequence[str], extra: Iterable[str]) -> list[str]:
    """Existing order first, then the new values (sorted, so results are stable)."""
    return [*existing, *sorted(set(extra) - set(existing))]


# ---- quotes ------------------------------------------------------------------------------


def quote_row(q: Quote, default_time: datetime) -> tuple[Any, ...]:
    state = q.market_state.value if q.market_state else None
    return (q.symbol, to_us(q.as_of or default_time), q.price, q.prev_close, q.open, q.high,
            q.low, q.volume, q.currency, state, q.status.value)  # fmt: skip


def quote_from_row(symbol: str, as_of: int, values: Sequence[Any],
                   intraday: Sequence[float]) -> Quote:  # fmt: skip
    price, prev_close, open_, high, low, volume, currency, market_state, status = values
    return Quote(
        symbol=symbol, price=price, prev_close=prev_close, open=open_, high=high, low=low,
        volume=volume, currency=currency,
        market_state=MarketState(market_state) if market_state else None,
        as_of=from_us(as_of), status=Status(status), intraday=tuple(intraday),
    )  # fmt: skip


def downsample(values: list[float], limit: int) -> list[float]:
    """Evenly spaced points, always keeping the first and the last."""
    if len(values) <= limit or limit < 2:
        return values
    step = (len(values) - 1) / (limit - 1)
    return [values[round(i * step)] for i in range(limit)]


# ---- alerts ------------------------------------------------------------------------------


def alert_row(a: Alert) -> tuple[Any, ...]:
    return (a.rule, to_us(a.time), a.severity, a.symbol, to_json(a.symbols), a.value,
            a.threshold, a.level, a.message, to_json(a.context), to_json(a.headlines),
            to_json(a.notify), int(a.acknowledged))  # fmt: skip


def alert_from_row(id_: int, r: Sequence[Any]) -> Alert:
    (rule, t, severity, symbol, symbols, value, threshold, level, message, context,
     headlines, notify, acknowledged) = r  # fmt: skip
    return Alert(
        rule=rule, time=from_us(t), message=message, severity=severity, symbol=symbol,
        symbols=tuple(json.loads(symbols)), value=value, threshold=threshold, level=level,
        context=json.loads(context), headlines=tuple(json.loads(headlines)),
        notify=tuple(json.loads(notify)), id=id_, acknowledged=bool(acknowledged),
    )  # fmt: skip
