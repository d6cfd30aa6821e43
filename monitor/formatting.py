"""Numbers and times as people read them: the one home of every format the monitor prints.

Plain strings only (no rich, no Textual), so the CLI's lines, an alert's sentence and the
UI's cells all format here, testable with plain values.  ``missing`` is what an unknown
or non-finite value reads as: "—" in a table cell, "?" inside a sentence.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from functools import lru_cache

DASH = "—"
UNKNOWN = "?"

_SIZES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))


def finite(x: object) -> float | None:
    """``x`` as a float when it is a finite number, else None (bool is not a number)."""
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)


# ---- numbers -------------------------------------------------------------------------


def price(value: float | None, missing: str = DASH) -> str:
    """A price for a table: 1,234.56 · 12.34 · 0.1234 (a penny stock keeps 4 decimals)."""
    v = finite(value)
    if v is None:
        return missing
    if abs(v) >= 1000:
        return f"{v:,.2f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


def sentence_price(value: float | None, missing: str = UNKNOWN) -> str:
    """A price inside a sentence: 4853.24 · 12.30 · 4.50 · 0.1234 (two decimals, up to
    four below 10 where they are needed)."""
    v = finite(value)
    if v is None:
        return missing
    if abs(v) >= 10:
        return f"{v:.2f}"
    text = f"{v:.4f}"
    return text[:-2] + text[-2:].rstrip("0")


def fixed(value: float | None, *, signed: bool = False, missing: str = DASH) -> str:
    """Two decimals with thousands separators: 1,234.50, or +1,234.50 when ``signed``."""
    v = finite(value)
    if v is None:
        return missing
    return f"{v:+,.2f}" if signed else f"{v:,.2f}"


def amount(value: float | None, missing: str = DASH) -> str:
    """A value or threshold of any size: 5,342 from a thousand up, else 12.34 / -5.00."""
    v = finite(value)
    if v is None:
        return missing
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.2f}"


def number(value: float | None, missing: str = UNKNOWN) -> str:
    """A number as written in a rule: -5, 7.5, 130, and 1,500,000 from a million up."""
    v = finite(value)
    if v is None:
        return missing
    return f"{v:g}" if abs(v) < 1e6 else f"{v:,.0f}"


def percent(value: float | None, *, signed: bool = True, missing: str = DASH) -> str:
    """A percentage with two decimals: +1.25% (or 1.25% without ``signed``)."""
    v = finite(value)
    if v is None:
        return missing
    return f"{v:+.2f}%" if signed else f"{v:.2f}%"


def multiple(value: float | None, missing: str = UNKNOWN) -> str:
    """A ratio such as a volume multiple: 3.2x."""
    v = finite(value)
    return missing if v is None else f"{v:.1f}x"


def compact(value: float | None, *, trim: bool = False, missing: str = DASH) -> str:
    """1234 -> 1.2K, 5_600_000 -> 5.6M (volumes, market values).

    ``trim`` drops the decimal from 100 of a unit up (589B rather than 589.0B), as a
    sentence reads best.
    """
    v = finite(value)
    if v is None:
        return missing
    for size, suffix in _SIZES:
        if abs(v) >= size:
            decimals = 0 if trim and abs(v) >= 100 * size else 1
            return f"{v / size:.{decimals}f}{suffix}"
    return f"{v:.0f}"


def arrow(change: float | None) -> str:
    """▲ for a rise, ▼ for a fall, · when flat or unknown."""
    v = finite(change)
    if v is None or v == 0:
        return "·"
    return "▲" if v > 0 else "▼"


# ---- times ---------------------------------------------------------------------------


def age(since: datetime | None, now: datetime) -> str:
    """A short age: 12s, 5m, 3h, 2d ("—" when unknown)."""
    if since is None:
        return DASH
    seconds = max(0, int((now - since).total_seconds()))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _local(t: datetime, tz: tzinfo | None) -> datetime:
    """``t`` in ``tz``; at the calendar's edge (year 1 west of UTC) it stays as it is."""
    try:
        return t.astimezone(tz)
    except (OverflowError, ValueError):
        return t


def headline_time(published: datetime, now: datetime, tz: tzinfo | None) -> str:
    """'5m ago' / '3h ago' for today (local), else 'Jan 26', or '2024-01-26' for an
    earlier year."""
    return headline_times([published], now, tz)[0]


def headline_times(published: Iterable[datetime], now: datetime, tz: tzinfo | None) -> list[str]:
    """``headline_time`` of each of ``published`` at one moment (a pane's 300 stories:
    ``now``'s day worked out once, each day's words once)."""
    local_now = _local(now, tz)
    today, soon = local_now.date(), now + _MINUTE
    out = []
    for t in published:
        local = _local(t, tz)
        day = local.date()
        if day == today and t <= soon:
            out.append("now" if now - t < _MINUTE else f"{age(t, now)} ago")
        else:
            out.append(_day_words(day, "%b %d" if day.year == today.year else "%Y-%m-%d"))
    return out


_MINUTE = timedelta(minutes=1)


@lru_cache(maxsize=1024)
def _day_words(day: date, form: str) -> str:
    return day.strftime(form)


#: Zone abbreviations that name one zone only.  Any other is written as a UTC offset:
#: "CST" is China's, Taiwan's, Cuba's and US Central time; "IST" India's, Ireland's and
#: Israel's; "BST" British summer and Bangladesh time; some zones have no letters at all.
UNAMBIGUOUS_ZONES = frozenset(
    {"UTC", "GMT", "EST", "EDT", "PST", "PDT", "MST", "MDT", "AKST", "AKDT", "HST", "HKT",
     "JST", "KST", "CET", "CEST", "EET", "EEST", "WET", "WEST", "AEST", "AEDT", "NZST",
     "NZDT"}
)  # fmt: skip


def zone_label(t: datetime) -> str:
    """The zone of an aware ``t`` as nobody can misread it: EST, HKT, JST... where the
    abbreviation names one zone, else its UTC offset: +08 (Shanghai), +05:30, -03."""
    name = t.tzname() or ""
    if name in UNAMBIGUOUS_ZONES:
        return name
    offset = t.utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(abs(offset).total_seconds()) // 60
    sign = "-" if offset < timedelta(0) else "+"
    hours, rest = divmod(minutes, 60)
    return f"{sign}{hours:02d}" + (f":{rest:02d}" if rest else "")


def stamp(
    t: datetime | None,
    tz: tzinfo | None,
    now: datetime | None = None,
    *,
    seconds: bool = False,
    missing: str = DASH,
) -> str:
    """THE time format: ``14:55 +08`` in ``tz`` (None: the machine's zone), with the date
    in front when it is not ``now``'s day there (``2025-01-27 14:55 +08``), or always
    when ``now`` is None (a sentence that is read later, such as a stored alert)."""
    if t is None:
        return missing
    local = _local(t, tz)
    clock = local.strftime("%H:%M:%S" if seconds else "%H:%M")
    if now is not None and _local(now, tz).date() == local.date():
        return f"{clock} {zone_label(local)}"
    return f"{local:%Y-%m-%d} {clock} {zone_label(local)}"


@dataclass(frozen=True, slots=True)
class Zones:
    """Which zone each time is shown in (the ``times`` and ``time_zone`` settings).

    Market data (a quote's time, a price alert's data time) reads in its exchange's
    zone; everything else (news, polls, the clock) in ``local``.  ``exchange=False``
    shows every time in ``local``.  ``local`` None is the machine's own zone.
    """

    local: tzinfo | None = None
    exchange: bool = True

    def of_market(self, exchange_tz: tzinfo | None) -> tzinfo | None:
        """The zone a market's data is shown in (``exchange_tz`` None: not market data)."""
        return exchange_tz if self.exchange and exchange_tz is not None else self.local

    def stamp(
        self,
        t: datetime | None,
        now: datetime | None = None,
        *,
        market: tzinfo | None = None,
        seconds: bool = False,
        missing: str = DASH,
    ) -> str:
        """``stamp`` in the zone for ``market`` (an exchange's zone; None: local)."""
        return stamp(t, self.of_market(market), now, seconds=seconds, missing=missing)


def clock_time(t: datetime | None, tz: tzinfo | None) -> str:
    """10:05:00 EST: a moment soon or just past (a retry), in ``tz`` (None: the
    machine's zone) with its zone; "—" when unknown."""
    if t is None:
        return DASH
    local = _local(t, tz)
    return f"{local:%H:%M:%S} {zone_label(local)}"
