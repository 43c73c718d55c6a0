"""Serve the BrewBird demo web: eight small static sites on loopback.

Each site in ``demo/sites/<name>/`` gets its own ``ThreadingHTTPServer`` on
its own loopback address (see ``SITES``).  All sites share one port number
when a fixed port is given; with ``port=0`` every server takes its own free
port.

Python API::

    from demo.serve import DemoWeb
    with DemoWeb(port=0) as web:          # or web = DemoWeb(...); web.start()
        web.urls    # {"forum": "http://127.0.10.1:41234", ...}
        web.seeds   # ["http://127.0.10.1:41234/", ...]  (all but brewbird and rival)

CLI::

    python -m demo.serve [--port 8800] [--overlay DIR] [--manifest PATH] [--verbose]

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import os
import posixpath
import re
import signal
import socketserver
import sys
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

DEMO_DIR = Path(__file__).resolve().parent
SITES_DIR = DEMO_DIR / "sites"
OVERLAYS_DIR = DEMO_DIR / "overlays"
DEFAULT_PORT = 8800

# Site name -> loopback address.  Order matters: it is the order of ``seeds``.
SITES: dict[str, str] = {
    "forum": "127.0.10.1",
    "social": "127.0.10.2",
    "blog": "127.0.10.3",
    "directory": "127.0.10.4",
    "news": "127.0.10.5",
    "resources": "127.0.10.6",
    "brewbird": "127.0.10.7",
    "rival": "127.0.10.8",
}
TARGET_SITE = "brewbird"
# Public hosts of the target that the ``brewbird`` site stands in for.
TARGET_HOSTS = ("brewbird.io", "www.brewbird.io", "shop.brewbird.io", "blog.brewbird.io")
# The competitor's site (KettleCraft, a rival coffee-gear brand) and the public hosts it stands in for.
COMPETITOR_SITE = "rival"
COMPETITOR_DOMAIN = "kettlecraft.com"
COMPETITOR_HOSTS = ("kettlecraft.com", "www.kettlecraft.com")

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
}
TEXT_EXTENSIONS = {".html", ".htm", ".js", ".mjs", ".json", ".xml", ".txt", ".css", ".svg"}
PLACEHOLDER_RE = re.compile(r"\{\{(site|siteq):([a-z0-9_-]+)\}\}")

NOT_FOUND_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>Page not found</title>
<style>
body{{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;
     color:#222;background:#fafafa}}
main{{max-width:36rem;margin:12vh auto;padding:0 1.5rem}}
h1{{font-size:2rem;margin-bottom:.25rem}} .code{{color:#999;font-size:4rem;font-weight:700;margin:0}}
a{{color:#0b63b6}}
</style>
</head>
<body>
<main>
<p class="code">404</p>
<h1>Page not found</h1>
<p>Sorry, we couldn&rsquo;t find <code>{path}</code>. It may have been moved or deleted.</p>
<p><a href="/">Go to the home page</a></p>
</main>
</body>
</html>
"""

ERROR_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><meta name="robots" content="noindex"><title>{code} {reason}</title></head>
<body><h1>{code} {reason}</h1><p>{message}</p><hr><address>nginx</address></body>
</html>
"""


class DemoWebError(OSError):
    """Raised when a site's address cannot be bound."""


def _resolve_dir(path: str | os.PathLike | None) -> Path | None:
    """Resolve an overlay directory given absolute, relative to cwd, relative
    to the repository root, or as a bare overlay name (``"changed"``)."""
    if path is None:
        return None
    p = Path(path)
    candidates = [p] if p.is_absolute() else [Path.cwd() / p, DEMO_DIR.parent / p, OVERLAYS_DIR / p]
    for c in candidates:
        if c.is_dir():
            return c.resolve()
    raise FileNotFoundError(f"overlay directory not found: {path}")


class LoopbackHTTPServer(ThreadingHTTPServer):
    """The HTTP server of the demo sites and of the tests' loopback sites. A crawler opens many
    connections at once: with the default listen backlog (5) dropped SYNs are retried a second
    later, which slows crawls and makes a late request look like one sent at the wrong time."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def server_bind(self):
        # HTTPServer.server_bind calls socket.getfqdn(), which may do a slow
        # reverse DNS lookup; skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = host
        self.server_port = port


class DemoWeb:
    """All demo sites, each on its own loopback address."""

    def __init__(
        self,
        port: int = 0,
        overlay: str | os.PathLike | None = None,
        verbose: bool = False,
        sites_dir: str | os.PathLike | None = None,
    ):
        self.port = int(port)
        self.overlay = _resolve_dir(overlay)
        self.verbose = verbose
        self.sites_dir = Path(sites_dir).resolve() if sites_dir else SITES_DIR
        self._servers: dict[str, LoopbackHTTPServer] = {}
        self._threads: list[threading.Thread] = []
        self.urls: dict[str, str] = {}
        self._routes_cache: dict[str, dict] = {}

    # ----------------------------------------------------------------- API
    @property
    def seeds(self) -> list[str]:
        return [url + "/" for name, url in self.urls.items() if name not in (TARGET_SITE, COMPETITOR_SITE)]

    @property
    def target_hosts(self) -> dict[str, str]:
        """Public target hosts -> base URL of the ``brewbird`` stand-in site."""
        base = self.urls.get(TARGET_SITE)
        return {h: base for h in TARGET_HOSTS} if base else {}

    @property
    def competitor_hosts(self) -> dict[str, str]:
        """Public hosts of the competitor (kettlecraft.com) -> base URL of the ``rival`` stand-in site."""
        base = self.urls.get(COMPETITOR_SITE)
        return {h: base for h in COMPETITOR_HOSTS} if base else {}

    def crawl_settings(self) -> dict[str, str]:
        """Settings every crawl of the demo web needs: loopback allowed, the target's public hosts
        served by the stand-in site, and no request ever leaving the demo web."""
        return {
            "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
            "HOST_ALIASES": json.dumps({**self.target_hosts, **self.competitor_hosts}),
            "ALLOWED_HOSTS": "127.0.10.*",
        }

    def manifest(self) -> dict:
        return {"urls": dict(self.urls), "seeds": self.seeds}

    def url(self, site: str, path: str = "/") -> str:
        return self.urls[site] + (path if path.startswith("/") else "/" + path)

    def start(self) -> DemoWeb:
        if self._servers:
            return self
        try:
            for name, host in SITES.items():
                handler = self._make_handler(name)
                try:
                    server = LoopbackHTTPServer((host, self.port), handler)
                except OSError as exc:
                    raise DemoWebError(
                        exc.errno, f"cannot bind site {name!r} to {host}:{self.port}: {exc.strerror or exc}"
                    ) from exc
                self._servers[name] = server
                self.urls[name] = f"http://{host}:{server.server_address[1]}"
        except BaseException:
            self._close_all()
            raise
        for name, server in self._servers.items():
            t = threading.Thread(
                target=server.serve_forever, kwargs={"poll_interval": 0.2}, name=f"demo-{name}", daemon=True
            )
            t.start()
            self._threads.append(t)
        return self

    def stop(self) -> None:
        # shutdown() blocks until that server's loop notices; do all at once.
        stoppers = [threading.Thread(target=s.shutdown, daemon=True) for s in self._servers.values()]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=5)
        for t in self._threads:
            t.join(timeout=5)
        self._close_all()
        self._threads.clear()

    def _close_all(self) -> None:
        for server in self._servers.values():
            try:
                server.server_close()
            except OSError:
                pass
        self._servers.clear()
        self.urls.clear()

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------ internals
    def _site_roots(self, site: str) -> list[Path]:
        roots = []
        if self.overlay is not None and (self.overlay / site).is_dir():
            roots.append(self.overlay / site)
        roots.append(self.sites_dir / site)
        return roots

    def _find_file(self, site: str, rel: str) -> Path | None:
        """A file of the site (overlay first), or None."""
        for root in self._site_roots(site):
            candidate = (root / rel).resolve()
            try:
                candidate.relative_to(root.resolve())
            except ValueError:
                return None
            if candidate.is_file():
                return candidate
        return None

    def _routes(self, site: str) -> dict:
        if site not in self._routes_cache:
            f = self._find_file(site, "_routes.json")
            self._routes_cache[site] = json.loads(f.read_text("utf-8")) if f else {}
        return self._routes_cache[site]

    def resolve_path(self, site: str, path: str) -> Path | None:
        """Map a URL path to a file following the routing rules, or None."""
        path = unquote(path)
        if "\x00" in path:
            return None
        norm = posixpath.normpath(path)
        parts = [p for p in norm.split("/") if p]
        if any(p.startswith((".", "_")) for p in parts):
            return None
        rel = "/".join(parts)
        if path.endswith("/") or not parts:
            return self._find_file(site, posixpath.join(rel, "index.html"))
        for cand in (rel, rel + ".html", posixpath.join(rel, "index.html")):
            f = self._find_file(site, cand)
            if f is not None:
                return f
        return None

    def render(self, file: Path) -> bytes:
        data = file.read_bytes()
        if file.suffix.lower() in TEXT_EXTENSIONS:
            text = data.decode("utf-8")
            text = PLACEHOLDER_RE.sub(self._placeholder, text)
            data = text.encode("utf-8")
        return data

    def _placeholder(self, m: re.Match) -> str:
        kind, name = m.group(1), m.group(2)
        base = self.urls.get(name)
        if base is None:
            return m.group(0)
        return quote(base, safe="") if kind == "siteq" else base

    def _make_handler(self, site: str):
        web = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "nginx"
            sys_version = ""
            protocol_version = "HTTP/1.1"

            def version_string(self):
                return "nginx"

            def log_message(self, fmt, *args):  # silence by default
                if web.verbose:
                    sys.stderr.write(f"[{site}] {self.address_string()} - {fmt % args}\n")

            def do_GET(self):
                self._handle(head=False)

            def do_HEAD(self):
                self._handle(head=True)

            def _send(self, status: int, body: bytes, ctype: str | None, headers: dict, head: bool):
                self.send_response(status)
                if ctype:
                    self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                if not head and body:
                    self.wfile.write(body)

            def _not_found(self, path: str, head: bool, headers: dict | None = None, status: int = 404):
                custom = web._find_file(site, "_404.html")
                if custom is not None:
                    body = web.render(custom)
                else:
                    esc = path.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                    body = NOT_FOUND_PAGE.format(path=esc).encode("utf-8")
                self._send(status, body, CONTENT_TYPES[".html"], headers or {}, head)

            def _handle(self, head: bool):
                try:
                    path = urlsplit(self.path).path or "/"
                    route = web._routes(site).get(path)
                    if route is None and unquote(path) != path:
                        route = web._routes(site).get(unquote(path))
                    if route is not None:
                        self._route(path, route, head)
                        return
                    f = web.resolve_path(site, path)
                    if f is None:
                        self._not_found(path, head)
                        return
                    ctype = CONTENT_TYPES.get(f.suffix.lower(), "application/octet-stream")
                    self._send(200, web.render(f), ctype, {}, head)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _route(self, path: str, route: dict, head: bool):
                delay = float(route.get("delay") or 0)
                if delay > 0:
                    time.sleep(delay)
                status = int(route.get("status", 200))
                headers = {
                    k: PLACEHOLDER_RE.sub(web._placeholder, str(v))
                    for k, v in (route.get("headers") or {}).items()
                }
                redirect = route.get("redirect")
                if redirect:
                    redirect = PLACEHOLDER_RE.sub(web._placeholder, redirect)
                    if redirect.startswith("/"):
                        redirect = web.urls[site] + redirect
                    headers.setdefault("Location", redirect)
                    if status == 200:
                        status = 301
                if "body" not in route:
                    # Serve the normally routed file with the route's status/headers.
                    f = web.resolve_path(site, path)
                    if f is None:
                        if redirect:
                            body = (
                                "<!DOCTYPE html><html><head><title>Moved</title></head>"
                                f'<body><p>Moved to <a href="{redirect}">{redirect}</a>.</p>'
                                "</body></html>"
                            )
                            self._send(status, body.encode(), CONTENT_TYPES[".html"], headers, head)
                        elif status == 404:
                            self._not_found(path, head, headers)
                        else:
                            try:
                                reason = HTTPStatus(status).phrase
                            except ValueError:
                                reason = ""
                            body = ERROR_PAGE.format(code=status, reason=reason, message=reason).encode()
                            self._send(status, body, CONTENT_TYPES[".html"], headers, head)
                        return
                    ctype = CONTENT_TYPES.get(f.suffix.lower(), "application/octet-stream")
                    self._send(status, web.render(f), ctype, headers, head)
                    return
                body_name = route["body"]
                if body_name is None:
                    self._send(status, b"", None, headers, head)
                    return
                f = web._find_file(site, body_name)
                if f is None:
                    raise FileNotFoundError(f"{site}/_routes.json: body file {body_name!r} missing")
                ctype = CONTENT_TYPES.get(f.suffix.lower(), "application/octet-stream")
                self._send(status, web.render(f), ctype, headers, head)

        return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo.serve", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port for every site (default {DEFAULT_PORT}; 0 = a free port per site)",
    )
    parser.add_argument("--overlay", default=None, help="overlay directory, e.g. demo/overlays/changed")
    parser.add_argument("--manifest", default=None, help="also write the JSON manifest to this file")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)

    try:
        web = DemoWeb(port=args.port, overlay=args.overlay, verbose=args.verbose)
        web.start()
    except (OSError, FileNotFoundError) as exc:
        msg = str(exc) if isinstance(exc, DemoWebError) else f"{exc}"
        print(f"demo.serve: error: {msg}", file=sys.stderr, flush=True)
        return 1

    stop = threading.Event()

    def _on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)

    manifest = json.dumps(web.manifest())
    if args.manifest:
        Path(args.manifest).write_text(manifest + "\n", encoding="utf-8")
    print(manifest, flush=True)
    try:
        while not stop.wait(0.2):
            pass
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
