"""The quote source contract shared by the live (Yahoo) and recorded (CSV) sources."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from monitor.model import DailyBar, Quote, QuoteBatch, SourceStatus


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


@runtime_checkable
class Confirms(Protocol):
    """A quote source that can check a suspect print (``monitor.plausibility``)."""

    async def confirm(self, symbol: str) -> Quote | None:
        """``symbol``'s price asked again at once, another way than the poll's (the live
        source: its chart).  None when there is no such answer (backing off, no
        network, a recording has nothing but its rows).  Never raises for network
        problems."""
        ...
