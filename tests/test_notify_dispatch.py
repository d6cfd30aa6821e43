"""Routing a batch of alerts to channels: summaries, quiet hours, failures."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.clock import ManualClock
from monitor.config_values import parse_quiet_hours
from monitor.model import Alert
from monitor.notify.command import CommandNotifier
from monitor.notify.dispatch import Delivery, Dispatcher, summary_alert
from monitor.notify.webhook import WebhookNotifier
from tests.notify_fixtures import Hook

pytestmark = pytest.mark.timeout(60)

NIGHT = datetime(2025, 4, 7, 23, 30, tzinfo=UTC)
NOON = datetime(2025, 4, 7, 12, 30, tzinfo=UTC)
NIGHT_HOURS = parse_quiet_hours("22:00-07:00")


class Recorder:
    """A channel that keeps what it is sent."""

    def __init__(self, ok: bool = True, error: str | None = None) -> None:
        self.ok = ok
        self.error = error
        self.sent: list[Alert] = []
        self.last_error: str | None = None

    async def send(self, alert: Alert) -> bool:
        self.sent.append(alert)
        self.last_error = None if self.ok else self.error
        return self.ok


class Raising:
    async def send(self, alert: Alert) -> bool:
        raise RuntimeError("bug in a channel")


class Hanging:
    deadline = 0.2

    def __init__(self) -> None:
        self.cancelled = asyncio.Event()

    async def send(self, alert: Alert) -> bool:
        try:
            await asyncio.Event().wait()
        finally:
            self.cancelled.set()
        return True


def alert(rule: str = "r", message: str = "m", **kw: object) -> Alert:
    base: dict[str, object] = {
        "rule": rule,
        "time": NOON,
        "message": message,
        "severity": "warning",
        "notify": ("terminal", "desktop", "webhook"),
    }
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


def dispatcher(channels: dict[str, object], now: datetime = NOON, **kw: object) -> Dispatcher:
    return Dispatcher(channels, clock=ManualClock(now), tz=UTC, **kw)  # type: ignore[arg-type]


async def test_a_storm_becomes_one_summary_per_channel() -> None:
    desktop, webhook = Recorder(), Recorder()
    storm = [
        alert("sox-selloff", "SOX selloff −9.2%", symbol="^SOX"),
        alert("nvda-below", "NVDA below 120", symbol="NVDA", severity="critical"),
        *(alert(f"rule-{i}", f"alert {i}", symbol=f"S{i}") for i in range(8)),
    ]

    report = await dispatcher({"desktop": desktop, "webhook": webhook}).dispatch(storm)

    assert len(desktop.sent) == len(webhook.sent) == 1
    summary = desktop.sent[0]
    assert summary.message == "10 alerts: SOX selloff −9.2%, NVDA below 120, alert 0, …"
    assert summary.rule == "10 alerts"
    assert summary.severity == "critical"  # the worst of the batch
    assert summary.symbols[:3] == ("^SOX", "NVDA", "S0")
    assert [a["rule"] for a in summary.context["alerts"]][:2] == ["sox-selloff", "nvda-below"]
    assert webhook.sent[0].message == summary.message
    assert sorted(d.channel for d in report.summarized) == ["desktop", "webhook"]
    assert all(d.covers == tuple(storm) for d in report.summarized)
    assert len(report.sent) == 2 and not report.failed and not report.held


async def test_below_the_threshold_each_alert_is_sent() -> None:
    desktop = Recorder()
    alerts = [alert("a", "first"), alert("b", "second")]

    report = await dispatcher({"desktop": desktop}, summary_threshold=3).dispatch(alerts)

    assert [a.message for a in desktop.sent] == ["first", "second"]
    assert report.summarized == ()
    assert [d.alert for d in report.sent] == alerts


async def test_terminal_is_skipped_and_not_an_error() -> None:
    desktop = Recorder()
    only_terminal = alert(notify=("terminal",))

    report = await dispatcher({"desktop": desktop}).dispatch([only_terminal])

    assert desktop.sent == []
    assert report.sent == report.failed == report.held == ()


async def test_quiet_hours_hold_desktop_but_not_critical_nor_webhook() -> None:
    desktop, webhook = Recorder(), Recorder()
    calm = alert("drift", "NVDA -1%")
    urgent = alert("crash", "SOX -12%", severity="critical", notify=("desktop",))
    quiet = dispatcher({"desktop": desktop, "webhook": webhook}, NIGHT, quiet_hours=NIGHT_HOURS)

    report = await quiet.dispatch([calm, urgent])

    assert [a.rule for a in desktop.sent] == ["crash"]
    assert [a.rule for a in webhook.sent] == ["drift"]
    assert report.held == (Delivery("desktop", calm),)

    # The same batch at noon: nothing held.
    desktop.sent.clear()
    quiet.clock.set(NOON)  # type: ignore[attr-defined]
    report = await quiet.dispatch([calm, urgent])
    assert [a.rule for a in desktop.sent] == ["drift", "crash"]
    assert report.held == ()


async def test_quiet_hours_are_read_in_the_local_zone() -> None:
    desktop = Recorder()
    # 23:30 UTC is 07:30 in Shanghai: past the end of 22:00-07:00 there.
    d = Dispatcher(
        {"desktop": desktop},
        clock=ManualClock(NIGHT),
        tz=ZoneInfo("Asia/Shanghai"),
        quiet_hours=NIGHT_HOURS,
    )
    report = await d.dispatch([alert(notify=("desktop",))])
    assert len(desktop.sent) == 1 and report.held == ()


async def test_per_rule_quiet_hours_override() -> None:
    desktop = Recorder()
    overrides = {"always": "off", "lunch": parse_quiet_hours("12:00-13:00")}
    d = dispatcher({"desktop": desktop}, NIGHT, quiet_hours=NIGHT_HOURS, summary_threshold=10)
    rules = ("always", "lunch", "global")
    batch = [alert(rule, rule, notify=("desktop",)) for rule in rules]

    report = await d.dispatch(batch, quiet_hours_for=overrides.get)

    assert [a.rule for a in desktop.sent] == ["always", "lunch"]
    assert [h.alert.rule for h in report.held] == ["global"]

    d.clock.set(NOON)  # type: ignore[attr-defined]
    desktop.sent.clear()
    report = await d.dispatch(batch, quiet_hours_for=overrides.get)
    assert [h.alert.rule for h in report.held] == ["lunch"]


async def test_a_failing_channel_does_not_stop_the_others() -> None:
    good = Recorder()
    refusing = Recorder(ok=False, error="webhook http://h failed: HTTP 500")
    hanging = Hanging()
    notices: list[str] = []
    channels = {"desktop": Raising(), "webhook": refusing, "command": hanging, "ntfy": good}
    d = dispatcher(channels, on_notice=notices.append)
    everywhere = alert(notify=("desktop", "webhook", "command", "ntfy", "email"))

    report = await d.dispatch([everywhere])

    assert good.sent == [everywhere]
    assert [x.channel for x in report.sent] == ["ntfy"]
    errors = {x.channel: x.error for x in report.failed}
    assert errors["webhook"] == "webhook http://h failed: HTTP 500"
    assert errors["desktop"] == "desktop notification failed: RuntimeError('bug in a channel')"
    assert errors["command"] == "command notification timed out after 0.2 s"
    assert errors["email"] == "alert rule 'r' names channel 'email': not configured"
    # The hung send is cancelled (not left running), without dispatch waiting for it.
    await asyncio.wait_for(hanging.cancelled.wait(), 5)
    assert sorted(notices) == sorted(errors.values())

    # Still failing: no new notices.  Recovered then failing again: a new notice.
    await d.dispatch([everywhere])
    assert len(notices) == 4
    refusing.ok = True
    await d.dispatch([everywhere])
    refusing.ok = False
    await d.dispatch([everywhere])
    assert notices.count("webhook http://h failed: HTTP 500") == 2


async def test_a_channel_with_its_own_notice_is_not_reported_twice() -> None:
    notices: list[str] = []
    desktop = Recorder(ok=False, error="desktop notifications unavailable: no D-Bus session bus")
    desktop.on_unavailable = notices.append  # type: ignore[attr-defined]
    webhook = Recorder(ok=False, error="webhook http://h failed: HTTP 500")
    d = dispatcher({"desktop": desktop, "webhook": webhook}, on_notice=notices.append)

    report = await d.dispatch([alert()])

    assert len(report.failed) == 2
    assert notices == ["webhook http://h failed: HTTP 500"]  # the desktop says its own


async def test_sends_run_concurrently() -> None:
    other_started = asyncio.Event()

    class WaitsForTheOther:
        deadline = 5.0

        async def send(self, alert: Alert) -> bool:
            # Only completes if the other channel's send runs at the same time.
            await other_started.wait()
            return True

    class StartsTheOther:
        async def send(self, alert: Alert) -> bool:
            other_started.set()
            return True

    d = dispatcher({"desktop": WaitsForTheOther(), "webhook": StartsTheOther()})
    report = await d.dispatch([alert()])
    assert sorted(x.channel for x in report.sent) == ["desktop", "webhook"]


async def test_real_command_and_webhook_channels(webhook_server: Hook, tmp_path: Path) -> None:
    out = tmp_path / "rules.txt"
    code = f"import sys, json; open({str(out)!r}, 'a').write(json.load(sys.stdin)['rule'] + '\\n')"
    channels = {
        "command": CommandNotifier([sys.executable, "-c", code]),
        "webhook": WebhookNotifier(webhook_server.url, backoff=0.01),
    }
    storm = [alert(f"rule-{i}", f"move {i}", notify=("command", "webhook")) for i in range(5)]
    single = alert("lone", "one alert", notify=("command",))

    await Dispatcher(channels, clock=ManualClock(NOON)).dispatch(storm)
    report = await Dispatcher(channels, clock=ManualClock(NOON)).dispatch([single])

    assert out.read_text().splitlines() == ["5 alerts", "lone"]
    (body,) = webhook_server.bodies()
    assert body["rule"] == "5 alerts"
    assert body["context"]["summary"] is True
    assert [a["rule"] for a in body["context"]["alerts"]] == [f"rule-{i}" for i in range(5)]
    assert body["text"].startswith("WARNING 5 alerts: 5 alerts: move 0, move 1, move 2, …")
    assert [x.alert for x in report.sent] == [single]
    assert json.loads(json.dumps(body))  # plain JSON all the way


def test_summary_lists_the_first_few() -> None:
    two = summary_alert("desktop", [alert("a", "A up"), alert("b", "B down")])
    assert two.message == "2 alerts: A up, B down"
    assert two.notify == ("desktop",)
