"""A loopback HTTP server for feed tests and benchmarks (no pytest needed).

    with FeedServer() as server:
        server.serve("/rss", b"<rss>...</rss>", etag='"v1"')
        server.fail("/busy", 429, retry_after="120")
        server.sequence("/flaky", [failure(503, retry_after="1"), Reply(body=b"<rss/>")])
        url = server.url("/rss")
        ...
        assert server.hits("/rss") == 1

Routes are matched on the request path (with its query string first, then without).
Unknown paths get 404.  Every request is logged (``requests``) before it is answered.
Handlers that wait (delay, trickle, hang) watch a stop event, so ``stop()`` returns
quickly even while clients are still connected.
"""

from __future__ import annotations

import socket
import ssl
import sys
import threading
import time
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it; header names are lower-cased."""

    path: str
    headers: dict[str, str]
    method: str = "GET"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class Reply:
    """One response.  ``bytes_per_second`` trickles the body; ``hang`` never answers."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = RSS_TYPE
    etag: str | None = None
    last_modified: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0
    bytes_per_second: float | None = None
    hang: bool = False


def failure(status: int, retry_after: str | int | None = None, body: bytes = b"") -> Reply:
    headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
    return Reply(status=status, body=body, content_type="text/plain", headers=headers)


def moved(location: str, status: int = 301) -> Reply:
    return Reply(status=status, content_type=None, headers={"Location": location})


def gzipped(body: bytes, **kwargs: Any) -> Reply:
    headers = {**kwargs.pop("headers", {}), "Content-Encoding": "gzip"}
    return Reply(body=_gzip_compress([body]), headers=headers, **kwargs)


def _gzip_compress(parts: Iterable[bytes]) -> bytes:
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: gzip container
    out = [compressor.compress(part) for part in parts]
    out.append(compressor.flush())
    return b"".join(out)


_bombs: dict[int, bytes] = {}
_bombs_lock = threading.Lock()


def gzip_bomb_body(decoded_size: int) -> bytes:
    """Gzip of ``decoded_size`` zero bytes (~1000x smaller), built once per size."""
    with _bombs_lock:
        if decoded_size not in _bombs:
            block = 1 << 20
            sizes = [block] * (decoded_size // block) + [decoded_size % block]
            _bombs[decoded_size] = _gzip_compress(bytes(n) for n in sizes)
        return _bombs[decoded_size]


_RESERVED: list[socket.socket] = []


def unused_url(path: str = "/") -> str:
    """A loopback URL on a port nothing listens on (connection refused).

    The port stays bound, without listening, for the life of the process, so no other
    server (a parallel test run, say) can take it and answer."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    _RESERVED.append(probe)
    return f"http://127.0.0.1:{probe.getsockname()[1]}{path}"


class _Route:
    def __init__(self, replies: list[Reply]) -> None:
        if not replies:
            raise ValueError("a route needs at least one reply")
        self._replies = replies
        self._next = 0

    def take(self) -> Reply:
        reply = self._replies[min(self._next, len(self._replies) - 1)]
        self._next += 1
        return reply


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without this, http.server adds ~40 ms to each response (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._connections_add(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._connections_discard(self.connection)

    def do_GET(self) -> None:
        self.server.owner._answer(self, send_body=True)

    def do_HEAD(self) -> None:
        self.server.owner._answer(self, send_body=False)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # many feeds connect at once in benchmarks
    owner: FeedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # clients abort on purpose (deadline, size cap)
        super().handle_error(request, client_address)


class FeedServer:
    """ThreadingHTTPServer on 127.0.0.1, an OS-chosen port, with per-path routes."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self._tls = tls  # a server-side context: https on the same routes
        self._lock = threading.Lock()
        self._routes: dict[str, _Route] = {}
        self._requests: list[RequestRecord] = []
        self._connections: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> FeedServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _Server(("127.0.0.1", 0), _Handler)
        httpd.owner = self
        if self._tls is not None:
            httpd.socket = self._tls.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="feedserver",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:  # wake handlers blocked on keep-alive reads or writes
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FeedServer is not started")
        return self._httpd.server_address[1]

    def url(self, path: str = "/") -> str:
        scheme = "http" if self._tls is None else "https"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    # ---- routes ------------------------------------------------------------------------

    def sequence(self, path: str, replies: Iterable[Reply]) -> None:
        """Each request gets the next reply; the last one repeats."""
        with self._lock:
            self._routes[path] = _Route(list(replies))

    def serve(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str | None = RSS_TYPE,
        etag: str | None = None,
        last_modified: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Serve ``body`` at ``path``; call again to change it.  A matching
        If-None-Match (or If-Modified-Since, when no ETag is set) gets 304."""
        self.sequence(
            path,
            [Reply(status, body, content_type, etag, last_modified, dict(headers or {}), delay)],
        )

    def redirect(self, path: str, to_path: str, status: int = 301) -> None:
        self.sequence(path, [moved(to_path, status)])

    def fail(
        self, path: str, status: int, retry_after: str | int | None = None, body: bytes = b""
    ) -> None:
        self.sequence(path, [failure(status, retry_after, body)])

    def trickle(self, path: str, body: bytes, bytes_per_second: float = 1) -> None:
        self.sequence(path, [Reply(body=body, bytes_per_second=bytes_per_second)])

    def hang(self, path: str) -> None:
        """Read the request, then never answer (until the server stops)."""
        self.sequence(path, [Reply(hang=True)])

    def gzip(self, path: str, body: bytes) -> None:
        self.sequence(path, [gzipped(body)])

    def gzip_bomb(self, path: str, decoded_size: int = 200_000_000) -> None:
        body = gzip_bomb_body(decoded_size)
        self.sequence(path, [Reply(body=body, headers={"Content-Encoding": "gzip"})])

    # ---- request log -------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._requests)

    def hits(self, path: str) -> int:
        return sum(1 for r in self.requests if r.path == path)

    def clear_log(self) -> None:
        with self._lock:
            self._requests.clear()

    def wait_for_hits(self, path: str, count: int, timeout: float = 5.0) -> bool:
        """Wait (bounded) until ``path`` has been requested ``count`` times."""
        give_up = time.monotonic() + timeout
        while self.hits(path) < count:
            if time.monotonic() >= give_up:
                return False
            time.sleep(0.01)
        return True

    # ---- answering (runs on handler threads) -------------------------------------------

    def _connections_add(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.add(conn)

    def _connections_discard(self, conn: socket.socket) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _reply_for(self, handler: _Handler) -> Reply:
        record = RequestRecord(
            path=handler.path,
            headers={k.lower(): v for k, v in handler.headers.items()},
            method=handler.command,
        )
        bare = handler.path.split("?", 1)[0]
        with self._lock:
            self._requests.append(record)
            route = self._routes.get(handler.path) or self._routes.get(bare)
            if route is None:
                return failure(404, body=b"not found")
            return route.take()

    def _answer(self, handler: _Handler, *, send_body: bool) -> None:
        reply = self._reply_for(handler)
        if reply.hang or (reply.delay and self._stopping.wait(reply.delay)):
            self._stopping.wait()
            handler.close_connection = True
            return
        status, body = reply.status, reply.body
        if _not_modified(reply, handler):
            status, body = 304, b""
        try:
            self._send_head(handler, reply, status, len(body))
            if send_body and body:
                self._send_body(handler, body, reply.bytes_per_second)
        except (ConnectionError, TimeoutError):
            handler.close_connection = True

    def _send_head(self, handler: _Handler, reply: Reply, status: int, length: int) -> None:
        handler.send_response(status)
        if reply.content_type and status != 304:
            handler.send_header("Content-Type", reply.content_type)
        if reply.etag:
            handler.send_header("ETag", reply.etag)
        if reply.last_modified:
            handler.send_header("Last-Modified", reply.last_modified)
        for name, value in reply.headers.items():
            if not (status == 304 and name.lower() == "content-encoding"):
                handler.send_header(name, value)
        if status != 304:
            handler.send_header("Content-Length", str(length))
        handler.end_headers()
        handler.wfile.flush()

    def _send_body(self, handler: _Handler, body: bytes, bytes_per_second: float | None) -> None:
        if not bytes_per_second:
            handler.wfile.write(body)
            handler.wfile.flush()
            return
        # Write in ticks of 0.1 s (at least a byte each) so stop() is noticed quickly.
        step = max(1, int(bytes_per_second / 10))
        pause = step / bytes_per_second
        for start in range(0, len(body), step):
            handler.wfile.write(body[start : start + step])
            handler.wfile.flush()
            if self._stopping.wait(pause):
                handler.close_connection = True
                return


def _not_modified(reply: Reply, handler: _Handler) -> bool:
    if reply.status != 200:
        return False
    if_none_match = handler.headers.get("If-None-Match")
    if reply.etag and if_none_match:
        tags = {tag.strip() for tag in if_none_match.split(",")}
        return reply.etag in tags or "*" in tags
    if_modified_since = handler.headers.get("If-Modified-Since")
    return bool(reply.last_modified and if_modified_since == reply.last_modified)
