"""Desktop notifications through ``desktop-notifier`` (D-Bus on Linux).

desktop-notifier never raises: with no session bus or no notification service it logs a
warning and returns.  So on Linux we look for the service ourselves before each send
until one has worked, and count a send as delivered only when desktop-notifier calls
the notification's ``on_dispatched`` (it does so only after the server answered).

A notification service can stall (a wedged shell, a daemon waiting on something).  Each
send is one task bounded by ``timeout``; on timeout it is cancelled and never awaited
again, so a stalled service costs at most ``timeout`` seconds of a background task.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable
from typing import Any

from monitor.model import Alert, Severity
from monitor.notify.channel import run_bounded
from monitor.notify.payload import clean_text
from monitor.text import one_line

log = logging.getLogger(__name__)

SERVICE = "org.freedesktop.Notifications"
APP_NAME = "monitor"
NO_BUS = "no D-Bus session bus"
NO_SERVICE = "no notification service on the session bus"

SEVERITY_LABEL = {"info": "ℹ Info", "warning": "⚠ Warning", "critical": "‼ Critical"}
SEVERITY_ICON = {"info": "dialog-information", "warning": "dialog-warning"}


def notification_title(alert: Alert) -> str:
    label = SEVERITY_LABEL.get(alert.severity, alert.severity.capitalize())
    return one_line(f"{label}: {alert.rule}")


def notification_body(alert: Alert) -> str:
    """The message and the first headline, escaped for the freedesktop markup subset."""
    lines = [clean_text(alert.message)]
    headline = _first_headline(alert)
    if headline:
        lines.append(headline)
    return clean_text("\n".join(lines), html=True)


def _first_headline(alert: Alert) -> str | None:
    for item in alert.headlines:
        title = one_line(str(item.get("title") or ""))
        if title:
            source = one_line(str(item.get("source") or ""))
            return f"{title} ({source})" if source else title
    return None


async def available(timeout: float = 5.0) -> tuple[bool, str]:
    """(True, "") when desktop notifications can be shown, else (False, why).

    On Linux: the session bus is reachable and org.freedesktop.Notifications has an
    owner or can be activated.  Elsewhere desktop-notifier is trusted.
    """
    if sys.platform != "linux":
        return True, ""
    return await session_bus_status(timeout)


async def session_bus_status(timeout: float = 5.0) -> tuple[bool, str]:
    """Whether the session bus is reachable and the notification service is there."""
    from dbus_fast import BusType, Message, MessageType
    from dbus_fast.aio import MessageBus

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False, NO_BUS
    try:
        bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SESSION).connect(), timeout)
    except Exception as exc:  # OSError, TimeoutError, or dbus-fast's own auth/address errors
        log.debug("session bus not reachable: %r", exc)
        return False, NO_BUS
    try:

        async def ask(member: str, signature: str = "", body: list[Any] | None = None) -> Any:
            reply = await bus.call(
                Message(
                    destination="org.freedesktop.DBus",
                    path="/org/freedesktop/DBus",
                    interface="org.freedesktop.DBus",
                    member=member,
                    signature=signature,
                    body=body or [],
                )
            )
            if reply is None or reply.message_type != MessageType.METHOD_RETURN:
                return None
            return reply.body[0]

        async def probe() -> bool:
            if await ask("NameHasOwner", "s", [SERVICE]):
                return True
            return SERVICE in (await ask("ListActivatableNames") or [])

        found = await asyncio.wait_for(probe(), timeout)
    except Exception as exc:  # a timeout or a broken connection: no usable bus either way
        log.debug("session bus did not answer: %r", exc)
        return False, NO_BUS
    finally:
        bus.disconnect()
    return (True, "") if found else (False, NO_SERVICE)


class DesktopNotifier:
    """Sends alerts as desktop notifications; ``send`` returns False instead of raising.

    ``notice`` holds "desktop notifications unavailable: WHY" while sends fail;
    ``on_unavailable(message)`` is called once per run of failures (again only after a
    send has worked in between).
    """

    def __init__(
        self,
        *,
        timeout: float = 5.0,
        on_unavailable: Callable[[str], None] | None = None,
        app_name: str = APP_NAME,
    ) -> None:
        self.timeout = timeout
        # The longest one send can take (read by the dispatcher).  A second more than
        # our own bound: were both equal, the dispatcher could cancel the send first and
        # the "unavailable" notice, which only the send gives, would never be said.
        self.deadline = timeout + 1.0
        self.on_unavailable = on_unavailable
        self.app_name = app_name
        self.notice: str | None = None
        self.last_error: str | None = None
        self._notifier: Any = None  # desktop_notifier.DesktopNotifier, made lazily
        self._service_seen = False

    async def available(self) -> tuple[bool, str]:
        """(True, "") when notifications can be shown, else (False, why)."""
        return await available(self.timeout)

    async def send(self, alert: Alert) -> bool:
        task = await run_bounded(self._deliver(alert), self.timeout)
        if task is None:
            self._drop_notifier()
            return self._failed(f"notification service did not answer within {self.timeout:g} s")
        error = task.exception()
        if error is not None:
            self._drop_notifier()
            return self._failed(f"{type(error).__name__}: {error}")
        why = task.result()
        return self._succeeded() if why is None else self._failed(why)

    async def _deliver(self, alert: Alert) -> str | None:
        """None when the server took the notification, else why not."""
        if not self._service_seen:
            ok, why = await self.available()
            if not ok:
                return why
        from desktop_notifier import Icon, Notification, Urgency

        dispatched = asyncio.Event()
        critical = alert.severity == Severity.CRITICAL
        notification = Notification(
            title=notification_title(alert),
            message=notification_body(alert),
            urgency=Urgency.Critical if critical else Urgency.Normal,
            icon=Icon(name=SEVERITY_ICON.get(alert.severity, "dialog-error")),
            on_dispatched=dispatched.set,
        )
        await self._notifier_instance().send_notification(notification)
        if not dispatched.is_set():
            self._drop_notifier()
            # desktop-notifier logged the reason (a D-Bus error) and carried on.
            return "the notification was not delivered (see the log)"
        return None

    def _notifier_instance(self) -> Any:
        if self._notifier is None:
            from desktop_notifier import DesktopNotifier as Backend

            self._notifier = Backend(app_name=self.app_name, app_icon=None)
        return self._notifier

    def _drop_notifier(self) -> None:
        """Forget the backend so the next send reconnects (the service may be back)."""
        notifier, self._notifier = self._notifier, None
        self._service_seen = False
        # desktop-notifier keeps its bus connection on the backend and has no close();
        # disconnect it here or every failed send would leak a socket.
        bus = getattr(getattr(notifier, "_backend", None), "bus", None)
        if bus is not None:
            try:
                bus.disconnect()
            except Exception:  # already gone
                log.debug("closing the notification bus failed", exc_info=True)

    def _succeeded(self) -> bool:
        self._service_seen = True
        self.notice = self.last_error = None
        return True

    def _failed(self, why: str) -> bool:
        message = f"desktop notifications unavailable: {why}"
        self.last_error = message
        if self.notice is None:
            self.notice = message
            log.warning("%s", message)
            if self.on_unavailable is not None:
                try:
                    self.on_unavailable(message)
                except Exception:  # a broken listener must not make send raise
                    log.exception("on_unavailable failed")
        return False


#: The name the engine wires; the same class.
DesktopChannel = DesktopNotifier
