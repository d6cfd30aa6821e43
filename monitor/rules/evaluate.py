"""Evaluate a parsed rule on one market snapshot and news window.

Three-valued: an :class:`Outcome` ``holds`` True, False, or None = *not evaluated*, with
``why`` in plain words ("NVDA: quote stale (12 min old)").  A rule never holds on data
that is missing, stale, suspect (status SUSPECT, or previous close missing/zero/NaN) or
from a closed market; ``allow_stale`` admits stale and closed-market quotes (a replay of
last week, a weekend check) but never suspect ones, whose day change is meaningless.

``and`` / ``or`` follow Kleene logic: ``x and False`` is False even when ``x`` cannot be
evaluated, ``x or True`` is True.

News parts count distinct stories (``Headline.story``) whose ``first_seen`` (the
monitor's own time of first sight, on the engine clock) lies in ``(now - window, now]``
and whose title + summary match the query.  ``news "X"`` alone uses a 10-minute window:
it fires once per burst of new stories and re-arms when none arrived for 10 minutes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from monitor import price_limits as limits
from monitor import sessions
from monitor.formatting import Zones
from monitor.model import DailyBar, Headline, MarketState, Quote, Status
from monitor.rules.language import (
    AllOf,
    AnyOf,
    Basket,
    Comparison,
    Crosses,
    Difference,
    Limit,
    Metric,
    News,
    Node,
    Rule,
    compare,
)

#: sessions of history averaged by ``volume_x``, and the fewest it accepts
VOLUME_SESSIONS = 20
VOLUME_MIN_SESSIONS = 5

_STATUS_WORDS = {
    Status.PENDING: "no quote yet",
    Status.RATE_LIMITED: "rate limited",
    Status.BACKOFF: "quote source backing off",
    Status.TIMEOUT: "quote request timed out",
    Status.UNREACHABLE: "quote source unreachable",
    Status.UNKNOWN_SYMBOL: "unknown symbol",
    Status.NO_DATA: "no data",
    Status.GONE: "symbol gone",
    Status.DISABLED: "disabled",
    Status.ERROR: "quote error",
}


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything a rule may look at, as of ``now`` (the engine clock = the data time)."""

    now: datetime
    quotes: Mapping[str, Quote]
    previous: Mapping[str, Quote] = field(default_factory=dict)
    history: Mapping[str, Sequence[DailyBar]] = field(default_factory=dict)
    headlines: Sequence[Headline] = ()  # newest first, covering the longest window
    quotes_every: float = 60.0
    allow_stale: bool = False
    zones: Zones = Zones()  # the zone an alert's message states its data time in


@dataclass(frozen=True, slots=True)
class Outcome:
    """One evaluation.  ``holds`` None = not evaluated, see ``why``.

    ``value``/``threshold``/``symbol`` describe the rule's main measure (for a compound
    rule, its first market part).  ``node`` is the part evaluated; ``parts`` the
    outcomes of a compound's parts; ``members`` a basket's (symbol, value) pairs;
    ``previous`` the previous price of a ``crosses``.
    """

    holds: bool | None
    value: float | None = None
    threshold: float | None = None
    symbol: str | None = None
    symbols: tuple[str, ...] = ()
    why: str | None = None
    headlines: tuple[Headline, ...] = ()
    node: Node | None = None
    parts: tuple[Outcome, ...] = ()
    members: tuple[tuple[str, float | None], ...] = ()
    previous: float | None = None


def evaluate(rule: Rule, snap: Snapshot, *, threshold_override: float | None = None) -> Outcome:
    """Evaluate ``rule`` on ``snap``; ``threshold_override`` replaces the threshold of a
    single-comparison rule (the runner's current tier)."""
    expr = rule.expr
    if threshold_override is not None and isinstance(expr, Comparison | Basket):
        expr = replace(expr, threshold=float(threshold_override))
    return _evaluate(expr, snap)


def _evaluate(node: Node, snap: Snapshot) -> Outcome:
    if isinstance(node, Comparison):
        return _comparison(node, snap)
    if isinstance(node, Crosses):
        return _crosses(node, snap)
    if isinstance(node, Limit):
        return _limit(node, snap)
    if isinstance(node, Basket):
        return _basket(node, snap)
    if isinstance(node, News):
        return _news(node, snap)
    return _compound(node, snap)


# ---- data quality --------------------------------------------------------------------


def usable_quote(symbol: str, snap: Snapshot) -> tuple[Quote | None, str | None]:
    """The symbol's quote if a rule may act on it, else (None, why)."""
    quote = snap.quotes.get(symbol)
    if quote is None:
        return None, f"{symbol}: no quote yet"
    if not quote.usable:
        words = _STATUS_WORDS.get(quote.status, quote.status.value)
        if quote.status is Status.ERROR and quote.error:
            words = f"quote error ({quote.error})"
        return None, f"{symbol}: {words}"
    if quote.status is Status.SUSPECT:
        return None, f"{symbol}: data suspect ({quote.error or 'flagged by the source'})"
    if not _positive(quote.prev_close):
        return None, f"{symbol}: data suspect (previous close missing)"
    if snap.allow_stale:
        return quote, None
    if _closed(quote, snap.now):
        return None, f"{symbol}: market closed"
    if _released(quote):
        return quote, None  # fresh when it arrived, held back for its check: see below
    if sessions.is_stale(quote, snap.now, snap.quotes_every):
        return None, f"{symbol}: quote stale ({_age(quote, snap.now)})"
    return quote, None


def _released(quote: Quote) -> bool:
    """A suspect print the quote book held back two minutes for a confirmation that
    never came, and lets through now (``unverified``, status ok for that one batch):
    judged as it stood when it arrived, or a stock halted after a real -60% print
    would never alert."""
    return quote.unverified and quote.status is Status.OK


def _positive(x: float | None) -> bool:
    return x is not None and math.isfinite(x) and x > 0


def _closed(quote: Quote, now: datetime) -> bool:
    return (
        quote.status is Status.MARKET_CLOSED
        or quote.market_state is MarketState.CLOSED
        or sessions.market_state(quote.symbol, now) is MarketState.CLOSED
    )


def _age(quote: Quote, now: datetime) -> str:
    if quote.as_of is None:
        return "no data time"
    minutes = (now - quote.as_of).total_seconds() / 60
    if minutes >= 90:
        return f"{minutes / 60:.0f} h old"
    return f"{minutes:.0f} min old"


#: each metric of a quote, worked out when asked for (a rule reads one of them)
_METRICS: dict[str, Callable[[Quote], float | None]] = {
    "price": lambda q: q.price,
    "day%": lambda q: q.change_pct,
    "open%": lambda q: q.open_pct,
    "drawdown%": lambda q: q.drawdown_pct,
    "change": lambda q: q.change,
}


def metric_value(metric: str, symbol: str, snap: Snapshot) -> tuple[float | None, str | None]:
    """One symbol's metric now, or (None, why)."""
    quote, why = usable_quote(symbol, snap)
    if quote is None:
        return None, why
    if metric == "volume_x":
        return _volume_x(quote, snap)
    value = _METRICS[metric](quote)
    if value is None or not math.isfinite(value):
        missing = {"open%": "today's open", "drawdown%": "today's high"}.get(metric, "price")
        return None, f"{symbol}: {metric} needs {missing}"
    return float(value), None


def _volume_x(quote: Quote, snap: Snapshot) -> tuple[float | None, str | None]:
    symbol = quote.symbol
    today = sessions.trading_day(symbol, snap.now)
    volumes = [
        b.volume
        for b in snap.history.get(symbol, ())
        if b.day < today and b.volume is not None and math.isfinite(b.volume) and b.volume > 0
    ]
    volumes = volumes[-VOLUME_SESSIONS:]
    if len(volumes) < VOLUME_MIN_SESSIONS:
        return None, f"{symbol}: volume_x needs daily history"
    if quote.volume is None or not math.isfinite(quote.volume):
        return None, f"{symbol}: no volume yet"
    return quote.volume / (sum(volumes) / len(volumes)), None


# ---- market parts --------------------------------------------------------------------


def _comparison(node: Comparison, snap: Snapshot) -> Outcome:
    measure = node.measure
    symbols: tuple[str, ...]
    if isinstance(measure, Metric):
        value, why = metric_value(measure.metric, measure.symbol, snap)
        symbols = (measure.symbol,)
    else:
        value, why = _difference(measure, snap)
        symbols = (measure.left.symbol, measure.right.symbol)
    symbol = symbols[0]
    if value is None:
        return Outcome(None, None, node.threshold, symbol, symbols, why, node=node)
    holds = compare(value, node.op, node.threshold)
    return Outcome(holds, value, node.threshold, symbol, symbols, node=node)


def _difference(measure: Difference, snap: Snapshot) -> tuple[float | None, str | None]:
    left, why = metric_value(measure.left.metric, measure.left.symbol, snap)
    if left is None:
        return None, why
    right, why = metric_value(measure.right.metric, measure.right.symbol, snap)
    if right is None:
        return None, why
    return left - right, None


def _crosses(node: Crosses, snap: Snapshot) -> Outcome:
    base = Outcome(None, None, node.level, node.symbol, (node.symbol,), node=node)
    price, why = metric_value("price", node.symbol, snap)
    if price is None:
        return replace(base, why=why)
    before = snap.previous.get(node.symbol)
    if (
        before is None
        or not before.usable
        or before.price is None
        or before.status is Status.SUSPECT
    ):
        return replace(base, value=price, why=f"{node.symbol}: no previous price to compare")
    prev = float(before.price)
    up = prev < node.level <= price
    down = prev > node.level >= price
    return replace(base, holds=up or down, value=price, previous=prev)


def _limit(node: Limit, snap: Snapshot) -> Outcome:
    symbol = node.symbol
    base = Outcome(None, None, None, symbol, (symbol,), node=node)
    quote, why = usable_quote(symbol, snap)
    if quote is None:
        return replace(base, why=why)
    # usable_quote has checked the previous close is a positive number
    band = limits.limit_prices(symbol, quote.prev_close or 0.0, quote.name)
    if band is None:
        return replace(base, why=f"{symbol}: no daily price limit for this market")
    low, high = sorted(float(p) for p in band)
    if node.direction == "up":
        return replace(base, holds=limits.at_limit_up(quote), value=quote.price, threshold=high)
    return replace(base, holds=limits.at_limit_down(quote), value=quote.price, threshold=low)


def _basket(node: Basket, snap: Snapshot) -> Outcome:
    members: list[tuple[str, float | None]] = []
    why = None
    for symbol in node.symbols:
        value, member_why = metric_value(node.metric, symbol, snap)
        members.append((symbol, value))
        why = why or member_why
    need = node.need or len(node.symbols)
    known = [v for _, v in members if v is not None]
    holding = sum(compare(v, node.op, node.threshold) for v in known)
    missing = len(members) - len(known)
    # The K-th best member: the basket holds exactly when it does, so the runner's
    # hysteresis works on it like on a single value.
    lower_first = node.op in ("<=", "<")
    ranked = sorted(known, reverse=not lower_first)
    value = ranked[need - 1] if len(ranked) >= need else None
    if holding >= need:
        holds: bool | None = True
    elif holding + missing < need:
        holds = False
    else:
        holds = None
    base = Outcome(holds, value, node.threshold, None, node.symbols, node=node)
    return replace(base, members=tuple(members), why=why if holds is None else None)


# ---- news ----------------------------------------------------------------------------


def matching_headlines(node: News, snap: Snapshot) -> tuple[Headline, ...]:
    """Distinct stories matching the query first seen within the window, newest first."""
    since = snap.now - timedelta(seconds=node.window)
    found: dict[str, Headline] = {}
    for h in sorted(snap.headlines, key=lambda h: h.first_seen, reverse=True):
        if h.story in found or not since < h.first_seen <= snap.now:
            continue
        if node.query.match(f"{h.title}\n{h.summary}"):
            found[h.story] = h
    return tuple(found.values())


def _news(node: News, snap: Snapshot) -> Outcome:
    found = matching_headlines(node, snap)
    holds = len(found) >= node.count
    return Outcome(
        holds, float(len(found)), float(node.count), None, (), headlines=found, node=node
    )


# ---- compounds -----------------------------------------------------------------------


def _compound(node: AllOf | AnyOf, snap: Snapshot) -> Outcome:
    parts = tuple(_evaluate(p, snap) for p in node.parts)
    verdicts = [p.holds for p in parts]
    if isinstance(node, AllOf):
        holds = False if False in verdicts else (True if all(verdicts) else None)
    else:
        holds = True if True in verdicts else (False if all(v is False for v in verdicts) else None)
    main = next((p for p in parts if not isinstance(p.node, News | None)), parts[0])
    symbols = tuple(dict.fromkeys(s for p in parts for s in p.symbols))
    headlines: dict[str, Headline] = {}
    for p in parts:
        headlines.update((h.story, h) for h in p.headlines if h.story not in headlines)
    why = next((p.why for p in parts if p.holds is None), None) if holds is None else None
    return Outcome(
        holds,
        main.value,
        main.threshold,
        main.symbol,
        symbols,
        why,
        tuple(headlines.values()),
        node=node,
        parts=parts,
    )
