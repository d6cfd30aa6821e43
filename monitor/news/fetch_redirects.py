"""Redirects: which target to remember, and keeping a public feed's redirects public.

A feed on a public address may not redirect the monitor to a loopback, link-local,
private or otherwise non-global address (a hostile or hijacked feed probing the
person's own network), unless ``allow_private_redirects`` is set.  A feed that is
itself on a private address (a local server, an intranet) may redirect anywhere.

The check runs before each redirected request is sent (an httpx request hook) on the
addresses the host resolves to, with :mod:`ipaddress`.  Resolution is injectable
(``resolve``) so a test can make a loopback server stand for a public one.  The origin
is resolved only when a redirect happens, so a feed that answers directly costs no
extra lookup.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import httpx

from monitor.text import clean_text

PERMANENT_REDIRECTS = frozenset({301, 308})

#: host name -> the IP addresses it resolves to
Resolver = Callable[[str], Awaitable[Sequence[str]]]


def permanent_target(response: httpx.Response) -> str | None:
    """The URL to remember: the end of the leading run of permanent redirects.

    A temporary redirect (302/303/307) ends the run, so only the part of the chain the
    server declared permanent is remembered.
    """
    hops = [*response.history, response]
    target = None
    for hop, following in zip(hops, hops[1:], strict=False):
        if hop.status_code not in PERMANENT_REDIRECTS:
            break
        target = str(following.request.url)
    return target


async def system_resolver(host: str) -> list[str]:
    """The addresses the system resolver gives for ``host`` (what httpx will connect to)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable (not loopback, private, link-local,
    shared, reserved or multicast); an IPv4-mapped IPv6 address counts as its IPv4."""
    try:
        ip = ipaddress.ip_address(address.partition("%")[0])  # drop an IPv6 zone id
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


class PrivateRedirect(Exception):
    """A public feed redirected to a non-public address; the request was not sent."""


@dataclass
class _Chain:
    hops: list[httpx.URL] = field(default_factory=list)
    origin_public: bool | None = None


_CHAIN: ContextVar[_Chain | None] = ContextVar("monitor_redirect_chain", default=None)


class RedirectGuard:
    """Refuses public -> non-public redirects; install ``on_request`` as a request hook
    and run each fetch inside ``chain()``."""

    def __init__(self, *, allow_private: bool = False, resolve: Resolver | None = None) -> None:
        self.allow_private = allow_private
        self.resolve = resolve or system_resolver

    @contextmanager
    def chain(self) -> Iterator[None]:
        """One fetch's redirect chain (a context variable: concurrent fetches each
        have their own)."""
        token = _CHAIN.set(_Chain())
        try:
            yield
        finally:
            _CHAIN.reset(token)

    async def on_request(self, request: httpx.Request) -> None:
        chain = _CHAIN.get()
        if chain is None:
            return
        chain.hops.append(request.url)
        if len(chain.hops) == 1 or self.allow_private:
            return
        if chain.origin_public is None:
            chain.origin_public = await self._public(chain.hops[0].host) is not False
        if not chain.origin_public:
            return
        target = request.url.host
        if await self._public(target) is False:
            raise PrivateRedirect(
                f"redirect to a non-public address refused ({clean_text(target, max_len=80)}); "
                "set allow_private_redirects = true in [settings] to allow it"
            )

    async def _public(self, host: str) -> bool | None:
        """True if every address of ``host`` is public, False if any is not, None if it
        does not resolve (then the connection fails on its own)."""
        try:
            return is_public_address(str(ipaddress.ip_address(host.strip("[]"))))
        except ValueError:
            pass
        try:
            addresses = await self.resolve(host)
        except OSError:
            return None
        if not addresses:
            return None
        return all(is_public_address(a) for a in addresses)
