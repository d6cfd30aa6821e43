"""The one injectable clock: everything that depends on "now" reads it.

Live it is the wall clock; with a recorded source (replay, demo, tests) it is the
recorded data's own time, so a replay of 2025 behaves as it would have on the day.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""
        ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock set by whoever drives the data (the recorded source, or a test)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, t: datetime) -> None:
        if t.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = t.astimezone(UTC)

    def advance(self, seconds: float) -> None:
        from datetime import timedelta

        self._now += timedelta(seconds=seconds)
