"""The SQLite store: stories and their feed entries, quote snapshots, alerts, rule state,
feed state and small metadata, in one WAL-mode database file.

Threading: the class is synchronous.  It owns ONE connection, opened with
``check_same_thread=False`` and guarded by a lock, so it may be created on one thread
and used from another; the engine runs every call on its single store thread
(``monitor.storeworker``), which keeps SQLite off the event loop.

Single instance: ``acquire_lock()`` takes an OS lock (``flock``) on ``<db>.lock`` for
the life of the store, so a second ``monitor`` on the same database refuses to poll
with ``StoreLocked`` naming the first one's pid.  A read-only store
(``readonly=True``) takes no lock: the CLI uses it to view a database another monitor
is writing.

Failures: every write is one transaction.  When another process holds the write lock,
SQLite waits ``busy_timeout_ms``, then the write is retried with backoff
``busy_retries`` times, then ``StoreBusy`` is raised and nothing was written (the
engine queues the write and retries later).  A full disk raises ``StoreFull``; I/O
errors, a damaged file or a file that is not a monitor database raise ``StoreError``.
WAL with ``synchronous=NORMAL`` never corrupts the file on a crash; a power cut may
lose the last transactions, never half of one.

Times are stored as integer microseconds since the Unix epoch (exact, sortable).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from monitor.model import Alert, Entry, Headline, Outlet, Quote, QuoteBatch
from monitor.news.dedup import entry_keys, story_id
from monitor.store_schema import (
    ALERT_COLS,
    QUOTE_COLS,
    SCHEMA_VERSION,
    STORY_COLS,
    KeyedEntry,
    KnownEntries,
    SchemaTooNew,
    alert_from_row,
    alert_row,
    apply_migrations,
    downsample,
    from_us,
    quote_from_row,
    quote_row,
    search_sql,
    to_json,
    to_us,
)

__all__ = [
    "SCHEMA_VERSION",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreVersionError",
]

T = TypeVar("T")

#: Intraday points kept on a quote returned by ``latest_quotes`` (sparkline width).
INTRADAY_POINTS = 400
#: How long the same title (from the same outlet) means the same story.
TITLE_WINDOW = timedelta(days=3)
#: Keys per ``IN (...)`` list: far below SQLite's bound-parameter limit.
_CHUNK = 300


class StoreError(Exception):
    """The database could not be used; the message says why and what to do."""


class StoreBusy(StoreError):
    """Another process held the write lock past every retry; nothing was written."""


class StoreFull(StoreError):
    """The disk is full; nothing was written."""


class StoreLocked(StoreError):
    """Another monitor already owns this database."""


class StoreVersionError(StoreError):
    """The database's schema is newer (or older, read-only) than this code knows."""


def _chunks(items: Sequence[T], size: int = _CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _marks(n: int) -> str:
    return ",".join("?" * n)


def _error_code(exc: sqlite3.Error) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else code & 0xFF


def _is_busy(exc: BaseException) -> bool:
    return isinstance(exc, sqlite3.Error) and _error_code(exc) in (
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
    )


def _translate(exc: sqlite3.Error, path: Path) -> StoreError:
    code = _error_code(exc)
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(f"database {path} is busy (another process is writing to it): {exc}")
    if code == sqlite3.SQLITE_FULL:
        return StoreFull(f"disk full: cannot write {path} ({exc}); free some space")
    if code == sqlite3.SQLITE_IOERR:
        return StoreError(f"disk I/O error on {path}: {exc}")
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(f"{path} is damaged or not a monitor database ({exc}); move it away")
    if code == sqlite3.SQLITE_READONLY:
        return StoreError(f"{path} is read-only here: {exc}")
    if code == sqlite3.SQLITE_CANTOPEN:
        return StoreError(f"cannot open {path}: {exc}")
    return StoreError(f"database error on {path}: {exc}")


class Store:
    """The monitor database.  See the module docstring for threading and failures."""

    def __init__(
        self,
        path: Path | str,
        *,
        readonly: bool = False,
        busy_timeout_ms: int = 5000,
        busy_retries: int = 2,
    ) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._busy_retries = busy_retries
        self._lock = threading.RLock()
        self._lock_fd: int | None = None
        self._conn = self._connect(busy_timeout_ms)
        try:
            self._prepare(busy_timeout_ms)
        except BaseException:
            self._conn.close()
            raise

    # ---- lifecycle ---------------------------------------------------------------------

    def _connect(self, busy_timeout_ms: int) -> sqlite3.Connection:
        timeout = busy_timeout_ms / 1000
        try:
            if self.readonly:
                if not self.path.exists():
                    raise StoreError(f"no database at {self.path}")
                uri = self.path.resolve().as_uri() + "?mode=ro"
                return sqlite3.connect(uri, uri=True, timeout=timeout, isolation_level=None,
                                       check_same_thread=False)  # fmt: skip
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return sqlite3.connect(self.path, timeout=timeout, isolation_level=None,
                                   check_same_thread=False)  # fmt: skip
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
        except OSError as exc:
            raise StoreError(f"cannot create {self.path.parent}: {exc}") from exc

    def _prepare(self, busy_timeout_ms: int) -> None:
        try:
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms):d}")
            self._conn.execute("PRAGMA foreign_keys = ON")
            if not self.readonly:
                mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
                if str(mode).lower() != "wal":
                    raise StoreError(f"{self.path}: cannot switch to WAL mode (got {mode})")
                self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from exc
        if self.readonly:
            self._check_version_readonly()
        else:
            self.migrate()
        self._trigram = self.get_meta("fts_tokenizer") == "trigram"

    def migrate(self) -> None:
        """Apply pending migrations; refuse a database written by a newer monitor."""
        try:
            if self.schema_version == SCHEMA_VERSION:
                return  # no write lock needed: opening must not wait for another writer
            self._write(lambda: apply_migrations(self._conn))
        except SchemaTooNew as exc:
            raise StoreVersionError(
                f"{self.path} was written by a newer monitor (schema version {exc.args[0]}; "
                f"this one knows {SCHEMA_VERSION}): upgrade monitor or use another database"
            ) from exc

    def _check_version_readonly(self) -> None:
        found = self._read(lambda: self._conn.execute("PRAGMA user_version").fetchone()[0])
        if found > SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} was written by a newer monitor (schema version {found}; "
                f"this one knows {SCHEMA_VERSION})"
            )
        if found < SCHEMA_VERSION:
            raise StoreVersionError(
                f"{self.path} has schema version {found} (expected {SCHEMA_VERSION}); "
                "run monitor once without read-only to create or upgrade it"
            )

    @property
    def schema_version(self) -> int:
        return int(self._read(lambda: self._conn.execute("PRAGMA user_version").fetchone()[0]))

    def acquire_lock(self) -> None:
        """Own the database for this process's lifetime (until ``close``).

        Raises ``StoreLocked`` naming the other monitor's pid.  The OS drops the lock
        when the owner dies, however it dies, so a crash never leaves it stuck.
        """
        if self.readonly:
            raise ValueError("a read-only store does not take the lock")
        if self._lock_fd is not None:
            return
        lock_path = Path(f"{self.path}.lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreLocked(
                f"another monitor (pid {holder}) is already using {self.path}; stop it "
                "first, or view the database read-only"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def close(self) -> None:
        with self._lock:
            try:
                if not self.readonly:
                    self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass  # advisory only; closing matters more
            self._conn.close()
            if self._lock_fd is not None:
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
                os.close(self._lock_fd)
                self._lock_fd = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def integrity_check(self) -> str:
        """``"ok"`` when the file and the search index are sound, else the problems."""
        rows = self._read(lambda: self._conn.execute("PRAGMA integrity_check").fetchall())
        report = "\n".join(str(r[0]) for r in rows)
        if report == "ok" and not self.readonly:
            try:
                self._write(lambda: self._conn.execute(
                    "INSERT INTO stories_fts(stories_fts) VALUES ('integrity-check')"))  # fmt: skip
            except StoreBusy:
                raise  # not a verdict on the file: let the caller retry
            except StoreError as exc:
                return f"search index: {exc}"
        return report

    # ---- transactions ------------------------------------------------------------------

    def _write(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` in one write transaction, retrying while another writer holds it."""
        return self._transaction("BEGIN IMMEDIATE", fn)

    def _read(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on one consistent snapshot (a deferred read transaction)."""
        return self._transaction("BEGIN", fn)

    def _transaction(self, begin: str, fn: Callable[[], T]) -> T:
        with self._lock:
            attempt = 0
            while True:
                try:
                    self._conn.execute(begin)
                    result = fn()
                    self._conn.execute("COMMIT")
                    return result
                except BaseException as exc:
                    self._rollback()
                    if _is_busy(exc) and attempt < self._busy_retries:
                        time.sleep(min(0.05 * 2**attempt, 1.0))
                        attempt += 1
                        continue
                    if isinstance(exc, sqlite3.DatabaseError):
                        raise _translate(exc, self.path) from exc
                    raise

    def _rollback(self) -> None:
        if self._conn.in_transaction:
            try:
                self._conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass  # SQLite already rolled back (e.g. after SQLITE_FULL)

    # ---- headlines ---------------------------------------------------------------------

    def add_entries(
        self,
        items: Sequence[tuple[Entry, tuple[str, ...], tuple[str, ...]]],
        *,
        now: datetime,
    ) -> list[Headline]:
        """Store a poll's entries (each with its matched terms and symbols) at once.

        An entry is *already seen* -- not stored, not returned -- when its feed
        delivered the same guid, the same canonical link, or (within ``TITLE_WINDOW``)
        the same title from the same outlet before.  Otherwise, when any feed carried
        its canonical link or (within the window) its title key, it is a new outlet of
        that story: stored, and its story returned with
        ``new=False`` (the UI bumps the outlet count).  Else it starts a story, returned
        with ``new=True``.  Entries with different titles, links and guids are never
        merged.  An entry with no guid, no http(s) link and no title is dropped.

        Returns one headline per touched story, in the batch's order; ``outlets`` lists
        one outlet per source (its earliest entry), ordered by published time.
        """
        keyed = [
            KeyedEntry(entry, entry_keys(entry), tuple(matched), tuple(symbols))
            for entry, matched, symbols in items
        ]
        if not keyed:
            return []
        now_us = to_us(now)
        return self._write(lambda: self._add_keyed(keyed, now_us))

    def _add_keyed(self, keyed: list[KeyedEntry], now_us: int) -> list[Headline]:
        known = self._known_for(keyed, now_us)
        taken = self._taken_story_ids(keyed)
        new_stories: dict[str, dict[str, Any]] = {}
        merged: dict[str, tuple[set[str], set[str]]] = {}
        entry_rows: list[tuple[Any, ...]] = []
        touched: dict[str, None] = {}
        for item in keyed:
            e = item.entry
            if known.seen(item) or not (e.guid or item.link_key or item.title_key):
                continue  # (no guid, no link, no title: nothing to recognize it by next time)
            guid = None if known.reused_guid(item) else e.guid  # (guid, feed) is unique
            story = known.story_of(item)
            if story is None:
                story = self._new_story_id(item.keys.story, taken)
                taken.add(story)
                new_stories[story] = _story_row(story, item, now_us)
            elif story in new_stories:
                _merge_into(new_stories[story], item)
            else:
                terms, symbols = merged.setdefault(story, (set(), set()))
                terms.update(item.matched)
                symbols.update(item.symbols)
            known.add(e.feed, guid, item.link_key, item.title_key, e.source, story)
            entry_rows.append((e.feed, guid, e.link, item.link_key, item.title_key, story,
                               e.source, to_us(e.published), now_us))  # fmt: skip
            touched[story] = None
        self._insert_stories(list(new_stories.values()))
        self._merge_stories(merged, now_us)
        self._conn.executemany(
            "INSERT INTO entries(feed, guid, link, link_key, title_key, story_id, source,"
            " published, first_seen) VALUES (?,?,?,?,?,?,?,?,?)",
            entry_rows,
        )
        # New stories are built from memory; only extended ones are read back.
        headlines = {h.story: h for h in self._headlines_by_id(list(merged))}
        headlines.update((sid, _new_headline(row)) for sid, row in new_stories.items())
        return [headlines[sid] for sid in touched]

    def _known_for(self, keyed: list[KeyedEntry], now_us: int | None) -> KnownEntries:
        known = KnownEntries()
        # Titles recur ("Stock market today: ..." every day with a new link), so a title
        # only identifies a story within TITLE_WINDOW; guids and links always do.
        if now_us is None:
            title_since = -(2**62)
        else:
            title_since = now_us - TITLE_WINDOW // timedelta(microseconds=1)
        by_column = {
            "guid": (sorted({k.entry.guid for k in keyed if k.entry.guid is not None}), ""),
            "link_key": (sorted({k.link_key for k in keyed if k.link_key}), ""),
            "title_key": (
                sorted({k.title_key for k in keyed if k.title_key}),
                f" AND first_seen >= {title_since:d}",
            ),  # fmt: skip
        }
        for column, (values, window) in by_column.items():
            for chunk in _chunks(values):
                rows = self._conn.execute(
                    "SELECT feed, guid, link_key, title_key, source, story_id FROM entries"
                    f" WHERE {column} IN ({_marks(len(chunk))}){window}",
                    tuple(chunk),
                )
                for feed, guid, link_key, tkey, source, story in rows:
                    known.add(feed, guid, link_key, tkey, source, story)
        return known

    def _taken_story_ids(self, keyed: list[KeyedEntry]) -> set[str]:
        candidates = sorted({k.keys.story for k in keyed})
        taken: set[str] = set()
        for chunk in _chunks(candidates):
            taken.update(
                r[0]
                for r in self._conn.execute(
                    f"SELECT id FROM stories WHERE id IN ({_marks(len(chunk))})", tuple(chunk)
                )
            )
        return taken

    def _new_story_id(self, story: str, taken: set[str]) -> str:
        """The entry's story id, salted in the (unlikely) event it is taken: a hash
        collision (or two untitled entries) must never merge two distinct stories."""
        candidate, salt = story, 0
        while candidate in taken or (salt and self._conn.execute(
            "SELECT 1 FROM stories WHERE id = ?", (candidate,)).fetchone()):  # fmt: skip
            salt += 1
            candidate = story_id(f"{story}#{salt}")
        return candidate

    def _insert_stories(self, rows: list[dict[str, Any]]) -> None:
        self._conn.executemany(
            "INSERT INTO stories(id, title, title_key, link, link_key, source, feed, published,"
            " first_seen, last_seen, summary, matched, symbols, is_matched) VALUES"
            " (:id, :title, :title_key, :link, :link_key, :source, :feed, :published,"
            " :first_seen, :first_seen, :summary, :matched_json, :symbols_json, :is_matched)",
            [
                {
                    **r,
                    "matched_json": to_json(r["matched"]),
                    "symbols_json": to_json(r["symbols"]),
                    "is_matched": int(bool(r["matched"])),
                }  # fmt: skip
                for r in rows
            ],
        )
        self._link_symbols(
            (symbol, r["id"], r["published"], r["first_seen"])
            for r in rows
            for symbol in r["symbols"]
        )

    def _link_symbols(self, rows: Iterable[tuple[str, str, int, int]]) -> None:
        self._conn.executemany(
            "INSERT OR IGNORE INTO story_symbols(symbol, story_id, published, first_seen)"
            " VALUES (?, ?, ?, ?)",
            rows,
        )

    def _merge_stories(self, merged: dict[str, tuple[set[str], set[str]]], now_us: int) -> None:
        """A new outlet's matched terms and symbols join its story's."""
        updates, links = [], []
        for story, (terms, symbols) in merged.items():
            old_terms, old_symbols, published, first_seen = self._conn.execute(
                "SELECT matched, symbols, published, first_seen FROM stories WHERE id = ?",
                (story,),
            ).fetchone()
            all_terms = _union(json.loads(old_terms), terms)
            all_symbols = _union(json.loads(old_symbols), symbols)
            updates.append((to_json(all_terms), to_json(all_symbols), int(bool(all_terms)),
                            now_us, story))  # fmt: skip
            links.extend((symbol, story, published, first_seen) for symbol in symbols)
        self._conn.executemany(
            "UPDATE stories SET matched = ?, symbols = ?, is_matched = ?, last_seen = ?"
            " WHERE id = ?",
            updates,
        )
        self._link_symbols(links)

    def _headlines_by_id(self, ids: list[str]) -> list[Headline]:
        rows: dict[str, tuple[Any, ...]] = {}
        for chunk in _chunks(ids):
            for row in self._conn.execute(
                f"SELECT {STORY_COLS} FROM stories s WHERE s.id IN ({_marks(len(chunk))})",
                tuple(chunk),
            ):
                rows[row[0]] = row
        return self._headlines([rows[i] for i in ids if i in rows])

    def _headlines(self, rows: list[tuple[Any, ...]]) -> list[Headline]:
        outlets = self._outlets([r[0] for r in rows])
        return [
            Headline(
                story=r[0],
                title=r[1],
                link=r[2],
                source=r[3],
                feed=r[4],
                published=from_us(r[5]),
                first_seen=from_us(r[6]),
                summary=r[7],
                matched=tuple(json.loads(r[8])),
                symbols=tuple(json.loads(r[9])),
                outlets=outlets.get(r[0], ()),
            )  # fmt: skip
            for r in rows
        ]

    def _headlines_of(self, sql: str, params: Sequence[Any]) -> list[Headline]:
        return self._headlines(self._conn.execute(sql, params).fetchall())

    def _outlets(self, ids: list[str]) -> dict[str, tuple[Outlet, ...]]:
        """Every source that carried each story, earliest entry per source."""
        found: dict[str, list[Outlet]] = {}
        for chunk in _chunks(ids):
            for story, source, link, published in self._conn.execute(
                "SELECT story_id, source, link, published FROM entries"
                f" WHERE story_id IN ({_marks(len(chunk))}) ORDER BY published, id",
                tuple(chunk),
            ):
                found.setdefault(story, []).append(Outlet(source, link, from_us(published)))
        return {story: _one_per_source(outlets) for story, outlets in found.items()}

    def headlines_for_entries(
        self, entries: Sequence[Entry], *, now: datetime | None = None
    ) -> list[Headline]:
        """The stored stories of these entries (a poll's, new or not), newest first.

        Read-only: entries never stored are left out.  With ``now``, a title alone
        identifies a story only within ``TITLE_WINDOW`` before it, as in ``add_entries``.
        """
        keyed = [KeyedEntry(e, entry_keys(e), (), ()) for e in entries]
        now_us = None if now is None else to_us(now)

        def find() -> list[Headline]:
            known = self._known_for(keyed, now_us)
            stories = {s for k in keyed if (s := known.stored_story(k)) is not None}
            found = self._headlines_by_id(sorted(stories))
            return sorted(found, key=lambda h: (h.published, h.first_seen), reverse=True)

        return self._read(find)

    def recent_headlines(
        self, limit: int = 200, *, matched_only: bool = True, since: datetime | None = None
    ) -> list[Headline]:
        """Newest first by published time, then first-seen time.

        ``published`` is already clamped to the time it was seen and falls back to it
        when a feed gives no usable date, so a bad date never jumps a story to the top.
        ``since`` keeps stories published at or after it.
        """
        where, params = [], []
        if matched_only:
            where.append("s.is_matched = 1")
        if since is not None:
            where.append("s.published >= ?")
            params.append(to_us(since))
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        sql = (
            f"SELECT {STORY_COLS} FROM stories s {clause}"
            " ORDER BY s.published DESC, s.first_seen DESC LIMIT ?"
        )
        return self._read(lambda: self._headlines_of(sql, (*params, limit)))

    def search_headlines(self, text: str, limit: int = 200) -> list[Headline]:
        """Stories whose title or summary contain every word of ``text``.

        Words are matched as substrings (trigram index), case-insensitively; words
        under three characters (two-character Chinese words) are matched by a scan.
        Each word is quoted, so FTS operators (``NOT``, ``"``, parentheses) in the text
        are searched for literally.  Newest first by first sighting; all stories, not
        only topic matches.
        """
        query = search_sql(text, self._trigram)
        if query is None:
            return []
        sql, params = query
        return self._read(lambda: self._headlines_of(sql, (*params, limit)))

    def headlines_for_symbol(self, symbol: str, limit: int = 50) -> list[Headline]:
        """Stories linked to ``symbol``, newest first."""
        sql = (
            f"SELECT {STORY_COLS} FROM story_symbols y JOIN stories s ON s.id = y.story_id"
            " WHERE y.symbol = ? ORDER BY y.published DESC, y.first_seen DESC LIMIT ?"
        )
        return self._read(lambda: self._headlines_of(sql, (symbol, limit)))

    def headline_count(self, *, matched_only: bool = False) -> int:
        sql = "SELECT COUNT(*) FROM stories" + (" WHERE is_matched = 1" if matched_only else "")
        return int(self._read(lambda: self._conn.execute(sql).fetchone()[0]))

    def mark_read(self, story_ids: Iterable[str]) -> None:
        rows = [(s,) for s in story_ids]
        self._write(lambda: self._conn.executemany("UPDATE stories SET read = 1 WHERE id = ?",
                                                   rows))  # fmt: skip

    def unread_story_ids(self, limit: int = 200, *, matched_only: bool = True) -> list[str]:
        """Unread stories, newest first (the same order as ``recent_headlines``)."""
        where = "read = 0" + (" AND is_matched = 1" if matched_only else "")
        sql = (
            f"SELECT id FROM stories WHERE {where} ORDER BY published DESC, first_seen DESC LIMIT ?"
        )
        return self._read(lambda: [r[0] for r in self._conn.execute(sql, (limit,))])

    # ---- quotes ------------------------------------------------------------------------

    def add_quotes(self, batch: QuoteBatch) -> None:
        """Keep one snapshot per usable quote (each poll adds an intraday point)."""
        rows = [quote_row(q, batch.time) for q in batch.quotes.values() if q.usable]
        if rows:
            self._write(lambda: self._conn.executemany(
                f"INSERT OR REPLACE INTO quotes(symbol, as_of, {QUOTE_COLS})"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows))  # fmt: skip

    def latest_quotes(self) -> dict[str, Quote]:
        """The last snapshot of every symbol, with that session's prices as intraday.

        A session's snapshots share its previous close, so the intraday points are the
        last 24 h of snapshots with the latest one's previous close (the sparkline
        restarts when a new session starts), downsampled to ``INTRADAY_POINTS``.
        """
        return self._read(self._latest_quotes)

    def _latest_quotes(self) -> dict[str, Quote]:
        latest = self._conn.execute(
            f"SELECT symbol, MAX(as_of), {QUOTE_COLS} FROM quotes GROUP BY symbol"
        ).fetchall()
        quotes = {}
        for symbol, as_of, *values in latest:
            prices = [r[0] for r in self._conn.execute(
                "SELECT price FROM quotes WHERE symbol = ? AND as_of >= ? AND prev_close IS ?"
                " ORDER BY as_of", (symbol, as_of - 86_400_000_000, values[1]))]  # fmt: skip
            intraday = downsample(prices, INTRADAY_POINTS)
            quotes[symbol] = quote_from_row(symbol, as_of, values, intraday)
        return quotes

    def intraday(self, symbol: str, since: datetime) -> list[tuple[datetime, float]]:
        """Every stored (as_of, price) of ``symbol`` at or after ``since``, oldest first."""
        sql = "SELECT as_of, price FROM quotes WHERE symbol = ? AND as_of >= ? ORDER BY as_of"
        return self._read(lambda: [(from_us(t), p) for t, p in self._conn.execute(
            sql, (symbol, to_us(since)))])  # fmt: skip

    def prune_quotes(self, before: datetime) -> int:
        """Drop snapshots older than ``before`` (keep ~3 days), except each symbol's
        latest, so a quiet symbol still shows its last price; return how many went."""
        sql = (
            "DELETE FROM quotes WHERE as_of < ? AND as_of <"
            " (SELECT MAX(q.as_of) FROM quotes q WHERE q.symbol = quotes.symbol)"
        )
        return self._write(lambda: self._conn.execute(sql, (to_us(before),)).rowcount)

    # ---- feed state, alerts, rule state, meta ------------------------------------------

    def get_feed_states(self) -> dict[str, dict[str, Any]]:
        rows = self._read(lambda: self._conn.execute("SELECT name, state FROM feed_state")
                          .fetchall())  # fmt: skip
        return {name: json.loads(state) for name, state in rows}

    def put_feed_state(self, name: str, state: dict[str, Any]) -> None:
        params = (name, to_json(state), to_us(datetime.now(UTC)))
        self._write(lambda: self._conn.execute(
            "INSERT INTO feed_state(name, state, updated_at) VALUES (?, ?, ?) ON CONFLICT(name)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            params))  # fmt: skip

    def add_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Store fired alerts; return them with their ids."""
        return self._write(lambda: self._insert_alerts(alerts))

    def add_alerts_and_rule_state(
        self, alerts: Sequence[Alert], state: dict[str, Any]
    ) -> list[Alert]:
        """Alerts and the rule state that fired them, in ONE transaction: after a crash
        there is neither an alert without its state (a re-fire) nor the reverse (a loss)."""

        def both() -> list[Alert]:
            stored = self._insert_alerts(alerts)
            self._put_rule_state(state)
            return stored

        return self._write(both)

    def _insert_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        created = to_us(datetime.now(UTC))
        stored = []
        for a in alerts:
            cursor = self._conn.execute(
                f"INSERT INTO alerts({ALERT_COLS}, created_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (*alert_row(a), created),
            )
            stored.append(replace(a, id=cursor.lastrowid))
        return stored

    def recent_alerts(self, limit: int = 200) -> list[Alert]:
        """Newest first by trigger time."""
        sql = f"SELECT id, {ALERT_COLS} FROM alerts ORDER BY time DESC, id DESC LIMIT ?"
        rows = self._read(lambda: self._conn.execute(sql, (limit,)).fetchall())
        return [alert_from_row(r[0], r[1:]) for r in rows]

    def ack_alert(self, alert_id: int) -> None:
        """Mark an alert acknowledged (an unknown id is ignored)."""
        self._write(lambda: self._conn.execute(
            "UPDATE alerts SET acknowledged = 1 WHERE id = ?", (alert_id,)))  # fmt: skip

    def get_rule_state(self) -> dict[str, Any]:
        row = self._read(lambda: self._conn.execute(
            "SELECT state FROM rule_state WHERE id = 1").fetchone())  # fmt: skip
        return {} if row is None else dict(json.loads(row[0]))

    def put_rule_state(self, state: dict[str, Any]) -> None:
        self._write(lambda: self._put_rule_state(state))

    def _put_rule_state(self, state: dict[str, Any]) -> None:
        self._conn.execute(
            "INSERT INTO rule_state(id, state, updated_at) VALUES (1, ?, ?) ON CONFLICT(id)"
            " DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (to_json(state), to_us(datetime.now(UTC))),
        )

    def get_meta(self, key: str) -> str | None:
        row = self._read(lambda: self._conn.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)).fetchone())  # fmt: skip
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write(lambda: self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key)"
            " DO UPDATE SET value = excluded.value", (key, value)))  # fmt: skip


# ---- row helpers -----------------------------------------------------------------------


def _union(existing: list[str], extra: Iterable[str]) -> list[str]:
    """Existing order first, then the new values (sorted, so results are stable)."""
    return existing + sorted(set(extra) - set(existing))


def _story_row(story: str, item: KeyedEntry, now_us: int) -> dict[str, Any]:
    e = item.entry
    return {
        "id": story, "title": e.title, "title_key": item.title_key, "link": e.link,
        "link_key": item.link_key, "source": e.source, "feed": e.feed,
        "published": to_us(e.published), "first_seen": now_us, "summary": e.summary,
        "matched": list(item.matched), "symbols": list(item.symbols),
        "outlets": [Outlet(e.source, e.link, e.published)],
    }  # fmt: skip


def _merge_into(row: dict[str, Any], item: KeyedEntry) -> None:
    row["matched"] = _union(row["matched"], item.matched)
    row["symbols"] = _union(row["symbols"], item.symbols)
    row["outlets"].append(Outlet(item.entry.source, item.entry.link, item.entry.published))


def _new_headline(row: dict[str, Any]) -> Headline:
    outlets = sorted(row["outlets"], key=lambda o: o.published)  # stable: batch order on ties
    return Headline(
        story=row["id"], title=row["title"], link=row["link"], source=row["source"],
        feed=row["feed"], published=from_us(row["published"]),
        first_seen=from_us(row["first_seen"]), summary=row["summary"],
        matched=tuple(row["matched"]), symbols=tuple(row["symbols"]),
        outlets=_one_per_source(outlets), new=True,
    )  # fmt: skip


def _one_per_source(outlets: Iterable[Outlet]) -> tuple[Outlet, ...]:
    """An outlet is a source: keep its earliest entry (outlets come ordered by time)."""
    first: dict[str, Outlet] = {}
    for outlet in outlets:
        first.setdefault(outlet.source, outlet)
    return tuple(first.values())
