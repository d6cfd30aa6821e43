"""Rows 9-12 and 16-18: feed servers that hang, flood, attack, break, lie about dates,
repeat themselves, or answer with HTTP status codes, through the real engine."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import timedelta

import pytest

from monitor.clock import ManualClock
from monitor.model import Status
from monitor.news.fetch import GONE_ERROR
from monitor.news.parse import ENTITY_WARNING
from tests.faults.kit import (
    US_OPEN,
    config_text,
    items,
    open_engine,
    rfc822,
    rss,
    rss_item,
    source,
)
from tests.feedserver import Reply


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(US_OPEN)


def feeds_config(server, *names: str, paths: dict[str, str] | None = None) -> str:
    paths = paths or {}
    return config_text(feeds=[(n, server.url(paths.get(n, f"/{n}"))) for n in names])


async def stored_titles(engine) -> list[str]:
    return [h.title for h in await engine.recent_headlines(limit=10_000, matched_only=False)]


# ---- row 9 ---------------------------------------------------------------------------


async def test_row09_hung_and_trickling_feeds_time_out_others_unaffected(
    feed_server, clock, tmp_path
) -> None:
    good = rss(items("good", 3, when=clock.now()))
    feed_server.serve("/good", good)
    feed_server.hang("/hang")
    feed_server.trickle("/trickle", rss(items("slow", 3, when=clock.now())), bytes_per_second=1)
    engine, _ = await open_engine(
        tmp_path, feeds_config(feed_server, "good", "hang", "trickle"), clock=clock, deadline=1.0
    )
    try:
        headlines = await engine.poll_news(force=True)
        assert {h.feed for h in headlines} == {"good"} and len(headlines) == 3
        for name in ("hang", "trickle"):
            status = source(engine, name)
            assert status.status is Status.TIMEOUT, status
            assert status.next_try is not None and status.next_try > clock.now()
        assert source(engine, "good").status is Status.OK

        # the servers recover: the next due poll works for every feed
        feed_server.serve("/hang", rss(items("hung", 2, when=clock.now())))
        feed_server.serve("/trickle", rss(items("slow", 2, when=clock.now())))
        clock.advance(3600)
        await engine.poll_news()
        assert all(source(engine, n).status is Status.OK for n in ("hang", "trickle"))
        titles = await stored_titles(engine)
        assert sum(t.startswith("hung") for t in titles) == 2
        assert sum(t.startswith("slow") for t in titles) == 2
    finally:
        await engine.stop()


# ---- row 10 --------------------------------------------------------------------------


async def test_row10_huge_feed_and_gzip_bomb_stop_at_the_cap_memory_bounded(
    feed_server, clock, tmp_path
) -> None:
    cap = 1_000_000
    feed_server.serve("/huge", b"<rss>" + b"x" * 50_000_000)
    feed_server.gzip_bomb("/bomb", decoded_size=200_000_000)
    feed_server.serve("/good", rss(items("good", 2, when=clock.now())))
    engine, _ = await open_engine(
        tmp_path, feeds_config(feed_server, "huge", "bomb", "good"), clock=clock, max_bytes=cap
    )
    try:
        gc.collect()
        tracemalloc.start()
        try:
            await engine.poll_news(force=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        for name in ("huge", "bomb"):
            status = source(engine, name)
            assert status.status is Status.ERROR and "larger than 1 MB" in status.error
        assert source(engine, "good").status is Status.OK
        assert peak < 12 * cap, f"peak {peak / 1e6:.1f} MB while reading capped feeds"
    finally:
        await engine.stop()


# ---- row 11 --------------------------------------------------------------------------

LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
BILLION_LAUGHS = f'<!DOCTYPE rss [<!ENTITY lol0 "lol">{LAUGHS}]>'
QUADRATIC = '<!DOCTYPE rss [<!ENTITY a "' + "A" * 100_000 + '">]>'
XXE = '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize(
    "prolog, title",
    [
        (BILLION_LAUGHS, "Laughs &lol9; end"),
        (QUADRATIC, "Blowup " + "&a;" * 10_000),
        (XXE, "Secret &xxe; end"),
    ],
    ids=["billion-laughs", "quadratic", "external-entity"],
)
async def test_row11_entities_are_never_expanded(
    feed_server, clock, tmp_path, prolog, title
) -> None:
    body = rss(
        [
            rss_item(title, link="https://example.com/a", guid="a", raw=True),
            rss_item("Plain chips headline", link="https://example.com/b", guid="b"),
        ],
        prolog=prolog,
    )
    feed_server.serve("/evil", body)
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "evil"), clock=clock)
    try:
        gc.collect()
        tracemalloc.start()
        try:
            await engine.poll_news(force=True)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        status = source(engine, "evil")
        assert status.detail == ENTITY_WARNING  # a warning only
        assert status.status is Status.OK
        titles = await stored_titles(engine)
        text = "\n".join(titles)
        assert "root:" not in text and "/bin/" not in text
        assert "lollol" not in text and "AAAA" not in text
        assert len(text) < 2 * len(title) + 100  # nothing grew
        assert "Plain chips headline" in titles
        assert peak < 50_000_000
    finally:
        await engine.stop()


# ---- row 12 --------------------------------------------------------------------------


async def test_row12_bozo_feed_with_entries_keeps_them_with_a_warning(
    feed_server, clock, tmp_path
) -> None:
    broken = rss(
        [
            rss_item("First chips story", link="https://example.com/1", guid="1"),
            rss_item("Second &nbsp; chips story", link="https://example.com/2", guid="2", raw=True),
        ]
    ).replace(b"</channel></rss>", b"<item><title>cut")
    feed_server.serve("/bozo", broken)
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "bozo"), clock=clock)
    try:
        headlines = await engine.poll_news(force=True)
        titles = {h.title for h in headlines}
        assert {"First chips story", "Second \xa0 chips story"} <= titles or {
            "First chips story",
            "Second chips story",
        } <= titles, titles
        status = source(engine, "bozo")
        assert status.status is Status.OK and "malformed" in (status.detail or "")
    finally:
        await engine.stop()


async def test_row12_empty_broken_poll_keeps_previous_headlines(
    feed_server, clock, tmp_path
) -> None:
    feed_server.serve("/wire", rss(items("wire", 3, when=clock.now())))
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "wire"), clock=clock)
    try:
        first = await engine.poll_news(force=True)
        assert len(first) == 3
        feed_server.serve("/wire", b"<html><body>502 Bad Gateway <rss><channel><item>")
        clock.advance(600)
        assert await engine.poll_news(force=True) == []
        status = source(engine, "wire")
        assert status.detail  # the warning is shown
        current = await engine.current_headlines(matched_only=False)
        assert sorted(h.title for h in current) == sorted(h.title for h in first)
        assert len(await stored_titles(engine)) == 3
    finally:
        await engine.stop()


# ---- row 16 --------------------------------------------------------------------------


async def test_row16_missing_bad_and_future_dates_ordered_by_first_seen(
    feed_server, clock, tmp_path
) -> None:
    t0 = clock.now()
    feed_server.serve(
        "/dates",
        rss(
            [
                rss_item(
                    "Dated chips story",
                    link="https://example.com/d",
                    guid="d",
                    date=rfc822(t0 - timedelta(hours=1)),
                ),
            ]
        ),
    )
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "dates"), clock=clock)
    try:
        await engine.poll_news(force=True)
        clock.advance(600)
        t1 = clock.now()
        feed_server.serve(
            "/dates",
            rss(
                [
                    rss_item("Undated chips story", link="https://example.com/u", guid="u"),
                    rss_item(
                        "Garbage date chips story",
                        link="https://example.com/g",
                        guid="g",
                        date="the day after tomorrow",
                    ),
                    rss_item(
                        "Future chips story",
                        link="https://example.com/f",
                        guid="f",
                        date="Mon, 01 Jan 2999 00:00:00 +0000",
                    ),
                    rss_item(
                        "Dated chips story",
                        link="https://example.com/d",
                        guid="d",
                        date=rfc822(t0 - timedelta(hours=1)),
                    ),
                ]
            ),
        )
        await engine.poll_news(force=True)
        got = await engine.recent_headlines(limit=10, matched_only=False)
        assert [h.title for h in got][-1] == "Dated chips story"
        later = {h.title: h for h in got[:-1]}
        assert set(later) == {
            "Undated chips story",
            "Garbage date chips story",
            "Future chips story",
        }
        for h in later.values():
            assert h.published == t1 and h.first_seen == t1  # clamped to first sight
    finally:
        await engine.stop()


# ---- row 17 --------------------------------------------------------------------------


async def test_row17_guids_missing_duplicated_changed_and_cross_feed(
    feed_server, clock, tmp_path
) -> None:
    now = rfc822(clock.now())
    feed_server.serve(
        "/a",
        rss(
            [
                rss_item("No guid chips story", link="https://example.com/noguid", date=now),
                rss_item(
                    "Repeated chips story", link="https://example.com/rep", guid="rep", date=now
                ),
                rss_item(
                    "Repeated chips story", link="https://example.com/rep", guid="rep", date=now
                ),
                # a broken feed giving two distinct stories the same guid
                rss_item(
                    "Shared guid chips one", link="https://example.com/s1", guid="same", date=now
                ),
                rss_item(
                    "Shared guid chips two", link="https://example.com/s2", guid="same", date=now
                ),
                rss_item(
                    "Cross-posted chips story", link="https://example.com/x", guid="x-a", date=now
                ),
            ],
            title="Outlet A",
        ),
    )
    feed_server.serve(
        "/b",
        rss(
            [
                rss_item(
                    "Cross-posted chips story",
                    link="https://www.example.com/x?utm_source=b",
                    guid="x-b",
                    date=now,
                ),
            ],
            title="Outlet B",
        ),
    )
    engine, events = await open_engine(tmp_path, feeds_config(feed_server, "a", "b"), clock=clock)
    try:
        await engine.poll_news(force=True)
        titles = await stored_titles(engine)
        assert sorted(titles) == sorted(
            [
                "No guid chips story",
                "Repeated chips story",
                "Shared guid chips one",
                "Shared guid chips two",
                "Cross-posted chips story",
            ]
        )
        cross = next(
            h
            for h in await engine.recent_headlines(matched_only=False)
            if h.title == "Cross-posted chips story"
        )
        assert {o.source for o in cross.outlets} == {"Outlet A", "Outlet B"}
        new_announced = [h.title for h in events.headlines if h.new]
        assert sorted(new_announced) == sorted(titles)  # each story announced once

        # re-poll: the guid changes for the same link; the guid-less item returns
        events.clear()
        feed_server.serve(
            "/a",
            rss(
                [
                    rss_item("No guid chips story", link="https://example.com/noguid", date=now),
                    rss_item(
                        "Repeated chips story",
                        link="https://example.com/rep",
                        guid="rep-v2",
                        date=now,
                    ),
                    rss_item(
                        "Shared guid chips one",
                        link="https://example.com/s1",
                        guid="same",
                        date=now,
                    ),
                    rss_item(
                        "Shared guid chips two",
                        link="https://example.com/s2",
                        guid="same",
                        date=now,
                    ),
                ],
                title="Outlet A",
            ),
        )
        clock.advance(300)
        await engine.poll_news(force=True)
        assert events.headlines == []
        assert len(await stored_titles(engine)) == 5
    finally:
        await engine.stop()


# ---- row 18 --------------------------------------------------------------------------


async def test_row18_not_modified_writes_nothing(feed_server, clock, tmp_path) -> None:
    feed_server.serve("/wire", rss(items("wire", 3, when=clock.now())), etag='"v1"')
    engine, events = await open_engine(tmp_path, feeds_config(feed_server, "wire"), clock=clock)
    try:
        await engine.poll_news(force=True)
        count = await engine.store.read(lambda s: s.headline_count())
        events.clear()
        clock.advance(600)
        assert await engine.poll_news(force=True) == []
        assert feed_server.requests[-1].header("If-None-Match") == '"v1"'
        assert source(engine, "wire").status is Status.NOT_MODIFIED
        assert await engine.store.read(lambda s: s.headline_count()) == count
        assert events.headlines == []
        entries = await engine.store.read(
            lambda s: s._read(lambda: s._conn.execute("SELECT COUNT(*) FROM entries").fetchone())
        )
        assert entries[0] == 3
    finally:
        await engine.stop()


async def test_row18_rate_limited_waits_at_least_retry_after(feed_server, clock, tmp_path) -> None:
    feed_server.fail("/busy", 429, retry_after="900")
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "busy"), clock=clock)
    try:
        await engine.poll_news(force=True)
        status = source(engine, "busy")
        assert status.status is Status.RATE_LIMITED
        assert status.next_try >= clock.now() + timedelta(seconds=900)
        for _ in range(4):  # scheduled polls inside the wait do not touch the server
            clock.advance(200)
            await engine.poll_news()
        assert feed_server.hits("/busy") == 1
        feed_server.serve("/busy", rss(items("busy", 1, when=clock.now())))
        clock.advance(200)
        await engine.poll_news()
        assert feed_server.hits("/busy") == 2 and source(engine, "busy").status is Status.OK
    finally:
        await engine.stop()


async def test_row18_moved_permanently_uses_and_reports_the_new_url(
    feed_server, clock, tmp_path
) -> None:
    feed_server.redirect("/old", "/new")
    feed_server.serve("/new", rss(items("moved", 2, when=clock.now())))
    engine, _ = await open_engine(
        tmp_path, feeds_config(feed_server, "wire", paths={"wire": "/old"}), clock=clock
    )
    try:
        assert len(await engine.poll_news(force=True)) == 2
        status = source(engine, "wire")
        assert status.status is Status.OK and feed_server.url("/new") in (status.detail or "")
        clock.advance(600)
        await engine.poll_news(force=True)
        assert feed_server.hits("/old") == 1 and feed_server.hits("/new") == 2
    finally:
        await engine.stop()


async def test_row18_gone_feed_is_disabled_with_a_message(feed_server, clock, tmp_path) -> None:
    feed_server.sequence("/gone", [Reply(status=410, body=b"gone", content_type="text/plain")])
    engine, _ = await open_engine(tmp_path, feeds_config(feed_server, "gone"), clock=clock)
    try:
        await engine.poll_news(force=True)
        status = source(engine, "gone")
        assert status.status is Status.GONE and status.error == GONE_ERROR
        for _ in range(3):
            clock.advance(3600)
            await engine.poll_news()
        assert feed_server.hits("/gone") == 1
    finally:
        await engine.stop()
