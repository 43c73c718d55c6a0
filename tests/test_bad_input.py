"""The real crawl against the nasty web (tests/nasty_web.py): malformed HTML, wrong charsets,
binary bodies, huge pages, redirect loops and chains, stalls, resets, short bodies, deep nesting,
rate limiting. What a user checks: the crawl finishes (exit 0, no traceback), every page gets one
`page` record, failures say what happened, and what could be read was read.

Each test states the behaviour a user should expect. (Written first as strict xfails against the
crawler of the time; the eight bugs they showed are fixed: redirect loops, quadratic link
extraction, libxml2's nesting limit, content after a stray </html>, class-name errors, binary bodies
labelled text/html, anchors spanning blocks, and upper-case schemes in redirector destinations.)
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import CrawlResult, run_crawl
from tests.nasty_web import LINKED_PAGES, LINKS_TARGET_EVERY, LINKS_TOTAL, NastyWeb, target_url

ARGS = {"target": "brewbird.io", "depth": "1", "render": "never", "check_links": "false"}
SETTINGS = {
    "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
    "ALLOWED_HOSTS": "127.*",
    "DOWNLOAD_TIMEOUT": "3",
    "RETRY_TIMES": "1",
}
# The 100,000-link page has its own crawl (test_hundred_thousand_links), with a time limit.
MAIN_PAGES = tuple(p for p in LINKED_PAGES if p != "/links/100k")
HUNDRED_K_TIME_LIMIT = 40  # seconds, the whole crawl of that one page

# Pages that are read normally: (backlinks, mentions) the page record must count. Standard nasty
# pages name BrewBird twice in text ("... with BrewBird every morning: BrewBird kettles") and carry
# one target link, to target_url(path), anchor "BrewBird kettles".
READ_PAGES = {
    "/control": (1, 1),
    "/malformed/unclosed-tags": (1, 2),
    "/malformed/nested-forms-tables": (1, 2),
    "/malformed/nul-bytes": (1, 2),
    "/malformed/bad-entities": (1, 2),
    "/charset/utf8-declared-cp1252-bytes": (1, 2),
    "/charset/meta-latin1-utf8-bytes": (1, 2),
    "/charset/utf16-bom-no-charset": (1, 2),
    "/huge/5mb": (1, 2),  # the link is the last thing on the page: all of it was read
    "/deep/5000": (1, 2),  # below 5,000 levels of nesting (libxml2 alone stops at 2,048)
    "/rate-limited": (1, 2),
}
# Where a page's one backlink differs from the standard (target_url, anchor_text).
BACKLINK_EXCEPTIONS = {
    "/control": ("https://brewbird.io/pricing", "their pricing"),
    # the href is written `?a=1&b=2&bogus;`: unknown entities stay as written
    "/malformed/bad-entities": (
        "https://brewbird.io/malformed/bad-entities?a=1&b=2&bogus;",
        "BrewBird kettles",
    ),
    # the <a> is never closed: as in a browser, it runs on over the following blocks
    "/malformed/unclosed-tags": (
        "https://brewbird.io/malformed/unclosed-tags",
        "BrewBird kettles and more text after the unclosed link cell",
    ),
}

_CLASS_NAME_ONLY = re.compile(r"[A-Za-z_.]*(Error|Exception|Failure)")


@pytest.fixture(scope="module")
def web():
    with NastyWeb(home_links=MAIN_PAGES) as nasty:
        yield nasty


@pytest.fixture(scope="module")
def crawl(web: NastyWeb, tmp_path_factory: pytest.TempPathFactory) -> CrawlResult:
    return run_crawl({**ARGS, "seeds": web.url("/")}, tmp_path_factory.mktemp("nasty"), SETTINGS, timeout=120)


@pytest.fixture(scope="module")
def pages(crawl: CrawlResult, web: NastyWeb) -> dict[str, list[dict]]:
    """Page records by path."""
    by_path: dict[str, list[dict]] = {}
    prefix = web.url("")
    for record in crawl.records("page"):
        by_path.setdefault(record["url"].removeprefix(prefix) or "/", []).append(record)
    return by_path


def page(pages: dict[str, list[dict]], path: str) -> dict:
    records = pages.get(path, [])
    assert len(records) == 1, f"{path}: {len(records)} page records: {records}"
    return records[0]


# --- the crawl as a whole -------------------------------------------------------------------------


def test_crawl_finishes_cleanly(crawl: CrawlResult) -> None:
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert "Traceback" not in crawl.stderr, crawl.stderr
    assert "Spider error processing" not in crawl.stderr


@pytest.mark.parametrize("path", ["/", *MAIN_PAGES])
def test_every_linked_page_has_exactly_one_page_record(pages: dict[str, list[dict]], path: str) -> None:
    record = page(pages, path)
    assert record["depth"] == (0 if path == "/" else 1)


def test_no_page_records_for_pages_never_linked(pages: dict[str, list[dict]]) -> None:
    assert set(pages) <= {"/", *MAIN_PAGES}, sorted(set(pages) - {"/", *MAIN_PAGES})


# --- pages that are read ----------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(READ_PAGES))
def test_readable_pages_are_read(pages: dict[str, list[dict]], crawl: CrawlResult, path: str) -> None:
    record = page(pages, path)
    assert (record["status"], record["error"]) == (200, None)
    assert (record["backlinks"], record["mentions"]) == READ_PAGES[path]
    links = [b for b in crawl.records("backlink") if b["source_url"] == record["url"]]
    expected = BACKLINK_EXCEPTIONS.get(path, (target_url(path), "BrewBird kettles"))
    assert [(b["target_url"], " ".join(b["anchor_text"].split())) for b in links] == [expected]


def test_anchor_text_of_unclosed_link_is_whitespace_collapsed(pages: dict, crawl: CrawlResult) -> None:
    url = page(pages, "/malformed/unclosed-tags")["url"]
    anchors = [b["anchor_text"] for b in crawl.records("backlink") if b["source_url"] == url]
    assert anchors == [BACKLINK_EXCEPTIONS["/malformed/unclosed-tags"][1]]


def test_charset_declared_by_bom_is_used(pages: dict[str, list[dict]]) -> None:
    assert page(pages, "/charset/utf16-bom-no-charset")["title"] == "UTF-16"


def test_rate_limited_page_is_retried_and_read(pages: dict[str, list[dict]], web: NastyWeb) -> None:
    assert web.hits["/rate-limited"] == 2  # 429, then 200
    assert page(pages, "/rate-limited")["status"] == 200


def test_control_page_records_are_exact(crawl: CrawlResult, web: NastyWeb, pages: dict) -> None:
    url = web.url("/control")
    control = page(pages, "/control")
    expected_page = {
        "type": "page",
        "crawl_id": "test",
        "target": "brewbird.io",
        "url": url,
        "status": 200,
        "rendered": False,
        "title": "Control page",
        "render_reason": None,
        "error": None,
        "final_url": None,
        "depth": 1,
        "canonical_url": None,
        "lang": "en",
        "meta_robots": None,
        "x_robots_tag": None,
        "indexable": True,
        "follow": True,
        "outbound_links": 1,
        "external_links": 1,
        "internal_links": 0,
        "backlinks": 1,
        "mentions": 1,
    }
    assert {k: control.get(k) for k in expected_page} == expected_page

    backlinks = [r for r in crawl.records("backlink") if r["source_url"] == url]
    assert len(backlinks) == 1
    expected_backlink = {
        "type": "backlink",
        "crawl_id": "test",
        "target": "brewbird.io",
        "source_url": url,
        "source_domain": "127.0.0.1",
        "target_url": "https://brewbird.io/pricing",
        "target_domain": "brewbird.io",
        "anchor_text": "their pricing",
        "rel": [],
        "nofollow": False,
        "ugc": False,
        "sponsored": False,
        "link_type": "text",
        "image_alt": None,
        "wrapper_url": None,
        "position": "content",
        "hidden": False,
        "context": "See their pricing for details.",
        "rendered": False,
        "target_status": None,  # check_links=false
        "target_error": None,
        "reclaim": False,
    }
    assert {k: backlinks[0].get(k) for k in expected_backlink} == expected_backlink

    mentions = [r for r in crawl.records("mention") if r["source_url"] == url]
    assert len(mentions) == 1
    expected_mention = {
        "type": "mention",
        "crawl_id": "test",
        "target": "brewbird.io",
        "source_url": url,
        "term": "brewbird",
        "matched_text": "BrewBird",
        "snippet": "We switched our caf\u00e9 to BrewBird last spring and never looked back.",
        "form": "name",
        "position": "content",
        "linked": False,
        "unlinked": False,
        "occurrence": 1,
    }
    assert {k: mentions[0].get(k) for k in expected_mention} == expected_mention
    assert not [r for r in crawl.records("lead") if r["source_url"] == url]  # linked: not a lead


# --- pages that fail: the error says what happened ----------------------------------------------------


def test_pdf_is_reported_not_html(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/doc.pdf")
    assert (record["status"], record["error"]) == (200, "not HTML: application/pdf")


def test_page_above_download_maxsize_with_content_length(pages: dict[str, list[dict]], web: NastyWeb) -> None:
    from tests.nasty_web import _BODIES

    size = len(_BODIES.get("15mb"))
    record = page(pages, "/huge/15mb")
    assert record["status"] is None
    assert record["error"] == (
        f"too large: Expected to receive {size} bytes which is larger than download max size (10485760) "
        f"in request <GET {web.url('/huge/15mb')}>."
    )


def test_page_above_download_maxsize_without_content_length(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/huge/15mb-no-length")
    assert record["status"] is None
    assert not _CLASS_NAME_ONLY.fullmatch(record["error"])
    assert re.search(r"max(imum)? size|larger than|too large", record["error"], re.I)


def test_redirect_chain_longer_than_redirect_max_times(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/chain/0")
    assert (record["status"], record["error"]) == (None, "max redirections reached")


def test_redirect_loop_is_reported(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/loop-a")
    assert record["error"] and "redirect" in record["error"].lower()


def test_stalled_body_times_out(pages: dict[str, list[dict]], web: NastyWeb) -> None:
    record = page(pages, "/stall")
    assert (record["status"], record["error"]) == (
        None,
        f"timeout: Getting {web.url('/stall')} took longer than 3.0 seconds.",
    )
    assert web.hits["/stall"] == 2  # RETRY_TIMES=1


def test_connection_reset_mid_body_is_reported(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/reset")
    assert record["status"] is None
    assert not _CLASS_NAME_ONLY.fullmatch(record["error"])
    assert re.search(r"connection|reset|lost", record["error"], re.I)


def test_body_shorter_than_content_length_is_reported(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/short-body")
    assert record["status"] is None
    assert not _CLASS_NAME_ONLY.fullmatch(record["error"])
    assert re.search(r"content-length|incomplete|cut short|truncated|lost", record["error"], re.I)


def test_failures_are_recorded_with_status_none(pages: dict[str, list[dict]]) -> None:
    """The connection-level failures, by name."""
    errors = {path: page(pages, path)["error"] for path in ("/reset", "/short-body", "/huge/15mb-no-length")}
    assert errors == {
        "/reset": "connection lost",
        "/short-body": "connection lost",
        "/huge/15mb-no-length": "too large",
    }


# --- pages whose content is silently lost ---------------------------------------------------------------


@pytest.mark.parametrize("path", ["/binary/png", "/binary/random"])
def test_binary_served_as_html_is_reported_not_html(pages: dict[str, list[dict]], path: str) -> None:
    record = page(pages, path)
    assert record["error"] and record["error"].startswith("not HTML")


def test_content_after_early_html_close_is_read(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/malformed/early-html-close")
    assert (record["status"], record["error"]) == (200, None)
    assert (record["backlinks"], record["mentions"]) == (1, 2)


def test_deeply_nested_page_is_fetched(pages: dict[str, list[dict]]) -> None:
    record = page(pages, "/deep")
    assert (record["status"], record["error"], record["title"]) == (200, None, "Deep nesting")


def test_deeply_nested_page_links_are_found(pages: dict[str, list[dict]], crawl: CrawlResult) -> None:
    record = page(pages, "/deep")
    links = sorted(b["target_url"] for b in crawl.records("backlink") if b["source_url"] == record["url"])
    assert links == ["https://brewbird.io/deep", "https://brewbird.io/deep-inner"]


def test_page_5000_levels_deep_keeps_its_text_and_links(
    pages: dict[str, list[dict]], crawl: CrawlResult
) -> None:
    record = page(pages, "/deep/5000")
    assert (record["status"], record["error"], record["title"]) == (200, None, "5,000 levels")
    assert (record["outbound_links"], record["backlinks"], record["mentions"]) == (21, 1, 2)
    [link] = [b for b in crawl.records("backlink") if b["source_url"] == record["url"]]
    assert (link["target_url"], link["anchor_text"], link["position"], link["context"]) == (
        target_url("/deep/5000"),
        "BrewBird kettles",
        "content",
        "We brew with BrewBird every morning: BrewBird kettles.",
    )


# --- 100,000 links ----------------------------------------------------------------------------------


def test_hundred_thousand_links(tmp_path) -> None:
    with NastyWeb(home_links=()) as nasty:
        url = nasty.url("/links/100k")
        result = run_crawl(
            {**ARGS, "seeds": url, "depth": "0"}, tmp_path, SETTINGS, timeout=HUNDRED_K_TIME_LIMIT
        )
    assert result.returncode == 0
    assert "Traceback" not in result.stderr
    record = page({"x": result.records("page")}, "x")
    assert (record["status"], record["error"]) == (200, None)
    assert record["outbound_links"] == LINKS_TOTAL
    expected = LINKS_TOTAL // LINKS_TARGET_EVERY
    assert record["backlinks"] == expected
    backlinks = result.records("backlink")
    assert len(backlinks) == expected
    assert sorted(b["target_url"] for b in backlinks) == sorted(
        f"https://brewbird.io/p/{i}" for i in range(0, LINKS_TOTAL, LINKS_TARGET_EVERY)
    )
