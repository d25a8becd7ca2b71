"""The SSRF guard: an article URL from the internet must not reach this machine or its network.

Only http(s); every hop's host is resolved and refused when any address is not public (loopback, private,
link-local, ...) unless the host is in ``allow_hosts``. :func:`check_target` runs before each request, and
:class:`GuardedTransport` checks again inside the connection layer on the addresses actually dialled, so a DNS
answer that changes between the check and the connect (rebinding) is still refused.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx


class Refused(Exception):
    """A fetch stops here with ``reason`` (never escapes ``Fetcher.fetch``)."""

    def __init__(self, reason: str, status: int | None = None, content_type: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.content_type = content_type


class SSRFBlocked(httpcore.ConnectError):
    """Raised by the connection layer when an address it would dial is not allowed."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Target:
    """A validated URL: what a request needs and what the SSRF guard checks."""

    url: str
    scheme: str
    host: str  # lower-case, IPv6 without brackets
    port: int


def resolve(host: str, port: int) -> list[str]:
    """All addresses ``host`` resolves to (a seam for tests)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def ip_refusal(address: str) -> str | None:
    """Why connecting to ``address`` is refused (``None`` when it is a public address)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "bad_address"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
    checks = (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link_local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
        ("not_global", not ip.is_global),
    )
    for why, hit in checks:
        if hit:
            return why
    return None


def parse_url(url: Any) -> Target:
    """Validate ``url`` (http/https with a host); raise ``Refused('bad_url:...')`` otherwise."""
    if not isinstance(url, str) or not url.strip():
        raise Refused("bad_url:empty")
    url = url.strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise Refused("bad_url:whitespace")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it raises ValueError for a bad port
    except ValueError as exc:
        raise Refused("bad_url:unparseable" if "IPv6" in str(exc) else "bad_url:port") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise Refused("bad_url:scheme")
    if not (parts.hostname or "").rstrip("."):
        raise Refused("bad_url:no_host")
    if parts.username is not None or parts.password is not None:
        raise Refused("bad_url:credentials")
    try:
        parsed = httpx.URL(url)
        # The host httpx will dial (IDNA-encoded): the one the SSRF guard must check.
        host = host_key(parsed.raw_host.decode("ascii"))
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise Refused("bad_url:invalid") from exc
    if not host or (parts.hostname.isascii() and host != host_key(parts.hostname)):
        raise Refused("bad_url:ambiguous_host")  # two parsers disagree: refuse rather than guess
    return Target(url=url, scheme=scheme, host=host, port=parsed.port or (443 if scheme == "https" else 80))


def host_key(host: str) -> str:
    return host.lower().strip("[]").rstrip(".")


class GuardedBackend(httpcore.NetworkBackend):
    """Dials only addresses that pass ``ip_refusal`` (or any address of an allowed host).

    It resolves the host itself and connects to the checked address, so nothing can swap the
    DNS answer between the check and the connect.
    """

    def __init__(self, allow_hosts: frozenset[str]) -> None:
        self._allow = allow_hosts
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"dns: {exc}") from exc
        if host_key(host) not in self._allow:
            for address in addresses:
                why = ip_refusal(address)
                if why:
                    raise SSRFBlocked(f"ssrf_refused:{why}")
        last: Exception = httpcore.ConnectError(f"no address for {host}")
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise SSRFBlocked("ssrf_refused:unix_socket")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connection pool dials through ``GuardedBackend``."""

    def __init__(self, allow_hosts: frozenset[str], limits: httpx.Limits) -> None:
        super().__init__(trust_env=False, limits=limits)
        ssl_context = httpx.create_ssl_context(trust_env=False)
        # httpx has no public hook for the network backend: swap in a pool built with ours.
        # If a future httpx drops ``_pool`` the per-hop pre-check in ``Fetcher`` still applies.
        if hasattr(self, "_pool"):
            self._pool = httpcore.ConnectionPool(
                ssl_context=ssl_context,
                max_connections=limits.max_connections,
                max_keepalive_connections=limits.max_keepalive_connections,
                keepalive_expiry=limits.keepalive_expiry,
                network_backend=GuardedBackend(allow_hosts),
            )


def check_target(target: Target, allow: frozenset[str]) -> None:
    """Refuse ``target`` unless every address its host resolves to is public (or it is allowed)."""
    if target.host in allow:
        return
    if target.host == "localhost" or target.host.endswith(".localhost"):
        raise Refused("ssrf_refused:localhost")
    try:
        addresses = resolve(target.host, target.port)
    except (OSError, UnicodeError) as exc:
        raise Refused("connect_error:dns") from exc
    if not addresses:
        raise Refused("connect_error:dns")
    for address in addresses:
        why = ip_refusal(address)
        if why:
            raise Refused(f"ssrf_refused:{why}")
