"""Replay context from the replayed rows: `monitor replay` over ^SOX's real daily closes
of 2016-07 .. 2025-01 (tests/data/quotes/sox-daily-2016-2025.csv, source in its header)
says "largest one-day drop since 2020-03-18" on 2025-01-27, whatever the replay's length,
from the rows alone or from `--history` alone, and never from a session on or after the
alert's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import json_lines, run_monitor, write_config

SOX = Path(__file__).parent / "data" / "quotes" / "sox-daily-2016-2025.csv"
CONFIG = """
[settings]
notify = ["terminal"]
[watchlist]
chips = ["^SOX"]
[[alerts]]
name = "SOX selloff"
when = "^SOX day% <= -5"
"""
SINCE = "largest one-day drop since 2020-03-18"


def _rows(first: str = "", last: str = "9999") -> str:
    """The recorded rows whose date lies in [first, last], with the header."""
    lines = SOX.read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("time,"))
    rows = [line for line in lines if line[:1].isdigit() and first <= line[:10] <= last]
    return "\n".join([header, *rows]) + "\n"


def _history(last: str) -> str:
    """The same closes as a daily-history file (date,symbol,open,high,low,close,volume)."""
    out = ["date,symbol,open,high,low,close,volume"]
    for line in _rows(last=last).splitlines()[1:]:
        time, symbol, price, _prev = line.split(",")
        out.append(f"{time[:10]},{symbol},,,,{price},")
    return "\n".join(out) + "\n"


def _replay(tmp: Path, quotes: str, *extra: str) -> list[dict[str, object]]:
    (tmp / "quotes.csv").write_text(quotes, encoding="utf-8")
    cfg = write_config(tmp, CONFIG)
    done = run_monitor(tmp, "replay", "quotes.csv", "--json", "--config", str(cfg), *extra)
    assert done.returncode == 0, done.stderr
    return [x for x in json_lines(done.stdout) if x["type"] == "alert"]


def _on(alerts: list[dict[str, object]], day: str) -> dict[str, object]:
    (alert,) = [a for a in alerts if str(a["time"]).startswith(day)]
    return alert


def test_a_long_replay_names_2020_03_18_from_the_replayed_rows(tmp_path: Path) -> None:
    alerts = _replay(tmp_path, _rows())

    jan27 = _on(alerts, "2025-01-27")
    assert SINCE in str(jan27["message"])
    assert jan27["context"]["largest_since"] == SINCE  # type: ignore[index]
    # earlier alerts of the same replay read only their own past: 2020-03-16 (-15.9 %)
    # is the largest drop of the file so far, 2020-03-18 (-9.79 %) the largest since it
    assert "largest one-day drop on record in history (since 2016-07-28)" in str(
        _on(alerts, "2020-03-16")["message"]
    )
    assert "largest one-day drop since 2020-03-16" in str(_on(alerts, "2020-03-18")["message"])


def test_a_replay_cut_to_january_2025_reads_the_same_from_history(tmp_path: Path) -> None:
    (tmp_path / "history.csv").write_text(_history(last="2024-12-31"), encoding="utf-8")
    alerts = _replay(tmp_path, _rows(first="2025-01-02"), "--history", "history.csv")
    assert SINCE in str(_on(alerts, "2025-01-27")["message"])


@pytest.mark.parametrize("history_until", ["2025-01-28", "2025-01-27"])
def test_history_on_or_after_the_alerts_session_is_never_used(
    tmp_path: Path, history_until: str
) -> None:
    """A history file that runs past the alert (as a download made later does) adds
    nothing on or after the alert's session: 2025-01-27's own -9.15 % is not "since"."""
    (tmp_path / "history.csv").write_text(_history(last=history_until), encoding="utf-8")
    alerts = _replay(tmp_path, _rows(first="2025-01-27"), "--history", "history.csv")
    assert SINCE in str(_on(alerts, "2025-01-27")["message"])


def test_a_long_replay_joins_history_before_it_to_its_own_rows(tmp_path: Path) -> None:
    (tmp_path / "history.csv").write_text(_history(last="2018-12-31"), encoding="utf-8")
    alerts = _replay(tmp_path, _rows(first="2019-01-02"), "--history", "history.csv")

    assert "on record in history (since 2016-07-28)" in str(_on(alerts, "2020-03-16")["message"])
    assert SINCE in str(_on(alerts, "2025-01-27")["message"])
