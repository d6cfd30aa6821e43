"""The quote source contract shared by the live (Yahoo) and recorded (CSV) sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from monitor.model import DailyBar, QuoteBatch, SourceStatus


@runtime_checkable
class QuoteSource(Protocol):
    #: "yfinance", or the recorded CSV's file name
    name: str

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        """One poll of all ``symbols``.

        Never raises for per-symbol or network problems: each Quote carries its
        ``status``/``error`` (model.Status) and ``price`` is None when nothing is usable.
        """
        ...

    async def history(self, symbol: str, days: int = 400) -> list[DailyBar]:
        """Daily bars of the last ``days`` calendar days before today, oldest first.

        ``[]`` when unavailable.
        """
        ...

    def source_status(self) -> SourceStatus:
        """Overall health (ok | rate_limited | unreachable | error ...), with
        ``next_try`` while backing off."""
        ...

    async def aclose(self) -> None: ...
