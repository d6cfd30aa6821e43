"""Unicode block charts: a one-line sparkline and a taller column chart.

Pure functions over a list of prices, so the symbol view and the watchlist share them
and tests check them with plain values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"
#: Eighths of a cell, for the taller chart's partial top cells.
EIGHTHS = " ▁▂▃▄▅▆▇█"


def _clean(values: Sequence[float]) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(v)]


def resample(values: Sequence[float], width: int) -> list[float]:
    """At most ``width`` points: the last value of each bucket (a close), keeping the shape."""
    points = _clean(values)
    if width <= 0 or len(points) <= width:
        return points
    step = len(points) / width
    return [points[min(len(points) - 1, int((i + 1) * step) - 1)] for i in range(width)]


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """'▁▂▄▇█▆' scaled between the series' own low and high; '' when empty."""
    points = resample(values, width)
    if not points:
        return ""
    low, high = min(points), max(points)
    if high == low:
        return BLOCKS[3] * len(points)
    scale = (len(BLOCKS) - 1) / (high - low)
    return "".join(BLOCKS[round((p - low) * scale)] for p in points)


def column_chart(values: Sequence[float], width: int, height: int) -> list[str]:
    """A ``height``-row chart (top row first), eighth-cell precision.

    Long series are resampled to ``width``; short ones are widened (each point repeated)
    so the chart uses the room it is given.
    """
    points = resample(values, width)
    if points:
        points = [p for p in points for _ in range(max(1, width // len(points)))]
    if not points or height <= 0:
        return []
    low, high = min(points), max(points)
    span = high - low or 1.0
    # a flat series sits mid-height instead of vanishing
    levels = [
        (height * 8 // 2) if high == low else 1 + round((p - low) / span * (height * 8 - 1))
        for p in points
    ]
    rows = []
    for row in range(height - 1, -1, -1):
        base = row * 8
        rows.append("".join(EIGHTHS[max(0, min(8, level - base))] for level in levels))
    return rows
