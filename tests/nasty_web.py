"""The nasty web: one loopback HTTP server that serves everything a crawler should survive.

Raw sockets (``socketserver.ThreadingTCPServer`` and a hand-written handler), so responses can be
wrong in ways ``http.server`` would not allow: bodies shorter than their Content-Length, stalls
mid-body, connections reset with an RST, bytes in another charset than the one declared.

    with NastyWeb() as web:
        web.url("/")            # the home page: links to every page in LINKED_PAGES
        web.url("/control")

Every page's path is stable (tests assert on them). The brand is BrewBird, the target
``brewbird.io``. Unless said otherwise a page is ``200 text/html; charset=utf-8``, names BrewBird
once in its text and links once to ``https://brewbird.io/<path without the leading slash>``, so a
test can tell whether the crawler read the page at all.

Paths
-----
``/``                                    home page: a ``<ul>`` linking to every path below
                                         (``LINKED_PAGES``, or the ``home_links`` given), nothing else
``/robots.txt``                          allows everything
``/control``                             the control page: one mention ("BrewBird"), one link to
                                         ``https://brewbird.io/pricing`` ("their pricing")
``/malformed/unclosed-tags``             ``<p>``, ``<b>``, ``<a>``, ``<div>`` never closed, stray ``<li>``
``/malformed/early-html-close``          a stray ``</body></html>`` before the content
``/malformed/nested-forms-tables``       forms in forms, tables in table cells in forms, rows outside tables
``/malformed/nul-bytes``                 NUL characters in text, in attributes and between tags
``/malformed/bad-entities``              ``&bogus;``, ``&#xFFFFFFFF;``, ``&#0;``, ``&#xD800;``, bare ``&amp``
``/charset/utf8-declared-cp1252-bytes``  header says utf-8, bytes are windows-1252 ("Café “BrewBird”")
``/charset/meta-latin1-utf8-bytes``      no charset in the header, ``<meta charset=iso-8859-1>``, bytes utf-8
``/charset/utf16-bom-no-charset``        ``text/html`` without charset, UTF-16 (LE) with a BOM
``/binary/png``                          a PNG image served as ``text/html``
``/binary/random``                       64 KiB of random bytes (fixed seed) served as ``text/html``
``/doc.pdf``                             a small PDF served as ``application/pdf``
``/huge/15mb``                           ~15 MB HTML with Content-Length (above DOWNLOAD_MAXSIZE, 10 MiB)
``/huge/15mb-no-length``                 the same, no Content-Length (body ends when the connection closes)
``/huge/5mb``                            ~5 MB HTML, below the limit; its target link is at the very end
``/links/100k``                          100,000 links in a ``<ul>``: every 100th (1,000) to
                                         ``https://brewbird.io/p/<i>``, the others to ``/n/<i>`` here
``/links/100k-internal``                 100,000 links to ``/n/<i>`` here, then the ``external_links``
                                         given to NastyWeb (no target link, no brand: a link-check case)
``/loop-a``                              302 to ``/loop-b``, which 302s back to ``/loop-a``
``/chain/0``                             302 to ``/chain/1`` ... ``/chain/<CHAIN_LENGTH-1>`` (20 hops,
                                         more than REDIRECT_MAX_TIMES = 10); the last one is a page
``/stall``                               headers and half the body, then silence for STALL_SECONDS
``/reset``                               headers and half the body, then a TCP reset (SO_LINGER 0)
``/short-body``                          Content-Length: 10000, 120 bytes of body, then a clean close
``/deep``                                50,000 nested ``<div>``; one target link at the innermost
                                         level (``https://brewbird.io/deep-inner``) and one after
                                         all of them are closed (``https://brewbird.io/deep``)
``/deep/5000``                            a forum-like page: a nav of 20 links, then 5,000 nested ``<div>``
                                         (mixed case, with classes) holding the standard paragraph and
                                         its target link at the bottom, then a closing paragraph; a
                                         link count cannot tell the deep link is lost (1 of 21)
``/rate-limited``                        429 with ``Retry-After: 1`` on the first request, 200 after
                                         (per server instance; ``web.hits`` counts requests per path)

Anything else is a 404 (held ``not_found_delay`` seconds, so that overlapping requests show in
``web.max_concurrent_not_found``).
"""

from __future__ import annotations

import contextlib
import random
import socket
import socketserver
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Iterator

TARGET = "brewbird.io"
STALL_SECONDS = 8.0  # longer than the DOWNLOAD_TIMEOUT (3 s) the tests use
CHAIN_LENGTH = 21  # /chain/0 .. /chain/20: 20 redirects
LINKS_TOTAL = 100_000
LINKS_TARGET_EVERY = 100  # every 100th link points at the target: 1,000 backlinks
DEEP_LEVELS = 50_000

# The pages the home page links to (the loop's and the chain's other hops are reached by redirects).
LINKED_PAGES = (
    "/control",
    "/malformed/unclosed-tags",
    "/malformed/early-html-close",
    "/malformed/nested-forms-tables",
    "/malformed/nul-bytes",
    "/malformed/bad-entities",
    "/charset/utf8-declared-cp1252-bytes",
    "/charset/meta-latin1-utf8-bytes",
    "/charset/utf16-bom-no-charset",
    "/binary/png",
    "/binary/random",
    "/doc.pdf",
    "/huge/15mb",
    "/huge/15mb-no-length",
    "/huge/5mb",
    "/links/100k",
    "/loop-a",
    "/chain/0",
    "/stall",
    "/reset",
    "/short-body",
    "/deep",
    "/deep/5000",
    "/rate-limited",
)

HTML = "text/html; charset=utf-8"


def target_url(path: str) -> str:
    """The target link a standard nasty page carries: ``/malformed/nul-bytes`` →
    ``https://brewbird.io/malformed/nul-bytes``."""
    return f"https://{TARGET}/{path.lstrip('/')}"


# --- page bodies --------------------------------------------------------------------------------


def _standard(path: str, title: str, body: str) -> str:
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title></head><body><main>"
        f"{body}<p>We brew with BrewBird every morning: <a href='{target_url(path)}'>BrewBird kettles</a>."
        "</p></main></body></html>"
    )


CONTROL_HTML = (
    "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><title>Control page</title></head>"
    "<body><main><article>"
    "<p>We switched our caf\u00e9 to BrewBird last spring and never looked back.</p>"
    "<p>See <a href='https://brewbird.io/pricing'>their pricing</a> for details.</p>"
    "</article></main></body></html>"
)

MALFORMED: dict[str, str] = {
    "/malformed/unclosed-tags": (
        "<html><head><title>Unclosed tags</title><body><div><p>Intro <b>bold <i>italic<div><li>stray item"
        "<p>We brew with BrewBird every morning: <a href='https://brewbird.io/malformed/unclosed-tags'>"
        "BrewBird kettles<p>and more text after the unclosed link <span><table><tr><td>cell"
    ),
    "/malformed/early-html-close": (
        "<!DOCTYPE html><html><head><title>Early close</title></head><body></body></html>"
        "</html></body><main><p>We brew with BrewBird every morning: "
        "<a href='https://brewbird.io/malformed/early-html-close'>BrewBird kettles</a>.</p></main>"
        "</body></html>"
    ),
    "/malformed/nested-forms-tables": (
        "<!DOCTYPE html><html><head><title>Nested forms and tables</title></head><body>"
        "<form action='/a'><form action='/b'><table><form><tr><td><table><tr><td>"
        "<form><table><td>cell</td></table></form><tr>row outside</tr>"
        "<p>We brew with BrewBird every morning: "
        "<a href='https://brewbird.io/malformed/nested-forms-tables'>BrewBird kettles</a>.</p>"
        "</td></tr></table></td></tr></form></table></form></form></body></html>"
    ),
    "/malformed/nul-bytes": (
        "<!DOCTYPE html><html><head><title>NUL\x00bytes</title></head><body>\x00<main>"
        "<p data-x='a\x00b'>Some\x00 text with NULs \x00\x00 in it.</p>\x00"
        "<p>We brew with BrewBird every morning: "
        "<a href='https://brewbird.io/malformed/nul-bytes' title='x\x00y'>BrewBird kettles</a>.</p>"
        "</main>\x00</body></html>"
    ),
    "/malformed/bad-entities": (
        "<!DOCTYPE html><html><head><title>Bad &bogus; entities</title></head><body><main>"
        "<p>&bogus; &#xFFFFFFFF; &#0; &#xD800; &#99999999999; &amp &lt &#; &#x; &;</p>"
        "<p>We brew with BrewBird every morning: "
        "<a href='https://brewbird.io/malformed/bad-entities?a=1&b=2&bogus;'>BrewBird kettles</a>.</p>"
        "</main></body></html>"
    ),
}


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    width = height = 64
    raw = b"".join(b"\x00" + bytes((x * 4 + y) & 0xFF for x in range(width * 3)) for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"% BrewBird https://brewbird.io/doc\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def _huge(size: int, path: str) -> bytes:
    """A valid HTML page of about `size` bytes; its one target link is at the very end."""
    head = b"<!DOCTYPE html><html><head><title>Huge page</title></head><body><main>"
    para = b"<p>" + b"Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 16 + b"</p>\n"
    tail = _standard(path, "x", "").split("<main>", 1)[1].encode()
    count = max(0, (size - len(head) - len(tail)) // len(para))
    return head + para * count + tail


def _hundred_k_links() -> bytes:
    parts = ["<!DOCTYPE html><html><head><title>100,000 links</title></head><body><main><ul>"]
    for i in range(LINKS_TOTAL):
        if i % LINKS_TARGET_EVERY == 0:
            parts.append(f"<li><a href='https://brewbird.io/p/{i}'>target {i}</a></li>")
        else:
            parts.append(f"<li><a href='/n/{i}'>page {i}</a></li>")
    parts.append("</ul></main></body></html>")
    return "".join(parts).encode()


def _hundred_k_internal(external: tuple[str, ...]) -> bytes:
    parts = ["<!DOCTYPE html><html><head><title>100,000 internal links</title></head><body><main><ul>"]
    parts += [f"<li><a href='/n/{i}'>page {i}</a></li>" for i in range(LINKS_TOTAL)]
    parts += [f"<li><a href='{url}'>elsewhere {i}</a></li>" for i, url in enumerate(external)]
    parts.append("</ul></main></body></html>")
    return "".join(parts).encode()


def _deep() -> bytes:
    return (
        b"<!DOCTYPE html><html><head><title>Deep nesting</title></head><body>"
        + b"<div>" * DEEP_LEVELS
        + b"<p>Innermost: <a href='https://brewbird.io/deep-inner'>BrewBird inside</a></p>"
        + b"</div>" * DEEP_LEVELS
        + b"<p>We brew with BrewBird every morning: "
        + b"<a href='https://brewbird.io/deep'>BrewBird kettles</a>.</p>"
        + b"</body></html>"
    )


DEEP_5000_LEVELS = 5_000


def _deep_5000() -> bytes:
    path = "/deep/5000"
    nav = (
        "<nav>"
        + "".join(f"<a href='https://forum.example/t/{i}'>Topic {i}</a>" for i in range(20))
        + "</nav>"
    )
    opening = "".join("<DIV CLASS='post-body'>" if i % 2 else "<div>" for i in range(DEEP_5000_LEVELS))
    return (
        "<!DOCTYPE html><html lang='en'><head><title>5,000 levels</title></head><body><main>"
        f"{nav}{opening}<p>We brew with BrewBird every morning: "
        f"<a href='{target_url(path)}'>BrewBird kettles</a>.</p>"
        + "</div>" * DEEP_5000_LEVELS
        + "<p>End of thread.</p></main></body></html>"
    ).encode()


class _Lazy:
    """Big bodies, built once per process on first use."""

    def __init__(self) -> None:
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> bytes:
        with self._lock:
            if name not in self._cache:
                self._cache[name] = {
                    "png": _png,
                    "random": lambda: random.Random(1234).randbytes(64 * 1024),
                    "15mb": lambda: _huge(15 * 1024 * 1024, "/huge/15mb"),
                    "15mb-no-length": lambda: _huge(15 * 1024 * 1024, "/huge/15mb-no-length"),
                    "5mb": lambda: _huge(5 * 1000 * 1000, "/huge/5mb"),
                    "100k": _hundred_k_links,
                    "deep": _deep,
                    "deep-5000": _deep_5000,
                }[name]()
            return self._cache[name]


_BODIES = _Lazy()


# --- the server ---------------------------------------------------------------------------------


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(10)
        try:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                data += chunk
                if len(data) > 65536:
                    return
            request_line = data.split(b"\r\n", 1)[0].decode("latin-1")
            parts = request_line.split()
            if len(parts) < 2:
                return
            method, target = parts[0], parts[1]
            path = target.split("?", 1)[0]
            self.server.count(path)
            self.route(sock, method, path)
        except OSError:  # the client went away (cancelled a big download, timed out): fine
            pass

    # helpers
    def send(
        self,
        sock: socket.socket,
        status: str,
        headers: dict[str, str],
        body: bytes,
        method: str,
        length: int | None = -1,
    ) -> None:
        lines = [f"HTTP/1.1 {status}"]
        if length == -1:
            length = len(body)
        if length is not None:
            lines.append(f"Content-Length: {length}")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        sock.sendall(head)
        if method != "HEAD" and body:
            view = memoryview(body)
            for i in range(0, len(body), 256 * 1024):
                sock.sendall(view[i : i + 256 * 1024])

    def html(
        self,
        sock: socket.socket,
        method: str,
        body: str | bytes,
        content_type: str = HTML,
        status: str = "200 OK",
    ) -> None:
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send(sock, status, {"Content-Type": content_type}, data, method)

    def redirect(self, sock: socket.socket, method: str, location: str) -> None:
        self.send(sock, "302 Found", {"Location": location, "Content-Type": HTML}, b"", method)

    def route(self, sock: socket.socket, method: str, path: str) -> None:
        if path == "/":
            items = "".join(f"<li><a href='{p}'>{p}</a></li>" for p in self.server.home_links)
            return self.html(
                sock,
                method,
                f"<!DOCTYPE html><html><head><title>Nasty web</title></head>"
                f"<body><ul>{items}</ul></body></html>",
            )
        if path == "/robots.txt":
            return self.html(sock, method, "User-agent: *\nAllow: /\n", "text/plain")
        if path == "/control":
            return self.html(sock, method, CONTROL_HTML)
        if path in MALFORMED:
            return self.html(sock, method, MALFORMED[path])
        if path == "/charset/utf8-declared-cp1252-bytes":
            text = _standard(
                path,
                "Caf\u00e9 \u201cBrewBird\u201d",
                "<p>Caf\u00e9 cr\u00e8me \u2014 \u201cna\u00efve\u201d.</p>",
            )
            return self.html(sock, method, text.encode("cp1252"), "text/html; charset=utf-8")
        if path == "/charset/meta-latin1-utf8-bytes":
            text = _standard(path, "Caf\u00e9", "<p>\u00dcber caf\u00e9 \u2014 \u65e5\u672c.</p>").replace(
                "<head>", "<head><meta charset='iso-8859-1'>"
            )
            return self.html(sock, method, text.encode("utf-8"), "text/html")
        if path == "/charset/utf16-bom-no-charset":
            text = _standard(path, "UTF-16", "<p>\u00dcber caf\u00e9 \u2014 \u65e5\u672c.</p>")
            return self.html(sock, method, text.encode("utf-16"), "text/html")  # utf-16 writes a BOM
        if path == "/binary/png":
            return self.html(sock, method, _BODIES.get("png"), "text/html")
        if path == "/binary/random":
            return self.html(sock, method, _BODIES.get("random"), "text/html")
        if path == "/doc.pdf":
            return self.html(sock, method, PDF, "application/pdf")
        if path == "/huge/15mb":
            return self.html(sock, method, _BODIES.get("15mb"))
        if path == "/huge/15mb-no-length":
            return self.send(
                sock, "200 OK", {"Content-Type": HTML}, _BODIES.get("15mb-no-length"), method, length=None
            )
        if path == "/huge/5mb":
            return self.html(sock, method, _BODIES.get("5mb"))
        if path == "/links/100k":
            return self.html(sock, method, _BODIES.get("100k"))
        if path == "/links/100k-internal":
            return self.html(sock, method, self.server.hundred_k_internal())
        if path == "/loop-a":
            return self.redirect(sock, method, "/loop-b")
        if path == "/loop-b":
            return self.redirect(sock, method, "/loop-a")
        if path.startswith("/chain/"):
            try:
                hop = int(path.rsplit("/", 1)[1])
            except ValueError:
                hop = -1
            if 0 <= hop < CHAIN_LENGTH - 1:
                return self.redirect(sock, method, f"/chain/{hop + 1}")
            if hop == CHAIN_LENGTH - 1:
                return self.html(sock, method, _standard(path, "End of the chain", ""))
        if path in ("/stall", "/reset"):
            body = _standard(path, "Half a page", "<p>" + "x" * 4000 + "</p>").encode()
            head = f"HTTP/1.1 200 OK\r\nContent-Type: {HTML}\r\nContent-Length: {len(body)}\r\n\r\n"
            sock.sendall(head.encode() + body[: len(body) // 2])
            if path == "/stall":
                self.server.stopping.wait(STALL_SECONDS)
                return None
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # RST, not FIN
            return None
        if path == "/short-body":
            body = _standard(path, "Short", "")[:120].encode()
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {HTML}\r\nContent-Length: 10000\r\n"
                "Connection: close\r\n\r\n"
            )
            sock.sendall(head.encode() + body)
            sock.shutdown(socket.SHUT_WR)
            return None
        if path == "/deep":
            return self.html(sock, method, _BODIES.get("deep"))
        if path == "/deep/5000":
            return self.html(sock, method, _BODIES.get("deep-5000"))
        if path == "/rate-limited":
            if self.server.hits[path] == 1:
                return self.send(
                    sock,
                    "429 Too Many Requests",
                    {"Retry-After": "1", "Content-Type": "text/plain"},
                    b"slow down\n",
                    method,
                )
            return self.html(sock, method, _standard(path, "Rate limited, then fine", ""))
        with self.server.not_found_active():
            return self.html(
                sock, method, "<!DOCTYPE html><title>404</title><p>Not found</p>", status="404 Not Found"
            )


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(
        self, home_links: tuple[str, ...], external_links: tuple[str, ...], not_found_delay: float
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.home_links = home_links
        self.external_links = external_links
        self.not_found_delay = not_found_delay
        self.stopping = threading.Event()
        self.hits: Counter[str] = Counter()
        self._hits_lock = threading.Lock()
        self._hundred_k_internal: bytes | None = None
        self.not_found_now = 0
        self.max_concurrent_not_found = 0

    def count(self, path: str) -> None:
        with self._hits_lock:
            self.hits[path] += 1

    def hundred_k_internal(self) -> bytes:
        with self._hits_lock:
            if self._hundred_k_internal is None:
                self._hundred_k_internal = _hundred_k_internal(self.external_links)
            return self._hundred_k_internal

    @contextlib.contextmanager
    def not_found_active(self) -> Iterator[None]:
        """Counts 404 answers in progress (held `not_found_delay` seconds) and their maximum."""
        with self._hits_lock:
            self.not_found_now += 1
            self.max_concurrent_not_found = max(self.max_concurrent_not_found, self.not_found_now)
        try:
            if self.not_found_delay:
                self.stopping.wait(self.not_found_delay)
            yield
        finally:
            with self._hits_lock:
                self.not_found_now -= 1


class NastyWeb:
    """The nasty web on 127.0.0.1 and a free port. A context manager; or call start()/stop().

    `home_links`: the paths the home page links to (default: all of LINKED_PAGES);
    `external_links`: the URLs ``/links/100k-internal`` links to after its 100,000 internal links;
    `not_found_delay`: seconds each 404 answer is held (see `max_concurrent_not_found`)."""

    def __init__(
        self,
        home_links: tuple[str, ...] = LINKED_PAGES,
        external_links: tuple[str, ...] = (),
        not_found_delay: float = 0.0,
    ) -> None:
        self.home_links = tuple(home_links)
        self.external_links = tuple(external_links)
        self.not_found_delay = not_found_delay
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "NastyWeb not started"
        return self._server.server_address[1]

    @property
    def hits(self) -> Counter[str]:
        """Requests received per path."""
        assert self._server is not None, "NastyWeb not started"
        return self._server.hits

    @property
    def max_concurrent_not_found(self) -> int:
        """The most 404 answers that were in progress at once."""
        assert self._server is not None, "NastyWeb not started"
        return self._server.max_concurrent_not_found

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> NastyWeb:
        self._server = _Server(self.home_links, self.external_links, self.not_found_delay)
        self._thread = threading.Thread(target=self._server.serve_forever, name="nasty-web", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> NastyWeb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


if __name__ == "__main__":  # python -m tests.nasty_web: serve until Ctrl-C
    import time

    with NastyWeb() as web:
        print(web.url("/"), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
