"""Terms of the topic query: folding, boundary-aware patterns and highlighting."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

# Latin letters (with accents and combining marks) and digits, on casefolded text.
# U+00D7 and U+00F7 (multiplication and division signs) are excluded.
_LATIN = "0-9a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0300-\u036f\u1e00-\u1eff"
CJK_CHAR = re.compile(
    "[\u1100-\u11ff\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff"
    "\uff66-\uff9f\U00020000-\U0003134f]"
)
# the same, plus capitals, for case-sensitive terms on unfolded text
_LATIN_ANY_CASE = _LATIN + "A-Z\u00c0-\u00d6\u00d8-\u00de"
# words for NEAR: a run of letters/digits (not CJK), or one CJK character
WORD = re.compile(f"{CJK_CHAR.pattern}|(?:(?!{CJK_CHAR.pattern})[^\\W_])+")


def fold(text: str) -> str:
    """The form both queries and texts are compared in."""
    if text.isascii():
        return text.lower()
    return unicodedata.normalize("NFKC", text).casefold()


def fold_exact(text: str) -> str:
    """The form case-sensitive terms and texts are compared in (NFKC, case kept)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def is_exact(spelling: str) -> bool:
    """Whether a term as written (``=R1``) is case-sensitive."""
    return len(spelling) > 1 and spelling[0] == "="


def term_pattern(term: str, exact: bool = False) -> str:
    """Regex source matching ``term`` in folded (or, if ``exact``, NFKC) text."""
    words = (fold_exact(term) if exact else fold(term)).split()
    if not words:
        raise ValueError("empty term")
    latin = _LATIN_ANY_CASE if exact else _LATIN
    body = r"\s+".join(re.escape(w) for w in words)
    if CJK_CHAR.search(body):
        return body
    # The boundary checks follow the first literal rather than lead the pattern, so
    # the regex engine can still scan for the literal quickly.
    first = words[0]
    if re.match(f"[{latin}]", first[0]):
        head = re.escape(first)
        body = f"{head}(?<![{latin}]{head})" + body[len(head) :]
    if re.match(f"[{latin}]", words[-1][-1]):
        body += f"(?![{latin}])"
    return body


@lru_cache(maxsize=1024)
def term_regex(spelling: str) -> re.Pattern[str]:
    """The regex of a term as written: ``=R1`` is case-sensitive, ``r1`` is not."""
    if is_exact(spelling):
        return re.compile(term_pattern(spelling[1:], exact=True))
    return re.compile(term_pattern(spelling))


def term_key(spelling: str) -> str:
    if is_exact(spelling):
        return "=" + " ".join(fold_exact(spelling[1:]).split())
    return " ".join(fold(spelling).split())


# ---- highlighting --------------------------------------------------------------------


def _folded_with_offsets(text: str, exact: bool) -> tuple[str, list[int], list[int]]:
    """Folded (or NFKC) text plus, for each of its chars, the original start and end.

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
        piece = unicodedata.normalize("NFKC", text[i:j])
        if not exact:
            piece = piece.casefold()
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
    written = [t for t in terms if t.split()]
    if not written or not text:
        return []
    spans: list[tuple[int, int]] = []
    for exact in (False, True):
        regexes = [term_regex(t) for t in written if is_exact(t) == exact]
        if regexes:
            spans.extend(_spans_in(text, regexes, exact))
    return _merge(spans)


def _spans_in(text: str, regexes: list[re.Pattern[str]], exact: bool) -> list[tuple[int, int]]:
    if text.isascii():
        form, starts, ends = (text if exact else text.lower()), None, None
    else:
        form, starts, ends = _folded_with_offsets(text, exact)
    spans: list[tuple[int, int]] = []
    for regex in regexes:
        for m in regex.finditer(form):
            if m.end() == m.start():
                continue
            if starts is None or ends is None:
                spans.append(m.span())
            else:
                spans.append((starts[m.start()], ends[m.end() - 1]))
    return spans
