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
