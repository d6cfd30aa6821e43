"""Suspect prints: held back, checked at once, confirmed, dropped or let through.

The quote book hands every print (a quote with a price from the source) to
``Suspects.check``; the rule itself is pure (``monitor.plausibility.judge``).  A
suspect print is kept *pending*: shown marked (status ``suspect``, with the day's open,
high, low and sparkline of the last good print, not its own), neither stored nor
evaluated by rules.  Then, whichever comes first:

- the quote source's chart, fetched at once (``QuoteBook`` asks ``source.confirm``), or
  the next print, is within 2% of it: *confirmed*, it is a print like any other;
- the chart (no older than the suspect print) or the next print is plausible and
  further away: the suspect print was a glitch, *dropped*;
- two minutes pass on the engine clock with nothing confirming it: *released*, marked
  ``unverified`` in the quote and in any alert it raises (a stock halted after a real
  -60% print must still alert).  A price that is no price (not a number, not positive)
  is never released.

A print older than the pending one, or the pending print sent again, changes nothing.
A released print that still stands in the future is dated by its arrival instead.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.model import Quote, Status
from monitor.plausibility import FUTURE_SLACK, Doubt, Suspicion, confirms, judge

log = logging.getLogger(__name__)

#: how long a suspect print waits for a confirmation before it alerts anyway
CONFIRM_WAIT = timedelta(minutes=2)
#: the statuses of a print (a quote whose price is the source's latest)
PRINTS = frozenset({Status.OK, Status.STALE, Status.MARKET_CLOSED})


@dataclass(slots=True)
class Pending:
    quote: Quote  # the print as the source sent it
    suspicion: Suspicion
    since: datetime  # when the engine first saw it
    asked: bool = False  # its chart was asked for


class Suspects:
    """The pending suspect prints and the last good print of every symbol."""

    def __init__(self) -> None:
        self.pending: dict[str, Pending] = {}
        self.good: dict[str, Quote] = {}
        self._released: dict[str, Quote] = {}

    def clear(self) -> None:
        self.pending.clear()
        self.good.clear()
        self._released.clear()

    def check(
        self, quote: Quote, now: datetime, *, before: Quote | None = None, listing: bool = False
    ) -> Quote:
        """What the book keeps for ``quote``: the print itself, or it marked suspect.
        ``before``: the book's quote of the symbol until now (a last good print when
        this book has not seen one yet, e.g. restored from the store)."""
        symbol = quote.symbol
        if quote.price is None or quote.status not in PRINTS:
            return quote  # no print: a failure, or data the source itself doubts
        pending = self.pending.get(symbol)
        if pending is not None and not _newer(quote, pending.quote):
            return self._shown(pending)
        released = self._released.get(symbol)
        if released is not None and _same(quote, released):
            return dataclasses.replace(quote, unverified=True)
        self._released.pop(symbol, None)
        good = self.good.get(symbol) or _good_before(before)
        suspicion = judge(
            symbol,
            quote.price,
            quote.as_of,
            now,
            prev_close=quote.prev_close,
            last_good=good.price if good else None,
            name=quote.name,
            listing=listing,
        )
        if pending is not None and self._confirmed_by(pending, quote, suspicion):
            del self.pending[symbol]
            log.info(
                "%s: suspect print %g confirmed by the next, %g", symbol, _p(pending), quote.price
            )
            return self._good(quote)
        if suspicion is None:
            if self.pending.pop(symbol, None) is not None:
                log.info(
                    "%s: suspect print %g dropped: the next, %g, is plausible",
                    symbol,
                    _p(pending),
                    quote.price,
                )
            return self._good(quote)
        self.pending[symbol] = Pending(quote, suspicion, now)
        return self._shown(self.pending[symbol])

    @staticmethod
    def _confirmed_by(pending: Pending, quote: Quote, suspicion: Suspicion | None) -> bool:
        """The next print confirms the pending one: within 2% of it, and itself a price
        with a sane time (perhaps a move as doubtful as the pending print's)."""
        if not pending.suspicion.confirmable:
            return False
        sane = suspicion is None or suspicion.doubt is Doubt.MOVE
        return sane and confirms(quote.price, _p(pending))

    def to_ask(self, busy: set[str] | frozenset[str] = frozenset()) -> list[str]:
        """Symbols whose pending print wants its chart, each print asked once (not
        while an answer for the symbol is on its way: ``busy``)."""
        wanted = [
            s
            for s, p in self.pending.items()
            if not p.asked and p.suspicion.confirmable and s not in busy
        ]
        for symbol in wanted:
            self.pending[symbol].asked = True
        return wanted

    def answered(self, symbol: str, answer: Quote | None, now: datetime) -> Quote | None:
        """The chart's answer for ``symbol``: the quote to keep when it settles the
        pending print (confirmed: the print; refuted: the answer), else None."""
        pending = self.pending.get(symbol)
        if pending is None or answer is None or answer.price is None:
            return None
        if answer.status not in PRINTS:
            return None
        fresh = answer.as_of is None or answer.as_of <= now + FUTURE_SLACK
        if fresh and confirms(answer.price, _p(pending)):
            del self.pending[symbol]
            log.info(
                "%s: suspect print %g confirmed by its chart, %g", symbol, _p(pending), answer.price
            )
            return self._good(_dated(pending, now))
        if not _newer(answer, pending.quote, or_same=True):
            return None  # older than the suspect print: it neither confirms nor refutes
        good = self.good.get(symbol)
        doubt = judge(
            symbol,
            answer.price,
            answer.as_of,
            now,
            prev_close=answer.prev_close,
            last_good=good.price if good else None,
            name=answer.name,
        )
        if doubt is not None:
            return None
        del self.pending[symbol]
        log.info(
            "%s: suspect print %g dropped: its chart says %g", symbol, _p(pending), answer.price
        )
        return self._good(answer)

    def expired(self, now: datetime) -> dict[str, Quote]:
        """Pending prints nothing confirmed within ``CONFIRM_WAIT``, released unverified."""
        out: dict[str, Quote] = {}
        for symbol, pending in list(self.pending.items()):
            if not pending.suspicion.confirmable or now - pending.since < CONFIRM_WAIT:
                continue
            del self.pending[symbol]
            log.warning(
                "%s: suspect print %g not confirmed in %s (%s): alerting on it, unverified",
                symbol,
                _p(pending),
                CONFIRM_WAIT,
                pending.suspicion.reason,
            )
            self._released[symbol] = pending.quote
            out[symbol] = self._good(dataclasses.replace(_dated(pending, now), unverified=True))
        return out

    # ---- helpers -------------------------------------------------------------------

    def _good(self, quote: Quote) -> Quote:
        self.good[quote.symbol] = quote
        return quote

    def _shown(self, pending: Pending) -> Quote:
        """The pending print as shown: its price, marked; the day's figures of the last
        good print of the same session (never the suspect print's own)."""
        quote = pending.quote
        good = self.good.get(quote.symbol)
        day = good if good is not None and good.prev_close == quote.prev_close else None
        return dataclasses.replace(
            quote,
            status=Status.SUSPECT,
            error=f"suspect print: {pending.suspicion.reason}; checking",
            open=day.open if day else None,
            high=day.high if day else None,
            low=day.low if day else None,
            intraday=day.intraday if day else (),
            unverified=False,
        )


def _p(pending: Pending | None) -> float:
    assert pending is not None and pending.quote.price is not None
    return pending.quote.price


def _newer(quote: Quote, than: Quote, *, or_same: bool = False) -> bool:
    """``quote`` is a later print than ``than`` (not the same one sent again)."""
    if quote.as_of is None or than.as_of is None:
        return not _same(quote, than)
    if quote.as_of == than.as_of:
        return or_same or quote.price != than.price
    return quote.as_of > than.as_of


def _same(a: Quote, b: Quote) -> bool:
    return a.as_of == b.as_of and a.price == b.price


def _good_before(quote: Quote | None) -> Quote | None:
    if quote is None or quote.price is None or quote.status not in PRINTS:
        return None
    return quote


def _dated(pending: Pending, now: datetime) -> Quote:
    """The pending print, dated by its arrival when its own time is in the future."""
    quote = pending.quote
    if quote.as_of is not None and quote.as_of > now + FUTURE_SLACK:
        return dataclasses.replace(quote, as_of=pending.since)
    return quote
