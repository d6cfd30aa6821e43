"""The stored entries a batch's entries may be: the ONE lookup behind dedup.

``known_entries`` reads, in one query per key kind and chunk, the stored entries that
share a guid, a canonical link or (within ``TITLE_WINDOW``) a title key with a batch;
``KnownEntries`` answers for each entry of the batch whether its feed delivered it
already, which story it joins, or that nothing is known of it
(``monitor.store.stories`` decides from that and writes).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from monitor.entries import Matched
from monitor.store.rows import chunks, in_list

#: How long the same title (from the same outlet) means the same story.
TITLE_WINDOW = timedelta(days=3)
_TITLE_WINDOW_US = TITLE_WINDOW // timedelta(microseconds=1)


@dataclass(slots=True)
class KnownEntries:
    """The entries already stored that share a guid, link or title with the batch.

    Grows as the batch is processed, so two entries of one batch dedup too.
    """

    guids: dict[tuple[str, str], str] = field(default_factory=dict)  # (feed, guid) -> story
    links: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # -> (feed, story)
    titles: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)
    # (feed, guid) -> (link key, title key) of the entry that first had the guid
    guid_keys: dict[tuple[str, str], tuple[str | None, str]] = field(default_factory=dict)

    def add(self, feed: str, guid: str | None, link_key: str | None, tkey: str,
            source: str, story: str) -> None:  # fmt: skip
        if guid is not None:
            self.guids.setdefault((feed, guid), story)
            self.guid_keys.setdefault((feed, guid), (link_key, tkey))
        if link_key:
            self.links.setdefault(link_key, []).append((feed, story))
        if tkey:
            self.titles.setdefault(tkey, []).append((feed, source, story))

    def add_new(self, feed: str, guid: str | None, link_key: str | None, tkey: str,
                source: str, story: str) -> None:  # fmt: skip
        """``add`` for an entry ``unknown`` said none of whose keys is here yet."""
        if guid is not None:
            self.guids[feed, guid] = story
            self.guid_keys[feed, guid] = (link_key, tkey)
        if link_key:
            self.links[link_key] = [(feed, story)]
        if tkey:
            self.titles[tkey] = [(feed, source, story)]

    def unknown(self, item: Matched) -> bool:
        """No entry shares its guid, link or title: not seen, no reused guid, no story
        to join (most entries of a first poll), told in three lookups."""
        e, keys = item.entry, item.keys
        return (
            (e.guid is None or (e.feed, e.guid) not in self.guids)
            and keys.link_key not in self.links
            and keys.title_key not in self.titles
        )

    def seen(self, item: Matched) -> bool:
        """This feed already delivered this entry (perhaps under another guid)."""
        e, keys = item.entry, item.keys
        if e.guid is not None and (e.feed, e.guid) in self.guids and not self.reused_guid(item):
            return True
        if keys.link_key and (hits := self.links.get(keys.link_key)):
            if any(f == e.feed for f, _ in hits):
                return True
        if keys.title_key and (titled := self.titles.get(keys.title_key)):
            return any(f == e.feed and s == e.source for f, s, _ in titled)
        return False

    def stored_story(self, item: Matched) -> str | None:
        """The story this very entry was stored under, if it was."""
        e = item.entry
        if e.guid is not None and not self.reused_guid(item):
            if story := self.guids.get((e.feed, e.guid)):
                return story
        return self.story_of(item)

    def reused_guid(self, item: Matched) -> bool:
        """The feed gave this guid to another entry (another link and title) before.

        Broken feeds give every item one guid (the feed's URL, "1"); trusting it would
        drop every story but the first, so such an entry is known by link and title.
        """
        e, keys = item.entry, item.keys
        first = self.guid_keys.get((e.feed, e.guid)) if e.guid is not None else None
        return first is not None and first[0] != keys.link_key and first[1] != keys.title_key

    def story_of(self, item: Matched) -> str | None:
        """The story another feed or outlet already carried under this link or title."""
        keys = item.keys
        if keys.link_key and (hits := self.links.get(keys.link_key)):
            return hits[0][1]
        if keys.title_key and (titled := self.titles.get(keys.title_key)):
            return titled[0][2]
        return None


def known_entries(
    conn: sqlite3.Connection, items: Sequence[Matched], now_us: int | None
) -> KnownEntries:
    """The stored entries sharing a guid, a link or (since the title window before
    ``now_us``; ever when None) a title with ``items``."""
    known = KnownEntries()
    # Titles recur ("Stock market today: ..." every day with a new link), so a title
    # only identifies a story within TITLE_WINDOW; guids and links always do.
    title_since = -(2**62) if now_us is None else now_us - _TITLE_WINDOW_US
    by_column = {
        "guid": (_sorted(i.entry.guid for i in items if i.entry.guid is not None), None),
        "link_key": (_sorted(i.keys.link_key for i in items if i.keys.link_key), None),
        "title_key": (
            _sorted(i.keys.title_key for i in items if i.keys.title_key),
            title_since,  # bound, not in the SQL text: one text for every poll
        ),
    }
    # An entry found again by its link or title (a re-poll finds each by all three)
    # is added once: a second add would only append duplicates after the first.
    added: set[int] = set()
    for column, (values, since) in by_column.items():
        window = "" if since is None else " AND first_seen >= ?"
        for chunk in chunks(values):
            marks, params = in_list(chunk)
            rows = conn.execute(
                "SELECT id, feed, guid, link_key, title_key, source, story_id FROM entries"
                f" WHERE {column} IN ({marks}){window}",
                params if since is None else (*params, since),
            )
            for row_id, feed, guid, link_key, tkey, source, story in rows:
                if row_id not in added:
                    added.add(row_id)
                    known.add(feed, guid, link_key, tkey, source, story)
    return known


def _sorted(keys: Iterable[str]) -> list[str]:
    """The distinct keys, sorted (an IN list in key order reads the index in order).
    Deduplicated in batch order, not through a set: a feed's guids and links mostly
    come in runs already in order, which the sort then merges instead of sorting."""
    return sorted(dict.fromkeys(keys))
