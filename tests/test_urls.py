from urllib.parse import urljoin

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backlink_spider.urls import absolute_url, canonical_url, unwrap_redirect, url_key


def test_canonical_url_drops_what_never_changes_the_page():
    assert (
        canonical_url("HTTPS://WWW.Example.COM:443/a/b?utm_source=x&b=2&a=1&fbclid=z&PHPSESSID=9#top")
        == "https://www.example.com/a/b?a=1&b=2"
    )
    assert canonical_url("http://example.com:80") == "http://example.com/"
    assert canonical_url("http://example.com:8080/x") == "http://example.com:8080/x"
    assert canonical_url("http://bücher.de/ä") == "http://xn--bcher-kva.de/%C3%A4"
    assert canonical_url("http://example.com/a;jsessionid=ABC?x=1") == "http://example.com/a?x=1"


def test_url_key_folds_scheme_and_trailing_slash():
    same = {
        url_key("http://example.com/a/"),
        url_key("https://example.com/a#frag"),
        url_key("https://example.com/a?utm_medium=email"),
    }
    assert same == {"example.com/a"}
    assert url_key("https://example.com/") == "example.com/"
    assert url_key("https://example.com/a?x=1") != url_key("https://example.com/a?x=2")


@pytest.mark.parametrize(
    ("wrapped", "destination"),
    [
        ("https://www.google.com/url?q=https%3A%2F%2Facme.com%2Fpricing&sa=D", "https://acme.com/pricing"),
        ("https://www.google.co.uk/url?sa=t&url=https://acme.com/", "https://acme.com/"),
        ("https://l.facebook.com/l.php?u=https%3A%2F%2Fshop.acme.com%2F&h=AT0", "https://shop.acme.com/"),
        ("https://out.reddit.com/t3_abc?url=https%3A%2F%2Facme.com%2Fx&token=1", "https://acme.com/x"),
        ("https://href.li/?https://acme.com/y", "https://acme.com/y"),
        ("https://forum.example/redirect?to=https%253A%252F%252Facme.com%252Fz", "https://acme.com/z"),
        ("https://news.example/out?target=http://acme.com", "http://acme.com"),
        (
            "https://blog.example/go?u=https%3A%2F%2Fwww.google.com%2Furl%3Fq%3Dhttps%253A%252F%252Facme.com",
            "https://acme.com",
        ),
    ],
)
def test_redirectors_are_unwrapped(wrapped, destination):
    assert unwrap_redirect(wrapped) == destination


@pytest.mark.parametrize(
    "url",
    ["https://acme.com/search?q=kettles", "https://example.com/page?url=not-a-url", "https://example.com/"],
)
def test_ordinary_links_are_not_redirectors(url):
    assert unwrap_redirect(url) is None


def test_absolute_url_keeps_only_http_links():
    assert absolute_url("../x", "https://a.example/b/c/") == "https://a.example/b/x"
    assert absolute_url("//acme.com/", "https://a.example/") == "https://acme.com/"
    assert absolute_url("mailto:x@acme.com", "https://a.example/") is None
    assert absolute_url("javascript:void(0)", "https://a.example/") is None
    assert absolute_url("   ", "https://a.example/") is None


_HREF_CHARS = "/?#.;=&%:@\\ \t\nab0é"


@settings(max_examples=3000, deadline=None)
@given(
    href=st.text(alphabet=_HREF_CHARS, max_size=20).map(lambda s: "/" + s),
    base=st.sampled_from(
        ["http://site.example/a/b?x=1", "https://Site.example:8443/", "http://u:p@h.example/x;y", "http://h"]
    ),
)
def test_root_relative_links_resolve_exactly_as_urljoin(href, base):
    """absolute_url's shortcut for `/path` links gives what urljoin (the general path) gives."""
    stripped = href.strip()
    assume(stripped and stripped.isascii() and " " not in stripped)  # else safe_url_string first
    assert absolute_url(href, base) == urljoin(base, stripped)
