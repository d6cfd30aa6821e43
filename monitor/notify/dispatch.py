"""Route one evaluation batch of alerts to the channels each alert names.

- "terminal" is skipped: the engine shows every alert itself (AlertEvent).
- Quiet hours ("22:00-07:00", local time of the clock) hold back the desktop channel
  only: a pop-up at 3 a.m. is what quiet hours are for, whereas a command or webhook is
  automation the user set up to run (a phone push service has its own do-not-disturb).
  A "critical" alert breaks through.  A rule may override them (``quiet_hours_for``:
  its own ``QuietHours``, or "off"; None keeps the global ones).  The ranges come
  parsed from the config (``monitor.config_values.QuietHours``).  Held alerts are not
  replayed later; they stay in the alert log and the app.
- When ``summary_threshold`` or more alerts go to one channel in one batch, that channel
  gets one summary ("7 alerts: SOX selloff -9.2%, NVDA below 120, ...") instead of a storm.
- Sends run concurrently, each bounded by its channel's ``deadline`` (or ``timeout``);
  ``dispatch`` never raises.  A channel's failure is reported once through
  ``on_notice`` until it works again (unless the channel has its own
  ``on_unavailable`` callback, as the desktop channel can).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import time, tzinfo
from typing import Literal

from monitor.clock import Clock, WallClock
from monitor.config_values import QuietHours
from monitor.model import Alert, Severity
from monitor.notify.channel import DESKTOP, TERMINAL, Channel, run_bounded
from monitor.text import one_line

log = logging.getLogger(__name__)

SUMMARY_SHOWN = 3  # alerts named in a summary before the ellipsis
#: a rule's own quiet hours: a range, "off" (none), or None (the global ones)
QuietHoursFor = Callable[[str], QuietHours | Literal["off"] | None]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One notification to one channel: a single alert, or a summary of ``covers``."""

    channel: str
    alert: Alert
    covers: tuple[Alert, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class DispatchReport:
    """What happened to one batch.  Summaries appear in ``summarized`` and also in
    ``sent`` or ``failed``; alerts for a channel that is not configured are in ``failed``."""

    sent: tuple[Delivery, ...] = ()
    held: tuple[Delivery, ...] = ()
    summarized: tuple[Delivery, ...] = ()
    failed: tuple[Delivery, ...] = ()


def summary_alert(channel: str, alerts: Sequence[Alert]) -> Alert:
    """One alert standing for many; ``context["alerts"]`` carries each one's JSON."""
    shown = [one_line(a.message) or a.rule for a in alerts[:SUMMARY_SHOWN]]
    more = ", …" if len(alerts) > SUMMARY_SHOWN else ""
    worst = max(alerts, key=lambda a: Severity.of(a.severity).rank)
    symbols = (s for a in alerts for s in (a.symbol, *a.symbols) if s)
    return Alert(
        rule=f"{len(alerts)} alerts",
        time=max(a.time for a in alerts),
        message=f"{len(alerts)} alerts: {', '.join(shown)}{more}",
        severity=Severity.of(worst.severity),
        symbols=tuple(dict.fromkeys(symbols)),
        context={"summary": True, "alerts": [a.to_json() for a in alerts]},
        notify=(channel,),
    )


@dataclass(slots=True)
class _Plan:
    queued: dict[str, list[Alert]] = field(default_factory=dict)
    held: list[Delivery] = field(default_factory=list)
    unknown: list[Delivery] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        quiet_hours: QuietHours | None = None,
        clock: Clock | None = None,
        summary_threshold: int = 3,
        on_notice: Callable[[str], None] | None = None,
        tz: tzinfo | None = None,
        timeout: float = 30.0,
        quiet_channels: frozenset[str] = frozenset({DESKTOP}),
    ) -> None:
        """``tz``: the zone quiet hours are read in (None: the system's local zone).
        ``timeout``: the bound for a channel that has no ``deadline`` attribute.
        ``quiet_channels``: the channels quiet hours hold back.
        ``summary_threshold``: alerts to one channel in one batch that make a summary
        (at least 2)."""
        self.channels = dict(channels)
        self.quiet_hours = quiet_hours
        self.clock = clock or WallClock()
        self.summary_threshold = max(2, summary_threshold)
        self.on_notice = on_notice
        self.tz = tz
        self.timeout = timeout
        self.quiet_channels = quiet_channels
        self._failing: set[str] = set()

    async def dispatch(
        self,
        alerts: Sequence[Alert],
        *,
        quiet_hours_for: QuietHoursFor | None = None,
    ) -> DispatchReport:
        try:
            plan = self._plan(alerts, quiet_hours_for)
            jobs = [job for name, batch in plan.queued.items() for job in self._jobs(name, batch)]
            done = await asyncio.gather(*(self._send(job) for job in jobs))
        except Exception:  # dispatch must not take the engine down with it
            log.exception("notification dispatch failed")
            return DispatchReport()
        for delivery in (*plan.unknown, *done):
            self._track(delivery)
        return DispatchReport(
            sent=tuple(d for d in done if d.error is None),
            held=tuple(plan.held),
            summarized=tuple(d for d in done if d.covers),
            failed=(*plan.unknown, *(d for d in done if d.error is not None)),
        )

    def _plan(self, alerts: Sequence[Alert], quiet_hours_for: QuietHoursFor | None) -> _Plan:
        plan = _Plan()
        local = self.clock.now().astimezone(self.tz).time()
        for alert in alerts:
            for name in dict.fromkeys(alert.notify):
                if name == TERMINAL:
                    continue
                if name not in self.channels:
                    error = f"alert rule {alert.rule!r} names channel {name!r}: not configured"
                    plan.unknown.append(Delivery(name, alert, error=error))
                elif self._held(name, alert, local, quiet_hours_for):
                    plan.held.append(Delivery(name, alert))
                else:
                    plan.queued.setdefault(name, []).append(alert)
        return plan

    def _held(
        self,
        channel: str,
        alert: Alert,
        local: time,
        quiet_hours_for: QuietHoursFor | None,
    ) -> bool:
        if channel not in self.quiet_channels or alert.severity == Severity.CRITICAL:
            return False
        quiet = self._quiet_hours_of(alert.rule, quiet_hours_for)
        return quiet is not None and quiet.contains(local)

    def _quiet_hours_of(
        self, rule: str, quiet_hours_for: QuietHoursFor | None
    ) -> QuietHours | None:
        override = quiet_hours_for(rule) if quiet_hours_for else None
        if override is None:
            return self.quiet_hours
        return None if override == "off" else override

    def _jobs(self, channel: str, batch: list[Alert]) -> list[Delivery]:
        if len(batch) >= self.summary_threshold:
            return [Delivery(channel, summary_alert(channel, batch), covers=tuple(batch))]
        return [Delivery(channel, alert) for alert in batch]

    async def _send(self, job: Delivery) -> Delivery:
        channel = self.channels[job.channel]
        limit = float(getattr(channel, "deadline", None) or self.timeout)
        task = await run_bounded(channel.send(job.alert), limit)
        if task is None:
            return replace(job, error=f"{job.channel} notification timed out after {limit:g} s")
        if task.exception() is not None:
            exc = task.exception()
            log.error("%s channel raised", job.channel, exc_info=exc)
            return replace(job, error=f"{job.channel} notification failed: {exc!r}")
        if task.result():
            return job
        reason = getattr(channel, "last_error", None) or f"{job.channel} notification failed"
        return replace(job, error=reason)

    def _track(self, delivery: Delivery) -> None:
        """Report a channel's failure once, until a send to it works again.

        A channel wired with its own ``on_unavailable`` callback (the desktop) says it
        itself; saying it here too would show the same line twice.
        """
        if delivery.error is None:
            self._failing.discard(delivery.channel)
        elif delivery.channel not in self._failing:
            self._failing.add(delivery.channel)
            channel = self.channels.get(delivery.channel)
            if getattr(channel, "on_unavailable", None) is None:
                self._notice(delivery.error)

    def _notice(self, message: str) -> None:
        if self.on_notice is None:
            return
        try:
            self.on_notice(message)
        except Exception:  # a broken listener must not break dispatch
            log.exception("on_notice failed")
