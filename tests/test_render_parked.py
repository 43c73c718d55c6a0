"""render=auto, in a real Chromium: pages of an ambiguous site that arrive while its samples are
still rendering wait for them (`parked`), and are rendered once a sample shows that the site adds
its content with JavaScript; a crawl where the samples reveal nothing handles them as they are.
(Handled statically at once, as before, they would lose the links their script adds.)"""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

from tests.conftest import run_crawl, serving

ADDRESS = "127.0.48.1"
CHILDREN = [f"/post/{n}" for n in range(1, 7)]
WORDS = "Notes on brewing: grind size, water temperature, bloom time and the pour. "


def page(path: str, sneaky: bool) -> str:
    """An ambiguous page (its own script, a modest text); on a sneaky site a post's script adds a
    link to the target after load."""
    nav = "".join(f"<a href='{p}'>{p}</a> " for p in CHILDREN) if path == "/" else "<a href='/'>home</a>"
    script = "<script src='/js/widgets.js'></script>"
    if sneaky and path != "/":
        slug = path.strip("/").replace("/", "-")
        script += (
            "<script>document.getElementById('extra').innerHTML = "
            f'"<p>Timed with <a href=\\"https://brewbird.io/{slug}\\">BrewBird</a></p>";</script>'
        )
    return (
        f"<!DOCTYPE html><html><head><title>{path}</title></head><body><nav>{nav}</nav>"
        f"<main><h1>{path}</h1><p>{WORDS * 4}</p><div id='extra'></div></main>{script}</body></html>"
    )


def handler(sneaky: bool) -> type[BaseHTTPRequestHandler]:
    class Site(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/robots.txt" or self.path.startswith("/js/"):
                body, kind = b"", "text/plain"
            elif self.path == "/" or self.path in CHILDREN:
                body, kind = page(self.path, sneaky).encode(), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return Site


def crawl(tmp_path, sneaky: bool):
    with serving(handler(sneaky), ADDRESS) as base:
        result = run_crawl(
            {"target": "brewbird.io", "seeds": f"{base}/", "depth": "1", "render": "auto"},
            tmp_path / "out",
            {
                "CONCURRENT_REQUESTS_PER_DOMAIN": 8,
                "AUTOTHROTTLE_ENABLED": False,
                "DOWNLOAD_DELAY": 0,
                "RENDER_DECISIONS_ENABLED": False,
            },
        )
    return base, result


def test_pages_waiting_for_the_samples_are_rendered_when_a_sample_reveals_content(tmp_path):
    base, result = crawl(tmp_path, sneaky=True)
    assert result.returncode == 0, result.stderr[-3000:]
    found = sorted((b["source_url"], b["target_url"]) for b in result.records("backlink"))
    assert found == [
        (f"{base}{path}", f"https://brewbird.io/{path.strip('/').replace('/', '-')}") for path in CHILDREN
    ]
    pages = {p["url"]: p for p in result.records("page")}
    assert all(pages[f"{base}{path}"]["rendered"] for path in CHILDREN)
    # the home page and the first post are the site's two samples; the other posts are rendered
    # because a sample revealed the site's links: at once or after waiting for the samples
    stats = result.stats
    assert stats["render/auto/sample"] == 2
    assert stats.get("render/auto/site-learned", 0) == len(CHILDREN) - 1
    assert "render/auto/static/samples-pending" not in stats
    assert stats.get("render/auto/parked", 0) <= len(CHILDREN) - 1


def test_pages_waiting_for_samples_that_reveal_nothing_are_handled_as_they_are(tmp_path):
    base, result = crawl(tmp_path, sneaky=False)
    assert result.returncode == 0, result.stderr[-3000:]
    pages = {p["url"]: p for p in result.records("page")}
    assert sorted(pages) == sorted([f"{base}/", *(f"{base}{path}" for path in CHILDREN)])
    assert sum(p["rendered"] for p in pages.values()) == 2  # the two samples
    stats = result.stats
    assert stats["render/auto/sample"] == 2
    static = stats.get("render/auto/static/site-learned-static", 0)
    assert static == len(CHILDREN) - 1
    assert "render/auto/static/parked-at-idle" not in stats
