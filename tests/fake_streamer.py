"""Yahoo's price streamer on 127.0.0.1, for tests and benchmarks.

Frames are encoded with yfinance's own generated ``pricing_pb2`` (a test-only import),
so the app's hand-described decoder is checked against an independent description of
the wire format.  Like the real streamer it takes JSON ``{"subscribe": [...]}`` /
``{"unsubscribe": [...]}`` text messages and sends ``{"type": "pricing", "message":
"<base64 PricingData>"}`` frames; it ignores anything else a client says.
"""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import datetime
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve


def pricing_bytes(symbol: str, price: float, time: datetime | int | None, **fields: Any) -> bytes:
    """One ``PricingData`` message encoded by yfinance's generated class (``time`` an
    aware datetime, or raw epoch milliseconds)."""
    from yfinance.pricing_pb2 import PricingData

    message = PricingData(id=symbol, price=price, **fields)
    if isinstance(time, datetime):
        message.time = int(time.timestamp() * 1000)
    elif time is not None:
        message.time = time
    return bytes(message.SerializeToString())


def price_frame(symbol: str, price: float, time: datetime | int | None, **fields: Any) -> str:
    """A text frame as the streamer sends it (``market_hours`` defaults to regular)."""
    fields.setdefault("market_hours", 1)
    payload = base64.b64encode(pricing_bytes(symbol, price, time, **fields)).decode()
    return json.dumps({"type": "pricing", "message": payload})


class FakeStreamer:
    """``async with FakeStreamer() as s``: ``s.url``, ``s.send(frame)``, ``s.drop()``."""

    def __init__(self) -> None:
        self.url = ""
        self.connections = 0
        self.subscriptions: list[list[str]] = []
        self.unsubscriptions: list[list[str]] = []
        self.subscribed_on: set[int] = set()  # connection numbers that subscribed
        self._open: set[ServerConnection] = set()
        self._server: Server | None = None
        self._subscribed = asyncio.Condition()

    async def __aenter__(self) -> FakeStreamer:
        self._server = await serve(self._handler, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/?version=2"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()

    async def _handler(self, ws: ServerConnection) -> None:
        self.connections += 1
        number = self.connections
        self._open.add(ws)
        try:
            async for text in ws:
                try:
                    request = json.loads(text)
                except ValueError:
                    continue
                if not isinstance(request, dict):
                    continue
                if isinstance(request.get("subscribe"), list):
                    async with self._subscribed:
                        self.subscriptions.append(request["subscribe"])
                        self.subscribed_on.add(number)
                        self._subscribed.notify_all()
                if isinstance(request.get("unsubscribe"), list):
                    self.unsubscriptions.append(request["unsubscribe"])
        except Exception:
            pass  # a client that went away
        finally:
            self._open.discard(ws)

    async def wait_subscribed(self, connection: int = 1, timeout: float = 10.0) -> None:
        """Until connection number ``connection`` (1-based) has subscribed."""

        async def until() -> None:
            async with self._subscribed:
                await self._subscribed.wait_for(lambda: connection in self.subscribed_on)

        await asyncio.wait_for(until(), timeout)

    async def send(self, frame: str | bytes) -> None:
        """Send one frame to every open connection."""
        for ws in list(self._open):
            await ws.send(frame)

    async def drop(self) -> None:
        """Close every open connection (the client must reconnect)."""
        for ws in list(self._open):
            await ws.close()
