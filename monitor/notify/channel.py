"""What every notification channel shares: its protocol, the channel names, a bound.

Every channel has ``async send(alert) -> bool``: it never raises, is bounded by its own
timeout, and keeps the reason of its last failure in ``last_error`` (one line a person
can read, naming the channel, never a secret such as a webhook token).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

from monitor.model import Alert

TERMINAL = "terminal"
DESKTOP = "desktop"
COMMAND = "command"
WEBHOOK = "webhook"


@runtime_checkable
class Channel(Protocol):
    """Where alerts go.  ``send`` returns False on failure and never raises."""

    async def send(self, alert: Alert) -> bool: ...


T = TypeVar("T")


async def run_bounded(work: Coroutine[Any, Any, T], seconds: float) -> asyncio.Task[T] | None:
    """Run ``work`` as a task for at most ``seconds``: the finished task, or None.

    Unlike ``asyncio.wait_for`` this never waits for a timed-out call to wind down: the
    task is cancelled and left to finish on its own, so a stalled peer cannot hold up
    the caller past ``seconds``.  Cancelling the caller cancels the work too.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait({task}, timeout=seconds)
    finally:
        if not task.done():
            task.cancel()
            task.add_done_callback(_consume)
    return task if task.done() and not task.cancelled() else None


def _consume(task: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned task's outcome so asyncio does not log it as lost."""
    if not task.cancelled():
        task.exception()
