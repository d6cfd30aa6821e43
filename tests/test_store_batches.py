"""A poll's write in batches: symbol links go many to an INSERT statement, and every
link of a large batch is stored, the last partial statement's too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from monitor.store import Store
from tests.test_store import T0, add, entry, matched

SYMBOLS = ("AMD", "MU", "NVDA")


def test_every_symbol_link_of_a_large_batch_is_stored(tmp_path: Path) -> None:
    # 3 * 50 + 2 * 50 + 1 * 50 + ... : 301 links, not a multiple of a statement's rows
    items = [
        matched(
            entry(
                f"Story number {i} of the batch",
                link=f"https://x.example/{i}",
                published=T0 - timedelta(minutes=i),
            ),
            symbols=SYMBOLS[: 1 + i % 3],
        )  # fmt: skip
        for i in range(150)
    ] + [
        matched(
            entry(
                "One more story",
                link="https://x.example/last",
                published=T0 + timedelta(seconds=30),
            ),
            symbols=SYMBOLS,
        )  # fmt: skip
    ]
    with Store(tmp_path / "m.db") as store:
        created = add(store, items, now=T0 + timedelta(minutes=1))
        assert len(created) == 151
        by_symbol = {s: store.headlines_for_symbol(s, limit=1000) for s in SYMBOLS}
    newest_first = sorted(created, key=lambda h: h.published, reverse=True)
    expected = {s: [h.story for h in newest_first if s in h.symbols] for s in SYMBOLS}
    assert {s: [h.story for h in found] for s, found in by_symbol.items()} == expected
    assert [len(v) for v in expected.values()] == [151, 101, 51]


def test_a_new_outlet_adds_only_the_links_its_story_lacks(tmp_path: Path) -> None:
    first = matched(entry("Chip stocks fall on export rules", link="https://a.example/1"),
                    symbols=("NVDA",))  # fmt: skip
    again = matched(
        entry("Chip stocks fall on export rules", feed="cnbc", source="CNBC",
              link="https://b.example/1"),
        symbols=("AMD", "NVDA"),
    )  # fmt: skip
    with Store(tmp_path / "m.db") as store:
        (story,) = add(store, [first], now=T0)
        (extended,) = add(store, [again], now=T0 + timedelta(minutes=2))
        assert extended.story == story.story and extended.symbols == ("NVDA", "AMD")
        assert [h.story for h in store.headlines_for_symbol("AMD")] == [story.story]
        assert [h.story for h in store.headlines_for_symbol("NVDA")] == [story.story]
