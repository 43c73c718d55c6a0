"""`scrapy crawl mentions -a target=brewbird.io` with no seeds: the discovery sources find the
demo web's pages (their fakes answer as the real APIs do, pointing into the demo web), every
candidate is crawled and judged by the page itself, and each record says which source led to it.
A dead or throttled source is a warning and a line in the summary; the crawl goes on."""

from __future__ import annotations

import socket

import pytest

from demo.discovery import (
    GDELT_ARTICLES,
    HACKERNEWS_DISCUSSIONS,
    HACKERNEWS_STORY,
    SOURCES,
    STACKEXCHANGE_QUESTIONS,
    DemoSources,
)
from tests.conftest import demo_settings, run_crawl

# What the demo plants on the pages the sources point at (demo/README.md): the forum thread's
# link only exists once its posts are fetched by JavaScript (render=auto finds it).
FORUM_42, FORUM_57 = HACKERNEWS_DISCUSSIONS
BLOG, DIRECTORY, RESOURCES = HACKERNEWS_STORY, ("directory", "/best-coffee-tools/"), ("resources", "/")
NEWS_ARCHIVE, JANEDOE, MARCO = GDELT_ARTICLES[2], ("social", "/@janedoe"), ("social", "/@marco")
# What the demo plants on the pages the sources point at (demo/README.md): the forum thread's and
# the profile's links exist only once JavaScript ran (render=auto finds them).
EXPECTED_BACKLINKS = {
    (BLOG, "https://blog.brewbird.io/guides/cold-brew", "hackernews"),
    (BLOG, "https://brewbird.io/", "hackernews"),
    (BLOG, "https://brewbird.io/grinders/burr-grinder-pro", "hackernews"),
    (BLOG, "https://brewbird.io/pricing", "hackernews"),
    (DIRECTORY, "https://brewbird.io/?utm_source=directory&utm_medium=listing", "stackexchange"),
    (DIRECTORY, "https://brewbird.io/kettles/smart-kettle", "stackexchange"),
    (DIRECTORY, "https://www.brewbird.io/", "stackexchange"),
    (FORUM_42, "https://brewbird.io/kettles/smart-kettle", "hackernews"),
    (NEWS_ARCHIVE, "https://brewbird.io/", "gdelt"),
    (RESOURCES, "https://brewbird.io/guides/cold-brew", "stackexchange"),
    (RESOURCES, "https://brewbird.io/old-kettle-guide", "stackexchange"),
    (RESOURCES, "https://www.brewbird.io/kettles/smart-kettle", "stackexchange"),
    (JANEDOE, "https://shop.brewbird.io/gift-cards", "stackexchange"),
    (JANEDOE, "https://www.brewbird.io/?ref=janedoe", "stackexchange"),
}
EXPECTED_MENTIONS = {
    (BLOG, "hackernews"),
    (DIRECTORY, "stackexchange"),
    (FORUM_42, "hackernews"),
    (FORUM_57, "hackernews"),
    (GDELT_ARTICLES[0], "gdelt"),
    (NEWS_ARCHIVE, "gdelt"),
    (RESOURCES, "stackexchange"),
    (JANEDOE, "stackexchange"),
    (MARCO, "stackexchange"),
}
# the unlinked mentions: outreach leads
EXPECTED_LEADS = {FORUM_57, GDELT_ARTICLES[0], MARCO}
HN_LINKS = "stories linking to brewbird.io on Hacker News"
HN_NAMES = 'stories and comments naming "brewbird" on Hacker News'
SE_QUERY = "search/advanced url=*brewbird.io* on {}"
GDELT_QUERY = 'GDELT news naming (brewbird OR "brewbird.io")'


def discover(demo_web, tmp_path, sources: str = SOURCES, **settings):
    with DemoSources(demo_web) as fakes:
        return run_crawl(
            {"target": "brewbird.io", "sources": sources, "depth": "0", "check_links": "false"},
            tmp_path,
            {**demo_settings(demo_web), **fakes.settings, **settings},
        )


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def path(demo_web, url: str) -> tuple[str, str]:
    for site, base in demo_web.urls.items():
        if url.startswith(base):
            return site, url[len(base) :]
    return "?", url


@pytest.fixture(scope="module")
def discovered(demo_web, tmp_path_factory):
    result = discover(demo_web, tmp_path_factory.mktemp("discovered"))
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_no_seeds_the_sources_find_the_pages_and_say_so(demo_web, discovered):
    pages = {
        path(demo_web, p["url"]): (p["status"], p["discovered_by"], p["discovered_via"])
        for p in discovered.records("page")
    }
    assert pages == {
        FORUM_42: (200, "hackernews", HN_LINKS),  # redirected to the thread: final_url says where
        FORUM_57: (200, "hackernews", HN_NAMES),
        HACKERNEWS_STORY: (200, "hackernews", HN_NAMES),
        **{
            page: (200, "stackexchange", SE_QUERY.format(site))
            for site, page in STACKEXCHANGE_QUESTIONS.items()
        },
        GDELT_ARTICLES[0]: (200, "gdelt", GDELT_QUERY),
        GDELT_ARTICLES[1]: (200, "gdelt", GDELT_QUERY),
        GDELT_ARTICLES[2]: (200, "gdelt", GDELT_QUERY),
        GDELT_ARTICLES[3]: (404, "gdelt", GDELT_QUERY),
    }
    backlinks = {
        (path(demo_web, b["source_url"]), b["target_url"], b["discovered_by"])
        for b in discovered.records("backlink")
    }
    assert backlinks == EXPECTED_BACKLINKS
    mentions = {(path(demo_web, m["source_url"]), m["discovered_by"]) for m in discovered.records("mention")}
    assert mentions == EXPECTED_MENTIONS
    leads = {path(demo_web, lead["source_url"]) for lead in discovered.records("lead")}
    assert leads == EXPECTED_LEADS


def test_the_summary_says_where_the_crawl_looked(discovered):
    (summary,) = discovered.records("summary")
    books = summary["discovery"]
    assert list(books) == ["wikipedia", "hackernews", "stackexchange", "gdelt", "lemmy"]
    assert {name: (b["candidates"], b["pages"], b["pages_with_backlinks"]) for name, b in books.items()} == {
        "wikipedia": (0, 0, 0),
        "hackernews": (3, 3, 2),
        "stackexchange": (4, 4, 3),
        "gdelt": (4, 4, 1),
        "lemmy": (0, 0, 0),
    }
    assert all(b["failures"] == [] and b["requests"] >= 1 for b in books.values())
    assert books["hackernews"]["queries"] == [HN_LINKS, HN_NAMES]
    assert "discovery hackernews: 2 requests, 3 candidates, 3 pages (2 with backlinks" in discovered.stdout
    report = (discovered.output_dir / "reports" / "test.html").read_text(encoding="utf-8")
    where = report.split('id="where-h">Where we looked</h2>', 1)[1].split("</section>", 1)[0]
    assert 'data-label="Source">gdelt</td>' in where and HN_LINKS in where


def test_a_dead_source_is_a_warning_and_the_crawl_goes_on(demo_web, tmp_path):
    dead = f"http://127.0.0.1:{closed_port()}/api/v1"
    result = discover(demo_web, tmp_path, "hackernews,gdelt", HACKERNEWS_API_URL=dead)
    assert result.returncode == 0, result.stderr[-3000:]
    assert {p["discovered_by"] for p in result.records("page")} == {"gdelt"}
    (summary,) = result.records("summary")
    failures = summary["discovery"]["hackernews"]["failures"]
    assert len(failures) == 2 and all("Connection refused" in f for f in failures)
    assert result.stat("discovery/hackernews/failed") == 2
    assert "WARNING: Discovery source hackernews: " in result.stderr


def test_no_seeds_and_no_source_found_anything_exits_3_saying_why(demo_web, tmp_path):
    dead = f"http://127.0.0.1:{closed_port()}"
    result = discover(
        demo_web, tmp_path, "hackernews,lemmy", HACKERNEWS_API_URL=dead + "/api/v1", LEMMY_INSTANCES=dead
    )
    assert result.returncode == 3
    (line,) = [line for line in result.stderr.splitlines() if "ERROR: Discovery found no page" in line]
    assert line.endswith(
        "Discovery found no page to crawl (failed: hackernews (Connection was refused by other side: 111: "
        "Connection refused.), lemmy (Connection was refused by other side: 111: Connection refused.)); "
        "give -a seeds=... or other -a sources"
    )
    assert result.records("page") == []
