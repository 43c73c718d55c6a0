"""Crawl scope, spider-trap guards and politeness (backlink_spider/scope.py).

Unit tests for every rule (exact inputs → decision), then real `scrapy crawl mentions` runs against
a loopback trap site: an infinite calendar, a repeating-segment loop, an ever-growing query string,
a deep path, a very long URL, too many parameters, a trailing-slash twin, a 200 MB video that must
not be downloaded, a 429 with Retry-After, and the page caps.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.exceptions import StopDownload
from scrapy.http import Headers, Response
from scrapy.utils.test import get_crawler

from backlink_spider.scope import (
    CrawlScopeMiddleware,
    FollowedUrls,
    NonHtmlAbort,
    TrapLimits,
    calendar_far,
    calendar_years,
    clearly_not_html,
    is_page_request,
    query_grows,
    query_growth_depth,
    repeated_segments,
    retry_after_seconds,
    should_abort,
    too_deep,
    too_long,
    too_many_params,
    url_trap,
)
from backlink_spider.urls import trailing_slash_key
from demo.serve import LoopbackHTTPServer
from tests.conftest import project_settings, run_crawl

THIS_YEAR = datetime.now(UTC).year
LIMITS = TrapLimits()


# --- unit: each rule ---------------------------------------------------------------------------


def test_followed_urls_remembers_up_to_its_limit():
    followed = FollowedUrls(limit=2)
    assert [followed.add(u) for u in ("http://a/1", "http://a/2", "http://a/1", "http://a/2")] == [
        True,
        True,
        False,
        False,
    ]
    # full: it starts afresh (the duplicate filter still drops what it forgot)
    assert followed.add("http://a/3") is True
    assert followed.add("http://a/1") is True
    assert followed.add("http://a/3") is False


def test_followed_urls_off():
    followed = FollowedUrls(limit=0)
    assert [followed.add("http://a/1"), followed.add("http://a/1")] == [True, True]


def test_too_long():
    assert too_long("http://x/" + "a" * 1991, 2000) is False  # exactly 2000
    assert too_long("http://x/" + "a" * 1992, 2000) is True
    assert too_long("http://x/" + "a" * 5000, 0) is False  # 0: off


@pytest.mark.parametrize(
    ("path", "trap"),
    [
        ("/a/b/a/b/", False),
        ("/a/b/a/b/a/b/", True),
        ("/a/a/", False),
        ("/a/a/a", True),
        ("/2024/01/01/", False),  # "01" twice
        ("/", False),
        ("", False),
    ],
)
def test_repeated_segments(path, trap):
    assert repeated_segments(path, 2) is trap


def test_repeated_segments_off():
    assert repeated_segments("/a/a/a/a/", 0) is False


def test_too_deep():
    assert too_deep("/" + "/".join(str(i) for i in range(15)) + "/", 15) is False
    assert too_deep("/" + "/".join(str(i) for i in range(16)), 15) is True
    assert too_deep("//a//b//", 1) is True  # empty segments do not count: a, b
    assert too_deep("/" + "/x" * 40, 0) is False


def test_too_many_params():
    query = "&".join(f"k{i}={i}" for i in range(12))
    assert too_many_params(query, 12) is False
    assert too_many_params(query + "&k12=", 12) is True  # blank values count
    assert too_many_params(query + "&k12=1", 0) is False


@pytest.mark.parametrize(
    ("parent", "child", "grows"),
    [
        ("http://x/l?p=1", "http://x/l?p=1&q=2", True),
        ("http://x/l?p=1", "http://x/l?p=5&q=2", True),  # by name: a changed value still grows
        ("http://x/l", "http://x/l?p=1", True),
        ("http://x/l?p=1", "http://x/l?p=2", False),  # pagination
        ("http://x/l?p=1", "http://x/l?p=1&q=2&r=3", False),  # two more
        ("http://x/l?p=1&q=2", "http://x/l?q=2&r=3", False),  # p dropped
        ("http://x/l?p=1", "http://x/m?p=1&q=2", False),  # another path
        ("http://127.0.0.1:8080/l?p=1", "http://site.com/l?p=1&q=2", True),  # hosts ignored (aliases)
    ],
)
def test_query_grows(parent, child, grows):
    assert query_grows(parent, child) is grows


def test_query_growth_depth_chain():
    chain = ["http://x/l?p=1", "http://x/l?p=1&q=2", "http://x/l?p=1&q=2&r=3", "http://x/l?p=1&q=2&r=3&s=4"]
    depth = 0
    depths = []
    for parent, child in zip(chain, chain[1:], strict=False):
        depth = query_growth_depth([parent], depth, child)
        depths.append(depth)
    assert depths == [1, 2, 3]
    assert query_growth_depth(["http://x/l?p=1&q=2"], 2, "http://x/l?p=3") == 0  # the chain is broken


@pytest.mark.parametrize(
    ("url", "years"),
    [
        ("http://x/calendar/2031/07/", (2031,)),
        ("http://x/calendar/2031/", (2031,)),  # a lone year after a calendar word
        ("http://x/events/2031-07-01", (2031,)),
        ("http://x/2031/07/", (2031,)),  # a date archive
        ("http://x/news/2031/07/15/", (2031,)),
        ("http://x/2015/03/my-post/", None),  # an article under a dated path
        ("http://x/products/2031/", None),  # a number, not a year
        ("http://x/calendar/2031/13/", None),  # no month 13
        ("http://x/e?date=2099-01-01", (2099,)),
        ("http://x/e?month=7&year=2031", (2031,)),
        ("http://x/e?month=7", ()),  # a calendar view without a year
        ("http://x/e?ym=203107", (2031,)),
        ("http://x/e?eventDate=20990101", (2099,)),
        ("http://x/p?id=20990101", None),  # a compact date only under a date-like name
        ("http://x/p?start=10", None),
        ("http://x/p?start=2031-07", (2031,)),
        ("http://x/", None),
    ],
)
def test_calendar_years(url, years):
    assert calendar_years(url) == years


def test_calendar_far():
    assert calendar_far((2029,), 2026, 2) is True
    assert calendar_far((2028,), 2026, 2) is False
    assert calendar_far((2024,), 2026, 2) is False
    assert calendar_far((2023,), 2026, 2) is True
    assert calendar_far((), 2026, 2) is False


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://x/ok/page", None),
        ("http://x/?q=" + "a" * 2000, "url_length"),
        ("http://x/d/d/d", "repeated_segments"),
        ("http://x/" + "/".join(f"s{i}" for i in range(16)), "path_depth"),
        ("http://x/a/b/a/b/a/b/", "repeated_segments"),
        ("http://x/p?" + "&".join(f"k{i}=1" for i in range(13)), "query_params"),
        (f"http://x/calendar/{THIS_YEAR + 5}/07/", "calendar"),
        (f"http://x/calendar/{THIS_YEAR - 3}/01/", "calendar"),
        (f"http://x/calendar/{THIS_YEAR + 2}/12/", None),
        ("http://x/e?date=2099-01-01", "calendar"),
        (f"http://x/e?month=7&year={THIS_YEAR + 3}", "calendar"),
    ],
)
def test_url_trap(url, kind):
    assert url_trap(url, LIMITS, THIS_YEAR) == kind


def test_url_trap_rules_off():
    off = TrapLimits(0, 0, 0, 0, 0, 0, 0)
    assert (
        url_trap("http://x/a/a/a/a?date=2099-01-01&" + "&".join(f"k{i}=1" for i in range(20)), off, 2026)
        is None
    )


def test_trailing_slash_key():
    assert trailing_slash_key("http://x/a/") == trailing_slash_key("http://x/a") == "http://x/a"
    assert trailing_slash_key("http://x/a/?b=1") == "http://x/a?b=1"
    assert trailing_slash_key("http://x/") == trailing_slash_key("http://x") == "http://x/"
    assert trailing_slash_key("https://x/a") != trailing_slash_key("http://x/a")


@pytest.mark.parametrize(
    ("content_type", "seed", "abort"),
    [
        ("video/mp4", False, True),
        ("image/png", True, True),  # an image is never a seed document
        ("image/svg+xml", False, True),
        ("application/pdf", False, True),
        ("application/zip", False, True),
        ("application/octet-stream", False, True),
        ("application/octet-stream", True, False),  # a gzipped sitemap, as servers often send it
        ("application/x-gzip", True, False),
        ("application/x-gzip", False, True),
        ("font/woff2", False, True),
        ("application/font-woff", False, True),
        ("text/css; charset=utf-8", False, True),
        ("application/javascript", False, True),
        ("TEXT/HTML; charset=utf-8", False, False),
        ("application/xhtml+xml", False, False),
        ("application/rss+xml", True, False),
        ("application/xml", False, False),  # not clearly non-HTML: the spider decides
        ("text/plain", False, False),
        ("", False, False),  # no type: sniffed
        (None, False, False),
        (b"audio/mpeg", False, True),
    ],
)
def test_clearly_not_html(content_type, seed, abort):
    assert clearly_not_html(content_type, seed=seed) is abort


def test_should_abort_only_page_fetches():
    assert should_abort(Request("http://x/v.mp4", meta={"hop": 1}), b"video/mp4") is True
    assert should_abort(Request("http://x/s.gz", meta={"hop": 0}), b"application/x-gzip") is False
    assert should_abort(Request("http://x/s.gz", meta={"hop": 1}), b"application/x-gzip") is True
    assert should_abort(Request("http://x/s.gz"), b"application/x-gzip") is False  # no hop: maybe a sitemap
    assert should_abort(Request("http://x/v.mp4", meta={"hop": 1, "link_check": "k"}), b"video/mp4") is False
    assert should_abort(Request("http://x/v.mp4", meta={"hop": 1, "playwright": True}), b"video/mp4") is False
    assert should_abort(Request("http://x/robots.txt", meta={"hop": 1}), b"image/png") is False


def test_non_html_abort_handler_raises_stop_download():
    crawler = get_crawler(settings_dict={"NON_HTML_ABORT_ENABLED": True})
    crawler.stats.open_spider()
    handler = NonHtmlAbort.from_crawler(crawler)
    request = Request("http://x/v.mp4", meta={"hop": 1})
    with pytest.raises(StopDownload) as raised:
        handler.headers_received(Headers({"Content-Type": "video/mp4"}), 200_000_000, request)
    assert raised.value.fail is False
    handler.headers_received(Headers({"Content-Type": "text/html"}), 100, request)  # no exception
    assert crawler.stats.get_value("scope/non_html_aborted") == 1


def test_is_page_request():
    assert is_page_request(Request("http://x/a", meta={"hop": 0})) is True
    assert is_page_request(Request("http://x/a")) is False  # target pages, recheck
    assert is_page_request(Request("http://x/a", meta={"hop": 1, "link_check": "http://x/a"})) is False
    assert is_page_request(Request("http://x/a", meta={"hop": 1, "search_query": "q"})) is False
    assert is_page_request(Request("http://x/robots.txt", meta={"hop": 1})) is False


def test_retry_after_seconds():
    now = datetime(2026, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds("120", now) == 120.0
    assert retry_after_seconds(b" 2 ", now) == 2.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:28:30 GMT", now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2026 07:00:00 GMT", now) == 0.0  # past
    assert retry_after_seconds("soon", now) is None
    assert retry_after_seconds("-5", now) is None
    assert retry_after_seconds(None, now) is None
    assert retry_after_seconds("", now) is None


def _middleware(**settings) -> CrawlScopeMiddleware:
    crawler = get_crawler(settings_dict=project_settings(**settings))
    crawler.stats.open_spider()
    return CrawlScopeMiddleware.from_crawler(crawler)


def _page(url: str, hop: int = 1, **meta) -> Request:
    return Request(url, meta={"hop": hop, "source_url": url, **meta})


def _response(url: str, **meta) -> Response:
    request = _page(url, **meta)
    return Response(url, request=request)


def test_middleware_caps_and_duplicates():
    mw = _middleware(MAX_PAGES=3, MAX_PAGES_PER_SITE=2)
    out = [mw.get_processed_request(_page(u), None) for u in (
        "http://a.example.com/1", "http://b.example.com/2", "http://a.example.com/2/",
        "http://a.example.com/2", "http://c.example.org/1", "http://c.example.org/2",
    )]  # fmt: skip
    assert [r is not None for r in out] == [True, True, False, False, True, False]
    stats = mw.crawler.stats
    # a.example.com and b.example.com are one site (example.com): its 3rd and 4th page are dropped
    assert stats.get_value("scope/dropped/max_pages_per_site") == 2
    assert stats.get_value("scope/dropped/trailing_slash_duplicate") is None  # /2/ was never admitted
    assert stats.get_value("scope/dropped/max_pages") == 1  # c.example.org/2: the 4th page
    # an admitted URL again (a re-render, a duplicate link) passes and is not counted
    assert mw.get_processed_request(_page("http://a.example.com/1"), None) is not None
    assert mw.pages == 3


def test_middleware_trailing_slash_and_other_requests():
    mw = _middleware()
    assert mw.get_processed_request(_page("http://x.com/a/"), None) is not None
    assert mw.get_processed_request(_page("http://x.com/a"), None) is None
    assert mw.crawler.stats.get_value("scope/dropped/trailing_slash_duplicate") == 1
    check = Request("http://x.com/" + "a/" * 40, meta={"link_check": "k"})
    assert mw.get_processed_request(check, None) is check  # not a page request: untouched


def test_middleware_tells_the_spider_what_it_dropped():
    mw = _middleware(MAX_PAGES=1)
    told = []

    class Spider:
        def scope_dropped(self, request, reason):
            told.append((request.url, reason))
            return Request(request.url, method="HEAD", meta={"link_check": request.url})

    mw.crawler.spider = Spider()
    assert mw.get_processed_request(_page("http://x.com/1"), None) is not None
    replacement = mw.get_processed_request(_page("http://x.com/2"), None)
    assert replacement.method == "HEAD" and replacement.meta["link_check"] == "http://x.com/2"
    assert mw.get_processed_request(_page("http://x.com/a/a/a"), None).method == "HEAD"
    assert told == [("http://x.com/2", "max_pages"), ("http://x.com/a/a/a", "trap/repeated_segments")]


def test_middleware_query_growth_chain():
    mw = _middleware()
    response = _response("http://x.com/")
    urls = ["http://x.com/l?p=1", "http://x.com/l?p=1&q=2", "http://x.com/l?p=1&q=2&r=3",
            "http://x.com/l?p=1&q=2&r=3&s=4", "http://x.com/l?p=1&q=2&r=3&s=4&t=5"]  # fmt: skip
    depths = []
    for url in urls:
        request = mw.get_processed_request(_page(url), response)
        if request is None:
            depths.append(None)
            break
        depths.append(request.meta["query_growth"])
        response = _response(url, query_growth=request.meta["query_growth"])
    assert depths == [0, 1, 2, 3, None]
    assert mw.crawler.stats.get_value("scope/dropped/trap/query_growth") == 1


def test_middleware_calendar_page_cap():
    mw = _middleware(TRAP_MAX_CALENDAR_PAGES=3)
    urls = [f"http://x.com/calendar/{THIS_YEAR}/{m:02d}/" for m in range(1, 6)]
    kept = [mw.get_processed_request(_page(u), None) is not None for u in urls]
    assert kept == [True, True, True, False, False]
    assert mw.get_processed_request(_page("http://other.org/calendar/2026/01/"), None) is not None  # per site
    assert mw.get_processed_request(_page("http://x.com/not-a-calendar"), None) is not None
    assert mw.crawler.stats.get_value("scope/dropped/trap/calendar_pages") == 2


# --- end to end: the trap site ------------------------------------------------------------------

VIDEO_BYTES = 200 * 1024 * 1024
LONG_URL_PATH = "/long?x=" + "a" * 2010  # > TRAP_MAX_URL_LENGTH (2000), < Scrapy's URLLENGTH_LIMIT (2083)
DEEP_SEGMENTS = 15  # /d/1/.../14/ has 15 segments: the deepest page followed


def _month(year: int, month: int, step: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + step
    return index // 12, index % 12 + 1


def _html(links: list[str], text: str = "") -> bytes:
    body = "".join(f'<li><a href="{href}">{href[:40]}</a></li>' for href in links)
    page = (
        f"<!doctype html><html><head><title>t</title></head><body><p>{text}</p><ul>{body}</ul></body></html>"
    )
    return page.encode()


class TrapSite:
    """A loopback site full of spider traps; `hits` lists (path, monotonic time) per request,
    `video_sent` the bytes of /video.mp4 written before the client went away."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        site = self
        self.hits: list[tuple[str, float]] = []
        self.video_sent: list[int] = []
        self.video_done = threading.Event()
        self.lock = threading.Lock()
        self.rate_limited_once = False

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                with site.lock:
                    site.hits.append((self.path, time.monotonic()))
                site.handle(self)

        self.server = LoopbackHTTPServer((host, 0), Handler)
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TrapSite:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def paths(self) -> list[str]:
        with self.lock:
            return [path for path, _ in self.hits]

    @staticmethod
    def send(handler, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", **headers):
        handler.send_response(status)
        handler.send_header("Content-Type", content_type)
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name.replace("_", "-"), value)
        handler.end_headers()
        handler.wfile.write(body)

    def handle(self, h) -> None:
        path = urlsplit(h.path).path
        if path == "/":
            links = [
                f"/calendar/{THIS_YEAR}/11/",
                "/a/b/",
                "/d/1/",
                "/list?p=1",
                LONG_URL_PATH,
                "/params?" + "&".join(f"k{i}=1" for i in range(13)),
                "/dup/",
                "/dup",
                "/video.mp4",
                "/rate-limited",
                "/slow/1",
            ]
            return self.send(h, 200, _html(links, "home"))
        if m := re.fullmatch(r"/slow/(\d)", path):  # reaches the list the growth guard cut, later
            n = int(m.group(1))
            return self.send(h, 200, _html([f"/slow/{n + 1}" if n < 6 else "/list?p=1&q=2&r=3&s=4&t=5"]))
        if m := re.fullmatch(r"/calendar/(\d+)/(\d+)/", path):
            year, month = int(m.group(1)), int(m.group(2))
            prev, nxt = _month(year, month, -1), _month(year, month, 1)
            links = [f"/calendar/{prev[0]}/{prev[1]:02d}/", f"/calendar/{nxt[0]}/{nxt[1]:02d}/"]
            return self.send(h, 200, _html(links, f"{year}-{month}"))
        if path.startswith("/a/b/"):  # relative: nests forever
            return self.send(h, 200, _html(["a/b/"]))
        if m := re.fullmatch(r"/d/((?:\d+/)+)", path):
            return self.send(h, 200, _html([f"{len(m.group(1).split('/'))}/"]))
        if path == "/list":
            query = urlsplit(h.path).query
            names = "pqrstuvwxyz"
            n = query.count("=")
            return self.send(h, 200, _html([f"/list?{query}&{names[n]}={n + 1}"] if n < 5 else []))
        if path == "/video.mp4":
            return self.stream_video(h)
        if path == "/rate-limited":
            with self.lock:
                first, self.rate_limited_once = not self.rate_limited_once, True
            if first:
                return self.send(h, 429, b"slow down", "text/plain", Retry_After="2")
            return self.send(h, 200, _html([], "finally"))
        if path == "/pages/":
            if "wait" in h.path:  # answers late: its links come while a Retry-After hold is on
                time.sleep(0.5)
            return self.send(h, 200, _html([f"/pages/{i}" for i in range(20)]))
        if m := re.fullmatch(r"/pages/(\d+)", path):
            return self.send(h, 200, _html([f"/pages/{(int(m.group(1)) + k) % 20}" for k in (1, 2, 3)]))
        if path in ("/dup/", "/long", "/params"):
            return self.send(h, 200, _html([]))
        return self.send(h, 404, b"not found", "text/plain")

    def stream_video(self, h) -> None:
        """200 MB of video/mp4 without Content-Length (the body ends when the connection does),
        so only the crawler's abort, not DOWNLOAD_MAXSIZE's header check, can stop it early."""
        sent = 0
        chunk = b"\0" * 65536
        # a small send buffer, so what the kernel holds is not counted as sent
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        try:
            h.send_response(200)
            h.send_header("Content-Type", "video/mp4")
            h.send_header("Connection", "close")
            h.end_headers()
            h.wfile.flush()
            while sent < VIDEO_BYTES:
                h.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            h.close_connection = True
            self.video_sent.append(sent)
            self.video_done.set()


def crawl(tmp_path, seeds: str, settings: dict[str, str] | None = None, **args: str):
    started = time.monotonic()
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": seeds,
            "depth": "50",
            "render": "never",
            "check_links": "false",
            **args,
        },
        tmp_path,
        {"LOG_LEVEL": "INFO", **(settings or {})},
        timeout=90,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    return result, elapsed


def page_paths(result, base: str) -> list[str]:
    return sorted(r["url"][len(base) :] for r in result.records("page") if r["url"].startswith(base))


def _calendar_months(low_year: int, high_year: int) -> set[str]:
    return {f"/calendar/{y}/{m:02d}/" for y in range(low_year, high_year + 1) for m in range(1, 13)}


@pytest.fixture(scope="module")
def trap_crawl(tmp_path_factory):
    """One crawl of the trap site with the default guards, depth 50."""
    with TrapSite() as site:
        result, elapsed = crawl(tmp_path_factory.mktemp("traps"), site.base + "/")
        site.video_done.wait(10)
        yield site, result, elapsed


def test_traps_stop_the_crawl_in_bounded_time(trap_crawl):
    site, result, elapsed = trap_crawl
    assert elapsed < 45
    pages = page_paths(result, site.base)
    calendar = [p for p in pages if p.startswith("/calendar/")]
    others = sorted(p for p in pages if not p.startswith("/calendar/"))
    deep = ["/d/" + "".join(f"{i}/" for i in range(1, n)) for n in range(2, DEEP_SEGMENTS + 1)]
    assert others == sorted(
        [
            "/",
            "/a/b/",
            "/a/b/a/b/",  # /a/b/a/b/a/b/: "a" thrice
            *deep,  # /d/1/ .. /d/1/.../14/: 15 segments; the 16th is not followed
            "/list?p=1",
            "/list?p=1&q=2",
            "/list?p=1&q=2&r=3",
            "/list?p=1&q=2&r=3&s=4",  # three growth steps; the fourth is not followed
            *[f"/slow/{n}" for n in range(1, 7)],
            # ... from its growing list, but it is when a page elsewhere links to it
            "/list?p=1&q=2&r=3&s=4&t=5",
            "/dup/",  # and not /dup
            "/video.mp4",
            "/rate-limited",
        ]
    )
    # the calendar: TRAP_MAX_CALENDAR_PAGES (50) months, all within TRAP_CALENDAR_YEARS (2)
    assert len(calendar) == 50
    assert set(calendar) <= _calendar_months(THIS_YEAR - 2, THIS_YEAR + 2)
    # what the server saw: every page once (the 429 twice), and never a dropped URL
    hits = site.paths()
    assert sorted(p for p in hits if p != "/robots.txt") == sorted(others + calendar + ["/rate-limited"])
    assert result.stat("scope/dropped/trap/repeated_segments") == 1
    assert result.stat("scope/dropped/trap/path_depth") == 1
    assert result.stat("scope/dropped/trap/query_growth") == 1
    assert result.stat("scope/dropped/trap/url_length") == 1
    assert result.stat("scope/dropped/trap/query_params") == 1
    assert result.stat("scope/dropped/trailing_slash_duplicate") == 1
    assert result.stat("scope/dropped/trap/calendar_pages") >= 1


def test_non_html_body_is_not_downloaded(trap_crawl):
    site, result, _ = trap_crawl
    (video,) = [r for r in result.records("page") if r["url"].endswith("/video.mp4")]
    assert video["error"] == "not HTML: video/mp4"
    assert video["status"] == 200
    assert result.stat("scope/non_html_aborted") == 1
    # kernel socket buffers only: far below DOWNLOAD_MAXSIZE (10 MiB) and the 200 MB on offer
    assert site.video_sent and site.video_sent[0] <= 2 * 1024 * 1024, site.video_sent


def test_retry_after_is_honoured(trap_crawl):
    site, result, _ = trap_crawl
    (page,) = [r for r in result.records("page") if r["url"].endswith("/rate-limited")]
    assert page["status"] == 200 and not page.get("error")
    times = [t for path, t in site.hits if path == "/rate-limited"]
    assert len(times) == 2
    assert times[1] - times[0] >= 2.0
    assert result.stat("politeness/retry_after") == 1
    # the whole site waited: nothing but what was already on its way, and the crawl went on after
    assert [p for p, t in site.hits if times[0] + 0.5 < t < times[0] + 1.95] == []
    assert [p for p, t in site.hits if t > times[1]]


def test_retry_after_holds_the_site_under_autothrottle(tmp_path):
    """AutoThrottle rewrites the slot's delay on every response: the hold survives it, and after the
    hold the site is crawled at AutoThrottle's pace again, not one request per Retry-After."""
    with TrapSite() as site:
        result, elapsed = crawl(
            tmp_path,
            f"{site.base}/rate-limited,{site.base}/pages/?wait=1",
            {
                "AUTOTHROTTLE_ENABLED": "True",
                "AUTOTHROTTLE_START_DELAY": "0.05",
                "AUTOTHROTTLE_MAX_DELAY": "0.2",
            },
        )
    hits = [(p, t) for p, t in site.hits if p != "/robots.txt"]
    times = [t for p, t in hits if p == "/rate-limited"]
    assert len(times) == 2 and times[1] - times[0] >= 2.0
    assert [p for p, t in hits if times[0] + 0.5 < t < times[0] + 1.95] == []
    after = [t for p, t in hits if re.fullmatch(r"/pages/\d+", p) and t > times[0] + 1.95]
    assert len(after) == 20
    assert max(after) - min(after) < 8  # 21 pages at <= 0.2 s each, not 2 s each
    assert len(result.records("page")) == 22


def test_calendar_years_bound_the_calendar(tmp_path):
    """Without the per-site calendar cap, the years rule alone stops the infinite calendar:
    exactly the months of the current year ± TRAP_CALENDAR_YEARS."""
    with TrapSite() as site:
        result, elapsed = crawl(
            tmp_path, f"{site.base}/calendar/{THIS_YEAR}/11/", {"TRAP_MAX_CALENDAR_PAGES": "0"}
        )
    assert elapsed < 30
    assert set(page_paths(result, site.base)) == _calendar_months(THIS_YEAR - 2, THIS_YEAR + 2)
    assert len(result.records("page")) == 60
    assert result.stat("scope/dropped/trap/calendar") == 2  # (Y-3)/12 and (Y+3)/01


@pytest.mark.parametrize("how", ["setting", "argument"])
def test_max_pages(tmp_path, how):
    with TrapSite() as site:
        if how == "setting":
            result, _ = crawl(tmp_path, site.base + "/pages/", {"MAX_PAGES": "5"})
        else:
            result, _ = crawl(tmp_path, site.base + "/pages/", max_pages="5")
    assert len(result.records("page")) == 5
    assert len(set(site.paths()) - {"/robots.txt"}) == 5
    assert result.stat("scope/dropped/max_pages") >= 1
    assert "MAX_PAGES (5) reached" in result.stderr


def test_max_pages_per_site(tmp_path):
    with TrapSite("127.0.0.1") as one, TrapSite("127.0.0.2") as two:
        result, _ = crawl(tmp_path, f"{one.base}/pages/,{two.base}/pages/", {"MAX_PAGES_PER_SITE": "4"})
    assert len(page_paths(result, one.base)) == 4
    assert len(page_paths(result, two.base)) == 4
    assert len(result.records("page")) == 8
    assert "MAX_PAGES_PER_SITE (4) reached for 127.0.0.2" in result.stderr


def test_retry_after_too_long_gives_up(tmp_path):
    """Retry-After above RETRY_AFTER_MAX: no retry, the 429 is the page's outcome."""
    with TrapSite() as site:
        result, elapsed = crawl(tmp_path, site.base + "/rate-limited", {"RETRY_AFTER_MAX": "1"})
    assert [p for p in site.paths() if p != "/robots.txt"] == ["/rate-limited"]
    (page,) = result.records("page")
    assert page["status"] == 429
    assert result.stat("politeness/retry_after_too_long") == 1


def test_retry_after_date_parsing_relative_to_now():
    soon = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 28 <= retry_after_seconds(soon) <= 30
