"""Keys that recognize the same story across feeds and outlets."""

from __future__ import annotations

import random
import re
import unicodedata
from datetime import UTC, datetime

import pytest

from monitor.entries import Entry
from monitor.news.dedup import canonical_link, entry_keys, similar, story_id, title_key

T0 = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.Example.com/a/b/?utm_source=rss&utm_medium=feed", "https://example.com/a/b"),
        ("http://example.com/a/b", "https://example.com/a/b"),
        ("https://example.com/a/b#comments", "https://example.com/a/b"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        (
            "https://example.com/a?id=7&fbclid=x&gclid=y&mc_cid=1&mc_eid=2",
            "https://example.com/a?id=7",
        ),
        (
            "https://example.com/a?ocid=x&cmpid=y&ncid=z&.tsrc=rss&sr_share=t&taid=1",
            "https://example.com/a",
        ),
        (
            "https://example.com/a?guccounter=1&guce_referrer=x&guce_referrer_sig=y",
            "https://example.com/a",
        ),
        ("https://example.com/a?UTM_Campaign=x&q=", "https://example.com/a?q="),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com", "https://example.com"),
        (
            "https://news.google.com/rss/articles/CBMiAAA1?oc=5",
            "https://news.google.com/rss/articles/CBMiAAA1?oc=5",
        ),
        ("javascript:alert(1)", None),
        ("/relative", None),
        ("", None),
        (None, None),
        ("http://example.com:bad/", None),
    ],
)
def test_canonical_link(url: str | None, expected: str | None) -> None:
    assert canonical_link(url) == expected


def test_http_and_https_and_www_give_one_key() -> None:
    keys = {
        canonical_link(u)
        for u in (
            "http://www.example.com/story/1",
            "https://example.com/story/1/",
            "https://EXAMPLE.com/story/1?utm_source=x#top",
        )
    }
    assert len(keys) == 1


@pytest.mark.parametrize(
    ("a", "a_source", "b", "b_source"),
    [
        (
            "Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters",
            "Reuters",
            "Nvidia Shares Plunge 17% As DeepSeek Rattles AI Trade | CNBC",
            "CNBC",
        ),
        (
            "Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters",
            None,
            "Nvidia Shares Plunge 17% As DeepSeek Rattles AI Trade | CNBC",
            None,
        ),
        (
            "What is DeepSeek, the Chinese AI startup that shook markets? - The Associated Press",
            "The Associated Press",
            "What is DeepSeek — the Chinese AI startup that shook markets",
            None,
        ),
        ("DeepSeek’s app tops charts – BBC News", "BBC News", "DeepSeek's app tops charts", None),
        ("ＤｅｅｐＳｅｅｋ rattles markets", None, "deepseek rattles markets", None),
        (
            "DeepSeek称遭大规模网攻 暂时限制新用户注册 - 新浪财经",
            "新浪财经",
            "DeepSeek称遭大规模网攻，暂时限制新用户注册",
            None,
        ),
        (
            "Markets wrap: chip stocks rebound | Bloomberg - Bloomberg.com",
            "Bloomberg.com",
            "Markets wrap: chip stocks rebound | Bloomberg",
            None,
        ),
    ],
)
def test_same_story_same_title_key(
    a: str, a_source: str | None, b: str, b_source: str | None
) -> None:
    assert title_key(a, a_source) == title_key(b, b_source)
    assert story_id(title_key(a, a_source)) == story_id(title_key(b, b_source))


@pytest.mark.parametrize(
    ("title", "source", "expected"),
    [
        (
            "Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters",
            "Reuters",
            "nvidia shares plunge 17 as deepseek rattles ai trade",
        ),
        # a long tail after a dash is part of the headline
        (
            "Fed holds rates - what it means for your mortgage and savings",
            None,
            "fed holds rates what it means for your mortgage and savings",
        ),
        # the source is stripped whatever its length; a long unknown tail is kept
        (
            "China AI startup shakes markets - The Very Long Outlet Name Of Record",
            "The Very Long Outlet Name Of Record",
            "china ai startup shakes markets",
        ),
        (
            "China AI startup shakes markets - The Very Long Outlet Name Of Record",
            None,
            "china ai startup shakes markets the very long outlet name of record",
        ),
        # a stub head is never left alone
        ("DeepSeek - Reuters", None, "deepseek reuters"),
        ("DeepSeek-R1 tops app store", None, "deepseek r1 tops app store"),
        ("", None, ""),
    ],
)
def test_title_key(title: str, source: str | None, expected: str) -> None:
    assert title_key(title, source) == expected


def test_different_stories_differ() -> None:
    assert title_key("Nvidia shares plunge 17%") != title_key("Nvidia shares rebound 9%")


def test_story_id_is_short_stable_hex() -> None:
    sid = story_id("nvidia shares plunge")
    assert re.fullmatch(r"[0-9a-f]{16}", sid)
    assert sid == story_id("nvidia shares plunge")
    # pinned: ids are stored, so the function must never change
    assert story_id("nvidia shares plunge 17 as deepseek rattles ai trade") == "a841b72899d6387f"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (
            "nvidia shares plunge 17 as deepseek rattles ai trade",
            "nvidia shares plunge 17 as deepseek rattles ai trade today",
            True,
        ),
        ("a b c d e f g h", "a b c d e f g h i j", False),
        ("a b c d e f g h i j", "a b c d e f g h i j k", True),
        ("a b c d e", "a b c d e", True),
        ("a b c d e", "a b c d f", False),
        ("a b c d e f", "a b c d e g", False),
    ],
)
def test_similar(a: str, b: str, expected: bool) -> None:
    assert similar(a, b) is expected


def entry(**kw: object) -> Entry:
    base: dict[str, object] = {
        "feed": "gnews",
        "source": "Reuters",
        "title": "Nvidia shares plunge 17% as DeepSeek rattles AI trade - Reuters",
        "link": "https://www.reuters.com/markets/nvidia?utm_source=rss",
        "guid": "CBMi1",
        "summary": "",
        "published": T0,
    }
    base.update(kw)
    return Entry(**base)  # type: ignore[arg-type]


def test_entry_keys() -> None:
    keys = entry_keys(entry())
    assert keys.guid_key == "gnews\nCBMi1"
    assert keys.link_key == "https://reuters.com/markets/nvidia"
    assert keys.title_key == "nvidia shares plunge 17 as deepseek rattles ai trade"
    assert keys.story == story_id(keys.title_key)


def test_story_is_shared_across_outlets_and_feeds() -> None:
    a = entry_keys(entry())
    b = entry_keys(
        entry(
            feed="cnbc",
            source="CNBC",
            title="Nvidia Shares Plunge 17% As DeepSeek Rattles AI Trade | CNBC",
            link="https://www.cnbc.com/nvidia",
            guid="cnbc-1",
        )
    )
    assert a.story == b.story
    assert a.guid_key != b.guid_key and a.link_key != b.link_key


def test_entry_keys_without_guid_link_or_title() -> None:
    keys = entry_keys(entry(guid=None, link=None))
    assert keys.guid_key is None and keys.link_key is None
    untitled_a = entry_keys(entry(title="", link="https://x.example/a"))
    untitled_b = entry_keys(entry(title="", link="https://x.example/b"))
    assert untitled_a.story != untitled_b.story  # not one story for every untitled entry


def test_plain_links_take_a_shortcut_to_the_same_key() -> None:
    """The hand split of plain links gives exactly urlsplit's key, on links built from
    the characters that matter to it (separators, ports, case, userinfo, IPv6...)."""
    from monitor.news.dedup import _canonical_link

    rng = random.Random(7)
    starts = ["https://", "http://", "https://www.", "HTTP://", "https:", ""]
    hosts = ["x.com", "a-b.example", "x.com:8443", "x.com:443", "x.org.", "X.Com", "", ":", "x:0"]
    alphabet = "ab/:?#&=.%-_~+ 9XY@[]\t\\é"
    links = [
        rng.choice(starts)
        + rng.choice(hosts)
        + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        for _ in range(20_000)
    ]
    assert [canonical_link(u) for u in links] == [_canonical_link(u) for u in links]
    assert canonical_link("https://outlet.example/news/1") == "https://outlet.example/news/1"


def _title_key_by_regex(title: str, source: str | None = None) -> str:
    """title_key as first written: every step a regex (the reference for its fast path)."""
    from monitor.news.dedup import _APOSTROPHES, _NOT_WORD, _SUFFIX_SEP, _strip_suffix

    folded = unicodedata.normalize("NFKC", title).casefold()
    if source:
        source = unicodedata.normalize("NFKC", source).casefold().strip()
    for _ in range(2):
        if not _SUFFIX_SEP.search(folded) or (cut := _strip_suffix(folded, source)) is None:
            break
        folded = cut
    return _NOT_WORD.sub(" ", _APOSTROPHES.sub("", folded)).strip()


def test_title_key_fast_paths_agree_with_the_regexes() -> None:
    rng = random.Random(14)
    alphabet = "abcXYZ019 _-|'`’.,:;!?()&\t\u2013\u2014é漢ﬁ\u00a0"
    titles = ["Nvidia's chips - Reuters", "A_b__c", "Markets wrap | Bloomberg - Bloomberg.com"]
    titles += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(3000)
    ]
    for title in titles:
        for source in (None, "Reuters", "BLOOMBERG.COM ", "abc"):
            assert title_key(title, source) == _title_key_by_regex(title, source), (title, source)


def test_title_key_of_every_ascii_character_agrees_with_the_regexes() -> None:
    """The ASCII fast path (one byte table) keeps, drops or spaces each of the 128
    characters as the regexes do, controls and the separators split() knows included."""
    for code in range(128):
        for title in (f"ab{chr(code)}cd ef", f"{chr(code)}x", f"x {chr(code)}{chr(code)} y"):
            assert title_key(title) == _title_key_by_regex(title), repr(title)


def test_links_of_a_host_and_a_plain_path_take_a_shortcut_to_the_same_key() -> None:
    """The one-match key of a lowercase host and a plain path is urlsplit's key, for
    every printable ASCII character in the path and hosts with and without "www."."""
    from monitor.news.dedup import _canonical_link

    rng = random.Random(8)
    hosts = ["x.com", "www.x.com", "www.www.x.com", "www.", "www", "www.com", "a-b.c9",
             "x.com.", "x..com", "-x", "X.com", "x.com:443", "x.com:80", "x.com:8080"]  # fmt: skip
    printable = [chr(c) for c in range(0x20, 0x7F)]
    links = [
        rng.choice(["https://", "http://"])
        + rng.choice(hosts)
        + rng.choice(["", "/", "//"])
        + "".join(rng.choice(printable + ["/"] * 10) for _ in range(rng.randint(0, 10)))
        for _ in range(20_000)
    ]
    assert [canonical_link(u) for u in links] == [_canonical_link(u) for u in links]
    assert canonical_link("https://www.x.com/a/b/") == "https://x.com/a/b"
    assert canonical_link("http://x.com") == "https://x.com"
