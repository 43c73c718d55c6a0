"""The browser's only way out: a local egress proxy that connects only where the crawler may.

Chromium is started with `--proxy-server` pointing here and `--proxy-bypass-list=<-loopback>` (so
not even loopback is reached directly). Every connection the browser makes for a rendered page
comes through this proxy: navigations and each of their redirect hops, subrequests and theirs,
popups, workers of every kind, WebSockets (tunnelled with CONNECT), prefetches, beacons and pings.
For each one the proxy applies the rules of the crawler's own requests, on the address it is
about to connect to:

* http(s)/ws(s) only: the request is an absolute `http://` URL or a `CONNECT host:port` tunnel;
* `ALLOWED_HOSTS` / `DENIED_HOSTS` by name, before any DNS;
* the address policy (`netsafety.AddressPolicy`): the name is resolved once, here, every address
  it has must be allowed, and the connection goes to that checked address: a name cannot answer
  one address to the check and another to the browser (DNS rebinding), because the browser never
  resolves anything itself.

A refused request is answered `403` with the reason in an `X-Egress-Refused` header (stats:
`egress/refused`, `egress/allowed`), and remembered per `host:port` so the render handler can
tell a blocked navigation from a page error (`refusal_for`).

Why a proxy and not Playwright's routing: routing does not see redirect hops, popups' first
requests, WebSockets without extra hooks, or service and shared workers' requests, and Chromium
resolves `*.localhost` itself. Every one of those still opens a TCP connection, and a TCP
connection is what this proxy decides on. What it cannot see is traffic that is not TCP through a
proxy: WebRTC's UDP, which the launch flags turn off (`--force-webrtc-ip-handling-policy`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

from backlink_spider.netsafety import AddressPolicy

logger = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
CONNECT_TIMEOUT = 10.0
# Hop-by-hop headers a proxy must not forward (RFC 9110 7.6.1), plus the proxy's own.
_HOP_HEADERS = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"proxy-authorization", b"te", b"trailer", b"upgrade"}
)


class EgressProxy:
    """An HTTP proxy on 127.0.0.1 for the crawl's Chromium. `bind()` reserves the port at once
    (the browser's launch options need it); `start()` serves from the running event loop.

    `host_refusal(host)` returns why a host name is out of scope (ALLOWED_HOSTS/DENIED_HOSTS) or
    None. `stats` is the crawl's stats collector (or None)."""

    def __init__(
        self,
        policy: AddressPolicy,
        host_refusal: Callable[[str], str | None] = lambda host: None,
        stats=None,  # noqa: ANN001
        connect_timeout: float = CONNECT_TIMEOUT,
    ) -> None:
        self.policy = policy
        self.host_refusal = host_refusal
        self.stats = stats
        self.connect_timeout = connect_timeout
        self._sock: socket.socket | None = None
        self._server: asyncio.base_events.Server | None = None
        self._refusals: OrderedDict[str, str] = OrderedDict()
        self._tasks: set[asyncio.Task] = set()

    # --- lifecycle ----------------------------------------------------------------------------

    def bind(self) -> int:
        """Reserve a free port on 127.0.0.1 and return it."""
        if self._sock is None:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", 0))
            sock.listen(128)
            sock.setblocking(False)
            self._sock = sock
        return self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.bind()}"

    async def start(self) -> None:
        if self._server is None:
            self.bind()
            self._server = await asyncio.start_server(self._serve, sock=self._sock, limit=MAX_HEADER_BYTES)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None
            self._sock = None

    # --- decisions ----------------------------------------------------------------------------

    def refusal_for(self, url_or_hostport: str) -> str | None:
        """Why the proxy last refused this URL's host:port (or a `host:port`), or None."""
        key = url_or_hostport
        if "://" in url_or_hostport:
            try:
                parts = urlsplit(url_or_hostport)
                port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
                key = f"{(parts.hostname or '').lower()}:{port}"
            except ValueError:
                return None
        return self._refusals.get(key.lower())

    async def check(self, host: str, port: int) -> tuple[str | None, str | None]:
        """(refusal reason, address to connect to): exactly one of them is None."""
        host = host.strip().lower()
        if not host:
            return "no host", None
        if not 0 < port < 65536:
            return f"bad port {port}", None
        reason = self.host_refusal(host.strip("[]"))
        if reason:
            return reason, None
        literal = f"[{host}]" if ":" in host and not host.startswith("[") else host
        reason = await self.policy.url_refusal(f"http://{literal}:{port}/")
        if reason:
            return reason, None
        try:
            addresses = await self.policy.resolve(host)
        except (OSError, UnicodeError) as exc:
            return f"unresolvable host {host}: {exc}", None
        if not addresses:
            return f"unresolvable host {host}", None
        # the answer that was checked is the one connected to (resolve() caches it per crawl)
        for ip in addresses:
            reason = self.policy.ip_refusal(ip)
            if reason:
                return f"{host} resolves to {reason}", None
        return None, str(addresses[0])

    def _refuse(self, host: str, port: int, reason: str) -> bytes:
        key = f"{host.lower()}:{port}"
        self._refusals[key] = reason
        self._refusals.move_to_end(key)
        while len(self._refusals) > 1000:
            self._refusals.popitem(last=False)
        if self.stats is not None:
            self.stats.inc_value("egress/refused")
        logger.warning("Browser connection to %s refused: %s", key, reason)
        body = f"refused by the crawler's egress guard: {reason}\n".encode()
        safe = reason.encode("ascii", "replace").replace(b"\r", b" ").replace(b"\n", b" ")
        return (
            b"HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"X-Egress-Refused: " + safe + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n"
            b"Connection: close\r\n\r\n" + body
        )

    # --- serving ------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        upstream_writer = None
        try:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            request_line, _, rest = head.partition(b"\r\n")
            parts = request_line.split(b" ")
            if len(parts) != 3:
                writer.write(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                return
            method, target, version = parts
            tunnel = method.upper() == b"CONNECT"
            host, port, path = self._target(target.decode("latin-1"), tunnel)
            if host is None:
                writer.write(self._refuse(target.decode("latin-1")[:100], 0, "only http(s) is fetched"))
                return
            reason, address = await self.check(host, port)
            if reason:
                writer.write(self._refuse(host, port, reason))
                return
            try:
                upstream_reader, upstream_writer = await asyncio.wait_for(
                    asyncio.open_connection(address, port), self.connect_timeout
                )
            except (OSError, TimeoutError) as exc:
                message = f"cannot connect to {host}:{port}: {exc or type(exc).__name__}".encode()
                writer.write(
                    b"HTTP/1.1 502 Bad Gateway\r\nConnection: close\r\nContent-Length: "
                    + str(len(message)).encode()
                    + b"\r\n\r\n"
                    + message
                )
                return
            if self.stats is not None:
                self.stats.inc_value("egress/allowed")
            if tunnel:
                writer.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            else:
                upstream_writer.write(self._origin_request(method, path, version, rest))
            await self._pipe(reader, writer, upstream_reader, upstream_writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            for w in (writer, upstream_writer):
                if w is not None:
                    with contextlib.suppress(Exception):
                        w.close()
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    def _target(target: str, tunnel: bool) -> tuple[str | None, int, str]:
        """(host, port, origin-form path) of a proxy request target; host None when refused."""
        if tunnel:
            host, sep, port = target.rpartition(":")
            if not sep or not port.isdigit():
                return None, 0, ""
            return host.strip("[]"), int(port), ""
        try:
            parts = urlsplit(target)
            port = parts.port or 80
        except ValueError:
            return None, 0, ""
        if parts.scheme.lower() != "http" or not parts.hostname:
            return None, 0, ""
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return parts.hostname, port, path

    @staticmethod
    def _origin_request(method: bytes, path: str, version: bytes, header_block: bytes) -> bytes:
        """The request as the origin server expects it: origin-form target, no hop-by-hop
        headers, one request per connection (so every request on it went through the check)."""
        lines = [method + b" " + path.encode("latin-1") + b" " + version]
        for line in header_block.split(b"\r\n"):
            if not line:
                continue
            name = line.split(b":", 1)[0].strip().lower()
            if name not in _HOP_HEADERS:
                lines.append(line)
        lines.append(b"Connection: close")
        return b"\r\n".join(lines) + b"\r\n\r\n"

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream_reader: asyncio.StreamReader,
        upstream_writer: asyncio.StreamWriter,
    ) -> None:
        async def copy(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    if dst.can_write_eof():
                        dst.write_eof()

        # The response side decides when the exchange is over.
        outgoing = asyncio.ensure_future(copy(reader, upstream_writer))
        try:
            await copy(upstream_reader, writer)
        finally:
            outgoing.cancel()
