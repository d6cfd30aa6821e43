"""The SQLite store (one WAL-mode file) and the thread the engine runs it on.

Inside, top to bottom (checked by import-linter): ``worker`` (the store thread) ->
``api`` (``Store``: one transaction per call) -> ``stories`` (dedup, new entries) ->
``headlines``, ``quotes``, ``alerts`` (queries per concept) and ``known`` (the
entries a batch may repeat) -> ``search`` (the
full-text index, kept off the write path) and ``db`` (connection, lock, transactions,
errors) -> ``schema`` (migrations) -> ``rows`` (row conversions).
"""

from monitor.store.api import Store
from monitor.store.db import (
    StoreBusy,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreVersionError,
)
from monitor.store.schema import SCHEMA_VERSION
from monitor.store.stories import TITLE_WINDOW, Added
from monitor.store.worker import StoreWorker

__all__ = [
    "SCHEMA_VERSION",
    "TITLE_WINDOW",
    "Added",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreFull",
    "StoreLocked",
    "StoreVersionError",
    "StoreWorker",
]
