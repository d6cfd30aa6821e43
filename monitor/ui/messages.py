"""Typed Textual messages: the engine's events as they reach the widgets.

The engine callback only wraps an event in one of these and posts it (cheap, on the
same loop); handlers run later, between key presses, so input never freezes.
"""

from __future__ import annotations

from textual.message import Message

from monitor.events import (
    AlertEvent,
    Event,
    HeadlinesEvent,
    NoticeEvent,
    QuotesEvent,
    ReplayEndedEvent,
    RulesEvent,
    SourceEvent,
)
from monitor.model import Alert, Headline, QuoteBatch, SourceStatus


class HeadlinesArrived(Message):
    def __init__(self, headlines: tuple[Headline, ...]) -> None:
        super().__init__()
        self.headlines = headlines


class QuotesArrived(Message):
    def __init__(self, batch: QuoteBatch) -> None:
        super().__init__()
        self.batch = batch


class SourceChanged(Message):
    def __init__(self, status: SourceStatus) -> None:
        super().__init__()
        self.status = status


class AlertFired(Message):
    def __init__(self, alert: Alert) -> None:
        super().__init__()
        self.alert = alert


class RulesChanged(Message):
    def __init__(self, states: tuple[object, ...]) -> None:
        super().__init__()
        self.states = states


class NoticeArrived(Message):
    def __init__(self, message: str, severity: str) -> None:
        super().__init__()
        self.message = message
        self.severity = severity


class ReplayEnded(Message):
    pass


def message_for(event: Event) -> Message | None:
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
            return RulesChanged(states)
        case NoticeEvent(message=message, severity=severity):
            return NoticeArrived(message, severity)
        case ReplayEndedEvent():
            return ReplayEnded()
    return None
