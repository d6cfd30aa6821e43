"""A quote batch waits for no store write: its alerts and rule state are handed to the
store thread, in order; an alert is announced once stored (with its id); a read asked
for after the batch sees what it wrote; nothing handed on is lost at stop."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path

from monitor.clock import ManualClock
from monitor.config import LoadedConfig
from monitor.engine import Engine
from monitor.events import AlertEvent
from monitor.store import Store, StoreWorker
from tests.test_engine import SOX_RULE, T27, _batch, _loaded

FALL = (4853.24, 5341.94, 118.42, 142.62)  # ^SOX -9.1%: the SOX rule fires


async def _opened(loaded: LoadedConfig, now: datetime) -> tuple[Engine, list[object]]:
    """An opened engine on the manual clock, and the events it emits."""
    engine = Engine(loaded, clock=ManualClock(now))
    events: list[object] = []
    engine.subscribe(events.append)
    await engine.open()
    return engine, events


async def test_a_batch_that_fires_returns_while_the_store_is_busy(tmp_path: Path) -> None:
    engine, events = await _opened(_loaded(tmp_path, rules=SOX_RULE), T27)
    gate = threading.Event()
    try:
        busy = asyncio.ensure_future(engine.store.read(lambda s: gate.wait(30)))
        await asyncio.sleep(0.01)  # the store thread is held by that read from now on
        update = asyncio.ensure_future(engine.process_batch(_batch(T27, *FALL)))
        done, _ = await asyncio.wait({update}, timeout=20)  # a guard, not a measure
        returned_while_busy = not busy.done()
        announced_while_busy = [e for e in events if isinstance(e, AlertEvent)]
        states_while_busy = [s.status.value for s in engine.rule_states()]
        gate.set()
        await busy
        await engine.written()
        alerts = [e.alert for e in events if isinstance(e, AlertEvent)]
        log = await engine.alert_log()
    finally:
        gate.set()
        await engine.stop()
    assert done == {update} and returned_while_busy, "the batch did not wait for the store"
    assert states_while_busy == ["fired"], "the rules show it at once"
    assert announced_while_busy == [], "an alert is announced once it is stored"
    assert [a.rule for a in alerts] == ["SOX selloff"]
    assert alerts[0].id is not None and [a.id for a in log] == [alerts[0].id]


async def test_a_read_after_a_batch_sees_its_alert_and_rule_state(tmp_path: Path) -> None:
    loaded = _loaded(tmp_path, rules=SOX_RULE)
    engine = Engine(loaded, clock=ManualClock(T27))
    await engine.open()
    try:
        await engine.process_batch(_batch(T27, *FALL))
        log = await engine.alert_log()  # no written(): the store thread keeps the order
        state = await engine.store.read(lambda s: s.get_rule_state())
    finally:
        await engine.stop()
    assert [a.rule for a in log] == ["SOX selloff"]
    assert state["rules"]["SOX selloff"]["fired"] is True
    again, events = await _opened(loaded, T27 + timedelta(seconds=30))
    try:
        await again.process_batch(_batch(T27 + timedelta(seconds=30), *FALL))
    finally:
        await again.stop()
    assert not [e for e in events if isinstance(e, AlertEvent)], "its state was stored"


async def test_stop_stores_and_announces_every_alert_handed_on(tmp_path: Path) -> None:
    engine, events = await _opened(_loaded(tmp_path, rules=SOX_RULE), T27)
    gate = threading.Event()
    busy = asyncio.ensure_future(engine.store.read(lambda s: gate.wait(30)))
    await asyncio.sleep(0.01)
    await engine.process_batch(_batch(T27, *FALL))
    asyncio.get_running_loop().call_later(0.05, gate.set)  # released while stopping
    await engine.stop()
    await busy
    with Store(tmp_path / "m.db") as store:
        stored = store.recent_alerts()
    assert [e.alert.rule for e in events if isinstance(e, AlertEvent)] == ["SOX selloff"]
    assert [a.rule for a in stored] == ["SOX selloff"]


async def test_writes_behind_land_in_the_order_they_were_handed_on(tmp_path: Path) -> None:
    worker = StoreWorker(lambda: Store(tmp_path / "m.db"))
    await worker.open()
    try:
        tasks = [worker.write_behind(lambda s, i=i: s.set_meta("n", str(i))) for i in range(1, 51)]
        seen = await worker.read(lambda s: s.get_meta("n"))  # asked for after all 50
        results = await asyncio.gather(*tasks)
    finally:
        await worker.close()
    assert seen == "50"
    assert results == [None] * 50
