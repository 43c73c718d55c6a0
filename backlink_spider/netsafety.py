"""Which network addresses the crawler may fetch.

By default only globally routable addresses: private (RFC 1918, ULA), loopback, link-local
(cloud metadata at 169.254.169.254 among them), CGNAT, unspecified (0.0.0.0, ::), multicast and
reserved ranges are refused, also when written as IPv4-mapped IPv6 or when a DNS name resolves to
them. The `ALLOWED_PRIVATE_NETWORKS` setting (CIDRs) opens chosen ranges.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")


class AddressRefused(Exception):
    """A URL that the address policy does not let the crawler fetch."""


def parse_networks(value: str | Iterable[str] | None) -> tuple[IPNetwork, ...]:
    """Parse `ALLOWED_PRIVATE_NETWORKS` (comma-separated string or list of CIDRs); raises ValueError
    with the bad entry named."""
    if not value:
        return ()
    items = value.split(",") if isinstance(value, str) else list(value)
    networks = []
    for item in items:
        item = str(item).strip()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"ALLOWED_PRIVATE_NETWORKS: {item!r} is not a CIDR network") from None
    return tuple(networks)


def _unmapped(ip: IPAddress) -> IPAddress:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


class AddressPolicy:
    """Decides whether an IP address, a host or a URL may be fetched."""

    def __init__(self, allowed: tuple[IPNetwork, ...] = ()) -> None:
        self.allowed = allowed
        self._cache: dict[str, tuple[IPAddress, ...]] = {}

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy:  # noqa: ANN001
        return cls(parse_networks(settings.get("ALLOWED_PRIVATE_NETWORKS")))

    def ip_refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` is refused, or None when it may be fetched."""
        ip = _unmapped(ip)
        if any(ip.version == net.version and ip in net for net in self.allowed):
            return None
        if ip.is_global and not ip.is_multicast:
            return None
        if ip.is_loopback:
            kind = "loopback"
        elif ip.is_link_local:
            kind = "link-local"
        elif ip.is_unspecified:
            kind = "unspecified"
        elif ip.is_private:
            kind = "private"
        else:
            kind = "non-public"
        return f"{kind} address {ip} (open it with ALLOWED_PRIVATE_NETWORKS)"

    async def resolve(self, host: str) -> tuple[IPAddress, ...]:
        """All addresses of `host` (an IP literal in any spelling the OS accepts, or a name)."""
        host = host.strip("[]")
        try:
            return (ipaddress.ip_address(host),)
        except ValueError:
            pass
        if host in self._cache:
            return self._cache[host]
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[host] = addresses
        return addresses

    async def url_refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched (scheme, or any resolved address refused), or None."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            return f"bad URL: {exc}"
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return f"scheme {parts.scheme!r} is not fetched (only http and https)"
        if not host:
            return "URL has no host"
        try:
            addresses = await self.resolve(host)
        except (OSError, UnicodeError) as exc:
            return None if isinstance(exc, socket.gaierror) else f"cannot resolve {host}: {exc}"
        for ip in addresses:
            reason = self.ip_refusal(ip)
            if reason:
                return f"{host} resolves to {reason}" if str(ip) != host.strip("[]") else reason
        return None
