"""Notification channels: desktop (D-Bus), a local command, a webhook; and the dispatcher.

Every channel has ``async send(alert) -> bool``: it never raises, is bounded by its own
timeout, and keeps the reason of its last failure in ``last_error`` (one line a person
can read, naming the channel, never a secret such as a webhook token).

The "terminal" channel is not here: the engine emits an ``AlertEvent`` for the CLI/UI.

Alert text was sanitized on ingest; it is cleaned again here because a notification is
another edge where text leaves the program (a desktop shell renders a small HTML subset,
Slack renders ``<url|text>`` links).  The cleaning itself is ``monitor.text``
with ``html=False`` (the text is already plain: a ``<b>`` in it is literal text, to be
shown, not stripped); escaping for a markup-rendering receiver is done here.
"""

from __future__ import annotations

import asyncio
import html as _html
from collections.abc import Coroutine
from typing import Any, Protocol, TypeVar, runtime_checkable

from monitor.model import Alert
from monitor.text import clean_multiline
from monitor.text import clean_text as clean_line

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


def clean_text(text: str, html: bool = False) -> str:
    """Plain, safe text (line breaks kept): no escape sequences, controls, bidi
    overrides or invisible characters; tags in it are text, not markup.

    With ``html=True`` the result is escaped for the freedesktop body markup subset
    (``<``, ``>``, ``&``), so ``<b>`` or ``<a href=...>`` in a headline shows literally.
    """
    plain = clean_multiline(text, html=False)
    return _html.escape(plain, quote=False) if html else plain


def one_line(text: str) -> str:
    """Clean text on one line (titles, summaries)."""
    return clean_line(text, html=False)


def clean_json(value: Any) -> Any:
    """``value`` with every string in it cleaned (a JSON payload leaving the program)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_json(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def alert_payload(alert: Alert) -> dict[str, Any]:
    """The alert as JSON for programs and webhooks (``Alert.to_json``, strings cleaned)."""
    payload: dict[str, Any] = clean_json(alert.to_json())
    return payload


__all__ = [
    "COMMAND",
    "DESKTOP",
    "TERMINAL",
    "WEBHOOK",
    "Channel",
    "alert_payload",
    "clean_json",
    "clean_text",
    "one_line",
    "run_bounded",
]
