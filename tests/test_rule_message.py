"""What an alert says: the message, and the context that explains the move."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.formatting import Zones
from monitor.model import DailyBar, Headline, Quote
from monitor.rules import (
    RuleRunner,
    RuleSpec,
    Snapshot,
    describe,
    evaluate,
    largest_since,
    market_value_change,
    parse_rule,
)

NY = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSE = datetime(2025, 1, 27, 16, 0, tzinfo=NY)
JAN27 = {
    "NVDA": (118.42, 142.62),
    "^SOX": (4853.24, 5341.94),
    "AVGO": (202.13, 244.70),
    "TSM": (192.31, 221.88),
    "ASML": (690.15, 732.25),
    "MU": (91.11, 103.19),
}

# ^SOX closes: the March 2020 crash (2020-03-18: -9.79%), a smaller later fall, the day
# before the DeepSeek selloff, the selloff's own bar, and a larger fall AFTER it
# (2025-04-03: -9.88%) that must not be used.
SOX_HISTORY = [
    DailyBar(date(2020, 3, 13), None, None, None, 1544.26),
    DailyBar(date(2020, 3, 16), None, None, None, 1298.78),  # -15.90%
    DailyBar(date(2020, 3, 17), None, None, None, 1426.52),
    DailyBar(date(2020, 3, 18), None, None, None, 1286.84),  # -9.79%
    DailyBar(date(2020, 3, 19), None, None, None, 1341.22),
    DailyBar(date(2024, 8, 1), None, None, None, 5000.00),
    DailyBar(date(2024, 8, 2), None, None, None, 4600.00),  # -8.00%, smaller
    DailyBar(date(2025, 1, 24), None, None, None, 5341.94),
    DailyBar(date(2025, 1, 27), None, None, None, 4853.24),
    DailyBar(date(2025, 4, 2), None, None, None, 4320.75),
    DailyBar(date(2025, 4, 3), None, None, None, 3893.69),  # -9.88%, later
]


def snapshot(**kw) -> Snapshot:
    quotes = {
        s: Quote(s, price=p, prev_close=c, as_of=CLOSE, currency="USD")
        for s, (p, c) in JAN27.items()
    }
    quotes.update(kw.pop("quotes", {}))
    return Snapshot(now=kw.pop("now", CLOSE), quotes=quotes, **kw)


def say(when: str, snap: Snapshot, **spec_kw) -> tuple[str, dict]:
    spec = RuleSpec(name="r", rule=parse_rule(when), **spec_kw)
    outcome = evaluate(spec.rule, snap)
    assert outcome.holds is True
    return describe(outcome, spec, snap)


def test_the_sox_message_and_largest_drop_since_2020():
    message, context = say("^SOX day% <= -5", snapshot(history={"^SOX": SOX_HISTORY}))
    assert message == (
        "^SOX day% -9.15% ≤ -5% (4853.24, prev close 5341.94) "
        "at 2025-01-27 16:00 EST — largest one-day drop since 2020-03-18"
    )
    assert context["largest_since"] == "largest one-day drop since 2020-03-18"
    assert context["data_time"] == "2025-01-27T21:00:00+00:00"


def test_largest_since_uses_only_sessions_before_the_alert_day():
    # without the 2020 crash, nothing before 2025-01-27 fell more: on record
    recent = [b for b in SOX_HISTORY if b.day.year >= 2024]
    assert largest_since("^SOX", -9.15, recent, CLOSE) == (
        "largest one-day drop on record in history (since 2024-08-01)"
    )
    # an -8.5% day is the largest since the -9.79% of 2020-03-18, not since 2024-08-02
    assert largest_since("^SOX", -8.5, SOX_HISTORY, CLOSE) == (
        "largest one-day drop since 2020-03-18"
    )
    assert largest_since("^SOX", -7.0, SOX_HISTORY, CLOSE) == (
        "largest one-day drop since 2024-08-02"
    )
    assert largest_since("^SOX", -12.0, SOX_HISTORY, CLOSE) == (
        "largest one-day drop since 2020-03-16"
    )
    # gains look for larger gains: 2020-03-17 (+9.84%), 2020-03-19 (+4.23%)
    assert largest_since("^SOX", 5.0, SOX_HISTORY[:5], CLOSE) == (
        "largest one-day gain since 2020-03-17"
    )
    assert largest_since("^SOX", -5.0, SOX_HISTORY[:1], CLOSE) is None


def test_nvda_market_value_lost():
    nvda = Quote(
        "NVDA",
        price=118.42,
        prev_close=142.62,
        as_of=CLOSE,
        currency="USD",
        shares_outstanding=24.34e9,
    )
    assert market_value_change(nvda) == "NVDA lost $589B of market value"
    message, context = say("NVDA day% <= -10", snapshot(quotes={"NVDA": nvda}))
    assert context["market_value_change"] == "NVDA lost $589B of market value"
    assert message == (
        "NVDA day% -16.97% ≤ -10% (118.42, prev close 142.62) "
        "at 2025-01-27 16:00 EST — NVDA lost $589B of market value"
    )
    gain = Quote("META", price=659.88, prev_close=647.49, shares_outstanding=2.52e9, currency="USD")
    assert market_value_change(gain) == "META gained $31.2B of market value"
    assert market_value_change(Quote("X", price=1, prev_close=2)) is None


def test_messages_of_each_kind_of_rule():
    snap = snapshot()
    assert say("NVDA day% - ^SOX day% <= -5", snap)[0] == (
        "NVDA day% - ^SOX day% -7.82 ≤ -5 (NVDA -16.97%, ^SOX -9.15%) at 2025-01-27 16:00 EST"
    )
    assert say("any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5", snap)[0] == (
        "3 of [NVDA, AVGO, TSM, ASML] day% ≤ -5%: AVGO -17.40%, NVDA -16.97%, TSM -13.33%, "
        "ASML -5.75% at 2025-01-27 16:00 EST"
    )
    assert say("NVDA price < 120", snap)[0] == (
        "NVDA price 118.42 < 120 (day -16.97%) at 2025-01-27 16:00 EST"
    )


def test_news_message_and_headlines():
    seen = CLOSE - timedelta(minutes=5)
    story = Headline(
        story="s1",
        title="DeepSeek rattles Wall Street",
        link="https://x.test/1",
        source="Reuters",
        feed="f",
        published=seen,
        first_seen=seen,
    )
    # a news rule has no exchange: its time is in the local zone, named
    message, context = say('news "DeepSeek"', snapshot(headlines=(story,), zones=Zones(NY)))
    assert message == (
        'news "DeepSeek": 1 story within 10m, latest "DeepSeek rattles Wall '
        'Street" (Reuters) at 2025-01-27 16:00 EST'
    )
    in_utc = snapshot(headlines=(story,), zones=Zones(UTC))
    assert say('news "DeepSeek"', in_utc)[0].endswith("at 2025-01-27 21:00 UTC")
    assert context["headlines"] == [
        {
            "title": "DeepSeek rattles Wall Street",
            "source": "Reuters",
            "link": "https://x.test/1",
            "published": "2025-01-27T20:55:00+00:00",
            "story": "s1",
        }
    ]


def test_compound_message_joins_its_parts():
    seen = CLOSE - timedelta(hours=1)
    story = Headline(
        story="s1",
        title="DeepSeek",
        link=None,
        source="CNBC",
        feed="f",
        published=seen,
        first_seen=seen,
    )
    message, _ = say('news "DeepSeek" within 2h and NVDA day% <= -3', snapshot(headlines=(story,)))
    assert message == (
        'news "DeepSeek": 1 story within 2h, latest "DeepSeek" (CNBC) and '
        "NVDA day% -16.97% ≤ -3% (118.42, prev close 142.62) "
        "at 2025-01-27 16:00 EST"
    )


def _headline(n: int, minutes_ago: float, *, symbols=(), matched=("deepseek",)) -> Headline:
    seen = CLOSE - timedelta(minutes=minutes_ago)
    return Headline(
        story=f"s{n}",
        title=f"story {n}",
        link=None,
        source="Reuters",
        feed="f",
        published=seen,
        first_seen=seen,
        symbols=symbols,
        matched=matched,
    )


def test_market_alert_headlines_prefer_those_linked_to_its_symbols():
    headlines = (
        _headline(1, 1),  # newest, a topic match only
        _headline(2, 5, symbols=("NVDA",)),
        _headline(3, 60, symbols=("NVDA", "AMD")),
        _headline(4, 90),
        _headline(5, 120, symbols=("NVDA",)),
        _headline(6, 3, matched=()),  # neither linked nor matched
        _headline(7, 25 * 60, symbols=("NVDA",)),  # older than a day
    )
    _, context = say("NVDA day% <= -5", snapshot(headlines=headlines))
    assert [h["story"] for h in context["headlines"]] == ["s2", "s3", "s5"]
    _, context = say("^SOX day% <= -5", snapshot(headlines=headlines))
    # nothing linked to ^SOX: the newest topic matches (s6 matched nothing)
    assert [h["story"] for h in context["headlines"]] == ["s1", "s2", "s3"]


def test_runner_moves_headlines_into_the_alert():
    runner = RuleRunner([RuleSpec(name="nvda", rule=parse_rule("NVDA day% <= -5"))])
    (alert,) = runner.evaluate(snapshot(headlines=(_headline(2, 5, symbols=("NVDA",)),)))
    assert [h["story"] for h in alert.headlines] == ["s2"]
    assert "headlines" not in alert.context
    assert alert.to_json()["headlines"][0]["title"] == "story 2"


def test_limit_up_message_and_streak():
    # ChiNext: ±20%.  Two past sessions closed at limit up (10.00 -> 12.00 -> 14.40),
    # and today 14.40 -> 17.28 is a third.
    t = datetime(2025, 2, 10, 14, 0, tzinfo=SHANGHAI)
    history = [
        DailyBar(date(2025, 2, 5), None, None, None, 10.00),
        DailyBar(date(2025, 2, 6), None, None, None, 12.00),
        DailyBar(date(2025, 2, 7), None, None, None, 14.40),
    ]
    q = Quote("300766.SZ", price=17.28, prev_close=14.40, as_of=t, currency="CNY")
    snap = Snapshot(now=t, quotes={"300766.SZ": q}, history={"300766.SZ": history})
    message, context = say("300766.SZ limit_up", snap)
    assert message == (
        "300766.SZ at limit up 17.28 (+20.00%, prev close 14.40) "
        "at 2025-02-10 14:00 +08 — 3 limit-up sessions in a row"  # China's CST is not Chicago's
    )
    assert context["limit_up_streak"] == 3
    assert "market_value_change" not in context


def test_limit_down_message_reads_like_the_others_and_has_no_limit_up_streak():
    t = datetime(2025, 1, 27, 14, 55, tzinfo=SHANGHAI)
    q = Quote("002354.SZ", price=4.5, prev_close=5.0, as_of=t, currency="CNY")
    message, context = say("002354.SZ limit_down", Snapshot(now=t, quotes={"002354.SZ": q}))
    assert message == (
        "002354.SZ at limit down 4.50 (-10.00%, prev close 5.00) at 2025-01-27 14:55 +08"
    )
    assert "limit_up_streak" not in context


def test_a_query_with_quotes_is_quoted_once():
    seen = CLOSE - timedelta(minutes=5)
    story = Headline("s1", "Liang Wenfeng speaks", "https://x.test/1", "Reuters", "f", seen, seen)
    snap = snapshot(headlines=(story,), zones=Zones(NY))
    message, _ = say("""news '"Liang Wenfeng" OR 梁文锋'""", snap)
    assert message.startswith("""news '"Liang Wenfeng" OR 梁文锋': 1 story within 10m""")


def test_times_local_states_a_price_alert_in_the_local_zone():
    snap = snapshot(zones=Zones(SHANGHAI, exchange=False))
    assert say("NVDA price < 120", snap)[0].endswith("at 2025-01-28 05:00 +08")
    assert say("NVDA price < 120", snapshot())[0].endswith("at 2025-01-27 16:00 EST")


def test_volume_message():
    volumes = [
        DailyBar(date(2025, 1, d), None, None, None, 140.0, 2e8)
        for d in (13, 14, 15, 16, 17, 21, 22, 23, 24)
    ]
    nvda = Quote("NVDA", price=118.42, prev_close=142.62, as_of=CLOSE, volume=818830900)
    message, _ = say(
        "NVDA volume_x >= 3", snapshot(quotes={"NVDA": nvda}, history={"NVDA": volumes})
    )
    assert message == "NVDA volume_x 4.1x ≥ 3 (volume 819M) at 2025-01-27 16:00 EST"


def test_alert_time_is_utc():
    runner = RuleRunner([RuleSpec(name="sox", rule=parse_rule("^SOX day% <= -5"))])
    (alert,) = runner.evaluate(snapshot())
    assert alert.time == datetime.combine(date(2025, 1, 27), time(21), UTC)
