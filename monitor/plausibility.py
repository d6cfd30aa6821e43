"""Is a print plausible?  The pure half of the quote book's check of every price.

The state (prints waiting for confirmation, the two-minute wait) lives in the engine's
quote book (``monitor/engine/suspects.py``); this module only judges one print against
what is known: the previous close, the last good print, the kind of instrument.

A print is *suspect* when

- its price is not a finite number, or not positive (futures excepted: CL=F printed
  -37.63 on 2020-04-20).  Such a price is never a print (doubt ``PRICE``): it is shown
  marked and never alerted on;
- its time is more than ``FUTURE_SLACK`` (a minute) ahead of now (doubt ``TIME``);
- it implies a move no real print makes in one step (doubt ``MOVE``):

  - an A-share outside its daily limit band plus one point from the previous close
    (main boards ±10% → ±11%, ST ±5% → ±6%, STAR and ChiNext ±20% → ±21%, Beijing ±30%
    → ±31%); no band in the listing days that have no limit;
  - anything else beyond ±50% from the previous close;
  - an index beyond ±25% from the last good print (volatility indexes such as ^VIX,
    which double in a day, skip this step rule).

  A print within ``CONFIRM_WITHIN`` (2%) of the last good print is no move suspect: it
  continues a move already seen and confirmed.

``confirms`` is the confirmation test: a second print (the chart fetched at once, or
the next print) within 2% of the suspect one.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from monitor.price_limits import board_limit

#: a print stamped further ahead of now than this is suspect
FUTURE_SLACK = timedelta(minutes=1)
#: the largest move from the previous close a print may imply (not A-shares)
MAX_MOVE = 0.50
#: the margin over an A-share's limit band (limit prices are rounded to the cent)
BAND_MARGIN = 0.01
#: the largest step from the last good print an index may take
INDEX_MAX_STEP = 0.25
#: how close a second print must be to confirm a suspect one
CONFIRM_WITHIN = 0.02

# Yahoo's volatility indexes: the Cboe VIX family (^VIX, ^VIX9D, ^VVIX, ^VXN, ^VXD, ^RVX,
# ^OVX, ^GVZ, ^EVZ, ^VXEEM...), VSTOXX (^V2TX), HSI volatility (^VHSI), India VIX.
_VOLATILITY = re.compile(r"\^(?:\w*VIX\w*|VX\w*|[RO]VX|GVZ|EVZ|V2TX|VHSI|VSTOXX|VKOSPI)")


class Kind(StrEnum):
    """What the plausibility rule distinguishes, by Yahoo's symbol conventions."""

    OTHER = "other"  # shares, ETFs, funds, crypto, currencies
    A_SHARE = "a_share"  # a share with a daily limit band (monitor.price_limits)
    INDEX = "index"  # ^SOX, ^GSPC, ^HSI...
    VOLATILITY = "volatility_index"  # ^VIX and its kin
    FUTURE = "future"  # CL=F, ES=F...


def kind_of(symbol: str, name: str | None = None) -> Kind:
    upper = symbol.upper()
    if upper.endswith("=F"):
        return Kind.FUTURE
    if upper.startswith("^"):
        return Kind.VOLATILITY if _VOLATILITY.fullmatch(upper) else Kind.INDEX
    if board_limit(upper, name) is not None:
        return Kind.A_SHARE
    return Kind.OTHER


class Doubt(StrEnum):
    """What is wrong with a suspect print; it decides what can clear it."""

    PRICE = "price"  # not a price at all: nothing confirms it, it is never alerted on
    TIME = "time"  # stamped in the future: a print with a sane time may confirm it
    MOVE = "move"  # a move no print makes in one step: a second print may confirm it


@dataclass(frozen=True, slots=True)
class Suspicion:
    doubt: Doubt
    reason: str  # in plain words, for the status and the log

    @property
    def confirmable(self) -> bool:
        return self.doubt is not Doubt.PRICE


def judge(
    symbol: str,
    price: float | None,
    as_of: datetime | None,
    now: datetime,
    *,
    prev_close: float | None = None,
    last_good: float | None = None,
    name: str | None = None,
    listing: bool = False,
) -> Suspicion | None:
    """Why this print is suspect, or None when it is plausible.

    ``last_good``: the symbol's last print that was plausible or confirmed.
    ``listing``: an A-share in its first sessions, which have no limit band."""
    kind = kind_of(symbol, name)
    if price is None or not math.isfinite(price):
        return Suspicion(Doubt.PRICE, f"price {price} is not a number")
    if price <= 0 and kind is not Kind.FUTURE:
        return Suspicion(Doubt.PRICE, f"price {price:g} is not a price")
    if as_of is not None and as_of > now + FUTURE_SLACK:
        ahead = _duration(as_of - now)
        return Suspicion(Doubt.TIME, f"print time {as_of:%Y-%m-%d %H:%M}Z is {ahead} ahead")
    if last_good is not None and confirms(price, last_good):
        return None
    why = _move(symbol, kind, price, prev_close, last_good, name, listing)
    return Suspicion(Doubt.MOVE, why) if why else None


def _move(
    symbol: str,
    kind: Kind,
    price: float,
    prev: float | None,
    last_good: float | None,
    name: str | None,
    listing: bool,
) -> str | None:
    move = change(price, prev)
    if kind is Kind.A_SHARE:
        band = board_limit(symbol, name)
        limit = None if listing or band is None else float(band) + BAND_MARGIN
    else:
        limit = MAX_MOVE
    if move is not None and limit is not None and abs(move) > limit:
        return f"{_pct(move)} from the previous close {prev:g} is beyond ±{limit:.0%}"
    step = change(price, last_good)
    if kind is Kind.INDEX and step is not None and abs(step) > INDEX_MAX_STEP:
        return (
            f"{_pct(step)} from the last good print {last_good:g} is beyond ±{INDEX_MAX_STEP:.0%}"
        )
    return None


def change(price: float, base: float | None) -> float | None:
    """The move from ``base`` as a fraction (None without a usable base)."""
    if base is None or not math.isfinite(base) or base == 0:
        return None
    return price / base - 1.0 if base > 0 else (price - base) / abs(base)


def confirms(price: float | None, suspect: float) -> bool:
    """A second print confirms a suspect one when within ``CONFIRM_WITHIN`` of it."""
    if price is None or not math.isfinite(price) or not math.isfinite(suspect):
        return False
    return abs(price - suspect) <= CONFIRM_WITHIN * abs(suspect)


def _pct(move: float) -> str:
    return f"{move:+.0%}" if abs(move) >= 0.1 else f"{move:+.1%}"


def _duration(d: timedelta) -> str:
    seconds = d.total_seconds()
    if seconds >= 86_400:
        return f"{seconds / 86_400:.0f} d"
    if seconds >= 3_600:
        return f"{seconds / 3_600:.0f} h"
    return f"{seconds / 60:.0f} min"
