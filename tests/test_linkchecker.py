"""LinkChecker without a crawl: pages in, check requests and records out.

Fake responses (scrapy.http.HtmlResponse built on the checker's own requests) and failures stand in
for the downloader; the settings are the project's (tests/conftest.py's project_settings), the clock
is fixed. What is asserted is what a user sees: the requests (method, slot, priority, meta) and the
exact broken_link and backlink records."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from backlink_spider.extract.page import OutLink
from backlink_spider.linkcheck import CheckResult, TargetIndex
from backlink_spider.linkchecker import LinkChecker
from backlink_spider.records import COMPETITOR_ROLE, Backlink, BrokenLink
from backlink_spider.target import Target
from tests.conftest import project_settings

NOW = "2026-01-02T03:04:05.000000Z"
TARGET = Target.parse("brewbird.io")
PAGE = "https://blog.example/post"


def callback(response):  # stand-ins for the spider's link_checked / link_check_failed
    raise AssertionError("the checker never calls its callbacks itself")


def errback(failure):
    raise AssertionError("the checker never calls its callbacks itself")


def make_checker(follows=lambda link, hop: False, enabled: bool = True, **settings) -> LinkChecker:
    crawler = get_crawler(settings_dict=project_settings(**settings))
    index = TargetIndex()
    index.add("https://brewbird.io/kettle-guide", "Kettle guide", "How to descale a kettle, step by step.")
    return LinkChecker(
        crawler,
        target=TARGET,
        crawl_id="c1",
        target_index=index,
        follows=follows,
        callback=callback,
        errback=errback,
        enabled=enabled,
        now=lambda: NOW,
    )


def link(url: str, anchor: str = "a link", *, internal: bool = False, position: str = "content") -> OutLink:
    return OutLink(
        url=url, anchor_text=anchor, internal=internal, hidden=False, nofollow=False, position=position
    )


def answer(request, status: int) -> HtmlResponse:
    return HtmlResponse(request.url, status=status, request=request, body=b"")


def failed(request, error: Exception) -> Failure:
    failure = Failure(error)
    failure.request = request
    return failure


def check_meta(key: str, host: str) -> dict:
    return {
        "link_check": key,
        "source_url": key,
        "handle_httpstatus_list": list(range(400, 600)),
        "dont_retry": True,
        "download_slot": f"check:{host}",
        "autothrottle_dont_adjust_delay": True,
        "download_timeout": 10.0,
    }


def broken(
    source_url: str, broken_url: str, anchor: str, status: int | None, error: str | None = None, **extra
):
    return BrokenLink(
        crawl_id="c1",
        target="brewbird.io",
        crawled_at=NOW,
        source_url=source_url,
        broken_url=broken_url,
        anchor_text=anchor,
        status=status,
        error=error,
        checked_at=NOW,
        **extra,
    )


def backlink(target_url: str, anchor_text: str = "BrewBird", **extra) -> Backlink:
    return Backlink(
        crawl_id="c1",
        target="brewbird.io",
        crawled_at=NOW,
        source_url=PAGE,
        target_url=target_url,
        anchor_text=anchor_text,
        rel=[],
        **extra,
    )


def stats(checker: LinkChecker) -> dict:
    return {k: v for k, v in checker.crawler.stats.get_stats().items() if k.startswith("link_check/")}


def test_a_page_s_links_become_head_checks_in_their_host_s_check_slot():
    checker = make_checker()
    out = list(
        checker.page_links(
            PAGE,
            [
                link("https://other.example/gone#top", "gone"),
                link("https://blog.example/about", "about", internal=True),  # its own site: not checked
                link("https://brewbird.io/old-kettle-guide", "old kettle guide"),
                link("https://other.example/gone", "gone again"),  # the same URL: one check
                link(PAGE + "#comments"),  # the page itself
            ],
            hop=0,
        )
    )
    assert [(r.method, r.url, r.priority, r.dont_filter, r.meta) for r in out] == [
        (
            "HEAD",
            "https://other.example/gone",
            -10,
            True,
            check_meta("https://other.example/gone", "other.example"),
        ),
        (
            "HEAD",
            "https://brewbird.io/old-kettle-guide",
            -10,
            True,
            check_meta("https://brewbird.io/old-kettle-guide", "brewbird.io"),
        ),
    ]
    assert all(r.callback is callback and r.errback is errback for r in out)
    assert stats(checker) == {"link_check/requests": 2, "link_check/skipped_internal": 1}


def test_share_and_follow_widgets_are_not_checked_unless_they_link_to_the_target():
    checker = make_checker()
    out = list(
        checker.page_links(
            PAGE,
            [
                link(f"https://twitter.com/intent/tweet?url={PAGE}", "Tweet", position="share"),
                link(f"https://www.facebook.com/sharer.php?u={PAGE}", "Share", position="share"),
                link("https://www.facebook.com/blogexample", "Follow us", position="share"),
                link("https://brewbird.io/share-kit", "BrewBird", position="share"),
            ],
            hop=0,
        )
    )
    assert [(r.method, r.url) for r in out] == [("HEAD", "https://brewbird.io/share-kit")]
    assert stats(checker) == {"link_check/requests": 1, "link_check/skipped_share": 3}


def test_head_refused_is_asked_again_with_get_then_the_dead_link_is_recorded():
    checker = make_checker()
    (head,) = checker.page_links(
        PAGE, [link("https://brewbird.io/old-kettle-guide", "old kettle guide")], hop=0
    )
    (get,) = checker.checked(answer(head, 405))
    assert (get.method, get.url, get.priority, get.meta) == (
        "GET",
        "https://brewbird.io/old-kettle-guide",
        -10,
        check_meta("https://brewbird.io/old-kettle-guide", "brewbird.io"),
    )
    assert list(checker.checked(answer(get, 404))) == [
        broken(
            PAGE,
            "https://brewbird.io/old-kettle-guide",
            "old kettle guide",
            404,
            to_target=True,
            suggested_replacement="https://brewbird.io/kettle-guide",
            suggestion_score=0.781,
        )
    ]
    assert stats(checker) == {"link_check/requests": 2, "link_check/status/404": 1}


def test_a_page_the_crawl_fetches_answers_the_check_with_no_request():
    followed = "https://blog.example/old-post"
    checker = make_checker(follows=lambda link, hop: link.url == followed and hop < 1)
    assert list(checker.page_links(PAGE, [link(followed, "old post", internal=True)], hop=0)) == []
    # the crawl fetches the page: a 404, which is the check of every link to it
    assert list(checker.page_checked(followed, CheckResult(404, None, NOW))) == [
        broken(PAGE, followed, "old post", 404)
    ]
    # a page found later that links to it: the known result, still no request
    assert list(checker.page_links("https://blog.example/other", [link(followed, "see")], hop=1)) == [
        broken("https://blog.example/other", followed, "see", 404)
    ]
    assert stats(checker) == {}


def test_a_link_is_checked_once_for_many_pages():
    checker = make_checker()
    dead = "https://other.example/gone"
    (request,) = checker.page_links("https://a.example/1", [link(dead, "one")], hop=0)
    assert list(checker.page_links("https://b.example/2", [link(dead, "two")], hop=0)) == []  # waits
    failure = failed(request, DNSLookupError("no such host"))
    assert list(checker.check_failed(failure)) == [
        broken("https://a.example/1", dead, "one", None, "DNS failure"),
        broken("https://b.example/2", dead, "two", None, "DNS failure"),
    ]
    assert list(checker.page_links("https://c.example/3", [link(dead, "three")], hop=0)) == [
        broken("https://c.example/3", dead, "three", None, "DNS failure")
    ]
    assert stats(checker) == {"link_check/requests": 1, "link_check/error/DNS failure": 1}


def test_checks_to_one_host_wait_for_a_place_and_stop_at_the_host_cap():
    checker = make_checker(LINK_CHECK_CONCURRENCY_PER_HOST=1, LINK_CHECK_MAX_PER_HOST=2)
    links = [link(f"https://other.example/{n}", n) for n in ("a", "b", "c")]
    (first,) = checker.page_links(PAGE, links, hop=0)  # b waits for a place, c is over the cap
    assert first.url == "https://other.example/a"
    assert checker.slot_settings == {"delay": 0.25, "jitter": 0.0, "concurrency": 1}
    (second,) = checker.checked(answer(first, 200))  # a is done: b takes its place
    assert (second.method, second.url, second.meta["download_slot"]) == (
        "HEAD",
        "https://other.example/b",
        "check:other.example",
    )
    assert list(checker.checked(answer(second, 410))) == [broken(PAGE, "https://other.example/b", "b", 410)]
    assert stats(checker) == {
        "link_check/requests": 2,
        "link_check/skipped_cap": 1,
        "link_check/status/200": 1,
        "link_check/status/410": 1,
    }


def test_a_backlink_waits_for_its_target_status():
    checker = make_checker()
    (request,) = checker.backlink_ready(backlink("https://brewbird.io/old-kettle-guide"))
    assert (request.method, request.url) == ("HEAD", "https://brewbird.io/old-kettle-guide")
    assert list(checker.checked(answer(request, 404))) == [
        backlink("https://brewbird.io/old-kettle-guide", target_status=404, reclaim=True)
    ]
    # the result is known now: the next backlink to it is written at once
    assert list(
        checker.backlink_ready(backlink("https://brewbird.io/old-kettle-guide", anchor_text="x"))
    ) == [backlink("https://brewbird.io/old-kettle-guide", anchor_text="x", target_status=404, reclaim=True)]


@pytest.mark.parametrize("enabled", [True, False])
def test_competitor_backlinks_and_a_disabled_checker_pass_backlinks_through(enabled):
    checker = make_checker(enabled=enabled)
    competitor = backlink("https://rival.example/", role=COMPETITOR_ROLE, main_target="brewbird.io")
    assert list(checker.backlink_ready(competitor)) == [competitor]
    if not enabled:
        assert list(checker.backlink_ready(backlink("https://brewbird.io/x"))) == [
            backlink("https://brewbird.io/x")
        ]
    assert stats(checker) == {}


def test_a_followed_page_the_scope_drops_is_checked_instead():
    followed = "https://blog.example/calendar?y=2999"
    checker = make_checker(follows=lambda link, hop: True)
    assert list(checker.page_links(PAGE, [link(followed, "next year", internal=True)], hop=0)) == []
    request = checker.dropped(followed)
    assert (request.method, request.url, request.meta["download_slot"]) == (
        "HEAD",
        followed,
        "check:blog.example",
    )
    assert checker.dropped("https://blog.example/nobody-linked") is None


def test_checks_stalled_by_a_dropped_request_are_sent_again():
    checker = make_checker(LINK_CHECK_CONCURRENCY=1)
    (sent,) = checker.page_links(PAGE, [link("https://a.example/x"), link("https://b.example/y")], hop=0)
    assert sent.url == "https://a.example/x"
    # a.example's request never comes back (dropped by a middleware): b.example's goes out when idle
    assert [r.url for r in checker.stalled()] == ["https://b.example/y"]
    assert checker.stalled() == []
    checker.spider_idle()  # nothing waits any more: the crawl may end
