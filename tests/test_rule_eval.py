"""Evaluating rules on plain snapshots: the DeepSeek selloff of 2025-01-27, and every
reason a rule is not evaluated."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.model import DailyBar, Headline, MarketState, Quote, Status
from monitor.rules import Snapshot, evaluate, parse_rule

NY = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")

# Daily closes (price, previous trading day's close); 2025-01-20 was a US holiday.
CLOSES = {
    date(2025, 1, 24): {
        "NVDA": (142.62, 147.22),
        "^SOX": (5341.94, 5444.69),
        "AVGO": (244.70, 240.28),
        "TSM": (221.88, 224.62),
        "ASML": (732.25, 746.24),
        "MU": (103.19, 104.84),
    },
    date(2025, 1, 27): {
        "NVDA": (118.42, 142.62),
        "^SOX": (4853.24, 5341.94),
        "AVGO": (202.13, 244.70),
        "TSM": (192.31, 221.88),
        "ASML": (690.15, 732.25),
        "MU": (91.11, 103.19),
    },
    date(2025, 1, 28): {
        "NVDA": (128.99, 118.42),
        "^SOX": (4907.03, 4853.24),
        "AVGO": (207.36, 202.13),
        "TSM": (202.40, 192.31),
        "ASML": (683.35, 690.15),
        "MU": (88.25, 91.11),
    },
}

# NVDA's 20 sessions before 2025-01-27 (volume), and that day's 818,830,900 shares.
NVDA_VOLUMES = {
    "2024-12-24": 105157000,
    "2024-12-26": 116205600,
    "2024-12-27": 170582600,
    "2024-12-30": 167734700,
    "2024-12-31": 155659200,
    "2025-01-02": 198247200,
    "2025-01-03": 229322500,
    "2025-01-06": 265377400,
    "2025-01-07": 351782200,
    "2025-01-08": 227349900,
    "2025-01-10": 207602500,
    "2025-01-13": 204808900,
    "2025-01-14": 195590500,
    "2025-01-15": 185217300,
    "2025-01-16": 209235600,
    "2025-01-17": 201188800,
    "2025-01-21": 197749000,
    "2025-01-22": 237651400,
    "2025-01-23": 155915500,
    "2025-01-24": 234657600,
}


def at_close(day: date) -> datetime:
    return datetime.combine(day, time(16), NY)


def quote(symbol: str, price: float | None, prev: float | None, t: datetime, **kw) -> Quote:
    kw.setdefault("currency", "USD")
    return Quote(symbol, price=price, prev_close=prev, as_of=t, **kw)


def snapshot(day: date, **kw) -> Snapshot:
    t = at_close(day)
    quotes = {s: quote(s, p, c, t) for s, (p, c) in CLOSES[day].items()}
    quotes.update(kw.pop("quotes", {}))
    return Snapshot(now=kw.pop("now", t), quotes=quotes, **kw)


def held(text: str, snap: Snapshot) -> bool | None:
    return evaluate(parse_rule(text), snap).holds


# ---- the DeepSeek selloff ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "jan24", "jan27", "jan28"),
    [
        ("^SOX day% <= -5", False, True, False),
        ("any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5", False, True, False),
        ("all of [NVDA, AVGO, TSM, ASML, MU] day% <= -5", False, True, False),
        ("NVDA day% - ^SOX day% <= -5", False, True, False),
        ("NVDA price < 120", False, True, False),
        ("NVDA price > 140", True, False, False),
        ("NVDA change <= -20", False, True, False),
        ("^SOX day% >= 1", False, False, True),
    ],
)
def test_deepseek_days(text, jan24, jan27, jan28):
    days = [date(2025, 1, 24), date(2025, 1, 27), date(2025, 1, 28)]
    assert [held(text, snapshot(d)) for d in days] == [jan24, jan27, jan28]


def test_sox_value_and_threshold():
    out = evaluate(parse_rule("^SOX day% <= -5"), snapshot(date(2025, 1, 27)))
    assert out.holds is True
    assert out.value == pytest.approx(-9.1484, abs=1e-4)
    assert out.threshold == -5.0
    assert (out.symbol, out.symbols, out.why) == ("^SOX", ("^SOX",), None)


def test_relative_move_is_the_difference():
    out = evaluate(parse_rule("NVDA day% - ^SOX day% <= -5"), snapshot(date(2025, 1, 27)))
    # -16.97 - (-9.15)
    assert out.value == pytest.approx(-7.82, abs=0.005)
    assert out.symbols == ("NVDA", "^SOX")


def test_basket_value_is_the_kth_member():
    out = evaluate(
        parse_rule("any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5"), snapshot(date(2025, 1, 27))
    )
    # AVGO -17.40, NVDA -16.97, TSM -13.33, ASML -5.75: the third is TSM
    assert out.value == pytest.approx(-13.33, abs=0.005)
    assert dict(out.members)["ASML"] == pytest.approx(-5.75, abs=0.005)
    # ASML's -5.75% keeps four of four from all being down 6%
    assert held("any 4 of [NVDA, AVGO, TSM, ASML] day% <= -6", snapshot(date(2025, 1, 27))) is False


def test_threshold_override_replaces_the_threshold():
    rule, snap = parse_rule("^SOX day% <= -5"), snapshot(date(2025, 1, 27))
    assert evaluate(rule, snap, threshold_override=-10).holds is False
    out = evaluate(rule, snap, threshold_override=-7.5)
    assert (out.holds, out.threshold) == (True, -7.5)


# ---- other metrics -------------------------------------------------------------------


def test_open_drawdown_and_change_metrics():
    t = at_close(date(2025, 1, 27))
    # NVDA 2025-01-27: open 124.80, high 128.40, close 118.42
    nvda = quote("NVDA", 118.42, 142.62, t, open=124.80, high=128.40)
    snap = Snapshot(now=t, quotes={"NVDA": nvda})
    assert evaluate(parse_rule("NVDA open% <= -3"), snap).value == pytest.approx(-5.112, abs=1e-3)
    assert held("NVDA open% <= -3", snap) is True
    assert held("NVDA open% <= -6", snap) is False
    assert evaluate(parse_rule("NVDA drawdown% >= 8"), snap).value == pytest.approx(7.773, abs=1e-3)
    assert held("NVDA drawdown% >= 8", snap) is False
    assert held("NVDA drawdown% >= 7.5", snap) is True
    assert evaluate(parse_rule("NVDA change <= -20"), snap).value == pytest.approx(-24.20)
    missing_open = Snapshot(now=t, quotes={"NVDA": quote("NVDA", 118.42, 142.62, t)})
    out = evaluate(parse_rule("NVDA open% <= -3"), missing_open)
    assert (out.holds, out.why) == (None, "NVDA: open% needs today's open")


def _nvda_history() -> list[DailyBar]:
    return [
        DailyBar(date.fromisoformat(d), None, None, None, 140.0, float(v))
        for d, v in NVDA_VOLUMES.items()
    ]


def test_volume_x_against_twenty_sessions_of_history():
    t = at_close(date(2025, 1, 27))
    nvda = quote("NVDA", 118.42, 142.62, t, volume=818830900)
    # a bar for the alert's own day (and a later one) must not enter the average
    history = [
        *_nvda_history(),
        DailyBar(date(2025, 1, 27), None, None, None, 118.42, 818830900.0),
        DailyBar(date(2025, 1, 28), None, None, None, 128.99, 579666400.0),
    ]
    snap = Snapshot(now=t, quotes={"NVDA": nvda}, history={"NVDA": history})
    out = evaluate(parse_rule("NVDA volume_x >= 3"), snap)
    average = sum(NVDA_VOLUMES.values()) / 20
    assert out.value == pytest.approx(818830900 / average)
    assert out.holds is True  # about 4.1x
    assert held("NVDA volume_x >= 5", snap) is False


def test_volume_x_needs_history():
    t = at_close(date(2025, 1, 27))
    snap = Snapshot(now=t, quotes={"NVDA": quote("NVDA", 118.42, 142.62, t, volume=8e8)})
    out = evaluate(parse_rule("NVDA volume_x >= 3"), snap)
    assert out.holds is None
    assert out.why == "NVDA: volume_x needs daily history"


# ---- crosses -------------------------------------------------------------------------


def _cross(prev: float | None, now_price: float) -> Snapshot:
    t = datetime(2025, 1, 28, 15, 0, tzinfo=NY)
    before = t - timedelta(minutes=1)
    previous = {} if prev is None else {"NVDA": quote("NVDA", prev, 118.42, before)}
    return Snapshot(now=t, quotes={"NVDA": quote("NVDA", now_price, 118.42, t)}, previous=previous)


def test_crosses_either_way_and_not_on_the_first_observation():
    rule = parse_rule("NVDA crosses 130")
    first = evaluate(rule, _cross(None, 131))
    assert first.holds is None and "previous price" in first.why
    assert evaluate(rule, _cross(129.5, 130.2)).holds is True  # up
    assert evaluate(rule, _cross(130.5, 129.9)).holds is True  # down
    assert evaluate(rule, _cross(129.5, 130.0)).holds is True  # touching the line
    assert evaluate(rule, _cross(130.0, 130.4)).holds is False  # already there
    assert evaluate(rule, _cross(128.0, 129.0)).holds is False  # same side
    out = evaluate(rule, _cross(129.5, 130.2))
    assert (out.value, out.previous, out.threshold) == (130.2, 129.5, 130.0)


# ---- A-share limits ------------------------------------------------------------------


def _ashare(symbol: str, price: float, prev: float) -> Snapshot:
    t = datetime(2025, 2, 10, 14, 0, tzinfo=SHANGHAI)
    q = Quote(symbol, price=price, prev_close=prev, as_of=t, currency="CNY")
    return Snapshot(now=t, quotes={symbol: q})


def test_limit_up_and_down():
    # ChiNext (300xxx.SZ) moves at most ±20%: 79.33 × 1.2 = 95.196 -> limit up 95.20
    out = evaluate(parse_rule("300766.SZ limit_up"), _ashare("300766.SZ", 95.20, 79.33))
    assert (out.holds, out.threshold) == (True, 95.20)
    assert (
        evaluate(parse_rule("300766.SZ limit_up"), _ashare("300766.SZ", 95.10, 79.33)).holds
        is False
    )
    # main board (002xxx.SZ) ±10%: 11.11 × 0.9 = 9.999 -> limit down 10.00
    assert (
        evaluate(parse_rule("002354.SZ limit_down"), _ashare("002354.SZ", 10.00, 11.11)).holds
        is True
    )
    assert (
        evaluate(parse_rule("002354.SZ limit_down"), _ashare("002354.SZ", 10.01, 11.11)).holds
        is False
    )


def test_limit_on_a_market_without_limits_is_not_evaluated():
    out = evaluate(parse_rule("NVDA limit_up"), snapshot(date(2025, 1, 27)))
    assert out.holds is None and "no daily price limit" in out.why


# ---- not evaluated -------------------------------------------------------------------


def _one(q: Quote, now: datetime, **kw) -> Snapshot:
    return Snapshot(now=now, quotes={q.symbol: q}, **kw)


OPEN = datetime(2025, 1, 27, 11, 0, tzinfo=NY)


@pytest.mark.parametrize(
    ("q", "why"),
    [
        (None, "NVDA: no quote yet"),
        (Quote("NVDA", status=Status.PENDING), "NVDA: no quote yet"),
        (Quote("NVDA", status=Status.UNKNOWN_SYMBOL), "NVDA: unknown symbol"),
        (Quote("NVDA", status=Status.RATE_LIMITED), "NVDA: rate limited"),
        (Quote("NVDA", status=Status.NO_DATA), "NVDA: no data"),
        (
            quote("NVDA", 118.0, 142.62, OPEN - timedelta(minutes=12)),
            "NVDA: quote stale (12 min old)",
        ),
        (
            quote("NVDA", 118.0, 142.62, OPEN, status=Status.SUSPECT, error="price jump"),
            "NVDA: data suspect (price jump)",
        ),
        (quote("NVDA", 118.0, None, OPEN), "NVDA: data suspect (previous close missing)"),
        (quote("NVDA", 118.0, 0.0, OPEN), "NVDA: data suspect (previous close missing)"),
        (quote("NVDA", 118.0, float("nan"), OPEN), "NVDA: data suspect (previous close missing)"),
        (quote("NVDA", 118.0, 142.62, OPEN, status=Status.MARKET_CLOSED), "NVDA: market closed"),
    ],
)
def test_not_evaluated_with_the_reason(q, why):
    snap = Snapshot(now=OPEN, quotes={} if q is None else {"NVDA": q}, quotes_every=60)
    out = evaluate(parse_rule("NVDA day% <= -5"), snap)
    assert out.holds is None
    assert out.why == why


def test_closed_session_is_not_evaluated_unless_allowed():
    saturday = datetime(2025, 2, 1, 12, 0, tzinfo=NY)
    friday_close = quote("NVDA", 120.07, 124.65, at_close(date(2025, 1, 31)))
    out = evaluate(parse_rule("NVDA price < 121"), _one(friday_close, saturday))
    assert (out.holds, out.why) == (None, "NVDA: market closed")
    allowed = evaluate(
        parse_rule("NVDA price < 121"), _one(friday_close, saturday, allow_stale=True)
    )
    assert allowed.holds is True


def test_stale_is_admitted_only_with_allow_stale_and_suspect_never():
    old = quote("NVDA", 118.0, 142.62, OPEN - timedelta(minutes=12))
    assert evaluate(parse_rule("NVDA day% <= -5"), _one(old, OPEN, allow_stale=True)).holds
    suspect = quote("NVDA", 118.0, None, OPEN)
    out = evaluate(parse_rule("NVDA price < 120"), _one(suspect, OPEN, allow_stale=True))
    assert out.holds is None and "suspect" in out.why


def test_fresh_quote_inside_three_polls_is_evaluated():
    q = quote("NVDA", 118.0, 142.62, OPEN - timedelta(seconds=150))
    assert evaluate(parse_rule("NVDA day% <= -5"), _one(q, OPEN, quotes_every=60)).holds is True


# ---- news ----------------------------------------------------------------------------

T0 = datetime(2025, 1, 27, 14, 0, tzinfo=UTC)


def headline(
    story: str,
    title: str,
    seen: datetime,
    *,
    summary: str = "",
    source: str = "Reuters",
    symbols: tuple[str, ...] = (),
) -> Headline:
    return Headline(
        story=story,
        title=title,
        link=f"https://example.com/{story}",
        source=source,
        feed="test",
        published=seen,
        first_seen=seen,
        summary=summary,
        symbols=symbols,
    )


def news_snap(*headlines: Headline, now: datetime = T0) -> Snapshot:
    return Snapshot(now=now, quotes={}, headlines=headlines)


def test_news_holds_for_ten_minutes_after_a_matching_story():
    rule = parse_rule('news "DeepSeek"')
    h = headline("s1", "DeepSeek-R1 tops the App Store", T0 - timedelta(minutes=9))
    out = evaluate(rule, news_snap(h))
    assert (out.holds, out.headlines) == (True, (h,))
    assert evaluate(rule, news_snap(h, now=T0 + timedelta(minutes=2))).holds is False
    other = headline("s2", "Fed holds rates", T0 - timedelta(minutes=1))
    assert evaluate(rule, news_snap(other)).holds is False
    # seen after `now` (a replay's later rows) does not count
    assert (
        evaluate(rule, news_snap(headline("s3", "DeepSeek", T0 + timedelta(seconds=1)))).holds
        is False
    )


def test_news_matches_title_and_summary():
    h = headline("s1", "Chip stocks tumble", T0, summary="A Chinese AI lab, DeepSeek, ...")
    assert evaluate(parse_rule('news "DeepSeek"'), news_snap(h)).holds is True


def test_news_query_with_quotes():
    rule = parse_rule("news '\"Liang Wenfeng\" OR 梁文锋'")
    assert evaluate(rule, news_snap(headline("a", "梁文锋：我们不做应用", T0))).holds is True
    assert evaluate(rule, news_snap(headline("b", "Liang Wenfeng speaks", T0))).holds is True
    assert evaluate(rule, news_snap(headline("c", "Wenfeng Liang", T0))).holds is False


def test_news_burst_counts_distinct_stories_within_the_window():
    rule = parse_rule('news "DeepSeek" count >= 5 within 30m')
    four = [
        headline(f"s{i}", f"DeepSeek story {i}", T0 - timedelta(minutes=5 * i)) for i in range(4)
    ]
    # the same story from a second outlet is still one story
    echo = headline("s0", "DeepSeek story 0 (echo)", T0 - timedelta(minutes=1), source="CNBC")
    too_old = headline("s9", "DeepSeek old", T0 - timedelta(minutes=31))
    out = evaluate(rule, news_snap(*four, echo, too_old))
    assert (out.holds, out.value, out.threshold) == (False, 4.0, 5.0)
    fifth = headline("s5", "DeepSeek story 5", T0 - timedelta(minutes=29))
    out = evaluate(rule, news_snap(*four, echo, too_old, fifth))
    assert (out.holds, out.value) == (True, 5.0)
    assert [h.story for h in out.headlines] == ["s0", "s1", "s2", "s3", "s5"]


# ---- compounds -----------------------------------------------------------------------


def test_news_and_market_compound():
    rule = parse_rule('news "DeepSeek" within 2h and NVDA day% <= -3')
    day = date(2025, 1, 27)
    story = headline("s1", "DeepSeek shakes AI stocks", at_close(day) - timedelta(minutes=90))
    out = evaluate(rule, snapshot(day, headlines=(story,)))
    assert out.holds is True
    assert (out.symbol, out.threshold, out.headlines) == ("NVDA", -3.0, (story,))
    assert out.value == pytest.approx(-16.97, abs=0.005)
    late = snapshot(day, headlines=(story,), now=at_close(day) + timedelta(minutes=31))
    # now past 2h: the news part no longer holds (the quote is still fresh at the close)
    assert evaluate(rule, late).holds is False


def test_kleene_logic_for_missing_data():
    day = date(2025, 1, 27)
    stale = snapshot(day, quotes={"NVDA": Quote("NVDA", status=Status.RATE_LIMITED)})
    rule = parse_rule('news "DeepSeek" within 2h and NVDA day% <= -3')
    # no news: False whatever NVDA is
    assert evaluate(rule, stale).holds is False
    story = headline("s1", "DeepSeek", at_close(day))
    out = evaluate(
        rule,
        snapshot(
            day, quotes={"NVDA": Quote("NVDA", status=Status.RATE_LIMITED)}, headlines=(story,)
        ),
    )
    assert (out.holds, out.why) == (None, "NVDA: rate limited")
    either = parse_rule("NVDA price < 120 or ^SOX day% <= -5")
    assert evaluate(either, stale).holds is True  # ^SOX alone decides


def test_basket_with_a_missing_member():
    day = date(2025, 1, 27)
    gone = {"ASML": Quote("ASML", status=Status.TIMEOUT)}
    # three of the others already hold: the missing one cannot change that
    assert held("any 3 of [NVDA, AVGO, TSM, ASML] day% <= -5", snapshot(day, quotes=gone)) is True
    out = evaluate(
        parse_rule("any 4 of [NVDA, AVGO, TSM, ASML] day% <= -5"), snapshot(day, quotes=gone)
    )
    assert (out.holds, out.why) == (None, "ASML: quote request timed out")
    assert held("all of [NVDA, ASML] day% <= -5", snapshot(day, quotes=gone)) is None
    # two cannot reach three even with the missing one
    assert held("any 3 of [NVDA, MU, ASML] day% <= -12", snapshot(day, quotes=gone)) is False


def test_market_state_field_closed_is_closed():
    q = quote("NVDA", 118.0, 142.62, OPEN, market_state=MarketState.CLOSED)
    out = evaluate(parse_rule("NVDA price < 120"), _one(q, OPEN))
    assert out.why == "NVDA: market closed"
