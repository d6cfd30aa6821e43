"""Shared fixtures.  Loopback servers live in their own modules (no pytest there) so
benchmarks can reuse them."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# The package is not installed in the test venv: make `monitor` and `tests.*` importable.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from tests.fake_yahoo import FakeYahoo  # noqa: E402
from tests.feedserver import FeedServer  # noqa: E402


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started loopback feed server (127.0.0.1, port 0), stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def fake() -> Iterator[FakeYahoo]:
    """A started fake Yahoo Finance server on 127.0.0.1 (see tests/fake_yahoo.py)."""
    with FakeYahoo() as server:
        yield server


from tests.notify_fixtures import webhook_server  # noqa: E402, F401


@pytest.fixture(autouse=True)
def _no_real_streamer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reaches Yahoo's streamer: an engine that would stream on its own (live
    quotes from the config) gets a closed local port instead."""
    from monitor.quotes import stream

    monkeypatch.setattr(stream, "STREAM_URL", "ws://127.0.0.1:9/?version=2")


@pytest.fixture(autouse=True, scope="session")
def _calendars_kept_for_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Exchange calendars the tests make are kept in this run's directory, never in
    the user's cache (``monitor.calendar_cache``)."""
    from monitor import calendar_cache

    kept = tmp_path_factory.mktemp("cache") / calendar_cache.FILE
    patch = pytest.MonkeyPatch()
    patch.setattr(calendar_cache, "_path", lambda: kept)
    calendar_cache.forget()
    yield
    patch.undo()
    calendar_cache.forget()
