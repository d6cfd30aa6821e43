"""A feed that declares UTF-8 is read as UTF-8, even with a few bad bytes in it.

Without this, one invalid byte makes the strict XML parser refuse the feed and
feedparser then re-decodes the *whole* feed in a guessed legacy encoding: a title
``深度求索 发布 R1`` came out as ``ćˇąĺşŚćą‚ç´˘ ĺ‘ĺ¸ƒ R1``.  Instead, each invalid byte
sequence is replaced by U+FFFD where it stands, so only the entries that hold one are
touched, and the feed gets a warning naming how many.

The declared encoding is the HTTP charset when there is one (it overrides the
document's own, RFC 7303), else the XML declaration's.  A feed that declares nothing
is left to the parsers' detection, as is one declaring another encoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)
_UTF8_NAMES = frozenset({"utf-8", "utf8"})
_REPLACEMENT = "\ufffd"


@dataclass(frozen=True)
class Repaired:
    data: bytes
    replaced: int  # invalid byte sequences replaced by U+FFFD


def declared_encoding(data: bytes, content_type: str | None) -> str | None:
    """The encoding the server or the document declares (lower case), or None."""
    charset = _CHARSET.search(content_type) if content_type else None
    if charset:
        return charset.group(1).lower()
    decl = _XML_DECL.match(data[:300].removeprefix(b"\xef\xbb\xbf"))
    return decl.group(1).decode("ascii").lower() if decl else None


def repair_utf8(data: bytes, content_type: str | None) -> Repaired:
    """``data`` with invalid UTF-8 replaced, when UTF-8 is declared; else unchanged."""
    if declared_encoding(data, content_type) not in _UTF8_NAMES:
        return Repaired(data, 0)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return Repaired(data, 0)
    text = data.decode("utf-8", errors="replace")
    replaced = text.count(_REPLACEMENT) - data.count(_REPLACEMENT.encode())
    return Repaired(text.encode("utf-8"), replaced)


def entries_holding_replacements(texts_per_entry: list[list[str | None]]) -> int:
    """How many entries carry a U+FFFD in any of their texts."""
    return sum(1 for texts in texts_per_entry if any(t and _REPLACEMENT in t for t in texts))


def warning(replaced: int, entries: int) -> str:
    """The feed's warning after a repair, e.g. "1 invalid UTF-8 byte sequence
    replaced (in 1 entry)"."""
    seqs = "sequence" if replaced == 1 else "sequences"
    where = f"in {entries} entr{'y' if entries == 1 else 'ies'}" if entries else "outside entries"
    return f"{replaced} invalid UTF-8 byte {seqs} replaced ({where})"
