"""Exchange calendars kept on disk: a later run reads a year back without importing
``holidays`` (~0.15 s); a damaged or outdated file is only a missed shortcut."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from monitor import calendar_cache, sessions


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cache" / calendar_cache.FILE
    monkeypatch.setattr(calendar_cache, "_path", lambda: path)
    calendar_cache.forget()
    sessions._calendar_year.cache_clear()
    yield path
    calendar_cache.forget()
    sessions._calendar_year.cache_clear()


def test_a_year_made_once_is_read_back_without_holidays(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = sessions._calendar_year("XNYS", 2025)
    assert made[0][date(2025, 7, 4)] and date(2025, 7, 3) in made[1]
    assert cache.exists()
    calendar_cache.forget()  # as a new process would
    sessions._calendar_year.cache_clear()
    monkeypatch.setitem(sys.modules, "holidays", None)  # importing it would now fail
    assert sessions._calendar_year("XNYS", 2025) == made
    assert sessions.closed_for("NVDA", date(2025, 7, 4)) == made[0][date(2025, 7, 4)]


def test_a_file_of_another_holidays_version_or_damaged_is_ignored_and_rewritten(
    cache: Path,
) -> None:
    made = sessions._calendar_year("XNYS", 2025)
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["holidays"] = "0.0-other"
    cache.write_text(json.dumps(data), encoding="utf-8")
    calendar_cache.forget()
    assert calendar_cache.load("XNYS", 2025) is None
    for damaged in ("{not json", '{"holidays": "%s", "years": {"XNYS:2025": 3}}'):
        cache.write_text(damaged % calendar_cache._version() if "%s" in damaged else damaged)
        calendar_cache.forget()
        assert calendar_cache.load("XNYS", 2025) is None
    sessions._calendar_year.cache_clear()
    assert sessions._calendar_year("XNYS", 2025) == made
    calendar_cache.forget()
    assert calendar_cache.load("XNYS", 2025) == made


def test_an_unwritable_cache_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setattr(calendar_cache, "_path", lambda: blocker / "sub" / calendar_cache.FILE)
    calendar_cache.forget()
    calendar_cache.save("XNYS", 2030, ({date(2030, 1, 1): "New Year's Day"}, frozenset()))
    assert calendar_cache.load("XNYS", 2030) == ({date(2030, 1, 1): "New Year's Day"}, frozenset())
    calendar_cache.forget()
