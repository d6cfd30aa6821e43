"""One watchlist row's cells, from a Quote: pure (Quote, now) -> rich Text.

Kept apart from the widget so the diffing widget stays small and this stays testable.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from rich.text import Text

from monitor.formatting import age, compact, price
from monitor.model import MarketState, Quote, Status
from monitor.sessions import market_state
from monitor.ui.widgets.format import STATUS_WORDS, direction_style, signed_change, signed_pct
from monitor.ui.widgets.sparkline import sparkline

STATE_WORDS = {
    MarketState.PRE: "pre",
    MarketState.REGULAR: "open",
    MarketState.POST: "post",
    MarketState.CLOSED: "closed",
}
#: statuses that are routine, not a warning
QUIET = {Status.OK, Status.MARKET_CLOSED, Status.NOT_MODIFIED}
SPARK_WIDTH = 10


@cache
def _limits() -> Any:
    from monitor import price_limits as limits

    return limits


def limit_badge(quote: Quote, short: bool = False) -> Text:
    """'涨停 LIMIT↑' / '跌停 LIMIT↓' for an A-share at its daily limit, else empty.

    ``short`` gives '涨停↑' / '跌停↓' for narrow screens.
    """
    limits = _limits()
    if limits.at_limit_up(quote):
        return Text("涨停↑" if short else "涨停 LIMIT↑", style="bold reverse green")
    if limits.at_limit_down(quote):
        return Text("跌停↓" if short else "跌停 LIMIT↓", style="bold reverse red")
    return Text("")


def age_cell(quote: Quote | None, now: datetime) -> Text:
    """How old the numbers are; a ⚠ and the status word when they are not live."""
    if quote is None:
        return Text("pending", style="dim italic")
    since = age(quote.as_of, now)
    if quote.status in QUIET and not quote.unverified:
        return Text(since, style="dim", justify="right")
    word = "unverified" if quote.unverified else STATUS_WORDS.get(quote.status, quote.status.value)
    return Text(f"⚠ {word} {since}", style="bold yellow", no_wrap=True, overflow="ellipsis")


def state_cell(symbol: str, quote: Quote | None, now: datetime) -> Text:
    """The market's state now, on the screen's clock: a quote's own state is that of the
    moment it was fetched (a close read at 16:00 would say "open" all night), so it is
    read from the market's sessions at ``now``, as ``monitor once --at`` reads it."""
    if quote is None:
        return Text("…", style="dim")
    state = market_state(symbol, now)
    return Text(STATE_WORDS[state], style="" if state is MarketState.REGULAR else "dim")


def day_range(quote: Quote) -> Text:
    if quote.low is None or quote.high is None:
        return Text("—", style="dim")
    return Text(f"{price(quote.low)}–{price(quote.high)}", style="dim")


def quote_cells(
    symbol: str, quote: Quote | None, now: datetime, short_badge: bool = False
) -> dict[str, Text]:
    """Every data cell of a symbol's row, keyed by column."""
    if quote is None:
        blank = Text("…", style="dim")
        return {
            "symbol": Text(symbol, style="bold"),
            "last": blank, "change": blank, "pct": blank, "spark": Text(""),
            "range": blank, "volume": blank, "state": blank,
            "age": age_cell(None, now), "note": Text(""),
        }  # fmt: skip
    usable = quote.usable
    style = direction_style(quote.change)
    return {
        "symbol": Text(symbol, style="bold"),
        "last": Text(price(quote.price) if usable else "—", justify="right"),
        "change": signed_change(quote.change if usable else None),
        "pct": signed_pct(quote.change_pct if usable else None),
        "spark": Text(sparkline(quote.intraday, SPARK_WIDTH), style=style),
        "range": day_range(quote),
        "volume": Text(compact(quote.volume), style="dim", justify="right"),
        "state": state_cell(symbol, quote, now),
        "age": age_cell(quote, now),
        "note": limit_badge(quote, short_badge),
    }


def cell_key(text: Text) -> tuple[str, str, tuple[Any, ...]]:
    """What makes two cells look the same (Text equality ignores the base style)."""
    return text.plain, str(text.style), tuple(text.spans)
