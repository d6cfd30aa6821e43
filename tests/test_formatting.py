"""Numbers and times as printed: the one home of every format (monitor.formatting)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from monitor import formatting as fmt
from monitor.model import Severity

NY = ZoneInfo("America/New_York")
NOW = datetime(2025, 1, 27, 21, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "table", "sentence"),
    [
        (4853.24, "4,853.24", "4853.24"),
        (118.42, "118.42", "118.42"),
        (12.3, "12.30", "12.30"),
        (0.5, "0.5000", "0.50"),
        (4.5, "4.50", "4.50"),
        (5, "5.00", "5.00"),
        (4.5125, "4.51", "4.5125"),
        (0.1234, "0.1234", "0.1234"),
        (None, "—", "?"),
        (float("nan"), "—", "?"),
        (float("inf"), "—", "?"),
    ],
)
def test_prices_in_a_table_and_in_a_sentence(value, table, sentence) -> None:
    assert fmt.price(value) == table
    assert fmt.sentence_price(value) == sentence


@pytest.mark.parametrize(
    ("value", "plain", "trimmed"),
    [
        (999, "999", "999"),
        (1234, "1.2K", "1.2K"),
        (5_600_000, "5.6M", "5.6M"),
        (589e9, "589.0B", "589B"),
        (2.1e12, "2.1T", "2.1T"),
        (-579_666_400, "-579.7M", "-580M"),
        (None, "—", "—"),
    ],
)
def test_compact_sizes(value, plain, trimmed) -> None:
    assert fmt.compact(value) == plain
    assert fmt.compact(value, trim=True) == trimmed


def test_signed_numbers_percentages_and_arrows() -> None:
    assert fmt.fixed(-1234.5, signed=True) == "-1,234.50"
    assert fmt.fixed(3, signed=True) == "+3.00"
    assert fmt.fixed(1234.5) == "1,234.50"
    assert fmt.percent(-9.149) == "-9.15%" and fmt.percent(1.25) == "+1.25%"
    assert fmt.percent(1.25, signed=False) == "1.25%"
    assert fmt.percent(None, missing="n/a") == "n/a"
    assert (fmt.arrow(1), fmt.arrow(-1), fmt.arrow(0), fmt.arrow(None)) == ("▲", "▼", "·", "·")
    assert fmt.amount(5341.94) == "5,342" and fmt.amount(-5) == "-5.00"
    assert fmt.number(-7.5) == "-7.5" and fmt.number(1_500_000) == "1,500,000"
    assert fmt.multiple(3.24) == "3.2x"


def test_ages_and_times() -> None:
    assert [fmt.age(NOW - timedelta(seconds=s), NOW) for s in (12, 300, 10800, 172800)] == [
        "12s",
        "5m",
        "3h",
        "2d",
    ]
    assert fmt.age(None, NOW) == "—" and fmt.age(NOW + timedelta(seconds=5), NOW) == "0s"
    assert fmt.headline_time(NOW - timedelta(seconds=20), NOW, UTC) == "now"
    assert fmt.headline_time(NOW - timedelta(minutes=5), NOW, UTC) == "5m ago"
    assert fmt.headline_time(datetime(2025, 1, 20, tzinfo=UTC), NOW, UTC) == "Jan 20"
    assert fmt.headline_time(datetime(2024, 1, 20, tzinfo=UTC), NOW, UTC) == "2024-01-20"
    assert fmt.clock_time(NOW, NY) == "16:00:05 EST" and fmt.clock_time(None, NY) == "—"
    assert fmt.clock_time(NOW, ZoneInfo("Asia/Shanghai")) == "05:00:05 +08"


def test_severity_ranks_and_reads_any_spelling() -> None:
    assert [s.rank for s in Severity] == [0, 1, 2]
    assert max(["info", "critical", "warning"], key=lambda s: Severity.of(s).rank) == "critical"
    assert Severity.of("CRITICAL") is Severity.CRITICAL
    assert Severity.of("loud") is Severity.WARNING  # unknown reads as the default
    assert Severity.CRITICAL == "critical" and f"{Severity.INFO}" == "info"


SHANGHAI = ZoneInfo("Asia/Shanghai")
CHICAGO = ZoneInfo("America/Chicago")


@pytest.mark.parametrize(
    ("zone", "when", "label"),
    [
        ("Asia/Shanghai", datetime(2025, 1, 27, 6, 55, tzinfo=UTC), "+08"),  # not "CST"
        ("America/Chicago", datetime(2025, 1, 27, 15, tzinfo=UTC), "-06"),  # not "CST"
        ("America/Chicago", datetime(2025, 7, 1, 15, tzinfo=UTC), "-05"),  # not "CDT"
        ("Asia/Kolkata", datetime(2025, 1, 27, tzinfo=UTC), "+05:30"),  # not "IST"
        ("Europe/London", datetime(2025, 7, 1, tzinfo=UTC), "+01"),  # not "BST"
        ("Asia/Singapore", datetime(2025, 1, 27, tzinfo=UTC), "+08"),
        ("America/New_York", datetime(2025, 1, 27, tzinfo=UTC), "EST"),
        ("America/New_York", datetime(2025, 7, 1, tzinfo=UTC), "EDT"),
        ("Asia/Hong_Kong", datetime(2025, 1, 27, tzinfo=UTC), "HKT"),
        ("Asia/Tokyo", datetime(2025, 1, 27, tzinfo=UTC), "JST"),
        ("Europe/London", datetime(2025, 1, 27, tzinfo=UTC), "GMT"),
        ("UTC", datetime(2025, 1, 27, tzinfo=UTC), "UTC"),
    ],
)
def test_a_zone_nobody_can_misread(zone, when, label) -> None:
    assert fmt.zone_label(when.astimezone(ZoneInfo(zone))) == label


def test_the_one_time_format_carries_its_zone_and_the_date_when_not_today() -> None:
    row = datetime(2025, 1, 27, 14, 55, tzinfo=SHANGHAI)  # a Shenzhen row
    assert fmt.stamp(row, SHANGHAI, row) == "14:55 +08"
    assert fmt.stamp(row, SHANGHAI, row + timedelta(days=11)) == "2025-01-27 14:55 +08"
    assert fmt.stamp(row, SHANGHAI) == "2025-01-27 14:55 +08"  # no "now": always dated
    assert fmt.stamp(row, SHANGHAI, row, seconds=True) == "14:55:00 +08"
    assert fmt.stamp(None, SHANGHAI) == "—"
    # "today" is the day where the time is shown: 06:55Z is 01:55 in New York, 01-27
    assert fmt.stamp(row, NY, datetime(2025, 1, 27, 23, tzinfo=NY)) == "01:55 EST"
    assert fmt.stamp(row, NY, datetime(2025, 1, 28, 0, 30, tzinfo=NY)) == "2025-01-27 01:55 EST"


def test_zones_show_market_data_at_its_exchange_or_everything_local() -> None:
    row = datetime(2025, 1, 27, 14, 55, tzinfo=SHANGHAI)
    exchange = fmt.Zones(local=NY)
    assert exchange.stamp(row, row, market=SHANGHAI) == "14:55 +08"
    assert exchange.stamp(row, row) == "01:55 EST"  # not market data: the local zone
    local = fmt.Zones(local=NY, exchange=False)
    assert local.stamp(row, row, market=SHANGHAI) == "01:55 EST"
    assert fmt.Zones(local=CHICAGO, exchange=False).stamp(row) == "2025-01-27 00:55 -06"


def _one_headline_time(published: datetime, now: datetime, tz) -> str:
    """The words of one headline's time, worked out from scratch (each day's words are
    kept between calls in ``fmt.headline_times``: they must stay the same)."""
    local, local_now = published.astimezone(tz), now.astimezone(tz)
    if local.date() == local_now.date() and published <= now + timedelta(minutes=1):
        return "now" if now - published < timedelta(minutes=1) else f"{fmt.age(published, now)} ago"
    return local.strftime("%b %d" if local.year == local_now.year else "%Y-%m-%d")


@pytest.mark.parametrize("tz", [UTC, NY, ZoneInfo("Asia/Tokyo"), None])
def test_many_headline_times_at_once_read_as_each_alone(tz) -> None:
    # around a New Year, a day's edges, a DST change in New York and a little ahead
    for now in (
        NOW,
        datetime(2026, 1, 1, 0, 0, 30, tzinfo=UTC),
        datetime(2025, 3, 9, 7, tzinfo=UTC),
    ):
        published = [now + timedelta(minutes=m) for m in range(-3000, 90, 7)]
        published += [now - timedelta(days=d, seconds=s) for d in (300, 400) for s in (0, 1)]
        assert fmt.headline_times(published, now, tz) == [
            _one_headline_time(p, now, tz) for p in published
        ]
