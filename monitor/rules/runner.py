"""The alert state machine across time: fire, re-arm, cooldown, levels, snooze, mute, ack.

Per rule, once per evaluation (every quote batch, and on new headlines):

- **fire** once when the condition becomes true (armed -> fired);
- **re-arm** only after the condition is false again *beyond a hysteresis*: 0.5 percentage
  point for percent metrics (``^SOX day% <= -5`` fired at -5.1 re-arms once day% > -4.5),
  0.2% of the threshold for prices and ``change``, 0.1 for ``volume_x``; a ``crosses``
  re-arms once the price is that far from its line.  News, limit and compound rules
  re-arm as soon as they are false.  ``RuleSpec.hysteresis`` overrides, in the measure's
  unit;
- **cooldown** (default 30 min, on the data clock ``snap.now``): an armed rule whose
  condition comes true within the cooldown of its last alert stays armed and fires at
  the first evaluation after the cooldown if the condition still holds;
- ``once="day"``: at most one alert per trading day of the rule's first symbol
  (``sessions.trading_day``; the UTC date for news-only rules), the same way;
- **levels** ``(-5, -7.5, -10)``: each tier fires once as the move deepens (a jump from
  -4 to -8 fires tier 1 only); cooldown and once-per-day gate the first alert of an
  episode, not the escalations; every tier re-arms when the value recovers past the
  first tier's hysteresis;
- a rule that **cannot be evaluated** keeps its state: a gap in data is not "false";
- **snoozed** (until a time) and **muted** rules still track their state but return no
  alerts.  A condition that came true during the snooze is spent: when the snooze ends
  the rule stays fired (silent) until it re-arms, so an old condition does not ring the
  moment the snooze ends;
- **ack** (by rule name or by the Alert) acknowledges the current episode: its deeper
  tiers no longer alert; the next episode (after re-arming) alerts again.

``to_state()`` is JSON; ``RuleRunner(specs, state=...)`` restores it, so a restart
neither forgets nor re-fires.  A rule whose ``when`` or ``levels`` changed starts armed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from monitor import sessions
from monitor.model import Alert, RuleState, RuleStatus, iso
from monitor.rules.evaluate import Outcome, Snapshot, evaluate
from monitor.rules.language import Basket, Comparison, Crosses, Rule, compare
from monitor.rules.message import describe
from monitor.rules.spec import RuleSpec, default_hysteresis

STATE_VERSION = 1


# ---- per-rule memory -----------------------------------------------------------------


@dataclass
class _Track:
    when: str = ""
    levels: tuple[float, ...] | None = None
    fired: bool = False
    fired_at: datetime | None = None
    last_alert_at: datetime | None = None
    alert_day: date | None = None  # trading day of the last alert (once="day")
    level: int | None = None
    acked: bool = False
    snoozed_until: datetime | None = None
    muted: bool = False
    outcome: Outcome | None = field(default=None, repr=False)  # not persisted

    def to_json(self) -> dict[str, Any]:
        return {
            "when": self.when,
            "levels": list(self.levels) if self.levels else None,
            "fired": self.fired,
            "fired_at": iso(self.fired_at),
            "last_alert_at": iso(self.last_alert_at),
            "alert_day": self.alert_day.isoformat() if self.alert_day else None,
            "level": self.level,
            "acked": self.acked,
            "snoozed_until": iso(self.snoozed_until),
            "muted": self.muted,
        }

    def restore(self, d: Mapping[str, Any]) -> None:
        self.muted = bool(d.get("muted", False))
        self.snoozed_until = _when(d.get("snoozed_until"))
        levels = tuple(d["levels"]) if d.get("levels") else None
        if d.get("when") != self.when or levels != self.levels:
            return  # a changed rule starts armed
        self.fired = bool(d.get("fired", False))
        self.fired_at = _when(d.get("fired_at"))
        self.last_alert_at = _when(d.get("last_alert_at"))
        day = d.get("alert_day")
        self.alert_day = date.fromisoformat(day) if day else None
        level = d.get("level")
        self.level = int(level) if level is not None else None
        self.acked = bool(d.get("acked", False))


def _when(text: Any) -> datetime | None:
    if not text:
        return None
    t = datetime.fromisoformat(str(text))
    return t if t.tzinfo else t.replace(tzinfo=UTC)


# ---- the runner ----------------------------------------------------------------------


class RuleRunner:
    """Evaluates every rule once per batch and remembers what has fired."""

    def __init__(self, specs: Sequence[RuleSpec], state: Mapping[str, Any] | None = None):
        names = [s.name for s in specs]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"alert names must be unique: {', '.join(duplicates)}")
        self.specs = tuple(specs)
        self._tracks = {s.name: _Track(when=s.when, levels=s.levels) for s in specs}
        saved = (state or {}).get("rules", {})
        for name, track in self._tracks.items():
            entry = saved.get(name) if isinstance(saved, Mapping) else None
            if isinstance(entry, Mapping):
                try:
                    track.restore(entry)
                except (TypeError, ValueError):
                    self._tracks[name] = _Track(when=track.when, levels=track.levels)

    # -- evaluation --

    def evaluate(self, snap: Snapshot) -> list[Alert]:
        """Evaluate every enabled rule on this snapshot; the alerts that fire now."""
        alerts = []
        for spec in self.specs:
            if not spec.enabled:
                continue
            alert = self._step(spec, self._tracks[spec.name], snap)
            if alert is not None:
                alerts.append(alert)
        return alerts

    def _step(self, spec: RuleSpec, track: _Track, snap: Snapshot) -> Alert | None:
        if spec.allow_stale and not snap.allow_stale:
            snap = replace(snap, allow_stale=True)
        outcome = evaluate(
            spec.rule, snap, threshold_override=spec.first_threshold if spec.levels else None
        )
        track.outcome = outcome
        if outcome.holds is None:
            return None  # a gap in data is not "condition false"
        if not outcome.holds:
            if track.fired and _released(spec, outcome):
                track.fired, track.level, track.acked = False, None, False
            return None
        tier = _tier(spec, outcome.value) if spec.levels else None
        if track.fired:
            return self._escalate(spec, track, snap, outcome, tier)
        if self._blocked(spec, track, snap):
            return None  # stays armed: fires after the cooldown / next day if still true
        track.fired, track.fired_at, track.level, track.acked = True, _utc(snap.now), tier, False
        if self._silent(track, snap.now):
            return None
        return self._alert(spec, track, snap, outcome, tier)

    def _escalate(
        self, spec: RuleSpec, track: _Track, snap: Snapshot, outcome: Outcome, tier: int | None
    ) -> Alert | None:
        if tier is None or track.level is None or tier <= track.level:
            return None
        track.level = tier
        if track.acked or self._silent(track, snap.now):
            return None
        return self._alert(spec, track, snap, outcome, tier)

    def _blocked(self, spec: RuleSpec, track: _Track, snap: Snapshot) -> bool:
        if track.last_alert_at is not None:
            if snap.now < track.last_alert_at + timedelta(seconds=spec.cooldown):
                return True
        return spec.once == "day" and track.alert_day == _trading_day(spec.rule, snap.now)

    def _silent(self, track: _Track, now: datetime) -> bool:
        return track.muted or (track.snoozed_until is not None and now < track.snoozed_until)

    def _alert(
        self, spec: RuleSpec, track: _Track, snap: Snapshot, outcome: Outcome, tier: int | None
    ) -> Alert:
        if tier is not None and spec.levels:
            outcome = replace(outcome, threshold=spec.levels[tier])
        track.last_alert_at = _utc(snap.now)
        track.alert_day = _trading_day(spec.rule, snap.now)
        message, context = describe(outcome, spec, snap)
        headlines = tuple(context.pop("headlines", ()))
        return Alert(
            rule=spec.name,
            time=_utc(snap.now),
            message=message,
            severity=spec.severity,
            symbol=outcome.symbol,
            symbols=outcome.symbols or spec.rule.symbols,
            value=outcome.value,
            threshold=outcome.threshold,
            level=tier,
            context=context,
            headlines=headlines,
            notify=spec.notify,
        )

    # -- commands --

    def _track(self, name: str) -> _Track:
        if name not in self._tracks:
            raise KeyError(f"no alert rule named {name!r}")
        return self._tracks[name]

    def ack(self, target: str | Alert) -> bool:
        """Acknowledge a rule's current episode (by rule name or by one of its Alerts):
        its deeper tiers stop alerting until it re-arms.  False when nothing had fired."""
        track = self._track(target.rule if isinstance(target, Alert) else target)
        if not track.fired:
            return False
        track.acked = True
        return True

    def snooze(self, name: str, until: datetime) -> None:
        if until.tzinfo is None:
            raise ValueError("snooze needs an aware datetime")
        self._track(name).snoozed_until = until

    def unsnooze(self, name: str) -> None:
        self._track(name).snoozed_until = None

    def mute(self, name: str, muted: bool = True) -> None:
        self._track(name).muted = muted

    # -- state --

    def states(self, now: datetime) -> list[RuleState]:
        """Every rule's live state, in configuration order."""
        return [self._state(spec, self._tracks[spec.name], now) for spec in self.specs]

    def _state(self, spec: RuleSpec, track: _Track, now: datetime) -> RuleState:
        outcome = track.outcome
        threshold = spec.first_threshold
        if spec.levels and track.fired and track.level is not None:
            threshold = spec.levels[track.level]
        base = RuleState(
            name=spec.name,
            when=spec.when,
            status=RuleStatus.ARMED,
            severity=spec.severity,
            value=outcome.value if outcome else None,
            threshold=threshold,
            fired_at=track.fired_at if track.fired else None,
            level=track.level if track.fired else None,
            symbol=(outcome.symbol if outcome else None) or next(iter(spec.rule.symbols), None),
        )
        if not spec.enabled:
            return replace(base, status=RuleStatus.DISABLED)
        if track.muted:
            return replace(base, status=RuleStatus.MUTED)
        if track.snoozed_until is not None and now < track.snoozed_until:
            return replace(base, status=RuleStatus.SNOOZED, until=track.snoozed_until)
        if outcome is not None and outcome.holds is None:
            return replace(base, status=RuleStatus.NOT_EVALUATED, why=outcome.why)
        if track.fired:
            return replace(base, status=RuleStatus.FIRED)
        if track.last_alert_at is not None:
            until = track.last_alert_at + timedelta(seconds=spec.cooldown)
            if now < until:
                return replace(base, status=RuleStatus.COOLING, until=until)
        if spec.once == "day" and track.alert_day == _trading_day(spec.rule, now):
            return replace(base, status=RuleStatus.COOLING)
        return base

    def to_state(self) -> dict[str, Any]:
        """JSON-serializable memory of every rule (restore with ``RuleRunner(specs, state)``)."""
        return {
            "version": STATE_VERSION,
            "rules": {name: track.to_json() for name, track in self._tracks.items()},
        }


def _tier(spec: RuleSpec, value: float | None) -> int | None:
    """The deepest tier ``value`` reaches (levels are ordered shallow to deep)."""
    if value is None or not spec.levels:
        return None
    op = _op(spec.rule)
    reached = [i for i, level in enumerate(spec.levels) if compare(value, op, level)]
    return max(reached) if reached else None


def _op(rule: Rule) -> str:
    expr = rule.expr
    return expr.op if isinstance(expr, Comparison | Basket) else ">="


def _released(spec: RuleSpec, outcome: Outcome) -> bool:
    """Whether a false condition has moved far enough from its threshold to re-arm."""
    expr = spec.rule.expr
    value, margin = outcome.value, default_hysteresis(spec)
    if isinstance(expr, Crosses):
        return value is not None and abs(value - expr.level) > margin
    if not isinstance(expr, Comparison | Basket) or value is None:
        return True
    threshold = spec.first_threshold if spec.levels else expr.threshold
    assert threshold is not None
    if expr.op in ("<=", "<"):
        return value > threshold + margin
    return value < threshold - margin


def _utc(t: datetime) -> datetime:
    return t.astimezone(UTC)


def _trading_day(rule: Rule, now: datetime) -> date:
    symbols = rule.symbols
    return sessions.trading_day(symbols[0], now) if symbols else now.astimezone(UTC).date()
