"""The one backoff policy and the one Retry-After parser of every network client.

A failed source is retried after ``initial * 2**(failures-1)`` seconds, capped at
``maximum``, then scaled by a random factor in ``[1 - jitter, 1 + jitter]`` so clients
that failed together do not retry together (no jitter without a random source, which
keeps schedules reproducible in tests).  A server's Retry-After is honoured when it asks
for longer: the wait is the larger of the two, the server's part capped by the caller.

Two ways to use it:

- a schedule kept between polls (a feed's ``next_try``): :meth:`Backoff.delay`;
- a retry loop inside one call (a webhook POST): :meth:`Backoff.retrying`, which runs
  the loop with `stamina <https://stamina.hynek.me>`_ and takes each wait from
  :meth:`Backoff.wait`, so both follow the same curve.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

#: A server asking for more than this is treated as asking for this much.
MAX_RETRY_AFTER = 6 * 3600.0


def parse_retry_after(
    value: str | None, now: datetime, *, cap: float = MAX_RETRY_AFTER
) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped.

    None when there is no header or it cannot be read; a date in the past is 0.
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000" dates come back naive; HTTP-dates are GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), cap)


class RetryLater(Exception):
    """A failed attempt worth repeating, raised inside :meth:`Backoff.retrying`.

    ``attempt`` is the 1-based number of the attempt that failed (stamina's
    ``Attempt.num``); ``retry_after`` the seconds a server asked for, if any.
    """

    def __init__(self, reason: str, *, attempt: int, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.attempt = attempt
        self.retry_after = retry_after


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: ``initial``, 2×, 4× ... up to ``maximum`` seconds."""

    initial: float = 30.0
    maximum: float = 3600.0
    jitter: float = 0.2  # fraction: the delay is scaled by a factor in [1-jitter, 1+jitter]

    def delay(self, failures: int, rng: random.Random | None = None) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 -> ``initial``)."""
        exponent = min(max(failures, 1) - 1, 62)  # 2**62 already exceeds any cap
        delay = min(self.initial * 2.0**exponent, self.maximum)
        if rng is not None and self.jitter:
            delay *= rng.uniform(1 - self.jitter, 1 + self.jitter)
        return delay

    def wait(
        self,
        failures: int,
        retry_after: float | None = None,
        *,
        rng: random.Random | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> float:
        """The wait after a failure: the backoff, or longer if the server asked for it."""
        delay = self.delay(failures, rng)
        if retry_after is None:
            return delay
        return max(delay, min(retry_after, max_retry_after))

    def retrying(
        self,
        attempts: int,
        *,
        rng: random.Random | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> Any:
        """An async retry loop (stamina) of at most ``attempts`` tries.

        Only :class:`RetryLater` is retried; after the last attempt it is raised::

            async for attempt in policy.retrying(4):
                with attempt:
                    ... raise RetryLater("HTTP 503", attempt=attempt.num, retry_after=s)
        """
        import stamina  # with tenacity ~1 MB: only once something is retried (a webhook)

        return stamina.retry_context(
            on=self._hook(rng, max_retry_after),
            attempts=max(1, attempts),
            timeout=None,  # each attempt has its own deadline; the count bounds the rest
        )

    def _hook(
        self, rng: random.Random | None, max_retry_after: float
    ) -> Callable[[Exception], bool | float]:
        def wait_for(exc: Exception) -> bool | float:
            if not isinstance(exc, RetryLater):
                return False
            return self.wait(exc.attempt, exc.retry_after, rng=rng, max_retry_after=max_retry_after)

        return wait_for
