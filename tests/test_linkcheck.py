import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from twisted.internet.error import TimeoutError
from twisted.python.failure import Failure

from backlink_spider.linkcheck import (
    CheckResult,
    TargetIndex,
    describe_failure,
    is_dead,
    words,
)
from backlink_spider.linkchecker import LinkCheckBook


@pytest.mark.parametrize(
    ("status", "error", "dead"),
    [
        (404, None, True),
        (410, None, True),
        (500, None, True),
        (503, None, True),
        (200, None, False),
        (301, None, False),
        (401, None, False),
        (403, None, False),
        (429, None, False),
        (None, "DNS failure", True),
        (None, "connection refused", True),
        (None, "timeout", True),
        (None, "robots.txt disallows checking", False),
        (None, "refused by the address guard", False),
    ],
)
def test_what_counts_as_dead(status, error, dead):
    assert is_dead(status, error) is dead


@pytest.mark.parametrize(
    ("exc", "name"),
    [
        (CannotResolveHostError("x"), "DNS failure"),
        (DownloadConnectionRefusedError("x"), "connection refused"),
        (TimeoutError("x"), "timeout"),
        (IgnoreRequest("Forbidden by robots.txt"), "robots.txt disallows checking"),
        (IgnoreRequest("refused: loopback address 127.0.0.1"), "refused by the address guard"),
        (Exception("SSL routines: certificate verify failed"), "TLS error"),
    ],
)
def test_failures_get_stable_names(exc, name):
    assert describe_failure(Failure(exc)) == name


def test_replacement_is_the_best_matching_target_page():
    index = TargetIndex()
    index.add(
        "https://acme.com/guides/espresso",
        "Espresso brewing guide",
        "Dose, grind and time your espresso shots.",
    )
    index.add(
        "https://acme.com/kettles", "Kettles", "Gooseneck kettles for pour-over, with temperature control."
    )
    index.add("https://acme.com/about", "About Acme", "We make coffee gear.")
    assert index.suggest("pour-over kettle guide", "https://blog.example/old-kettles-page")[0] == (
        "https://acme.com/kettles"
    )
    assert (
        index.suggest("espresso shot timing", "https://x.example/gone")[0]
        == "https://acme.com/guides/espresso"
    )
    assert index.suggest("tax returns", "https://x.example/irs") is None
    assert TargetIndex().suggest("anything", "https://x.example/") is None


def test_words_fold_plurals_and_drop_stopwords():
    assert words("The Guides to Gooseneck Kettles, 2024") == ["gooseneck", "kettle"]


def _accepted(book: LinkCheckBook, key: str, host: str) -> bool:
    assert book.should_schedule(key, host)
    return book.start(key, host)


def test_checks_go_out_within_the_total_and_per_host_places():
    book = LinkCheckBook(max_total=100, max_per_host=100, concurrency=3, concurrency_per_host=2)
    sent = [
        k
        for k, h in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("b2", "b")]
        if _accepted(book, k, h)
    ]
    assert sent == ["a1", "a2", "b1"]  # a third check to a would pass host a's two places
    assert (book.running_total, dict(book.running)) == (3, {"a": 2, "b": 1})
    # a place of host a frees: host a's next check takes it
    assert book.release("a") == ["a3"]
    # a place of host b frees: b2 may go (b has one running), nothing else waits
    assert book.release("b") == ["b2"]
    assert book.queued == {}
    assert book.release("a") == [] and book.release("a") == [] and book.release("b") == []
    assert book.running_total == 0


def test_waiting_checks_are_taken_round_robin_over_hosts():
    book = LinkCheckBook(max_total=100, max_per_host=100, concurrency=1, concurrency_per_host=1)
    assert _accepted(book, "x0", "x")
    for key, host in [("a1", "a"), ("a2", "a"), ("a3", "a"), ("b1", "b"), ("c1", "c")]:
        assert not _accepted(book, key, host)
    order = []
    host = "x"
    while True:
        ready = book.release(host)
        if not ready:
            break
        order += ready
        host = ready[0][0]
    assert order == ["a1", "b1", "c1", "a2", "a3"]  # one host's 200 links do not hold the others back


def test_a_waiting_check_whose_page_was_fetched_meanwhile_is_not_sent():
    book = LinkCheckBook(max_total=100, max_per_host=100, concurrency=1, concurrency_per_host=0)
    assert _accepted(book, "k1", "h")
    assert not _accepted(book, "k2", "h")
    assert not _accepted(book, "k3", "h")
    book.finish("k2", CheckResult(200, None, "2026-01-01T00:00:00Z"))  # its page was crawled
    assert book.release("h") == ["k3"]


def test_reset_gives_back_places_of_checks_that_never_came_back():
    book = LinkCheckBook(max_total=100, max_per_host=100, concurrency=2, concurrency_per_host=0)
    assert _accepted(book, "k1", "h") and _accepted(book, "k2", "h")
    assert not _accepted(book, "k3", "h")
    # k1 and k2 were dropped without a callback: at idle, k3 still gets its turn
    assert book.reset() == ["k3"]
    assert book.running_total == 1


def test_zero_means_no_cap_on_places():
    book = LinkCheckBook(max_total=100, max_per_host=100)
    assert all(_accepted(book, f"k{i}", "h") for i in range(50))
