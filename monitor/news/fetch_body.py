"""Reading a feed's body within limits: a size cap on the decoded bytes, and gzip/deflate
inflated in bounded steps so a small bomb cannot allocate much before the cap trips."""

from __future__ import annotations

import zlib
from collections.abc import Iterator

import httpx

#: What ``Inflater`` decodes with bounded memory (not br/zstd): the Accept-Encoding sent.
ACCEPT_ENCODING = "gzip, deflate"


class TooLarge(Exception):
    """The body passed the size cap; reading stopped there."""


class Undecodable(Exception):
    """The body's content encoding is unknown or its compressed data is broken."""


def size_text(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:g} MB"
    if n >= 1_000:
        return f"{n / 1_000:g} kB"
    return f"{n} bytes"


async def read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    """Read and decode the body, aborting as soon as it passes ``max_bytes``.

    Decoded bytes are counted, so a small gzip bomb is stopped too, and inflating
    is done in steps of at most 64 kB: peak memory stays near the cap even though
    deflate can expand a 64 kB network read into 64 MB.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    length = response.headers.get("content-length", "")
    inflater = None
    if encoding in ("", "identity"):
        if length.isdigit() and int(length) > max_bytes:
            raise TooLarge
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = Inflater(encoding)
    else:
        raise Undecodable(f"unsupported content encoding {encoding[:30]!r}")
    body = bytearray()
    async for raw in response.aiter_raw():
        for piece in inflater.feed(raw) if inflater else (raw,):
            body += piece
            if len(body) > max_bytes:
                raise TooLarge
    for piece in inflater.finish() if inflater else ():
        body += piece
        if len(body) > max_bytes:
            raise TooLarge
    return bytes(body)


class Inflater:
    """gzip/deflate decoding that yields at most ``STEP`` bytes per piece.

    httpx's own decoders inflate a whole network read at once, which is what lets a
    gzip bomb allocate tens of MB before any cap can be checked.  Like browsers, bytes
    after the end of the compressed data (padding, junk) are ignored.
    """

    STEP = 64 * 1024

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding != "deflate"
        self._wbits = zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._first = True  # nothing decoded yet: a raw-deflate fallback is still possible
        self._seen = bytearray()  # input so far while _first, replayed on that fallback
        self._after_end = False  # a stream has ended: what follows may be junk
        self._done = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip:
            self._seen += data[: self.STEP]
        while data and not self._done:
            if self._inflater.eof:
                self._next_stream()
                continue
            try:
                piece = self._inflater.decompress(data, self.STEP)
            except zlib.error as exc:
                data = self._recover(data, exc)
                continue
            if piece:
                self._first = self._after_end = False
                self._seen.clear()
                yield piece
            inflater = self._inflater
            data = inflater.unused_data if inflater.eof else inflater.unconsumed_tail

    def _next_stream(self) -> None:
        self._first = False
        self._seen.clear()
        if not self._gzip:
            self._done = True
            return
        self._after_end = True  # gzip allows several members back to back
        self._inflater = zlib.decompressobj(self._wbits)

    def _recover(self, data: bytes, exc: zlib.error) -> bytes:
        if self._first and not self._gzip:  # "deflate" sent without its zlib header
            self._first = False
            self._wbits = -zlib.MAX_WBITS
            self._inflater = zlib.decompressobj(self._wbits)
            return bytes(self._seen)
        if self._after_end:  # junk after the last member
            self._done = True
            return b""
        raise Undecodable(f"body could not be decoded ({exc})") from exc

    def finish(self) -> Iterator[bytes]:
        if self._done or self._inflater.eof:
            return
        while piece := self._inflater.decompress(b"", self.STEP):
            yield piece
        if tail := self._inflater.flush():
            yield tail
