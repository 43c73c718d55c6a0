"""Which network addresses the crawler may fetch.

By default only globally routable addresses. Refused: private (RFC 1918, IPv6 ULA), loopback,
link-local (cloud metadata at 169.254.169.254 among them), CGNAT, unspecified (0.0.0.0, ::),
multicast, broadcast, documentation, benchmarking and reserved ranges (the IANA special-purpose
registries, written out here so the answer does not depend on the Python version), IPv6 site-local
(fec0::/10) and every IPv6 address outside global unicast 2000::/3. Addresses that embed an IPv4
address are judged by it: IPv4-mapped (::ffff:10.0.0.1), 6to4 (2002::/16) and Teredo (2001::/32,
its client address). IPv4-compatible (::/96, deprecated) and NAT64 (64:ff9b::/96, 64:ff9b:1::/48:
on a NAT64 network 64:ff9b::a9fe:a9fe is 169.254.169.254) are refused outright.

Hosts are read the way Chromium reads them: lower-cased, percent-escapes and IDNA undone, one
trailing dot ignored, IPv4 in any spelling the URL standard accepts (2130706433, 0x7f.1, 0177.0.0.1,
127.1, 127.0.0.1.). Loopback names (`localhost`, `*.localhost`, `localhost.localdomain`,
`localhost6`, `localhost6.localdomain6`) are never looked up: they are 127.0.0.1 and ::1, as
Chromium and the OS treat them. A name that does not resolve is refused ("unresolvable host ...");
`check_url` gives the kind of each refusal, so the download guard can report that one as a DNS
failure (a dead domain) rather than as a refusal.

The `ALLOWED_PRIVATE_NETWORKS` setting (CIDRs) opens chosen ranges (for a NAT64 address: only a
range holding the NAT64 address itself; for IPv4-mapped and 6to4: the embedded IPv4 too).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOWED_SCHEMES = ("http", "https")

# Refusal kinds (`Refusal.kind`, `AddressPolicy.refusal_kind`).
BAD_URL = "bad URL"
SCHEME = "scheme"
ADDRESS = "address"
LOOPBACK_NAME = "loopback name"
UNRESOLVABLE = "unresolvable"

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6"})
LOOPBACK_ADDRESSES: tuple[IPAddress, ...] = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), kind) for cidr, kind in pairs)


# IANA IPv4/IPv6 special-purpose address registries, entries not globally reachable; most specific
# first (the first match names the kind).
_NON_PUBLIC_V4 = _nets(
    ("0.0.0.0/32", "unspecified"),
    ("0.0.0.0/8", "this-network"),
    ("10.0.0.0/8", "private"),
    ("100.64.0.0/10", "shared (CGNAT)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private"),
    ("192.0.0.0/24", "IETF protocol"),
    ("192.0.2.0/24", "documentation"),
    ("192.88.99.0/24", "6to4 relay anycast"),
    ("192.168.0.0/16", "private"),
    ("198.18.0.0/15", "benchmarking"),
    ("198.51.100.0/24", "documentation"),
    ("203.0.113.0/24", "documentation"),
    ("224.0.0.0/4", "multicast"),
    ("255.255.255.255/32", "broadcast"),
    ("240.0.0.0/4", "reserved"),
)
_PUBLIC_V4 = _nets(("192.0.0.9/32", "PCP anycast"), ("192.0.0.10/32", "TURN anycast"))
_NON_PUBLIC_V6 = _nets(
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("100::/64", "discard-only"),
    ("100:0:0:1::/64", "dummy"),
    ("2001::/23", "IETF protocol"),
    ("2001:db8::/32", "documentation"),
    ("3fff::/20", "documentation"),
    ("5f00::/16", "SRv6 SID"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
)
_PUBLIC_V6 = _nets(
    ("2001:1::1/128", "PCP anycast"),
    ("2001:1::2/128", "TURN anycast"),
    ("2001:1::3/128", "DNS-SD SRP anycast"),
    ("2001:3::/32", "AMT"),
    ("2001:4:112::/48", "AS112-v6"),
    ("2001:20::/28", "ORCHIDv2"),
    ("2001:30::/28", "Drone Remote ID"),
)
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
_MAPPED = ipaddress.ip_network("::ffff:0:0/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_SIXTOFOUR = ipaddress.ip_network("2002::/16")
_TEREDO = ipaddress.ip_network("2001::/32")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))

_WAY_OUT = "open it with ALLOWED_PRIVATE_NETWORKS"
_NAT64_WAY_OUT = "open the NAT64 range with ALLOWED_PRIVATE_NETWORKS"
_IPV4_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|[0-9]+)$")


class AddressRefused(Exception):
    """A URL that the address policy does not let the crawler fetch."""


class Refusal(NamedTuple):
    """Why a URL is refused: `kind` (BAD_URL, SCHEME, ADDRESS, LOOPBACK_NAME, UNRESOLVABLE) and the
    one-line `reason` shown to the user."""

    kind: str
    reason: str


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


def canonical_host(host: str) -> str:
    """`host` as Chromium reads it: brackets, percent-escapes and one trailing dot removed,
    IDNA-mapped (full-width letters and ideographic dots included), lower case. Raises
    UnicodeError for a name IDNA cannot map."""
    host = unquote(host.strip().strip("[]"))
    if not host.isascii():
        host = host.encode("idna").decode("ascii")
    host = host.lower()
    return host[:-1] if host.endswith(".") and len(host) > 1 else host


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a URL host stands for under the URL standard's IPv4 parser (decimal, octal
    with a leading 0, hex with 0x, 1 to 4 parts, the last filling the remaining bytes), or None when
    the host is a name. Raises ValueError for a host that ends in a number but is no address
    (browsers reject such URLs)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or not _IPV4_PART.match(parts[-1]):
        return None
    if len(parts) > 4:
        raise ValueError(f"host {host} is not a valid IPv4 address")
    numbers = []
    for part in parts:
        if not _IPV4_PART.match(part):
            raise ValueError(f"host {host} is not a valid IPv4 address")
        if part[:2].lower() == "0x":
            numbers.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                raise ValueError(f"host {host} is not a valid IPv4 address")
            numbers.append(int(part, 8))
        else:
            numbers.append(int(part))
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (5 - len(numbers)):
        raise ValueError(f"host {host} is not a valid IPv4 address")
    value = last
    for index, number in enumerate(head):
        value += number << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def literal_address(host: str) -> IPAddress | None:
    """The address of an IP-literal host (`canonical_host` form), or None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    return parse_ipv4(host)


def is_loopback_name(host: str) -> bool:
    """`localhost`, `*.localhost` and the OS's other loopback names (`canonical_host` form)."""
    return host in LOOPBACK_NAMES or host.endswith(".localhost")


def _in(ip: IPAddress, networks: Iterable[tuple[IPNetwork, str]]) -> str | None:
    return next((kind for net, kind in networks if ip.version == net.version and ip in net), None)


class AddressPolicy:
    """Decides whether an IP address, a host or a URL may be fetched."""

    def __init__(self, allowed: tuple[IPNetwork, ...] = ()) -> None:
        self.allowed = allowed
        self._cache: dict[str, tuple[IPAddress, ...]] = {}

    @classmethod
    def from_settings(cls, settings) -> AddressPolicy:  # noqa: ANN001
        return cls(parse_networks(settings.get("ALLOWED_PRIVATE_NETWORKS")))

    def _opened(self, ip: IPAddress) -> bool:
        return any(ip.version == net.version and ip in net for net in self.allowed)

    def ip_refusal(self, ip: IPAddress) -> str | None:
        """Why `ip` is refused, or None when it may be fetched."""
        if self._opened(ip):
            return None
        if isinstance(ip, ipaddress.IPv6Address):
            if ip in _MAPPED:  # ::ffff:a.b.c.d is a.b.c.d for the OS
                return self.ip_refusal(ip.ipv4_mapped)
            if ip in _SIXTOFOUR:
                embedded = ip.sixtofour
                if not self._opened(embedded):
                    reason = self._ipv4_refusal(embedded)
                    if reason:
                        return f"{reason} in 6to4 address {ip} ({_WAY_OUT})"
            if ip in _TEREDO:
                client = ip.teredo[1]
                reason = None if self._opened(client) else self._ipv4_refusal(client)
                return f"{reason} as Teredo client of {ip} ({_WAY_OUT})" if reason else None
            if ip in _NAT64[0]:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                return f"NAT64 address {ip} (embeds {embedded}; {_NAT64_WAY_OUT})"
            if ip in _NAT64[1]:
                return f"NAT64 address {ip} ({_NAT64_WAY_OUT})"
            if ip in _COMPATIBLE and int(ip) > 1:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                return f"IPv4-compatible address {ip} (deprecated; embeds {embedded}; {_WAY_OUT})"
            if _in(ip, _PUBLIC_V6):
                return None
            kind = _in(ip, _NON_PUBLIC_V6) or (None if ip in _GLOBAL_UNICAST else "reserved")
            return f"{kind} address {ip} ({_WAY_OUT})" if kind else None
        reason = self._ipv4_refusal(ip)
        return f"{reason} ({_WAY_OUT})" if reason else None

    @staticmethod
    def _ipv4_refusal(ip: ipaddress.IPv4Address) -> str | None:
        if _in(ip, _PUBLIC_V4):
            return None
        kind = _in(ip, _NON_PUBLIC_V4)
        return f"{kind} address {ip}" if kind else None

    async def resolve(self, host: str) -> tuple[IPAddress, ...]:
        """All addresses of `host` (an IP literal in any spelling browsers accept, or a name;
        loopback names are never looked up). Raises OSError (socket.gaierror: the name does not
        resolve), UnicodeError (IDNA) or ValueError (a host that ends in a number but is no IPv4
        address)."""
        host = canonical_host(host)
        literal = literal_address(host)
        if literal is not None:
            return (literal,)
        if is_loopback_name(host):
            return LOOPBACK_ADDRESSES
        if host in self._cache:
            return self._cache[host]
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        addresses = tuple(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "no addresses")
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[host] = addresses
        return addresses

    async def check_url(self, url: str) -> Refusal | None:
        """Why `url` may not be fetched (its kind and reason), or None."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            return Refusal(BAD_URL, f"bad URL: {exc}")
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            return Refusal(SCHEME, f"scheme {parts.scheme!r} is not fetched (only http and https)")
        if not host:
            return Refusal(BAD_URL, "URL has no host")
        try:
            addresses = await self.resolve(host)
        except socket.gaierror as exc:
            return Refusal(UNRESOLVABLE, f"unresolvable host {host}: {exc}")
        except (OSError, UnicodeError) as exc:  # (UnicodeError before its base ValueError)
            return Refusal(BAD_URL, f"cannot resolve {host}: {exc}")
        except ValueError as exc:
            return Refusal(BAD_URL, f"bad URL: {exc}")
        for ip in addresses:
            reason = self.ip_refusal(ip)
            if reason:
                kind = LOOPBACK_NAME if is_loopback_name(canonical_host(host)) else ADDRESS
                if str(ip) != host.strip("[]"):
                    reason = f"{host} resolves to {reason}"
                return Refusal(kind, reason)
        return None

    async def url_refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched (scheme, unresolvable host, any resolved address refused),
        or None."""
        refusal = await self.check_url(url)
        return refusal.reason if refusal else None

    async def refusal_kind(self, url: str) -> str | None:
        """The kind of `url`'s refusal (BAD_URL, SCHEME, ADDRESS, LOOPBACK_NAME, UNRESOLVABLE), or
        None when it may be fetched."""
        refusal = await self.check_url(url)
        return refusal.kind if refusal else None
