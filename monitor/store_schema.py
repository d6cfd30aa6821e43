"""The monitor database's schema, as an ordered list of migrations, and how model
objects map to its rows.

``PRAGMA user_version`` holds how many migrations a database has had.  A later issue
adds a table by appending a function to ``MIGRATIONS``; existing databases pick it up
on their next open, and a database written by a newer monitor is refused (its tables
may mean something this code does not know).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.model import Alert, Entry, MarketState, Quote, Status
from monitor.news.dedup import EntryKeys

#: FTS5's trigram tokenizer (SQLite 3.34+) matches any substring of three or more
#: characters, so Chinese headlines (no spaces between words) and partial words are
#: searchable.  Older SQLite falls back to word tokens.
TRIGRAM = sqlite3.sqlite_version_info >= (3, 34, 0)
FTS_TOKENIZER = "trigram" if TRIGRAM else "unicode61 remove_diacritics 2"

_STORIES = """
CREATE TABLE stories (
    -- An explicit INTEGER PRIMARY KEY keeps rowids stable across VACUUM, which the
    -- external-content FTS index relies on; the story id itself is the UNIQUE key.
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    title_key TEXT NOT NULL,
    link TEXT,
    link_key TEXT,
    source TEXT NOT NULL,
    feed TEXT NOT NULL,
    published INTEGER NOT NULL,    -- microseconds since the Unix epoch (UTC)
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    summary TEXT NOT NULL DEFAULT '',
    matched TEXT NOT NULL DEFAULT '[]',   -- JSON list of matched topic terms
    symbols TEXT NOT NULL DEFAULT '[]',   -- JSON list of linked watchlist symbols
    is_matched INTEGER NOT NULL DEFAULT 0,
    read INTEGER NOT NULL DEFAULT 0
)
"""

_ENTRIES = """
CREATE TABLE entries (
    id INTEGER PRIMARY KEY,
    feed TEXT NOT NULL,
    guid TEXT,
    link TEXT,
    link_key TEXT,
    title_key TEXT NOT NULL,
    story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    published INTEGER NOT NULL,
    first_seen INTEGER NOT NULL
)
"""

_QUOTES = """
CREATE TABLE quotes (
    symbol TEXT NOT NULL,
    as_of INTEGER NOT NULL,
    price REAL NOT NULL,
    prev_close REAL,
    open REAL,
    high REAL,
    low REAL,
    volume REAL,
    currency TEXT,
    market_state TEXT,
    status TEXT NOT NULL,
    PRIMARY KEY (symbol, as_of)
) WITHOUT ROWID
"""

_ALERTS = """
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rule TEXT NOT NULL,
    time INTEGER NOT NULL,
    severity TEXT NOT NULL,
    symbol TEXT,
    symbols TEXT NOT NULL DEFAULT '[]',
    value REAL,
    threshold REAL,
    level INTEGER,
    message TEXT NOT NULL,
    context TEXT NOT NULL DEFAULT '{}',
    headlines TEXT NOT NULL DEFAULT '[]',
    notify TEXT NOT NULL DEFAULT '[]',
    acknowledged INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
)
"""

_FTS_TRIGGERS = (
    """CREATE TRIGGER stories_fts_insert AFTER INSERT ON stories BEGIN
        INSERT INTO stories_fts(rowid, title, summary) VALUES (new.seq, new.title, new.summary);
    END""",
    """CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title, summary)
        VALUES ('delete', old.seq, old.title, old.summary);
    END""",
    """CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary ON stories BEGIN
        INSERT INTO stories_fts(stories_fts, rowid, title, summary)
        VALUES ('delete', old.seq, old.title, old.summary);
        INSERT INTO stories_fts(rowid, title, summary) VALUES (new.seq, new.title, new.summary);
    END""",
)


def _v1_initial(conn: sqlite3.Connection) -> None:
    statements: Sequence[str] = (
        _STORIES,
        "CREATE INDEX stories_by_published ON stories(published, first_seen)",
        "CREATE INDEX stories_matched_by_published ON stories(is_matched, published, first_seen)",
        # published/first_seen are copied (a story's never change) so the newest
        # stories of a symbol come straight off an index.
        """CREATE TABLE story_symbols (
            symbol TEXT NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            published INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            PRIMARY KEY (symbol, story_id)
        ) WITHOUT ROWID""",
        "CREATE INDEX story_symbols_by_time ON story_symbols(symbol, published, first_seen)",
        _ENTRIES,
        # One row per (feed, guid); entries without a guid are told apart by link/title.
        "CREATE UNIQUE INDEX entries_by_guid ON entries(guid, feed) WHERE guid IS NOT NULL",
        "CREATE INDEX entries_by_link ON entries(link_key)",
        "CREATE INDEX entries_by_title ON entries(title_key)",
        "CREATE INDEX entries_by_story ON entries(story_id)",
        f"""CREATE VIRTUAL TABLE stories_fts USING fts5(
            title, summary, content='stories', content_rowid='seq', tokenize='{FTS_TOKENIZER}'
        )""",
        *_FTS_TRIGGERS,
        _QUOTES,
        "CREATE INDEX quotes_by_time ON quotes(as_of)",
        """CREATE TABLE feed_state (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
        _ALERTS,
        "CREATE INDEX alerts_by_time ON alerts(time)",
        """CREATE TABLE rule_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            state TEXT NOT NULL,
            updated_at INTEGER NOT NULL
        )""",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    )
    for statement in statements:
        conn.execute(statement)
    # Search reads this to know whether short words need a substring fallback.
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('fts_tokenizer', ?)",
        (FTS_TOKENIZER.split()[0],),
    )


#: Migration ``i`` takes a database from version ``i`` to ``i + 1``.  Append only.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_v1_initial,)

SCHEMA_VERSION = len(MIGRATIONS)


class SchemaTooNew(Exception):
    """The database was written by a newer monitor than this one."""


def apply_migrations(conn: sqlite3.Connection) -> int:
    """Bring ``conn``'s schema up to ``SCHEMA_VERSION``; return the version found.

    The caller holds a write transaction: DDL and the version bump commit together,
    so a crash mid-migration leaves the old version intact.
    """
    found = conn.execute("PRAGMA user_version").fetchone()[0]
    if found > SCHEMA_VERSION:
        raise SchemaTooNew(found)
    for version in range(found, SCHEMA_VERSION):
        MIGRATIONS[version](conn)
    if found != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")
    return found


# ---- entry dedup over stored rows -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyedEntry:
    """An entry with its dedup keys computed once, and what it matched."""

    entry: Entry
    keys: EntryKeys
    matched: tuple[str, ...]
    symbols: tuple[str, ...]

    @property
    def link_key(self) -> str | None:
        return self.keys.link_key

    @property
    def title_key(self) -> str:
        return self.keys.title_key


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

    def seen(self, item: KeyedEntry) -> bool:
        """This feed already delivered this entry (perhaps under another guid)."""
        e = item.entry
        if e.guid is not None and (e.feed, e.guid) in self.guids and not self.reused_guid(item):
            return True
        if item.link_key and any(f == e.feed for f, _ in self.links.get(item.link_key, ())):
            return True
        return bool(item.title_key) and any(
            f == e.feed and s == e.source for f, s, _ in self.titles.get(item.title_key, ())
        )

    def stored_story(self, item: KeyedEntry) -> str | None:
        """The story this very entry was stored under, if it was."""
        e = item.entry
        if e.guid is not None and not self.reused_guid(item):
            if story := self.guids.get((e.feed, e.guid)):
                return story
        return self.story_of(item)

    def reused_guid(self, item: KeyedEntry) -> bool:
        """The feed gave this guid to another entry (another link and title) before.

        Broken feeds give every item one guid (the feed's URL, "1"); trusting it would
        drop every story but the first, so such an entry is known by link and title.
        """
        e = item.entry
        keys = self.guid_keys.get((e.feed, e.guid)) if e.guid is not None else None
        return keys is not None and keys[0] != item.link_key and keys[1] != item.title_key

    def story_of(self, item: KeyedEntry) -> str | None:
        """The story another feed or outlet already carried under this link or title."""
        if item.link_key and (hits := self.links.get(item.link_key)):
            return hits[0][1]
        if item.title_key and (titled := self.titles.get(item.title_key)):
            return titled[0][2]
        return None


# ---- row encoding ----------------------------------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

STORY_COLS = (
    "s.id, s.title, s.link, s.source, s.feed, s.published, s.first_seen, s.summary,"
    " s.matched, s.symbols"
)
QUOTE_COLS = "price, prev_close, open, high, low, volume, currency, market_state, status"
ALERT_COLS = (
    "rule, time, severity, symbol, symbols, value, threshold, level, message, context,"
    " headlines, notify, acknowledged"
)


def to_us(t: datetime) -> int:
    """Times are stored as integer microseconds since the Unix epoch: exact, sortable."""
    if t.tzinfo is None:
        raise ValueError(f"naive datetime {t!r}: the store keeps timezone-aware times only")
    return (t - _EPOCH) // timedelta(microseconds=1)


def from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def quote_row(q: Quote, default_time: datetime) -> tuple[Any, ...]:
    state = q.market_state.value if q.market_state else None
    return (q.symbol, to_us(q.as_of or default_time), q.price, q.prev_close, q.open, q.high,
            q.low, q.volume, q.currency, state, q.status.value)  # fmt: skip


def quote_from_row(symbol: str, as_of: int, values: Sequence[Any],
                   intraday: Sequence[float]) -> Quote:  # fmt: skip
    price, prev_close, open_, high, low, volume, currency, market_state, status = values
    return Quote(
        symbol=symbol, price=price, prev_close=prev_close, open=open_, high=high, low=low,
        volume=volume, currency=currency,
        market_state=MarketState(market_state) if market_state else None,
        as_of=from_us(as_of), status=Status(status), intraday=tuple(intraday),
    )  # fmt: skip


def alert_row(a: Alert) -> tuple[Any, ...]:
    return (a.rule, to_us(a.time), a.severity, a.symbol, to_json(a.symbols), a.value,
            a.threshold, a.level, a.message, to_json(a.context), to_json(a.headlines),
            to_json(a.notify), int(a.acknowledged))  # fmt: skip


def alert_from_row(id_: int, r: Sequence[Any]) -> Alert:
    (rule, t, severity, symbol, symbols, value, threshold, level, message, context,
     headlines, notify, acknowledged) = r  # fmt: skip
    return Alert(
        rule=rule, time=from_us(t), message=message, severity=severity, symbol=symbol,
        symbols=tuple(json.loads(symbols)), value=value, threshold=threshold, level=level,
        context=json.loads(context), headlines=tuple(json.loads(headlines)),
        notify=tuple(json.loads(notify)), id=id_, acknowledged=bool(acknowledged),
    )  # fmt: skip


def downsample(values: list[float], limit: int) -> list[float]:
    """Evenly spaced points, always keeping the first and the last."""
    if len(values) <= limit or limit < 2:
        return values
    step = (len(values) - 1) / (limit - 1)
    return [values[round(i * step)] for i in range(limit)]


# ---- search ----------------------------------------------------------------------------


def _quote_fts(word: str) -> str:
    """One user word as an FTS5 string literal: no user text is ever FTS syntax."""
    return '"' + word.replace('"', '""') + '"'


def _like_pattern(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_sql(text: str, trigram: bool) -> tuple[str, list[Any]] | None:
    """SQL (ending in ``LIMIT ?``) and parameters finding stories containing every word.

    With trigram, words of three or more characters use the index; shorter ones (a
    two-character Chinese word) are matched with LIKE.  None when there are no words.
    """
    words = text.split()
    if not words:
        return None
    if trigram:
        match = " AND ".join(_quote_fts(w) for w in words if len(w) >= 3)
        scanned = [w for w in words if len(w) < 3]
    else:
        match, scanned = " AND ".join(f"{_quote_fts(w)} *" for w in words), []
    likes = " AND ".join(
        "(s.title LIKE ? ESCAPE '\\' OR s.summary LIKE ? ESCAPE '\\')" for _ in scanned
    )
    like_params = [p for w in scanned for p in (_like_pattern(w),) * 2]
    if not match:
        sql = f"SELECT {STORY_COLS} FROM stories s WHERE {likes} ORDER BY s.seq DESC LIMIT ?"
        return sql, like_params
    extra = f" AND {likes}" if likes else ""
    # ORDER BY the FTS rowid lets FTS5 walk its index newest-first and stop at the limit.
    sql = (
        f"SELECT {STORY_COLS} FROM stories_fts f JOIN stories s ON s.seq = f.rowid"
        f" WHERE stories_fts MATCH ?{extra} ORDER BY f.rowid DESC LIMIT ?"
    )
    return sql, [match, *like_params]
