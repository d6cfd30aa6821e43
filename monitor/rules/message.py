"""What an alert says: one line of message, and the context that explains it.

The message states the rule's measure, its value against the threshold and the data's
time, with its date and zone (``monitor.formatting.stamp``): the exchange's own zone for
market data, the local zone for news (or every time local: the ``times`` setting), e.g.::

    ^SOX day% -9.15% ≤ -5% (4853.24, prev close 5341.94) at 2025-01-27 16:00 EST
    300766.SZ at limit up 12.00 (+20.00%, prev close 10.00) at 2025-01-27 14:55 +08

The context (JSON-ready, every key optional — only what the data allows):

- ``market_value_change``: change × shares outstanding ("NVDA lost $589B of market value");
- ``largest_since``: for ``day%`` rules, "largest one-day drop since 2020-03-18" = the last
  session before the alert's trading day with a larger move the same way, from the
  snapshot's daily history (never a later session); "... on record in history" if none;
- ``limit_up_streak``: consecutive limit-up sessions including today, for limit-up rules;
- ``headlines``: up to 3 recent headlines, the likely why: those the rule matched, then
  those linked to the alert's symbols, then other topic matches of the last 24 hours
  (the runner moves them to ``Alert.headlines``);
- ``level`` / ``levels`` / ``thresholds``: the tier fired as "level 1 of 3" reads
  (``"level": 1, "levels": 3``) and the tiers' thresholds, when the rule has levels;
- ``data_time``: ISO time of the data the message quotes;
- ``unverified``: the rule's symbols whose price is a suspect print nothing confirmed
  within two minutes (monitor/plausibility.py), also said in the message.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from monitor import price_limits as limits
from monitor import sessions
from monitor.durations import format_duration
from monitor.formatting import (
    UNKNOWN,
    compact,
    multiple,
    number,
    percent,
    sentence_price,
)
from monitor.model import DailyBar, Headline, Quote, iso
from monitor.rules.evaluate import Outcome, Snapshot
from monitor.rules.language import (
    OP_SIGNS,
    PERCENT_METRICS,
    AllOf,
    AnyOf,
    Basket,
    Comparison,
    Crosses,
    Limit,
    Metric,
    News,
    compare,
)
from monitor.rules.spec import RuleSpec

#: how far back headlines count as the likely why of a market alert
HEADLINE_LOOKBACK = timedelta(hours=24)
MAX_HEADLINES = 3


def describe(outcome: Outcome, spec: RuleSpec, snap: Snapshot) -> tuple[str, dict[str, Any]]:
    """The alert's message and context for an outcome that holds."""
    data_time = _data_time(outcome, snap)
    zone_symbol = outcome.symbol or next(iter(outcome.symbols), None)
    message = f"{_say(outcome, snap)} at {_clock(data_time, zone_symbol, snap)}"
    context: dict[str, Any] = {"data_time": iso(data_time)}
    if spec.levels and outcome.threshold in spec.levels:
        level = spec.levels.index(outcome.threshold) + 1
        context.update(level=level, levels=len(spec.levels), thresholds=list(spec.levels))
        message += f" (level {level} of {len(spec.levels)})"
    unverified = [s for s in spec.rule.symbols if (q := snap.quotes.get(s)) and q.unverified]
    if unverified:
        context["unverified"] = unverified
        message += f" — unverified: {', '.join(unverified)} print not confirmed within 2 min"
    main = _main(outcome)
    if main is not None and main.symbol is not None:
        _market_context(main, snap, context)
    # what makes the move meaningful belongs in the sentence a person reads
    extras = [context[k] for k in ("largest_since", "market_value_change") if context.get(k)]
    if context.get("limit_up_streak", 0) > 1:
        extras.append(f"{context['limit_up_streak']} limit-up sessions in a row")
    if extras:
        message += " — " + "; ".join(extras)
    context["headlines"] = [headline_dict(h) for h in related_headlines(outcome, snap)]
    return message, context


def _main(outcome: Outcome) -> Outcome | None:
    """The outcome of the first market part (the rule's main measure)."""
    if outcome.parts:
        for part in outcome.parts:
            found = _main(part)
            if found is not None:
                return found
        return None
    return None if isinstance(outcome.node, News) else outcome


# ---- the message ---------------------------------------------------------------------


def _say(outcome: Outcome, snap: Snapshot) -> str:
    node = outcome.node
    if isinstance(node, AllOf | AnyOf):
        joiner = " and " if isinstance(node, AllOf) else " or "
        held = [p for p in outcome.parts if p.holds] or list(outcome.parts)
        return joiner.join(_say(p, snap) for p in held)
    if isinstance(node, Comparison):
        return _say_comparison(outcome, node, snap)
    if isinstance(node, Crosses):
        way = "upward" if (outcome.previous or 0) < node.level else "downward"
        return (
            f"{node.symbol} crossed {number(node.level)} {way} "
            f"({sentence_price(outcome.previous)} → {sentence_price(outcome.value)})"
        )
    if isinstance(node, Limit):
        return _say_limit(outcome, node, snap)
    if isinstance(node, Basket):
        return _say_basket(outcome, node)
    if isinstance(node, News):
        return _say_news(outcome, node)
    return "condition holds"


def _say_comparison(outcome: Outcome, node: Comparison, snap: Snapshot) -> str:
    sign, threshold = OP_SIGNS[node.op], outcome.threshold
    m = node.measure
    if isinstance(m, Metric):
        pct = "%" if m.metric in PERCENT_METRICS else ""
        head = f"{m} {_value(outcome.value, m.metric)} {sign} {number(threshold)}{pct}"
        detail = _detail(m.metric, snap.quotes.get(m.symbol))
        return f"{head} ({detail})" if detail else head
    left = snap.quotes.get(m.left.symbol)
    right = snap.quotes.get(m.right.symbol)
    detail = (
        f"{m.left.symbol} {_metric_text(m.left.metric, left)}, "
        f"{m.right.symbol} {_metric_text(m.right.metric, right)}"
    )
    return f"{m} {_value(outcome.value, 'diff')} {sign} {number(threshold)} ({detail})"


def _detail(metric: str, quote: Quote | None) -> str:
    if quote is None:
        return ""
    price = sentence_price(quote.price)
    if metric in ("day%", "change"):
        return f"{price}, prev close {sentence_price(quote.prev_close)}"
    if metric == "open%":
        return f"{price}, open {sentence_price(quote.open)}"
    if metric == "drawdown%":
        return f"{price}, day high {sentence_price(quote.high)}"
    if metric == "volume_x":
        return f"volume {compact(quote.volume, trim=True, missing='?')}"
    pct = quote.change_pct
    return f"day {percent(pct)}" if pct is not None else ""


def _metric_text(metric: str, quote: Quote | None) -> str:
    if quote is None:
        return "?"
    value = {
        "price": quote.price,
        "day%": quote.change_pct,
        "open%": quote.open_pct,
        "drawdown%": quote.drawdown_pct,
        "change": quote.change,
    }.get(metric)
    return _value(value, metric) if value is not None else metric


def _say_limit(outcome: Outcome, node: Limit, snap: Snapshot) -> str:
    quote = snap.quotes.get(node.symbol)
    pct = quote.change_pct if quote else None
    moved = f"{percent(pct)}, " if pct is not None else ""
    prev = sentence_price(quote.prev_close) if quote else "?"
    return (
        f"{node.symbol} at limit {node.direction} {sentence_price(outcome.value)} "
        f"({moved}prev close {prev})"
    )


def _say_basket(outcome: Outcome, node: Basket) -> str:
    need = f"{node.need} of" if node.need is not None else "all of"
    pct = "%" if node.metric in PERCENT_METRICS else ""
    held = sorted(
        (
            (s, v)
            for s, v in outcome.members
            if v is not None and compare(v, node.op, outcome.threshold or node.threshold)
        ),
        key=lambda sv: sv[1],
        reverse=node.op in (">=", ">"),
    )
    listed = ", ".join(f"{s} {_value(v, node.metric)}" for s, v in held)
    return (
        f"{need} [{', '.join(node.symbols)}] {node.metric} {OP_SIGNS[node.op]} "
        f"{number(outcome.threshold)}{pct}: {listed}"
    )


def _say_news(outcome: Outcome, node: News) -> str:
    n = len(outcome.headlines)
    stories = "story" if n == 1 else "stories"
    window = format_duration(timedelta(seconds=node.window))
    text = f"news {quoted(node.query_text)}: {n} {stories} within {window}"
    if outcome.headlines:
        latest = outcome.headlines[0]
        text += f', latest "{latest.title}" ({latest.source})'
    return text


# ---- times ---------------------------------------------------------------------------


def _value(x: float | None, metric: str) -> str:
    """A measure's value: -9.15% for percent metrics, 3.2x, a price, else 2 decimals."""
    if metric in PERCENT_METRICS:
        return percent(x, signed=False, missing="?")
    if metric == "volume_x":
        return multiple(x)
    if metric == "price":
        return sentence_price(x)
    return UNKNOWN if x is None else f"{x:.2f}"


def _data_time(outcome: Outcome, snap: Snapshot) -> datetime:
    times = [q.as_of for s in outcome.symbols if (q := snap.quotes.get(s)) and q.as_of]
    return max(times) if times else snap.now


def _clock(t: datetime, symbol: str | None, snap: Snapshot) -> str:
    """The data time with its date and zone: the exchange's for market data, the local
    zone for news-only rules (``Snapshot.zones``)."""
    market = sessions.market_for(symbol).tz if symbol else None
    return snap.zones.stamp(t, market=market)


def quoted(query: str) -> str:
    """A news query as a rule writes it: "DeepSeek", or '"Liang Wenfeng" OR 梁文锋' in
    single quotes when it holds double ones (never ""Liang Wenfeng" OR 梁文锋")."""
    return f"'{query}'" if '"' in query and "'" not in query else f'"{query}"'


# ---- context -------------------------------------------------------------------------


def _market_context(main: Outcome, snap: Snapshot, context: dict[str, Any]) -> None:
    symbol = main.symbol
    assert symbol is not None
    quote = snap.quotes.get(symbol)
    node = main.node
    if quote is not None and not isinstance(node, Basket):
        text = market_value_change(quote)
        if text:
            context["market_value_change"] = text
    if (
        isinstance(node, Comparison)
        and isinstance(node.measure, Metric)
        and node.measure.metric == "day%"
        and main.value is not None
    ):
        text = largest_since(symbol, main.value, snap.history.get(symbol, ()), snap.now)
        if text:
            context["largest_since"] = text
    if isinstance(node, Limit) and node.direction == "up" and quote is not None:
        today = sessions.trading_day(symbol, snap.now)
        bars = [b for b in snap.history.get(symbol, ()) if b.day < today]
        context["limit_up_streak"] = limits.limit_up_streak(bars, symbol, quote.name, quote)


def market_value_change(quote: Quote) -> str | None:
    """ "NVDA lost $589B of market value", from the day change × shares outstanding."""
    change, shares = quote.change, quote.shares_outstanding
    if change is None or shares is None or not math.isfinite(shares) or shares <= 0:
        return None
    amount = change * shares
    verb = "lost" if amount < 0 else "gained"
    size = compact(abs(amount), trim=True, missing="?")
    money = f"${size}" if quote.currency in (None, "USD") else f"{size} {quote.currency}"
    return f"{quote.symbol} {verb} {money} of market value"


def largest_since(
    symbol: str, move_pct: float, bars: Sequence[DailyBar], now: datetime
) -> str | None:
    """ "largest one-day drop since 2020-03-18": the last earlier session with a larger
    move the same way, using only sessions before the trading day of ``now``."""
    today = sessions.trading_day(symbol, now)
    past = sorted((b for b in bars if b.day < today), key=lambda b: b.day)
    if len(past) < 2 or move_pct == 0:
        return None
    kind = "drop" if move_pct < 0 else "gain"
    for before, bar in zip(reversed(past[:-1]), reversed(past[1:]), strict=True):
        if not before.close or before.close <= 0:
            continue
        move = (bar.close / before.close - 1.0) * 100.0
        if (move_pct < 0 and move < move_pct) or (move_pct > 0 and move > move_pct):
            return f"largest one-day {kind} since {bar.day.isoformat()}"
    return f"largest one-day {kind} on record in history (since {past[0].day.isoformat()})"


def related_headlines(outcome: Outcome, snap: Snapshot) -> list[Headline]:
    """Up to 3: those the rule matched, then linked to its symbols, then topic matches."""
    since = snap.now - HEADLINE_LOOKBACK
    recent = sorted(
        (h for h in snap.headlines if since <= h.first_seen <= snap.now),
        key=lambda h: h.first_seen,
        reverse=True,
    )
    symbols = set(outcome.symbols)
    linked = [h for h in recent if symbols & set(h.symbols)]
    topical = [h for h in recent if h.matched]
    chosen: dict[str, Headline] = {}
    for h in [*outcome.headlines, *linked, *topical]:
        chosen.setdefault(h.story, h)
        if len(chosen) == MAX_HEADLINES:
            break
    return list(chosen.values())


def headline_dict(h: Headline) -> dict[str, Any]:
    """A headline as an Alert carries it."""
    return {
        "title": h.title,
        "source": h.source,
        "link": h.link,
        "published": iso(h.published),
        "story": h.story,
    }
