"""render=auto: which static pages are sent to the browser, and why."""

import pytest

from backlink_spider.fingerprints import render_reason

ARTICLE = "<p>" + "A real server-rendered article with plenty of words in it. " * 10 + "</p>"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<html><body><div id='root'></div><script src='/app.js'></script></body></html>", "empty-app-root"),
        ("<html><body><div id='__next'> </div>" + ARTICLE + "</body></html>", "empty-app-root"),
        ("<html><body><app-root></app-root><script src='/main.js'></script></body></html>", "empty-app-root"),
        (
            "<html><body><noscript>Please enable JavaScript to use this site.</noscript>"
            + ARTICLE
            + "</body></html>",
            "noscript-requires-js",
        ),
        (
            "<html><body><h1>Thread</h1>" + ARTICLE + "<div class='posts'><p>Loading posts…</p></div>"
            "<script>fetch('/api')</script></body></html>",
            "loading-placeholder",
        ),
        (
            "<html><body>" + ARTICLE + "<div class='comments-skeleton'></div><script></script></body></html>",
            "loading-placeholder",
        ),
        (
            "<html><body>" + ARTICLE + "<brew-badge></brew-badge><script></script></body></html>",
            "custom-elements",
        ),
        ("<html><body><h1>Hi</h1><script src='/bundle.js'></script></body></html>", "thin-text"),
    ],
)
def test_pages_that_need_a_browser(html, reason):
    assert render_reason(html) == reason


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><h1>Hi</h1><p>Short static page without scripts.</p></body></html>",
        "<html><body>" + ARTICLE + "<script>console.log('analytics')</script></body></html>",
        "<html><body><div id='root'>" + ARTICLE + "</div><script src='/hydrate.js'></script></body></html>",
        "",
    ],
)
def test_pages_that_do_not(html):
    assert render_reason(html) is None
