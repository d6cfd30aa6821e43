"""The database file: one WAL-mode SQLite connection, its single-instance lock, its
transactions and how SQLite's errors reach the caller.

Threading: the class is synchronous.  It owns ONE connection, opened with
``check_same_thread=False`` and guarded by a lock, so it may be created on one thread
and used from another; the engine runs every call on its single store thread
(``monitor.store.worker``), which keeps SQLite off the event loop.

Single instance: ``acquire_lock()`` takes an OS lock (``flock``) on ``<db>.lock`` for
the life of the store, so a second ``monitor`` on the same database refuses to poll
with ``StoreLocked`` naming the first one's pid.  A read-only store
(``readonly=True``) takes no lock, for reading a database another monitor is writing
(no command offers such a view yet).

The file: ``file_change()`` says whether the path still names the file the connection
has open (by device and inode), so the engine notices the file being deleted or
replaced under it; ``copy_to()`` writes the database as the connection sees it to a
new file (SQLite's online backup), which recovers a deleted one.

Failures: every write is one transaction.  When another process holds the write lock,
SQLite waits ``busy_timeout_ms``, then the write is retried with backoff
``busy_retries`` times, then ``StoreBusy`` is raised and nothing was written (the
engine queues the write and retries later).  A full disk raises ``StoreFull``; I/O
errors, a damaged file or a file that is not a monitor database raise ``StoreError``.
WAL with ``synchronous=NORMAL`` never corrupts the file on a crash; a power cut may
lose the last transactions, never half of one.

Checkpoints (copying the WAL's pages into the file) are off the write path: a write
leaves its pages in the WAL, and ``checkpoint()`` copies them when the store thread is
idle (``monitor.store.worker``).  SQLite still checkpoints at a commit that leaves
more than ``WAL_AUTOCHECKPOINT`` pages in the WAL (a store never idle), and when the
last connection closes.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Self, TypeVar

from monitor.store.schema import SCHEMA_VERSION, SchemaTooNew, apply_migrations

T = TypeVar("T")

#: WAL pages (4 KiB) above which a commit checkpoints on its own: a first poll of
#: 100 feeds x 50 entries writes ~1,100, which SQLite's default (1,000) made the
#: poll's commit copy into the file, with an fsync, before the poll could go on.
WAL_AUTOCHECKPOINT = 10_000


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


def _file_identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class Database:
    """One connection to the monitor database, its lock and its transactions.

    See the module docstring for threading and failures.
    """

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
        self._busy_timeout_ms = busy_timeout_ms
        self._lock = threading.RLock()
        self._lock_fd: int | None = None
        self._conn = self._connect(busy_timeout_ms)
        self._identity = _file_identity(self.path)
        try:
            self._prepare(busy_timeout_ms)
        except BaseException:
            self._conn.close()
            raise
        # the WAL and shared-memory files this connection opened (see close_moved)
        self._journal = [] if readonly else [Path(f"{self.path}{x}") for x in ("-wal", "-shm")]
        self._journal_ids = [_file_identity(p) for p in self._journal]

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
                self._conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT:d}")
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
                "first, or give this one another database ([settings] database)"
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

    def checkpoint(self) -> bool:
        """Copy the WAL's committed pages into the database file, waiting for no one
        (a reader's snapshot keeps its pages in the WAL); True when all were copied."""
        if self.readonly:
            return True
        with self._lock:
            try:
                busy, wal, copied = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from exc
        return not busy and copied >= wal

    @contextmanager
    def waiting_for_none(self) -> Iterator[None]:
        """Calls made within fail at once with ``StoreBusy`` when another connection
        holds the write lock, instead of waiting for it and retrying: for a small write
        done on the event loop, which must never stall it (the store thread's way,
        which waits, is the fallback)."""
        with self._lock:
            retries, self._busy_retries = self._busy_retries, 0
            self._conn.execute("PRAGMA busy_timeout = 0")
            try:
                yield
            finally:
                self._busy_retries = retries
                self._conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms):d}")

    # ---- the file under the connection ----------------------------------------------

    def file_change(self) -> str | None:
        """None while the path names the file this connection has open; ``"deleted"``
        when nothing has that name any more, ``"replaced"`` when another file has it."""
        if self._identity is None:
            return None
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return "deleted"
        except OSError:
            return None  # cannot tell (a permission problem): not a reason to move
        return None if (st.st_dev, st.st_ino) == self._identity else "replaced"

    def close_moved(self) -> None:
        """Close after the file was deleted or replaced.  SQLite then leaves its WAL and
        shared-memory files under the path (it cannot checkpoint into a moved file);
        they are removed while they are still this connection's, so that the file that
        takes the path never reads another database's pages from them."""
        self.close()
        for path, identity in zip(self._journal, self._journal_ids, strict=True):
            if identity is not None and _file_identity(path) == identity:
                path.unlink(missing_ok=True)

    def copy_to(self, target: Path) -> None:
        """Write the database, as this connection sees it, to ``target`` (a new file)."""
        with self._lock:
            try:
                dest = sqlite3.connect(target)
                try:
                    self._conn.backup(dest)
                finally:
                    dest.close()
            except sqlite3.Error as exc:
                raise _translate(exc, target) from exc

    def __enter__(self) -> Self:
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

    def _write_unchecked(self, fn: Callable[[], T]) -> T:
        """``_write`` without foreign-key checks, for a write that inserts every row it
        refers to first (a poll's stories before their entries and symbol links): the
        checks were a twentieth of storing a new story.  They are on again after."""
        with self._lock:
            self._conn.execute("PRAGMA foreign_keys = OFF")  # outside a transaction
            try:
                return self._write(fn)
            finally:
                self._conn.execute("PRAGMA foreign_keys = ON")

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

    # ---- small metadata ---------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._read(lambda: self._conn.execute(
            "SELECT value FROM meta WHERE key = ?", (key,)).fetchone())  # fmt: skip
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self._write(lambda: self._conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key)"
            " DO UPDATE SET value = excluded.value", (key, value)))  # fmt: skip
