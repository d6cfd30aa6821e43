"""Keys that recognize the same story across feeds and outlets (pure: the store looks
them up and decides whether an entry is new, a new outlet of a stored story, or known).

Three keys per entry:

- ``guid_key``: the feed's own id for the entry (feed name + guid), for re-polls;
- ``link_key``: the canonical link (no tracking parameters, no ``www.``, no fragment,
  http and https alike), for the same article reached through two feeds;
- ``title_key``: the headline folded and stripped of the outlet suffix, for the same
  story from two outlets ("... - Reuters" and "... | CNBC").

The story id is derived from the title key, because it must be the same whichever
outlet is seen first.  Two entries with the same canonical link but different titles
(an edited headline) are joined by the store through a ``link_key`` lookup, which then
reuses the story id already stored for that link.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from urllib.parse import parse_qsl, urlencode, urlsplit

from monitor.entries import Entry, EntryKeys

_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid",
        "mc_cid", "mc_eid", "ocid", "cmpid", "guccounter", "guce_referrer",
        "guce_referrer_sig", ".tsrc", "tsrc", "ncid", "sr_share", "taid", "_ga", "_gl",
        "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "smid", "smtyp", "spm",
        "at_medium", "at_campaign", "at_custom1", "at_custom2", "at_custom3",
        "at_custom4", "__twitter_impression", "wt.mc_id", "cmp", "soc_src", "soc_trk",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


def canonical_link(url: str | None) -> str | None:
    """A comparison key for a link (not a URL to open), or None if it is not http(s).

    The key is written with ``https://`` whatever the scheme was, the host lowercased
    and without ``www.``, the default port dropped, the fragment and tracking parameters
    removed, the other parameters sorted, and a trailing slash stripped.
    """
    if not url:
        return None
    if simple := _SIMPLE_LINK.fullmatch(url):  # most links: a host and a plain path
        host, path = simple.groups()
        return f"https://{host}{path.rstrip('/')}" if path else f"https://{host}"
    if url.startswith("https://"):
        scheme, rest = "https", url[8:]
    elif url.startswith("http://"):
        scheme, rest = "http", url[7:]
    else:
        return _canonical_link(url)
    if not (url.isascii() and url.isprintable()) or _UNPLAIN.search(url):
        return _canonical_link(url)
    # A plain link (as ``clean_url`` leaves most): split as urlsplit would, without its
    # cost, which was most of the cost of keying an entry.
    end = rest.find("/")
    end = len(rest) if end < 0 else end
    for separator in "?#":
        found = rest.find(separator, 0, end)
        end = end if found < 0 else found
    path, _, query = rest[end:].partition("#")[0].partition("?")
    host, _, port = rest[:end].partition(":")
    if "%" in host:  # urlsplit keeps the case of an IPv6 zone after "%"
        return _canonical_link(url)
    if port and not port.isdigit():
        return None  # urlsplit: "Port could not be cast to integer value"
    number = int(port) if port else None
    host = host.lower().rstrip(".")
    if not host or (number is not None and number > 65535):
        return None
    return _link_key(scheme, host, number, path, query)


_UNPLAIN = re.compile(r"[ @\[\]]")  # spaces, userinfo, IPv6 literals: the general path
# A lowercase host without port and a path of printable ASCII without "?", "#", "@",
# "[" or "]": its key is the host without "www." and the path without trailing "/"
# (what the split below gives for it, in one match).
_SIMPLE_LINK = re.compile(r'https?://(?:www\.)?([a-z0-9-]+(?:\.[a-z0-9-]+)*)(/[!"$->A-Z\\^-~]*)?')


def _canonical_link(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    return _link_key(scheme, host, port, parts.path, parts.query)


def _link_key(scheme: str, host: str, port: int | None, path: str, query: str) -> str:
    host = host.removeprefix("www.")
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    if query:
        query = urlencode(sorted(
            (k, v) for k, v in parse_qsl(query, keep_blank_values=True) if not _is_tracking(k)
        ))  # fmt: skip
    key = f"https://{host}{path.rstrip('/')}"  # a path after a host starts with "/"
    return f"{key}?{query}" if query else key


# ---- titles --------------------------------------------------------------------------

# " - Reuters", " | CNBC", " — Bloomberg", " – AP": an outlet appended to a headline.
_SUFFIX_SEP = re.compile(r"\s+[-|\u2013\u2014]\s+")
_MAX_SUFFIX_WORDS = 5
_MAX_SUFFIX_CHARS = 40
_MIN_HEAD_CHARS = 12  # never reduce a title to a stub
_MAX_SUFFIXES = 2
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_NOT_WORD = re.compile(r"[\W_]+")


def _strip_suffix(title: str, source: str | None) -> str | None:
    """The title without its last outlet-like suffix, or None if it has none."""
    separators = list(_SUFFIX_SEP.finditer(title))
    last = separators[-1] if separators else None
    if last is None or last.start() < _MIN_HEAD_CHARS:
        return None
    suffix = title[last.end() :].strip()
    if suffix == source or (
        len(suffix) <= _MAX_SUFFIX_CHARS and len(suffix.split()) <= _MAX_SUFFIX_WORDS
    ):
        return title[: last.start()]
    return None


@lru_cache(maxsize=1024)
def _folded_source(source: str) -> str:
    return unicodedata.normalize("NFKC", source).casefold().strip()


def _strip_outlet(title: str, source: str | None) -> str:
    if not ("-" in title or "|" in title or "\u2013" in title or "\u2014" in title):
        return title  # no separator, no suffix: the common case, without the regex
    if source:
        source = _folded_source(source)
    # Twice: Google News appends its outlet name to a title that may carry the outlet's
    # own ("Markets wrap | Bloomberg - Bloomberg.com").
    for _ in range(_MAX_SUFFIXES):
        stripped = _strip_suffix(title, source)
        if stripped is None:
            break
        title = stripped
    return title


def title_key(title: str, source: str | None = None) -> str:
    """The headline as a comparison key: folded, outlet suffix and punctuation removed.

    An outlet suffix is the text after the last " - ", " | ", " – " or " — ": the
    ``source`` (any length) or any suffix of at most five words and 40 characters
    (Google News appends the outlet's name), provided the rest of the title keeps at
    least 12 characters.  At most two suffixes are stripped.
    """
    # NFKC leaves ASCII as it is, and casefold is lower there.
    folded = title.lower() if title.isascii() else unicodedata.normalize("NFKC", title).casefold()
    folded = _strip_outlet(folded, source)
    if folded.isascii():  # the same as below, in C: one table, one split (as bytes:
        # bytes.translate is a plain table lookup, a third of str.translate's time)
        return b" ".join(folded.encode().translate(_ASCII_KEY, b"'`").split()).decode()
    folded = _APOSTROPHES.sub("", folded)
    return _NOT_WORD.sub(" ", folded).strip()


# ASCII apostrophes deleted (``translate``'s second argument), every other ASCII
# non-word character (\W and "_") a space; bytes above 127 never occur (ASCII text).
_ASCII_KEY = bytes(c if c > 127 or chr(c).isalnum() else 32 for c in range(256))


def story_id(key: str) -> str:
    """A short stable id (16 hex digits) for a key."""
    digest = _STORY_HASH.copy()  # a copy costs less than a new hash and its arguments
    digest.update(key.encode("utf-8"))
    return digest.hexdigest()


_STORY_HASH = hashlib.blake2b(digest_size=8)


_SIMILAR_MIN_TOKENS = 6
_SIMILAR_JACCARD = 0.9


def similar(a_key: str, b_key: str) -> bool:
    """Near-identical title keys: token-set Jaccard >= 0.9 with at least 6 tokens each.

    Cheap enough for comparing a new title with the recent stories only.
    """
    if a_key == b_key:
        return True
    a, b = set(a_key.split()), set(b_key.split())
    if len(a) < _SIMILAR_MIN_TOKENS or len(b) < _SIMILAR_MIN_TOKENS:
        return False
    return len(a & b) >= _SIMILAR_JACCARD * len(a | b)


def entry_keys(entry: Entry) -> EntryKeys:
    """Every dedup key of an entry."""
    guid_key = f"{entry.feed}\n{entry.guid}" if entry.guid else None
    link_key = canonical_link(entry.link)
    key = title_key(entry.title, entry.source)
    # An empty title key would join every untitled entry into one story.
    story_basis = key or link_key or guid_key or f"{entry.feed}\n{entry.published.isoformat()}"
    return EntryKeys(guid_key, link_key, key, story_id(story_basis))  # positional: faster
