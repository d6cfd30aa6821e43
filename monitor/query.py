"""The topic query language: which headlines a person wants to see.

Grammar (keywords are uppercase only, so "or" and "not" are ordinary words)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*      adjacent terms mean AND
    not_expr := ("NOT" | "-") not_expr | atom     "-term" is short for NOT term
    atom     := WORD | "quoted phrase" | "(" or_expr ")"

so ``a OR b c`` is ``a OR (b AND c)``.  Matching is case-insensitive on NFKC-normalized,
casefolded text (full-width ＤｅｅｐＳｅｅｋ matches ``deepseek``).

A term written in Latin script matches only where it is not glued to another Latin
letter or digit: ``deepseek`` matches "DeepSeek-R1", "DeepSeek's", "DeepSeek称遭大规模网攻"
and "接入DeepSeek" but not "deepseeker"; ``R1`` does not match "R10".  A CJK character
next to the term is not a Latin letter (``\\b`` would say it is a word character).  A
term containing CJK, Kana or Hangul matches as a plain substring, since those scripts
do not separate words with spaces.  A phrase is the same with any run of whitespace
between its words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

# Latin letters (with accents and combining marks) and digits, on casefolded text.
# U+00D7 and U+00F7 (multiplication and division signs) are excluded.
_LATIN = "0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff"
_LATIN_CHAR = re.compile(f"[{_LATIN}]")
_CJK_CHAR = re.compile(
    "[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f]"
)
_KEYWORDS = frozenset({"OR", "AND", "NOT"})


def fold(text: str) -> str:
    """The form both queries and texts are compared in."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def term_pattern(term: str) -> str:
    """Regex source matching ``term`` in folded text, with the boundary rules above."""
    words = fold(term).split()
    if not words:
        raise ValueError("empty term")
    body = r"\s+".join(re.escape(w) for w in words)
    if _CJK_CHAR.search(body):
        return body
    # The boundary checks follow the first literal rather than lead the pattern, so
    # the regex engine can still scan for the literal quickly.
    first = words[0]
    if _LATIN_CHAR.match(first[0]):
        head = re.escape(first)
        body = f"{head}(?<![{_LATIN}]{head})" + body[len(head) :]
    if _LATIN_CHAR.match(words[-1][-1]):
        body += f"(?![{_LATIN}])"
    return body


@lru_cache(maxsize=1024)
def _term_regex(term: str) -> re.Pattern[str]:
    return re.compile(term_pattern(term))


def _term_key(term: str) -> str:
    return " ".join(fold(term).split())


# ---- errors and tokens ---------------------------------------------------------------


class QueryError(ValueError):
    """A query that cannot be parsed; ``position`` is the 0-based column."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} at column {position}")
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "word" | "phrase" | "(" | ")" | "OR" | "AND" | "NOT"
    text: str
    pos: int


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
        elif ch == "-" and pos + 1 < len(text) and not text[pos + 1].isspace():
            tokens.append(_Token("NOT", "-", pos))
            pos += 1
        else:
            token, pos = _read_word(text, pos)
            tokens.append(token)
    return tokens


# ---- syntax tree ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    index: int  # into Query's distinct terms


@dataclass(frozen=True, slots=True)
class _Not:
    operand: _Node


@dataclass(frozen=True, slots=True)
class _All:
    operands: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Any:
    operands: tuple[_Node, ...]


_Node = _Term | _Not | _All | _Any


class _Parser:
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

    def parse(self) -> _Node:
        if not self.tokens:
            raise QueryError("empty query", 0)
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            raise QueryError(f"unexpected {token.text!r}", token.pos)
        return node

    def or_expr(self) -> _Node:
        operands = [self.and_expr()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.at += 1
            operands.append(self.and_expr(after=token))
        return operands[0] if len(operands) == 1 else _Any(tuple(operands))

    def and_expr(self, after: _Token | None = None) -> _Node:
        operands = [self.not_expr(after)]
        while (token := self.peek()) is not None and token.kind not in ("OR", ")"):
            if token.kind == "AND":
                self.at += 1
                operands.append(self.not_expr(after=token))
            else:
                operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else _All(tuple(operands))

    def not_expr(self, after: _Token | None = None) -> _Node:
        token = self.peek()
        if token is None:
            what = f"a term after {after.text!r}" if after else "a term"
            raise QueryError(f"expected {what}", len(self.text))
        if token.kind == "NOT":
            self.at += 1
            self.negation_depth += 1
            operand = self.not_expr(after=token)
            self.negation_depth -= 1
            return _Not(operand)
        return self.atom()

    def atom(self) -> _Node:
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

    def term(self, spelling: str) -> _Term:
        key = _term_key(spelling)
        index = self.keys.get(key)
        if index is None:
            index = self.keys[key] = len(self.spellings)
            self.spellings.append(spelling)
        if self.negation_depth == 0:
            self.positive.add(index)
        return _Term(index)


# ---- evaluation ----------------------------------------------------------------------


class Query:
    """A parsed topic query.  Build it with :func:`parse_query`."""

    __slots__ = ("source", "terms", "_tree", "_spellings", "_regexes", "_positive")

    def __init__(self, source: str) -> None:
        parser = _Parser(source)
        self._tree = parser.parse()
        self.source = source
        self._spellings = tuple(parser.spellings)
        self._regexes = tuple(_term_regex(s) for s in parser.spellings)
        self._positive = tuple(i for i in range(len(self._spellings)) if i in parser.positive)
        #: every term not under NOT, as written, in query order (for highlighting)
        self.terms: tuple[str, ...] = tuple(self._spellings[i] for i in self._positive)

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def match(self, text: str) -> tuple[str, ...]:
        """The positive terms found in ``text`` when the query holds, else ``()``."""
        folded = fold(text)
        found: list[bool | None] = [None] * len(self._regexes)
        if not self._holds(self._tree, folded, found):
            return ()
        return tuple(self._spellings[i] for i in self._positive if self._found(i, folded, found))

    def holds(self, text: str) -> bool:
        """Whether ``text`` satisfies the query (``-apple`` alone holds for any text
        without "apple", where :meth:`match` has no positive term to return)."""
        folded = fold(text)
        return self._holds(self._tree, folded, [None] * len(self._regexes))

    def required(self, most: int = 8) -> list[tuple[str, ...]] | None:
        """Alternatives of terms a matching text must contain: every text the query
        matches contains all the terms of at least one alternative, so a word index can
        narrow the search before :meth:`match` decides.  None when no such short list
        exists (``-apple`` alone, or more than ``most`` alternatives)."""
        found = _required(self._tree, most)
        if found is None:
            return None
        return [tuple(self._spellings[i] for i in sorted(alt)) for alt in found]

    def _found(self, index: int, folded: str, found: list[bool | None]) -> bool:
        hit = found[index]
        if hit is None:
            hit = found[index] = self._regexes[index].search(folded) is not None
        return hit

    def _holds(self, node: _Node, folded: str, found: list[bool | None]) -> bool:
        if isinstance(node, _Term):
            return self._found(node.index, folded, found)
        if isinstance(node, _Not):
            return not self._holds(node.operand, folded, found)
        if isinstance(node, _All):
            return all(self._holds(n, folded, found) for n in node.operands)
        return any(self._holds(n, folded, found) for n in node.operands)


def _required(node: _Node, most: int) -> list[frozenset[int]] | None:
    if isinstance(node, _Term):
        return [frozenset({node.index})]
    if isinstance(node, _Not):
        return None  # a negation requires nothing
    parts = [_required(n, most) for n in node.operands]
    if isinstance(node, _Any):  # one of the branches holds: any of their alternatives
        if any(p is None for p in parts):
            return None
        union = [alt for p in parts if p is not None for alt in p]
        return union if len(union) <= most else None
    known = [p for p in parts if p is not None]  # _All: each operand holds
    combined: list[frozenset[int]] | None = None
    for part in sorted(known, key=len):
        merged = [a | b for a in (combined or [frozenset()]) for b in part]
        if len(merged) > most:
            break
        combined = merged
    return combined


@lru_cache(maxsize=256)
def parse_query(text: str) -> Query:
    """Parse (and cache) a topic query; raises :class:`QueryError`."""
    return Query(text)


# ---- highlighting --------------------------------------------------------------------


def _folded_with_offsets(text: str) -> tuple[str, list[int], list[int]]:
    """Folded text plus, for each folded char, the original start and end offsets.

    Folding can change lengths (ß -> ss, ﬁ -> fi, e + U+0301 -> é), so a character
    cluster (a base and its combining marks) is folded as a unit and every char it
    yields maps back to the whole cluster.
    """
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        piece = unicodedata.normalize("NFKC", text[i:j]).casefold()
        parts.append(piece)
        starts.extend([i] * len(piece))
        ends.extend([j] * len(piece))
        i = j
    return "".join(parts), starts, ends


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def find_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Sorted, merged ``(start, end)`` spans of ``text`` where any term occurs."""
    regexes = [_term_regex(t) for t in terms if t.split()]
    if not regexes or not text:
        return []
    if text.isascii():
        folded, starts, ends = text.lower(), None, None
    else:
        folded, starts, ends = _folded_with_offsets(text)
    spans: list[tuple[int, int]] = []
    for regex in regexes:
        for m in regex.finditer(folded):
            if m.end() == m.start():
                continue
            if starts is None or ends is None:
                spans.append(m.span())
            else:
                spans.append((starts[m.start()], ends[m.end() - 1]))
    return _merge(spans)
