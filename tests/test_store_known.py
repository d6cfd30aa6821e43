"""The store's short way for an entry nothing shares a key with (``KnownEntries.unknown``)
gives the long way's answers: not seen, no reused guid, no story to join."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store.known import KnownEntries

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


def entry(rng: random.Random) -> Matched:
    e = Entry(
        feed=rng.choice(["a", "b"]),
        source=rng.choice(["A", "B"]),
        title=rng.choice(["DeepSeek rattles Nvidia", "Fed holds", "Chips rally", "", "x"]),
        link=rng.choice([None, "https://a.example/1", "https://a.example/2", "mailto:x"]),
        guid=rng.choice([None, "1", "2", "3"]),
        summary="",
        published=T0,
    )
    return Matched(e, (), (), entry_keys(e))


def test_unknown_entries_are_not_seen_and_join_no_story() -> None:
    rng = random.Random(14)
    unknown = 0
    for _ in range(3000):
        known = KnownEntries()
        for k in range(rng.randint(0, 4)):
            other = entry(rng)
            e, keys = other.entry, other.keys
            known.add(e.feed, e.guid, keys.link_key, keys.title_key, e.source, f"s{k}")
        item = entry(rng)
        if known.unknown(item):
            unknown += 1
            assert not known.seen(item)
            assert not known.reused_guid(item)
            assert known.story_of(item) is None
    assert 300 < unknown < 2700  # both ways were taken
