"""How market values look in the panes: rich Text with colour, built on monitor.formatting.

The strings themselves (prices, percentages, ages, times) are formatted in
``monitor.formatting``; this module adds only what is the UI's own: styles and Text.
Direction is never shown by colour alone: every change carries a sign and an arrow too.
"""

from __future__ import annotations

from rich.text import Text

from monitor.formatting import arrow, finite, fixed, percent
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


def direction_style(change: float | None) -> str:
    v = finite(change)
    if v is None or v == 0:
        return FLAT_STYLE
    return UP_STYLE if v > 0 else DOWN_STYLE


def signed_change(change: float | None) -> Text:
    return Text(fixed(change, signed=True), style=direction_style(change), justify="right")


def signed_pct(change_pct: float | None) -> Text:
    v = finite(change_pct)
    if v is None:
        return Text("—", style=FLAT_STYLE, justify="right")
    return Text(f"{arrow(v)} {percent(v)}", style=direction_style(v), justify="right")


def highlighted(text: str, spans: list[tuple[int, int]], style: str = "bold reverse") -> Text:
    """Plain ``text`` (never parsed as markup) with ``spans`` styled."""
    result = Text(text, no_wrap=True, overflow="ellipsis")
    for start, end in spans:
        if 0 <= start < end <= len(text):
            result.stylize(style, start, end)
    return result
