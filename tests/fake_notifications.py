"""A small org.freedesktop.Notifications service that records what it is sent.

Run on a (private) session bus:

    python tests/fake_notifications.py --record FILE [--stall SECONDS]

Each Notify call is appended to FILE as one JSON line (app_name, summary, body, icon,
actions, urgency, expire_timeout).  With ``--stall`` Notify sleeps before answering, as
a wedged notification daemon does.  Prints "ready" on stdout once it owns the name.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Annotated, Any

from dbus_fast import BusType, NameFlag, RequestNameReply
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusDict, DBusSignature, DBusStr, DBusUInt32
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"

StrList = Annotated[list[str], DBusSignature("as")]
Int32 = Annotated[int, DBusSignature("i")]


class Notifications(ServiceInterface):
    def __init__(self, record: Path | None, stall: float = 0.0) -> None:
        super().__init__(NAME)
        self.record = record
        self.stall = stall
        self.calls: list[dict[str, Any]] = []
        self._next_id = 0

    @dbus_method()
    async def Notify(  # noqa: N802 - D-Bus member names
        self,
        app_name: DBusStr,
        replaces_id: DBusUInt32,
        app_icon: DBusStr,
        summary: DBusStr,
        body: DBusStr,
        actions: StrList,
        hints: DBusDict,
        expire_timeout: Int32,
    ) -> DBusUInt32:
        if self.stall:
            await asyncio.sleep(self.stall)
        self._next_id += 1
        urgency = hints.get("urgency")
        self._write(
            {
                "id": self._next_id,
                "app_name": app_name,
                "app_icon": app_icon,
                "summary": summary,
                "body": body,
                "actions": actions,
                "urgency": urgency.value if urgency is not None else None,
                "expire_timeout": expire_timeout,
            }
        )
        return self._next_id

    @dbus_method()
    def GetCapabilities(self) -> StrList:  # noqa: N802
        return ["body", "body-markup", "actions"]

    @dbus_method()
    def GetServerInformation(  # noqa: N802
        self,
    ) -> Annotated[tuple[str, str, str, str], DBusSignature("ssss")]:
        return ["fake-notifications", "monitor tests", "1.0", "1.2"]

    @dbus_method()
    def CloseNotification(self, id: DBusUInt32):  # noqa: N802, A002 - no reply value
        self.NotificationClosed(id, 3)

    @dbus_signal()
    def NotificationClosed(  # noqa: N802
        self,
        id: DBusUInt32,
        reason: DBusUInt32,  # noqa: A002
    ) -> Annotated[list[int], DBusSignature("uu")]:
        return [id, reason]

    @dbus_signal()
    def ActionInvoked(  # noqa: N802
        self,
        id: DBusUInt32,
        action_key: DBusStr,  # noqa: A002
    ) -> Annotated[list[Any], DBusSignature("us")]:
        return [id, action_key]

    def _write(self, call: dict[str, Any]) -> None:
        self.calls.append(call)
        if self.record is not None:
            with self.record.open("a", encoding="utf-8") as f:
                f.write(json.dumps(call) + "\n")


async def _own_name(bus: MessageBus, patience: float = 5.0) -> None:
    """Own the name, waiting a little for a previous instance to let go of it."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + patience
    while True:
        reply = await bus.request_name(NAME, NameFlag.DO_NOT_QUEUE)
        if reply in (RequestNameReply.PRIMARY_OWNER, RequestNameReply.ALREADY_OWNER):
            return
        if loop.time() > give_up:
            raise SystemExit(f"{NAME} is owned by another process")
        await asyncio.sleep(0.05)


async def serve(record: Path | None, stall: float) -> None:
    # When started by bus activation the daemon says where it is in DBUS_STARTER_ADDRESS.
    address = os.environ.get("DBUS_STARTER_ADDRESS")
    bus = MessageBus(bus_address=address) if address else MessageBus(bus_type=BusType.SESSION)
    await bus.connect()
    bus.export(PATH, Notifications(record, stall))
    await _own_name(bus)
    print("ready", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    disconnected = asyncio.ensure_future(bus.wait_for_disconnect())
    stopped = asyncio.ensure_future(stop.wait())
    await asyncio.wait({disconnected, stopped}, return_when=asyncio.FIRST_COMPLETED)
    stopped.cancel()
    if disconnected.done():
        disconnected.exception()  # the bus went away first (EOFError): that is the end
    else:
        bus.disconnect()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--record", type=Path, help="append each Notify call here (JSON lines)")
    parser.add_argument("--stall", type=float, default=0.0, help="seconds to wait in Notify")
    args = parser.parse_args(argv)
    asyncio.run(serve(args.record, args.stall))
    return 0


if __name__ == "__main__":
    sys.exit(main())
