"""Plain data shared by every layer: quotes, headlines, source health, alerts, events.

Nothing here does I/O or imports a UI toolkit.  Every datetime is timezone-aware (UTC
unless stated).  Objects travel: source -> model object -> store -> engine -> event ->
(CLI printer | Textual message) -> widget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from monitor.frozen import fast_init


class Status(StrEnum):
    """The one status vocabulary used in JSON output, the app and logs."""

    PENDING = "pending"  # not polled yet
    OK = "ok"
    STALE = "stale"
    RATE_LIMITED = "rate_limited"
    BACKOFF = "backoff"
    TIMEOUT = "timeout"
    UNREACHABLE = "unreachable"
    NOT_MODIFIED = "not_modified"
    UNKNOWN_SYMBOL = "unknown_symbol"
    NO_DATA = "no_data"
    MARKET_CLOSED = "market_closed"
    SUSPECT = "suspect"
    GONE = "gone"
    DISABLED = "disabled"
    ERROR = "error"


#: Statuses under which a quote's numbers are usable for display (perhaps marked).
DISPLAYABLE = frozenset({Status.OK, Status.STALE, Status.MARKET_CLOSED, Status.SUSPECT})


class Severity(StrEnum):
    """How loud an alert is.  Members compare equal to their names ("critical")."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """info 0 < warning 1 < critical 2: the worst of many alerts has the top rank."""
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def of(cls, name: str) -> Severity:
        """The severity called ``name`` (any case); an unknown name reads as a warning."""
        try:
            return cls(name.lower())
        except ValueError:
            return cls.WARNING


_SEVERITY_ORDER = tuple(Severity)


class MarketState(StrEnum):
    PRE = "pre"
    REGULAR = "regular"
    POST = "post"
    CLOSED = "closed"


def _finite(x: float | None) -> float | None:
    if x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@dataclass(frozen=True, slots=True)
class Quote:
    """One symbol's quote as known at ``as_of`` (the data's own timestamp).

    ``open``/``high``/``low``/``volume`` are the day's values so far.  Prices are in
    ``currency`` as the exchange quotes them (``GBp`` = pence; see ``price_in_major``).
    """

    symbol: str
    price: float | None = None
    prev_close: float | None = None
    open: float | None = None
    high: float | None = None
    low: float | None = None
    volume: float | None = None
    currency: str | None = None
    market_state: MarketState | None = None
    as_of: datetime | None = None
    status: Status = Status.OK
    error: str | None = None
    name: str | None = None
    shares_outstanding: float | None = None
    #: recent prices of the day (oldest first) for sparklines; may be empty
    intraday: tuple[float, ...] = ()
    #: a suspect print nothing confirmed within two minutes, alerted on anyway
    #: (monitor/plausibility.py); shown and alerted marked "unverified"
    unverified: bool = False

    @property
    def change(self) -> float | None:
        p, c = _finite(self.price), _finite(self.prev_close)
        if p is None or c is None:
            return None
        return p - c

    @property
    def change_pct(self) -> float | None:
        p, c = _finite(self.price), _finite(self.prev_close)
        if p is None or c is None or c == 0:
            return None
        return (p / c - 1.0) * 100.0

    @property
    def open_pct(self) -> float | None:
        p, o = _finite(self.price), _finite(self.open)
        if p is None or o is None or o == 0:
            return None
        return (p / o - 1.0) * 100.0

    @property
    def drawdown_pct(self) -> float | None:
        """Fall from the day's high, in percent (positive when below the high)."""
        p, h = _finite(self.price), _finite(self.high)
        if p is None or h is None or h == 0:
            return None
        return max(0.0, (1.0 - p / max(h, p)) * 100.0)

    @property
    def usable(self) -> bool:
        return self.status in DISPLAYABLE and _finite(self.price) is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "quote",
            "symbol": self.symbol,
            "price": _finite(self.price),
            "open": _finite(self.open),
            "prev_close": _finite(self.prev_close),
            "change": _round(self.change),
            "change_pct": _round(self.change_pct),
            "high": _finite(self.high),
            "low": _finite(self.low),
            "volume": _finite(self.volume),
            "currency": self.currency,
            "market_state": self.market_state.value if self.market_state else None,
            "as_of": iso(self.as_of),
            "status": self.status.value,
            "error": self.error,
            "unverified": self.unverified,
        }


def _round(x: float | None, nd: int = 4) -> float | None:
    return None if x is None else round(x, nd)


def iso(t: datetime | None) -> str | None:
    """ISO-8601 in UTC with a ``Z``-free ``+00:00`` offset, or None."""
    if t is None:
        return None
    from datetime import UTC

    return t.astimezone(UTC).isoformat()


def known_volume(symbol: str, volume: float | None) -> float | None:
    """None when unknown: missing, or an index's 0 (an index trades no shares itself)."""
    return None if volume is None or (volume == 0 and symbol.startswith("^")) else volume


@dataclass(frozen=True, slots=True)
class DailyBar:
    """One session of daily history (for volume_x, streaks, 'largest drop since')."""

    day: date
    open: float | None
    high: float | None
    low: float | None
    close: float
    volume: float | None = None


@dataclass(frozen=True, slots=True)
class QuoteBatch:
    """All quotes of one poll (or all recorded rows sharing one ``time``).

    Rules are evaluated once per batch, never on a half-updated watchlist.
    """

    time: datetime
    quotes: dict[str, Quote]


@fast_init
@dataclass(frozen=True, slots=True)
class Outlet:
    source: str
    link: str | None
    published: datetime
    domain: str | None = None  # the outlet's ("reuters.com"), whatever host ``link`` has

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "domain": self.domain,
            "link": self.link,
            "published": iso(self.published),
        }

    @property
    def is_own_link(self) -> bool:
        """``link`` leads to the outlet's own site (not through an aggregator)."""
        if not self.link or not self.domain:
            return False
        try:
            host = (urlsplit(self.link).hostname or "").lower()
        except ValueError:
            return False
        return host == self.domain or host.endswith("." + self.domain)


@fast_init
@dataclass(frozen=True, slots=True)
class Headline:
    """A story as shown: its first-seen entry plus every outlet that carried it."""

    story: str  # stable id shared by the same story across outlets
    title: str
    link: str | None
    source: str
    feed: str
    published: datetime
    first_seen: datetime
    summary: str = ""
    matched: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()
    outlets: tuple[Outlet, ...] = ()
    new: bool = False
    #: a stored topic match nobody has read yet (read marks persist in the store)
    unread: bool = False
    domain: str | None = None  # the outlet's domain, also behind a Google News redirect
    #: the burst rule this story is related to while that burst is live (it does not
    #: match the topic but mentions a watched symbol or the burst's vocabulary)
    related: str | None = None
    related_by: tuple[str, ...] = ()  # what ties it: symbols, or the burst's words

    @property
    def open_link(self) -> str | None:
        """The link to open: an outlet's own where a feed gave one (a Google News
        link is a redirect through news.google.com), else the story's link."""
        own = [o.link for o in self.outlets if o.is_own_link and o.link]
        if self.link in own or not own:
            return self.link
        return own[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "headline",
            "title": self.title,
            "link": self.link,
            "source": self.source,
            "domain": self.domain,
            "feed": self.feed,
            "published": iso(self.published),
            "matched": list(self.matched),
            "symbols": list(self.symbols),
            "story": self.story,
            "outlets": [o.to_json() for o in self.outlets],
            "new": self.new,
            "related": self.related,
            "related_by": list(self.related_by),
        }


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """Health of one source: a feed (by its configured name) or the quote source."""

    name: str
    kind: str  # "feed" | "quotes"
    status: Status
    error: str | None = None
    next_try: datetime | None = None
    last_ok: datetime | None = None
    last_poll: datetime | None = None
    detail: str | None = None  # e.g. the new URL after a permanent redirect

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "source",
            "name": self.name,
            "kind": self.kind,
            "status": self.status.value,
            "error": self.error,
            "next_try": iso(self.next_try),
        }


@dataclass(frozen=True, slots=True)
class FeedCounts:
    """What is stored of one feed (the per-feed view): stories its entries carried,
    how many match the topic query, and how many of those are unread."""

    stories: int
    matched: int
    unread: int


@dataclass(frozen=True, slots=True)
class Alert:
    """A fired rule, as logged, printed, notified and stored."""

    rule: str
    time: datetime  # the data time that triggered it
    message: str
    severity: Severity = Severity.WARNING
    symbol: str | None = None
    symbols: tuple[str, ...] = ()
    value: float | None = None
    threshold: float | None = None
    level: int | None = None  # escalation tier (0-based) when the rule has levels
    context: dict[str, Any] = field(default_factory=dict)
    headlines: tuple[dict[str, Any], ...] = ()
    notify: tuple[str, ...] = ()
    id: int | None = None
    acknowledged: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "type": "alert",
            "rule": self.rule,
            "symbol": self.symbol,
            "symbols": list(self.symbols),
            "time": iso(self.time),
            "value": _round(self.value),
            "threshold": self.threshold,
            "level": None if self.level is None else self.level + 1,  # "level 1 of 3"
            # an alert stored by an earlier version keeps the list of thresholds
            "levels": len(n) if isinstance(n := self.context.get("levels"), list) else n,
            "severity": self.severity,
            "message": self.message,
            "context": self.context,
            "headlines": list(self.headlines),
            "unverified": bool(self.context.get("unverified")),
        }


class RuleStatus(StrEnum):
    ARMED = "armed"
    FIRED = "fired"  # condition holds and has fired; waits to be false again (re-arm)
    COOLING = "cooling"  # re-armed but inside its cooldown
    SNOOZED = "snoozed"
    MUTED = "muted"
    NOT_EVALUATED = "not_evaluated"  # see ``why``
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class RuleState:
    """A rule's live state, as the Alerts pane and ``monitor check`` show it."""

    name: str
    when: str
    status: RuleStatus
    severity: Severity = Severity.WARNING
    value: float | None = None  # current value of the rule's main measure
    threshold: float | None = None  # the threshold (current tier when levels are set)
    why: str | None = None  # why not evaluated ("NVDA: stale quote", ...)
    fired_at: datetime | None = None
    until: datetime | None = None  # snoozed/cooling until
    level: int | None = None  # highest tier fired so far (levels)
    symbol: str | None = None  # its main measure's: times read in that exchange's zone
