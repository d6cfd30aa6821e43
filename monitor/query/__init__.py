"""The topic query language: which headlines a person wants to see.

Grammar (keywords are uppercase only, so "or" and "not" are ordinary words)::

    query    := or_expr
    or_expr  := and_expr ("OR" and_expr)*
    and_expr := not_expr (["AND"] not_expr)*      adjacent terms mean AND
    not_expr := ("NOT" | "-") not_expr | near
    near     := atom [("NEAR" | "NEAR/" N) atom]  each side a term, phrase or (a OR b)
    atom     := term | "(" or_expr ")"
    term     := ["="] (WORD | "quoted phrase")    "=" makes the term case-sensitive

so ``a OR b c`` is ``a OR (b AND c)``.  Matching is case-insensitive on NFKC-normalized,
casefolded text (full-width ＤｅｅｐＳｅｅｋ matches ``deepseek``); a term written
``=R1`` or ``="Janus Pro"`` matches only with that exact case (on NFKC text).

``a NEAR/3 b`` holds where a and b occur, in either order, with at most 3 words between
them (``NEAR`` alone is ``NEAR/5``).  A word is a run of letters and digits; each CJK
character counts as one word.  ``R1 NEAR/3 (model OR AI)`` matches "R1 reasoning model"
but not "R1 rides the road: Rivian's new electric model".

A term written in Latin script matches only where it is not glued to another Latin
letter or digit: ``deepseek`` matches "DeepSeek-R1", "DeepSeek's", "DeepSeek称遭大规模网攻"
and "接入DeepSeek" but not "deepseeker"; ``R1`` does not match "R10".  A CJK character
next to the term is not a Latin letter (``\\b`` would say it is a word character).  A
term containing CJK, Kana or Hangul matches as a plain substring, since those scripts
do not separate words with spaces.  A phrase is the same with any run of whitespace
between its words.
"""

from __future__ import annotations

from monitor.query.evaluate import Query, parse_query
from monitor.query.syntax import DEFAULT_NEAR, QueryError
from monitor.query.terms import find_spans, fold, fold_exact, is_exact, term_pattern

__all__ = [
    "DEFAULT_NEAR",
    "Query",
    "QueryError",
    "find_spans",
    "fold",
    "fold_exact",
    "is_exact",
    "parse_query",
    "term_pattern",
]
