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
    html = "<div>" * 50_000 + "<a href='https://acme.com/'>deep Acme</a>" + "</div>" * 50_000 + "<p>after</p>"
    walked = walk(parse_html(html), rendered=False)
    assert [link.href for link in walked.links] == ["https://acme.com/"]
    assert walked.text == "deep Acme\nafter\n"


def _deep_page(levels, open_tag="<div>", close_tag="</div>", above="", inner="", below=""):
    return (
        f"<!DOCTYPE html><html><head><title>Deep</title></head><body>{above}"
        + open_tag * levels
        + inner
        + close_tag * levels
        + f"{below}</body></html>"
    )


def test_page_nested_5000_deep_keeps_all_its_text_and_links():
    """libxml2 stops at 2,048 levels and drops the rest of the page; a browser shows it all."""
    target = Target.parse("acme.com")
    matcher = BrandMatcher(target.brand_terms, target.domain_terms)
    nav = "<nav>" + "".join(f"<a href='/topic/{i}'>topic {i}</a>" for i in range(20)) + "</nav>"
    pages = {
        # links above the nesting: the deep one is 1 of 21 (a link count cannot tell it is lost)
        "links above": _deep_page(
            5000, above=nav, inner="<p>Deep: <a href='https://acme.com/deep'>Acme</a></p>"
        ),
        "upper-case tags": _deep_page(
            5000, "<DIV CLASS=x>", "</DIV>", inner="<P>Deep: <A HREF='https://acme.com/deep'>Acme</A></P>"
        ),
        "inline elements": _deep_page(
            5000, "<span>", "</span>", inner="<p>Deep: <a href='https://acme.com/deep'>Acme</a></p>"
        ),
        "never closed": _deep_page(
            5000, close_tag="", inner="<p>Deep: <a href='https://acme.com/deep'>Acme</a>"
        ),
    }
    for name, html in pages.items():
        found = extract_page(PageSnapshot("https://forum.example/t/1", html + "<p>End.</p>"), target, matcher)
        assert [(b.target_url, b.anchor_text, b.position) for b in found.backlinks] == [
            ("https://acme.com/deep", "Acme", "content")
        ], name
        assert found.text.endswith("Deep: Acme\nEnd.\n"), name
    text_only = _deep_page(5000, inner="<p>We switched to Acme last year.</p>", below="<p>Thanks, Jo</p>")
    found = extract_page(PageSnapshot("https://forum.example/t/2", text_only), target, matcher)
    assert [m.snippet for m in found.mentions] == ["We switched to Acme last year."]
    assert found.unlinked
    assert found.text == "We switched to Acme last year.\nThanks, Jo\n"


def test_deep_levels_flattened_keep_their_blocks_apart():
    levels = "".join(f"<div>level {i}" for i in range(3000)) + "</div>" * 3000
    walked = walk(parse_html(levels), rendered=False)
    assert walked.text.split("\n")[:-1] == [f"level {i}" for i in range(3000)]


SHARE_PAGE = """<!DOCTYPE html><html><head><title>Five subreddits for coffee nerds</title></head><body>
<header class="site-header"><a href="/">Bean Notes</a></header>
<main><article>
<h1>Five subreddits for coffee nerds</h1>
<p>Reddit is where I learned to dial in espresso; <a href="https://www.reddit.com/r/espresso/">r/espresso</a>
is the best of them.</p>
<p>Also worth a look: the weekly thread on Reddit about grinders.</p>
<div class="sharedaddy sd-sharing-enabled"><h3 class="sd-title">Share this:</h3>
<a class="share-reddit" href="https://www.reddit.com/submit?url=https%3A%2F%2Fbeannotes.example%2Fsubs">
Share on Reddit</a>
<a class="share-facebook" href="https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fbeannotes.example%2Fsubs">
Share on Facebook</a></div>
<p><a href="https://twitter.com/intent/tweet?text=Subreddits%20for%20coffee&amp;url=https%3A%2F%2Fbeannotes.example">Tweet
this</a></p>
</article></main>
<footer class="site-footer"><p>Posts about Reddit and coffee.</p>
<a href="https://www.facebook.com/beannotes">Follow us on Facebook</a></footer>
</body></html>"""


def test_share_and_follow_widgets():
    """Share buttons are backlinks to the network they share on, with position `share`; their
    labels are never mentions."""

    def run(target_name):
        target = Target.parse(target_name)
        matcher = BrandMatcher(target.brand_terms, target.domain_terms)
        return extract_page(PageSnapshot("https://beannotes.example/subs", SHARE_PAGE), target, matcher)

    reddit = run("reddit.com")
    assert [
        (b.target_url, b.anchor_text, b.link_type, b.wrapper_url, b.position) for b in reddit.backlinks
    ] == [
        ("https://www.reddit.com/r/espresso/", "r/espresso", "text", None, "content"),
        (
            "https://www.reddit.com/submit?url=https%3A%2F%2Fbeannotes.example%2Fsubs",
            "Share on Reddit",
            "text",
            None,
            "share",
        ),
    ]
    assert [(m.matched_text, m.position) for m in reddit.mentions] == [
        ("Reddit", "content"),
        ("Reddit", "content"),
        ("Reddit", "footer"),
    ]
    assert not reddit.unlinked
    facebook = run("facebook.com")
    assert [(b.target_url, b.position) for b in facebook.backlinks] == [
        ("https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fbeannotes.example%2Fsubs", "share"),
        ("https://www.facebook.com/beannotes", "share"),
    ]
    assert facebook.mentions == []  # "Share on Facebook", "Follow us on Facebook" are labels
    twitter = run("twitter.com")
    assert [(b.anchor_text, b.position) for b in twitter.backlinks] == [("Tweet this", "share")]
    assert twitter.mentions == []
    page_links = {link.anchor_text: link.position for link in reddit.links}
    assert page_links["Share on Facebook"] == page_links["Tweet this"] == "share"
    assert page_links["Bean Notes"] == "header"


def test_a_page_linking_the_target_only_from_share_buttons_is_an_unlinked_mention():
    html = SHARE_PAGE.replace('<a href="https://www.reddit.com/r/espresso/">r/espresso</a>', "r/espresso")
    target = Target.parse("reddit.com")
    found = extract_page(
        PageSnapshot("https://beannotes.example/subs", html), target, BrandMatcher(target.brand_terms)
    )
    assert [b.position for b in found.backlinks] == ["share"]
    assert len(found.mentions) == 3
    assert found.unlinked and found.contacts is not None


def test_a_share_class_on_a_whole_page_part_is_not_a_widget():
    text = "Our review of the Acme kettle. " * 20
    html = f"<main class='sharing-enabled'><p>{text}<a href='https://acme.com/k'>Acme kettle</a></p></main>"
    target = Target.parse("acme.com")
    found = extract_page(
        PageSnapshot("https://x.example/", html),
        target,
        BrandMatcher(target.brand_terms, target.domain_terms),
    )
    assert [b.position for b in found.backlinks] == ["content"]
    assert {m.position for m in found.mentions} == {"content"} and len(found.mentions) == 21


def test_text_runs_join_like_a_browser_shows_them():
    walked = walk(parse_html("<p>Brew<b>Bird</b>'s <i>kettle</i></p><p>next</p>"), rendered=False)
    assert walked.text == "BrewBird's kettle\nnext\n"


def _leads(html, url="https://forum.example/t/kettles/9", target="acme.com"):
    target = Target.parse(target)
    found = extract_page(
        PageSnapshot(url, html), target, BrandMatcher(target.brand_terms, target.domain_terms)
    )
    return [
        (lead.author, lead.author_url, lead.author_website, lead.mention_date, lead.mentions)
        for lead in found.leads
    ]


def _post(author, profile, when, text, itemtype="Comment"):
    return (
        f"<div itemscope itemtype='http://schema.org/{itemtype}' class='topic-body crawler-post'>"
        f"<span itemprop='author' itemscope itemtype='http://schema.org/Person'>"
        f"<a itemprop='url' href='{profile}'><span itemprop='name'>{author}</span></a></span>"
        f"<time itemprop='datePublished' datetime='{when}'>{when[:10]}</time>"
        f"<div class='post' itemprop='text'><p>{text}</p></div></div>"
    )


def test_a_lead_is_the_reply_author_not_the_thread_starter():
    html = (
        "<html><head><meta name='author' content='starter'></head><body><main>"
        + _post("starter", "/u/starter", "2026-03-01T10:00:00Z", "Which kettle?", "DiscussionForumPosting")
        + _post("emma", "/u/emma", "2026-03-01T12:00:00Z", "The Acme kettle, twice over: Acme is great.")
        + "</main></body></html>"
    )
    assert _leads(html) == [("emma", "https://forum.example/u/emma", None, "2026-03-01T12:00:00Z", 2)]


def test_two_people_naming_the_brand_are_two_leads():
    html = (
        "<main>"
        + _post(
            "starter", "/u/starter", "2026-03-01T10:00:00Z", "Is Acme any good?", "DiscussionForumPosting"
        )
        + _post("emma", "/u/emma", "2026-03-01T12:00:00Z", "Yes.")
        + _post("kid", "/u/kid", "2026-03-02T08:00:00Z", "Acme broke on me.")
        + "</main>"
    )
    assert _leads(html) == [
        ("starter", "https://forum.example/u/starter", None, "2026-03-01T10:00:00Z", 1),
        ("kid", "https://forum.example/u/kid", None, "2026-03-02T08:00:00Z", 1),
    ]


def test_a_wordpress_commenter_is_the_lead_with_their_website():
    html = """<html><head><meta name="author" content="Sara Quint">
    <meta property="article:published_time" content="2025-01-21T10:00:00+00:00"></head><body>
    <article class="post"><h1>VPN roundup</h1><p>Five VPNs compared.</p></article>
    <ol class="comment-list"><li class="comment" id="comment-7"><article class="comment-body">
    <footer class="comment-meta"><div class="comment-author vcard"><b class="fn">
    <a href="https://danareviews.example/" class="url" rel="external nofollow ugc">Dana</a></b>
    <span class="says">says:</span></div><div class="comment-metadata"><a href="#comment-7">
    <time datetime="2025-01-23T07:45:00+00:00">2025-01-23</time></a></div></footer>
    <div class="comment-content"><p>You forgot Acme.</p></div></article></li></ol></body></html>"""
    assert _leads(html, url="https://blog.example/vpn/") == [
        ("Dana", None, "https://danareviews.example/", "2025-01-23T07:45:00Z", 1)
    ]


def test_the_article_author_and_date_when_the_article_names_the_brand():
    html = """<html><head><meta name="author" content="Sara Quint">
    <meta property="article:published_time" content="2025-01-21T10:00:00+00:00"></head><body>
    <article><p>Acme is the kettle I use.</p><a rel="author" href="/author/sara/">Sara Quint</a></article>
    </body></html>"""
    assert _leads(html, url="https://blog.example/k/") == [
        ("Sara Quint", "https://blog.example/author/sara/", None, "2025-01-21T10:00:00Z", 1)
    ]


def test_a_profile_lead_is_its_owner_with_their_own_site():
    html = """<html><head><title>Ada (@ada@social.example)</title></head><body><main>
    <div class="account__header"><h1><span class="display-name__html">Ada Mensah</span></h1>
    <p>I brew with Acme.</p><dl><dd><a rel="me nofollow" href="https://github.com/ada">github</a></dd>
    <dd><a rel="nofollow me" href="https://ada.example/">ada.example</a></dd></dl></div>
    <article class="status"><time datetime="2025-03-02T16:20:00Z">Mar 2</time><p>Acme again.</p></article>
    </main></body></html>"""
    url = "https://social.example/@ada"
    assert extract_page(
        PageSnapshot(url, html), Target.parse("acme.com"), BrandMatcher(("Acme",))
    ).source_type == ("social_profile")
    assert _leads(html, url=url) == [
        ("Ada Mensah", "https://social.example/@ada", "https://ada.example/", "2025-03-02T16:20:00Z", 2)
    ]
