"""Which watchlist symbols a headline mentions.

Three ways a symbol is mentioned:

- a cashtag of a watchlist symbol, exactly as listed (``$NVDA``; ``$nvda`` is not one);
- one of its aliases (``NVDA = ["Nvidia", "英伟达"]``), case-insensitive, with the
  boundary rules of the topic query (see :mod:`monitor.query`);
- the bare ticker in uppercase as a whole word ("NVDA shares fall"), only for tickers of
  three or more characters, and not in a headline written mostly in capitals, where
  "NOW", "ALL" or "ARM" would be ordinary words.

Linking runs on every entry against the whole watchlist, so no step scans the text once
per symbol: ticker-like words and Latin words are collected in one pass each and looked
up in dicts; only aliases whose first word occurs are checked with their full regex.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from monitor.query import fold, term_pattern

# Letters and digits a ticker must not be glued to (on the original text).
_WORDISH = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f"
# Uppercase ticker-like words: NVDA, 300766.SZ, BTC-USD, ES=F.
_TICKER = r"[A-Z0-9^]+(?:[.=-][A-Z0-9]+)*"
# The look-behind follows the first character so the engine can skip lowercase text fast.
_TICKER_WORD = re.compile(
    rf"[A-Z0-9^](?<![{_WORDISH}$^.=-][A-Z0-9^])[A-Z0-9^]*(?:[.=-][A-Z0-9]+)*(?![{_WORDISH}])"
)
_CASHTAG = re.compile(rf"(?<![{_WORDISH}$])\$({_TICKER})(?![{_WORDISH}])")
# Runs of Latin letters/digits in folded text (same classes as match.py's boundaries).
_LATIN_RUN = re.compile(
    "[0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff]+"
)
_MIN_BARE_LEN = 3
# Up to this many first words, each is looked for on its own (a substring test is far
# cheaper than one alternation scanning the text); more share the one scan.
_FEW_FIRST_WORDS = 16
_SHOUTING_SHARE = 0.7  # share of capitals among letters above which bare tickers are off
_SHOUTING_SAMPLE = 160  # characters: the title, usually
# str.translate tables deleting ASCII capitals / small letters: counting by length
# difference runs in C.
_NO_UPPER = dict.fromkeys(range(ord("A"), ord("Z") + 1))
_NO_LOWER = dict.fromkeys(range(ord("a"), ord("z") + 1))

# Each byte a bare ticker may hold as "A", every other byte (lowercase, spaces, UTF-8
# bytes of other letters) a space: a text whose bytes hold no run of "A" as long as
# the shortest bare ticker mentions none, told in C (the ticker-word scan tests each
# character against a class, a third of linking).
_TICKER_BYTES = bytes(65 if chr(c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789^.=-" else 32
                      for c in range(256))  # fmt: skip

_Alias = tuple[int, re.Pattern[str]]


def _shouting(text: str) -> bool:
    text = text[:_SHOUTING_SAMPLE]
    upper = len(text) - len(text.translate(_NO_UPPER))
    lower = len(text) - len(text.translate(_NO_LOWER))
    return upper + lower >= 12 and upper > _SHOUTING_SHARE * (upper + lower)


class SymbolLinker:
    """Links text to the watchlist symbols it mentions, in watchlist order."""

    def __init__(self, aliases: Mapping[str, Sequence[str]], symbols: Iterable[str]) -> None:
        self.symbols: tuple[str, ...] = tuple(dict.fromkeys(symbols))
        self._index = {symbol: i for i, symbol in enumerate(self.symbols)}
        self._bare = {
            s: i
            for s, i in self._index.items()
            if len(s) >= _MIN_BARE_LEN and _TICKER_WORD.fullmatch(s)
        }
        self._bare_run = b"A" * min((len(s) for s in self._bare), default=0)
        # aliases starting with a Latin word, keyed by that word; the rest are
        # prefiltered by a plain substring test on their first word.
        self._by_first_word: dict[str, list[_Alias]] = {}
        self._by_substring: list[tuple[str, _Alias]] = []
        for symbol, i in self._index.items():
            for alias in dict.fromkeys(aliases.get(symbol, ())):
                self._add_alias(i, alias)
        # One scan for every first word (longest first), instead of listing every word
        # of the text: a word found inside a longer one only makes a candidate, which
        # its alias's own regex then accepts or not.
        self._first_words = (
            re.compile("|".join(re.escape(w) for w in sorted(self._by_first_word, key=len)[::-1]))
            if self._by_first_word
            else None
        )

    def _add_alias(self, index: int, alias: str) -> None:
        words = fold(alias).split()
        if not words:
            return
        entry = (index, re.compile(term_pattern(alias)))
        run = _LATIN_RUN.match(words[0])
        if run is not None:
            self._by_first_word.setdefault(run.group(), []).append(entry)
        else:
            self._by_substring.append((words[0], entry))

    def _aliases_in(self, folded: str, found: set[int]) -> None:
        candidates: list[_Alias] = []
        if len(self._by_first_word) <= _FEW_FIRST_WORDS:  # a few substring tests, in C
            for word, entries in self._by_first_word.items():
                if word in folded:
                    candidates.extend(entries)
        elif self._first_words is not None:
            for word in set(self._first_words.findall(folded)):
                candidates.extend(self._by_first_word[word])
        if self._by_substring:
            candidates.extend(entry for needle, entry in self._by_substring if needle in folded)
        for index, regex in candidates:
            if index not in found and regex.search(folded):
                found.add(index)

    def link(
        self, text: str, tickers: Iterable[str] = (), folded: str | None = None
    ) -> tuple[str, ...]:
        """The symbols ``text`` mentions, and those of ``tickers`` (what the source says
        the text is about) in the watchlist, in watchlist order, each once.  ``folded``
        is ``fold(text)`` when the caller has it already."""
        if not text or not self.symbols:
            return ()
        found = {self._index[t] for t in tickers if t in self._index} if tickers else set()
        if "$" in text:
            found.update(self._index[tag] for tag in _CASHTAG.findall(text) if tag in self._index)
        self._aliases_in(fold(text) if folded is None else folded, found)
        if self._bare and self._bare_run in text.encode(errors="replace").translate(_TICKER_BYTES):
            bare = [self._bare[w] for w in _TICKER_WORD.findall(text) if w in self._bare]
            if bare and not _shouting(text):
                found.update(bare)
        if len(found) < 2:
            return tuple([self.symbols[i] for i in found])
        return tuple([self.symbols[i] for i in sorted(found)])
