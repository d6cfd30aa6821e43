"""Pacing a recorded replay: how long to wait, in real seconds, between two batches."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from monitor import sessions

#: With skip_closed, the longest real pause for a gap that spanned closed markets.
MAX_SKIP_PAUSE = 2.0


def playback_delay(
    prev: datetime,
    nxt: datetime,
    *,
    speed: float,
    skip_closed: bool,
    symbols: Sequence[str],
    max_gap: float | None = None,
) -> float:
    """Real seconds to wait between the batches at ``prev`` and ``nxt``.

    Without ``skip_closed``: the wall gap / speed.  With it: only time when at least
    one symbol's regular session is open counts (nights, weekends, holidays, lunch
    breaks count zero), and a gap that spanned closed time waits at most
    ``MAX_SKIP_PAUSE`` real seconds.  Crypto symbols are always open, so they keep
    every gap.  ``max_gap`` (recorded seconds) shortens a longer gap to it first: a
    recording with no rows between a day's open and close does not stall for hours.
    """
    if speed <= 0:
        raise ValueError("speed must be positive")
    wall = (nxt - prev).total_seconds()
    if wall <= 0:
        return 0.0
    limit = max_gap if max_gap is not None else math.inf
    if not skip_closed:
        return min(wall, limit) / speed
    open_seconds = sessions.open_seconds_between(symbols, prev, nxt)
    delay = min(open_seconds, limit) / speed
    if open_seconds < wall:
        delay = min(delay, MAX_SKIP_PAUSE)
    return delay
