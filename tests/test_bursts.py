"""Bursts and related stories (monitor.rules.bursts), on headlines of 2025-01-27: the
DeepSeek stories burst; "Nvidia shares plunge" (watched symbol) and chip-rout stories
(the burst's own words) are related while it is live, never before it nor after it,
and never topic matches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.model import Headline
from monitor.rules import RuleSpec, parse_rule
from monitor.rules.bursts import episode_start, event_vocabulary, live_bursts, mark_related

T = datetime(2025, 1, 27, 14, 0, tzinfo=UTC)
BURST = RuleSpec("DeepSeek news burst", parse_rule('news "DeepSeek" count >= 3 within 30m'))
PLAIN = RuleSpec("DeepSeek news", parse_rule('news "DeepSeek"'))


def at(minutes: float) -> datetime:
    return T + timedelta(minutes=minutes)


def h(title: str, minutes: float, *, matched: bool = False, symbols: tuple[str, ...] = ()):
    return Headline(
        story=f"s{abs(hash(title)) % 10**8}",
        title=title,
        link=None,
        source="Wire",
        feed="f",
        published=at(minutes),
        first_seen=at(minutes),
        matched=("DeepSeek",) if matched else (),
        symbols=symbols,
    )


# the burst's stories (real headlines of the labeled set, tests/data/recall)
MATCHES = [
    h("Nvidia Reels After DeepSeek’s A.I. Breakthrough", 0, matched=True, symbols=("NVDA",)),
    h("DeepSeek sparks AI chip stocks selloff", 5, matched=True),
    h("Chip stocks sink as DeepSeek rattles AI trade", 8, matched=True),
    h("DeepSeek: AI chip stocks rout deepens", 12, matched=True),
]
NVIDIA = h("Nvidia shares plunge 17%, erasing $589 billion in market value", 10, symbols=("NVDA",))
ROUT = h("Broadcom and TSMC shares slide in AI chip rout", 11)
UNRELATED = h("Trump wants countries to send warships to the Gulf", 9)
OTHERS = [
    NVIDIA,
    ROUT,
    UNRELATED,
    h("Oil prices rise as stocks wait for the Fed", -300),
    h("Stocks mixed ahead of earnings", -200),
    h("Apple unveils new iPad", -100),
    h("Bank of Japan raises rates", -50),
    *(h(f"Quarterly results of company {i} beat estimates", -400 + i) for i in range(20)),
]


def test_a_burst_rule_holding_now_is_live_with_its_stories() -> None:
    (burst,) = live_bursts([BURST, PLAIN], MATCHES, OTHERS, at(13))
    assert burst.rule == "DeepSeek news burst"
    assert set(burst.stories) == {m.story for m in MATCHES}
    # the count reached 3 at +8 min; related stories may come from one window before
    assert burst.since == at(8) - timedelta(minutes=30)


def test_no_burst_below_the_count_nor_after_the_window() -> None:
    assert live_bursts([BURST], MATCHES[:2], OTHERS, at(6)) == []
    assert live_bursts([BURST], MATCHES, OTHERS, at(60)) == []
    assert live_bursts([PLAIN], MATCHES, OTHERS, at(13)) == [], "count 1 is no burst"


def test_related_stories_are_marked_while_the_burst_is_live() -> None:
    bursts = live_bursts([BURST], MATCHES, OTHERS, at(13))

    marked = {m.title: m for m in mark_related([NVIDIA, ROUT, UNRELATED, *MATCHES], bursts)}

    assert marked[NVIDIA.title].related == "DeepSeek news burst"
    assert marked[NVIDIA.title].related_by == ("NVDA",)
    assert marked[ROUT.title].related == "DeepSeek news burst"
    assert marked[ROUT.title].related_by == ("ai", "chip")
    assert marked[UNRELATED.title].related is None
    assert all(marked[m.title].related is None for m in MATCHES), "a match is no relation"
    assert not marked[NVIDIA.title].matched, "related is never a topic match"


def test_nothing_is_related_after_the_burst_or_before_its_window() -> None:
    old = h("Nvidia unveils new GPUs at CES", -120, symbols=("NVDA",))
    bursts = live_bursts([BURST], MATCHES, OTHERS, at(13))
    assert mark_related([old], bursts)[0].related is None
    later = live_bursts([BURST], MATCHES, OTHERS, at(60))
    assert mark_related([NVIDIA], later)[0].related is None


def test_the_vocabulary_is_the_bursts_own_words() -> None:
    stories = [m.title for m in MATCHES]
    background = [f"Stocks mixed in session {i} ahead of earnings" for i in range(30)]
    vocabulary = event_vocabulary(stories, background, ["DeepSeek"])
    assert {"chip", "ai"} <= vocabulary
    assert "stocks" not in vocabulary, "as frequent in the other news"
    assert "deepseek" not in vocabulary, "the topic's own words relate nothing more"
    assert not vocabulary & {"the", "as", "after"}, "common words are no vocabulary"
    assert event_vocabulary(stories, background[:10], []) == frozenset(), "too little news"


def test_the_episode_starts_where_the_count_last_reached_it() -> None:
    w = timedelta(minutes=30)
    assert episode_start([at(0), at(5), at(8), at(12)], 3, w) == at(8)
    # one poll brings three stories at once
    assert episode_start([at(0), at(0), at(0), at(20)], 3, w) == at(0)
    # the count fell below 3 between +40 and +45: the episode began again at +45
    times = [at(0), at(5), at(8), at(40), at(45), at(50)]
    assert episode_start(times, 3, w) == at(50)
    assert episode_start([at(0), at(5), at(8), at(20), at(30)], 3, w) == at(8)
