"""Pure formatting of market values for the panes: plain strings and rich Text.

No Textual here, so everything is testable with plain values.  Direction is never
shown by colour alone: every change carries a sign and an arrow too.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, tzinfo

from rich.text import Text

from monitor.model import Status

UP_STYLE = "green"
DOWN_STYLE = "red"
FLAT_STYLE = "dim"

#: How each non-ok status reads in the watchlist's age column.
STATUS_WORDS: dict[Status, str] = {
    Status.PENDING: "pending",
    Status.STALE: "stale",
    Status.RATE_LIMITED: "rate-limited",
    Status.BACKOFF: "backing off",
    Status.TIMEOUT: "timeout",
    Status.UNREACHABLE: "unreachable",
    Status.NOT_MODIFIED: "unchanged",
    Status.UNKNOWN_SYMBOL: "unknown",
    Status.NO_DATA: "no data",
    Status.MARKET_CLOSED: "closed",
    Status.SUSPECT: "suspect",
    Status.GONE: "gone",
    Status.DISABLED: "disabled",
    Status.ERROR: "error",
}


def finite(x: float | None) -> float | None:
    if x is None or not isinstance(x, int | float) or not math.isfinite(x):
        return None
    return float(x)


def price(value: float | None) -> str:
    """A price with as many decimals as its size needs (BTC 2, a penny stock 4)."""
    v = finite(value)
    if v is None:
        return "—"
    if abs(v) >= 1000:
        return f"{v:,.2f}"
    if abs(v) >= 1:
        return f"{v:.2f}"
    return f"{v:.4f}"


def direction_style(change: float | None) -> str:
    v = finite(change)
    if v is None or v == 0:
        return FLAT_STYLE
    return UP_STYLE if v > 0 else DOWN_STYLE


def arrow(change: float | None) -> str:
    v = finite(change)
    if v is None or v == 0:
        return "·"
    return "▲" if v > 0 else "▼"


def signed_change(change: float | None) -> Text:
    v = finite(change)
    if v is None:
        return Text("—", style=FLAT_STYLE, justify="right")
    return Text(f"{v:+,.2f}", style=direction_style(v), justify="right")


def signed_pct(change_pct: float | None) -> Text:
    v = finite(change_pct)
    if v is None:
        return Text("—", style=FLAT_STYLE, justify="right")
    return Text(f"{arrow(v)} {v:+.2f}%", style=direction_style(v), justify="right")


def compact(value: float | None) -> str:
    """1234 -> '1.2K', 5_600_000 -> '5.6M' (volumes, market caps)."""
    v = finite(value)
    if v is None:
        return "—"
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(v) >= limit:
            return f"{v / limit:.1f}{suffix}"
    return f"{v:.0f}"


def age(since: datetime | None, now: datetime) -> str:
    """A short age: '12s', '5m', '3h', '2d' ('—' when unknown)."""
    if since is None:
        return "—"
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
    """'5m ago' / '3h ago' for today (local), else 'Jan 26'."""
    local, local_now = _local(published, tz), _local(now, tz)
    if local.date() == local_now.date() and published <= now + timedelta(minutes=1):
        return "now" if now - published < timedelta(minutes=1) else f"{age(published, now)} ago"
    if local.year == local_now.year:
        return local.strftime("%b %d")
    return local.strftime("%Y-%m-%d")


def clock_time(t: datetime | None, tz: tzinfo | None) -> str:
    return "—" if t is None else _local(t, tz).strftime("%H:%M:%S")


def highlighted(text: str, spans: list[tuple[int, int]], style: str = "bold reverse") -> Text:
    """Plain ``text`` (never parsed as markup) with ``spans`` styled."""
    result = Text(text, no_wrap=True, overflow="ellipsis")
    for start, end in spans:
        if 0 <= start < end <= len(text):
            result.stylize(style, start, end)
    return result
