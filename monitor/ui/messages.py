"""Typed Textual messages: the engine's events as they reach the widgets.

The engine callback only wraps an event in one of these and the app posts it to each
view that has a handler for it (cheap, on the same loop); the handlers live in the
widgets that own the data, and run later, between key presses, so input never freezes.
These messages do not bubble: each view gets its own copy and nothing reaches the app
twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from textual.message import Message

from monitor.events import (
    AlertEvent,
    Event,
    HeadlinesEvent,
    NoticeEvent,
    QuotesEvent,
    RelatedEvent,
    ReplayEndedEvent,
    RulesEvent,
    SourceEvent,
)
from monitor.model import Alert, Headline, QuoteBatch, RuleState, SourceStatus


class EngineMessage(Message, bubble=False):
    """One engine event, delivered to one view (never bubbling up to the app: the app
    gets its own copy when it has a handler)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        kwargs.setdefault("bubble", False)  # Message's default would make each bubble
        super().__init_subclass__(**kwargs)


@dataclass
class HeadlinesArrived(EngineMessage):
    headlines: tuple[Headline, ...]


@dataclass
class QuotesArrived(EngineMessage):
    batch: QuoteBatch


@dataclass
class SourceChanged(EngineMessage):
    status: SourceStatus


@dataclass
class AlertFired(EngineMessage):
    alert: Alert


@dataclass
class RulesChanged(EngineMessage):
    states: tuple[RuleState, ...]


@dataclass
class NoticeArrived(EngineMessage):
    message: str
    severity: str


@dataclass
class RelatedChanged(EngineMessage):
    """The stories related to a live news burst now (empty: no burst is live)."""

    headlines: tuple[Headline, ...]
    bursts: tuple[str, ...]


@dataclass
class ReplayEnded(EngineMessage):
    pass


@dataclass
class ConfigReloaded(EngineMessage):
    """The watchlist file was read again: ``error`` says why it was not applied."""

    error: str | None


def message_for(event: Event) -> EngineMessage | None:
    """The Textual message carrying one engine event (None for an unknown event)."""
    match event:
        case HeadlinesEvent(headlines=headlines):
            return HeadlinesArrived(headlines)
        case QuotesEvent(batch=batch):
            return QuotesArrived(batch)
        case SourceEvent(status=status):
            return SourceChanged(status)
        case AlertEvent(alert=alert):
            return AlertFired(alert)
        case RulesEvent(states=states):
            return RulesChanged(cast(tuple[RuleState, ...], states))
        case NoticeEvent(message=message, severity=severity):
            return NoticeArrived(message, severity)
        case RelatedEvent(headlines=headlines, bursts=bursts):
            return RelatedChanged(headlines, bursts)
        case ReplayEndedEvent():
            return ReplayEnded()
    return None
