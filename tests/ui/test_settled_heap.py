"""Once the app holds its data, what lives as long as the app is left out of the
garbage collector's passes, and the passes are set for a moving market's lines."""

from __future__ import annotations

import gc

from monitor.ui.app import MIDDLE_PASSES, YOUNG_OBJECTS
from tests.ui.test_app import make_app, ready


async def test_the_heap_is_settled_after_start_up() -> None:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        app, _ = make_app()
        async with app.run_test(size=(120, 32)) as pilot:
            await ready(pilot, app)
            await pilot.pause()
            settled = gc.get_threshold()
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert settled[:2] == (YOUNG_OBJECTS, MIDDLE_PASSES) == (3_000, 2)
    assert frozen > 10_000, "the objects of the started app are out of the passes"
