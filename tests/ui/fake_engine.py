"""A stand-in for monitor.engine.Engine with canned model objects and a ManualClock.

It implements the engine's interface as the app uses it, records every call the app
makes (``calls``), and lets a test push events (``emit``) as the engine would.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from monitor.clock import ManualClock
from monitor.config import Settings, parse_config_text
from monitor.events import Event
from monitor.model import (
    Alert,
    DailyBar,
    FeedCounts,
    Headline,
    MarketState,
    Outlet,
    Quote,
    RuleState,
    RuleStatus,
    SourceStatus,
    Status,
)

#: 10:05 in New York on the demo day
NOW = datetime(2025, 1, 27, 15, 5, tzinfo=UTC)
MARKUP_TITLE = "[bold]DeepSeek[/bold] [link=https://evil.example]R1[/link] [@click=app.quit]quit[/]"


def _ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def _curve(start: float, end: float, points: int = 40) -> tuple[float, ...]:
    # a deterministic wobbly path from start to end, so sparklines have a shape
    step = (end - start) / (points - 1)
    return tuple(round(start + step * i + (0.6 if i % 5 == 2 else 0.0) * step * 3, 4)
                 for i in range(points))  # fmt: skip


def canned_quotes() -> dict[str, Quote]:
    base = dict(as_of=_ago(0.2), market_state=MarketState.REGULAR, currency="USD")
    return {
        "NVDA": Quote("NVDA", price=118.42, prev_close=142.62, open=124.8, high=128.4,
                      low=116.25, volume=8.21e8, intraday=_curve(124.8, 118.42),
                      name="NVIDIA Corp", **base),  # type: ignore[arg-type]
        "AVGO": Quote("AVGO", price=208.1, prev_close=241.0, open=221.0, high=222.9,
                      low=205.6, volume=1.2e8, intraday=_curve(221.0, 208.1),
                      **base),  # type: ignore[arg-type]
        "MSFT": Quote("MSFT", price=434.56, prev_close=429.0, open=424.0, high=437.3,
                      low=424.0, volume=3.4e7, intraday=_curve(424.0, 434.56),
                      **base),  # type: ignore[arg-type]
        "^SOX": Quote("^SOX", price=4787.12, prev_close=5246.0, open=5000.0, high=5010.0,
                      low=4760.0, volume=None, intraday=_curve(5000.0, 4787.12),
                      status=Status.STALE, as_of=_ago(25), market_state=MarketState.REGULAR,
                      currency="USD"),
        "300766.SZ": Quote("300766.SZ", price=30.36, prev_close=25.30, open=26.0, high=30.36,
                           low=25.9, volume=6.6e7, intraday=_curve(26.0, 30.36),
                           as_of=_ago(300), market_state=MarketState.CLOSED,
                           status=Status.MARKET_CLOSED, currency="CNY"),
        # read at Hong Kong's close, when it was open; at NOW (10:05 New York) it is shut
        "9988.HK": Quote("9988.HK", price=98.0, prev_close=95.1, open=95.5, high=99.2,
                         low=95.0, volume=4.1e7, intraday=_curve(95.5, 98.0),
                         as_of=_ago(60 * 7 + 5), market_state=MarketState.REGULAR,
                         currency="HKD"),
        "BTC-USD": Quote("BTC-USD", price=98250.0, prev_close=102100.0, open=102000.0,
                         high=102400.0, low=97800.0, volume=6.1e10,
                         intraday=_curve(102000.0, 98250.0), as_of=_ago(1),
                         market_state=MarketState.REGULAR, currency="USD"),
    }  # fmt: skip


def canned_headlines() -> list[Headline]:
    def outlet(source: str, link: str, minutes: float) -> Outlet:
        return Outlet(source, link, _ago(minutes))

    return [
        Headline(
            story="s1", title="DeepSeek R1 sends Nvidia down 17% as AI spending doubts grow",
            link="https://www.reuters.com/technology/deepseek-nvidia", source="Reuters",
            feed="reuters", published=_ago(5), first_seen=_ago(4),
            summary="Chip stocks fell sharply after the Chinese start-up's cheap model.",
            matched=("DeepSeek",), symbols=("NVDA", "^SOX"), new=True,
            outlets=(outlet("Reuters", "https://www.reuters.com/technology/deepseek-nvidia", 5),
                     outlet("CNBC", "https://www.cnbc.com/deepseek", 4),
                     outlet("Bloomberg", "https://www.bloomberg.com/deepseek", 3),
                     outlet("FT", "https://www.ft.com/deepseek", 2)),
        ),
        Headline(
            story="s2", title=MARKUP_TITLE, link="javascript:alert(1)", source="Odd Feed",
            feed="odd", published=_ago(20), first_seen=_ago(19),
            summary="[red]not red[/red] and [@click=app.quit]not a button[/]",
            matched=("DeepSeek",), new=True,
        ),
        Headline(
            story="s3", title="Broadcom slides with chip peers on DeepSeek worries",
            link="https://www.cnbc.com/broadcom", source="CNBC", feed="cnbc",
            published=_ago(45), first_seen=_ago(44), matched=("DeepSeek",),
            symbols=("AVGO",), new=False,
        ),
        Headline(
            story="s4", title="Microsoft says it will keep spending $80bn on AI data centres",
            link="https://www.ft.com/msft", source="FT", feed="ft",
            published=_ago(60 * 26), first_seen=_ago(60 * 26), symbols=("MSFT",), new=True,
        ),
        Headline(
            story="s5", title="DeepSeek app tops the App Store in the US",
            link="https://www.cnbc.com/deepseek-app", source="CNBC", feed="cnbc",
            published=_ago(60 * 27), first_seen=_ago(60 * 27), matched=("DeepSeek",),
            new=True,
        ),
    ]  # fmt: skip


def canned_rules() -> list[RuleState]:
    return [
        RuleState("nvda-drop", "NVDA.change_pct <= -5", RuleStatus.FIRED, "critical",
                  value=-16.97, threshold=-5.0, fired_at=_ago(3)),
        RuleState("sox-drop", "^SOX.change_pct <= -3", RuleStatus.NOT_EVALUATED,
                  why="^SOX: stale quote"),
        RuleState("btc-100k", "BTC-USD.price < 100000", RuleStatus.ARMED, "info",
                  value=98250.0, threshold=100000.0),
    ]  # fmt: skip


def canned_alerts() -> list[Alert]:
    return [
        Alert(
            "nvda-drop",
            _ago(3),
            "NVDA -16.97% (below -5%)",
            "critical",
            symbol="NVDA",
            value=-16.97,
            threshold=-5.0,
            id=7,
        ),
        Alert(
            "avgo-drop",
            _ago(30),
            "AVGO -13.6% (below -5%)",
            "warning",
            symbol="AVGO",
            id=6,
            acknowledged=True,
        ),
    ]


def canned_sources() -> list[SourceStatus]:
    return [
        SourceStatus("reuters", "feed", Status.OK, last_poll=_ago(0.5), last_ok=_ago(0.5)),
        SourceStatus("cnbc", "feed", Status.OK, last_poll=_ago(0.5), last_ok=_ago(0.5)),
        SourceStatus("ft", "feed", Status.BACKOFF, error="HTTP 503",
                     next_try=NOW + timedelta(minutes=10), last_poll=_ago(1)),
        SourceStatus("quotes", "quotes", Status.OK, last_poll=_ago(0.2)),
    ]  # fmt: skip


class FakeEditor:
    """The engine's config editor: records the edits asked for."""

    bundled = False
    can_copy = False

    def __init__(self, calls: list[tuple[object, ...]]) -> None:
        self.calls = calls

    async def add_symbol(self, symbol: str, group: str | None = None) -> str:
        self.calls.append(("add_symbol", symbol, group))
        return f"added {symbol}"

    async def remove_symbol(self, symbol: str) -> str:
        self.calls.append(("remove_symbol", symbol))
        return f"removed {symbol}"


class FakeReplay:
    """A replay's speed control: records the steps asked for."""

    def __init__(self, calls: list[tuple[object, ...]]) -> None:
        self.calls = calls
        self.speed = 200.0

    def step(self, step: int) -> float:
        self.calls.append(("step_replay_speed", step))
        self.speed = self.speed * 2 if step > 0 else self.speed / 2
        return self.speed


class FakeEngine:
    """The engine's interface over canned data; records what the app asks of it."""

    def __init__(self, *, replay: bool = False, config_path: Path | None = None) -> None:
        self.config_path = config_path or Path("/home/trader/.config/monitor/watchlist.toml")
        # a replay is the bundled demo (its own config: New York time), unless a test
        # says otherwise
        self.config_source = "bundled demo" if replay else "default location"
        self.clock = ManualClock(NOW)
        self.groups: dict[str, list[str]] = {
            "AI": ["NVDA", "AVGO", "MSFT"],
            "Semis & China": ["^SOX", "300766.SZ", "9988.HK"],
            "Crypto": ["BTC-USD"],
        }
        self.news_query = "DeepSeek"
        zone = 'time_zone = "America/New_York"\n' if replay else ""
        self.app_settings: Settings = parse_config_text(
            f'[settings]\n{zone}[watchlist]\nAI = ["NVDA"]\n[news]\nquery = "DeepSeek"\n',
            self.config_path,
        ).settings
        self.is_replay = replay
        self.paused = False
        self.desktop_status: tuple[bool | None, str] = (False, "no D-Bus session")
        self.calls: list[tuple[object, ...]] = []
        self.editor = FakeEditor(self.calls)
        self.replay = FakeReplay(self.calls)
        self.reload_error: str | None = None
        self.subscribers: list[Callable[[Event], None]] = []
        self._quotes = canned_quotes()
        self._headlines = canned_headlines()
        self._related: list[Headline] = []  # stories related to a live burst
        self._rules = canned_rules()
        self._alerts = canned_alerts()
        self._sources = canned_sources()
        self.read: set[str] = set()  # stories marked read (the store's read flag)

    def emit(self, event: Event) -> None:
        for callback in self.subscribers:
            callback(event)

    def subscribe(self, callback: Callable[[Event], None]) -> None:
        self.subscribers.append(callback)

    async def start(self) -> None:
        self.calls.append(("start",))

    async def stop(self) -> None:
        self.calls.append(("stop",))

    async def refresh_now(self) -> None:
        self.calls.append(("refresh_now",))

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    async def reload_config(self) -> str | None:
        self.calls.append(("reload_config",))
        return self.reload_error

    async def restart_replay(self) -> None:
        self.calls.append(("restart_replay",))

    def quotes(self) -> dict[str, Quote]:
        return dict(self._quotes)

    def limit_streak(self, symbol: str) -> int | None:
        return None

    def related_headlines(self) -> list[Headline]:
        return list(self._related)

    def sources(self) -> list[SourceStatus]:
        return list(self._sources)

    def rule_states(self) -> list[RuleState]:
        return list(self._rules)

    async def recent_headlines(
        self, limit: int = 300, *, matched_only: bool = True
    ) -> list[Headline]:
        # as the store: topic matches only unless asked for every story
        return [h for h in self._headlines if h.matched or not matched_only][:limit]

    async def search_headlines(self, text: str, limit: int = 300) -> list[Headline]:
        """As the store's word index: every word a substring of the title or summary,
        case-insensitively, over every story (topic match or not)."""
        self.calls.append(("search_headlines", text))
        words = text.lower().split()

        def holds(h: Headline) -> bool:
            body = f"{h.title}\n{h.summary or ''}".lower()
            return all(w in body for w in words)

        return [h for h in self._headlines if words and holds(h)][:limit]

    async def symbol_headlines(self, symbol: str, limit: int = 50) -> list[Headline]:
        self.calls.append(("symbol_headlines", symbol))
        return [h for h in self._headlines if symbol in h.symbols][:limit]

    async def feed_headlines(self, feed: str, limit: int = 300) -> list[Headline]:
        """As the store: every story an entry of ``feed`` carried, newest first."""
        self.calls.append(("feed_headlines", feed))
        return [h for h in self._headlines if feed in self._feeds_of(h)][:limit]

    async def feed_counts(self) -> dict[str, FeedCounts]:
        counts: dict[str, FeedCounts] = {}
        for h in self._headlines:
            for feed in self._feeds_of(h):
                c = counts.get(feed, FeedCounts(0, 0, 0))
                unread = bool(h.matched) and (h.new or h.unread) and h.story not in self.read
                counts[feed] = FeedCounts(
                    c.stories + 1, c.matched + bool(h.matched), c.unread + unread
                )
        return counts

    @staticmethod
    def _feeds_of(h: Headline) -> set[str]:
        """The feed whose entry carried the story first (the canned outlets are
        display names, not feeds; tests/test_store.py covers a story of two feeds)."""
        return {h.feed}

    async def alert_log(self, limit: int = 200) -> list[Alert]:
        return self._alerts[:limit]

    async def daily_history(self, symbol: str) -> list[DailyBar]:
        self.calls.append(("daily_history", symbol))
        start = date(2024, 12, 1)
        return [
            DailyBar(start + timedelta(days=i), None, None, None, 130.0 + (i % 7) - i * 0.2)
            for i in range(40)
        ]

    async def mark_read(self, story_ids: Sequence[str]) -> None:
        self.calls.append(("mark_read", tuple(story_ids)))
        self.read.update(story_ids)

    async def ack(self, alert_id: int) -> None:
        self.calls.append(("ack", alert_id))

    async def snooze(self, rule: str, seconds: float) -> None:
        self.calls.append(("snooze", rule, seconds))

    async def mute(self, rule: str, muted: bool) -> None:
        self.calls.append(("mute", rule, muted))

    async def export(self, path: Path) -> Path:
        self.calls.append(("export", path))
        return path


def factory_for(engine: FakeEngine) -> Callable[[], object]:
    async def factory() -> FakeEngine:
        return engine

    return factory
