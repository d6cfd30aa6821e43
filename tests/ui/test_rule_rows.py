"""The rules table's kept cells and columns (``alert_rows.RuleRows``) read as cells and
columns made anew would, through any run of states."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from monitor.model import RuleState, RuleStatus
from monitor.ui.widgets.alert_rows import RuleRows, rule_cells, rules_layout
from monitor.ui.widgets.quote_cells import cell_key

NAMES = ["sox-drop", "nvda-drop", "DeepSeek news while NVDA falls", "chip rout", "x"]
START = datetime(2025, 1, 27, 14, 30, tzinfo=UTC)


def _state(rng: random.Random, name: str, at: datetime) -> RuleState:
    status = rng.choice(list(RuleStatus))
    dated = status in (RuleStatus.FIRED, RuleStatus.COOLING, RuleStatus.SNOOZED)
    return RuleState(
        name=name,
        when=rng.choice(["^SOX day% <= -5", "NVDA price < 120", "news 'DeepSeek' within 2h"]),
        status=status,
        value=rng.choice([None, -5.1, -12.25, 118.4, rng.uniform(-20, 200)]),
        threshold=rng.choice([None, -5.0, 120.0]),
        why=rng.choice([None, "^SOX: stale quote", "no quote yet"]),
        fired_at=at - timedelta(minutes=rng.randint(0, 600)) if dated else None,
        until=at + timedelta(minutes=rng.randint(1, 90)) if dated else None,
        level=rng.choice([None, 0, 2]),
        symbol=rng.choice([None, "NVDA", "^SOX"]),
    )


def test_kept_cells_and_columns_read_as_ones_made_anew() -> None:
    rng = random.Random(14)
    rows = RuleRows()
    at = START
    reused = 0
    last: dict[str, dict[str, object]] = {}  # each rule's cells as last made
    for step in range(400):
        at += timedelta(hours=rng.choice([0, 0, 1, 13]))  # days pass: times are dated

        def stamp(time: datetime | None, symbol: str | None, now: datetime = at) -> str:
            assert time is not None
            day = "" if time.date() == now.date() else f"{time:%Y-%m-%d} "
            return f"{day}{time:%H:%M} UTC"

        names = rng.sample(NAMES, rng.randint(1, len(NAMES)))
        states = [_state(rng, n, at) if rng.random() < 0.6 else None for n in names]
        cells = []
        for name, state in zip(names, states, strict=True):
            if state is None:  # the same state again, or one the table has not seen
                state = _state(rng, name, at)
            made = rows.cells(state, stamp)
            expected = rule_cells(state, stamp)
            assert {c: cell_key(t) for c, t in made.items()} == {
                c: cell_key(t) for c, t in expected.items()
            }, (step, state)
            assert [(t.justify, t.overflow, t.no_wrap) for t in made.values()] == [
                (t.justify, t.overflow, t.no_wrap) for t in expected.values()
            ]
            if name in last:
                reused += sum(made[c] is last[name][c] for c in made)
            last[name] = dict(made)
            cells.append(made)
        room = rng.choice([40, 60, 90, 140])
        assert rows.layout(cells, room) == rules_layout(cells, room), step
    assert reused > 200, "cells that read the same are the same objects"
