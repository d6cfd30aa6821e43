"""Desktop notifications over a real, private D-Bus session bus and a fake notification
service (tests/fake_notifications.py) that records what arrives."""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from monitor.clock import ManualClock
from monitor.model import Alert
from monitor.notify.desktop import NO_BUS, NO_SERVICE, DesktopChannel, DesktopNotifier, available
from monitor.notify.dispatch import Dispatcher

pytestmark = [
    pytest.mark.skipif(
        shutil.which("dbus-daemon") is None,
        reason="dbus-daemon is not installed (Debian package 'dbus')",
    ),
    pytest.mark.skipif(sys.platform != "linux", reason="the D-Bus backend is Linux only"),
    pytest.mark.timeout(60),
]

FAKE_SERVICE = Path(__file__).with_name("fake_notifications.py")
T0 = datetime(2025, 4, 7, 14, 30, tzinfo=UTC)

# A minimal session bus: no standard service directories, so nothing on this machine
# (a real notification daemon, say) can be activated behind the test's back.
BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  {servicedir}
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _readline(proc: subprocess.Popen[str], seconds: float = 15.0) -> str:
    """One line of the child's stdout, or fail (never hang)."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    if not ready:
        raise AssertionError(f"{proc.args!r} printed nothing within {seconds} s")
    return proc.stdout.readline().strip()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class PrivateBus:
    address: str
    dir: Path

    def service(self, record: Path, *extra: str) -> subprocess.Popen[str]:
        """Start the fake notification service on this bus; returns once it owns the name."""
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": self.address}
        env.pop("DBUS_STARTER_ADDRESS", None)
        proc = subprocess.Popen(
            [sys.executable, str(FAKE_SERVICE), "--record", str(record), *extra],
            stdout=subprocess.PIPE,
            env=env,
            text=True,
        )
        assert _readline(proc) == "ready"
        return proc


@contextmanager
def private_bus(activate: str | None = None) -> Iterator[PrivateBus]:
    """A dbus-daemon of our own; ``activate`` is a .service file's text for the
    notification name (bus activation)."""
    # Short path: a unix socket path must fit in 108 bytes.
    bus_dir = Path(tempfile.mkdtemp(prefix="monitor-bus-"))
    servicedir = ""
    if activate is not None:
        (bus_dir / "services").mkdir()
        (bus_dir / "services" / "org.freedesktop.Notifications.service").write_text(activate)
        servicedir = f"<servicedir>{bus_dir / 'services'}</servicedir>"
    config = bus_dir / "bus.conf"
    config.write_text(BUS_CONFIG.format(dir=bus_dir, servicedir=servicedir))
    daemon = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--print-address=1", "--nofork"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        address = _readline(daemon)
        assert address.startswith("unix:"), address
        yield PrivateBus(address, bus_dir)
    finally:
        _stop(daemon)
        shutil.rmtree(bus_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def bus() -> Iterator[PrivateBus]:
    with private_bus() as b:
        yield b


@pytest.fixture
def on_bus(bus: PrivateBus, monkeypatch: pytest.MonkeyPatch) -> PrivateBus:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    return bus


@pytest.fixture
def service(on_bus: PrivateBus, tmp_path: Path) -> Iterator[Callable[..., Path]]:
    """Start the fake service (with extra CLI args); returns the record file."""
    started: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> Path:
        record = tmp_path / f"notifications-{len(started)}.jsonl"
        started.append(on_bus.service(record, *extra))
        return record

    yield start
    for proc in started:
        _stop(proc)


def recorded(record: Path) -> list[dict[str, object]]:
    if not record.exists():
        return []
    return [json.loads(line) for line in record.read_text().splitlines()]


def alert(**kw: object) -> Alert:
    base: dict[str, object] = {
        "rule": "sox-selloff",
        "time": T0,
        "message": "^SOX -9.2% on the day",
        "severity": "warning",
        "notify": ("desktop",),
    }
    base.update(kw)
    return Alert(**base)  # type: ignore[arg-type]


async def test_notification_arrives_with_app_name_title_body_and_urgency(service) -> None:
    record = service()
    notifier = DesktopNotifier()
    nasty = "<b>Chips</b> [bold]crash[/bold] \x1b[31mred\x1b[0m \x1b]52;c;cHduZWQ=\x07\u202edone"
    headline = {"title": nasty + " <a href='http://x.test'>click</a>", "source": "Reuters"}

    assert await notifier.available() == (True, "")
    assert await notifier.send(alert(severity="critical", headlines=(headline,)))
    assert await notifier.send(alert(rule="nvda-below", message="NVDA below 120 & falling"))

    first, second = recorded(record)
    assert first["app_name"] == "monitor"
    assert first["summary"] == "‼ Critical: sox-selloff"
    body = first["body"]
    assert isinstance(body, str)
    assert body.startswith("^SOX -9.2% on the day\n")
    # Markup shown literally, Rich markup left as text, escapes and bidi controls gone.
    assert "&lt;b&gt;Chips&lt;/b&gt; [bold]crash[/bold] red" in body
    assert "&lt;a href='http://x.test'&gt;click&lt;/a&gt; (Reuters)" in body
    assert "\x1b" not in body and "\u202e" not in body and "52;c" not in body
    assert "<" not in body
    assert first["urgency"] == 2
    assert second["summary"] == "⚠ Warning: nvda-below"
    assert second["body"] == "NVDA below 120 &amp; falling"
    assert second["urgency"] == 1
    assert notifier.notice is None and notifier.last_error is None


async def test_no_bus_is_reported_once_and_send_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/monitor-bus")
    notices: list[str] = []
    notifier = DesktopNotifier(on_unavailable=notices.append)

    assert await notifier.available() == (False, NO_BUS)
    results = [await notifier.send(alert()) for _ in range(3)]

    assert results == [False, False, False]
    assert notices == [f"desktop notifications unavailable: {NO_BUS}"]
    assert notifier.notice == notices[0]


async def test_unset_bus_address_means_no_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert await DesktopNotifier().available() == (False, NO_BUS)


async def test_bus_without_service_then_service_appears(
    on_bus: PrivateBus, service, tmp_path: Path
) -> None:
    notices: list[str] = []
    notifier = DesktopNotifier(on_unavailable=notices.append)

    assert await notifier.available() == (False, NO_SERVICE)
    assert not await notifier.send(alert())
    assert not await notifier.send(alert())
    assert notices == [f"desktop notifications unavailable: {NO_SERVICE}"]

    record = service()  # a notification daemon starts later: the next send works
    assert await notifier.send(alert(message="back"))
    assert [c["body"] for c in recorded(record)] == ["back"]
    assert notifier.notice is None


async def test_stalled_service_times_out_and_is_reported_once(service) -> None:
    record = service("--stall", "30")
    notices: list[str] = []
    notifier = DesktopNotifier(timeout=1, on_unavailable=notices.append)

    results = await asyncio.gather(*(notifier.send(alert()) for _ in range(3)))
    results.append(await notifier.send(alert()))

    assert results == [False, False, False, False]
    assert notices == [
        "desktop notifications unavailable: notification service did not answer within 1 s"
    ]
    assert recorded(record) == []


async def test_service_started_by_bus_activation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    record = tmp_path / "activated.jsonl"
    unit = (
        "[D-BUS Service]\n"
        "Name=org.freedesktop.Notifications\n"
        f"Exec={sys.executable} {FAKE_SERVICE} --record {record}\n"
    )
    with private_bus(activate=unit) as activating:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", activating.address)
        notifier = DesktopNotifier()
        assert await notifier.available() == (True, "")
        assert await notifier.send(alert(message="woke it up"))
    assert [c["body"] for c in recorded(record)] == ["woke it up"]


async def test_module_level_available(on_bus: PrivateBus, service) -> None:
    assert await available() == (False, NO_SERVICE)
    service()
    assert await available() == (True, "")


async def test_dispatcher_storm_reaches_the_desktop_as_one_summary(service) -> None:
    record = service()
    notices: list[str] = []
    channel = DesktopChannel(on_unavailable=notices.append)
    storm = [alert(rule=f"rule-{i}", message=f"<i>move</i> {i}") for i in range(4)]
    storm.append(alert(rule="terminal-only", notify=("terminal",)))

    report = await Dispatcher({"desktop": channel}, clock=ManualClock(T0)).dispatch(storm)

    (call,) = recorded(record)
    assert call["summary"] == "⚠ Warning: 4 alerts"
    assert call["body"] == "4 alerts: &lt;i&gt;move&lt;/i&gt; 0, &lt;i&gt;move&lt;/i&gt; 1, " + (
        "&lt;i&gt;move&lt;/i&gt; 2, …"
    )
    assert len(report.summarized) == 1 and report.summarized[0].covers == tuple(storm[:4])
    assert notices == []


async def test_service_going_away_and_coming_back(on_bus: PrivateBus, tmp_path: Path) -> None:
    notices: list[str] = []
    notifier = DesktopNotifier(on_unavailable=notices.append)
    first = on_bus.service(tmp_path / "first.jsonl")
    try:
        assert await notifier.send(alert(message="one"))
    finally:
        _stop(first)

    assert not await notifier.send(alert(message="lost"))
    assert not await notifier.send(alert(message="lost again"))
    assert len(notices) == 1

    second = on_bus.service(tmp_path / "second.jsonl")
    try:
        assert await notifier.send(alert(message="two"))
    finally:
        _stop(second)
    assert [c["body"] for c in recorded(tmp_path / "first.jsonl")] == ["one"]
    assert [c["body"] for c in recorded(tmp_path / "second.jsonl")] == ["two"]
    assert notifier.notice is None
