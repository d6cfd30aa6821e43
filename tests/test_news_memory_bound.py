"""What the engine keeps of the news is bounded: the topic matches of the last 24 hours
(what news rules count) and at most 2,000 other headlines of the last 24 hours (the
related stories' background).  A monitor running for days holds no more than that,
however many stories arrive; until the day is full, each new story adds to it (about
1 kB: ~700 stories over the memory benchmark's hour, ~0.6 MB, its "growth")."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.clock import ManualClock
from monitor.engine import Engine
from monitor.engine.news_poller import NEWS_MEMORY
from monitor.engine.related import OTHERS_MEMORY
from monitor.model import Headline
from tests.test_engine import T27, _loaded


def _hour(hour: int, per_hour: int, clock: ManualClock) -> list[Headline]:
    now = clock.now()
    return [
        Headline(
            f"h{hour}-{i}",
            f"story {hour} {i}",
            None,
            "X",
            "f",
            now,
            now,
            new=True,
            matched=("DeepSeek",) if i % 4 == 0 else (),
        )  # fmt: skip
        for i in range(per_hour)
    ]


async def test_the_news_kept_is_a_day_of_matches_and_at_most_2000_others(
    tmp_path: Path,
) -> None:
    clock = ManualClock(T27)
    engine = Engine(_loaded(tmp_path), clock=clock)
    await engine.open()
    try:
        most_others = 0
        for hour in range(40):  # 40 hours, 160 stories an hour: 40 matches, 120 others
            await engine.news.after_news(_hour(hour, 160, clock))
            most_others = max(most_others, len(engine.related.others))
            clock.advance(3600)
        last = clock.now() - timedelta(hours=1)  # when the last hour's stories came
        memory, others = engine.news.memory, list(engine.related.others.values())
    finally:
        await engine.stop()
    assert most_others == 2000  # the bound was reached and held
    assert len(memory) == 40 * 25 and len(others) == 2000  # 24 hours back, both ends in
    assert min(h.first_seen for h in memory) == last - NEWS_MEMORY
    assert min(h.first_seen for h in others) >= last - OTHERS_MEMORY
    assert {h.story for h in others} >= {f"h39-{i}" for i in range(160) if i % 4}
