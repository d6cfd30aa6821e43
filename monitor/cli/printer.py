"""Engine events as plain lines or JSON lines (the CLI's `--json` format).

Every text printed here came through the sanitizer on ingest; nothing is rendered as
markup.  A closed pipe ends the printing quietly (``monitor.cli.pipes``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TextIO

from monitor import sessions
from monitor.cli import pipes
from monitor.events import (
    AlertEvent,
    Event,
    HeadlinesEvent,
    NoticeEvent,
    QuotesEvent,
    RelatedEvent,
    ReplayEndedEvent,
    SourceEvent,
)
from monitor.formatting import Zones, arrow, fixed, percent
from monitor.model import Alert, Headline, Quote, RuleState, RuleStatus, SourceStatus, Status
from monitor.notify.osc import TerminalRinger
from monitor.rules import RuleSpec


class Printer:
    """Prints engine events as plain lines or JSON lines (the `--json` format)."""

    def __init__(
        self,
        *,
        as_json: bool,
        show_all: bool,
        quiet_news: bool = False,
        out: TextIO | None = None,
        ringer: TerminalRinger | None = None,
        zones: Zones | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """``zones``: where times are shown (the config's ``times``, ``time_zone``);
        ``now``: the engine's clock, which says what "today" is (its date is left out)."""
        self.as_json = as_json
        self.zones = zones or Zones()
        self._now = now or (lambda: datetime.now(UTC))
        self.ringer = ringer  # the terminal channel's OSC notification, on a terminal only
        self.show_all = show_all
        self.quiet_news = quiet_news
        self.out = out or sys.stdout
        self._last_quote: dict[str, tuple[Any, ...]] = {}
        self._related_shown: set[tuple[str, str | None]] = set()
        self.closed = False  # the reader of ``out`` went away

    def _json(self, obj: dict[str, Any]) -> None:
        self._write(json.dumps(obj, ensure_ascii=False))

    def _line(self, text: str) -> None:
        self._write(text)

    def _write(self, line: str) -> None:
        if self.closed:
            return
        try:
            self.out.write(line + "\n")
            self.out.flush()
        except BrokenPipeError:  # the reader is gone (`| head -1`): stop printing
            self.closed = True
            if self.out is sys.stdout:
                pipes.mark_stdout_closed()

    def event(self, event: Event) -> None:
        if isinstance(event, HeadlinesEvent):
            for h in event.headlines:
                self.headline(h)
        elif isinstance(event, QuotesEvent):
            for q in event.batch.quotes.values():
                key = (q.price, q.status, q.error)
                if self._last_quote.get(q.symbol) != key:
                    self._last_quote[q.symbol] = key
                    self.quote(q)
        elif isinstance(event, SourceEvent):
            self.source(event.status)
        elif isinstance(event, AlertEvent):
            self.alert(event.alert)
        elif isinstance(event, NoticeEvent):
            self.info(event.message)
        elif isinstance(event, RelatedEvent):
            self._related(event)
        elif isinstance(event, ReplayEndedEvent):
            self.info(f"recording ended at {self._stamp(event.time)}")

    def _stamp(self, t: datetime | None, symbol: str | None = None, seconds: bool = False) -> str:
        """A time as every line shows it: 14:55 +08, with the date when not today."""
        market = sessions.market_for(symbol).tz if symbol else None
        return self.zones.stamp(t, self._now(), market=market, seconds=seconds)

    def _related(self, event: RelatedEvent) -> None:
        """Stories that became related to a live burst, each once per burst rule."""
        for h in event.headlines:
            if (h.story, h.related) not in self._related_shown:
                self.headline(h)

    def info(self, text: str) -> None:
        if self.as_json:
            self._json({"type": "notice", "message": text})
        else:
            self._line(f"-- {text}")

    def headline(self, h: Headline, *, new: bool | None = None) -> None:
        """A topic match, or a story related to a live burst (``--all``: any story);
        ``new`` overrides the headline's own mark."""
        if self.quiet_news or (not h.matched and not h.related and not self.show_all):
            return
        if h.related:
            self._related_shown.add((h.story, h.related))
        is_new = h.new if new is None else new
        if self.as_json:
            data = h.to_json()
            data["new"] = is_new
            self._json(data)
            return
        outlets = f" (+{len(h.outlets) - 1} outlets)" if len(h.outlets) > 1 else ""
        mark = "NEW " if is_new else "    "
        syms = f" [{' '.join(h.symbols)}]" if h.symbols else ""
        related = f" (related: {h.related}: {', '.join(h.related_by)})" if h.related else ""
        self._line(
            f"{mark}{self._stamp(h.published)}  {h.source}: {h.title}{outlets}{syms}{related}"
        )

    def quote(self, q: Quote) -> None:
        if self.as_json:
            self._json(q.to_json())
            return
        if q.price is None:
            self._line(f"{q.symbol:<10} {'—':>12}  {q.status.value}: {q.error or ''}")
            return
        pct = q.change_pct
        move = percent(pct, missing="n/a")
        why = f": {q.error}" if q.error else ""
        status = "" if q.status == Status.OK else f"  [{q.status.value}{why}]"
        when = f"  {self._stamp(q.as_of, q.symbol)}" if q.as_of else ""
        price = f"{q.symbol:<10} {fixed(q.price):>12} {arrow(pct)} {move:>8} {q.currency or ''}"
        self._line(f"{price}{when}{status}")

    def source(self, s: SourceStatus) -> None:
        if self.as_json:
            self._json(s.to_json())
            return
        extra = f": {s.error}" if s.error else ""
        retry = f" (next try {self._stamp(s.next_try, seconds=True)})" if s.next_try else ""
        detail = f" — {s.detail}" if s.detail else ""
        self._line(f"source {s.kind} {s.name!r}: {s.status.value}{extra}{retry}{detail}")

    def alert(self, a: Alert) -> None:
        if self.as_json:
            self._json(a.to_json())
            return
        self._line(f"ALERT [{a.severity}] {self._stamp(a.time, a.symbol)} {a.rule}: {a.message}")
        for h in a.headlines[:3]:
            self._line(f"      news: {h.get('source', '')}: {h.get('title', '')}")
        if self.ringer is not None and not self.closed:
            try:
                self.out.write(self.ringer.sequence([a]))
                self.out.flush()
            except BrokenPipeError:
                self.closed = True

    def summary(
        self, alerts: list[Alert], states: Sequence[RuleState], specs: Sequence[RuleSpec]
    ) -> None:
        per_rule = Counter(a.rule for a in alerts)
        never = {
            s.name: s.why
            for s in states
            if s.name not in per_rule and s.why and s.status == RuleStatus.NOT_EVALUATED
        }
        counts = {spec.name: per_rule.get(spec.name, 0) for spec in specs}
        obj = {"type": "summary", "alerts": len(alerts), "per_rule": counts, "not_evaluated": never}
        if self.as_json:
            self._json(obj)
            return
        self._line(f"summary: {len(alerts)} alerts")
        for name, count in counts.items():
            why = f"  (not evaluated: {never[name]})" if name in never else ""
            self._line(f"  {name}: {count}{why}")
