"""Stories and their feed entries: the ONE place that decides whether an entry is new.

The news layer computes each entry's keys (``monitor.news.dedup``, pure); this module
looks them up among the stored entries and decides:

- *already seen* -- not stored again -- when its feed delivered the same guid, the same
  canonical link, or (within ``TITLE_WINDOW``) the same title from the same outlet;
- *a new outlet of a stored story* when any feed carried its canonical link or (within
  the window) its title key;
- else *a new story*.

Entries with different titles, links and guids are never merged.  An entry with no
guid, no http(s) link and no title is dropped.  Each function runs inside the caller's
transaction on the connection it is given.  The lookup of what is stored already is
``monitor.store.known``'s.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.entries import FeedBody, Matched
from monitor.heap import cyclic_gc_paused
from monitor.model import Headline, Outlet
from monitor.store import headlines
from monitor.store.known import TITLE_WINDOW, known_entries
from monitor.store.rows import chunks, from_us, in_list, one_per_source, to_json, to_us, union

__all__ = ["TITLE_WINDOW", "Added", "add_entries"]

#: Symbol links per INSERT statement: a statement per link cost ~0.4 µs more a link.
_LINKS_PER_INSERT = 64


@dataclass(frozen=True, slots=True)
class Added:
    """What a batch of entries did to the stored stories."""

    #: one per story the batch created (``new=True``) or gave another outlet, in the
    #: batch's order
    headlines: list[Headline]
    #: the stories of the batch's entries that were stored already (a re-poll), in the
    #: batch's order, none of them in ``headlines``
    known: list[str]
    #: feed name -> the stories of that feed's entries in the batch (new or known)
    feed_stories: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def story_ids(self) -> list[str]:
        """Every story the batch's entries belong to."""
        return [h.story for h in self.headlines] + self.known

    def feed_body(self, feed: str, digest: bytes, warning: str | None) -> FeedBody:
        """A feed's body as remembered: its digest and warning, and the stories of the
        entries it had in this batch."""
        return FeedBody(digest, warning, self.feed_stories.get(feed, ()))


@dataclass(slots=True)
class _Batch:
    """The decisions of one ``add_entries`` call, before they are written."""

    now_us: int
    created: dict[str, list[Matched]] = field(default_factory=dict)  # story -> entries
    published: dict[str, int] = field(default_factory=dict)  # a created story's, in µs
    extended: dict[str, list[Matched]] = field(default_factory=dict)
    entry_rows: list[tuple[Any, ...]] = field(default_factory=list)
    touched: dict[str, None] = field(default_factory=dict)  # ordered set
    known: dict[str, None] = field(default_factory=dict)
    feeds: dict[str, dict[str, None]] = field(default_factory=dict)  # feed -> its stories

    def take(self, item: Matched, story: str) -> None:
        stories = self.feeds.get(feed := item.entry.feed)
        if stories is None:
            stories = self.feeds[feed] = {}
        stories[story] = None


def add_entries(conn: sqlite3.Connection, items: Sequence[Matched], now_us: int) -> Added:
    """Store a batch's entries; see the module docstring for what is new."""
    with cyclic_gc_paused():
        # A new story's id is a stored story's only when its title came back after the
        # title window: rather than look every new id up first, the batch is written
        # as if none were, and written again, ids looked up, if one was.
        conn.execute("SAVEPOINT add_entries")
        try:
            added = _add_entries(conn, items, now_us, set())
        except sqlite3.IntegrityError:
            conn.execute("ROLLBACK TO add_entries")
            added = _add_entries(conn, items, now_us, _taken_story_ids(conn, items))
        conn.execute("RELEASE add_entries")
        return added


def _add_entries(
    conn: sqlite3.Connection, items: Sequence[Matched], now_us: int, taken: set[str]
) -> Added:
    """The batch written, ``taken`` holding the stored story ids its new ones may be."""
    known = known_entries(conn, items, now_us)
    batch = _Batch(now_us)
    for item in items:
        e, keys = item.entry, item.keys
        if not (e.guid or keys.link_key or keys.title_key):
            continue  # nothing to recognize it by next time
        if known.unknown(item):  # most of a first poll: none of its keys is known
            guid, story, fresh = e.guid, None, True
        elif known.seen(item):
            if (stored := known.stored_story(item)) is not None:
                batch.known[stored] = None
                batch.take(item, stored)
            continue
        else:
            guid = None if known.reused_guid(item) else e.guid  # (guid, feed) is unique
            story, fresh = known.story_of(item), False
        published = to_us(e.published)
        if story is None:
            story = keys.story
            if story in taken:
                story = _new_story_id(conn, story, taken)
            taken.add(story)
            batch.created[story] = [item]
            batch.published[story] = published
        elif story in batch.created:
            batch.created[story].append(item)
        else:
            batch.extended.setdefault(story, []).append(item)
        (known.add_new if fresh else known.add)(
            e.feed, guid, keys.link_key, keys.title_key, e.source, story
        )
        batch.entry_rows.append((e.feed, guid, e.link, keys.link_key, keys.title_key, story,
                                 e.source, published, now_us, e.domain))  # fmt: skip
        batch.touched[story] = None
        batch.take(item, story)
    return _write(conn, batch)


def _write(conn: sqlite3.Connection, batch: _Batch) -> Added:
    created = _insert_stories(conn, batch.created, batch.published, batch.now_us)
    _extend_stories(conn, batch.extended, batch.now_us)
    conn.executemany(
        "INSERT INTO entries(feed, guid, link, link_key, title_key, story_id, source,"
        " published, first_seen, domain) VALUES (?,?,?,?,?,?,?,?,?,?)",
        batch.entry_rows,
    )
    # New stories are built from memory; only extended ones are read back.
    found = {h.story: h for h in headlines.by_id(conn, list(batch.extended))}
    found.update(created)
    return Added(
        headlines=[found[sid] for sid in batch.touched],
        known=[s for s in batch.known if s not in batch.touched],
        feed_stories={feed: tuple(stories) for feed, stories in batch.feeds.items()},
    )


def _taken_story_ids(conn: sqlite3.Connection, items: Sequence[Matched]) -> set[str]:
    candidates = sorted({i.keys.story for i in items})
    taken: set[str] = set()
    for chunk in chunks(candidates):
        marks, values = in_list(chunk)
        sql = f"SELECT id FROM stories WHERE id IN ({marks})"
        taken.update(r[0] for r in conn.execute(sql, values))
    return taken


def _new_story_id(conn: sqlite3.Connection, story: str, taken: set[str]) -> str:
    """The entry's story id, salted in the (unlikely) event it is taken: a hash
    collision (or two untitled entries) must never merge two distinct stories."""
    candidate, salt = story, 0
    while candidate in taken or (salt and conn.execute(
            "SELECT 1 FROM stories WHERE id = ?", (candidate,)).fetchone()):  # fmt: skip
        salt += 1
        candidate = _salted(story, salt)
    return candidate


def _salted(story: str, salt: int) -> str:
    """Another id of the same 16-hex-digit form (a story id's own hash of ``story#salt``)."""
    return hashlib.blake2b(f"{story}#{salt}".encode(), digest_size=8).hexdigest()


def _insert_stories(
    conn: sqlite3.Connection,
    created: dict[str, list[Matched]],
    published_us: dict[str, int],
    now_us: int,
) -> dict[str, Headline]:
    """Insert the new stories, each built once from its entries; return them."""
    first_seen = from_us(now_us)
    as_json = _JsonMemo()
    stories: dict[str, Headline] = {}
    rows: list[tuple[Any, ...]] = []
    links: list[str | int] = []  # (symbol, story, published, first seen) after another
    for sid, group in created.items():
        h = stories[sid] = _new_headline(sid, group, first_seen)
        published = published_us[sid]  # its first entry's
        matched, symbols = h.matched, h.symbols  # their JSON: a dict hit, most times
        rows.append((sid, h.title, h.link, h.source, h.feed, published, now_us, now_us,
                     h.summary,
                     as_json.get(matched) or as_json(matched),
                     as_json.get(symbols) or as_json(symbols), int(bool(matched))))  # fmt: skip
        for symbol in h.symbols:
            links += (symbol, sid, published, now_us)
    conn.executemany(  # title_key and link_key stay empty (schema v4)
        "INSERT INTO stories(id, title, title_key, link, source, feed, published,"
        " first_seen, last_seen, summary, matched, symbols, is_matched)"
        " VALUES (?,?,'',?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    _link_symbols(conn, links)
    return stories


def _new_headline(story: str, group: list[Matched], first_seen: datetime) -> Headline:
    """A new story from its first entry and the batch's other outlets of it."""
    first = group[0]
    e = first.entry
    if len(group) == 1:  # the common case: one entry, one outlet
        matched, symbols = first.matched, first.symbols
        outlets: tuple[Outlet, ...] = (Outlet(e.source, e.link, e.published, e.domain),)
    else:
        matched, symbols = _merged(group)
        outlets = one_per_source(
            sorted(  # stable: batch order on ties
                (
                    Outlet(i.entry.source, i.entry.link, i.entry.published, i.entry.domain)
                    for i in group
                ),  # fmt: skip
                key=lambda o: o.published,
            )
        )
    # positional (in field order): keywords made this a tenth of storing a story
    return Headline(story, e.title, e.link, e.source, e.feed, e.published, first_seen,
                    e.summary, matched, symbols, outlets, True, False, e.domain)  # fmt: skip


def _merged(group: list[Matched]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The group's terms and symbols: the first entry's, then each next one's new ones."""
    matched, symbols = list(group[0].matched), list(group[0].symbols)
    for item in group[1:]:
        matched, symbols = union(matched, item.matched), union(symbols, item.symbols)
    return tuple(matched), tuple(symbols)


class _JsonMemo(dict[tuple[str, ...], str]):
    """JSON of a tuple of terms or symbols: a poll repeats a few of them many times."""

    def __call__(self, values: tuple[str, ...]) -> str:
        text = self.get(values)
        if text is None:
            text = self[values] = to_json(values)
        return text


def _link_symbols(conn: sqlite3.Connection, links: list[str | int]) -> None:
    """Insert symbol links, given one after another (symbol, story, published, first
    seen), ``INSERT OR IGNORE`` row by row, many rows to a statement."""
    sql = "INSERT OR IGNORE INTO story_symbols(symbol, story_id, published, first_seen) VALUES "
    size = 4 * _LINKS_PER_INSERT
    whole = len(links) - len(links) % size
    if whole:
        statement = sql + ",".join(["(?,?,?,?)"] * _LINKS_PER_INSERT)
        conn.executemany(statement, [links[i : i + size] for i in range(0, whole, size)])
    if rest := links[whole:]:  # a row a statement: one SQL text whatever is left
        conn.executemany(sql + "(?,?,?,?)", [rest[i : i + 4] for i in range(0, len(rest), 4)])


def _extend_stories(
    conn: sqlite3.Connection, extended: dict[str, list[Matched]], now_us: int
) -> None:
    """A new outlet's matched terms and symbols join its story's."""
    updates: list[tuple[str, str, int, int, str]] = []
    links: list[str | int] = []
    for story, group in extended.items():
        terms = {t for i in group for t in i.matched}
        symbols = {s for i in group for s in i.symbols}
        old_terms, old_symbols, published, first_seen = conn.execute(
            "SELECT matched, symbols, published, first_seen FROM stories WHERE id = ?",
            (story,),
        ).fetchone()
        all_terms = union(_json_list(old_terms), terms)
        all_symbols = union(_json_list(old_symbols), symbols)
        updates.append((to_json(all_terms), to_json(all_symbols), int(bool(all_terms)),
                        now_us, story))  # fmt: skip
        for symbol in symbols:
            links += (symbol, story, published, first_seen)
    conn.executemany(
        "UPDATE stories SET matched = ?, symbols = ?, is_matched = ?, last_seen = ? WHERE id = ?",
        updates,
    )
    _link_symbols(conn, links)


def _json_list(text: str) -> list[str]:
    return list(json.loads(text))
