"""The demo you can watch: its schedule at the default speed computed from the
recording (no waiting), the clock during waits, `--speed` and the speed ladder."""

from __future__ import annotations

import argparse
import asyncio
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from monitor.cli.main import _parser, replay_speed
from monitor.config import load_config_file
from monitor.engine import Engine, EngineSettings
from monitor.engine.replay import SPEEDS, schedule, step_speed
from monitor.quotes.recorded import RecordedQuotes

DEMO = Path(__file__).resolve().parents[1] / "monitor" / "demo"
NY = ZoneInfo("America/New_York")


def _demo() -> tuple[EngineSettings, list[datetime]]:
    settings = EngineSettings.from_config(
        load_config_file(DEMO / "watchlist.toml", "bundled demo").config
    )
    source = RecordedQuotes(DEMO / "quotes.csv", start=settings.replay.start)
    return settings, source.batch_times()


def _day(t: datetime) -> date:
    return t.astimezone(NY).date()


def test_the_demo_reaches_its_end_in_under_ten_minutes_at_the_default_speed() -> None:
    settings, times = _demo()
    delays = schedule(settings, times)
    assert sum(delays) < 600, f"{sum(delays):.0f}s to 'Recording ended'"
    # the 01-27 session, open to close, in about two minutes
    monday = [d for d, t in zip(delays, times[1:], strict=True) if _day(t) == date(2025, 1, 27)]
    assert 100 <= sum(monday) <= 140, sum(monday)
    # the rest of the fortnight (after the 01-28 close) in a few more minutes
    rest = [d for d, t in zip(delays, times[1:], strict=True) if _day(t) > date(2025, 1, 28)]
    assert 30 <= sum(rest) <= 240, sum(rest)
    # no stall: a day recorded only at its open and close waits seconds, not minutes
    assert max(delays) <= 10, max(delays)


def test_the_schedule_follows_the_speed() -> None:
    settings, times = _demo()
    assert sum(schedule(settings, times, 400)) < sum(schedule(settings, times))
    without_cap = settings.replay.model_copy(update={"max_gap": None})
    settings.replay = without_cap
    assert max(schedule(settings, times)) > 100, "without max_gap a day stalls at its open"


def test_speed_ladder_steps_up_and_down_and_stops_at_its_ends() -> None:
    assert step_speed(200, 1) == 500 and step_speed(200, -1) == 100
    assert step_speed(150, 1) == 200 and step_speed(150, -1) == 100
    assert step_speed(SPEEDS[-1], 1) == SPEEDS[-1] and step_speed(SPEEDS[0], -1) == SPEEDS[0]


def test_speed_option_parses_positive_numbers_only(capsys) -> None:
    assert _parser().parse_args(["demo", "--speed", "50"]).speed == 50.0
    assert _parser().parse_args(["demo", "--speed", "12.5x"]).speed == 12.5
    assert _parser().parse_args(["demo"]).speed is None
    for bad in ("0", "-3", "fast", "nan", "inf"):
        with pytest.raises(argparse.ArgumentTypeError):
            replay_speed(bad)
    with pytest.raises(SystemExit) as exit_info:
        _parser().parse_args(["demo", "--speed", "fast"])
    assert exit_info.value.code == 2
    assert "'fast' is not a number" in capsys.readouterr().err


async def test_while_the_demo_waits_the_clock_shows_the_datas_time(tmp_path: Path) -> None:
    """Every wait happens with the clock at the last batch shown (fresh bars are never
    5m old, the 01-27 close shows on 01-27), the waits add up to the schedule, and a new
    speed applies in the middle of the replay."""
    loaded = load_config_file(DEMO / "watchlist.toml", "bundled demo")
    engine = Engine(
        loaded,
        recorded_feeds=[DEMO / "news.xml"],
        database=tmp_path / "demo.db",
        history_file=DEMO / "history.csv",
        notify=False,
    )
    _, times = _demo()
    expected = sum(schedule(engine.settings, times))
    waited: list[float] = []
    seen_close: list[datetime] = []

    async def counted_sleep(seconds: float) -> None:
        now = engine.clock.now()
        newest = max(q.as_of for q in engine.quotes().values() if q.as_of is not None)
        assert now == newest, f"clock {now} while the newest bar is {newest}"
        if now.astimezone(NY).time().hour == 16 and _day(now) == date(2025, 1, 27):
            seen_close.append(now)
        waited.append(seconds)
        await asyncio.sleep(0)

    engine.replay.sleep = counted_sleep
    await engine.open()
    try:
        await engine.replay.play(realtime=True)
    finally:
        await engine.stop()
    assert seen_close, "the 01-27 close is shown while the clock reads 01-27 16:00"
    assert sum(waited) == pytest.approx(expected, rel=1e-6)


async def test_a_new_speed_applies_in_the_middle_of_a_wait(tmp_path: Path) -> None:
    loaded = load_config_file(DEMO / "watchlist.toml", "bundled demo")
    engine = Engine(loaded, database=tmp_path / "demo.db", notify=False)
    _, times = _demo()
    at_default = schedule(engine.settings, times)
    waited: list[float] = []

    async def sleep(seconds: float) -> None:
        if not waited:  # the first step of the first wait: go 2.5 times faster
            engine.replay.set_speed(500)
        waited.append(seconds)
        await asyncio.sleep(0)

    engine.replay.sleep = sleep
    await engine.open()
    try:
        await engine.replay.play(realtime=True)
    finally:
        await engine.stop()
    at_500 = schedule(engine.settings, times, 500)
    first_step = waited[0]
    # the first wait: one step at 200, the rest of it at 500
    assert sum(waited) == pytest.approx(
        first_step + (1 - first_step / at_default[0]) * at_500[0] + sum(at_500[1:]), rel=1e-6
    )
