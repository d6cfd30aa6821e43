"""Rows 19 and 20: desktop notifications that are missing or stall; alert storms and old
news found late.  A private dbus-daemon and tests/fake_notifications.py stand in for the
desktop; the engine is the real one with notifications on."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest

from monitor.clock import ManualClock
from monitor.model import Quote
from monitor.notify import desktop
from tests.faults.kit import (
    US_OPEN,
    StaticQuotes,
    config_text,
    open_engine,
    rfc822,
    rss,
    rss_item,
    wait_until,
)
from tests.test_notify_desktop import PrivateBus, _stop, private_bus, recorded

needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None or sys.platform != "linux",
    reason="dbus-daemon is not installed (Debian package 'dbus')",
)
UNAVAILABLE = "desktop notifications unavailable"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


@pytest.fixture
def fast_desktop(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stalled service is given up on after 1 s instead of 5 (keeps the suite fast)."""
    monkeypatch.setitem(desktop.DesktopNotifier.__init__.__kwdefaults__, "timeout", 1.0)


@pytest.fixture(scope="module")
def bus() -> Iterator[PrivateBus]:
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed")
    with private_bus() as b:
        yield b


def price_rules(*levels: float) -> list[tuple[str, str]]:
    return [(f"above {level:g}", f"NVDA price >= {level:g}") for level in levels]


def desktop_config(rules: list[tuple[str, str]], **kw) -> str:
    text = config_text(rules=rules, **kw)
    return text.replace('notify = ["terminal"]', 'notify = ["terminal", "desktop"]', 1)


def nvda(price: float, clock: ManualClock) -> Quote:
    """NVDA at ``price``, up 1% on the day (a print beyond ±50% would be held as suspect)."""
    prev = round(price / 1.01, 2)
    return Quote("NVDA", price=price, prev_close=prev, as_of=clock.now(), currency="USD")


async def settle(engine) -> None:
    """Wait for the engine's background notification tasks."""
    await asyncio.gather(*list(engine.background), return_exceptions=True)


async def _two_alerts(engine, quotes, clock) -> None:
    quotes.quotes["NVDA"] = nvda(150.0, clock)
    await engine.poll_quotes()
    clock.advance(30)
    quotes.quotes["NVDA"] = nvda(250.0, clock)
    await engine.poll_quotes()


# ---- row 19 --------------------------------------------------------------------------


@pytest.mark.parametrize("where", ["no-bus", "no-service"])
async def test_row19_no_desktop_alert_still_stored_and_shown_one_notice(
    clock, tmp_path, monkeypatch, where, request
) -> None:
    if where == "no-bus":
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-bus")
    else:
        if shutil.which("dbus-daemon") is None:
            pytest.skip("dbus-daemon is not installed")
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", request.getfixturevalue("bus").address)
    quotes = StaticQuotes(clock=clock)
    engine, events = await open_engine(
        tmp_path,
        desktop_config(price_rules(100, 200)),
        clock=clock,
        quote_source=quotes,
        notify=True,
    )
    try:
        await engine.alerting.check_desktop()  # what start() does
        await _two_alerts(engine, quotes, clock)
        await settle(engine)
        assert [a.rule for a in events.alerts] == ["above 100", "above 200"]
        assert sorted(a.rule for a in await engine.alert_log()) == ["above 100", "above 200"]
        said = [n for n in events.notices if n.startswith(UNAVAILABLE)]
        assert len(said) == 1, events.notices
    finally:
        await engine.stop()


@needs_dbus
async def test_row19_stalled_service_never_blocks_alerts(
    clock, tmp_path, monkeypatch, bus, fast_desktop
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    service = bus.service(tmp_path / "calls.jsonl", "--stall", "30")
    quotes = StaticQuotes(clock=clock)
    engine, events = await open_engine(
        tmp_path,
        desktop_config(price_rules(100, 200)),
        clock=clock,
        quote_source=quotes,
        notify=True,
    )
    try:
        quotes.quotes["NVDA"] = nvda(150.0, clock)
        await engine.poll_quotes()
        # the poll is done and the alert shown while the notification is still pending
        assert [a.rule for a in events.alerts] == ["above 100"]
        assert any(not t.done() for t in engine.background)
        assert [a.rule for a in await engine.alert_log()] == ["above 100"]
        clock.advance(30)
        quotes.quotes["NVDA"] = nvda(250.0, clock)
        await engine.poll_quotes()
        assert [a.rule for a in events.alerts] == ["above 100", "above 200"]
        await settle(engine)
        said = [n for n in events.notices if n.startswith(UNAVAILABLE)]
        assert len(said) == 1 and "did not answer" in said[0], events.notices
    finally:
        await engine.stop()
        _stop(service)


# ---- row 20 --------------------------------------------------------------------------


@needs_dbus
async def test_row20_fifty_rules_at_once_make_one_summary_notification(
    clock, tmp_path, monkeypatch, bus
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    record = tmp_path / "calls.jsonl"
    service = bus.service(record)
    quotes = StaticQuotes({"NVDA": nvda(500.0, clock)}, clock=clock)
    rules = price_rules(*range(1, 51))
    engine, events = await open_engine(
        tmp_path, desktop_config(rules), clock=clock, quote_source=quotes, notify=True
    )
    try:
        await engine.poll_quotes()
        await settle(engine)
        assert await wait_until(lambda: len(recorded(record)) >= 1)
        await asyncio.sleep(0.2)  # a storm would have arrived by now
        calls = recorded(record)
        assert len(calls) == 1, calls
        assert "50 alerts" in str(calls[0]["summary"]) + str(calls[0]["body"])
        assert len(events.alerts) == 50  # every alert is still logged and shown
        assert len(await engine.alert_log(limit=100)) == 50
    finally:
        await engine.stop()
        _stop(service)


async def test_row20_old_headlines_found_late_are_not_breaking(
    feed_server, clock, tmp_path
) -> None:
    old = clock.now() - timedelta(days=2)
    feed_server.serve(
        "/wire",
        rss(
            [
                rss_item(
                    f"DeepSeek story {i} from the archive",
                    link=f"https://example.com/old/{i}",
                    guid=f"old-{i}",
                    date=rfc822(old + timedelta(minutes=i)),
                )
                for i in range(5)
            ]
        ),
    )
    rules = [("deepseek burst", 'news "DeepSeek" count >= 1 within 30m')]
    text = config_text(rules=rules, query="DeepSeek", feeds=[("wire", feed_server.url("/wire"))])
    engine, events = await open_engine(tmp_path, text, clock=clock)
    try:
        assert len(await engine.poll_news(force=True)) == 5  # stored and shown
        assert events.alerts == []  # but not announced as breaking
        clock.advance(600)
        feed_server.serve(
            "/wire",
            rss(
                [
                    rss_item(
                        "DeepSeek releases a new model",
                        link="https://example.com/new",
                        guid="new",
                        date=rfc822(clock.now() - timedelta(minutes=2)),
                    ),
                ]
            ),
        )
        await engine.poll_news(force=True)
        assert [a.rule for a in events.alerts] == ["deepseek burst"]
        assert [h["title"] for h in events.alerts[0].headlines] == ["DeepSeek releases a new model"]
    finally:
        await engine.stop()
