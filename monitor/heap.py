"""The cyclic garbage collector paused over a burst of allocation.

A poll's parse, match and write build tens of thousands of small objects (entries,
keys, rows, headlines) that live until the poll is stored: reference counting frees
them, while the cyclic collector, triggered by their number, would walk the growing
pile again and again, and the whole heap in a full pass (a sixth of a write's time, a
few per cent of a parse's).  Paused, it runs once after, on what is left.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """No cyclic collection inside the block; the collector is on again after it (if it
    was on before: a pause inside another pause leaves it to the outer one)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
