"""Toasts for fired alerts and engine notices: gathered, summarized, never repeated.

The alerts of one batch arrive back to back: they are gathered for a moment and shown
together, as one summary toast when there are many (a market-wide move is one event to
the person watching, not a storm of toasts).
"""

from __future__ import annotations

import time
from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel
from textual.timer import Timer

from monitor.model import Alert, Severity
from monitor.notify.osc import Protocol, TerminalRinger

#: alerts arriving within this long of each other are toasted together
TOAST_GATHER_SECONDS = 0.05
#: ... but a steady stream is shown at least this often
TOAST_GATHER_MOST = 0.5
#: this many alerts at once make one summary toast
STORM_TOASTS = 3
#: how long a toast stays (seconds): short, the log and the tabs keep the alert
ALERT_TOAST_SECONDS = 6.0
CRITICAL_TOAST_SECONDS = 10.0
SUMMARY_TOAST_SECONDS = 8.0
NOTICE_TOAST_SECONDS = 8.0
TOAST_SEVERITY: dict[str, SeverityLevel] = {
    "critical": "error",
    "error": "error",
    "warning": "warning",
}


def toast_severity(severity: str) -> SeverityLevel:
    return TOAST_SEVERITY.get(severity.lower(), "information")


def toast_text(alert: Alert) -> str:
    """An alert's message without the context after its " — " (the log has it whole)."""
    return alert.message.split(" — ", 1)[0]


class Toaster:
    """Shows alerts and notices as the app's toasts (plain text, never markup)."""

    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self._pending: list[Alert] = []
        self._notices: set[str] = set()
        self._timer: Timer | None = None
        self._first_at = 0.0
        #: the terminal channel: the bell until the config says otherwise
        self.ringer = TerminalRinger()

    def alert(self, alert: Alert) -> None:
        """Gather: each alert waits for the next for a moment (a busy screen takes a while
        to hand over the alerts of one batch), never longer than TOAST_GATHER_MOST."""
        now = time.monotonic()
        if not self._pending:
            self._first_at = now
        self._pending.append(alert)
        if self._timer is not None:
            self._timer.stop()
        wait = min(TOAST_GATHER_SECONDS, max(0.0, self._first_at + TOAST_GATHER_MOST - now))
        self._timer = self.app.set_timer(wait, self._flush)

    def notice(self, message: str, severity: str) -> None:
        """An engine notice, shown once per session however often it is sent."""
        if message in self._notices:
            return
        self._notices.add(message)
        self.app.notify(
            message, severity=toast_severity(severity), markup=False, timeout=NOTICE_TOAST_SECONDS
        )

    def _flush(self) -> None:
        self._timer = None
        alerts, self._pending = self._pending, []
        if not alerts:
            return
        self._ring(alerts)
        if len(alerts) >= STORM_TOASTS:
            self._summary(alerts)
            return
        for alert in alerts:
            self.app.notify(
                toast_text(alert),
                title=f"{alert.severity.upper()} · {alert.rule}",
                severity=toast_severity(alert.severity),
                markup=False,
                timeout=CRITICAL_TOAST_SECONDS
                if alert.severity == "critical"
                else ALERT_TOAST_SECONDS,
            )

    def _ring(self, alerts: list[Alert]) -> None:
        """The terminal channel: an OSC notification (or the bell), through the driver.

        Written as Textual writes its own bell, so it never lands over the screen.
        """
        if self.ringer.protocol is Protocol.BELL:
            self.app.bell()
            return
        seq = self.ringer.sequence(alerts)
        driver = self.app._driver  # as App.bell() writes; Textual has no public writer
        if seq and driver is not None:
            driver.write(seq)

    def _summary(self, alerts: list[Alert]) -> None:
        worst = max(alerts, key=lambda a: Severity.of(a.severity).rank)
        names = ", ".join(a.rule for a in alerts[:4])
        more = f" and {len(alerts) - 4} more" if len(alerts) > 4 else ""
        self.app.notify(
            f"{names}{more} — see the Alerts pane (3)",
            title=f"{len(alerts)} alerts",
            severity=toast_severity(worst.severity),
            markup=False,
            timeout=SUMMARY_TOAST_SECONDS,
        )
