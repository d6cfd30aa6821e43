"""Reading a rule: text -> tokens -> the tree of ``monitor.rules.language``.

``parse_rule(text)`` returns a :class:`Rule` or raises :class:`RuleSyntaxError` naming
what is wrong, the 0-based column and a hint.  Durations (``within 30m``) are read by
``monitor.durations``, as everywhere in the watchlist file.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from monitor.durations import DurationError, parse_duration
from monitor.query import Query, QueryError, parse_query
from monitor.rules.language import (
    DEFAULT_NEWS_WINDOW,
    METRICS,
    AllOf,
    AnyOf,
    Basket,
    Comparison,
    Crosses,
    Difference,
    Limit,
    Metric,
    News,
    Node,
    Rule,
)

_SYMBOL = re.compile(r"\^?[A-Z0-9][A-Z0-9.\-=]*\Z")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)%?\Z")
# one or more lowercase number-unit parts ("30m", "1h30m"); the value is durations'
_DURATION = re.compile(r"(\d+(\.\d+)?[wdhms])+\Z")
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
    elif _DURATION.match(word):
        try:
            seconds = parse_duration(word).total_seconds()
        except DurationError as exc:
            raise RuleSyntaxError(
                str(exc), start, "write a duration like 30m, 2h or 1h30m"
            ) from None
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
