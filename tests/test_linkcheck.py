import pytest
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, IgnoreRequest
from twisted.internet.error import TimeoutError
from twisted.python.failure import Failure

from backlink_spider.linkcheck import TargetIndex, describe_failure, is_dead, words


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
