"""Parsing the topic query into a tree of terms, NOT, AND, OR and NEAR."""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.query.terms import term_key

_KEYWORDS = frozenset({"OR", "AND", "NOT"})
_NEAR = re.compile(r"NEAR(?:/(\d*))?")
DEFAULT_NEAR = 5


# ---- errors and tokens ---------------------------------------------------------------


class QueryError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based column."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at column {position}")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word" | "phrase" | "(" | ")" | "OR" | "AND" | "NOT" | "NEAR"
    text: str  # a case-sensitive term keeps its "=": "=R1"
    pos: int

    def near_distance(self) -> int:
        digits = self.text[len("NEAR/") :]
        return int(digits) if digits else DEFAULT_NEAR


def _read_phrase(text: str, pos: int) -> tuple[_Token, int]:
    end = text.find('"', pos + 1)
    if end < 0:
        raise QueryError("unterminated quote", pos)
    phrase = " ".join(text[pos + 1 : end].split())
    if not phrase:
        raise QueryError("empty phrase", pos)
    return _Token("phrase", phrase, pos), end + 1


def _read_word(text: str, pos: int) -> tuple[_Token, int]:
    end = pos
    while end < len(text) and not text[end].isspace() and text[end] not in '()"':
        end += 1
    word = text[pos:end]
    if word == "=":
        raise QueryError("'=' goes right before a word or a quoted phrase, as in =R1", pos)
    if word.startswith("NEAR"):
        near = _NEAR.fullmatch(word)
        if near is not None and near.group(1) != "":
            return _Token("NEAR", word, pos), end
        if word.startswith("NEAR/"):
            raise QueryError("NEAR/ takes a number of words, as in NEAR/3", pos)
    return _Token(word if word in _KEYWORDS else "word", word, pos), end


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, pos))
            pos += 1
        elif ch == '"':
            token, pos = _read_phrase(text, pos)
            tokens.append(token)
        elif ch == "=" and text.startswith('="', pos):
            token, pos = _read_phrase(text, pos + 1)
            tokens.append(_Token("phrase", "=" + token.text, token.pos - 1))
        elif ch == "-" and pos + 1 < len(text) and not text[pos + 1].isspace():
            tokens.append(_Token("NOT", "-", pos))
            pos += 1
        else:
            token, pos = _read_word(text, pos)
            tokens.append(token)
    return tokens


# ---- syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    index: int  # into Query's distinct terms


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class All:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Near:
    left: tuple[int, ...]  # term indices; either may occur
    right: tuple[int, ...]
    distance: int  # most words allowed between the two


Node = Term | Not | All | AnyOf | Near


def _term_set(node: Node) -> tuple[int, ...] | None:
    """The term indices of a NEAR operand: a term, or an OR of terms."""
    if isinstance(node, Term):
        return (node.index,)
    if isinstance(node, AnyOf) and all(isinstance(n, Term) for n in node.operands):
        return tuple(n.index for n in node.operands if isinstance(n, Term))
    return None


class Parser:
    """Recursive descent over the tokens; collects distinct terms as it goes."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.at = 0
        self.spellings: list[str] = []  # as written, first spelling of each key
        self.keys: dict[str, int] = {}
        self.positive: set[int] = set()
        self.negation_depth = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("empty query", 0)
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise QueryError(f"unexpected {token.text!r}", token.pos)
        return node

    def or_expr(self) -> Node:
        operands = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.at += 1
            operands.append(self.and_expr(after=token))
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def and_expr(self, after: _Token | None = None) -> Node:
        operands = [self.not_expr(after)]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.at += 1
                operands.append(self.not_expr(after=token))
            else:
                operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else All(tuple(operands))

    def not_expr(self, after: _Token | None = None) -> Node:
        token = self.peek()
        if token is None:
            what = f"a term after {after.text!r}" if after else "a term"
            raise QueryError(f"expected {what}", len(self.text))
        if token.kind == "NOT":
            self.at += 1
            self.negation_depth += 1
            operand = self.not_expr(after=token)
            self.negation_depth -= 1
            return Not(operand)
        return self.near()

    def near(self) -> Node:
        start = self.peek()
        left = self.atom()
        token = self.peek()
        if token is None or token.kind != "NEAR":
            return left
        self.at += 1
        if self.peek() is None:
            raise QueryError(f"expected a term after {token.text!r}", len(self.text))
        right = self.atom()
        left_terms, right_terms = _term_set(left), _term_set(right)
        if left_terms is None or right_terms is None:
            where = start.pos if left_terms is None and start is not None else token.pos
            raise QueryError("NEAR joins terms, phrases or (a OR b) groups", where)
        after = self.peek()
        if after is not None and after.kind == "NEAR":
            raise QueryError("NEAR joins two sides only; combine with AND", after.pos)
        return Near(left_terms, right_terms, token.near_distance())

    def atom(self) -> Node:
        token = self.tokens[self.at]
        self.at += 1
        if token.kind in ("word", "phrase"):
            return self.term(token.text)
        if token.kind == "(":
            node = self.or_expr()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError("unclosed '('", token.pos)
            self.at += 1
            return node
        raise QueryError(f"unexpected {token.text!r}", token.pos)

    def term(self, spelling: str) -> Term:
        key = term_key(spelling)
        index = self.keys.get(key)
        if index is None:
            index = self.keys[key] = len(self.spellings)
            self.spellings.append(spelling)
        if self.negation_depth == 0:
            self.positive.add(index)
        return Term(index)
