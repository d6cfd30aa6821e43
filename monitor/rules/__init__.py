"""Alert rules as pure logic: the rule language, evaluation on a snapshot, the firing
state machine and what an alert says.  No I/O, no asyncio: the engine calls
``RuleRunner.evaluate`` once per quote batch and on new headlines, the store keeps
``RuleRunner.to_state()``, the notifier sends the returned alerts.

See ``language`` (the grammar and ``LANGUAGE_REFERENCE``), ``evaluate`` (not-evaluated
reasons), ``spec`` (one configured rule), ``runner`` (fire / re-arm / cooldown /
levels / snooze / mute / ack) and ``context`` (message and context of an alert).
"""

from monitor.rules.context import describe, headline_dict, largest_since, market_value_change
from monitor.rules.evaluate import Outcome, Snapshot, evaluate, usable_quote
from monitor.rules.language import (
    DEFAULT_NEWS_WINDOW,
    LANGUAGE_REFERENCE,
    METRICS,
    Rule,
    RuleSyntaxError,
    check_levels,
    parse_rule,
)
from monitor.rules.runner import RuleRunner, summarize
from monitor.rules.spec import RuleSpec, default_hysteresis

__all__ = [
    "DEFAULT_NEWS_WINDOW",
    "LANGUAGE_REFERENCE",
    "METRICS",
    "Outcome",
    "Rule",
    "RuleRunner",
    "RuleSpec",
    "RuleSyntaxError",
    "Snapshot",
    "check_levels",
    "default_hysteresis",
    "describe",
    "evaluate",
    "headline_dict",
    "largest_since",
    "market_value_change",
    "parse_rule",
    "summarize",
    "usable_quote",
]
