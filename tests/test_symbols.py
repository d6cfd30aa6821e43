"""Linking headlines to watchlist symbols: cashtags, aliases, bare tickers."""

from __future__ import annotations

import pytest

from monitor.news.symbols import SymbolLinker

WATCHLIST = ["NVDA", "MU", "AMD", "ASML", "300766.SZ", "^SOX", "NOW", "BTC-USD", "ARM"]
ALIASES = {
    "NVDA": ["Nvidia", "英伟达"],
    "MU": ["Micron"],
    "300766.SZ": ["每日互动"],
    "^SOX": ["Philadelphia Semiconductor Index", "SOX index"],
    "ASML": ["ASML Holding"],
    "UNLISTED": ["Unlisted Corp"],  # aliases of symbols not on the watchlist are ignored
}


@pytest.fixture(scope="module")
def linker() -> SymbolLinker:
    return SymbolLinker(ALIASES, WATCHLIST)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # cashtags: case-sensitive, watchlist only, boundary-checked
        ("$NVDA and $MU drop", ("NVDA", "MU")),
        ("$nvda drops", ()),
        ("$NVDAX drops", ()),
        ("$NVDA.", ("NVDA",)),
        ("$TSLA jumps", ()),
        ("US$NVDA", ()),
        # aliases: case-insensitive, match.py's boundaries
        ("Nvidia shares plunge", ("NVDA",)),
        ("NVIDIA's outlook", ("NVDA",)),
        ("nvidias", ()),
        ("英伟达股价大跌", ("NVDA",)),
        ("每日互动涨停", ("300766.SZ",)),
        ("Micron-Nvidia deal", ("NVDA", "MU")),
        ("the SOX index fell", ("^SOX",)),
        ("Philadelphia  Semiconductor Index slides", ("^SOX",)),
        ("Unlisted Corp rallies", ()),
        # bare tickers: uppercase whole words of 3+ characters
        ("NVDA shares fall", ("NVDA",)),
        ("(NVDA) falls", ("NVDA",)),
        ("nvda shares", ()),
        ("Nvda shares", ()),
        ("MUST see", ()),
        ("MU shares", ()),  # 2-letter tickers are not linked as bare words
        ("AMDOCS rises", ()),
        ("AMD, ASML slide", ("AMD", "ASML")),
        ("300766.SZ jumps", ("300766.SZ",)),
        ("BTC-USD tops 100k", ("BTC-USD",)),
        ("X-NVDA", ()),
        ("Now what", ()),
        ("ARM chips", ("ARM",)),
        # a shouted headline makes every word look like a ticker
        ("BREAKING: NOW IS THE TIME TO BUY NVDA", ()),
        ("BREAKING: NOW IS THE TIME TO BUY $NVDA", ("NVDA",)),
        # watchlist order, each once
        ("ASML and Nvidia; $NVDA, NVDA", ("NVDA", "ASML")),
        ("", ()),
    ],
)
def test_link(linker: SymbolLinker, text: str, expected: tuple[str, ...]) -> None:
    assert linker.link(text) == expected


def test_empty_watchlist_links_nothing() -> None:
    assert SymbolLinker({}, []).link("NVDA $NVDA Nvidia") == ()


def test_duplicate_symbols_and_aliases_are_harmless() -> None:
    linker = SymbolLinker({"NVDA": ["Nvidia", "Nvidia", " "]}, ["NVDA", "NVDA"])
    assert linker.symbols == ("NVDA",)
    assert linker.link("Nvidia") == ("NVDA",)


def test_few_aliases_looked_for_one_by_one_link_as_the_shared_scan_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A watchlist with few aliases tests each first word on its own; many share one
    scan.  Overlapping first words ("Nvidia", "vidi") make extra candidates only."""
    import random

    from monitor.news import symbols

    aliases = {**ALIASES, "ARM": ["vidi", "Arm Holdings"], "NOW": ["ServiceNow"]}
    words = ["Nvidia", "NVIDIA's", "vidi", "nvidias", "Micron", "SOX index", "Arm Holdings",
             "ServiceNow", "servicenowx", "每日互动", "ASML", "the", "-", " "]  # fmt: skip
    rng = random.Random(8)
    texts = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(2000)]
    few = SymbolLinker(aliases, WATCHLIST)
    one_by_one = [few.link(t) for t in texts]
    monkeypatch.setattr(symbols, "_FEW_FIRST_WORDS", 0)
    assert one_by_one == [few.link(t) for t in texts]
    assert few.link("vidi and Nvidia") == ("NVDA", "ARM")


def test_the_byte_run_shortcut_links_what_the_ticker_word_scan_links() -> None:
    """A text with no run of ticker characters as long as the shortest bare ticker is
    not scanned for ticker words: on texts made of tickers' pieces, digits, capitals,
    separators and other scripts, the links are those of the scan on every text."""
    import random

    symbols = ["NVDA", "BRK.B", "ES=F", "^GSPC", "300750.SZ", "TSM", "MU", "X.TO"]
    linker = SymbolLinker({}, symbols)
    scanning = SymbolLinker({}, symbols)
    scanning._bare_run = b""  # every text scanned
    pieces = ["NVDA", "NVD", "BRK", ".B", "ES", "=F", "^GS", "PC", "300", "750", ".SZ", "TS",
              "M", "MU", "X", ".TO", " ", "a", "Ä", "英伟达", "\U0001f600", "$", "-"]  # fmt: skip
    rng = random.Random(3)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(20_000)]
    assert [linker.link(t) for t in texts] == [scanning.link(t) for t in texts]
    assert sum(bool(scanning.link(t)) for t in texts) > 100  # the scan found some
