"""The status board of every source (each feed, the one quote source) and the events
the engine's parts send through the core.

The parts receive an ``Emit`` callable and this board when the core builds them; none
of them imports the core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monitor.events import Event, NoticeEvent, SourceEvent
from monitor.model import SourceStatus, Status
from monitor.news.fetch import FeedState

#: how a part hands an event to the core, which passes it to every subscriber
Emit = Callable[[Event], None]
#: how a part starts a background task the core cancels on stop
Spawn = Callable[[Any], Any]


class SourceBoard:
    """The latest status of each source; a change is emitted as a ``SourceEvent``."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._sources: dict[str, SourceStatus] = {}

    def set(self, status: SourceStatus) -> None:
        key = "quotes" if status.kind == "quotes" else status.name  # one quote source
        old = self._sources.get(key)
        self._sources[key] = status
        if old is None or (old.status, old.error, old.next_try, old.detail) != (
            status.status,
            status.error,
            status.next_try,
            status.detail,
        ):
            self._emit(SourceEvent(status))

    def expect(self, key: str, name: str, kind: str) -> None:
        """A source the config names, pending until its first poll."""
        self._sources.setdefault(key, SourceStatus(name, kind, Status.PENDING))

    def drop_feeds(self) -> None:
        """The config has no feeds (any more)."""
        self._sources = {k: v for k, v in self._sources.items() if v.kind != "feed"}

    def all(self) -> list[SourceStatus]:
        return list(self._sources.values())


def feed_source_status(name: str, state: FeedState, warning: str | None = None) -> SourceStatus:
    detail = None
    if state.moved_from:
        detail = f"moved permanently to {state.url}"
    elif warning:
        detail = warning
    return SourceStatus(
        name=name,
        kind="feed",
        status=state.status,
        error=state.error,
        next_try=state.next_try,
        last_ok=state.last_ok,
        detail=detail,
    )


def store_notices(emit: Emit) -> Callable[[str | None, int], None]:
    """How the store worker reports trouble: writes failing (busy, disk full) are queued;
    say so, and say when they are saved again."""

    def report(error: str | None, pending: int) -> None:
        if error is not None:
            emit(NoticeEvent(f"database: {error}; {pending} writes queued", "error"))
        else:
            emit(NoticeEvent("database writable again; queued writes saved", "info"))

    return report
