"""Shared pieces of the fault suite: configs, a real engine on tmp files, feeds, events.

Every test drives the real ``Engine`` in-process (real SQLite file, real HTTP on
127.0.0.1); only the clock is a ``ManualClock`` so "now" is chosen by the test.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from monitor.clock import ManualClock
from monitor.config import LoadedConfig, parse_config_text
from monitor.engine import Engine
from monitor.events import (
    AlertEvent,
    Event,
    HeadlinesEvent,
    NoticeEvent,
    QuotesEvent,
    RulesEvent,
    SourceEvent,
)
from monitor.model import Quote, QuoteBatch, SourceStatus, Status
from monitor.news.fetch import FeedFetcher

#: Monday 2025-01-27 15:00 in New York: the US regular session is open.
US_OPEN = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def config_text(
    *,
    symbols: Sequence[str] = ("NVDA",),
    feeds: Iterable[tuple[str, str]] = (),
    rules: Iterable[tuple[str, str]] = (),
    query: str = "",
    settings: str = "",
) -> str:
    lines = ["[settings]", 'notify = ["terminal"]', settings, "", "[watchlist]"]
    lines.append(f"main = [{', '.join(toml_str(s) for s in symbols)}]")
    lines += ["", "[news]", f"query = {toml_str(query)}"]
    for name, url in feeds:
        lines += ["", "[[news.feeds]]", f"name = {toml_str(name)}", f"url = {toml_str(url)}"]
    for name, when in rules:
        lines += [
            "",
            "[[alerts]]",
            f"name = {toml_str(name)}",
            f"when = {toml_str(when)}",
            'cooldown = "1s"',
        ]
    return "\n".join(lines) + "\n"


def loaded_config(tmp_path: Path, text: str) -> LoadedConfig:
    path = tmp_path / "watchlist.toml"
    path.write_text(text, encoding="utf-8")
    return LoadedConfig(parse_config_text(text, path), path, "--config")


class StaticQuotes:
    """A quote source that answers from a dict (news tests need one, not Yahoo)."""

    name = "static"

    def __init__(self, quotes: dict[str, Quote] | None = None, clock: Any = None) -> None:
        self.quotes = quotes or {}
        self.clock = clock
        self.calls = 0
        self.running = 0
        self.max_running = 0
        self.delay = 0.0
        self.fail_on: set[int] = set()

    async def fetch(self, symbols: Sequence[str]) -> QuoteBatch:
        self.calls += 1
        call = self.calls
        self.running += 1
        self.max_running = max(self.max_running, self.running)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            if call in self.fail_on:
                raise RuntimeError(f"quote source exploded on call {call}")
            now = self.clock.now() if self.clock else datetime.now(UTC)
            return QuoteBatch(
                now, {s: self.quotes.get(s, Quote(s, status=Status.NO_DATA)) for s in symbols}
            )
        finally:
            self.running -= 1

    async def history(self, symbol: str, days: int = 400) -> list[Any]:
        return []

    def source_status(self) -> SourceStatus:
        return SourceStatus(self.name, "quotes", Status.OK)

    async def aclose(self) -> None:
        pass


@dataclass
class Events:
    """Collects every engine event."""

    all: list[Event] = field(default_factory=list)

    def __call__(self, event: Event) -> None:
        self.all.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.all if isinstance(e, kind)]

    @property
    def alerts(self) -> list[Any]:
        return [e.alert for e in self.of(AlertEvent)]

    @property
    def notices(self) -> list[str]:
        return [e.message for e in self.of(NoticeEvent)]

    @property
    def headlines(self) -> list[Any]:
        return [h for e in self.of(HeadlinesEvent) for h in e.headlines]

    def sources(self, name: str) -> list[SourceStatus]:
        return [e.status for e in self.of(SourceEvent) if e.status.name == name]

    @property
    def quote_batches(self) -> list[QuoteBatch]:
        return [e.batch for e in self.of(QuotesEvent)]

    @property
    def rule_states(self) -> list[Any]:
        found = self.of(RulesEvent)
        return list(found[-1].states) if found else []

    def clear(self) -> None:
        self.all.clear()


async def open_engine(
    tmp_path: Path,
    text: str,
    *,
    clock: ManualClock,
    quote_source: Any = None,
    deadline: float = 5.0,
    max_bytes: int = 10_000_000,
    notify: bool = False,
    database: Path | None = None,
) -> tuple[Engine, Events]:
    engine = Engine(
        loaded_config(tmp_path, text),
        clock=clock,
        quote_source=quote_source or StaticQuotes(clock=clock),
        database=database or tmp_path / "m.db",
        notify=notify,
        fetcher=FeedFetcher(
            deadline=deadline, max_bytes=max_bytes, connect_timeout=2, read_timeout=deadline
        ),
    )
    events = Events()
    engine.subscribe(events)
    await engine.open()
    return engine, events


def source(engine: Engine, name: str) -> SourceStatus:
    return {s.name: s for s in engine.sources()}[name]


def quote_status(engine: Engine) -> SourceStatus:
    return next(s for s in engine.sources() if s.kind == "quotes")


def rule_state(engine: Engine, name: str) -> Any:
    return {s.name: s for s in engine.rule_states()}[name]


# ---- feeds ---------------------------------------------------------------------------


def rss_item(
    title: str,
    *,
    link: str | None = None,
    guid: str | None = None,
    date: str | None = None,
    summary: str | None = None,
    raw: bool = False,
) -> str:
    esc = (lambda s: s) if raw else (lambda s: html.escape(s, quote=False))
    parts = [f"<title>{esc(title)}</title>"]
    if link is not None:
        parts.append(f"<link>{esc(link)}</link>")
    if guid is not None:
        parts.append(f'<guid isPermaLink="false">{esc(guid)}</guid>')
    if date is not None:
        parts.append(f"<pubDate>{date}</pubDate>")
    if summary is not None:
        parts.append(f"<description>{esc(summary)}</description>")
    return "<item>" + "".join(parts) + "</item>"


def rss(items: Iterable[str], title: str = "Wire", prolog: str = "") -> bytes:
    body = "".join(items)
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel>'
        f"<title>{title}</title><link>http://example.com/</link>{body}"
        "</channel></rss>"
    ).encode()


def rfc822(t: datetime) -> str:
    return t.strftime("%a, %d %b %Y %H:%M:%S +0000")


def items(prefix: str, n: int, *, when: datetime, host: str = "example.com") -> list[str]:
    return [
        rss_item(
            f"{prefix} story number {i} about chips",
            link=f"https://{host}/{prefix}/{i}",
            guid=f"{prefix}-{i}",
            date=rfc822(when - timedelta(minutes=i)),
        )
        for i in range(n)
    ]


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Wait (bounded) for a condition on the running loop."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while not condition():
        if loop.time() >= give_up:
            return False
        await asyncio.sleep(0.02)
    return True
