"""Done-when checks of the live quote path, end to end against the fake on 127.0.0.1:

- the real ``monitor once --json`` prints every symbol's price with fc.yahoo.com
  unreachable, with getcrumb answering 429, and behind the EU consent flow;
- 75 s of a headless monitor on 3 symbols at ``quotes_every = "30s"`` costs at most a
  dozen HTTP requests, also while Yahoo refuses the crumb.  The engine is the one
  ``monitor run --headless`` runs; its polls are driven on the injectable clock (at
  0, 30 and 60 s: what its 30 s schedule does in 75 s) instead of waiting 75 s.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.clock import ManualClock
from monitor.engine import Engine
from monitor.model import Status
from monitor.quotes.yahoo_live import YahooLiveQuotes
from tests.cli_helpers import ROOT, isolated_env, json_lines, write_config
from tests.fake_yahoo import FakeYahoo, fake_async_session
from tests.faults.kit import loaded_config

SYMBOLS = ["NVDA", "^SOX", "BTC-USD"]
CONFIG = """
[settings]
quotes_every = "30s"
database = "monitor.db"

[watchlist]
main = ["NVDA", "^SOX", "BTC-USD"]
"""
#: runs the real command line with the live source's sessions sent to the fake
BOOT = (
    "import json, os, sys, types\n"
    "from tests.fake_yahoo import route_live_quotes\n"
    "route_live_quotes(types.SimpleNamespace(**json.loads(os.environ['FAKE_YAHOO'])))\n"
    "from monitor.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def serve_three(fake: FakeYahoo, now: datetime) -> None:
    fake.set_quote("NVDA", price=118.42, prev_close=142.62, time=now)
    fake.set_quote("^SOX", price=4853.24, prev_close=5341.94, time=now, zero_placeholders=True)
    fake.set_quote("BTC-USD", price=101_000.0, prev_close=100_000.0, time=now)


def monitor_once(fake: FakeYahoo, tmp: Path) -> subprocess.CompletedProcess[str]:
    cfg = write_config(tmp, CONFIG)
    env = isolated_env(tmp)
    env["FAKE_YAHOO"] = json.dumps(
        {"base_url": fake.base_url, "unreachable_hosts": sorted(fake.unreachable_hosts)}
    )
    return subprocess.run(
        [sys.executable, "-c", BOOT, "once", "--json", "--config", str(cfg)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("trouble", ["fc.yahoo.com unreachable", "getcrumb 429", "EU consent"])
def test_monitor_once_prints_every_price(fake, tmp_path, trouble):
    serve_three(fake, datetime.now(UTC))
    if trouble == "fc.yahoo.com unreachable":
        fake.unreachable_hosts.add("fc.yahoo.com")
    elif trouble == "getcrumb 429":
        fake.crumb_mode = "429"
    else:
        fake.consent_required = True

    result = monitor_once(fake, tmp_path)

    assert result.returncode == 0, result.stderr
    lines = json_lines(result.stdout)
    quotes = {q["symbol"]: q for q in lines if q["type"] == "quote"}
    assert {s: quotes[s]["price"] for s in SYMBOLS} == {
        "NVDA": 118.42,
        "^SOX": 4853.24,
        "BTC-USD": 101_000.0,
    }
    assert quotes["^SOX"]["high"] is None  # Yahoo's 0 placeholder is not a price
    source = next(s for s in lines if s["type"] == "source" and s["kind"] == "quotes")
    assert source["status"] == "ok"
    if trouble == "getcrumb 429":
        assert "per-symbol charts" in source["error"] and fake.requests["quote"] == 0
    else:
        assert source["error"] is None and fake.requests["quote"] == 1
    assert "Traceback" not in result.stderr


async def run_75_seconds(fake: FakeYahoo, tmp_path: Path) -> tuple[Engine, Any]:
    """The headless engine for 75 s of its clock: polls at 0, 30 and 60 s."""
    start = datetime(2025, 1, 27, 20, 0, tzinfo=UTC)  # 15:00 in New York
    clock = ManualClock(start)
    serve_three(fake, start)
    source = YahooLiveQuotes(
        clock=clock,
        cache_dir=tmp_path / "cache",
        live_session_factory=lambda cookies: fake_async_session(fake, cookies),
        quotes_every=30,
    )
    engine = Engine(
        loaded_config(tmp_path, CONFIG),
        clock=clock,
        quote_source=source,
        database=tmp_path / "m.db",
        notify=False,
    )
    await engine.start()
    engine.pause()  # the test drives the 30 s schedule itself, on the engine's clock
    try:
        for step in (30, 30, 15):  # polls at 0, 30 and 60 s; the run ends at 75 s
            await engine.poll_quotes()
            clock.advance(step)
    finally:
        await engine.stop()
    return engine, source


@pytest.mark.parametrize("yahoo", ["answers", "getcrumb 429", "refuses every crumb"])
async def test_75_seconds_on_3_symbols_cost_at_most_a_dozen_requests(fake, tmp_path, yahoo):
    fake.crumb_mode = "429" if yahoo == "getcrumb 429" else "ok"
    fake.refuse_crumbs = yahoo == "refuses every crumb"

    engine, source = await run_75_seconds(fake, tmp_path)

    quotes = engine.quotes()
    assert all(quotes[s].price is not None and quotes[s].usable for s in SYMBOLS), quotes
    assert fake.total == source.requests_sent  # nothing failed to connect
    print(f"\n{yahoo}: {fake.total} requests in 75 s: {dict(fake.requests)}")
    assert fake.total <= 12, dict(fake.requests)
    if yahoo != "answers":
        status = next(s for s in engine.sources() if s.kind == "quotes")
        assert status.status is Status.OK and "per-symbol charts" in (status.error or "")
