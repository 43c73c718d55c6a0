"""Discovery in a real crawl: seeds that are sitemaps (gzipped too) and feeds, and seeds found by a
search provider (a SearXNG-compatible fake on loopback)."""

from __future__ import annotations

import gzip
from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import demo_settings, run_crawl, serving
from tests.fake_searxng import FakeSearxng


@pytest.fixture
def documents(demo_web):
    forum, blog, news = demo_web.urls["forum"], demo_web.urls["blog"], demo_web.urls["news"]
    index = """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>{base}/forum.xml.gz</loc></sitemap>
</sitemapindex>"""
    forum_map = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>{forum}/t/grinder-retention-tips/57</loc></url>
  <url><loc>{forum}/t/best-gooseneck-kettle/42</loc></url>
</urlset>"""
    feed = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bean Blog</title><link>{blog}/</link>
  <item><title>Espresso grinders compared</title>
    <link>{blog}/2026/04/espresso-grinders-compared/</link></item>
  <item><title>Coffee startups</title><link>{news}/2026/05/coffee-startups-raise/</link></item>
</channel></rss>"""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            base = f"http://127.0.0.1:{self.server.server_address[1]}"
            files = {
                "/robots.txt": (b"User-agent: *\nDisallow:\n", "text/plain"),
                "/sitemap.xml": (index.replace("{base}", base).encode(), "application/xml"),
                "/forum.xml.gz": (gzip.compress(forum_map.encode()), "application/octet-stream"),
                "/feed.rss": (feed.encode(), "application/rss+xml"),
            }
            body, kind = files.get(self.path, (b"", "text/plain"))
            self.send_response(200 if self.path in files else 404)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    with serving(Handler) as url:
        yield url


def page_paths(web, result):
    return sorted(
        (site, p["url"][len(base) :])
        for p in result.records("page")
        for site, base in web.urls.items()
        if p["url"].startswith(base)
    )


def test_sitemap_index_gzipped_sitemap_and_feed_seeds(demo_web, documents, tmp_path):
    settings = {**demo_settings(demo_web), "ALLOWED_HOSTS": "127.*"}
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": f"{documents}/sitemap.xml,{documents}/feed.rss",
            "depth": "0",
            "render": "never",
            "check_links": "false",
        },
        tmp_path,
        settings,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert page_paths(demo_web, result) == [
        ("blog", "/2026/04/espresso-grinders-compared/"),
        ("forum", "/t/best-gooseneck-kettle/42"),
        ("forum", "/t/grinder-retention-tips/57"),
        ("news", "/2026/05/coffee-startups-raise/"),
    ]
    # the seed documents themselves are not pages
    assert not [p for p in result.records("page") if p["url"].startswith(documents)]


def test_search_discovery_seeds_the_crawl(demo_web, tmp_path):
    blog, forum = demo_web.urls["blog"], demo_web.urls["forum"]
    results = {
        '"brewbird" -site:brewbird.io': [
            f"{blog}/2026/04/espresso-grinders-compared/",
            "https://brewbird.io/own",
        ],
        "forum": [f"{forum}/t/grinder-retention-tips/57", f"{blog}/2026/04/espresso-grinders-compared/#x"],
    }
    with FakeSearxng(results) as searx:
        settings = {**demo_settings(demo_web), "ALLOWED_HOSTS": "127.*", "SEARCH_URL": searx.base_url}
        result = run_crawl(
            {
                "target": "brewbird.io",
                "sources": "searxng",
                "depth": "0",
                "render": "never",
                "check_links": "false",
            },
            tmp_path,
            settings,
        )
        queries = list(searx.queries)
    assert result.returncode == 0, result.stderr[-2000:]
    assert sorted(queries) == sorted(
        [  # sent concurrently: any order
            '"brewbird" -site:brewbird.io',
            '"brewbird.io" -site:brewbird.io',
            '"brewbird" forum -site:brewbird.io',
            '"brewbird" review -site:brewbird.io',
            '"brewbird" profile -site:brewbird.io',
        ]
    )
    # the target's own URL and the duplicate are filtered out
    assert page_paths(demo_web, result) == [
        ("blog", "/2026/04/espresso-grinders-compared/"),
        ("forum", "/t/grinder-retention-tips/57"),
    ]
    leads = {lead["source_url"] for lead in result.records("lead")}
    assert leads == {f"{blog}/2026/04/espresso-grinders-compared/", f"{forum}/t/grinder-retention-tips/57"}
    assert {p["discovered_by"] for p in result.records("page")} == {"searxng"}
    (summary,) = result.records("summary")
    assert summary["discovery"]["searxng"]["candidates"] == 2
