"""The fetcher's TLS context, which loads the trusted CA certificates on first use.

``httpx.create_ssl_context()`` loads the whole CA bundle at once: ~40 ms of CPU and
~1.7 MB, paid by every run even when every feed is plain http (a local feed server, an
intranet).  This context is the same ``ssl.create_default_context(cafile=...)`` with the
same sources of trust as httpx (``SSL_CERT_FILE``, then ``SSL_CERT_DIR``, then
certifi's bundle), but the certificates are loaded just before the first handshake:
every TLS connection, from asyncio, anyio or a plain socket, is made by ``wrap_bio`` or
``wrap_socket``, so no handshake can run without them.
"""

from __future__ import annotations

import os
import ssl
import sys
import threading
from typing import Any


class LazyTrustContext(ssl.SSLContext):
    """``ssl.create_default_context()`` for clients whose CA certificates load on first use."""

    def __new__(cls) -> LazyTrustContext:
        context = super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)
        context._trust_lock = threading.Lock()
        context._trusted = False
        keylog = os.environ.get("SSLKEYLOGFILE")  # as create_default_context does
        if keylog and not sys.flags.ignore_environment:
            context.keylog_filename = keylog
        return context

    _trust_lock: threading.Lock
    _trusted: bool

    @property
    def trusted(self) -> bool:
        """Whether the CA certificates are loaded (after the first handshake)."""
        return self._trusted

    def _trust(self) -> None:
        with self._trust_lock:
            if self._trusted:
                return
            if cafile := os.environ.get("SSL_CERT_FILE"):
                self.load_verify_locations(cafile=cafile)
            elif capath := os.environ.get("SSL_CERT_DIR"):
                self.load_verify_locations(capath=capath)
            else:
                import certifi

                self.load_verify_locations(cafile=certifi.where())
            self._trusted = True

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        self._trust()
        return super().wrap_bio(*args, **kwargs)

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        self._trust()
        return super().wrap_socket(*args, **kwargs)
