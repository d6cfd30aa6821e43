"""Backoff state of the quote sources, on the source's clock.

The curve is the project's one policy (``monitor.backoff``: exponential, capped, with
jitter); this keeps *when the next request may be made* between polls, and later polls
skip the request until then.  ``Backoffs`` keeps one such state per key, so each failing
endpoint (sign-in, batch quotes) and each failing symbol's chart waits on its own while
the rest keep polling.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from monitor.backoff import Backoff as Policy

#: each wait is scaled by a random factor in [0.75, 1.25]: monitors that hit the same
#: 429 wave together do not come back together
JITTER = 0.25


@dataclass
class Backoff:
    """Exponential backoff with jitter: base, 2×base, 4×base ... up to cap seconds."""

    base: float = 60.0
    cap: float = 1800.0
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0
    next_try: datetime | None = None

    def fail(self, now: datetime) -> datetime:
        self.failures += 1
        policy = Policy(initial=self.base, maximum=self.cap, jitter=JITTER)
        self.next_try = now + timedelta(seconds=policy.delay(self.failures, self.rng))
        return self.next_try

    def waiting(self, now: datetime) -> bool:
        return self.next_try is not None and now < self.next_try

    def succeed(self) -> None:
        self.failures = 0
        self.next_try = None


class Backoffs:
    """One ``Backoff`` per key (an endpoint, a symbol), all with the same base and cap."""

    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self._rng = rng or random.Random()
        self._states: dict[str, Backoff] = {}

    def fail(self, key: str, now: datetime) -> datetime:
        state = self._states.get(key)
        if state is None:
            state = self._states[key] = Backoff(self.base, self.cap, self._rng)
        return state.fail(now)

    def waiting(self, key: str, now: datetime) -> bool:
        state = self._states.get(key)
        return state is not None and state.waiting(now)

    def next_try(self, key: str) -> datetime | None:
        state = self._states.get(key)
        return state.next_try if state is not None else None

    def succeed(self, key: str) -> None:
        self._states.pop(key, None)

    def pending(self, now: datetime) -> list[datetime]:
        """The retry times still ahead of ``now``, of every key."""
        return [s.next_try for s in self._states.values() if s.next_try and s.next_try > now]
