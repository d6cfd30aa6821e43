"""A bad recorded quotes file named by `quote_source` ends `monitor once` and
`monitor run --headless` with one line naming the file, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import run_monitor, write_config

HEADER = "time,symbol,price,prev_close,open,high,low,volume,currency\n"


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        (HEADER, "quotes.csv: no rows, only a header"),
        ("# only a comment\n" + HEADER, "quotes.csv: no rows, only a header"),
        ("", "quotes.csv:1: empty file (no header)"),
        (
            HEADER + "2025-01-27T10:00:00-05:00,NVDA,abc,142.62,,,,,USD\n",
            "price 'abc' is not a number",
        ),
    ],
)
def test_once_on_a_bad_recorded_csv_is_one_line(
    tmp_path: Path, csv_text: str, message: str
) -> None:
    (tmp_path / "quotes.csv").write_text(csv_text, encoding="utf-8")
    write_config(
        tmp_path,
        '[settings]\nquote_source = "quotes.csv"\ndatabase = "m.db"\n'
        '[watchlist]\n"chips" = ["NVDA"]\n',
    )
    result = run_monitor(tmp_path, "--config", "watchlist.toml", "once")
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert lines[0].startswith("monitor: ") and str(tmp_path / "quotes.csv") in lines[0]
    assert message in lines[0]


SHENZHEN_AND_NEW_YORK = HEADER + (
    "2025-01-27T14:55:00+08:00,300766.SZ,12.00,10.00,10.50,12.00,10.40,1000,CNY\n"
    "2025-01-27T16:00:00-05:00,NVDA,118.42,142.62,124.80,128.40,116.70,818830900,USD\n"
)


@pytest.mark.parametrize(
    ("settings", "shenzhen", "new_york"),
    [
        # each row at its exchange's time and zone (Shanghai's "CST" is not Chicago's),
        # dated when it is not the recording's "today" there
        ("", "2025-01-27 14:55 +08", "  16:00 EST"),
        ('times = "local"\ntime_zone = "Asia/Tokyo"', "2025-01-27 15:55 JST", "  06:00 JST"),
    ],
)
def test_once_prints_each_time_with_its_zone(
    tmp_path: Path, settings: str, shenzhen: str, new_york: str
) -> None:
    (tmp_path / "quotes.csv").write_text(SHENZHEN_AND_NEW_YORK, encoding="utf-8")
    write_config(
        tmp_path,
        f'[settings]\nquote_source = "quotes.csv"\ndatabase = "m.db"\n{settings}\n'
        '[watchlist]\n"mixed" = ["300766.SZ", "NVDA"]\n',
    )
    result = run_monitor(tmp_path, "--config", "watchlist.toml", "once")
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert rows["300766.SZ"].endswith(shenzhen), rows
    assert rows["NVDA"].endswith(new_york), rows
    assert not any(word.endswith("Z") for word in rows["300766.SZ"].split()[1:])
