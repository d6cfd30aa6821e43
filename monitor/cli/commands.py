"""What each CLI command does: check, once, run --headless, replay, and the app's engine.

Output is plain text or one JSON object per line (``monitor.cli.printer``).  This module
is imported only when a command runs (``monitor.cli.main`` keeps the start light).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
from collections.abc import Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from monitor.cli import pipes, trust_cmd
from monitor.cli.printer import Printer
from monitor.config import ConfigError, LoadedConfig, load_config, load_config_file
from monitor.engine import Engine, EngineSettings, build
from monitor.events import AlertEvent, Event
from monitor.model import Alert, SourceStatus, Status
from monitor.notify.osc import TerminalRinger, passthrough_notice
from monitor.quotes.recorded import RecordedQuotes, RecordedQuotesError
from monitor.store import StoreError
from monitor.text import visible

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
    view = EngineSettings.from_config(loaded.config)
    _say(f"config: {loaded.path} ({loaded.source})")
    _say(f"quote source: {view.quote_source_label}")
    _say(f"database: {view.database}")
    _say(f"symbols ({len(view.symbols)}):")
    for group, symbols in view.groups.items():
        _say(f"  {group}: {', '.join(symbols)}")
    extra = [s for s in view.symbols if not any(s in g for g in view.groups.values())]
    if extra:
        _say(f"  (polled for rules): {', '.join(extra)}")
    _say(f"news query: {view.news_query}")
    _say(f"feeds ({len(view.feeds)}):")
    for feed in view.feeds:
        flags = [] if feed.enabled else ["disabled"]
        if feed.every:
            flags.append(f"every {feed.every:g}s")
        if feed.query:
            flags.append(f"query: {feed.query}")
        suffix = f"  [{'; '.join(flags)}]" if flags else ""
        _say(f"  {feed.name}: {feed.where}{suffix}")
    specs = view.rule_specs
    _say(f"rules ({len(specs)}):")
    for spec in specs:
        _say(f"  {spec.name}: {spec.when}  -> {', '.join(spec.notify)}")
    if programs := trust_cmd.programs_line(loaded):
        _say(programs)
    return 0


def _say(line: str) -> None:
    """A line of ``check``: the config's own text, any character a terminal would act on
    written out (the loader refuses them; this is the last word at the output)."""
    print("\n".join(visible(part) for part in line.split("\n")))


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
    engine = Engine(loaded, notify=False)
    printer = Printer(as_json=as_json, show_all=show_all, **_times(engine))
    try:
        await engine.open()
        headlines = await engine.poll_news(force=True)
        if engine.is_replay:
            await engine.show_recorded_at(at)
        else:
            await engine.poll_quotes()
        new_ids = {h.story for h in headlines if h.new}
        for h in await engine.shown_headlines(show_all=show_all):  # as the screen marks them
            printer.headline(h, new=h.story in new_ids)
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
                        engine.quote_source_name,
                        "quotes",
                        Status.NO_DATA,
                        error=f"not in the recorded file: {', '.join(missing)}",
                    )
                )
    finally:
        await engine.stop()
    return 0


def _times(engine: Engine) -> dict[str, Any]:
    """The printer's zones and "today" (the engine's clock: the recording's time in a
    replay) from the config."""
    return {"zones": engine.app_settings.zones(), "now": engine.clock.now}


# ---- run --headless ----------------------------------------------------------------


def run_headless(config_arg: str | None, *, as_json: bool, show_all: bool) -> int:
    loaded = _load(config_arg)
    if loaded is None:
        return EXIT_CONFIG
    return _run_async(_run_headless(loaded, as_json=as_json, show_all=show_all))


async def _run_headless(loaded: LoadedConfig, *, as_json: bool, show_all: bool) -> int:
    engine = Engine(loaded)
    # the "terminal" channel on a terminal: an OSC notification after each alert's line
    on_tty = sys.stdout.isatty() and not as_json
    ringer = TerminalRinger(engine.app_settings.terminal_notifications) if on_tty else None
    printer = Printer(as_json=as_json, show_all=show_all, ringer=ringer, **_times(engine))
    engine.subscribe(printer.event)
    if ringer is not None and (notice := passthrough_notice(ringer.protocol, os.environ)):
        printer.info(notice)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    pipes.on_stdout_closed(stop.set)  # `run --headless | head -1` ends too
    try:
        await engine.start()
        printer.info(
            f"watching {len(engine.symbols)} symbols and {len(engine.settings.feeds)} feeds "
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
    view = EngineSettings.from_config(loaded.config)
    try:
        source = RecordedQuotes(quotes, clock=None, daily_history=history)
    except RecordedQuotesError as exc:
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    alerts: list[Alert] = []
    # every line dated (the replay's clock is the data's, which is always "today")
    zones = loaded.config.settings.zones()
    printer = Printer(as_json=as_json, show_all=False, quiet_news=True, zones=zones)
    with tempfile.TemporaryDirectory(prefix="monitor-replay-") as tmp:
        engine = Engine(
            loaded,
            quote_source=source,
            clock=build.replay_clock(view, source),
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
            await engine.load_history()
            await engine.run_replay()
            states = engine.rule_states()
        finally:
            await engine.stop()
    printer.summary(alerts, states, engine.settings.rule_specs)
    return 0


# ---- the app's engine --------------------------------------------------------------


async def make_engine_for_app(
    config_arg: str | None, *, demo: bool = False, speed: float | None = None
) -> Engine:
    """Build and open the engine for the Textual app (heavy imports happen here);
    ``speed``: the demo's playback speed instead of its config's."""
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
        if speed is not None:
            engine.replay.set_speed(speed)
    else:
        loaded = await asyncio.to_thread(load_config, config_arg)
        engine = Engine(loaded)
    await engine.open()
    return engine


def _run_async(coro: Coroutine[Any, Any, int]) -> int:
    try:
        return asyncio.run(coro)
    except StoreError as exc:  # locked by another monitor, or cannot be opened: one line
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_FATAL
    except RecordedQuotesError as exc:  # quote_source names a bad recorded CSV
        print(f"monitor: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
