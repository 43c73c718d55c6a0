"""Extraction on fixture HTML, without Scrapy."""

from pathlib import Path

from backlink_spider.extract.dom import parse_html, walk
from backlink_spider.extract.page import PageSnapshot, extract_page
from backlink_spider.matching import BrandMatcher
from backlink_spider.target import Target

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://beanblog.example/2026/03/cold-brew/"


def extract(name, url=URL, rendered=False, target="acme.com", **matcher_options):
    target = Target.parse(target)
    matcher = BrandMatcher(target.brand_terms, target.domain_terms, **matcher_options)
    html = (FIXTURES / name).read_text(encoding="utf-8")
    return extract_page(PageSnapshot(url, html, rendered=rendered), target, matcher)


def test_backlinks_of_a_wordpress_post():
    found = extract("wordpress_post.html")
    rows = [
        (b.target_url, b.anchor_text, b.rel, b.link_type, b.image_alt, b.wrapper_url, b.position, b.hidden)
        for b in found.backlinks
    ]
    assert rows == [
        ("https://acme.com/", "Acme store", [], "text", None, None, "nav", False),
        (
            "https://www.acme.com/kettles?utm_source=blog#buy",
            "Acme's kettle shop",
            [],
            "text",
            None,
            None,
            "content",
            False,
        ),
        ("https://acme.com/", "", [], "image", "Acme logo", None, "content", False),
        (
            "https://acme.com/pricing",
            "see here",
            ["sponsored"],
            "redirect",
            None,
            "https://www.google.com/url?q=https%3A%2F%2Facme.com%2Fpricing&sa=D",
            "content",
            False,
        ),
        ("https://acme.com/secret", "secret Acme link", [], "text", None, None, "content", True),
        (
            "https://shop.acme.com/grinder",
            "the Acme grinder",
            ["external", "nofollow", "ugc"],
            "text",
            None,
            None,
            "comment",
            False,
        ),
        ("https://acme.com/ad", "Sponsored: ACME", [], "text", None, None, "sidebar", False),
    ]
    assert found.backlinks[1].context == (
        "My favourite kettle is from Acme's kettle shop, and I write to press@acme.com when it breaks."
    )


def test_mentions_only_in_visible_text():
    found = extract("wordpress_post.html")
    assert [(m.matched_text, m.form, m.position, m.linked, m.occurrence) for m in found.mentions] == [
        ("Acme", "name", "nav", True, 1),
        ("Acme", "name", "content", True, 2),
        ("acme.com", "email", "content", False, 1),
        ("Acme", "name", "content", False, 3),
        ("Acme", "name", "comment", True, 4),
        ("ACME", "name", "sidebar", True, 5),
    ]
    assert found.mentions[2].snippet == (
        "My favourite kettle is from Acme's kettle shop, and I write to press@acme.com when it breaks."
    )
    assert not found.unlinked


def test_page_signals():
    found = extract("wordpress_post.html")
    assert found.title == "Cold brew at home | Bean Blog"
    assert found.canonical_url == "https://beanblog.example/2026/03/cold-brew/"
    assert found.lang == "en-US"
    assert (found.meta_robots, found.indexable, found.follow) == ("index, nofollow", True, False)
    assert found.source_type == "blog_post"
    assert found.evidence == ["generator:blog", "comments:wordpress", "url:blog_post"]
    assert (found.internal_links, found.external_links) == (3, 10)


def test_unlinked_page_and_targets_own_pages():
    html = "<html><body><p>We love BrewBird kettles.</p><a href='https://example.org/'>x</a></body></html>"
    target = Target.parse("brewbird.io")
    matcher = BrandMatcher(target.brand_terms, target.domain_terms)
    found = extract_page(PageSnapshot("https://forum.example/t/1", html), target, matcher)
    assert [m.matched_text for m in found.mentions] == ["BrewBird"]
    assert found.unlinked
    own = extract_page(PageSnapshot("https://blog.brewbird.io/post", html), target, matcher)
    assert own.mentions == [] and own.backlinks == []


def test_rendered_snapshot_uses_browser_visibility_and_shadow_roots():
    html = (
        "<html><body><div data-bl-hidden='1'><a href='https://acme.com/a'>gone</a>"
        "<span data-bl-hidden='0'><a href='https://acme.com/b'>shown again</a></span></div>"
        "<acme-badge><bl-shadow-root><a href='https://shop.acme.com/gift'>Gift</a> Certified Acme user"
        "</bl-shadow-root></acme-badge>"
        "<p style='display:none'>Acme (inline style is not what decides when rendered)</p></body></html>"
    )
    target = Target.parse("acme.com")
    matcher = BrandMatcher(target.brand_terms, target.domain_terms)
    found = extract_page(PageSnapshot("https://x.example/", html, rendered=True), target, matcher)
    assert [(b.target_url, b.hidden) for b in found.backlinks] == [
        ("https://acme.com/a", True),
        ("https://acme.com/b", False),
        ("https://shop.acme.com/gift", False),
    ]
    assert [m.matched_text for m in found.mentions] == ["Acme", "Acme"]


def test_walk_survives_very_deep_nesting():
    html = "<div>" * 50_000 + "<a href='https://acme.com/'>deep Acme</a>" + "</div>" * 50_000
    walked = walk(parse_html(html), rendered=False)
    assert len(walked.links) <= 1  # lxml may cap the depth; nothing raises


def test_text_runs_join_like_a_browser_shows_them():
    walked = walk(parse_html("<p>Brew<b>Bird</b>'s <i>kettle</i></p><p>next</p>"), rendered=False)
    assert walked.text == "BrewBird's kettle\nnext\n"
