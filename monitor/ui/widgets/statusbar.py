"""The status bar: source health, last poll, notifications, config file, mode."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.notifications import SeverityLevel
from textual.widgets import Static

from monitor.formatting import Zones
from monitor.model import SourceStatus, Status
from monitor.ui.messages import ConfigReloaded, QuotesArrived, SourceChanged
from monitor.ui.widgets.format import STATUS_WORDS

if TYPE_CHECKING:
    from monitor.ui.engine_api import EngineAPI

#: the config source of the bundled demo (a recording of the user's own is not "DEMO")
DEMO_SOURCE = "bundled demo"
HEALTHY = {Status.OK, Status.NOT_MODIFIED, Status.PENDING, Status.MARKET_CLOSED}


def source_health(source: SourceStatus, now: datetime, zones: Zones) -> Text:
    """'Reuters: backing off until 10:15:00 EST', 'quotes: rate-limited, retry in 42s'…"""
    words = health_words(source, now, zones)
    style = "green" if source.status in HEALTHY else "bold yellow"
    mark = "" if source.status in HEALTHY else "⚠ "
    return Text.assemble((f"{mark}{source.name}: ", style), (words, style))


def health_words(source: SourceStatus, now: datetime, zones: Zones) -> str:
    """'ok', 'backing off until 10:15:00 EST', 'error: HTTP 503'…"""
    status = source.status
    if status == Status.OK:
        return "ok"
    if status == Status.RATE_LIMITED and source.next_try is not None:
        wait = max(0, int((source.next_try - now).total_seconds()))
        return f"rate-limited, retry in {wait}s"
    if status == Status.BACKOFF and source.next_try is not None:
        return f"backing off until {zones.stamp(source.next_try, now, seconds=True)}"
    if status in (Status.ERROR, Status.UNREACHABLE, Status.TIMEOUT) and source.error:
        return f"{STATUS_WORDS.get(status, status.value)}: {source.error}"
    return STATUS_WORDS.get(status, status.value)


def refresh_outcome(
    sources: Iterable[SourceStatus], now: datetime, zones: Zones
) -> tuple[str, SeverityLevel]:
    """What a refresh (`r`) came to: every source answered, or which did not and why."""
    sources = list(sources)
    failed = [s for s in sources if s.status not in HEALTHY]
    if not failed:
        return (
            f"Refreshed: {len(sources)} source{'s' if len(sources) != 1 else ''} ok",
            "information",
        )
    words = "; ".join(source_health(s, now, zones).plain for s in failed[:3])
    more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
    return f"Refreshed: {len(failed)} of {len(sources)} sources failed — {words}{more}", "warning"


class StatusBar(Static):
    """Two lines, rebuilt from plain state once a second (cheap: a few Text objects)."""

    def __init__(self) -> None:
        super().__init__(id="status-bar")
        self.sources: dict[str, SourceStatus] = {}
        self.desktop: tuple[bool | None, str] = (None, "")
        self._last_render: tuple[str, tuple[object, ...]] | None = None
        self.config_path: Path | None = None
        self.config_source = ""
        self.config_error: str | None = None
        self.paused = False
        self.replay = False
        self.speed: float | None = None  # a replay's speed (recorded s per real s)
        self.now = datetime.now(UTC)
        self.zones = Zones()
        self.message = "starting…"

    def attach(self, engine: EngineAPI, zones: Zones) -> None:
        """What the engine already knows: its config file, mode and sources."""
        self.zones = zones
        self.config_path, self.config_source = engine.config_path, engine.config_source
        self.replay, self.paused = engine.is_replay, engine.paused
        self.speed = engine.replay.speed if engine.is_replay else None
        self.message = "waiting for sources…"
        for source in engine.sources():
            self.set_source(source)
        self.tick(engine)

    def tick(self, engine: EngineAPI | None) -> None:
        """Once a second: the clock, pause state and desktop notifications."""
        if engine is None:
            self.now = datetime.now(UTC)
        else:
            self.now, self.paused = engine.clock.now(), engine.paused
            self.desktop = engine.desktop_status
            for source in engine.sources():  # each poll's time, not only status changes
                self.set_source(source)
            if self.replay:
                self.speed = engine.replay.speed
        self.render_status()

    def on_quotes_arrived(self, message: QuotesArrived) -> None:
        """A replay's clock moves on with the quotes it plays, not a second later: the
        prices shown are never newer than the time beside them (at x200 a second is
        more than three recorded minutes)."""
        if self.replay and message.batch.time > self.now:
            self.now = message.batch.time
            self.render_status()

    def set_source(self, source: SourceStatus) -> None:
        self.sources[source.name] = source

    def on_source_changed(self, message: SourceChanged) -> None:
        self.set_source(message.status)
        self.render_status()

    def on_config_reloaded(self, message: ConfigReloaded) -> None:
        self.config_error = message.error
        self.render_status()

    def render_status(self) -> None:
        text = Text("\n").join([self._first_line(), self._second_line()])
        text.no_wrap, text.overflow = True, "ellipsis"
        key = (text.plain, tuple(text.spans))
        if key != self._last_render:  # a repaint a second for nothing is the idle cost
            self._last_render = key
            self.update(text, layout=False)  # two lines, full width: no layout pass

    def _first_line(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis")
        if self.replay:  # the recording's own time, dated
            mode = "DEMO — replay" if self.config_source == DEMO_SOURCE else "REPLAY"
            clock = self.zones.stamp(self.now, seconds=True)
            line.append(f" {mode} {clock} ", style="bold reverse magenta")
            if self.speed is not None:
                line.append(f" ×{self.speed:g} (+/-) ", style="bold magenta")
        else:
            # minutes, not seconds: a clock ticking each second repaints the bar each second
            line.append(self.zones.stamp(self.now, self.now), style="bold")
        line.append(" ")
        if self.paused:
            line.append(" PAUSED ", style="bold reverse yellow")
            line.append(" ")
        if not self.sources:
            line.append(self.message, style="dim")
            return line
        feeds = [s for s in self.sources.values() if s.kind == "feed"]
        healthy = [s for s in feeds if s.status in HEALTHY]
        if feeds:
            line.append(f"feeds {len(healthy)}/{len(feeds)} ok", style="green" if
                        len(healthy) == len(feeds) else "bold yellow")  # fmt: skip
        for source in self.sources.values():
            if source.kind != "feed" or source.status not in HEALTHY:
                line.append(" · ", style="dim")
                line.append_text(source_health(source, self.now, self.zones))
        return line

    def _second_line(self) -> Text:
        line = Text(no_wrap=True, overflow="ellipsis", style="dim")
        polls = [s.last_poll for s in self.sources.values() if s.last_poll is not None]
        last = self.zones.stamp(max(polls), self.now, seconds=True) if polls else "—"
        line.append(f"last poll {last}")
        available, words = self.desktop
        mark = {True: "on", False: "off", None: "checking"}[available]
        line.append(f" · desktop notifications {mark}")
        if words and available is not True:
            line.append(f" ({words})")
        if self.config_error:
            line.append(" · ", style="dim")
            line.append(f"⚠ config not reloaded: {self.config_error}", style="bold red")
        elif self.config_path is not None:
            source = f" ({self.config_source})" if self.config_source else ""
            line.append(f" · config {self.config_path}{source}")
        return line
