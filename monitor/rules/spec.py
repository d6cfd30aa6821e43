"""One configured alert rule as the runner sees it: the parsed condition plus how and
when it may notify, and the re-arm margin of its measure.

Built once per config by ``monitor.engine.build`` from ``config.Rule`` (which parsed the
condition when the file was loaded); tests build them directly.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.model import Severity
from monitor.rules.language import (
    PERCENT_METRICS,
    Basket,
    Comparison,
    Crosses,
    Metric,
    Rule,
    check_levels,
)

DEFAULT_COOLDOWN = 1800.0


@dataclass(frozen=True)
class RuleSpec:
    """One configured alert: the parsed rule plus how and when it may notify."""

    name: str
    rule: Rule
    when: str = ""  # defaults to rule.text
    notify: tuple[str, ...] = ()
    cooldown: float = DEFAULT_COOLDOWN  # seconds between alerts of this rule
    once: str | None = None  # "day": at most once per trading day
    levels: tuple[float, ...] | None = None  # tiers replacing the single threshold
    severity: Severity = Severity.WARNING
    allow_stale: bool = False  # evaluate on stale / closed-market quotes too
    enabled: bool = True
    hysteresis: float | None = None  # re-arm margin in the measure's unit; None = default

    def __post_init__(self) -> None:
        if not self.when:
            object.__setattr__(self, "when", self.rule.text)
        object.__setattr__(self, "notify", tuple(self.notify))
        if self.levels is not None:
            error = check_levels(self.rule, list(self.levels))
            if error:
                raise ValueError(f"alert {self.name!r}: {error}")
            object.__setattr__(self, "levels", tuple(float(x) for x in self.levels))
        if self.once not in (None, "day"):
            raise ValueError(f'alert {self.name!r}: once must be "day", not {self.once!r}')
        if self.severity not in tuple(Severity):
            names = ", ".join(Severity)
            raise ValueError(f"alert {self.name!r}: severity must be one of {names}")
        object.__setattr__(self, "severity", Severity(self.severity))
        if self.cooldown < 0 or (self.hysteresis is not None and self.hysteresis < 0):
            raise ValueError(f"alert {self.name!r}: cooldown and hysteresis must be >= 0")

    @property
    def first_threshold(self) -> float | None:
        return self.levels[0] if self.levels else self.rule.threshold


def default_hysteresis(spec: RuleSpec) -> float:
    """The re-arm margin in the unit of the rule's measure (see ``rules.runner``'s doc)."""
    if spec.hysteresis is not None:
        return spec.hysteresis
    expr = spec.rule.expr
    threshold = abs(spec.first_threshold or 0.0)
    if isinstance(expr, Crosses):
        return 0.002 * threshold
    metrics: tuple[str, ...] = ()
    if isinstance(expr, Basket):
        metrics = (expr.metric,)
    elif isinstance(expr, Comparison):
        m = expr.measure
        metrics = (m.metric,) if isinstance(m, Metric) else (m.left.metric, m.right.metric)
    if metrics and all(m in PERCENT_METRICS for m in metrics):
        return 0.5
    if metrics == ("volume_x",):
        return 0.1
    return 0.002 * threshold
