"""The monitor database's schema, as an ordered list of migrations.

``PRAGMA user_version`` holds how many migrations a database has had.  A later issue
adds a table by appending a function to ``MIGRATIONS``; existing databases pick it up
on their next open, and a database written by a newer monitor is refused (its tables
may mean something this code does not know).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

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


def _v2_outlet_domains(conn: sqlite3.Connection) -> None:
    """Each entry's outlet domain ("reuters.com"), also for a Google News item whose
    link is news.google.com's redirect (older entries have none)."""
    conn.execute("ALTER TABLE entries ADD COLUMN domain TEXT")


#: ``meta`` key: the highest ``stories.seq`` in the search index.  Stories above it are
#: indexed in batches off the write path (``monitor.store.search``).
FTS_INDEXED_SEQ = "fts_indexed_seq"

_INDEXED = f"(SELECT CAST(value AS INTEGER) FROM meta WHERE key = '{FTS_INDEXED_SEQ}')"


def _v3_search_off_the_write_path(conn: sqlite3.Connection) -> None:
    """Stories are no longer indexed by an insert trigger (trigram indexing was most
    of a write); a delete or an edit reaches the index only for an indexed story.
    A story's symbols are one b-tree, in the order the symbol view reads them.
    Each feed's last body (digest, parse warning, stories) is remembered, so an
    unchanged feed costs neither a parse nor a write in a new process."""
    statements: Sequence[str] = (
        "DROP TRIGGER stories_fts_insert",
        "DROP TRIGGER stories_fts_delete",
        "DROP TRIGGER stories_fts_update",
        f"""CREATE TRIGGER stories_fts_delete AFTER DELETE ON stories
            WHEN old.seq <= {_INDEXED} BEGIN
            INSERT INTO stories_fts(stories_fts, rowid, title, summary)
            VALUES ('delete', old.seq, old.title, old.summary);
        END""",
        f"""CREATE TRIGGER stories_fts_update AFTER UPDATE OF title, summary ON stories
            WHEN old.seq <= {_INDEXED} BEGIN
            INSERT INTO stories_fts(stories_fts, rowid, title, summary)
            VALUES ('delete', old.seq, old.title, old.summary);
            INSERT INTO stories_fts(rowid, title, summary) VALUES (new.seq, new.title, new.summary);
        END""",
        # One b-tree instead of two: a story's published and first_seen never change,
        # so (symbol, story) is unique exactly when the whole key is.
        """CREATE TABLE story_symbols_v2 (
            symbol TEXT NOT NULL,
            published INTEGER NOT NULL,
            first_seen INTEGER NOT NULL,
            story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
            PRIMARY KEY (symbol, published, first_seen, story_id)
        ) WITHOUT ROWID""",
        "INSERT INTO story_symbols_v2(symbol, published, first_seen, story_id)"
        " SELECT symbol, published, first_seen, story_id FROM story_symbols",
        "DROP TABLE story_symbols",
        "ALTER TABLE story_symbols_v2 RENAME TO story_symbols",
        """CREATE TABLE feed_bodies (
            name TEXT PRIMARY KEY,
            digest BLOB NOT NULL,
            warning TEXT,
            stories TEXT NOT NULL DEFAULT '[]'   -- JSON list of the body's story ids
        )""",
    )
    for statement in statements:
        conn.execute(statement)
    conn.execute(
        "INSERT INTO meta(key, value) SELECT ?, COALESCE(MAX(seq), 0) FROM stories",
        (FTS_INDEXED_SEQ,),
    )


def _v4_lighter_story_rows(conn: sqlite3.Connection) -> None:
    """Fewer bytes and b-tree entries per new story.  The topic matches' index holds
    only matches (every reader asks for ``is_matched = 1``), not every story.  A story's
    own ``title_key`` and ``link_key`` were never read (dedup reads the entries'): new
    stories leave them empty, and the existing ones are emptied, which shrinks each
    story row by a copy of its title and link (the columns stay: dropping a column
    needs SQLite 3.35)."""
    statements: Sequence[str] = (
        "DROP INDEX stories_matched_by_published",
        "CREATE INDEX stories_matched_by_published ON stories(published, first_seen)"
        " WHERE is_matched = 1",
        "UPDATE stories SET title_key = '', link_key = NULL",
    )
    for statement in statements:
        conn.execute(statement)


#: Migration ``i`` takes a database from version ``i`` to ``i + 1``.  Append only.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (
    _v1_initial,
    _v2_outlet_domains,
    _v3_search_off_the_write_path,
    _v4_lighter_story_rows,
)

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
