"""What each CLI command does: check, once, run --headless, replay, and the app's engine.

Output is plain text or one JSON object per line.  Every text printed here came
through the sanitizer on ingest; nothing is rendered as markup.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import signal
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from monitor.config import ConfigError, LoadedConfig, load_config, load_config_file
from monitor.formatting import arrow, fixed, percent, utc_minute, utc_second
from monitor.model import (
    Alert,
    AlertEvent,
    Event,
    Headline,
    HeadlinesEvent,
    NoticeEvent,
    Quote,
    QuotesEvent,
    ReplayEndedEvent,
    SourceEvent,
    SourceStatus,
    Status,
)

EXIT_CONFIG = 2
EXIT_FATAL = 1
DEMO_DIR = Path(__file__).parent.parent / "demo"


def _load(config_arg: str | None, out: TextIO = sys.stderr) -> LoadedConfig | None:
    try:
        return load_config(config_arg)
    except ConfigError as exc:
        print(f"monitor: {exc}", file=out)
        return None


# ---- check -------------------------------------------------------------------------


def check(config_arg: str | None) -> int:
    loaded = _load(config_arg)
    if loaded is None:
        return EXIT_CONFIG
    from monitor.settings_view import SettingsView

    view = SettingsView(loaded.config)
    print(f"config: {loaded.path} ({loaded.source})")
    print(f"quote source: {view.quote_source_label(loaded.path)}")
    print(f"database: {view.database(loaded.path)}")
    print(f"symbols ({len(view.symbols)}):")
    for group, symbols in view.groups.items():
        print(f"  {group}: {', '.join(symbols)}")
    extra = [s for s in view.symbols if not any(s in g for g in view.groups.values())]
    if extra:
        print(f"  (polled for rules): {', '.join(extra)}")
    print(f"news query: {view.news_query}")
    print(f"feeds ({len(view.feeds)}):")
    for feed in view.feeds:
        flags = [] if feed.enabled else ["disabled"]
        if feed.every:
            flags.append(f"every {feed.every:g}s")
        if feed.query:
            flags.append(f"query: {feed.query}")
        suffix = f"  [{'; '.join(flags)}]" if flags else ""
        print(f"  {feed.name}: {feed.url}{suffix}")
    specs = view.rule_specs()
    print(f"rules ({len(specs)}):")
    for spec in specs:
        print(f"  {spec.name}: {spec.when}  -> {', '.join(spec.notify)}")
    return 0


# ---- once --------------------------------------------------------------------------


def once(config_arg: str | None, *, as_json: bool, show_all: bool, at: str | None) -> int:
    loaded = _load(config_arg)
    if loaded is None:
        return EXIT_CONFIG
    at_time = None
    if at:
        try:
            at_time = datetime.fromisoformat(at)
        except ValueError:
            print(f"monitor: --at: not an ISO-8601 time: {at!r}", file=sys.stderr)
            return EXIT_CONFIG
        if at_time.tzinfo is None:
            print("monitor: --at needs a UTC offset, e.g. 2025-01-27T16:00-05:00", file=sys.stderr)
            return EXIT_CONFIG
    return _run_async(_once(loaded, as_json=as_json, show_all=show_all, at=at_time))


async def _once(loaded: LoadedConfig, *, as_json: bool, show_all: bool, at: datetime | None) -> int:
    from monitor.engine import Engine

    engine = Engine(loaded, notify=False)
    printer = Printer(as_json=as_json, show_all=show_all)
    try:
        await engine.open()
        headlines = await engine.poll_news(force=True)
        if engine.is_replay:
            quotes = engine.quote_source.latest_at(at or engine.quote_source.last_time)
            await engine.process_batch(quotes, evaluate=False)
        else:
            await engine.poll_quotes()
        new_ids = {h.story for h in headlines if h.new}
        for h in await engine.current_headlines(matched_only=not show_all):
            printer.headline(dataclasses.replace(h, new=h.story in new_ids))
        for symbol in engine.symbols:
            q = engine.quotes().get(symbol)
            if q is not None and (not engine.is_replay or q.status != Status.NO_DATA):
                printer.quote(q)
        for source in engine.sources():
            printer.source(source)
        if engine.is_replay:
            missing = [
                s
                for s in engine.symbols
                if engine.quotes().get(s) is None or engine.quotes()[s].status == Status.NO_DATA
            ]
            if missing:
                printer.source(
                    SourceStatus(
                        engine.quote_source.name,
                        "quotes",
                        Status.NO_DATA,
                        error=f"not in the recorded file: {', '.join(missing)}",
                    )
                )
    finally:
        await engine.stop()
    return 0


# ---- run --headless ----------------------------------------------------------------


def run_headless(config_arg: str | None, *, as_json: bool, show_all: bool) -> int:
    loaded = _load(config_arg)
    if loaded is None:
        return EXIT_CONFIG
    return _run_async(_run_headless(loaded, as_json=as_json, show_all=show_all))


async def _run_headless(loaded: LoadedConfig, *, as_json: bool, show_all: bool) -> int:
    from monitor.engine import Engine

    engine = Engine(loaded)
    printer = Printer(as_json=as_json, show_all=show_all)
    engine.subscribe(printer.event)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await engine.start()
        printer.info(
            f"watching {len(engine.symbols)} symbols and {len(engine.view.feeds)} feeds "
            f"(config: {loaded.path}); Ctrl-C to stop"
        )
        await stop.wait()
    finally:
        await engine.stop()
    return 0


# ---- replay ------------------------------------------------------------------------


def replay(
    quotes: Path,
    *,
    news: list[Path],
    config_arg: str | None,
    history: Path | None,
    as_json: bool,
    notify: bool,
) -> int:
    loaded = _load(config_arg)
    if loaded is None:
        return EXIT_CONFIG
    for path in [quotes, *news, *([history] if history else [])]:
        if not path.is_file():
            print(f"monitor: no such file: {path}", file=sys.stderr)
            return EXIT_CONFIG
    return _run_async(
        _replay(loaded, quotes, news=news, history=history, as_json=as_json, notify=notify)
    )


async def _replay(
    loaded: LoadedConfig,
    quotes: Path,
    *,
    news: list[Path],
    history: Path | None,
    as_json: bool,
    notify: bool,
) -> int:
    from monitor.engine import Engine
    from monitor.quotes.recorded import RecordedQuotes, RecordedQuotesError
    from monitor.settings_view import SettingsView

    view = SettingsView(loaded.config)
    try:
        source = RecordedQuotes(quotes, clock=None, daily_history=history)
    except RecordedQuotesError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    alerts: list[Alert] = []
    printer = Printer(as_json=as_json, show_all=False, quiet_news=True)
    with tempfile.TemporaryDirectory(prefix="monitor-replay-") as tmp:
        engine = Engine(
            loaded,
            quote_source=source,
            clock=view.replay_clock(source),
            recorded_feeds=news,
            database=Path(tmp) / "replay.db",
            notify=notify,
            history_file=history,
        )

        def on_event(event: Event) -> None:
            if isinstance(event, AlertEvent):
                alerts.append(event.alert)
                printer.alert(event.alert)

        engine.subscribe(on_event)
        try:
            await engine.open()
            await engine._load_history()
            await engine.run_replay()
            states = engine.rule_states()
        finally:
            await engine.stop()
    printer.summary(alerts, states, engine.view.rule_specs())
    return 0


# ---- the app's engine --------------------------------------------------------------


async def make_engine_for_app(config_arg: str | None, *, demo: bool = False) -> Any:
    """Build and open the engine for the Textual app (heavy imports happen here)."""
    from monitor.engine import Engine

    if demo:
        loaded = await asyncio.to_thread(
            load_config_file, DEMO_DIR / "watchlist.toml", "bundled demo"
        )
        tmp = Path(tempfile.mkdtemp(prefix="monitor-demo-"))
        engine = Engine(
            loaded,
            recorded_feeds=[DEMO_DIR / "news.xml"],
            database=tmp / "demo.db",
            history_file=DEMO_DIR / "history.csv",
        )
    else:
        loaded = await asyncio.to_thread(load_config, config_arg)
        engine = Engine(loaded)
    await engine.open()
    return engine


def _run_async(coro: Any) -> int:
    from monitor.quotes.recorded import RecordedQuotesError
    from monitor.store import StoreLocked

    try:
        return asyncio.run(coro)
    except StoreLocked as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except RecordedQuotesError as exc:  # quote_source names a bad recorded CSV
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


# ---- printing ----------------------------------------------------------------------


class Printer:
    """Prints engine events as plain lines or JSON lines (the `--json` format)."""

    def __init__(
        self, *, as_json: bool, show_all: bool, quiet_news: bool = False, out: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.show_all = show_all
        self.quiet_news = quiet_news
        self.out = out or sys.stdout
        self._last_quote: dict[str, tuple[Any, ...]] = {}

    def _json(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        self.out.flush()

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

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
        elif isinstance(event, ReplayEndedEvent):
            self.info(f"recording ended at {event.time.isoformat()}")

    def info(self, text: str) -> None:
        if self.as_json:
            self._json({"type": "notice", "message": text})
        else:
            self._line(f"-- {text}")

    def headline(self, h: Headline) -> None:
        if self.quiet_news or (not h.matched and not self.show_all):
            return
        if self.as_json:
            self._json(h.to_json())
            return
        outlets = f" (+{len(h.outlets) - 1} outlets)" if len(h.outlets) > 1 else ""
        mark = "NEW " if h.new else "    "
        syms = f" [{' '.join(h.symbols)}]" if h.symbols else ""
        self._line(f"{mark}{utc_minute(h.published)}  {h.source}: {h.title}{outlets}{syms}")

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
        when = f"  {utc_minute(q.as_of)}" if q.as_of else ""
        price = f"{q.symbol:<10} {fixed(q.price):>12} {arrow(pct)} {move:>8} {q.currency or ''}"
        self._line(f"{price}{when}{status}")

    def source(self, s: SourceStatus) -> None:
        if self.as_json:
            self._json(s.to_json())
            return
        extra = f": {s.error}" if s.error else ""
        retry = f" (next try {utc_second(s.next_try)})" if s.next_try else ""
        detail = f" — {s.detail}" if s.detail else ""
        self._line(f"source {s.kind} {s.name!r}: {s.status.value}{extra}{retry}{detail}")

    def alert(self, a: Alert) -> None:
        if self.as_json:
            self._json(a.to_json())
            return
        self._line(f"ALERT [{a.severity}] {utc_minute(a.time)} {a.rule}: {a.message}")
        for h in a.headlines[:3]:
            self._line(f"      news: {h.get('source', '')}: {h.get('title', '')}")

    def summary(self, alerts: list[Alert], states: list[Any], specs: list[Any]) -> None:
        per_rule = Counter(a.rule for a in alerts)
        never = {
            s.name: s.why
            for s in states
            if s.name not in per_rule and s.why and str(s.status) == "not_evaluated"
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
