"""The firing state machine: fire once, hysteresis, cooldown, once a day, levels, snooze,
mute, ack, gaps in data, restart."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor.model import Alert, Headline, Quote, RuleStatus, Status
from monitor.rules import RuleRunner, RuleSpec, Snapshot, parse_rule

NY = ZoneInfo("America/New_York")
START = datetime(2025, 1, 27, 10, 0, tzinfo=NY)

SOX = {  # daily closes and previous closes
    date(2025, 1, 24): (5341.94, 5444.69),
    date(2025, 1, 27): (4853.24, 5341.94),
    date(2025, 1, 28): (4907.03, 4853.24),
}


def spec(when: str, name: str = "rule", **kw) -> RuleSpec:
    return RuleSpec(name=name, rule=parse_rule(when), **kw)


class Feed:
    """Drives a runner with one symbol's day% (or price), one batch per minute."""

    def __init__(self, runner: RuleRunner, symbol: str = "^SOX", prev_close: float = 5000.0):
        self.runner, self.symbol, self.prev_close = runner, symbol, prev_close
        self.now = START
        self.previous: dict[str, Quote] = {}

    def snap(
        self,
        price: float | None,
        *,
        status: Status = Status.OK,
        minutes: float = 1,
        headlines: tuple[Headline, ...] = (),
    ) -> Snapshot:
        self.now += timedelta(minutes=minutes)
        q = Quote(
            self.symbol,
            price=price,
            prev_close=self.prev_close,
            as_of=self.now,
            status=status,
            currency="USD",
        )
        snap = Snapshot(
            now=self.now, quotes={self.symbol: q}, previous=dict(self.previous), headlines=headlines
        )
        if q.usable:
            self.previous = {self.symbol: q}
        return snap

    def pct(self, day_pct: float, **kw) -> list[Alert]:
        return self.runner.evaluate(self.snap(self.prev_close * (1 + day_pct / 100), **kw))

    def price(self, price: float | None, **kw) -> list[Alert]:
        return self.runner.evaluate(self.snap(price, **kw))

    def state(self):
        (state,) = self.runner.states(self.now)
        return state


def fired(feed: Feed, moves: list[float], **kw) -> list[int]:
    """Indexes of the moves that produced an alert."""
    return [i for i, m in enumerate(moves) if feed.pct(m, **kw)]


# ---- the DeepSeek days ---------------------------------------------------------------


def test_sox_rule_fires_on_the_selloff_day_only():
    runner = RuleRunner([spec("^SOX day% <= -5", "SOX selloff", notify=("desktop",))])
    alerts = {}
    for day, (close, prev) in SOX.items():
        t = datetime.combine(day, time(16), NY)
        q = Quote("^SOX", price=close, prev_close=prev, as_of=t)
        alerts[day] = runner.evaluate(Snapshot(now=t, quotes={"^SOX": q}))
    assert [len(a) for a in alerts.values()] == [0, 1, 0]
    (alert,) = alerts[date(2025, 1, 27)]
    assert alert.rule == "SOX selloff"
    assert alert.time == datetime(2025, 1, 27, 21, 0, tzinfo=UTC)
    assert (alert.symbol, alert.symbols, alert.threshold, alert.level) == (
        "^SOX",
        ("^SOX",),
        -5.0,
        None,
    )
    assert alert.value == pytest.approx(-9.148, abs=1e-3)
    assert alert.notify == ("desktop",)
    assert alert.severity == "warning"
    assert alert.message.startswith("^SOX day% -9.15% ≤ -5%")
    # 01-28 at +1.1% re-armed the rule (and the 30-minute cooldown is long over)
    (state,) = runner.states(datetime(2025, 1, 28, 21, 0, tzinfo=UTC))
    assert state.status is RuleStatus.ARMED


# ---- fire once, hysteresis -----------------------------------------------------------


def test_fires_once_while_the_condition_holds():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0)]))
    assert fired(feed, [-3, -5.1, -6, -7, -5.5]) == [1]
    assert feed.state().status is RuleStatus.FIRED
    assert feed.state().fired_at == START.astimezone(UTC) + timedelta(minutes=2)


def test_hysteresis_prevents_flapping_around_the_threshold():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0)]))
    # fired at -5.1; -4.8 and -4.5 are not past the 0.5-point band; -4.4 is
    assert fired(feed, [-5.1, -4.8, -5.2, -4.6, -5.05, -4.5, -5.3]) == [0]
    assert fired(feed, [-4.4, -5.3]) == [1]


def test_price_hysteresis_is_a_fifth_of_a_percent_of_the_threshold():
    feed = Feed(RuleRunner([spec("NVDA price < 120", cooldown=0)]), "NVDA", 142.62)
    assert feed.price(119.9)
    assert not feed.price(120.1)  # 120.24 re-arms
    assert not feed.price(119.5)
    assert not feed.price(120.2)
    assert not feed.price(119.9)
    assert not feed.price(120.3)
    assert feed.price(119.8)


def test_explicit_hysteresis():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0, hysteresis=2)]))
    assert fired(feed, [-5.1, -3.5, -5.2, -2.9, -5.2]) == [0, 4]


# ---- cooldown, once a day ------------------------------------------------------------


def test_cooldown_delays_a_second_alert_until_it_ends():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=1800)]))
    assert feed.pct(-5.5)
    assert not feed.pct(-4)  # re-armed
    state = feed.state()
    assert state.status is RuleStatus.COOLING
    assert state.until == START.astimezone(UTC) + timedelta(minutes=31)
    assert not feed.pct(-6, minutes=10)  # true again but cooling: stays armed
    assert feed.state().status is RuleStatus.COOLING
    assert feed.pct(-6, minutes=20)  # 31 minutes after the first alert, still true
    assert feed.state().status is RuleStatus.FIRED


def test_cooldown_does_not_fire_a_condition_that_went_away():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=1800)]))
    assert fired(feed, [-5.5, -4, -6], minutes=1) == [0]
    assert not feed.pct(-3, minutes=40)
    assert feed.state().status is RuleStatus.ARMED


def test_once_per_trading_day():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0, once="day")]))
    assert fired(feed, [-5.5, -3, -6, -3, -7]) == [0]
    assert feed.state().status is RuleStatus.COOLING
    # next trading day (2025-01-28)
    assert feed.pct(-6, minutes=24 * 60)


def test_once_per_day_follows_the_exchange_day_not_utc():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0, once="day")]))
    feed.now = datetime(2025, 1, 27, 18, 50, tzinfo=NY)  # 23:50 UTC
    assert feed.pct(-5.5)
    assert not feed.pct(-3)
    # 00:10 UTC on the 28th is still the 27th in New York (post-market)
    assert not feed.pct(-6, minutes=20)


# ---- levels --------------------------------------------------------------------------


def test_levels_fire_once_each_as_the_move_deepens():
    runner = RuleRunner([spec("^SOX day% <= -5", levels=(-5, -7.5, -10), cooldown=0)])
    feed = Feed(runner)
    results = [feed.pct(m) for m in [-4, -5.2, -6, -8, -7, -11, -12, -9]]
    fired_levels = [(i, a[0].level, a[0].threshold) for i, a in enumerate(results) if a]
    assert fired_levels == [(1, 0, -5.0), (3, 1, -7.5), (5, 2, -10.0)]
    assert feed.state().level == 2
    assert feed.state().threshold == -10.0
    # recovering to -4.6 is not past the first tier's band; -4.4 re-arms every tier
    assert not feed.pct(-4.6)
    assert not feed.pct(-8)
    assert not feed.pct(-4.4)
    assert feed.state().level is None
    alerts = feed.pct(-8)
    assert [(a.level, a.threshold) for a in alerts] == [(1, -7.5)]  # a jump fires its tier


def test_levels_escalate_through_the_cooldown():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", levels=(-5, -7.5), cooldown=3600)]))
    assert fired(feed, [-5.5, -8]) == [0, 1]


def test_levels_message_names_the_tier():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", levels=(-5, -7.5, -10))]))
    (alert,) = feed.pct(-8)
    assert "≤ -7.5%" in alert.message and "(level 2 of 3)" in alert.message
    assert (alert.context["level"], alert.context["levels"]) == (2, 3)  # as the words say
    assert alert.context["thresholds"] == [-5, -7.5, -10]
    assert (alert.to_json()["level"], alert.to_json()["levels"]) == (2, 3)
    assert alert.level == 1  # the tier's index, as the rule state stores it


# ---- snooze, mute, ack ---------------------------------------------------------------


def test_snooze_tracks_state_but_stays_silent():
    runner = RuleRunner([spec("^SOX day% <= -5", name="sox", cooldown=0)])
    feed = Feed(runner)
    runner.snooze("sox", START + timedelta(minutes=5))
    assert not feed.pct(-6)  # during the snooze: silent, but fired
    assert feed.state().status is RuleStatus.SNOOZED
    assert feed.state().until == START + timedelta(minutes=5)
    # the snooze ends while the old condition still holds: no alert
    assert fired(feed, [-6, -6, -6, -6, -6]) == []
    assert feed.state().status is RuleStatus.FIRED
    assert fired(feed, [-4, -6]) == [1]  # a new episode alerts


def test_unsnooze():
    runner = RuleRunner([spec("^SOX day% <= -5", name="sox", cooldown=0)])
    feed = Feed(runner)
    runner.snooze("sox", START + timedelta(hours=5))
    runner.unsnooze("sox")
    assert feed.pct(-6)


def test_mute_and_unmute():
    runner = RuleRunner([spec("^SOX day% <= -5", name="sox", cooldown=0)])
    feed = Feed(runner)
    runner.mute("sox", True)
    assert fired(feed, [-6, -4, -6]) == []
    assert feed.state().status is RuleStatus.MUTED
    runner.mute("sox", False)
    assert fired(feed, [-6, -4, -6]) == [2]
    with pytest.raises(KeyError):
        runner.mute("nope", True)


def test_ack_silences_deeper_tiers_of_the_episode():
    runner = RuleRunner([spec("^SOX day% <= -5", name="sox", levels=(-5, -7.5, -10), cooldown=0)])
    feed = Feed(runner)
    (alert,) = feed.pct(-5.5)
    assert runner.ack(alert) is True
    assert fired(feed, [-8, -11]) == []
    assert feed.state().level == 2  # still tracked
    assert fired(feed, [-4, -8]) == [1]  # the next episode alerts again
    assert runner.ack("sox") is True
    assert not feed.pct(-11)
    assert runner.ack("sox") is True
    feed.pct(-3)
    assert runner.ack("sox") is False  # nothing fired to acknowledge


# ---- gaps in data --------------------------------------------------------------------


def test_a_gap_in_data_neither_fires_nor_rearms():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", cooldown=0)]))
    assert feed.pct(-6)
    assert not feed.price(None, status=Status.RATE_LIMITED)
    state = feed.state()
    assert (state.status, state.why) == (RuleStatus.NOT_EVALUATED, "^SOX: rate limited")
    assert state.fired_at is not None
    assert not feed.pct(-6)  # still the same episode: no second alert


def test_stale_data_does_not_fire_an_armed_rule():
    runner = RuleRunner([spec("^SOX day% <= -5", cooldown=0)])
    t = START
    old = Quote("^SOX", price=4700, prev_close=5000, as_of=t - timedelta(minutes=20))
    assert runner.evaluate(Snapshot(now=t, quotes={"^SOX": old}, quotes_every=60)) == []
    (state,) = runner.states(t)
    assert state.status is RuleStatus.NOT_EVALUATED and "stale" in state.why
    allow = RuleRunner([spec("^SOX day% <= -5", allow_stale=True)])
    assert len(allow.evaluate(Snapshot(now=t, quotes={"^SOX": old}, quotes_every=60))) == 1


# ---- restart -------------------------------------------------------------------------


def test_restart_neither_forgets_nor_refires():
    specs = [
        spec("^SOX day% <= -5", name="sox", cooldown=600),
        spec("NVDA price < 120", name="nvda"),
    ]
    feed = Feed(RuleRunner(specs))
    assert feed.pct(-6)
    feed.runner.mute("nvda", True)
    saved = json.loads(json.dumps(feed.runner.to_state()))
    feed.runner = RuleRunner(specs, state=saved)
    assert not feed.pct(-6)  # condition still holds after the restart: no second alert
    states = {s.name: s for s in feed.runner.states(feed.now)}
    assert states["sox"].status is RuleStatus.FIRED
    assert states["nvda"].status is RuleStatus.MUTED
    assert not feed.pct(-4)  # re-armed, but the restored cooldown still runs
    assert states["sox"].fired_at == START.astimezone(UTC) + timedelta(minutes=1)
    assert feed.pct(-6, minutes=10)


def test_a_changed_rule_starts_armed_after_restart():
    feed = Feed(RuleRunner([spec("^SOX day% <= -5", name="sox", cooldown=0)]))
    assert feed.pct(-6)
    saved = feed.runner.to_state()
    feed.runner = RuleRunner([spec("^SOX day% <= -5.5", name="sox", cooldown=0)], state=saved)
    assert feed.pct(-6)


def test_garbage_state_is_ignored_per_rule():
    runner = RuleRunner(
        [spec("^SOX day% <= -5", name="sox")],
        state={"rules": {"sox": {"when": "^SOX day% <= -5", "fired_at": "junk"}}},
    )
    feed = Feed(runner)
    assert feed.pct(-6)


# ---- crosses, news, disabled ---------------------------------------------------------


def test_crosses_fires_on_the_crossing_and_ignores_jitter_on_the_line():
    feed = Feed(RuleRunner([spec("NVDA crosses 130", cooldown=0)]), "NVDA", 125.0)
    assert not feed.price(129.0)  # first observation
    assert feed.runner.states(feed.now)[0].status is RuleStatus.NOT_EVALUATED
    assert not feed.price(129.5)
    (alert,) = feed.price(130.1)
    assert alert.message.startswith("NVDA crossed 130 upward (129.50 → 130.10)")
    # jitter within 0.26 of the line: no new alerts
    assert [bool(feed.price(p)) for p in (129.9, 130.1, 129.8)] == [False, False, False]
    assert not feed.price(128.0)  # far from the line: re-armed
    assert feed.price(130.5)


def test_news_rule_fires_once_per_burst():
    feed = Feed(RuleRunner([spec('news "DeepSeek"', cooldown=0)]))

    def story(n: int, minutes_ago: float) -> Headline:
        seen = feed.now + timedelta(minutes=1 - minutes_ago)
        return Headline(
            story=f"s{n}",
            title=f"DeepSeek {n}",
            link=None,
            source="Reuters",
            feed="f",
            published=seen,
            first_seen=seen,
        )

    first = (story(1, 0),)
    (alert,) = feed.pct(0, headlines=first)
    assert alert.headlines[0]["title"] == "DeepSeek 1"
    assert set(alert.headlines[0]) == {"title", "source", "link", "published", "story"}
    assert not feed.pct(0, headlines=(story(2, 0), *first))  # same burst
    assert not feed.pct(0, minutes=15, headlines=first)  # nothing new for 10 minutes: re-arms
    assert feed.pct(0, headlines=(story(3, 0),))


def test_disabled_rule_is_not_evaluated():
    runner = RuleRunner([spec("^SOX day% <= -5", enabled=False)])
    feed = Feed(runner)
    assert not feed.pct(-9)
    assert feed.state().status is RuleStatus.DISABLED


# ---- specs ---------------------------------------------------------------------------


def test_spec_defaults_come_from_the_rule():
    s = spec("^SOX day% <= -5", "SOX selloff", notify=["desktop"], levels=[-5, -7.5])
    assert (s.name, s.when, s.notify, s.levels) == (
        "SOX selloff",
        "^SOX day% <= -5",
        ("desktop",),
        (-5.0, -7.5),
    )
    assert s.first_threshold == -5.0 and s.cooldown == 1800.0


@pytest.mark.parametrize(
    ("when", "fields", "error"),
    [
        ("^SOX day% <= -5", {"levels": (-5, -4)}, "decreasing"),
        ('news "a" and NVDA day% < 1', {"levels": (1,)}, "single comparison"),
        ("^SOX day% <= -5", {"once": "week"}, "once"),
        ("^SOX day% <= -5", {"severity": "loud"}, "severity"),
        ("^SOX day% <= -5", {"cooldown": -1.0}, "cooldown"),
    ],
)
def test_spec_errors(when, fields, error):
    with pytest.raises(ValueError, match=error):
        spec(when, "x", **fields)


def test_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="unique"):
        RuleRunner([spec("^SOX day% <= -5", "a"), spec("NVDA price < 1", "a")])
