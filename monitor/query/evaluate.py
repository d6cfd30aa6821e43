"""Matching a parsed topic query against a headline."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache

from monitor.query.syntax import All, AnyOf, Near, Node, Not, Parser, Term
from monitor.query.terms import WORD, fold, fold_exact, is_exact, term_regex


class _Subject:
    """One text being matched: its folded forms, found terms and word positions."""

    __slots__ = ("text", "folded", "exact", "found", "words")

    def __init__(self, text: str, size: int) -> None:
        self.text = text
        self.folded = fold(text)
        self.exact: str | None = None  # NFKC form, made on first case-sensitive term
        self.found: list[bool | None] = [None] * size
        self.words: dict[bool, tuple[list[int], list[int]]] = {}

    def form(self, exact: bool) -> str:
        if not exact:
            return self.folded
        if self.exact is None:
            self.exact = fold_exact(self.text)
        return self.exact

    def word_range(self, exact: bool, start: int, end: int) -> tuple[int, int]:
        """The first and last word index that the char span ``start:end`` touches."""
        bounds = self.words.get(exact)
        if bounds is None:
            spans = [m.span() for m in WORD.finditer(self.form(exact))]
            bounds = self.words[exact] = ([a for a, _ in spans], [b for _, b in spans])
        first = bisect_right(bounds[1], start)
        return first, max(first, bisect_left(bounds[0], end) - 1)


def _within(a: tuple[int, int], b: tuple[int, int], distance: int) -> bool:
    """Whether two word ranges (not the same one) are at most ``distance`` words apart."""
    if a == b:
        return False
    gap = b[0] - a[1] - 1 if a[1] < b[0] else a[0] - b[1] - 1
    return gap <= distance


class Query:
    """A parsed topic query.  Build it with :func:`parse_query`."""

    __slots__ = (
        "source", "terms", "_tree", "_spellings", "_regexes", "_exact", "_positive", "_any_of",
        "_heads",
    )  # fmt: skip

    def __init__(self, source: str) -> None:
        parser = Parser(source)
        self._tree = parser.parse()
        self.source = source
        self._spellings = tuple(parser.spellings)
        self._regexes = tuple(term_regex(s) for s in parser.spellings)
        self._exact = tuple(is_exact(s) for s in parser.spellings)
        self._positive = tuple(i for i in range(len(self._spellings)) if i in parser.positive)
        #: every term not under NOT, as written, in query order (for highlighting)
        self.terms: tuple[str, ...] = tuple(self._spellings[i] for i in self._positive)
        #: a query of case-insensitive terms joined by OR (the common topic query): it
        #: holds when any term is found, and every term is positive
        self._any_of = _any_of(self._tree) and not any(self._exact)
        #: each term's first word as folded: its regex matches only where it occurs
        self._heads = tuple(fold(s).split()[0] if not e else "" for s, e in
                            zip(self._spellings, self._exact, strict=True))  # fmt: skip

    def __repr__(self) -> str:
        return f"Query({self.source!r})"

    def match(self, text: str, folded: str | None = None) -> tuple[str, ...]:
        """The positive terms found in ``text`` when the query holds, else ``()``.
        ``folded`` is ``fold(text)`` when the caller has it already."""
        if self._any_of:  # the same answer, without the tree
            folded = fold(text) if folded is None else folded
            regexes, spellings, heads = self._regexes, self._spellings, self._heads
            # (a substring test first: it costs a fraction of the regex's search)
            return tuple([spellings[i] for i in self._positive
                          if heads[i] in folded and regexes[i].search(folded)])  # fmt: skip
        subject = _Subject(text, len(self._regexes))
        if not self._holds(self._tree, subject):
            return ()
        return tuple(self._spellings[i] for i in self._positive if self._found(i, subject))

    def holds(self, text: str) -> bool:
        """Whether ``text`` satisfies the query (``-apple`` alone holds for any text
        without "apple", where :meth:`match` has no positive term to return)."""
        return self._holds(self._tree, _Subject(text, len(self._regexes)))

    def required(self, most: int = 8) -> list[tuple[str, ...]] | None:
        """Alternatives of words a matching text must contain: every text the query
        matches contains all the words of at least one alternative (case aside), so a
        word index can narrow a search before :meth:`holds` decides.  None when no such
        short list exists (``-apple`` alone, or more than ``most`` alternatives)."""
        found = _required(self._tree, most)
        if found is None:
            return None
        bare = [s[1:] if self._exact[i] else s for i, s in enumerate(self._spellings)]
        return [tuple(bare[i] for i in sorted(alt)) for alt in found]

    def _found(self, index: int, subject: _Subject) -> bool:
        hit = subject.found[index]
        if hit is None:
            form = subject.form(self._exact[index])
            hit = subject.found[index] = self._regexes[index].search(form) is not None
        return hit

    def _holds(self, node: Node, subject: _Subject) -> bool:
        if isinstance(node, Term):
            return self._found(node.index, subject)
        if isinstance(node, Not):
            return not self._holds(node.operand, subject)
        if isinstance(node, All):
            return all(self._holds(n, subject) for n in node.operands)
        if isinstance(node, AnyOf):
            return any(self._holds(n, subject) for n in node.operands)
        return self._near(node, subject)

    def _near(self, node: Near, subject: _Subject) -> bool:
        left = self._word_ranges(node.left, subject)
        right = self._word_ranges(node.right, subject) if left else []
        return any(_within(a, b, node.distance) for a in left for b in right)

    def _word_ranges(self, indices: tuple[int, ...], subject: _Subject) -> list[tuple[int, int]]:
        ranges: list[tuple[int, int]] = []
        for i in indices:
            if self._found(i, subject):
                exact = self._exact[i]
                for m in self._regexes[i].finditer(subject.form(exact)):
                    ranges.append(subject.word_range(exact, m.start(), m.end()))
        return ranges


def _any_of(node: Node) -> bool:
    """Whether ``node`` is a term, or terms joined by OR (no AND, NOT or NEAR)."""
    if isinstance(node, AnyOf):
        return all(isinstance(n, Term) for n in node.operands)
    return isinstance(node, Term)


def _required(node: Node, most: int) -> list[frozenset[int]] | None:
    if isinstance(node, Term):
        return [frozenset({node.index})]
    if isinstance(node, Not):
        return None  # a negation requires nothing
    if isinstance(node, Near):  # a term of each side
        pairs = [frozenset({a, b}) for a in node.left for b in node.right]
        return pairs if len(pairs) <= most else None
    parts = [_required(n, most) for n in node.operands]
    if isinstance(node, AnyOf):  # one branch holds: any of their alternatives
        if any(p is None for p in parts):
            return None
        union = [alt for p in parts if p is not None for alt in p]
        return union if len(union) <= most else None
    combined: list[frozenset[int]] | None = None  # All: every operand holds
    for part in sorted((p for p in parts if p is not None), key=len):
        merged = [a | b for a in (combined or [frozenset()]) for b in part]
        if len(merged) > most:
            break
        combined = merged
    return combined


@lru_cache(maxsize=256)
def parse_query(text: str) -> Query:
    """Parse (and cache) a topic query; raises :class:`QueryError`."""
    return Query(text)
