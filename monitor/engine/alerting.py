"""Alerting: evaluate every rule on a snapshot, store and announce what fires, send it
to the notification channels, and the person's commands on rules (ack, snooze, mute).

The rule memory (fired, cooldown, snooze...) is saved with each change, so a restart
neither forgets nor re-fires.  An evaluation waits for no write: the alerts and the
rule memory are handed to the store thread (``WritesBehind``) and each alert is
announced once it is stored (with its id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from monitor.clock import Clock
from monitor.engine import build
from monitor.engine.behind import WritesBehind
from monitor.engine.build import EngineSettings
from monitor.engine.sources import Emit, Spawn
from monitor.events import AlertEvent, NoticeEvent, RulesEvent
from monitor.model import Alert, RuleState
from monitor.notify import desktop
from monitor.notify.dispatch import Dispatcher
from monitor.rules import RuleRunner, Snapshot
from monitor.store import StoreWorker

log = logging.getLogger(__name__)


class Alerting:
    """The rule runner of the current config and where its alerts go."""

    def __init__(
        self,
        settings: EngineSettings,
        *,
        clock: Clock,
        store: StoreWorker,
        emit: Emit,
        spawn: Spawn,
        snapshot: Callable[[], Snapshot],
        notify: bool = True,
    ) -> None:
        self.settings = settings
        self.notify_enabled = notify
        self._clock = clock
        self._store = store
        self._writes = WritesBehind(store, "alert and rule state")
        self._emit = emit
        self._spawn = spawn
        self._snapshot = snapshot
        self.runner = RuleRunner(settings.rule_specs)
        self.dispatcher: Dispatcher | None = None  # built on the first alert to send
        self.desktop_status: tuple[bool | None, str] = (None, "desktop notifications: not checked")
        self._saved_state: dict[str, Any] | None = None
        self._noticed: set[str] = set()

    def configure(self, settings: EngineSettings) -> None:
        """A new config: new specs, the same memory of every rule that kept its name."""
        self.settings = settings
        self.runner = RuleRunner(settings.rule_specs, state=self.runner.to_state())
        self.dispatcher = None  # rebuilt on the next alert: the new file's channels

    def restore(self, state: dict[str, Any] | None) -> None:
        """The rule memory saved in the store (None: every rule starts armed)."""
        self.runner = RuleRunner(self.settings.rule_specs, state=state)

    # ---- evaluation --------------------------------------------------------------------

    async def evaluate(self) -> None:
        """Evaluate every rule once on the current quotes and headlines."""
        snap = self._snapshot()
        alerts = self.runner.evaluate(snap)
        state = self.runner.to_state()
        if alerts:
            self._writes.hand(
                lambda s: s.add_alerts_and_rule_state(alerts, state),
                then=lambda stored: self._announce(list(stored) if stored else alerts),
            )
        elif state != self._saved_state:  # most batches change no rule's state
            self._writes.hand(lambda s: s.put_rule_state(state))
        self._saved_state = state
        self._emit(RulesEvent(tuple(self.runner.states(snap.now))))

    def _announce(self, alerts: list[Alert]) -> None:
        """Alerts stored (or queued for a busy database): show them, send them."""
        for alert in alerts:
            self._emit(AlertEvent(alert))
        if self.notify_enabled:
            self._spawn(self._dispatch(alerts))

    async def flush(self) -> None:
        """Wait until every alert and rule state handed on is stored and announced."""
        await self._writes.flush()

    async def _dispatch(self, alerts: list[Alert]) -> None:
        if self.dispatcher is None:
            self.dispatcher = build.make_dispatcher(self.settings, self._clock, self.notice)
        try:
            await self.dispatcher.dispatch(alerts, quiet_hours_for=self.settings.quiet_hours_for)
        except Exception:  # noqa: BLE001 — notifications never stop the engine
            log.exception("dispatch failed")

    def notice(self, message: str) -> None:
        """Say a thing once: the same notice (or a second 'desktop ... unavailable')
        is not repeated while it stays true."""
        key = "desktop" if message.startswith("desktop notifications unavailable") else message
        if key in self._noticed:
            return
        self._noticed.add(key)
        self._emit(NoticeEvent(message))

    def check_trust(self) -> None:
        """Say why command and webhook alerts are off, if they are (at start and on each
        reload, so an edit from outside is noticed with its reason)."""
        why = build.program_refusal(self.settings) if self.notify_enabled else None
        if why is not None:
            self._noticed.add(why)  # a refused send says it once more only after a reload
            self._emit(NoticeEvent(why))

    async def check_desktop(self) -> None:
        """Whether desktop notifications can be shown, when a rule sends them."""
        if not self.notify_enabled or not self.settings.uses_channel("desktop"):
            self.desktop_status = (False, "not used by any rule")
            return
        ok, why = await desktop.available()
        self.desktop_status = (ok, "desktop notifications: on" if ok else why)
        if not ok:
            self.notice(f"desktop notifications unavailable: {why}")

    # ---- the person's commands ---------------------------------------------------------

    def states(self) -> list[RuleState]:
        return self.runner.states(self._clock.now())

    async def ack(self, alert_id: int) -> None:
        """Acknowledge a fired alert: it is marked in the log and its rule's deeper tiers
        of the current episode stay quiet."""
        alerts = await self._store.read(lambda s: s.recent_alerts(limit=1000))
        for alert in alerts:
            if alert.id == alert_id and alert.rule in self.settings.rule_names:
                self.runner.ack(alert.rule)
        await self._store.write(lambda s: s.ack_alert(alert_id))
        await self._save()

    async def snooze(self, rule: str, seconds: float) -> None:
        self.runner.snooze(rule, self._clock.now() + timedelta(seconds=seconds))
        await self._save()

    async def mute(self, rule: str, muted: bool) -> None:
        self.runner.mute(rule, muted)
        await self._save()

    async def _save(self) -> None:
        state = self.runner.to_state()
        await self._store.write(lambda s: s.put_rule_state(state))
        self._emit(RulesEvent(tuple(self.states())))
