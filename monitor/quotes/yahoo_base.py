"""What both Yahoo sources share: the poll lock, the daily-history cache, the source
status and the quote shown for a symbol whose requests are backing off."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

from monitor import sessions
from monitor.clock import Clock
from monitor.model import DailyBar, Quote, SourceStatus, Status
from monitor.quotes.backoff import Backoff


class YahooSource:
    """Base of ``YahooQuotes`` (yfinance) and ``YahooLiveQuotes`` (our own client)."""

    name = "yfinance"

    def __init__(self, *, clock: Clock, quotes_every: float, backoff: Backoff | None) -> None:
        self._clock = clock
        self._backoff = backoff or Backoff(base=max(60.0, 2 * quotes_every))
        self._history: dict[str, tuple[date, int, list[DailyBar]]] = {}
        self._status = SourceStatus(self.name, "quotes", Status.PENDING)
        self._poll_lock = asyncio.Lock()

    def source_status(self) -> SourceStatus:
        return self._status

    async def history(self, symbol: str, days: int = 400) -> list[DailyBar]:
        market = sessions.market_for(symbol)
        now = self._clock.now()
        today = now.astimezone(market.tz).date()
        cached = self._history.get(symbol)
        if cached is None or cached[0] != today or cached[1] < days:
            if self._history_waiting(symbol, now):
                return []
            bars = await self._fetch_daily(symbol, days, market.tz)
            if bars is None:
                return []
            cached = (today, days, bars)
            self._history[symbol] = cached
        first = today - timedelta(days=days)
        return [b for b in cached[2] if first <= b.day < today]

    def _history_waiting(self, symbol: str, now: datetime) -> bool:
        """True while the daily history of ``symbol`` must not be requested."""
        return self._backoff.waiting(now)

    async def _fetch_daily(self, symbol: str, days: int, tz: Any) -> list[DailyBar] | None:
        """Daily bars of ``symbol`` (``history`` caches them per exchange day); None on
        any failure."""
        raise NotImplementedError

    def _backing_off(self, symbol: str, next_try: datetime | None = None) -> Quote:
        next_try = next_try or self._backoff.next_try
        when = next_try.isoformat(timespec="seconds") if next_try else "later"
        why = "rate limit" if self._status.status is Status.RATE_LIMITED else "unreachable"
        return Quote(
            symbol=symbol, status=Status.BACKOFF, error=f"Yahoo {why}: backing off until {when}"
        )
