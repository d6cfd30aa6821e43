"""Who published an entry: the outlet named in an item's ``<source>``, and its domain.

Google News links are all ``news.google.com/rss/articles/...`` redirects; the outlet is
named in the item's ``<source url="https://www.reuters.com">Reuters</source>``
(RSS 2.0's ``source`` element: its ``url`` is the outlet's own site).  An entry's
*domain* is the outlet's: the host of that ``url`` when the item has one, else the host
of the entry's own link unless that link is an aggregator's (a redirect that says
nothing of the outlet), without ``www.``.

fastfeedparser does not report ``<source>``, so it is read here from the item's own XML
(feedparser reports it as ``source.title`` and ``source.href``).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from monitor.text import clean_url

#: hosts whose links lead through the aggregator, never to the outlet itself
AGGREGATOR_HOSTS = frozenset({"news.google.com"})

_ENCODING_DECL = re.compile(rb"<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")
_ITEM = re.compile(rb"<(item|entry)\b.*?</\1\s*>", re.DOTALL)
# RSS <source url="...">Reuters</source>: text or CDATA only, so an HTML5 <source src>
# inside an item's CDATA content is not taken for it.
_RSS_SOURCE = re.compile(rb"<source\b([^>]*)>([^<]*|<!\[CDATA\[.*?\]\]>)</source\s*>", re.DOTALL)
_URL_ATTR = re.compile(rb"""\burl\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Atom <source><title>Outlet</title>...</source>
_ATOM_SOURCE = re.compile(
    rb"<source\b[^>]*>(?:(?!</source).)*?<title\b[^>]*>(.*?)</title\s*>", re.DOTALL
)
_CDATA = re.compile(rb"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ItemSource:
    """An item's ``<source>``: the outlet's name and site, as the feed wrote them."""

    name: str | None = None
    url: str | None = None


def item_sources(data: bytes, count: int) -> list[ItemSource] | None:
    """Each item's ``<source>``, in document order; None if items cannot be paired with
    the ``count`` entries a parser found."""
    m = _ENCODING_DECL.search(data, 0, 200)
    encoding = m.group(1).decode("ascii") if m else "utf-8"
    blocks = [m.group(0) for m in _ITEM.finditer(data)]
    if len(blocks) != count:
        return None
    found: list[ItemSource] = []
    for block in blocks:
        if block.startswith(b"<entry"):
            atom = _ATOM_SOURCE.search(block)
            found.append(ItemSource(_text(atom.group(1), encoding) if atom else None))
            continue
        rss = _RSS_SOURCE.search(block)
        if rss is None:
            found.append(ItemSource())
            continue
        url = _URL_ATTR.search(rss.group(1))
        found.append(
            ItemSource(
                _text(rss.group(2), encoding),
                _text(url.group(1) or url.group(2), encoding) if url else None,
            )
        )
    return found


def _text(raw: bytes, encoding: str) -> str:
    raw = _CDATA.sub(rb"\1", raw)
    try:
        return html.unescape(raw.decode(encoding, errors="replace"))
    except LookupError:
        return html.unescape(raw.decode("utf-8", errors="replace"))


def outlet_domain(link: str | None, source_url: str | None) -> str | None:
    """The outlet's domain ("reuters.com"): its ``<source url>``'s host, else the link's
    host unless the link is an aggregator's redirect; None when neither tells."""
    site = _host(clean_url(source_url)) if source_url else None
    if site:
        return site
    host = _host(link)
    return None if host is None or host in AGGREGATOR_HOSTS else host


def _host(url: str | None) -> str | None:
    if not url:
        return None
    if (host := _plain_host(url)) is not None:
        return host.removeprefix("www.") or None
    try:
        host = (urlsplit(url).hostname or "").rstrip(".").lower()
    except ValueError:
        return None
    return host.removeprefix("www.") or None


_PLAIN_HOST = re.compile(r"https?://([a-z0-9.-]+)(?:[/?#]|$)")


def _plain_host(url: str) -> str | None:
    """The host of a link as ``clean_url`` leaves most (lowercase scheme and host, no
    port or userinfo), without urlsplit's cost; None for any other link."""
    m = _PLAIN_HOST.match(url)
    return m.group(1).rstrip(".") if m else None
