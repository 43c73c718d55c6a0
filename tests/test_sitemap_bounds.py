"""Sitemap seeds are bounded: an index that points to a new index forever is followed at most
SITEMAP_MAX_DEPTH levels, a gzip bomb gets a page record with the error, and under render=always a
sitemap seed is read as a sitemap (statically), not as "not HTML"."""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler

from tests.conftest import run_crawl, serving

PAGE = b'<html><body><p>Great <a href="https://brewbird.io/">BrewBird</a> kettle.</p></body></html>'


class Site(BaseHTTPRequestHandler):
    fetched: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        type(self).fetched.append(self.path)
        base = f"http://{self.headers['Host']}"
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        if self.path.startswith("/index-"):  # every index points to the next one, forever
            n = int(self.path.split("-")[1].split(".")[0])
            body = (
                '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<sitemap><loc>{base}/index-{n + 1}.xml</loc></sitemap>"
                f"<sitemap><loc>{base}/pages-{n}.xml</loc></sitemap></sitemapindex>"
            )
            return self._send(body.encode(), "application/xml")
        if self.path.startswith("/pages-"):
            n = self.path.split("-")[1].split(".")[0]
            body = (
                '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                f"<url><loc>{base}/post-{n}</loc></url></urlset>"
            )
            return self._send(body.encode(), "application/xml")
        if self.path == "/bomb.xml.gz":  # 60 MB of sitemap from a small file
            return self._send(gzip.compress(b"<urlset>" + b" " * 60_000_000, 1), "application/gzip")
        return self._send(PAGE, "text/html")

    def _send(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def crawl(tmp_path, seeds, render="never", **settings):
    Site.fetched = []
    with serving(Site, "127.0.0.5") as base:
        result = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": ",".join(base + s for s in seeds),
                "depth": "0",
                "render": render,
                "check_links": "false",
            },
            tmp_path,
            settings,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return base, result


def test_a_sitemap_index_chain_is_followed_a_bounded_number_of_levels(tmp_path):
    base, result = crawl(tmp_path, ["/index-0.xml"], SITEMAP_MAX_DEPTH="3")
    # the seed is level 0; documents three levels below it are read, their children are not
    indexes = [p for p in Site.fetched if p.startswith("/index-")]
    assert indexes == ["/index-0.xml", "/index-1.xml", "/index-2.xml", "/index-3.xml"]
    assert sorted(p["url"][len(base) :] for p in result.records("page")) == [f"/post-{n}" for n in range(3)]
    assert result.stat("discovery/sitemap/dropped_nesting") == 2


def test_a_crawl_reads_at_most_so_many_sitemaps(tmp_path):
    crawl(tmp_path, ["/index-0.xml"], SITEMAP_MAX_DEPTH="100", SITEMAP_MAX_DOCUMENTS="5")
    assert len([p for p in Site.fetched if p.startswith(("/index-", "/pages-"))]) == 6  # the seed + 5


def test_a_gzip_bomb_sitemap_gets_a_page_record_with_the_error(tmp_path):
    base, result = crawl(tmp_path, ["/bomb.xml.gz"])
    (page,) = result.records("page")
    assert page["url"] == f"{base}/bomb.xml.gz" and page["status"] == 200
    limit = "more than 52428800 bytes once decompressed; refused (a sitemap is at most 50 MB)"
    assert page["error"] == f"{base}/bomb.xml.gz: {limit}"


def test_under_render_always_a_sitemap_seed_is_read_as_a_sitemap(tmp_path):
    base, result = crawl(tmp_path, ["/pages-7.xml"], render="always")
    (page,) = result.records("page")
    assert (page["url"], page["rendered"], page["discovered_by"]) == (f"{base}/post-7", True, "sitemap")
    assert [b["target_url"] for b in result.records("backlink")] == ["https://brewbird.io/"]
