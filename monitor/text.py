"""Turn untrusted feed text and links into plain, safe values, once, at the edge.

Feed titles and summaries arrive as HTML and may carry terminal escape sequences
(``ESC [2J``, OSC 52 clipboard writes, OSC 8 hyperlinks), C1 controls, bidi overrides
that reorder what a person reads, and zero-width characters that hide text from the
topic query.  Everything after this module treats the result as plain text.

Links: only absolute http(s) URLs survive, with the host shown in IDNA form so that an
internationalized look-alike host is visible as ``xn--...``.  URLs with userinfo
(``http://google.com@evil.example/``) are rejected outright: the part before ``@`` is
there only to make a person misread the host.
"""

from __future__ import annotations

import html
import re
from urllib.parse import quote, urlsplit, urlunsplit

# ---- escape sequences and invisible characters ---------------------------------------

# ECMA-48 sequences, 7-bit and 8-bit forms.  String controls (OSC, DCS, SOS, PM, APC)
# end at BEL or ST; an unterminated one runs to the next ESC or the end, as a terminal
# would swallow it.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x9b[0-?]*[ -/]*[@-~]?"  # 8-bit CSI
    r"|(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS SOS PM APC
    r"|\x1b[ -/]*[0-~]?"  # two-char (nF/Fp/Fe/Fs) sequences and a lone ESC
)

# Characters removed outright: C0 controls, DEL, C1, soft hyphen, Arabic letter mark,
# Mongolian vowel separator, zero-width space, LRM/RLM, bidi embeddings/overrides/
# isolates, word joiner and invisible operators, deprecated format characters,
# BOM/ZWNBSP, interlinear annotations and Unicode tags.  Control characters that act
# as separators (tab, newline, VT, FF, CR, FS..US, NEL) become spaces instead.
# ZWNJ (U+200C) and ZWJ (U+200D) stay: scripts and emoji sequences need them.
_INVISIBLE = (
    "\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f"
)
_ESCAPE_START = re.compile("[\x1b\x90\x98\x9b\x9d-\x9f]")
_REMOVE = re.compile(f"[{_INVISIBLE}]+")
_SPACES = re.compile(r"\s+")  # includes U+2028/U+2029 and the separator controls
# Every whitespace character but the space, "\n" and "\r", listed: a class is tested
# in one step a character, an alternation of classes in several.
_INLINE_BLANKS = "\t\x0b\x0c\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# ... and with "\n" and "\r": every whitespace character but the space (``[^\S ]``)
_OTHER_SPACES = f"\n\r{_INLINE_BLANKS}"
# Text with none of these, and no double space, needs no substitution at all (the
# common case; see ``_needs_work``).
_NEEDS_WORK = re.compile(f"[{_INVISIBLE}{_OTHER_SPACES}]")
# Every character a terminal could act on or that hides or reorders text: what a name,
# a URL or a query in the config may not hold, and what ``visible`` writes out.
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_INVISIBLE}]")
_UNSAFE_BESIDES_LINES = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_INVISIBLE}]")

# ---- HTML ----------------------------------------------------------------------------

# Only things that look like tags: "a < b" and "x<y" in a headline stay as written.
_DROP_BLOCKS = re.compile(
    r"<(script|style|template)\b[^>]*>.*?</\1\s*>|<!--.*?(?:-->|$)|<!\[CDATA\[|\]\]>",
    re.IGNORECASE | re.DOTALL,
)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>|<![a-zA-Z][^<>]*>|<\?[^<>]*>")
_BREAK_TAG = re.compile(r"<br\b[^<>]*>", re.IGNORECASE)
# Tags that separate words; inline ones (<b>, <a>, <span>) do not.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|li|ul|ol|h[1-6]|blockquote|pre|tr|td|th|table|section|article|hr|dd|dt"
    r"|br|figure|figcaption|header|footer)\b[^<>]*>",
    re.IGNORECASE,
)
_PARAGRAPH_TAG = re.compile(
    r"</?(?:p|div|li|ul|ol|h[1-6]|blockquote|pre|tr|table|section|article|hr|dd|dt)\b[^<>]*>",
    re.IGNORECASE,
)
_BLANK_LINES = re.compile(r"\n{3,}")
_INLINE_SPACES = re.compile(f"[ {_INLINE_BLANKS}]+")
_LINE_SPACES = re.compile(r" ?\n ?")
# Text with none of these, and none of ``_MULTILINE_RUNS``, is already clean multiline
# text (the common case; see ``_multiline_work``).
_MULTILINE_WORK = re.compile(f"[{_INVISIBLE}{_INLINE_BLANKS}]")
_MULTILINE_RUNS = ("  ", " \n", "\n ", "\n\n\n")

ELLIPSIS = "…"


def _strip_html(s: str) -> str:
    if "<" in s:
        s = _BLOCK_TAG.sub(" ", _DROP_BLOCKS.sub(" ", s))
        s = _TAG.sub("", s) if "<" in s else s
    if "&" in s:
        s = html.unescape(s)
    return s


def _strip_controls(s: str) -> str:
    """Remove escape sequences and invisible characters; whitespace becomes spaces."""
    if _ESCAPE_START.search(s):
        s = _ESCAPES.sub("", s)
    return _SPACES.sub(" ", _REMOVE.sub("", s))


def _truncate(s: str, max_len: int) -> str:
    if len(s) <= max_len:
        return s
    if max_len <= 1:
        return ELLIPSIS[:max_len]
    # A trailing ZWJ would glue the ellipsis onto half an emoji.
    return s[: max_len - 1].rstrip(" \u200d") + ELLIPSIS


def clean_text(s: str | None, *, html: bool = True, max_len: int = 2000) -> str:
    """One line of plain, safe text.

    With ``html`` the input is treated as an HTML fragment: script/style blocks and
    tags are dropped, then entities are decoded once (so ``&amp;amp;`` shows as
    ``&amp;``, as the publisher wrote it).  Escape sequences and invisible characters
    are removed after decoding, because an entity can encode them.
    """
    if not s:
        return ""
    if html and ("<" in s or "&" in s):
        s = _strip_html(s)
    if not _plain(s) and _needs_work(s):
        s = _strip_controls(s)
    s = s.strip()
    return s if len(s) <= max_len else _truncate(s, max_len)


def _needs_work(s: str) -> bool:
    """Whether ``_strip_controls`` would change ``s``'s characters (a double space,
    another whitespace character, an invisible one): two tests in C."""
    return "  " in s or _NEEDS_WORK.search(s) is not None


def _multiline_work(s: str) -> bool:
    """Whether ``clean_multiline``'s substitutions have anything to do in ``s``."""
    return any(run in s for run in _MULTILINE_RUNS) or _MULTILINE_WORK.search(s) is not None


def _plain(s: str) -> bool:
    """Printable ASCII without a double space: what neither ``_needs_work`` nor
    ``_multiline_work`` nor ``_ESCAPE_START`` finds anything in (most feed text), told
    in C."""
    return s.isascii() and s.isprintable() and "  " not in s


def one_line(s: str | None, *, max_len: int = 2000) -> str:
    """Already-plain text (a message, an error, a docstring) cleaned onto one line: tags
    in it stay literal text, controls go, whitespace runs become one space."""
    return clean_text(s, html=False, max_len=max_len)


def clean_field(value: object, *, max_len: int = 200) -> str | None:
    """A short field from a data source (a currency, a company name, an exchange): the
    string cleaned onto one line, or None when it is not a string or nothing is left."""
    if not isinstance(value, str):
        return None
    return one_line(value, max_len=max_len) or None


_SEPARATORS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")


def strip_controls(s: str) -> str:
    """``s`` without escape sequences, controls or invisible characters, and otherwise
    as it was (spaces kept, nothing trimmed): for text still being typed, such as a
    paste into the filter box."""
    if _ESCAPE_START.search(s):
        s = _ESCAPES.sub("", s)
    return _SEPARATORS.sub(" ", _REMOVE.sub("", s))


def has_controls(s: str, *, lines_ok: bool = False) -> bool:
    """Whether ``s`` holds a control, escape, bidi or invisible character: the check for
    text a person wrote that must stay as written.  Tab, newline and CR count too,
    unless ``lines_ok`` (a query or rule written over several lines)."""
    return (_UNSAFE_BESIDES_LINES if lines_ok else _UNSAFE).search(s) is not None


def visible(s: str) -> str:
    """``s`` with every such character written out (``\\x1b``, ``\\u202e``): for an error
    that quotes a name the person has to find and fix, so it shows what is there."""
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def clean_multiline(s: str | None, *, html: bool = True, max_len: int = 4000) -> str:
    """Like :func:`clean_text` but keeps line and paragraph breaks.

    ``<br>`` is a line break; block tags (``<p>``, ``<li>``, ``<div>``...) and blank
    lines in the input separate paragraphs.  Lines are joined with ``\\n``, paragraphs
    with one blank line; other whitespace is collapsed as in :func:`clean_text`.
    """
    if not s:
        return ""
    if "\r" in s:
        s = s.replace("\r\n", "\n").replace("\r", "\n")
    if html and ("<" in s or "&" in s):
        if "<" in s:
            s = _PARAGRAPH_TAG.sub("\n\n", _BREAK_TAG.sub("\n", s))
        s = _strip_html(s)
    if _plain(s):
        s = s.strip()
        return s if len(s) <= max_len else _truncate(s, max_len)
    if _ESCAPE_START.search(s):
        s = _ESCAPES.sub("", s)
    if _multiline_work(s):
        s = _LINE_SPACES.sub("\n", _INLINE_SPACES.sub(" ", _REMOVE.sub("", s)))
        s = _BLANK_LINES.sub("\n\n", s)
    return _truncate(s.strip(), max_len)


# ---- links ---------------------------------------------------------------------------

_URL_JUNK = re.compile(f"[{_INVISIBLE}\t\n\r]")  # dropped inside a URL
_HOST_JUNK = re.compile(f"[{_INVISIBLE}\\s]")
_URL_EDGES = re.compile(f"^[{_INVISIBLE}\\s]+|[{_INVISIBLE}\\s]+$")
_HOST_OK = re.compile(r"[a-z0-9._-]+")
_DEFAULT_PORT = {"http": 80, "https": 443}
# Characters left as they are in path, query and fragment; everything else (spaces,
# non-ASCII, quotes, angle brackets, controls) is percent-encoded. "%" stays so that
# existing escapes are not double-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
MAX_URL_LEN = 4096
# Already normal: lowercase http(s), plain ASCII host without port or userinfo, a path,
# only characters that need no encoding.  Most feed links are; they skip urlsplit.
_URL_CHARS = r"[A-Za-z0-9\-._~!$&'()*+,;=:@/%]"
_NORMAL_URL = re.compile(
    rf"https?://(?:[a-z0-9-]+\.)*[a-z0-9-]+/{_URL_CHARS}*(?:\?(?:{_URL_CHARS}|\?)*)?"
    rf"(?:#(?:{_URL_CHARS}|\?)*)?"
)


def _idna_host(host: str) -> str | None:
    host = host.rstrip(".")
    if not host:
        return None
    if host.isascii():
        ascii_host = host.lower()
    else:
        import idna  # only for hosts that are not plain ASCII (the app's start need not)

        try:
            ascii_host = idna.encode(host, uts46=True).decode("ascii")
        except (idna.IDNAError, UnicodeError, ValueError):
            return None
    if not _HOST_OK.fullmatch(ascii_host) or ".." in ascii_host:
        return None
    return ascii_host


def _netloc(scheme: str, raw_netloc: str, hostname: str | None, port: int | None) -> str | None:
    if "@" in raw_netloc or "\\" in raw_netloc or not hostname:
        return None
    if _HOST_JUNK.search(raw_netloc):
        return None
    if hostname.startswith("[") or ":" in hostname:  # IPv6 literal
        host = f"[{hostname.lower()}]"
    else:
        idna_host = _idna_host(hostname)
        if idna_host is None:
            return None
        host = idna_host
    if port is not None and port != _DEFAULT_PORT[scheme]:
        return f"{host}:{port}"
    return host


def clean_url(s: str | None) -> str | None:
    """A normalized absolute http(s) URL, or None when the link is unusable or unsafe.

    Whitespace and invisible characters are stripped from the ends and removed inside
    (as browsers drop tabs and newlines), except in the host, where any of them makes
    the link rejected.  Scheme and host are lower-cased, the host is IDNA-encoded, the
    default port is dropped, an empty path becomes ``/``, and spaces and non-ASCII in
    path, query and fragment are percent-encoded.  Userinfo is rejected (see module
    docstring).
    """
    if not s:
        return None
    if not (s.isascii() and s.isprintable() and " " not in s):  # else no edges to cut
        s = _URL_EDGES.sub("", s)
    if not s or len(s) > MAX_URL_LEN:
        return None
    if _NORMAL_URL.fullmatch(s):
        return s
    try:
        parts = urlsplit(s)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORT:
            return None
        netloc = _netloc(scheme, parts.netloc, parts.hostname, parts.port)
    except ValueError:  # bad port, bad IPv6 literal
        return None
    if netloc is None:
        return None
    path = quote(_URL_JUNK.sub("", parts.path), safe=_PATH_SAFE) or "/"
    query = quote(_URL_JUNK.sub("", parts.query), safe=_QUERY_SAFE)
    fragment = quote(_URL_JUNK.sub("", parts.fragment), safe=_QUERY_SAFE)
    return urlunsplit((scheme, netloc, path, query, fragment))
