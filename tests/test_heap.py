"""The cyclic GC paused over a poll's parse and match (and its write, in the store):
off inside, on again after, also when the block raises, and left to an outer pause."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from monitor.engine import news_poller
from monitor.engine.build import FeedView
from monitor.heap import cyclic_gc_paused
from monitor.model import Status
from monitor.news.fetch import FetchResult
from monitor.news.ingest import Ingest

T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)
RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire</title>"
    b"<item><title>DeepSeek rattles Nvidia</title><link>https://w.example/1</link></item>"
    b"</channel></rss>"
)


@pytest.fixture(autouse=True)
def gc_on() -> Iterator[None]:
    gc.enable()
    yield
    gc.enable()


def test_off_inside_on_after_even_when_the_block_raises() -> None:
    with cyclic_gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), cyclic_gc_paused():
        raise ValueError("a bad feed")
    assert gc.isenabled()


def test_a_pause_inside_another_leaves_the_collector_to_the_outer_one() -> None:
    with cyclic_gc_paused():
        with cyclic_gc_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    with cyclic_gc_paused():
        pass
    assert not gc.isenabled()  # it was off before: it stays off


def test_the_polls_parse_and_match_run_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    parse = news_poller.parse_feed

    def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return parse(*args, **kwargs)

    monkeypatch.setattr(news_poller, "parse_feed", watched)
    ingest = Ingest.build("DeepSeek", {}, {}, [])
    feeds = [FeedView(f"f{i}", f"https://w.example/{i}", None, True, None) for i in range(3)]
    answers = [(f, FetchResult(f.name, f.url, Status.OK, body=RSS)) for f in feeds]
    parsed = news_poller._parse_all(ingest, answers, T0)
    assert seen == [False, False, False]
    assert [[m.entry.title for m in matched] for _, matched in parsed] == [
        ["DeepSeek rattles Nvidia"]
    ] * 3
    assert gc.isenabled()
