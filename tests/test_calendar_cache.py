"""Exchange calendars kept on disk: a later run reads a year back without importing
``holidays`` (~0.15 s); a damaged or outdated file is only a missed shortcut."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from monitor import calendar_cache, markets, sessions

SHIPPED = calendar_cache.SHIPPED  # the package's own file (the fixture below hides it)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "cache" / calendar_cache.FILE
    monkeypatch.setattr(calendar_cache, "_path", lambda: path)
    # these tests are about the cache: no shipped years behind it
    monkeypatch.setattr(calendar_cache, "SHIPPED", tmp_path / "none.json")
    calendar_cache.forget()
    markets._calendar_year.cache_clear()
    yield path
    calendar_cache.forget()
    markets._calendar_year.cache_clear()


def test_a_year_made_once_is_read_back_without_holidays(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = markets._calendar_year("XNYS", 2025)
    assert made[0][date(2025, 7, 4)] and date(2025, 7, 3) in made[1]
    assert cache.exists()
    calendar_cache.forget()  # as a new process would
    markets._calendar_year.cache_clear()
    monkeypatch.setitem(sys.modules, "holidays", None)  # importing it would now fail
    assert markets._calendar_year("XNYS", 2025) == made
    assert sessions.closed_for("NVDA", date(2025, 7, 4)) == made[0][date(2025, 7, 4)]


def test_a_file_of_another_holidays_version_or_damaged_is_ignored_and_rewritten(
    cache: Path,
) -> None:
    made = markets._calendar_year("XNYS", 2025)
    data = json.loads(cache.read_text(encoding="utf-8"))
    data["holidays"] = "0.0-other"
    cache.write_text(json.dumps(data), encoding="utf-8")
    calendar_cache.forget()
    assert calendar_cache.load("XNYS", 2025) is None
    for damaged in ("{not json", '{"holidays": "%s", "years": {"XNYS:2025": 3}}'):
        cache.write_text(damaged % calendar_cache._version() if "%s" in damaged else damaged)
        calendar_cache.forget()
        assert calendar_cache.load("XNYS", 2025) is None
    markets._calendar_year.cache_clear()
    assert markets._calendar_year("XNYS", 2025) == made
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


# ---- the years shipped with the package ------------------------------------------------


def test_the_shipped_years_are_what_the_installed_holidays_makes() -> None:
    """Every shipped year equals ``holidays``' own answer: the file is made by the
    version CI installs (regenerate it with ``python -m monitor.cli.calendars`` when a
    new ``holidays`` comes out; until then the file is ignored, as the next test shows)."""
    data = json.loads(calendar_cache.SHIPPED.read_text(encoding="utf-8"))
    assert data["holidays"] == calendar_cache._version()
    calendar_cache.forget()
    for code in sessions.CALENDARS:
        for year in calendar_cache.SHIPPED_YEARS:
            assert calendar_cache.shipped(code, year) == calendar_cache.make(code, year), (
                code,
                year,
            )
    assert calendar_cache.shipped("XNYS", 2025)[0][date(2025, 1, 9)]  # Carter's day of mourning
    assert calendar_cache.shipped("XNYS", max(calendar_cache.SHIPPED_YEARS) + 1) is None


def test_a_first_run_reads_shipped_years_without_holidays_or_a_cache(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar_cache, "SHIPPED", SHIPPED)  # and an empty cache directory
    calendar_cache.forget()
    markets._calendar_year.cache_clear()
    monkeypatch.setitem(sys.modules, "holidays", None)  # importing it would fail
    nyse = markets._calendar_year("XNYS", 2025)
    assert nyse[0][date(2025, 7, 4)] and date(2025, 11, 28) in nyse[1]
    assert markets._calendar_year("XSHG", 2025)[0][date(2025, 1, 28)]  # Spring Festival
    assert not cache.exists()  # nothing to keep: the package has it


def test_shipped_years_of_another_holidays_version_are_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "shipped.json"
    data = json.loads(calendar_cache.SHIPPED.read_text(encoding="utf-8"))
    data["holidays"] = "0.0-other"
    other.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(calendar_cache, "SHIPPED", other)
    calendar_cache.forget()
    assert calendar_cache.shipped("XNYS", 2025) is None
    calendar_cache.forget()
