"""China A-share daily price limits (涨跌停): board limits, limit prices, streaks.

Pure.  Boards by code:
- main boards: 60xxxx.SS, 000/001/002/003xxx.SZ: ±10%; ±5% when the name marks the
  stock as ST or *ST (risk warning);
- STAR Market 688/689xxx.SS and ChiNext 300/301xxx.SZ: ±20% (ST names too);
- Beijing Stock Exchange .BJ (4xxxxx, 8xxxxx, 920xxx): ±30%.
Anything else (indexes such as 000001.SS or 399001.SZ, funds, B shares, non-A-shares)
has no known limit here: ``None``.

New listings have no limit for their first sessions (``LISTING_SESSIONS_WITHOUT_LIMIT``:
five on Shanghai and Shenzhen under the 2023 registration rules, the first day on
Beijing).

Limit price = previous close × (1 ± limit), rounded half-up to the cent, as the
exchanges publish it (Decimal with ROUND_HALF_UP, never float rounding, which is
banker's rounding on exact halves and binary-inexact besides).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from monitor.model import DailyBar, Quote

MAIN_BOARD = Decimal("0.10")
GROWTH_BOARD = Decimal("0.20")  # STAR and ChiNext
BEIJING = Decimal("0.30")
RISK_WARNING = Decimal("0.05")  # ST / *ST on a main board

_CENT = Decimal("0.01")
#: How close to the limit price counts as "at the limit" (prices are in cents).
AT_LIMIT_TOLERANCE = 0.001
# "ST", "*ST", "S*ST", "SST" at the start of the (Chinese or English) short name, in
# capitals and not the start of a word ("ST华微", "*ST Tuopu"; not "Stanley", "STAR").
_ST_NAME = re.compile(r"^\s*(?:\*|S\*|S)?ST(?![A-Za-z])")


def is_risk_warning(name: str | None) -> bool:
    """True when the security's name marks it as ST / *ST."""
    return bool(name) and bool(_ST_NAME.match(name or ""))


def board_limit(symbol: str, name: str | None = None) -> Decimal | None:
    """The daily limit as a fraction (0.10 = ±10%), or None when not a known A-share."""
    code, _, suffix = symbol.upper().partition(".")
    if not (code.isdigit() and len(code) == 6):
        return None
    if suffix == "SS":
        if code.startswith(("688", "689")):
            return GROWTH_BOARD
        if code.startswith("60"):
            return RISK_WARNING if is_risk_warning(name) else MAIN_BOARD
        return None
    if suffix == "SZ":
        if code.startswith(("300", "301")):
            return GROWTH_BOARD
        if code.startswith(("000", "001", "002", "003")):
            return RISK_WARNING if is_risk_warning(name) else MAIN_BOARD
        return None
    if suffix == "BJ" and code.startswith(("4", "8", "920")):
        return BEIJING
    return None


#: a new listing's first sessions without a daily limit, by exchange suffix
LISTING_SESSIONS_WITHOUT_LIMIT = {"SS": 5, "SZ": 5, "BJ": 1}


def listing_without_limit(symbol: str, sessions_before: int) -> bool:
    """True when an A-share that traded ``sessions_before`` sessions before today is
    still in its first sessions after listing, which have no daily limit."""
    if board_limit(symbol) is None:
        return False
    suffix = symbol.upper().rpartition(".")[2]
    return sessions_before < LISTING_SESSIONS_WITHOUT_LIMIT.get(suffix, 0)


def limit_prices(
    symbol: str, prev_close: float, name: str | None = None
) -> tuple[Decimal, Decimal] | None:
    """(limit-down price, limit-up price) for the session after ``prev_close``."""
    limit = board_limit(symbol, name)
    if limit is None or prev_close is None or not prev_close > 0:
        return None
    # str() gives the shortest decimal that round-trips: 40.33, not 40.3299999...
    base = Decimal(str(prev_close))
    up = (base * (1 + limit)).quantize(_CENT, rounding=ROUND_HALF_UP)
    down = (base * (1 - limit)).quantize(_CENT, rounding=ROUND_HALF_UP)
    return down, up


def _limits_for(quote: Quote) -> tuple[Decimal, Decimal] | None:
    if quote.price is None or quote.prev_close is None:
        return None
    return limit_prices(quote.symbol, quote.prev_close, quote.name)


def at_limit_up(quote: Quote) -> bool:
    limits = _limits_for(quote)
    if limits is None or quote.price is None:
        return False
    return quote.price >= float(limits[1]) - AT_LIMIT_TOLERANCE


def at_limit_down(quote: Quote) -> bool:
    limits = _limits_for(quote)
    if limits is None or quote.price is None:
        return False
    return quote.price <= float(limits[0]) + AT_LIMIT_TOLERANCE


def _closed_at_limit_up(symbol: str, prev: DailyBar, bar: DailyBar, name: str | None) -> bool:
    limits = limit_prices(symbol, prev.close, name)
    return limits is not None and bar.close >= float(limits[1]) - AT_LIMIT_TOLERANCE


def limit_up_streak(
    bars: Sequence[DailyBar],
    symbol: str,
    name: str | None = None,
    today: Quote | None = None,
) -> int:
    """Consecutive sessions closing at limit up, most recent first.

    ``bars`` are past sessions, oldest first.  With ``today``: a quote at limit up adds
    one to the streak of the bars; a quote below it means the streak is broken (0).
    Without ``today`` the streak ends with the last bar.  The first bar has no
    previous close, so it never counts.
    """
    streak = 0
    if today is not None:
        if not at_limit_up(today):
            return 0
        streak = 1
    for i in range(len(bars) - 1, 0, -1):
        if not _closed_at_limit_up(symbol, bars[i - 1], bars[i], name):
            break
        streak += 1
    return streak
