"""Alert rules as pure logic: the rule language, evaluation on a snapshot, the firing
state machine and what an alert says.  No I/O, no asyncio: the engine calls
``RuleRunner.evaluate`` once per quote batch and on new headlines, the store keeps
``RuleRunner.to_state()``, the notifier sends the returned alerts.

See ``language`` (the words, the tree and ``LANGUAGE_REFERENCE``), ``parser`` (text to
tree, with the column of an error), ``evaluate`` (not-evaluated reasons), ``spec`` (one
configured rule), ``runner`` (fire / re-arm / cooldown / levels / snooze / mute / ack)
and ``message`` (the message and context of an alert).
"""

from monitor.rules.evaluate import Outcome, Snapshot, evaluate, usable_quote
from monitor.rules.language import (
    DEFAULT_NEWS_WINDOW,
    LANGUAGE_REFERENCE,
    METRICS,
    Rule,
    check_levels,
)
from monitor.rules.message import describe, headline_dict, largest_since, market_value_change
from monitor.rules.parser import RuleSyntaxError, parse_rule
from monitor.rules.runner import RuleRunner
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
    "usable_quote",
]
