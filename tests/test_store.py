"""The SQLite store, on real database files in tmp_path (and real child processes for
the single-instance lock and kill -9 durability)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from monitor.entries import Entry, Matched
from monitor.model import Alert, FeedCounts, Headline, MarketState, Quote, QuoteBatch, Status
from monitor.news.dedup import entry_keys
from monitor.store import (
    SCHEMA_VERSION,
    Added,
    Store,
    StoreBusy,
    StoreError,
    StoreFull,
    StoreLocked,
    StoreVersionError,
)

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


def entry(
    title: str,
    *,
    feed: str = "reuters",
    source: str = "Reuters",
    link: str | None = None,
    guid: str | None = None,
    summary: str = "",
    published: datetime = T0,
) -> Entry:
    return Entry(feed=feed, source=source, title=title, link=link, guid=guid,
                 summary=summary, published=published)  # fmt: skip


def matched(e: Entry, *terms: str, symbols: tuple[str, ...] = ()) -> Matched:
    return Matched(e, terms or ("deepseek",), symbols, entry_keys(e))


def unmatched(e: Entry) -> Matched:
    return Matched(e, (), (), entry_keys(e))


def add(store: Store, items: list[Matched], *, now: datetime) -> list[Headline]:
    """The stories a batch created or gave another outlet."""
    return store.add_entries(items, now=now).headlines


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "sub" / "monitor.db"


@pytest.fixture
def store(db: Path):
    with Store(db) as s:
        yield s


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


# ---- opening, schema ---------------------------------------------------------------------


def test_wal_mode_schema_version_and_parent_dir(store: Store, db: Path) -> None:
    assert db.parent.is_dir()
    raw = sqlite3.connect(db)
    try:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    finally:
        raw.close()
    assert store.schema_version == SCHEMA_VERSION >= 1
    assert store.integrity_check() == "ok"


def test_database_from_newer_monitor_is_refused(db: Path) -> None:
    Store(db).close()
    raw = sqlite3.connect(db)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(StoreVersionError, match="newer monitor"):
        Store(db)
    with pytest.raises(StoreVersionError, match="newer monitor"):
        Store(db, readonly=True)


def test_file_that_is_not_a_database_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a monitor database"):
        Store(path)


def test_naive_datetime_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        add(store, [matched(entry("x", guid="1"))], now=datetime(2025, 1, 1))  # noqa: DTZ001


# ---- headlines and dedup -----------------------------------------------------------------


def test_add_and_read_headlines(store: Store) -> None:
    older = entry("Nvidia falls on DeepSeek", guid="a", link="https://r.com/a",
                  summary="chips slide", published=T0 - timedelta(hours=1))  # fmt: skip
    newer = entry("DeepSeek R1 tops app store", guid="b", link="https://r.com/b")
    other = entry("Bank of England holds rates", guid="c", link="https://r.com/c")
    got = add(store, [matched(older, symbols=("NVDA",)), matched(newer), unmatched(other)], now=T0)
    assert [h.title for h in got] == [older.title, newer.title, other.title]
    assert all(h.new for h in got)
    first = got[0]
    assert (first.link, first.source, first.feed, first.summary) == (
        "https://r.com/a", "Reuters", "reuters", "chips slide")  # fmt: skip
    assert first.matched == ("deepseek",) and first.symbols == ("NVDA",)
    assert first.published == T0 - timedelta(hours=1) and first.first_seen == T0
    assert [o.source for o in first.outlets] == ["Reuters"]

    recent = store.recent_headlines()
    assert [h.title for h in recent] == [newer.title, older.title]  # newest first, matched only
    assert not any(h.new for h in recent)
    assert len(store.recent_headlines(matched_only=False)) == 3
    assert [h.title for h in store.recent_headlines(since=T0 - timedelta(minutes=5))] == [
        newer.title
    ]
    assert store.headline_count() == 3
    assert store.headline_count(matched_only=True) == 2
    assert [h.title for h in store.headlines_for_symbol("NVDA")] == [older.title]
    assert store.headlines_for_symbol("AMD") == []


def test_same_feed_and_guid_twice_is_stored_once(store: Store) -> None:
    e = entry("DeepSeek unveils model", guid="g1", link="https://r.com/1")
    assert [h.new for h in add(store, [matched(e)], now=T0)] == [True]
    assert add(store, [matched(e)], now=T0 + timedelta(minutes=5)) == []
    # The same guid in one batch twice as well.
    twice = entry("Another story", guid="g2", link="https://r.com/2")
    assert len(add(store, [matched(twice), matched(twice)], now=T0)) == 1
    assert store.headline_count() == 2


def test_entry_without_guid_is_recognized_by_its_link(store: Store) -> None:
    e = entry("DeepSeek unveils model", link="https://r.com/story?id=7")
    assert len(add(store, [matched(e)], now=T0)) == 1
    retitled = entry("DeepSeek unveils new model (updated)", link="https://r.com/story?id=7")
    assert add(store, [matched(retitled)], now=T0 + timedelta(minutes=1)) == []
    assert store.headline_count() == 1


def test_changed_guid_with_same_link_is_not_new(store: Store) -> None:
    add(store, [matched(entry("DeepSeek unveils", guid="v1", link="https://r.com/x"))],
                      now=T0)  # fmt: skip
    again = entry("DeepSeek unveils", guid="v2-regenerated", link="https://r.com/x")
    assert add(store, [matched(again)], now=T0 + timedelta(minutes=1)) == []
    assert store.headline_count() == 1


def test_same_title_again_in_same_feed_is_not_new(store: Store) -> None:
    add(store, [matched(entry("DeepSeek unveils model", guid="1", link="https://r.com/1"))],
                      now=T0)  # fmt: skip
    repost = entry("DeepSeek unveils model", guid="2", link="https://r.com/2")
    assert add(store, [matched(repost)], now=T0) == []


def test_recurring_title_days_later_is_a_new_story(store: Store) -> None:
    title = "Stock market today: Dow, S&P 500 slip"
    [monday] = add(store, [matched(entry(title, guid="1", link="https://y.com/1"))],
                                 now=T0)  # fmt: skip
    later = T0 + timedelta(days=4)
    thursday = entry(title, guid="2", link="https://y.com/2", published=later)
    [got] = add(store, [matched(thursday)], now=later)
    assert got.new and got.story != monday.story
    assert store.headline_count() == 2


def test_same_story_in_two_feeds_becomes_one_story_with_two_outlets(store: Store) -> None:
    reuters = entry("Nvidia shares tumble as DeepSeek rattles AI trade - Reuters",
                    guid="r1", link="https://reuters.com/a")  # fmt: skip
    cnbc = entry("Nvidia shares tumble as DeepSeek rattles AI trade | CNBC", feed="cnbc",
                 source="CNBC", guid="c1", link="https://cnbc.com/b",
                 published=T0 - timedelta(minutes=10))  # fmt: skip
    [first] = add(store, [matched(reuters, symbols=("NVDA",))], now=T0)
    assert first.new
    [second] = add(store, [matched(cnbc, "ai", symbols=("SOXX",))],
                                 now=T0 + timedelta(minutes=1))  # fmt: skip
    assert second.story == first.story and not second.new
    # Outlets ordered by published time: CNBC published earlier.
    assert [o.source for o in second.outlets] == ["CNBC", "Reuters"]
    assert [o.link for o in second.outlets] == ["https://cnbc.com/b", "https://reuters.com/a"]
    assert set(second.matched) == {"deepseek", "ai"} and set(second.symbols) == {"NVDA", "SOXX"}
    assert store.headline_count() == 1
    assert store.headlines_for_symbol("SOXX")[0].story == first.story
    # Seen again from either feed: nothing new.
    assert add(store, [matched(reuters), matched(cnbc)], now=T0 + timedelta(hours=1)) == []


def test_same_story_from_two_feeds_in_one_batch(store: Store) -> None:
    a = entry("Chip stocks slide after DeepSeek - Reuters", guid="1", link="https://r.com/1")
    b = entry("Chip stocks slide after DeepSeek | CNBC", feed="cnbc", source="CNBC",
              guid="1", link="https://cnbc.com/1")  # fmt: skip
    [headline] = add(store, [matched(a), matched(b)], now=T0)
    assert headline.new
    assert {o.source for o in headline.outlets} == {"Reuters", "CNBC"}


def test_same_link_from_another_feed_is_an_outlet_not_a_new_story(store: Store) -> None:
    a = entry("DeepSeek tops App Store", guid="x", link="https://example.com/story")
    b = entry("App Store: DeepSeek is number one", feed="aggregator", source="Hacker News",
              guid="y", link="https://example.com/story")  # fmt: skip
    [first] = add(store, [matched(a)], now=T0)
    [second] = add(store, [matched(b)], now=T0)
    assert second.story == first.story and not second.new
    assert len(second.outlets) == 2


def test_similar_but_different_stories_stay_apart(store: Store) -> None:
    a = entry("Nvidia shares fall 17% on DeepSeek fears", guid="1", link="https://r.com/1")
    b = entry("Nvidia shares rise 9% after DeepSeek selloff", guid="2", link="https://r.com/2")
    c = entry("Nvidia shares fall 17% on DeepSeek fears", feed="x", source="X", guid="9",
              link=None)  # fmt: skip
    got = add(store, [matched(a), matched(b)], now=T0)
    assert [h.new for h in got] == [True, True]
    assert got[0].story != got[1].story
    [extra] = add(store, [matched(c)], now=T0)  # same title elsewhere: an outlet
    assert extra.story == got[0].story and not extra.new
    assert store.headline_count() == 2


def test_untitled_entries_stay_apart_and_keyless_ones_are_dropped(store: Store) -> None:
    got = add(store, [matched(entry("", guid="a")), matched(entry("...", guid="b")),
                             matched(entry("", guid=None))], now=T0)  # fmt: skip
    assert [h.new for h in got] == [True, True]
    assert got[0].story != got[1].story
    assert add(store, [matched(entry("", guid="a"))], now=T0) == []


def test_story_id_collision_never_merges_distinct_stories(store: Store) -> None:
    def colliding(e: Entry) -> Matched:  # every entry hashes to the same story id
        keys = replace(entry_keys(e), story="0000000000000000")
        return Matched(e, ("deepseek",), (), keys)

    a = entry("Nvidia falls", guid="1", link="https://r.com/1")
    b = entry("Apple rises", guid="2", link="https://r.com/2")
    c = entry("Gold steady", guid="3", link="https://r.com/3")
    first = add(store, [colliding(a), colliding(b)], now=T0)
    [third] = add(store, [colliding(c)], now=T0)
    assert len({h.story for h in [*first, third]}) == 3
    assert all(h.new for h in [*first, third])
    assert store.headline_count() == 3


def test_reopen_keeps_everything_and_reports_nothing_new(db: Path) -> None:
    items = [matched(entry(f"DeepSeek story {i}", guid=str(i), link=f"https://r.com/{i}"))
             for i in range(5)]  # fmt: skip
    alert = Alert(rule="nvda_drop", time=T0, message="NVDA -5%", symbol="NVDA", value=-5.2)
    with Store(db) as s:
        assert len(add(s, items, now=T0)) == 5
        s.add_alerts_and_rule_state([alert], {"nvda_drop": {"fired": True}})
        s.put_feed_state("reuters", {"etag": "abc", "failures": 0})
        s.set_meta("last_news_poll", T0.isoformat())
        s.mark_read([s.recent_headlines()[0].story])
    with Store(db) as s:
        assert add(s, items, now=T0 + timedelta(hours=1)) == []
        assert s.headline_count() == 5
        assert [a.rule for a in s.recent_alerts()] == ["nvda_drop"]
        assert s.get_rule_state() == {"nvda_drop": {"fired": True}}
        assert s.get_feed_states() == {"reuters": {"etag": "abc", "failures": 0}}
        assert s.get_meta("last_news_poll") == T0.isoformat()
        assert len(s.unread_story_ids()) == 4


def test_a_repoll_reports_the_known_stories_and_they_read_back_newest_first(
    store: Store,
) -> None:
    old = entry("DeepSeek old story", guid="1", link="https://r.com/1",
                published=T0 - timedelta(hours=2))  # fmt: skip
    new = entry("DeepSeek new story - Reuters", guid="2", link="https://r.com/2")
    other_outlet = entry("DeepSeek new story | CNBC", feed="cnbc", source="CNBC", guid="9")
    stored = store.add_entries([matched(old), matched(new), matched(other_outlet)], now=T0)
    assert len(stored.headlines) == 2 and stored.known == []
    later = T0 + timedelta(minutes=5)
    fresh = entry("Not stored before", guid="3", link="https://r.com/3")
    again = store.add_entries([matched(old), matched(new), matched(other_outlet),
                               matched(fresh)], now=later)  # fmt: skip
    assert [h.title for h in again.headlines] == [fresh.title]
    assert again.known == [h.story for h in stored.headlines]
    assert again.story_ids == [again.headlines[0].story, *again.known]
    found = store.headlines_by_id(again.known + ["0000000000000000"])
    assert [h.title for h in found] == [new.title, old.title]
    assert not any(h.new for h in found)
    assert len(found[0].outlets) == 2
    assert store.headlines_by_id([]) == []
    assert store.add_entries([], now=later) == Added([], [])


def test_mark_read_and_unread_ids(store: Store) -> None:
    got = add(store,
        [matched(entry(f"DeepSeek {i}", guid=str(i), published=T0 + timedelta(minutes=i)))
         for i in range(3)], now=T0 + timedelta(hours=1))  # fmt: skip
    assert store.unread_story_ids() == [h.story for h in reversed(got)]
    store.mark_read([got[2].story, got[0].story])
    assert store.unread_story_ids() == [got[1].story]


# ---- search ------------------------------------------------------------------------------


def test_search_english_chinese_and_hostile_queries(store: Store) -> None:
    nvidia, chinese, fed = (
        "DeepSeek rattles Nvidia",
        "深度求索发布新模型",
        "Fed holds rates (again)",
    )
    add(
        store,
        [
            matched(entry(nvidia, guid="1", summary="AI chip stocks slide")),
            matched(entry(chinese, guid="2", summary="人工智能芯片股下跌")),
            matched(entry(fed, guid="3", summary='He said "NOT yet" at 100%')),
        ],
        now=T0,
    )

    def titles(text: str) -> list[str]:
        return [h.title for h in store.search_headlines(text)]

    assert titles("deepseek") == [nvidia]
    assert titles("chip STOCK") == [nvidia]  # every word, any case, title or summary
    assert titles("vidi") == [nvidia]  # substring
    assert titles("求索发布") == [chinese]
    assert titles("芯片") == [chinese]  # two characters: below the trigram size
    assert titles('"NOT') == [fed]
    assert titles("(again)") == [fed]
    assert titles("0%") == [fed] and titles("_") == []  # LIKE wildcards are literal
    hostile = ['NOT "foo (bar', "AND", "OR OR", "*", '"', "NEAR(a b)", "a:b", "-x", "%_\\", "^"]
    for text in hostile:
        store.search_headlines(text)  # must not raise
    assert titles("   ") == []
    assert titles("nothing-like-this") == []


# ---- quotes ------------------------------------------------------------------------------


def quote(symbol: str, price: float | None, t: datetime, prev_close: float = 100.0,
          status: Status = Status.OK) -> Quote:  # fmt: skip
    return Quote(symbol=symbol, price=price, prev_close=prev_close, open=101.0, high=110.0,
                 low=95.0, volume=1e6, currency="USD", market_state=MarketState.REGULAR,
                 as_of=t, status=status)  # fmt: skip


def test_quotes_latest_intraday_and_prune(store: Store) -> None:
    # Yesterday's session (previous close 90), then today's (previous close 100).
    yesterday = [quote("NVDA", 90 + i, T0 - timedelta(days=1, minutes=-i), prev_close=90.0)
                 for i in range(3)]  # fmt: skip
    today = [quote("NVDA", 100 + i, T0 + timedelta(minutes=i)) for i in range(5)]
    for q in yesterday + today:
        store.add_quotes(QuoteBatch(time=q.as_of, quotes={"NVDA": q}))
    store.add_quotes(QuoteBatch(time=T0, quotes={
        "AMD": quote("AMD", 120.0, T0),
        "BAD": quote("BAD", None, T0),  # no price: not stored
        "GONE": quote("GONE", 5.0, T0, status=Status.UNKNOWN_SYMBOL),  # not usable
    }))  # fmt: skip

    latest = store.latest_quotes()
    assert set(latest) == {"NVDA", "AMD"}
    nvda = latest["NVDA"]
    assert nvda.price == 104 and nvda.as_of == T0 + timedelta(minutes=4)
    assert (nvda.prev_close, nvda.high, nvda.volume, nvda.currency) == (100.0, 110.0, 1e6, "USD")
    assert nvda.market_state is MarketState.REGULAR and nvda.status is Status.OK
    assert nvda.intraday == (100, 101, 102, 103, 104)  # today's session only
    assert store.intraday("NVDA", T0 + timedelta(minutes=3)) == [
        (T0 + timedelta(minutes=3), 103.0), (T0 + timedelta(minutes=4), 104.0)]  # fmt: skip

    # AMD's only snapshot is older than the cut but is its latest: it stays.
    removed = store.prune_quotes(T0 + timedelta(minutes=2))
    assert removed == 3 + 2
    assert [p for _, p in store.intraday("NVDA", T0 - timedelta(days=5))] == [102, 103, 104]
    assert store.latest_quotes()["AMD"].price == 120.0


def test_intraday_is_downsampled(store: Store) -> None:
    for i in range(1000):
        t = T0 + timedelta(seconds=20 * i)
        store.add_quotes(QuoteBatch(time=t, quotes={"BTC-USD": quote("BTC-USD", float(i), t)}))
    points = store.latest_quotes()["BTC-USD"].intraday
    assert len(points) == 400
    assert points[0] == 0.0 and points[-1] == 999.0 and list(points) == sorted(points)


# ---- alerts, rule state, meta --------------------------------------------------------------


def test_alerts_round_trip_and_ack(store: Store) -> None:
    first = Alert(
        rule="sox_drop",
        time=T0,
        message="^SOX -3%",
        severity="critical",
        symbol="^SOX",
        symbols=("^SOX", "NVDA"),
        value=-3.1,
        threshold=-3.0,
        level=1,
        context={"at": T0, "pct": -3.1},
        headlines=({"title": "Chips slide", "link": None},),
        notify=("desktop",),
    )
    second = Alert(rule="news", time=T0 + timedelta(minutes=1), message="DeepSeek news")
    stored = store.add_alerts([first, second])
    assert [a.id for a in stored] == [stored[0].id, stored[0].id + 1]
    recent = store.recent_alerts()
    assert [a.rule for a in recent] == ["news", "sox_drop"]
    got = recent[1]
    assert got == stored[0].__class__(**{**_fields(stored[0]), "context": {
        "at": T0.isoformat(), "pct": -3.1}})  # fmt: skip
    store.ack_alert(stored[0].id)
    assert [a.acknowledged for a in store.recent_alerts()] == [False, True]


def _fields(a: Alert) -> dict:
    return {name: getattr(a, name) for name in a.__slots__}


def test_alerts_and_rule_state_are_one_transaction(store: Store) -> None:
    alert = Alert(rule="r", time=T0, message="m")
    store.add_alerts_and_rule_state([alert], {"r": 1})
    with pytest.raises(TypeError):  # the state cannot be stored: the alert is not either
        store.add_alerts_and_rule_state([alert], {"r": object()})
    assert len(store.recent_alerts()) == 1
    assert store.get_rule_state() == {"r": 1}
    store.put_rule_state({"r": 2})
    assert store.get_rule_state() == {"r": 2}


def test_full_disk_raises_store_full_and_keeps_the_database(store: Store) -> None:
    store.set_meta("before", "1")
    # max_page_count makes SQLite report SQLITE_FULL, as a full disk does.
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    big = [matched(entry(f"DeepSeek {i}", guid=str(i), summary="x" * 3000)) for i in range(50)]
    with pytest.raises(StoreFull, match="disk full"):
        add(store, big, now=T0)
    assert store.headline_count() == 0  # nothing half-written
    assert store.get_meta("before") == "1"
    store._conn.execute("PRAGMA max_page_count = 1073741823")
    assert len(add(store, big, now=T0)) == 50
    assert store.integrity_check() == "ok"


def test_meta_and_feed_state(store: Store) -> None:
    assert store.get_meta("last_news_poll") is None
    store.set_meta("last_news_poll", "2025-01-27T14:30:00+00:00")
    store.set_meta("last_news_poll", "2025-01-27T14:35:00+00:00")
    assert store.get_meta("last_news_poll") == "2025-01-27T14:35:00+00:00"
    store.put_feed_state("a", {"etag": "1"})
    store.put_feed_state("a", {"etag": "2"})
    assert store.get_feed_states() == {"a": {"etag": "2"}}


# ---- single instance, concurrency, crashes -------------------------------------------------

LOCK_HOLDER = """
import sys
from monitor.store import Store
s = Store(sys.argv[1])
s.acquire_lock()
s.set_meta("holder", "child")
print("locked", flush=True)
sys.stdin.readline()
s.close()
"""


def test_second_monitor_is_refused_and_read_only_attach_works(db: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(db)], env=child_env(),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "locked"
        with Store(db) as second, pytest.raises(StoreLocked, match=f"pid {child.pid}\\b"):
            second.acquire_lock()
        with Store(db, readonly=True) as viewer:
            assert viewer.get_meta("holder") == "child"
            with pytest.raises(StoreError):
                viewer.set_meta("x", "y")
            with pytest.raises(ValueError):
                viewer.acquire_lock()
    finally:
        assert child.stdin is not None
        child.stdin.write("\n")
        child.stdin.close()
        child.wait(timeout=10)
    with Store(db) as s:
        s.acquire_lock()  # released when its owner closed
        with Store(db) as third, pytest.raises(StoreLocked, match=f"pid {os.getpid()}\\b"):
            third.acquire_lock()


def hold_write_lock(db: Path, seconds: float, held: threading.Event) -> threading.Thread:
    def run() -> None:
        raw = sqlite3.connect(db, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("INSERT INTO meta(key, value) VALUES ('blocker', 'was here')")
        held.set()
        threading.Event().wait(seconds)
        raw.execute("COMMIT")
        raw.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_write_waits_for_another_writer_and_succeeds(store: Store, db: Path) -> None:
    held = threading.Event()
    thread = hold_write_lock(db, 1.0, held)
    assert held.wait(10)
    store.set_meta("mine", "written")  # blocks until the other transaction commits
    thread.join()
    assert store.get_meta("mine") == "written"
    assert store.get_meta("blocker") == "was here"


def test_write_gives_up_with_store_busy(db: Path) -> None:
    Store(db).close()
    held = threading.Event()
    thread = hold_write_lock(db, 1.5, held)
    try:
        assert held.wait(10)
        with Store(db, busy_timeout_ms=50, busy_retries=1) as impatient:
            with pytest.raises(StoreBusy, match="busy"):
                impatient.set_meta("k", "v")
            thread.join()
            assert impatient.get_meta("k") is None  # nothing half-written
            impatient.set_meta("k", "v")
            assert impatient.get_meta("k") == "v"
    finally:
        thread.join()


WRITER = """
import sys
from datetime import UTC, datetime, timedelta
from monitor.model import Alert
from monitor.entries import Entry, Matched
from monitor.news.dedup import entry_keys
from monitor.store import Store
path, prefix = sys.argv[1], sys.argv[2]
t0 = datetime(2025, 1, 27, tzinfo=UTC)
with Store(path) as s:
    s.acquire_lock()
    for i in range(100000):
        e = Entry(feed="f", source="S", title=f"story {prefix} {i}", link=None,
                  guid=f"{prefix}-{i}", summary="x" * 200, published=t0)
        s.add_entries([Matched(e, ("deepseek",), (), entry_keys(e))],
                      now=t0 + timedelta(seconds=i))
        alert = Alert(rule=prefix, time=t0, message=str(i))
        s.add_alerts_and_rule_state([alert], {prefix: i})
        print(f"{prefix}-{i}", flush=True)
"""


def test_kill_9_mid_writes_loses_nothing_committed(db: Path) -> None:
    reported: list[str] = []
    for run in range(5):
        prefix = f"run{run}"
        child = subprocess.Popen([sys.executable, "-c", WRITER, str(db), prefix],
                                 env=child_env(), stdout=subprocess.PIPE, text=True)  # fmt: skip
        assert child.stdout is not None
        for _ in range(15 + 7 * run):  # kill at a different point each run
            line = child.stdout.readline()
            assert line, "writer exited early"
            reported.append(line.strip())
        os.kill(child.pid, signal.SIGKILL)
        reported.extend(line.strip() for line in child.stdout)  # printed before the kill
        child.wait(timeout=10)

        with Store(db) as s:
            assert s.integrity_check() == "ok"
            s.acquire_lock()  # the dead writer's lock went with it
            state = s.get_rule_state()
            alerts = [a for a in s.recent_alerts(limit=100000) if a.rule == prefix]
            # alert and rule state commit together: the state counts every stored alert
            assert len(alerts) == state[prefix] + 1
        raw = sqlite3.connect(db)
        stored = {r[0] for r in raw.execute("SELECT guid FROM entries")}
        raw.close()
        assert set(reported) <= stored


def test_store_made_on_one_thread_works_on_another(store: Store) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as writer:
        writer.submit(store.set_meta, "from", "writer thread").result()
    assert store.get_meta("from") == "writer thread"


# ---- the per-feed view -------------------------------------------------------------------


def test_a_feeds_stories_and_counts_include_the_stories_it_shares(store: Store) -> None:
    shared_r = entry("Nvidia shares tumble as DeepSeek rattles AI trade - Reuters",
                     guid="r1", link="https://reuters.com/a")  # fmt: skip
    shared_c = entry("Nvidia shares tumble as DeepSeek rattles AI trade | CNBC", feed="cnbc",
                     source="CNBC", guid="c1", link="https://cnbc.com/b")  # fmt: skip
    only_c = entry("Fed holds rates", feed="cnbc", source="CNBC", guid="c2",
                   link="https://cnbc.com/fed", published=T0 + timedelta(minutes=5))  # fmt: skip
    only_r = entry("DeepSeek app tops the App Store", guid="r2", link="https://reuters.com/app",
                   published=T0 - timedelta(hours=1))  # fmt: skip
    add(store, [matched(shared_r), matched(only_r)], now=T0)
    add(store, [matched(shared_c), unmatched(only_c)], now=T0 + timedelta(minutes=6))

    cnbc = store.headlines_for_feed("cnbc")
    assert [h.title for h in cnbc] == ["Fed holds rates", shared_r.title]  # newest first
    assert [h.title for h in store.headlines_for_feed("reuters")] == [shared_r.title, only_r.title]
    assert store.headlines_for_feed("nobody") == []

    counts = store.feed_counts()
    assert counts["cnbc"] == FeedCounts(stories=2, matched=1, unread=1)
    assert counts["reuters"] == FeedCounts(stories=2, matched=2, unread=2)
    store.mark_read([cnbc[1].story])  # the shared story, read once: read in both feeds
    counts = store.feed_counts()
    assert counts["cnbc"].unread == 0 and counts["reuters"].unread == 1
    assert set(counts) == {"cnbc", "reuters"}


def test_stored_topic_matches_stay_unread_until_read_across_reopening(db: Path) -> None:
    seen = entry("DeepSeek app tops the App Store", guid="r2", link="https://reuters.com/app")
    other = entry("Fed holds rates", guid="r3", link="https://reuters.com/fed")
    with Store(db) as store:
        add(store, [matched(seen), unmatched(other)], now=T0)
    with Store(db) as store:  # the next start
        by_title = {h.title: h for h in store.recent_headlines(matched_only=False)}
        assert by_title[seen.title].unread and not by_title[other.title].unread
        store.mark_read([by_title[seen.title].story])
    with Store(db) as store:
        assert [h.unread for h in store.recent_headlines()] == [False]


def test_a_poll_written_without_key_checks_keeps_every_reference_and_turns_them_on_again(
    store: Store,
) -> None:
    """A poll's write skips foreign-key checks (it inserts what it refers to first):
    every entry and symbol link still names a stored story, and the checks are on
    for the next write, so a row naming no story is refused."""
    t1 = T0 + timedelta(minutes=1)
    a = entry("DeepSeek rattles chip stocks", link="https://a.example/1", guid="1")
    b = entry("DeepSeek rattles chip stocks", feed="cnbc", source="CNBC", guid="x")
    store.record_poll([matched(a, symbols=("NVDA",))], states={}, bodies={}, now=T0)
    store.record_poll([matched(b, symbols=("NVDA", "AMD"))], states={}, bodies={}, now=t1)
    store.add_entries([matched(entry("Nvidia falls", guid="2"), symbols=("NVDA",))], now=t1)
    conn = store._conn
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO story_symbols(symbol, published, first_seen, story_id)"
            " VALUES ('NVDA', 0, 0, 'no such story')"
        )
    assert conn.execute("SELECT COUNT(*) FROM story_symbols").fetchone()[0] == 3


def test_stories_by_id_can_be_only_the_matches_and_the_named(store: Store) -> None:
    """What `monitor once` prints reads only the topic matches and the related stories
    it names, not every story the poll saw."""
    hit = entry("DeepSeek lifts Chinese AI stocks", guid="h", link="https://r.com/h")
    near = entry("Chip stocks slide", guid="n", link="https://r.com/n")
    far = entry("Weather tomorrow", guid="f", link="https://r.com/f")
    stored = store.add_entries([matched(hit), unmatched(near), unmatched(far)], now=T0)
    ids = stored.story_ids
    by_title = {h.title: h.story for h in stored.headlines}
    everything = store.headlines_by_id(ids)
    assert {h.title for h in everything} == {hit.title, near.title, far.title}
    only = store.headlines_by_id(ids, matched_or={by_title[near.title]})
    assert [h.title for h in only] == [h.title for h in everything if h.title != far.title]
    assert [h.title for h in store.headlines_by_id(ids, matched_or=set())] == [hit.title]
