"""Loopback servers in their own process, so their CPU is never counted as the monitor's.

Reuses the test servers (tests/feedserver.py, tests/fake_yahoo.py) unchanged.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def _serve_feeds(conn: Any, bodies: dict[str, bytes], delay: float) -> None:
    from tests.feedserver import FeedServer

    server = FeedServer().start()
    for path, body in bodies.items():
        server.serve(path, body, delay=delay)
    conn.send(server.port)
    try:
        while True:
            msg = conn.recv()
            if msg == "stop":
                break
            if msg == "hits":
                conn.send(len(server.requests))
            elif isinstance(msg, tuple) and msg[0] == "serve":
                server.serve(msg[1], msg[2], delay=delay)
    finally:
        server.stop()


@contextmanager
def feed_server_process(bodies: dict[str, bytes], delay: float = 0.0) -> Iterator[Any]:
    """A FeedServer in a child process serving ``bodies`` by path; yields its base URL."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve_feeds, args=(child, bodies, delay), daemon=True)
    proc.start()
    try:
        if not parent.poll(30):
            raise RuntimeError("feed server did not start")
        port = parent.recv()
        yield _Handle(f"http://127.0.0.1:{port}", parent)
    finally:
        try:
            parent.send("stop")
        except (BrokenPipeError, OSError):
            pass
        proc.join(5)
        if proc.is_alive():
            proc.kill()


class _Handle:
    def __init__(self, base: str, conn: Any) -> None:
        self.base = base
        self._conn = conn

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, body: bytes) -> None:
        self._conn.send(("serve", path, body))

    def hits(self) -> int:
        self._conn.send("hits")
        return int(self._conn.recv())
