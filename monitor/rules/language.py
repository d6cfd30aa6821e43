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

``parse_rule(text)`` returns a :class:`Rule` or raises :class:`RuleSyntaxError`
(``message``, 0-based ``position``, ``hint``).  ``LANGUAGE_REFERENCE`` is the
Markdown reference of every keyword (the README's copy comes from it).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from monitor.query import Query, QueryError, parse_query

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
DURATION_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

_SYMBOL = re.compile(r"\^?[A-Z0-9][A-Z0-9.\-=]*\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)%?\Z")
_DURATION = re.compile(r"(\d+(\.\d+)?)([smhd])\Z")
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.^=-+%")


class RuleSyntaxError(ValueError):
    """A rule that does not parse: what is wrong, where (0-based column), and a hint."""

    def __init__(self, message: str, position: int, hint: str | None = None) -> None:
        super().__init__(message, position, hint)
        self.message = message
        self.position = position
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} at column {self.position}"


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


# ---- tokens --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # word | number | duration | string | op | lbracket | rbracket | comma |
    # lparen | rparen | minus | end
    text: str
    position: int
    value: float = 0.0


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                raise RuleSyntaxError("unterminated string", i, f"close it with {ch}")
            tokens.append(Token("string", text[i + 1 : end], i))
            i = end + 1
        elif ch in "<>":
            op = text[i : i + 2] if text[i + 1 : i + 2] == "=" else ch
            tokens.append(Token("op", op, i))
            i += len(op)
        elif ch in "[](),":
            kinds = {"[": "lbracket", "]": "rbracket", "(": "lparen", ")": "rparen", ",": "comma"}
            tokens.append(Token(kinds[ch], ch, i))
            i += 1
        elif ch in "-+" and not _starts_number(text, i):
            tokens.append(Token("minus" if ch == "-" else "plus", ch, i))
            i += 1
        elif ch in "=!":
            raise RuleSyntaxError(
                f"unknown comparison {text[i : i + 2].strip()!r}", i, "use <=, >=, < or >"
            )
        elif ch in _WORD_CHARS:
            i = _word(text, i, tokens)
        else:
            raise RuleSyntaxError(f"unexpected character {ch!r}", i)
    tokens.append(Token("end", "", n))
    return tokens


def _starts_number(text: str, i: int) -> bool:
    rest = text[i + 1 : i + 3]
    return bool(rest) and (rest[0].isdigit() or (rest[0] == "." and rest[1:2].isdigit()))


def _word(text: str, start: int, tokens: list[Token]) -> int:
    i = start + 1
    # `%` ends a word so `day%-^SOX` splits; a sign inside a word is part of it (BRK-B)
    while i < len(text) and text[i] in _WORD_CHARS and text[i - 1] != "%":
        i += 1
    word = text[start:i]
    if _NUMBER.match(word):
        tokens.append(Token("number", word, start, float(word.rstrip("%"))))
    elif m := _DURATION.match(word):
        seconds = float(m.group(1)) * DURATION_UNITS[m.group(3)]
        tokens.append(Token("duration", word, start, seconds))
    else:
        tokens.append(Token("word", word, start))
    return i


# ---- parser --------------------------------------------------------------------------


def parse_rule(text: str) -> Rule:
    """Parse a rule; raise :class:`RuleSyntaxError` with the column and a hint."""
    if not text.strip():
        raise RuleSyntaxError("empty rule", 0, "write a condition like `^SOX day% <= -5`")
    parser = _Parser(text, tokenize(text))
    expr = parser.expression()
    tok = parser.peek()
    if tok.kind != "end":
        raise RuleSyntaxError(
            f"unexpected {_shown(tok)}", tok.position, "join conditions with `and` or `or`"
        )
    return Rule(text=text, expr=expr)


def _shown(tok: Token) -> str:
    if tok.kind == "end":
        return "end of rule"
    if tok.kind == "string":
        return f'"{tok.text}"'
    return f"`{tok.text}`"


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def is_word(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "word" and tok.text == word

    def expect(self, kind: str, what: str, hint: str | None = None) -> Token:
        tok = self.peek()
        if tok.kind != kind:
            raise RuleSyntaxError(f"expected {what}, found {_shown(tok)}", tok.position, hint)
        return self.take()

    def expect_word(self, word: str, hint: str | None = None) -> Token:
        if not self.is_word(word):
            tok = self.peek()
            raise RuleSyntaxError(f"expected `{word}`, found {_shown(tok)}", tok.position, hint)
        return self.take()

    # expression := conj ('or' conj)* ; conj := term ('and' term)*
    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.is_word("or"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else AnyOf(tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.term()]
        while self.is_word("and"):
            self.take()
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else AllOf(tuple(parts))

    def term(self) -> Node:
        tok = self.peek()
        if tok.kind == "lparen":
            self.take()
            inner = self.expression()
            self.expect("rparen", "`)`", "close the parenthesis")
            return inner
        if tok.kind == "word" and tok.text == "news":
            return self.news()
        if tok.kind == "word" and tok.text in ("any", "all"):
            return self.basket()
        if tok.kind in ("word", "number"):
            return self.quote_condition()
        raise RuleSyntaxError(
            f"expected a condition, found {_shown(tok)}",
            tok.position,
            'start with a symbol (`NVDA price < 120`), `news "..."` or `any 3 of [...]`',
        )

    def news(self) -> News:
        self.take()
        tok = self.peek()
        if tok.kind != "string":
            raise RuleSyntaxError(
                f"expected a quoted query after `news`, found {_shown(tok)}",
                tok.position,
                'write news "DeepSeek" (single quotes when the query has double quotes)',
            )
        self.take()
        query = self._query(tok)
        count = 1
        window = DEFAULT_NEWS_WINDOW
        if self.is_word("count"):
            count = self.news_count()
        if self.is_word("within"):
            self.take()
            window = self.expect(
                "duration", "a duration", "write a duration like 30m, 2h or 1d"
            ).value
            if window <= 0:
                raise RuleSyntaxError("the window must be longer than 0", self.peek(-1).position)
        return News(tok.text, query, count, window)

    def _query(self, tok: Token) -> Query:
        try:
            return parse_query(tok.text)
        except QueryError as exc:
            # +1: the query's columns start after the opening quote
            raise RuleSyntaxError(
                f"news query: {exc.message}", tok.position + 1 + exc.position
            ) from exc

    def news_count(self) -> int:
        self.take()
        op = self.expect("op", "a comparison", "write count >= 5")
        if op.text not in (">=", ">"):
            raise RuleSyntaxError(
                "a news count is a minimum", op.position, "write count >= 5 or count > 4"
            )
        num = self.expect("number", "a number", "write count >= 5")
        if num.value != int(num.value) or num.value < 0:
            raise RuleSyntaxError("the count must be a whole number", num.position)
        return int(num.value) + (1 if op.text == ">" else 0)

    def basket(self) -> Basket:
        start = self.take()
        need: int | None = None
        if start.text == "any":
            need = 1
            if self.peek().kind == "number":
                num = self.take()
                if num.value != int(num.value) or num.value < 1:
                    raise RuleSyntaxError("expected a whole number of symbols", num.position)
                need = int(num.value)
        self.expect_word("of", "write `any 3 of [NVDA, AVGO, TSM]` or `all of [...]`")
        symbols = self.symbol_list()
        if need is not None and need > len(symbols):
            raise RuleSyntaxError(
                f"any {need} of {len(symbols)} symbols can never hold",
                start.position,
                f"list at least {need} symbols",
            )
        metric = self.metric()
        op, threshold = self.comparison()
        return Basket(need, symbols, metric, op, threshold)

    def symbol_list(self) -> tuple[str, ...]:
        self.expect("lbracket", "`[`", "list the symbols in brackets: [NVDA, AVGO]")
        symbols = [self.symbol()]
        while self.peek().kind == "comma":
            self.take()
            symbols.append(self.symbol())
        self.expect("rbracket", "`]` or `,`", "separate symbols with commas, close with ]")
        return tuple(dict.fromkeys(symbols))

    def symbol(self) -> str:
        tok = self.peek()
        if tok.kind not in ("word", "number"):
            raise RuleSyntaxError(f"expected a symbol, found {_shown(tok)}", tok.position)
        if not _SYMBOL.match(tok.text):
            hint = None
            if _SYMBOL.match(tok.text.upper()):
                hint = f"symbols are written in capitals: `{tok.text.upper()}`"
            raise RuleSyntaxError(f"`{tok.text}` is not a symbol", tok.position, hint)
        self.take()
        return tok.text

    def metric(self) -> str:
        tok = self.peek()
        if tok.kind == "word" and tok.text in METRICS:
            self.take()
            return tok.text
        guess = difflib.get_close_matches(tok.text.lower(), METRICS, n=1, cutoff=0.5)
        hint = f"did you mean `{guess[0]}`?" if guess else "metrics: " + ", ".join(METRICS)
        raise RuleSyntaxError(f"unknown metric {_shown(tok)}", tok.position, hint)

    def comparison(self) -> tuple[str, float]:
        tok = self.peek()
        if tok.kind != "op":
            raise RuleSyntaxError(
                f"expected a comparison, found {_shown(tok)}",
                tok.position,
                "write a comparison like `day% <= -5`",
            )
        self.take()
        num = self.peek()
        if num.kind != "number":
            raise RuleSyntaxError(
                f"expected a number after {tok.text}, found {_shown(num)}",
                num.position,
                "write a comparison like `day% <= -5`",
            )
        self.take()
        return tok.text, num.value

    def quote_condition(self) -> Node:
        symbol = self.symbol()
        tok = self.peek()
        if tok.kind == "word" and tok.text == "crosses":
            self.take()
            level = self.expect("number", "a price", "write `NVDA crosses 130`")
            return Crosses(symbol, level.value)
        if tok.kind == "word" and tok.text in ("limit_up", "limit_down"):
            self.take()
            return Limit(symbol, tok.text.removeprefix("limit_"))
        if tok.kind in ("op", "end") or tok.kind == "word" and tok.text in ("and", "or"):
            raise RuleSyntaxError(
                f"expected a metric after {symbol}, found {_shown(tok)}",
                tok.position,
                "write a comparison like `day% <= -5`",
            )
        left = Metric(symbol, self.metric())
        measure: Metric | Difference = left
        if self.peek().kind == "minus":
            self.take()
            right_symbol = self.symbol()
            measure = Difference(left, Metric(right_symbol, self.metric()))
        op, threshold = self.comparison()
        return Comparison(measure, op, threshold)


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
