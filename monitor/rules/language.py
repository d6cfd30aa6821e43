"""The alert rule language: the ``when`` of each ``[[alerts]]`` entry.

A rule is one line of text, parsed once into a small tree (the AST below) and
evaluated on every quote batch.  Examples (each is tested)::

    ^SOX day% <= -5                       # day change vs previous close, in percent
    NVDA price < 120                      # also >, <=, >=
    NVDA crosses 130                      # the price crossed 130, either direction
    NVDA open% <= -3                      # move since today's open
    NVDA drawdown% >= 8                   # fall from today's high
    NVDA volume_x >= 3                    # day volume vs the 20-session average
    300766.SZ limit_up                    # A-share at its daily limit up
    002354.SZ limit_down                  # ... or down
    news "DeepSeek"                       # a matching story arrived (last 10 minutes)
    news '"Liang Wenfeng" OR 梁文锋'      # a query with quotes, in single quotes
    news "DeepSeek" count >= 5 within 30m # a burst: >= 5 distinct stories in 30 minutes
    any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5
    all of [NVDA, AMD] day% <= -3
    NVDA day% - ^SOX day% <= -5           # relative move
    news "DeepSeek" within 2h and NVDA day% <= -3
    NVDA price < 120 or AMD price < 100   # `or` too; parentheses group

Here: the words of the language, the tree a rule parses into, ``check_levels`` and
``LANGUAGE_REFERENCE`` (the Markdown reference of every keyword; the README's copy
comes from it).  ``monitor.rules.parser.parse_rule(text)`` returns a :class:`Rule` or
raises ``RuleSyntaxError`` (``message``, 0-based ``position``, ``hint``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field

from monitor.query import Query

#: Metrics of one symbol's quote.  Percent metrics end with ``%``.
METRICS: dict[str, str] = {
    "price": "last price",
    "day%": "change since the previous close, in percent",
    "open%": "change since today's open, in percent",
    "drawdown%": "fall from today's high, in percent (0 at the high, positive below it)",
    "volume_x": "day volume / average daily volume of the last 20 sessions (needs history)",
    "change": "absolute change since the previous close, in the quote's currency",
}
PERCENT_METRICS = frozenset({"day%", "open%", "drawdown%"})
COMPARISONS = ("<=", ">=", "<", ">")
#: shown as the math sign in messages
OP_SIGNS = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}
KEYWORDS = frozenset(
    {
        "news",
        "count",
        "within",
        "any",
        "all",
        "of",
        "and",
        "or",
        "crosses",
        "limit_up",
        "limit_down",
    }
)
#: the window of a ``news "..."`` part written without ``within``
DEFAULT_NEWS_WINDOW = 600.0


# ---- the tree ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Metric:
    """One symbol's metric, e.g. ``NVDA day%``."""

    symbol: str
    metric: str

    def __str__(self) -> str:
        return f"{self.symbol} {self.metric}"


@dataclass(frozen=True, slots=True)
class Difference:
    """A relative move, e.g. ``NVDA day% - ^SOX day%``."""

    left: Metric
    right: Metric

    def __str__(self) -> str:
        return f"{self.left} - {self.right}"


@dataclass(frozen=True, slots=True)
class Comparison:
    measure: Metric | Difference
    op: str
    threshold: float


@dataclass(frozen=True, slots=True)
class Crosses:
    """The price crossed ``level`` between the previous batch and this one."""

    symbol: str
    level: float


@dataclass(frozen=True, slots=True)
class Limit:
    """An A-share at its daily price limit; ``direction`` is "up" or "down"."""

    symbol: str
    direction: str


@dataclass(frozen=True, slots=True)
class Basket:
    """``any K of [...]`` (``need`` = K) or ``all of [...]`` (``need`` = None)."""

    need: int | None
    symbols: tuple[str, ...]
    metric: str
    op: str
    threshold: float


@dataclass(frozen=True, slots=True)
class News:
    """Matching stories first seen within ``window`` seconds; at least ``count``."""

    query_text: str
    query: Query = field(compare=False, repr=False)
    count: int = 1
    window: float = DEFAULT_NEWS_WINDOW


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    parts: tuple[Node, ...]


Node = Comparison | Crosses | Limit | Basket | News | AllOf | AnyOf
MarketNode = Comparison | Crosses | Limit | Basket


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, depth first, left to right."""
    yield node
    if isinstance(node, AllOf | AnyOf):
        for part in node.parts:
            yield from walk(part)


def node_symbols(node: Node) -> tuple[str, ...]:
    if isinstance(node, Comparison):
        m = node.measure
        return (m.symbol,) if isinstance(m, Metric) else (m.left.symbol, m.right.symbol)
    if isinstance(node, Crosses | Limit):
        return (node.symbol,)
    if isinstance(node, Basket):
        return node.symbols
    return ()


@dataclass(frozen=True, slots=True)
class Rule:
    """A parsed rule: its text and tree, plus what the runner and the UI ask of it."""

    text: str
    expr: Node

    @property
    def symbols(self) -> tuple[str, ...]:
        """Every symbol the rule references, in order of first appearance."""
        seen: dict[str, None] = {}
        for node in walk(self.expr):
            seen.update(dict.fromkeys(node_symbols(node)))
        return tuple(seen)

    @property
    def main(self) -> MarketNode | None:
        """The part whose value and threshold an alert shows: the first market part."""
        for node in walk(self.expr):
            if isinstance(node, Comparison | Crosses | Limit | Basket):
                return node
        return None

    @property
    def threshold(self) -> float | None:
        main = self.main
        if isinstance(main, Comparison | Basket):
            return main.threshold
        if isinstance(main, Crosses):
            return main.level
        if main is None and isinstance(self.expr, News):
            return float(self.expr.count)
        return None

    @property
    def primary_symbol(self) -> str | None:
        """The symbol the rule is about; None for baskets and news-only rules."""
        main = self.main
        if main is None or isinstance(main, Basket):
            return None
        return node_symbols(main)[0]

    @property
    def has_news(self) -> bool:
        return any(isinstance(n, News) for n in walk(self.expr))

    @property
    def longest_window(self) -> float:
        """The longest news window in seconds (0 without news): how far back to keep."""
        return max((n.window for n in walk(self.expr) if isinstance(n, News)), default=0.0)


def compare(value: float, op: str, threshold: float) -> bool:
    if op == "<=":
        return value <= threshold
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    return value > threshold


# ---- levels --------------------------------------------------------------------------


def check_levels(rule: Rule, levels: object) -> str | None:
    """The error text when ``levels`` cannot go with ``rule``, else None.

    Levels replace a single comparison's threshold with tiers that deepen in the
    direction of the comparison: ``<=`` needs decreasing levels ([-5, -7.5, -10]),
    ``>=`` increasing ones.
    """
    if not isinstance(rule.expr, Comparison | Basket):
        return "levels need a rule with a single comparison, like `^SOX day% <= -5`"
    if not isinstance(levels, list | tuple) or not levels:
        return "levels must be a non-empty list of numbers, like [-5, -7.5, -10]"
    values = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, int | float):
            return f"levels must be numbers, not {level!r}"
        if not math.isfinite(level):
            return f"levels must be finite numbers, not {level!r}"
        values.append(float(level))
    falling = rule.expr.op in ("<=", "<")
    for a, b in zip(values, values[1:], strict=False):
        if (falling and not b < a) or (not falling and not b > a):
            order = "decreasing" if falling else "increasing"
            return f"levels must be strictly {order} for `{rule.expr.op}` (got {values})"
    return None


LANGUAGE_REFERENCE = r"""
## Alert rules

Each `[[alerts]]` entry has a `when`: one condition, or several joined with `and` / `or`
(`and` binds tighter; parentheses group).  Symbols are written as in the watchlist
(`NVDA`, `BRK-B`, `^SOX`, `300766.SZ`, `BTC-USD`, `EURUSD=X`).

| write | holds when |
|---|---|
| `^SOX day% <= -5` | the day change vs the previous close is -5% or worse (`>=`, `<`, `>` too) |
| `NVDA price < 120` / `NVDA price > 150` | the last price is below 120 / above 150 |
| `NVDA change <= -10` | the absolute day change (in the quote's currency) is -10 or worse |
| `NVDA crosses 130` | the price crossed 130 since the previous batch, either direction |
| `NVDA open% <= -3` | the move since today's open is -3% or worse |
| `NVDA drawdown% >= 8` | the price is 8% or more below today's high |
| `NVDA volume_x >= 3` | day volume is 3× the average of the last 20 sessions (needs history) |
| `300766.SZ limit_up` / `002354.SZ limit_down` | an A-share sits at its daily price limit |
| `news "DeepSeek"` | a story matching the query was first seen in the last 10 minutes |
| `news '"Liang Wenfeng" OR 梁文锋'` | any news query; one containing `"` goes in single quotes |
| `news "DeepSeek" count >= 5 within 30m` | at least 5 distinct stories matched within 30 minutes |
| `any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5` | at least 3 of the listed symbols hold |
| `all of [NVDA, AMD] day% <= -3` | every listed symbol holds (`any of [...]` = any 1) |
| `NVDA day% - ^SOX day% <= -5` | a relative move: NVDA did 5 points worse than ^SOX |
| `news "DeepSeek" within 2h and NVDA day% <= -3` | every part holds (news: for its window) |
| `NVDA price < 120 or AMD price < 100` | any part holds |

Metrics: `price`, `day%` (vs previous close), `open%` (vs today's open), `drawdown%` (from
today's high), `volume_x` (volume vs 20-session average), `change` (absolute day change).
Comparisons: `<=`, `>=`, `<`, `>`.  Numbers may carry a `%` (`-5%` = `-5`).
Durations: `30s`, `30m`, `2h`, `1d`.

A rule fires once when its condition becomes true, and re-arms only after the condition
has been false beyond a hysteresis (0.5 percentage point for percent metrics, 0.2% of the
threshold for prices; `hysteresis = ...` overrides, in the measure's own unit).  `cooldown`
(default 30m) spaces alerts of one rule; `once = "day"` allows one per trading day.
`levels = [-5, -7.5, -10]` (single comparison only) replaces the threshold with tiers
that fire once each as the move deepens.

A rule is *not evaluated* — and neither fires nor re-arms — while its data is missing,
stale, suspect (e.g. previous close missing) or from a closed market, unless
`allow_stale = true` (which admits stale and closed-market quotes, never suspect ones).
""".strip()
