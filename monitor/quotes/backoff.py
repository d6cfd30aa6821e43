"""The one backoff policy of the quote sources: exponential, with jitter, on the
source's clock.

Not a retry loop (``stamina``/``tenacity`` retry a call in place, sleeping between
attempts): a poll that fails records *when the next request may be made*, and later
polls skip the request until then.  ``Backoffs`` keeps one such state per key, so each
failing endpoint (sign-in, batch quotes) and each failing symbol's chart waits on its
own while the rest keep polling.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta


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
        delay = min(self.cap, self.base * 2 ** (self.failures - 1))
        # Jitter spreads the retries of many monitors hitting the same 429 wave.
        delay *= 0.75 + 0.5 * self.rng.random()
        self.next_try = now + timedelta(seconds=delay)
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
