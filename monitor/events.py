"""What the engine tells its subscribers (the CLI's printer, the app): one dataclass each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from monitor.model import Alert, Headline, QuoteBatch, SourceStatus


@dataclass(frozen=True, slots=True)
class HeadlinesEvent:
    headlines: tuple[Headline, ...]


@dataclass(frozen=True, slots=True)
class QuotesEvent:
    batch: QuoteBatch


@dataclass(frozen=True, slots=True)
class SourceEvent:
    status: SourceStatus


@dataclass(frozen=True, slots=True)
class AlertEvent:
    alert: Alert


@dataclass(frozen=True, slots=True)
class RulesEvent:
    """The live state of every rule (armed, fired, cooling down, not evaluated: why)."""

    states: tuple[Any, ...]  # tuple[monitor.rules.RuleState, ...]


@dataclass(frozen=True, slots=True)
class NoticeEvent:
    """Something a person should read once (desktop notifications unavailable, ...)."""

    message: str
    severity: str = "warning"


@dataclass(frozen=True, slots=True)
class RelatedEvent:
    """The stories related to a live news burst changed: here is the whole set now
    (empty when no burst is live), and the bursts' rule names."""

    headlines: tuple[Headline, ...]
    bursts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReplayEndedEvent:
    """A recorded source has delivered its last row."""

    time: datetime


Event = (
    HeadlinesEvent
    | QuotesEvent
    | SourceEvent
    | AlertEvent
    | RulesEvent
    | NoticeEvent
    | RelatedEvent
    | ReplayEndedEvent
)
