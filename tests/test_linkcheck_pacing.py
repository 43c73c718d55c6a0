"""Link checks that cannot stall a crawl (issue 15 item 4), on the loopback nasty web.

A page with 100,000 links within its own site plus a few dead links to other sites: the internal
links cost no request (LINK_CHECK_INTERNAL off), the dead external ones become `broken_link`
records, and every page is crawled. With LINK_CHECK_INTERNAL on, checks to one host go out at most
LINK_CHECK_CONCURRENCY_PER_HOST at a time, in their own download slot.

The new settings are passed with -s (their defaults belong in settings.py).
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import CrawlResult, run_crawl, serving
from tests.nasty_web import LINKS_TOTAL, NastyWeb

PAGE = "/links/100k-internal"
ARGS = {"target": "brewbird.io", "depth": "1", "render": "never"}
PACING = {
    "LINK_CHECK_INTERNAL": "False",
    "LINK_CHECK_DELAY": "0.25",
    "LINK_CHECK_CONCURRENCY": "4",
    "LINK_CHECK_CONCURRENCY_PER_HOST": "2",
    "LINK_CHECK_TIMEOUT": "10",
    "DOWNLOAD_TIMEOUT": "5",
}
DEAD_PATHS = [f"/gone/{i}" for i in range(4)]
REFUSED = "http://127.0.1.22:9/gone"  # nothing listens there: connection refused


class DeadSite(BaseHTTPRequestHandler):
    """Another site, where every page is gone (robots.txt too: everything allowed)."""

    requests: list[tuple[str, str]] = []
    lock = threading.Lock()

    def _gone(self) -> None:
        with self.lock:
            self.requests.append((self.command, self.path))
        body = b"<!DOCTYPE html><title>Gone</title>"
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_HEAD = _gone

    def log_message(self, *args: object) -> None:
        pass


def pages_by_path(result: CrawlResult, web: NastyWeb) -> dict[str, int | None]:
    return {r["url"].removeprefix(web.url("")): r["status"] for r in result.records("page")}


@pytest.fixture(scope="module")
def crawl(tmp_path_factory: pytest.TempPathFactory):
    """One crawl: home -> (the 100,000-link page, the control page), depth 1."""
    DeadSite.requests = []
    with serving(DeadSite, "127.0.1.21") as dead:
        external = tuple(dead + p for p in DEAD_PATHS) + (REFUSED,)
        with NastyWeb(home_links=(PAGE, "/control"), external_links=external) as web:
            result = run_crawl(
                {**ARGS, "seeds": web.url("/")}, tmp_path_factory.mktemp("pacing"), PACING, timeout=120
            )
            yield result, web, dead, list(DeadSite.requests)


def test_internal_links_of_a_third_party_site_cost_no_request(crawl) -> None:
    result, web, _, _ = crawl
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert sum(n for path, n in web.hits.items() if path.startswith("/n/")) == 0
    assert result.stat("link_check/skipped_internal") == LINKS_TOTAL
    # the four dead pages, the refused host and the control page's link to the target (reclaim)
    assert result.stat("link_check/requests") == len(DEAD_PATHS) + 2
    assert result.stat("link_check/status/404") == len(DEAD_PATHS)
    assert result.stat("link_check/error/connection refused") == 1
    assert result.stat("link_check/skipped_cap") is None


def test_dead_external_links_are_broken_link_records(crawl) -> None:
    result, web, dead, requests = crawl
    broken = sorted(
        (b["source_url"], b["broken_url"], b["status"], b["error"]) for b in result.records("broken_link")
    )
    source = web.url(PAGE)
    assert broken == sorted(
        [(source, dead + p, 404, None) for p in DEAD_PATHS] + [(source, REFUSED, None, "connection refused")]
    )
    # one HEAD per dead link (a 404 is an answer: no GET after it), after robots.txt
    assert sorted(r for r in requests if r[1] != "/robots.txt") == sorted(("HEAD", p) for p in DEAD_PATHS)


def test_every_page_is_crawled(crawl) -> None:
    result, web, _, _ = crawl
    assert pages_by_path(result, web) == {"/": 200, PAGE: 200, "/control": 200}
    backlinks = [(b["source_url"], b["target_url"]) for b in result.records("backlink")]
    assert backlinks == [(web.url("/control"), "https://brewbird.io/pricing")]


def test_internal_checks_when_asked_go_at_most_two_at_a_time(tmp_path) -> None:
    """LINK_CHECK_INTERNAL=True: the page's internal links are checked, up to the per-host cap,
    never more than LINK_CHECK_CONCURRENCY_PER_HOST at once (each 404 is held 50 ms, so
    checks sent together would overlap), and the pages are all crawled."""
    settings = {
        **PACING,
        "LINK_CHECK_INTERNAL": "True",
        "LINK_CHECK_DELAY": "0",
        "LINK_CHECK_MAX_PER_HOST": "30",
    }
    with NastyWeb(home_links=(PAGE, "/control"), not_found_delay=0.05) as web:
        result = run_crawl({**ARGS, "seeds": web.url("/")}, tmp_path, settings, timeout=120)
        pages = pages_by_path(result, web)
        checked = sum(n for path, n in web.hits.items() if path.startswith("/n/"))
        most_at_once = web.max_concurrent_not_found
    assert result.returncode == 0, result.stderr[-3000:]
    assert pages == {"/": 200, PAGE: 200, "/control": 200}
    assert checked == 30
    assert result.stat("link_check/status/404") == 30
    assert result.stat("link_check/skipped_cap") == LINKS_TOTAL - 30
    assert 1 <= most_at_once <= 2
    assert len(result.records("broken_link")) == 30
