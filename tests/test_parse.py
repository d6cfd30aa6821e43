"""Feed bytes -> sanitized entries, on both parser paths, for every fixture."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest

from monitor.entries import Entry
from monitor.news import parse
from monitor.news.parse import ENTITY_WARNING, MAX_ENTRIES, ParsedFeed, parse_feed

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2025, 2, 1, 12, 0, tzinfo=UTC)
BASE = "https://base.example.com/feeds/main.xml"

WELL_FORMED = [
    "rss2_basic.xml",
    "atom_basic.xml",
    "rdf_rss10.xml",
    "google_news.xml",
    "nasty_markup.xml",
    "dates_guids.xml",
    "chinese_utf8.xml",
    "chinese_gb2312.xml",
    "rss2_100_items.xml",
]
FORBIDDEN = [
    "\x1b",
    "\x07",
    "\x9b",
    "\x9d",
    "\x9c",
    "\u202e",
    "\u202c",
    "\u2066",
    "\u200b",
    "\ufeff",
]


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def parsed(name: str, **kw: object) -> ParsedFeed:
    args: dict[str, object] = {"feed_name": name, "now": NOW, "base_url": BASE}
    args.update(kw)
    return parse_feed(load(name), **args)  # type: ignore[arg-type]


@pytest.fixture
def slow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the feedparser path."""
    monkeypatch.setattr(parse, "_parse_fast", lambda data, make: None)


@pytest.fixture
def fast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if feedparser is used."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("feedparser used on the fast path")

    monkeypatch.setattr(feedparser, "parse", refuse)


def all_text(feed: ParsedFeed) -> str:
    parts = [feed.title, feed.warning or ""]
    for e in feed.entries:
        parts += [e.feed, e.source, e.title, e.link or "", e.guid or "", e.summary]
    return "\n".join(parts)


def assert_entry_invariants(feed: ParsedFeed) -> None:
    for e in feed.entries:
        assert isinstance(e, Entry)
        assert e.published.tzinfo is not None and e.published.utcoffset() == timedelta(0)
        assert e.published <= NOW + parse.FUTURE_TOLERANCE
        assert e.title
        assert e.link is None or e.link.startswith(("https://", "http://"))
    text = all_text(feed)
    for ch in FORBIDDEN:
        assert ch not in text


# ---- both paths give the same result -------------------------------------------------


@pytest.mark.parametrize("name", WELL_FORMED)
def test_fast_path_reads_well_formed_feeds(name: str, fast_only: None) -> None:
    feed = parsed(name)
    assert not feed.bozo and feed.warning is None
    assert feed.entries
    assert_entry_invariants(feed)


# feedparser reads C1 characters as cp1252 (U+009B becomes "›"), so nasty_markup.xml is
# safe on both paths but not identical.
@pytest.mark.parametrize("name", [n for n in WELL_FORMED if n != "nasty_markup.xml"])
def test_both_parsers_agree(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parsed(name)
    monkeypatch.setattr(parse, "_parse_fast", lambda data, make: None)
    slow = parsed(name)
    assert slow.title == fast.title
    assert not slow.bozo
    assert [dataclasses.asdict(e) for e in slow.entries] == [
        dataclasses.asdict(e) for e in fast.entries
    ]


# ---- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["fast", "slow"])
def test_rss2(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "slow":
        monkeypatch.setattr(parse, "_parse_fast", lambda data, make: None)
    feed = parsed("rss2_basic.xml", feed_name="wire")
    assert feed.title == "Example Markets Wire"
    first, second, third, fourth, fifth = feed.entries
    assert first == Entry(
        feed="wire",
        source="Example Markets Wire",
        title="Nvidia shares plunge 17% as DeepSeek rattles AI trade",
        link="https://news.example.com/markets/nvidia-deepseek?utm_source=rss&utm_medium=feed",
        guid="ex-0001",
        summary="Chip stocks fell sharply on Monday.\n\nSecond paragraph & more.",
        published=datetime(2025, 1, 27, 15, 4, 5, tzinfo=UTC),
        date_known=True,
        domain="news.example.com",
    )
    assert second.published == datetime(2025, 1, 27, 1, 30, tzinfo=UTC)  # +0800 -> UTC
    assert third.link == "https://base.example.com/markets/asml-results"  # relative, resolved
    assert third.summary == "Orders rose.\nShares gained in Amsterdam."
    assert fourth.guid is None  # the guid was the link itself
    assert fourth.summary == "No change, as expected."
    assert fifth.summary == ""


def test_relative_link_without_base_url_is_dropped_but_entry_kept() -> None:
    feed = parse_feed(load("rss2_basic.xml"), feed_name="wire", now=NOW)
    asml = feed.entries[2]
    assert asml.title == "ASML results beat estimates" and asml.link is None


def test_atom() -> None:
    feed = parsed("atom_basic.xml")
    first, updated_only, syndicated = feed.entries
    assert first.title == "DeepSeek V3 paper explained"
    assert first.published == datetime(2025, 1, 28, 9, 0, tzinfo=UTC)  # published, not updated
    assert first.summary == "Mixture of experts.\n\nCheap training."
    assert updated_only.published == datetime(2025, 1, 27, 8, 0, tzinfo=UTC)
    assert updated_only.summary == "XHTML content body."
    assert syndicated.source == "Original Outlet"
    assert first.source == "Example Tech Atom"


def test_rdf() -> None:
    feed = parsed("rdf_rss10.xml")
    assert [e.title for e in feed.entries] == [
        "SoftBank shares slide on DeepSeek fears",
        "Advantest drops 8%",
    ]
    assert feed.entries[0].published == datetime(2025, 1, 28, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("path", ["fast", "slow"])
def test_google_news_sources(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if path == "slow":
        monkeypatch.setattr(parse, "_parse_fast", lambda data, make: None)
    feed = parsed("google_news.xml")
    assert [e.source for e in feed.entries] == [
        "Reuters",
        "CNBC",
        "The Associated Press",
        "新浪财经",
        "Bloomberg.com",
    ]
    # titles are kept as published; the dedup key strips the outlet
    assert (
        feed.entries[0].title == "Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters"
    )
    assert feed.entries[0].guid == "CBMiAAA1"
    # the link is Google's redirect: the domain is the outlet's, from <source url>
    assert [e.domain for e in feed.entries] == [
        "reuters.com",
        "cnbc.com",
        "apnews.com",
        "finance.sina.com.cn",
        "bloomberg.com",
    ]


@pytest.mark.parametrize("path", ["fast", "slow"])
def test_real_google_news_items_name_the_outlets_domain(
    path: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if path == "slow":
        monkeypatch.setattr(parse, "_parse_fast", lambda data, make: None)
    feed = parsed("google_news_reuters_real.xml")  # a real capture, see data/feeds/README
    assert len(feed.entries) == 3 and feed.warning is None
    first = feed.entries[0]
    assert first.title == (
        "Canada's labor market dips sharply in February, unemployment rate up - Reuters"
    )
    assert first.link is not None and first.link.startswith("https://news.google.com/rss/articles/")
    assert [(e.source, e.domain) for e in feed.entries] == [("Reuters", "reuters.com")] * 3


def test_a_domain_without_a_source_element_comes_from_the_link_unless_it_is_a_redirect() -> None:
    from monitor.news.outlets import outlet_domain

    assert outlet_domain("https://www.cnbc.com/2025/01/27/nvidia.html", None) == "cnbc.com"
    assert outlet_domain("https://news.google.com/rss/articles/CBMi?oc=5", None) is None
    assert outlet_domain("https://news.google.com/rss/articles/x", "http://WWW.FT.com/") == "ft.com"
    assert outlet_domain(None, "javascript:alert(1)") is None
    assert (
        outlet_domain("https://x.example/a", "https://bücher.example/") == "xn--bcher-kva.example"
    )


def test_each_entrys_domain_is_its_own_links_though_worked_out_once_per_host() -> None:
    """Entries of one feed from several hosts (an aggregator's, "www.", a port, a query
    before any "/", a link with no path) each get ``outlet_domain`` of their own link."""
    from monitor.news.outlets import outlet_domain

    links = ["https://www.cnbc.com/a", "https://cnbc.com/b", "https://news.google.com/rss/x",
             "https://www.cnbc.com/c", "http://cnbc.com:8080/d", "https://ft.com?x=/y",
             "https://ft.com/e", "https://WWW.FT.com/f", "https://news.google.com/rss/y",
             "https://reuters.com", "https://sub.reuters.com/g"]  # fmt: skip
    items = "".join(
        f"<item><title>Story {i}</title><link>{link}</link></item>" for i, link in enumerate(links)
    )
    body = f"<rss version='2.0'><channel><title>T</title>{items}</channel></rss>".encode()
    entries = parse_feed(body, feed_name="f", now=NOW).entries
    assert [e.link for e in entries] == [parse._link(link, None) for link in links]
    assert [e.domain for e in entries] == [outlet_domain(e.link, None) for e in entries]
    assert [e.domain for e in entries][:4] == ["cnbc.com", "cnbc.com", None, "cnbc.com"]


def test_chinese_feeds() -> None:
    utf8 = parsed("chinese_utf8.xml")
    assert [e.title for e in utf8.entries][:2] == [
        "DeepSeek称遭大规模网攻",
        "多家券商宣布接入DeepSeek",
    ]
    assert utf8.entries[1].summary == "梁文锋创立的深度求索再获关注。"
    gb = parsed("chinese_gb2312.xml")
    assert gb.title == "财经频道"
    assert gb.entries[0].title == "深度求索发布新模型"


def test_utf16_feed_goes_through_feedparser() -> None:
    text = load("chinese_utf8.xml").decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    feed = parse_feed(text.encode("utf-16"), feed_name="u16", now=NOW)
    assert [e.title for e in feed.entries][0] == "DeepSeek称遭大规模网攻"


# ---- hostile and broken input ----------------------------------------------------------


def test_nasty_markup_is_plain_text() -> None:
    feed = parsed("nasty_markup.xml")
    assert feed.title == "Nasty Markup Feed"
    by_guid = {e.guid: e for e in feed.entries}
    assert by_guid["nasty-1"].title == "Bold AT&T earnings"  # &amp;amp; in XML
    assert by_guid["nasty-1"].summary == "Visible text"
    markup = by_guid["nasty-2"]
    assert markup.title == "[bold]Fake[/] [link=https://x]click[/link] [@click=app.quit]quit[/]"
    assert markup.link is None  # javascript:
    assert by_guid["nasty-3"].title == "Spoof gnp.exe and isolate and C1 csi and osc"
    assert by_guid["nasty-3"].summary == "zerowidth and softhyphen and bom"
    assert by_guid["nasty-4"].link is None  # data:
    assert by_guid["nasty-5"].link == "https://xn--80ak6aa92e.com/login"
    assert by_guid["nasty-6"].link == "https://xn--80ak6aa92e.com/news"  # IDN -> punycode
    assert by_guid["nasty-7"].link is None  # userinfo
    assert_entry_invariants(feed)


def test_raw_control_characters_force_fallback_and_are_removed() -> None:
    feed = parsed("control_chars.xml")
    assert feed.bozo and feed.warning and feed.warning.startswith("malformed feed:")
    assert feed.title == "Control Chars Feed"
    assert [e.title for e in feed.entries] == [
        "Clear screen and red text",
        "Clipboard hijack",
        "Hyperlink innocent text",
    ]
    assert feed.entries[0].summary == "bell here"
    assert "evil.example" not in all_text(feed)
    assert_entry_invariants(feed)


def test_broken_feed_with_entries_uses_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes, make: object) -> None:
        raise AssertionError("fast path used on a malformed feed")

    monkeypatch.setattr(parse, "_parse_fast", refuse)
    feed = parsed("broken_with_entries.xml")
    assert feed.bozo
    assert feed.warning is not None and "nbsp" in feed.warning
    assert "\n" not in feed.warning
    assert [e.title for e in feed.entries] == [
        "Alibaba releases Qwen model rivals DeepSeek",
        "Second entry & friends",
    ]
    assert feed.entries[0].link == "https://broken.example.com/a?x=1&y=2"


@pytest.mark.parametrize("name", ["broken_no_entries.xml", "not_a_feed.html"])
def test_broken_feed_without_entries(name: str) -> None:
    feed = parsed(name, feed_name="My Feed")
    assert feed.entries == []
    assert feed.bozo and feed.warning
    assert feed.title == "My Feed"


def test_not_a_feed_says_so() -> None:
    assert parsed("not_a_feed.html").warning == "not an RSS or Atom feed"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \n",
        b"\x00\xff\xfe garbage \x1b[2J",
        b"<rss",
        b'{"version": "nonsense"}',
        bytes(range(256)),
        b"<?xml version='1.0' encoding='no-such-codec'?><rss><channel><item>"
        b"<title>x</title></item></channel></rss>",
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    feed = parse_feed(data, feed_name="junk", now=NOW)
    assert feed.warning is not None or feed.entries
    for ch in FORBIDDEN:
        assert ch not in all_text(feed)


def test_truncated_feeds_never_raise() -> None:
    data = load("google_news.xml")
    for cut in range(0, len(data), 97):
        feed = parse_feed(data[:cut], feed_name="cut", now=NOW)
        assert_entry_invariants(feed)


def test_xxe_is_not_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(data: bytes, make: object) -> None:
        raise AssertionError("fast path used on a feed declaring entities")

    monkeypatch.setattr(parse, "_parse_fast", refuse)
    feed = parsed("xxe.xml")
    assert feed.bozo and feed.warning == ENTITY_WARNING
    text = all_text(feed)
    assert "root:" not in text and "/bin/" not in text
    assert feed.entries[0].title == "Leak &xxe; here"


def test_billion_laughs_stays_bounded() -> None:
    feed = parsed("billion_laughs.xml")
    assert feed.warning == ENTITY_WARNING
    assert len(all_text(feed)) < 2000
    assert "lollol" not in all_text(feed)


def test_entity_declaration_anywhere_before_root_is_seen() -> None:
    data = load("xxe.xml").replace(b"<!DOCTYPE", b"<!-- <a> --><!DOCTYPE", 1)
    feed = parse_feed(data, feed_name="x", now=NOW)
    assert feed.warning == ENTITY_WARNING
    assert "root:" not in all_text(feed)


# ---- dates, guids, limits ----------------------------------------------------------------


def test_dates_and_guids() -> None:
    feed = parsed("dates_guids.xml")
    by_title = {e.title: e for e in feed.entries}
    assert by_title["No date at all"].published == NOW
    assert not by_title["No date at all"].date_known
    assert by_title["Garbled date"].published == NOW
    assert not by_title["Garbled date"].date_known
    assert by_title["Far future date"].published == NOW  # clamped
    assert not by_title["Far future date"].date_known
    assert by_title["Offset date"].published == datetime(2025, 1, 28, 0, 0, tzinfo=UTC)
    assert by_title["Offset date"].date_known
    assert by_title["Missing guid"].guid is None
    assert by_title["Duplicate guid first"].guid == by_title["Duplicate guid second"].guid == "dup"
    # a link but no title: the link stands in; neither: dropped
    link_only = "https://dates.example.com/link-only"
    assert by_title[link_only].link == link_only
    assert len(feed.entries) == 8


def test_date_within_tolerance_is_kept() -> None:
    soon = NOW + timedelta(minutes=4)
    stamp = soon.strftime("%a, %d %b %Y %H:%M:%S GMT")
    item = f"<item><title>t</title><pubDate>{stamp}</pubDate></item>"
    data = f"<rss version='2.0'><channel><title>c</title>{item}</channel></rss>".encode()
    entry = parse_feed(data, feed_name="x", now=NOW).entries[0]
    assert entry.published == soon and entry.date_known


def test_feed_title_falls_back_to_feed_name() -> None:
    data = b"<rss version='2.0'><channel><item><title>t</title></item></channel></rss>"
    feed = parse_feed(data, feed_name="Configured Name", now=NOW)
    assert feed.title == "Configured Name"
    assert feed.entries[0].source == "Configured Name"
    assert feed.entries[0].feed == "Configured Name"


def test_entries_are_capped() -> None:
    items = "".join(
        f"<item><title>n{i}</title><guid>g{i}</guid></item>" for i in range(MAX_ENTRIES + 100)
    )
    data = f"<rss version='2.0'><channel><title>big</title>{items}</channel></rss>".encode()
    feed = parse_feed(data, feed_name="big", now=NOW)
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.entries[0].title == "n0"


def test_fast_path_timing_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    data = load("rss2_100_items.xml")
    runs = 20
    start = time.perf_counter()
    for _ in range(runs):
        feed = parse_feed(data, feed_name="bulk", now=NOW)
    per_feed_ms = (time.perf_counter() - start) / runs * 1000
    assert len(feed.entries) == 100
    with capsys.disabled():
        print(f"\nparse_feed, 100-entry RSS, fast path: {per_feed_ms:.2f} ms per feed")


def test_html5_source_tag_in_content_is_not_the_outlet() -> None:
    item = (
        "<item><title>Video story</title><link>https://v.example/1</link>"
        '<description><![CDATA[<video><source src="a.mp4" type="video/mp4"></video>]]>'
        "</description>"
        '<source url="https://wire.example">The Wire</source></item>'
        "<item><title>Plain</title><link>https://v.example/2</link>"
        '<description><![CDATA[<video><source src="b.mp4"></video>]]></description></item>'
    )
    data = f"<rss version='2.0'><channel><title>Videos</title>{item}</channel></rss>".encode()
    feed = parse_feed(data, feed_name="v", now=NOW)
    assert [e.source for e in feed.entries] == ["The Wire", "Videos"]


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">',
        '<!DOCTYPE rss SYSTEM "file:///etc/passwd">',
    ],
)
def test_external_doctype_without_subset_is_never_loaded(doctype: str) -> None:
    data = (
        f"<?xml version='1.0'?>{doctype}<rss version='0.91'><channel><title>Old</title>"
        "<item><title>Old style</title><link>https://old.example/1</link></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(data, feed_name="old", now=NOW)
    assert [e.title for e in feed.entries] == ["Old style"]
    assert "root:" not in all_text(feed)


# ---- declared UTF-8 stays UTF-8 -----------------------------------------------------------


def _feed(title: bytes, declaration: bytes = b'<?xml version="1.0" encoding="utf-8"?>') -> bytes:
    return (
        declaration
        + b'<rss version="2.0"><channel><title>W</title><item><title>'
        + title
        + b"</title><link>https://e.com/1</link></item><item><title>\xe6\xb7\xb1\xe5\xba\xa6"
        b"</title><link>https://e.com/2</link></item></channel></rss>"
    )


def test_a_bad_byte_in_declared_utf8_is_replaced_where_it_stands() -> None:
    parsed = parse_feed(_feed(b"caf\xe9 news"), feed_name="f", now=NOW)
    assert [e.title for e in parsed.entries] == ["caf\ufffd news", "深度"]
    assert parsed.warning == "1 invalid UTF-8 byte sequence replaced (in 1 entry)"


def test_the_http_charset_decides_over_the_document() -> None:
    data = _feed(b"caf\xe9 news")
    latin = parse_feed(data, feed_name="f", now=NOW, content_type="text/xml; charset=ISO-8859-1")
    assert latin.entries[0].title == "café news"  # declared Latin-1 by the server: as told
    assert latin.warning is None or "UTF-8" not in latin.warning


def test_an_undeclared_feed_is_left_to_detection() -> None:
    data = _feed(b"caf\xe9 news", declaration=b'<?xml version="1.0"?>')
    parsed = parse_feed(data, feed_name="f", now=NOW)
    assert "invalid UTF-8" not in (parsed.warning or "")
