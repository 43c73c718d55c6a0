"""render=auto renders a page from the static response it already has: Chromium is given that
response for the page's own document, so the page is downloaded once, not twice (its scripts and
data requests are fetched as usual, through the egress guard)."""

from __future__ import annotations

from collections import Counter
from http.server import BaseHTTPRequestHandler

from tests.conftest import run_crawl, serving

APP = b"""<!DOCTYPE html><html><head><title>App</title><script src="/app.js" defer></script></head>
<body><div id="app"></div></body></html>"""
SCRIPT = b"""document.getElementById("app").innerHTML =
  '<p>Made with <a href="https://brewbird.io/app">BrewBird</a></p>';"""


class Site(BaseHTTPRequestHandler):
    served: Counter = Counter()

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).served[self.path] += 1
        body, kind = {
            "/robots.txt": (b"User-agent: *\nAllow: /\n", "text/plain"),
            "/app.js": (SCRIPT, "text/javascript"),
        }.get(self.path, (APP, "text/html"))
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def crawl(tmp_path, **settings):
    Site.served = Counter()
    with serving(Site, "127.0.0.4") as base:
        result = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": f"{base}/app",
                "depth": "0",
                "render": "auto",
                "check_links": "false",
            },
            tmp_path,
            settings,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_a_page_auto_renders_is_downloaded_once(tmp_path):
    result = crawl(tmp_path)
    (page,) = result.records("page")
    assert (page["rendered"], page["render_reason"]) == (True, "empty-app-root")
    assert [b["target_url"] for b in result.records("backlink")] == ["https://brewbird.io/app"]
    assert Site.served["/app"] == 1 and Site.served["/app.js"] == 1
    assert result.stat("render/document_from_static") == 1


def test_without_reuse_the_browser_downloads_the_page_again(tmp_path):
    result = crawl(tmp_path, RENDER_REUSE_STATIC="False")
    assert [b["target_url"] for b in result.records("backlink")] == ["https://brewbird.io/app"]
    assert Site.served["/app"] == 2
