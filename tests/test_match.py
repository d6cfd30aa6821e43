"""The topic query language: parsing, boundaries, precedence, errors, highlighting."""

from __future__ import annotations

import pytest

from monitor.query import QueryError, find_spans, parse_query


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # Latin boundaries
        ("deepseek", "DeepSeek-R1 tops app store", ("deepseek",)),
        ("deepseek", "DeepSeek's model", ("deepseek",)),
        ("deepseek", "DeepSeek’s model", ("deepseek",)),
        ("deepseek", "DeepSeek称遭大规模网攻", ("deepseek",)),
        ("deepseek", "多家券商宣布接入DeepSeek", ("deepseek",)),
        ("deepseek", "(DeepSeek)", ("deepseek",)),
        ("deepseek", "#deepseek", ("deepseek",)),
        ("deepseek", "@deepseek_ai", ("deepseek",)),
        ("deepseek", "deepseeker", ()),
        ("deepseek", "mydeepseek", ()),
        ("deepseek", "deepseek2", ()),
        ("deepseek", "deepseekè", ()),
        ("deepseek", "ＤｅｅｐＳｅｅｋ rises", ("deepseek",)),  # full-width, NFKC
        ("DeepSeek", "DEEPSEEK", ("DeepSeek",)),
        ("R1", "DeepSeek-R1 launch", ("R1",)),
        ("R1", "R1's benchmark", ("R1",)),
        ("R1", "R10 chip", ()),
        ("R1", "AR1 rifle", ()),
        ("café", "Café crème", ("café",)),
        ("cafe", "café", ()),  # an accented letter is a Latin letter: no match inside
        ("straße", "STRASSE", ("straße",)),  # casefold: ß == ss
        ("c++", "C++ release", ("c++",)),
        ("S&P", "S&P 500 falls", ("S&P",)),
        # CJK terms: plain substrings
        ("深度求索", "梁文锋创立的深度求索再获关注", ("深度求索",)),
        ("梁文锋", "梁文锋接受采访", ("梁文锋",)),
        ("接入DeepSeek", "多家券商宣布接入DeepSeek模型", ("接入DeepSeek",)),
        ("梁文锋", "梁文", ()),
        # phrases
        ('"liang wenfeng"', "Liang   Wenfeng speaks", ("liang wenfeng",)),
        ('"liang wenfeng"', "Liang Wenfengs", ()),
        ('"liang wenfeng"', "wenfeng liang", ()),
        ('"nvidia shares"', "Nvidia\nshares slide", ("nvidia shares",)),
        # OR / AND / NOT
        ("deepseek OR 深度求索", "深度求索发布新模型", ("深度求索",)),
        ("deepseek OR 深度求索", "DeepSeek 深度求索", ("deepseek", "深度求索")),
        ("nvidia deepseek", "Nvidia falls on DeepSeek", ("nvidia", "deepseek")),
        ("nvidia deepseek", "Nvidia falls", ()),
        ("nvidia AND deepseek", "DeepSeek and Nvidia", ("nvidia", "deepseek")),
        ("nvidia NOT gaming", "Nvidia falls", ("nvidia",)),
        ("nvidia NOT gaming", "Nvidia gaming GPUs", ()),
        ("nvidia -gaming", "Nvidia gaming GPUs", ()),
        ("nvidia -gaming", "Nvidia falls", ("nvidia",)),
        ('nvidia NOT (gaming OR "rtx 5090")', "Nvidia RTX  5090 review", ()),
        ('nvidia NOT (gaming OR "rtx 5090")', "Nvidia shares", ("nvidia",)),
        ("NOT NOT nvidia", "nvidia", ()),  # true, but terms under NOT never appear
        ("NOT gaming", "chips", ()),
        # precedence: a OR b c == a OR (b AND c)
        ("a OR b c", "b", ()),
        ("a OR b c", "b c", ("b", "c")),
        ("a OR b c", "a", ("a",)),
        ("(a OR b) c", "a", ()),
        ("(a OR b) c", "a c", ("a", "c")),
        ("NOT a b", "b", ("b",)),  # NOT binds tighter than AND
        ("NOT a b", "a b", ()),
        # lowercase keywords are ordinary words
        ("war or peace", "war and peace", ()),
        ("war or peace", "war or peace", ("war", "or", "peace")),
        # results: deduplicated, as written, in query order
        ("DeepSeek OR deepseek OR nvidia", "nvidia deepseek", ("DeepSeek", "nvidia")),
        ("nvidia OR deepseek", "DeepSeek then Nvidia", ("nvidia", "deepseek")),
    ],
)
def test_match(query: str, text: str, expected: tuple[str, ...]) -> None:
    assert parse_query(query).match(text) == expected


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("", "empty query", 0),
        ("   ", "empty query", 0),
        ("a)", "unexpected ')'", 1),
        ("(a", "unclosed '('", 0),
        ("a (b", "unclosed '('", 2),
        ("deepseek OR", "expected a term after 'OR'", 11),
        ("a AND", "expected a term after 'AND'", 5),
        ("NOT", "expected a term after 'NOT'", 3),
        ("OR a", "unexpected 'OR'", 0),
        ("a OR OR b", "unexpected 'OR'", 5),
        ("()", "unexpected ')'", 1),
        ("deepseek OR (nvidia ))", "unexpected ')'", 21),
        ('deepseek "abc', "unterminated quote", 9),
        ('""', "empty phrase", 0),
    ],
)
def test_query_errors(query: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert info.value.message == message
    assert info.value.position == position
    assert str(info.value) == f"{message} at column {position}"
    assert isinstance(info.value, ValueError)


def test_terms_and_source() -> None:
    q = parse_query('DeepSeek OR "Liang Wenfeng" OR 深度求索 NOT gaming OR deepseek')
    assert q.terms == ("DeepSeek", "Liang Wenfeng", "深度求索")
    assert q.source == 'DeepSeek OR "Liang Wenfeng" OR 深度求索 NOT gaming OR deepseek'


def test_a_term_both_negated_and_positive_counts_as_positive() -> None:
    q = parse_query("nvidia OR (deepseek NOT nvidia)")
    assert q.terms == ("nvidia", "deepseek")
    assert q.match("nvidia news") == ("nvidia",)


def test_parse_query_is_cached() -> None:
    assert parse_query("deepseek OR nvidia") is parse_query("deepseek OR nvidia")


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("DeepSeek and deepseek", ["deepseek"], [(0, 8), (13, 21)]),
        ("deepseeker DeepSeek-R1", ["deepseek", "R1"], [(11, 19), (20, 22)]),
        ("Straße DeepSeek und STRASSE", ["strasse", "deepseek"], [(0, 6), (7, 15), (20, 27)]),
        ("Cafe\u0301 DEEPSEEK", ["café", "deepseek"], [(0, 5), (6, 14)]),
        ("多家券商宣布接入DeepSeek", ["deepseek", "接入"], [(6, 16)]),  # adjacent spans merge
        ("Liang  Wenfeng said", ["liang wenfeng"], [(0, 14)]),
        ("ＤｅｅｐＳｅｅｋ", ["deepseek"], [(0, 8)]),
        ("no match here", ["deepseek"], []),
        ("", ["deepseek"], []),
        ("anything", [], []),
    ],
)
def test_find_spans(text: str, terms: list[str], expected: list[tuple[int, int]]) -> None:
    assert find_spans(text, terms) == expected


def test_find_spans_slices_original_text() -> None:
    text = "Straße: ﬁnance chief quits"
    spans = find_spans(text, ["strasse", "finance"])
    assert [text[a:b] for a, b in spans] == ["Straße", "ﬁnance"]


def test_highlight_terms_come_from_the_query() -> None:
    q = parse_query("deepseek OR 深度求索 NOT gaming")
    text = "深度求索 DeepSeek gaming"
    assert [text[a:b] for a, b in find_spans(text, q.terms)] == ["深度求索", "DeepSeek"]


# ---- proximity (NEAR) and case-sensitive terms (=) ----------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        # NEAR/n: at most n words between, either order
        (
            "R1 NEAR/3 (model OR reasoning OR AI)",
            "R1 reasoning model",
            ("R1", "model", "reasoning"),
        ),
        ("R1 NEAR/3 (model OR AI)", "DeepSeek-R1, a model", ("R1", "model")),
        ("R1 NEAR/3 model", "a model that beat R1", ("R1", "model")),
        ("R1 NEAR/3 model", "R1 a b c model", ("R1", "model")),
        ("R1 NEAR/3 model", "R1 a b c d model", ()),
        ("R1 NEAR/3 model", "R1 rides the road: Rivian's new electric model", ()),
        ("R1 NEAR/0 model", "R1 model", ("R1", "model")),
        ("R1 NEAR/0 model", "R1 big model", ()),
        ("R1 NEAR/2 model", "R1 - the... model!", ("R1", "model")),  # punctuation is no word
        ("R1 NEAR/2 model", "R1 only", ()),
        ("R1 NEAR/2 model", "model only", ()),
        # NEAR alone is NEAR/5
        ("R1 NEAR model", "R1 a b c d e model", ("R1", "model")),
        ("R1 NEAR model", "R1 a b c d e f model", ()),
        # any occurrence counts
        ("R1 NEAR/1 model", "R1 is far from here, yes; but R1 model", ("R1", "model")),
        # each CJK character is a word
        ("模型 NEAR/1 R1", "国产大模型R1登顶", ("模型", "R1")),
        ("模型 NEAR/1 R1", "模型发布了R1", ()),
        ("模型 NEAR/3 R1", "模型发布了R1", ("模型", "R1")),
        # phrases as operands
        (
            '"Liang Wenfeng" NEAR/2 DeepSeek',
            "Liang Wenfeng, founder of DeepSeek",
            ("Liang Wenfeng", "DeepSeek"),
        ),
        ('"Liang Wenfeng" NEAR/1 DeepSeek', "Liang Wenfeng, founder of DeepSeek", ()),
        # a term is not near its own occurrence
        ("AI NEAR/2 AI", "AI rules", ()),
        ("AI NEAR/2 AI", "AI beats AI", ("AI",)),
        # NEAR inside NOT, AND and OR
        ("deepseek NOT R1 NEAR/1 Rivian", "DeepSeek R1 beats Rivian", ()),
        ("deepseek NOT R1 NEAR/1 Rivian", "DeepSeek R1 is not a Rivian", ("deepseek",)),
        ("nvidia R1 NEAR/1 model", "Nvidia hosts the R1 model", ("nvidia", "R1", "model")),
        ("nvidia R1 NEAR/1 model", "Nvidia model R1 x y", ("nvidia", "R1", "model")),
        ("nvidia R1 NEAR/1 model", "R1 model", ()),
        ("deepseek OR R1 NEAR/1 model", "DeepSeek", ("deepseek",)),
        # lowercase near and words that only begin with NEAR are ordinary words
        ("war near peace", "war near peace", ("war", "near", "peace")),
        ("NEARBY", "nearby shops", ("NEARBY",)),
        # =term: case-sensitive, same boundaries
        ("=R1", "R1 launch", ("=R1",)),
        ("=R1", "r1 launch", ()),
        ("=R1", "DeepSeek-R1 tops", ("=R1",)),
        ("=R1", "R10 chip", ()),
        ("=R1", "AR1 rifle", ()),
        ("=R1", "aR1", ()),
        ("=R1", "Ｒ１ model", ("=R1",)),  # NFKC
        ("=V3", "DeepSeek-V3 paper", ("=V3",)),
        ("=V3", "the v3 API", ()),
        ('="Janus Pro"', "Janus  Pro 7B", ("=Janus Pro",)),
        ('="Janus Pro"', "janus pro", ()),
        ("=DeepSeek", "DEEPSEEK", ()),
        ("=Straße", "STRASSE", ()),
        ("=Straße", "Die Straße", ("=Straße",)),
        ("=深度求索", "深度求索发布", ("=深度求索",)),
        ("=R1 OR r1", "r1", ("r1",)),  # different terms
        ("=R1 OR r1", "R1", ("=R1", "r1")),
        ("=R1 NEAR/2 (model OR AI)", "R1 AI model", ("=R1", "model", "AI")),
        ("=R1 NEAR/2 (model OR AI)", "r1 AI model", ()),
    ],
)
def test_near_and_case(query: str, text: str, expected: tuple[str, ...]) -> None:
    assert parse_query(query).match(text) == expected


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("=", "'=' goes right before a word or a quoted phrase, as in =R1", 0),
        ("a = b", "'=' goes right before a word or a quoted phrase, as in =R1", 2),
        ("a NEAR", "expected a term after 'NEAR'", 6),
        ("a NEAR/3", "expected a term after 'NEAR/3'", 8),
        ("NEAR a", "unexpected 'NEAR'", 0),
        ("a NEAR/x b", "NEAR/ takes a number of words, as in NEAR/3", 2),
        ("a NEAR/ b", "NEAR/ takes a number of words, as in NEAR/3", 2),
        ("(a b) NEAR c", "NEAR joins terms, phrases or (a OR b) groups", 0),
        ("a NEAR (b c)", "NEAR joins terms, phrases or (a OR b) groups", 2),
        ("a NEAR -b", "unexpected '-'", 7),
        ("a NEAR b NEAR c", "NEAR joins two sides only; combine with AND", 9),
        ('x ="b', "unterminated quote", 3),
    ],
)
def test_near_and_case_errors(query: str, message: str, position: int) -> None:
    with pytest.raises(QueryError) as info:
        parse_query(query)
    assert (info.value.message, info.value.position) == (message, position)


def test_near_and_case_terms() -> None:
    q = parse_query("=R1 NEAR/3 (model OR AI) -Rivian")
    assert q.terms == ("=R1", "model", "AI")


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("R1 and r1", ["=R1"], [(0, 2)]),
        ("r1 and R1", ["=R1", "and"], [(3, 6), (7, 9)]),
        ("Ｒ１ r1", ["=R1"], [(0, 2)]),
        ("DeepSeek-R1 r1", ["deepseek", "=R1"], [(0, 8), (9, 11)]),
        ("Janus  Pro, janus pro", ["=Janus Pro"], [(0, 10)]),
    ],
)
def test_find_spans_case_sensitive(
    text: str, terms: list[str], expected: list[tuple[int, int]]
) -> None:
    assert find_spans(text, terms) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("attacks OR releases", [("attacks",), ("releases",)]),
        ('"Chip stocks"', [("Chip stocks",)]),
        ("DeepSeek -Nvidia", [("DeepSeek",)]),
        ("(a OR b) c", [("a", "c"), ("b", "c")]),
        ("a (b OR -c)", [("a",)]),
        ("深度求索 OR R1", [("深度求索",), ("R1",)]),
        ("-apple", None),
        ("a OR -b", None),
    ],
)
def test_required_terms_narrow_an_index_search(query: str, expected) -> None:
    assert parse_query(query).required() == expected


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("attacks OR releases", "DeepSeek releases Janus-Pro"),
        ("(a OR b) c", "c then b"),
        ("DeepSeek -Nvidia", "DeepSeek app tops the App Store"),
    ],
)
def test_every_match_contains_one_required_alternative(query: str, text: str) -> None:
    parsed = parse_query(query)
    assert parsed.holds(text)
    folded = text.lower()
    alternatives = parsed.required()
    assert alternatives is not None
    assert any(all(t.lower() in folded for t in alt) for alt in alternatives)


def test_holds_for_a_query_of_negations_only() -> None:
    query = parse_query("-apple")
    assert query.holds("Microsoft spends $80bn") and not query.holds("Apple earnings")
    assert query.match("Microsoft spends $80bn") == ()  # no positive term to name


@pytest.mark.parametrize(
    "query",
    [
        'DeepSeek OR "深度求索" OR "Liang Wenfeng" OR 梁文锋',
        "nvidia",
        "R1 OR café OR straße OR c++",
        "AI OR chip OR chips OR export",
    ],
)
def test_or_of_terms_answers_as_the_whole_query_tree(query: str) -> None:
    """A query of terms joined by OR takes a shorter way to its answer; the same query
    under a NOT of a word no text has goes the whole tree's way.  They agree, on random
    texts made of the terms' words, their neighbours and other scripts."""
    import random

    words = [
        "DeepSeek", "deepseeker", "DEEPSEEK", "深度求索", "Liang", "Wenfeng", "梁文锋",
        "Nvidia", "NVIDIA's", "nvidia2", "R1", "R10", "café", "cafe", "STRASSE", "C++",
        "AI", "ai-chip", "chips", "export", "exporter", "(chip)", "—", "the", "shares",
        "ＤｅｅｐＳｅｅｋ", "上涨",
    ]  # fmt: skip
    rng = random.Random(14)
    fast, whole = parse_query(query), parse_query(f"({query}) NOT zzqqxxnothere")
    assert fast._any_of and not whole._any_of
    for _ in range(3000):
        text = rng.choice(["", "\n"]).join(
            rng.choice([" ", "", "-", "\n"]).join(rng.choices(words, k=rng.randint(1, 9)))
            for _ in range(2)
        )
        assert fast.match(text) == whole.match(text), text
