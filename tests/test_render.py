"""Rendering in a real Chromium: live-DOM extraction (same-origin iframes, stylesheet and
off-screen visibility), bounded interaction (scrolling, "load more"), the time budget with its
static fallback, and a browser killed mid-crawl."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import psutil
import pytest

from tests.conftest import ROOT, CrawlResult, run_crawl, serving

SITE = Path(__file__).resolve().parent / "site"
SLOW_PAGES = 12


class Handler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nDisallow: /private-api/\n", "text/plain")
        if self.path.endswith(".json"):
            if self.path.startswith("/slow-api/"):  # answers after the DOM has been quiet a while
                time.sleep(1.0)
            name = self.path.rsplit("/", 1)[1].split(".")[0]
            body = json.dumps({"href": f"https://brewbird.io/{name}", "text": f"BrewBird {name}"})
            return self._send(body.encode(), "application/json")
        if self.path == "/slow-index.html":
            links = "".join(f'<a href="/slow/{n}">slow {n}</a> ' for n in range(SLOW_PAGES))
            return self._send(f"<html><body><main>{links}</main></body></html>".encode(), "text/html")
        if self.path.startswith("/slow/"):
            time.sleep(1.0)
            return self._send((SITE / "slow.html").read_bytes(), "text/html")
        return super().do_GET()

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def site():
    with serving(partial(Handler, directory=str(SITE))) as url:
        yield url


@pytest.fixture(scope="module")
def other_address():
    """The same site on another loopback address: "another network" for the address guard."""
    with serving(partial(Handler, directory=str(SITE)), "127.0.0.2") as url:
        yield url


def crawl(site, pages, tmp_path, render="always", **settings):
    seeds = ",".join(f"{site}/{page}" for page in pages)
    result = run_crawl(
        {"target": "brewbird.io", "seeds": seeds, "depth": "0", "render": render, "check_links": "false"},
        tmp_path,
        settings,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_live_dom_iframes_scrolling_load_more_and_visibility(site, tmp_path):
    result = crawl(site, ["iframe.html", "scroll.html", "loadmore.html"], tmp_path)
    rows = {
        (b["source_url"].rsplit("/", 1)[1], b["target_url"], b["position"], b["hidden"], b["rendered"])
        for b in result.records("backlink")
    }
    assert rows == {
        # a same-origin iframe's content is part of the page
        ("iframe.html", "https://shop.brewbird.io/grinders", "comment", False, True),
        # the 4th batch of an infinite feed only exists after scrolling three screens down
        ("scroll.html", "https://brewbird.io/feed-find", "content", False, True),
        # only after clicking "Show more replies"
        ("loadmore.html", "https://brewbird.io/from-load-more", "comment", False, True),  # in #replies
        # hidden by a stylesheet rule and pushed off-screen: only computed style knows
        ("loadmore.html", "https://brewbird.io/css-hidden", "content", True, True),
        ("loadmore.html", "https://brewbird.io/off-screen", "content", True, True),
    }


@pytest.fixture(scope="module")
def recall(site, tmp_path_factory):
    """One rendered crawl of the pages that test how the browser is driven: the brewbird.io links
    found on each page."""
    pages = ["timer.html", "buttons.html", "still.html", "moved.html"]
    result = crawl(site, pages, tmp_path_factory.mktemp("recall"))
    found: dict[str, set[str]] = {page: set() for page in pages}
    for b in result.records("backlink"):
        found[b["source_url"].rsplit("/", 1)[1]].add(b["target_url"].rsplit("/", 1)[1])
    return found


def test_a_page_a_script_sends_elsewhere_while_it_loads_is_snapshotted_where_it_went(recall):
    # moved.html calls location.replace() in its head: the navigation ends with the page it went
    # to loaded, and that is what is snapshotted
    assert recall["moved.html"] == {"moved"}


def test_content_a_timer_inserts_after_the_network_went_quiet_is_snapshotted(recall):
    assert recall["timer.html"] == {"timer-list"}


def test_load_more_is_recognised_by_its_text_and_dangerous_controls_are_never_clicked(recall):
    # clicked: English, German, French and Spanish "more comments" controls (a button, a
    # role=button span, a javascript: link), whatever their class; the German one, clicked last,
    # fetches its comment from a server that answers a second later: the DOM is quiet meanwhile
    # never clicked (a marker link would be there): "Buy now" and "Subscribe" though they match
    # RENDER_CLICK_SELECTORS, "more" controls that also say subscribe, log in or buy, links that
    # navigate or open a window, a form's submit button
    assert recall["buttons.html"] == {
        "more-comments",
        "weitere-kommentare",
        "plus-de-commentaires",
        "cargar-mas",
    }


def test_scrolling_stops_when_a_scroll_adds_nothing(recall):
    # 20 screens with nothing to load: scrolled once (the page counts its scroll events), not 8 times
    assert recall["still.html"] == {"scroll-events-1"}


def test_static_fetch_misses_what_only_the_browser_sees(site, tmp_path):
    result = crawl(site, ["iframe.html", "scroll.html", "loadmore.html"], tmp_path, render="never")
    rows = {(b["target_url"], b["hidden"]) for b in result.records("backlink")}
    assert rows == {("https://brewbird.io/css-hidden", False), ("https://brewbird.io/off-screen", False)}


def test_time_budget_falls_back_to_the_static_page(site, tmp_path):
    result = crawl(site, ["busy.html"], tmp_path, RENDER_PAGE_BUDGET_MS="1500")
    [page] = result.records("page")
    assert (page["status"], page["rendered"], page["render_failed"]) == (200, False, True)
    assert page["render_error"] == "page did not finish rendering within 1.5s"
    assert [b["target_url"] for b in result.records("backlink")] == ["https://brewbird.io/kettles"]


def chromium_children(pid: int) -> list[psutil.Process]:
    try:
        return [p for p in psutil.Process(pid).children(recursive=True) if "chrom" in p.name().lower()]
    except psutil.NoSuchProcess:
        return []


def test_browser_killed_mid_crawl_restarts_and_the_crawl_goes_on(site, tmp_path):
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "mentions",
        "-a",
        "target=brewbird.io",
        "-a",
        f"seeds={site}/slow-index.html",
        "-a",
        "depth=1",
        "-a",
        "render=always",
        "-a",
        "check_links=false",
        "-s",
        f"OUTPUT_DIR={tmp_path}",
        "-s",
        "CRAWL_ID=test",
        "-s",
        "ALLOWED_PRIVATE_NETWORKS=127.0.0.0/8",
        "-s",
        "ALLOWED_HOSTS=127.*",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "CONCURRENT_REQUESTS=2",
    ]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    killed = 0
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not killed:
        time.sleep(0.5)
        browsers = chromium_children(process.pid)
        if browsers and time.monotonic() > deadline - 56:  # the crawl is rendering
            for browser in browsers:
                try:
                    browser.kill()
                    killed += 1
                except psutil.NoSuchProcess:
                    pass
    stdout, stderr = process.communicate(timeout=120)
    result = CrawlResult(process.returncode, stdout, stderr, tmp_path)
    assert killed, "no Chromium process was found to kill"
    assert result.returncode == 0, stderr[-3000:]
    pages = {p["url"].rsplit("/", 1)[1]: p for p in result.records("page") if "/slow/" in p["url"]}
    assert sorted(pages, key=int) == [str(n) for n in range(SLOW_PAGES)]
    # every page was rendered, or (the ones in flight when the browser died) fell back to static
    assert all(p["rendered"] or p["render_failed"] for p in pages.values())
    assert sum(p["rendered"] for p in pages.values()) >= SLOW_PAGES - 4, "the browser was not restarted"
    assert len({b["source_url"] for b in result.records("backlink")}) == SLOW_PAGES


def test_auto_learns_that_a_site_needs_rendering(site, tmp_path):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": f"{site}/sneaky/index.html",
            "depth": "1",
            "render": "auto",
            "check_links": "false",
        },
        tmp_path,
        {"RENDER_SAMPLE_PAGES": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    reasons = {p["url"].rsplit("/", 1)[1]: p["render_reason"] for p in result.records("page")}
    # the first page is a sample; rendering it reveals a target link the static HTML lacks, so the
    # site's other pages go to the browser too
    assert reasons == {
        "index.html": "sample",
        "one.html": "site-learned",
        "two.html": "site-learned",
        "three.html": "site-learned",
    }
    assert {b["target_url"].rsplit("-", 1)[1] for b in result.records("backlink")} == {
        "index",
        "one",
        "two",
        "three",
    }


def test_browser_subrequests_obey_robots_and_the_address_guard(site, other_address, tmp_path):
    # only 127.0.0.1 is opened: the page's request to 127.0.0.2 must be refused inside the browser
    result = crawl(
        site, [f"subrequests.html?other={other_address}"], tmp_path, ALLOWED_PRIVATE_NETWORKS="127.0.0.1/32"
    )
    assert [b["target_url"] for b in result.records("backlink")] == ["https://brewbird.io/ok"]
    assert result.stat("render/subrequests_robots_forbidden") == 1
    assert result.stat("render/subrequests_refused") == 1
    assert f"Refused browser subrequest {other_address}/api/internal.json" in result.stderr


def test_contexts_are_recycled(site, tmp_path):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": f"{site}/slow-index.html",
            "depth": "1",
            "render": "always",
            "check_links": "false",
        },
        tmp_path,
        {"RENDER_CONTEXT_PAGES": "4", "RENDER_CONCURRENCY": "2", "CONCURRENT_REQUESTS": "4"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    pages = result.records("page")
    assert len(pages) == SLOW_PAGES + 1 and all(p["rendered"] for p in pages)
    # 13 pages, at most 4 per context: 4 contexts however the 2 lanes share the pages, and never
    # more than 2 open, because a lane closes its context before it opens the next one
    assert result.stat("playwright/context_count") == 4
    assert result.stat("playwright/context_count/max_concurrent") == 2
    # each lane's last context closes with the browser, not by recycling: 4 - 2 lanes, or 4 - 1
    # should one lane have rendered every page
    assert result.stat("render/contexts_recycled") in (2, 3)


def test_contexts_are_recycled_when_pages_render_one_at_a_time(site, tmp_path):
    # render=auto renders a page now and then: a context's last page is often done before the next
    # page needs a new context. It is closed then too (it once stayed open, and two such stalled
    # every later page of the crawl).
    pages = ["slow.html", "iframe.html", "still.html", "timer.html", "loadmore.html"]
    result = crawl(site, pages, tmp_path, RENDER_CONTEXT_PAGES="1", CONCURRENT_REQUESTS="1")
    rendered = [p["url"].rsplit("/", 1)[1] for p in result.records("page") if p["rendered"]]
    assert sorted(rendered) == sorted(pages)
    assert result.stat("playwright/context_count") == 5
    assert result.stat("render/contexts_recycled") == 4


def found_links(result: CrawlResult) -> set[tuple[str, str]]:
    return {(b["source_url"].rsplit("/", 1)[1], b["target_url"]) for b in result.records("backlink")}


def test_a_reused_tab_renders_pages_as_a_new_tab_does(site, tmp_path):
    pages = ["iframe.html", "scroll.html", "loadmore.html", "timer.html", "lazy.html", "buttons.html"]
    # one page at a time, each in the tab the page before it used
    reused = crawl(site, pages, tmp_path / "reused", CONCURRENT_REQUESTS="1")
    assert reused.stat("render/tabs_opened") == 1
    assert reused.stat("render/tabs_reused") == len(pages) - 1
    # each in a new tab (a new context for every page)
    fresh = crawl(site, pages, tmp_path / "fresh", CONCURRENT_REQUESTS="1", RENDER_CONTEXT_PAGES="1")
    assert fresh.stat("render/tabs_opened") == len(pages)
    assert fresh.stat("render/tabs_reused") is None
    assert found_links(reused) == found_links(fresh)
    assert {page for page, _ in found_links(reused)} == set(pages)


def test_pages_rendering_at_once_each_get_scroll_and_intersection_events(site, tmp_path):
    # 8 pages, 4 at once: every page renders while others do. An infinite feed (scroll events)
    # and a lazy comment section (IntersectionObserver) load in each. When the pages shared a
    # context's window, where only the front tab gets animation frames, 3 of the 4 feeds stopped.
    pages = [f"{name}?copy={n}" for name in ("scroll.html", "lazy.html") for n in range(4)]
    result = crawl(site, pages, tmp_path, RENDER_CONCURRENCY="4")
    feeds = {(f"scroll.html?copy={n}", "https://brewbird.io/feed-find") for n in range(4)}
    comments = {(f"lazy.html?copy={n}", "https://brewbird.io/lazy-comment") for n in range(4)}
    assert found_links(result) == feeds | comments
    assert result.stat("playwright/context_count/max_concurrent") == 4
