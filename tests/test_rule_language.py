"""The rule language: every documented example parses to the right tree; errors say where."""

from __future__ import annotations

import pytest

from monitor.rules import LANGUAGE_REFERENCE, RuleSyntaxError, check_levels, parse_rule
from monitor.rules import language as lang
from monitor.rules.language import (
    AllOf,
    AnyOf,
    Basket,
    Comparison,
    Crosses,
    Difference,
    Limit,
    Metric,
    News,
)

# (text, symbols, threshold, primary_symbol, has_news)
EXAMPLES = [
    ("^SOX day% <= -5", ("^SOX",), -5.0, "^SOX", False),
    ("NVDA price < 120", ("NVDA",), 120.0, "NVDA", False),
    ("NVDA price > 150", ("NVDA",), 150.0, "NVDA", False),
    ("NVDA crosses 130", ("NVDA",), 130.0, "NVDA", False),
    ("NVDA open% <= -3", ("NVDA",), -3.0, "NVDA", False),
    ("NVDA drawdown% >= 8", ("NVDA",), 8.0, "NVDA", False),
    ("NVDA volume_x >= 3", ("NVDA",), 3.0, "NVDA", False),
    ("NVDA change <= -10", ("NVDA",), -10.0, "NVDA", False),
    ("300766.SZ limit_up", ("300766.SZ",), None, "300766.SZ", False),
    ("002354.SZ limit_down", ("002354.SZ",), None, "002354.SZ", False),
    ('news "DeepSeek"', (), 1.0, None, True),
    ("news '\"Liang Wenfeng\" OR 梁文锋'", (), 1.0, None, True),
    ('news "DeepSeek" count >= 5 within 30m', (), 5.0, None, True),
    (
        "any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5",
        ("NVDA", "AVGO", "TSM", "ASML"),
        -5.0,
        None,
        False,
    ),
    ("all of [NVDA, AMD] day% <= -3", ("NVDA", "AMD"), -3.0, None, False),
    ("NVDA day% - ^SOX day% <= -5", ("NVDA", "^SOX"), -5.0, "NVDA", False),
    ('news "DeepSeek" within 2h and NVDA day% <= -3', ("NVDA",), -3.0, "NVDA", True),
    ("NVDA price < 120 or AMD price < 100", ("NVDA", "AMD"), 120.0, "NVDA", False),
    ("BRK-B price > 500", ("BRK-B",), 500.0, "BRK-B", False),
    ("BTC-USD day% >= 5", ("BTC-USD",), 5.0, "BTC-USD", False),
    ("EURUSD=X price > 1.1", ("EURUSD=X",), 1.1, "EURUSD=X", False),
]


@pytest.mark.parametrize(("text", "symbols", "threshold", "primary", "has_news"), EXAMPLES)
def test_every_example_parses(text, symbols, threshold, primary, has_news):
    rule = parse_rule(text)
    assert rule.text == text
    assert rule.symbols == symbols
    assert rule.threshold == threshold
    assert rule.primary_symbol == primary
    assert rule.has_news is has_news


def test_trees_of_the_examples():
    assert parse_rule("^SOX day% <= -5").expr == Comparison(Metric("^SOX", "day%"), "<=", -5.0)
    assert parse_rule("NVDA crosses 130").expr == Crosses("NVDA", 130.0)
    assert parse_rule("300766.SZ limit_up").expr == Limit("300766.SZ", "up")
    assert parse_rule("002354.SZ limit_down").expr == Limit("002354.SZ", "down")
    assert parse_rule("any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5").expr == Basket(
        3, ("NVDA", "AVGO", "TSM", "ASML"), "day%", "<=", -5.0
    )
    assert parse_rule("all of [NVDA, AMD] day% <= -3").expr == Basket(
        None, ("NVDA", "AMD"), "day%", "<=", -3.0
    )
    assert parse_rule("any of [NVDA, AMD] price > 1").expr.need == 1
    assert parse_rule("NVDA day% - ^SOX day% <= -5").expr == Comparison(
        Difference(Metric("NVDA", "day%"), Metric("^SOX", "day%")), "<=", -5.0
    )


def test_news_parts_carry_query_count_and_window():
    plain = parse_rule('news "DeepSeek"').expr
    assert isinstance(plain, News)
    assert (plain.query_text, plain.count, plain.window) == ("DeepSeek", 1, 600.0)
    burst = parse_rule('news "DeepSeek" count >= 5 within 30m').expr
    assert (burst.count, burst.window) == (5, 1800.0)
    assert parse_rule('news "DeepSeek" count > 4 within 1d').expr.count == 5
    quoted = parse_rule("news '\"Liang Wenfeng\" OR 梁文锋'").expr
    assert quoted.query_text == '"Liang Wenfeng" OR 梁文锋'
    # the query is the news query language, parsed once with the rule
    assert quoted.query.match("Who is Liang Wenfeng?")
    assert quoted.query.match("梁文锋谈DeepSeek")
    assert not quoted.query.match("Liang and Wenfeng apart")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), ("1.5h", 5400)],
)
def test_durations(text, seconds):
    assert parse_rule(f'news "x" within {text}').expr.window == seconds


def test_and_binds_tighter_than_or_and_parentheses_group():
    rule = parse_rule("NVDA price < 1 or AMD price < 2 and MU price < 3")
    assert isinstance(rule.expr, AnyOf)
    assert isinstance(rule.expr.parts[1], AllOf)
    grouped = parse_rule("(NVDA price < 1 or AMD price < 2) and MU price < 3")
    assert isinstance(grouped.expr, AllOf)
    assert isinstance(grouped.expr.parts[0], AnyOf)


def test_compact_spelling_and_percent_signs():
    assert (
        parse_rule("NVDA day%-^SOX day%<=-5").expr == parse_rule("NVDA day% - ^SOX day% <= -5").expr
    )
    assert parse_rule("^SOX day% <= -5%").expr.threshold == -5.0
    assert parse_rule("NVDA price>=.5").expr.threshold == 0.5


def test_main_part_of_a_compound_is_its_first_market_part():
    rule = parse_rule('news "DeepSeek" within 2h and NVDA day% <= -3')
    assert rule.main == Comparison(Metric("NVDA", "day%"), "<=", -3.0)
    assert rule.longest_window == 7200.0


# (text, position, message fragment, hint fragment or None)
ERRORS = [
    ("NVDA dya% <= -5", 5, "unknown metric `dya%`", "did you mean `day%`?"),
    ("NVDA drawdwn% >= 8", 5, "unknown metric", "did you mean `drawdown%`?"),
    ("NVDA day% -5", 10, "expected a comparison", "write a comparison like `day% <= -5`"),
    ("NVDA price <", 12, "expected a number after <", "write a comparison like"),
    ("NVDA", 4, "expected a metric after NVDA", "write a comparison like `day% <= -5`"),
    ("nvda price < 1", 0, "`nvda` is not a symbol", "symbols are written in capitals: `NVDA`"),
    ("news DeepSeek", 5, "expected a quoted query", "single quotes"),
    ('news "DeepSeek', 5, "unterminated string", 'close it with "'),
    ("news 'a\" OR b", 5, "unterminated string", "close it with '"),
    ("NVDA price == 5", 11, "unknown comparison '=='", "use <=, >=, < or >"),
    ("any 5 of [NVDA, AMD] day% < 1", 0, "can never hold", "list at least 5 symbols"),
    ("any 2 [NVDA, AMD] day% < 1", 6, "expected `of`", "any 3 of"),
    ("any 2 of [NVDA AMD] day% < 1", 15, "expected `]` or `,`", "separate symbols"),
    ("NVDA price < 1 AMD price < 2", 15, "unexpected `AMD`", "join conditions with `and`"),
    ('news "DeepSeek" count = 5', 22, "unknown comparison", None),
    ('news "DeepSeek" count <= 5', 22, "a news count is a minimum", "count >= 5"),
    ('news "DeepSeek" within soon', 23, "expected a duration", "30m, 2h or 1d"),
    ('news "DeepSeek" within 30m1h', 23, "units must go from largest", "1h30m"),
    ("(NVDA price < 1", 15, "expected `)`", "close the parenthesis"),
    ("", 0, "empty rule", "^SOX day% <= -5"),
    ("NVDA price < 1 and", 18, "expected a condition", None),
]


@pytest.mark.parametrize(("text", "position", "message", "hint"), ERRORS)
def test_syntax_errors_say_where_and_hint(text, position, message, hint):
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert message in err.message
    assert err.position == position
    assert str(err) == f"{err.message} at column {position}"
    if hint is not None:
        assert err.hint is not None and hint in err.hint


def test_news_query_errors_point_into_the_rule():
    text = 'news "DeepSeek (R1"'
    with pytest.raises(RuleSyntaxError) as info:
        parse_rule(text)
    assert info.value.message.startswith("news query:")
    # the query's own column, shifted past `news "`
    assert text[info.value.position] == "("


def test_check_levels():
    sox = parse_rule("^SOX day% <= -5")
    assert check_levels(sox, [-5, -7.5, -10]) is None
    assert check_levels(parse_rule("NVDA volume_x >= 3"), [3, 5, 8]) is None
    assert "decreasing" in check_levels(sox, [-5, -4])
    assert "increasing" in check_levels(parse_rule("NVDA price > 1"), [2, 1])
    assert "non-empty" in check_levels(sox, [])
    assert "numbers" in check_levels(sox, ["-5"])
    compound = parse_rule('news "x" and NVDA day% <= -3')
    assert "single comparison" in check_levels(compound, [-3, -5])
    assert "single comparison" in check_levels(parse_rule("NVDA crosses 130"), [130])


def test_reference_documents_every_keyword_metric_and_example():
    for word in [*lang.KEYWORDS, *lang.METRICS, *lang.COMPARISONS, "30s", "30m", "2h", "1d"]:
        assert f"{word}" in LANGUAGE_REFERENCE, word
    for text, *_ in EXAMPLES[:18]:
        assert f"`{text}`" in LANGUAGE_REFERENCE, text
        if text not in ("NVDA change <= -10", "NVDA price > 150"):
            assert text in lang.__doc__, text


def test_readme_carries_the_current_rules_reference() -> None:
    from pathlib import Path

    from monitor.rules.language import LANGUAGE_REFERENCE

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- rules-reference:start -->", "<!-- rules-reference:end -->"
    assert start in readme
    assert readme.split(start, 1)[1].split(end, 1)[0].strip() == LANGUAGE_REFERENCE.strip()
