"""Property tests (hypothesis) of extraction, brand matching, target parsing and URL handling on
random and mutated input: generated tag soups, and byte-level mutations of the demo web's pages.

Properties:
- no exception escapes `extract_page` (static and rendered), `BrandMatcher.find`, `Target.parse`
  (other than `TargetError`), `canonical_url`, `url_key`, `unwrap_redirect`;
- every backlink's `target_url` is owned by the target;
- every mention's `matched_text` occurs in the page's visible text, and in its snippet;
- `unlinked` is true iff the page has mentions and no backlinks other than share buttons;
- no mention comes from a share or follow widget;
- nesting a page 2,000-6,000 levels deep loses none of its backlinks or visible text;
- `canonical_url` is idempotent on http(s) URLs.

Derandomized, so a run in CI is the same run every time.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from backlink_spider.extract.page import PageExtraction, PageSnapshot, extract_page
from backlink_spider.matching import BrandMatcher
from backlink_spider.target import Target, TargetError
from backlink_spider.urls import canonical_url, unwrap_redirect, url_key

ROOT = Path(__file__).resolve().parent.parent
DEMO_PAGES = sorted((ROOT / "demo" / "sites").rglob("*.html"))

TARGET = Target.parse("brewbird.io")
# The crawl's default matcher, and one with a two-word brand term, exclusions and case sensitivity.
MATCHERS = {
    "default": BrandMatcher(TARGET.brand_terms, TARGET.domain_terms),
    "options": BrandMatcher(
        ("BrewBird", "Brew Bird"),
        TARGET.domain_terms,
        case_sensitive=True,
        exclude=("brewbird pie",),
    ),
}


def fuzz(max_examples: int) -> settings:
    """Reproducible (derandomized, no example database), no per-example deadline."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


# --- strategies ---------------------------------------------------------------------------------

EVIL_URLS = [
    "https://brewbird.io/",
    "https://brewbird.io/pricing?utm_source=x#top",
    "http://WWW.BrewBird.IO./kettles",
    "//brewbird.io/x",
    "/relative/path",
    "../../up",
    "?q=1",
    "#frag",
    "",
    " ",
    "javascript:alert('brewbird.io')",
    "JaVaScRiPt:void(0)",
    "mailto:hello@brewbird.io",
    "data:text/html,<a href=https://brewbird.io>x</a>",
    "tel:+123",
    "https://brewbird.io.evil.net/",
    "https://notbrewbird.io/",
    "https://evil.net/?url=https://brewbird.io/x",
    "https://evil.net/?url=javascript:alert(1)",
    "https://www.google.com/url?q=https%3A%2F%2Fbrewbird.io%2Fguide",
    "https://l.facebook.com/l.php?u=https%253A%252F%252Fshop.brewbird.io%252F",
    "https://href.li/?https://brewbird.io/",
    "https://out.reddit.com/t3_x?url=https%3A%2F%2Fbrewbird.io&token=1",
    "https://href.li/?https%3A%2F%2Fhref.li%2F%3Fhttps%3A%2F%2Fbrewbird.io",
    "https://brewbird.io:99999/",
    "https://brewbird.io:-1/",
    "https://brewbird.io:port/",
    "http://[::1",
    "http://[::1]:8080/x",
    "http://[brewbird.io]/",
    "http://user:pass@brewbird.io/",
    "http://brewbird.io@evil.net/",
    "http://evil.net\\@brewbird.io/",
    "https://brewbird.io\\evil",
    "https://b\u00fccher.de/",
    "https://xn--/",
    "https://xn--zz.brewbird.io/",
    "https://\u0628\u0631\u0648.brewbird.io/",
    "https://brew\x00bird.io/",
    "https://brewbird.io/\x00",
    "https://brewbird.io/%00%zz%",
    "https://brewbird%2Eio/",
    "http://0x7f.1/",
    "http:///brewbird.io",
    "https:brewbird.io",
    "http://" + "a" * 300 + ".brewbird.io/",
    "https://brewbird.io/" + "%" * 50,
    "https://brewbird.io/?" + "&".join(f"k{i}=v" for i in range(50)),
    "\thttps://brewbird.io/\n",
    "https://brewbird.io/;jsessionid=abc?sid=1&a=2",
    "https://\u2024brewbird.io/",
    "https://brewbird\u3002io/",
    "https://BREWB\u0130RD.io/",
    "https://evil.net/?to=http%3A%2F%2Fbrewbird.io%2F%3Furl%3Dhttp%3A%2F%2Fevil.net",
    "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fbrewbird.io%2F",
    "https://twitter.com/intent/tweet?url=https://brewbird.io/&text=BrewBird",
    "https://www.reddit.com/submit?url=https://brewbird.io/",
    "https://wa.me/?text=BrewBird%20https://brewbird.io/",
]

WORDS = [
    "BrewBird",
    "brewbird",
    "BREWBIRD",
    "Brew Bird",
    "brewbird pie",
    "brewbird.io",
    "BrewBird.io/kettles",
    "www.brewbird.io",
    "hello@brewbird.io",
    "https://brewbird.io/x?y=1",
    "notbrewbird.io",
    "brewbird.io.evil.net",
    "brewbirds",
    "-brewbird-",
    "brew\u00adbird",
    "\u0130stanbul",
    "\u212a",
    "ﬁ",
    "\u00df",
    "Stra\u00dfe",
    "caf\u00e9",
    "\u65e5\u672c\u8a9e",
    "\U0001f426",
    "\u200b",
    "\u00a0",
    "\x00",
    "\x1c",
    "\r\n",
    "\t",
    "&amp;",
    "&nbsp;",
    "&bogus;",
    "&#0;",
    "&#xD800;",
    "&#xDFFF;",
    "&#x110000;",
    "&#99999999999;",
    "<!-- brewbird -->",
    "<![CDATA[brewbird]]>",
    "<",
    ">",
    "</",
    "'",
    '"',
]

TAGS = [
    "a",
    "a",
    "a",
    "div",
    "p",
    "span",
    "script",
    "style",
    "nav",
    "footer",
    "header",
    "aside",
    "main",
    "article",
    "template",
    "svg",
    "li",
    "ul",
    "table",
    "td",
    "form",
    "noscript",
    "button",
    "h2",
    "br",
    "img",
    "area",
    "base",
    "title",
    "section",
    "bl-shadow-root",
    "bl-iframe",
    "textarea",
    "select",
]

STYLES = [
    "display:none",
    "visibility:hidden",
    "visibility:visible",
    "left:-9999px;position:absolute",
    "text-indent:-99999em",
    "opacity:0",
    "font-size:0",
    "color:red",
    "display : NONE !important",
]

BRAND_WORDS = [w for w in WORDS if "brew" in w.lower()]

text_chunk = st.one_of(
    st.sampled_from(BRAND_WORDS).map(lambda w: f" {w} "),
    st.sampled_from(WORDS),
    st.text(st.characters(exclude_categories=("Cs",)), max_size=12),
    st.text(alphabet="abc <>&;#/=\"' BrewBird.io@\n", max_size=15),
)

attr_value = st.one_of(st.sampled_from(EVIL_URLS + STYLES + WORDS), st.text(max_size=20))

attribute = st.one_of(
    st.tuples(st.just("href"), st.one_of(st.sampled_from(EVIL_URLS), st.text(max_size=30))),
    st.tuples(st.just("style"), st.sampled_from(STYLES)),
    st.tuples(st.just("hidden"), st.just("")),
    st.tuples(st.just("aria-hidden"), st.sampled_from(["true", "false"])),
    st.tuples(
        st.just("rel"), st.sampled_from(["nofollow", "ugc sponsored", "NOFOLLOW noopener", "", "author"])
    ),
    st.tuples(
        st.just("class"),
        st.sampled_from(
            [
                "comment",
                "comments-list",
                "nav",
                "sidebar",
                "footer",
                "site-header",
                "bio",
                "x",
                "sharedaddy",
                "footer-social",
            ]
        ),
    ),
    st.tuples(st.just("role"), st.sampled_from(["main", "navigation", "comment", "complementary", "banner"])),
    st.tuples(
        st.just("itemtype"), st.sampled_from(["https://schema.org/Comment", "http://schema.org/Person"])
    ),
    st.tuples(st.just("data-bl-hidden"), st.sampled_from(["0", "1", ""])),
    st.tuples(st.just("alt"), st.sampled_from(WORDS)),
    st.tuples(st.sampled_from(["id", "title", "src", "x\x00y", "on\u00e9"]), attr_value),
)


def _quote(value: str) -> str:
    return value.replace("&", "&amp;").replace("'", "&#39;")


@st.composite
def element(draw, children):
    tag = draw(st.sampled_from(TAGS))
    attrs = draw(st.lists(attribute, max_size=4))
    if tag in ("a", "area", "base") and draw(st.integers(0, 9)) > 0:
        attrs.insert(0, ("href", draw(st.sampled_from(EVIL_URLS))))
    rendered_attrs = "".join(
        f" {name}" if value == "" and name == "hidden" else f" {name}='{_quote(value)}'"
        for name, value in attrs
    )
    inner = "".join(draw(st.lists(children, max_size=4)))
    close = draw(st.sampled_from([f"</{tag}>", f"</{tag}>", f"</{tag}>", "", "</div>", "</html>"]))
    return f"<{tag}{rendered_attrs}>{inner}{close}"


tag_soup = st.recursive(text_chunk, lambda children: element(children), max_leaves=40)


@st.composite
def html_page(draw):
    body = "".join(draw(st.lists(tag_soup, max_size=6)))
    head = draw(
        st.sampled_from(
            [
                "",
                "<!DOCTYPE html><html><head><title>BrewBird</title></head><body>",
                "<html><head><base href='https://brewbird.io/'>"
                "<meta name=robots content=noindex></head><body>",
                "<html><head><link rel=canonical href='https://brewbird.io/x'></head><body>",
                "<?xml version='1.0' encoding='utf-8'?><html xmlns='http://www.w3.org/1999/xhtml'><body>",
                "\ufeff<html><body>",
            ]
        )
    )
    tail = draw(st.sampled_from(["", "</body></html>", "</html><p>after</p>"]))
    return head + body + tail


PAGE_URLS = st.sampled_from(
    [
        "https://forum.example/t/espresso/12",
        "https://blog.example.co.uk/2026/03/post/",
        "https://shop.brewbird.io/review",  # a page of the target itself: no backlinks, no mentions
        "http://127.0.0.1:8080/",
        "https://b\u00fccher.de/x",
        "not a url",
        "",
    ]
)

# --- the properties -----------------------------------------------------------------------------


def check_extraction(html: str, url: str, rendered: bool, matcher: BrandMatcher) -> PageExtraction:
    found = extract_page(PageSnapshot(url, html, rendered=rendered), TARGET, matcher)
    for link in found.backlinks:
        assert TARGET.owns(link.target_url), link
        assert link.link_type in ("text", "image", "redirect")
        assert (link.link_type == "redirect") == (link.wrapper_url is not None)
    for mention in found.mentions:
        assert mention.matched_text, mention
        assert mention.matched_text in found.text, mention
        assert mention.matched_text in mention.snippet, mention
        if mention.linked:
            assert found.backlinks, mention
    editorial = [b for b in found.backlinks if b.position != "share"]
    assert found.unlinked == (bool(found.mentions) and not editorial)
    assert (found.contacts is not None) == found.unlinked
    for link in found.links:
        assert link.url.lower().startswith(("http://", "https://")), link
    positions = {"content", "comment", "nav", "header", "footer", "sidebar", "profile", "share"}
    assert {b.position for b in found.backlinks} <= positions
    assert {m.position for m in found.mentions} <= positions - {"share"}
    return found


@fuzz(500)
@given(html=html_page(), url=PAGE_URLS, rendered=st.booleans(), matcher=st.sampled_from(sorted(MATCHERS)))
@example(
    html="<a href='https://brewbird.io/'>BrewBird</a>",
    url="https://x.example/",
    rendered=False,
    matcher="default",
)
@example(html="<p>\x00BrewBird\x00</p>", url="https://x.example/", rendered=True, matcher="default")
def test_extract_page_on_tag_soup(html: str, url: str, rendered: bool, matcher: str) -> None:
    check_extraction(html, url, rendered, MATCHERS[matcher])


@fuzz(150)
@given(html=html_page(), url=PAGE_URLS, rendered=st.booleans())
@example(
    html="<a href='https://brewbird.io/'><h3>BrewBird</h3><p>Kettles</p></a>",
    url="https://x.example/",
    rendered=False,
)
def test_anchor_text_is_whitespace_collapsed(html: str, url: str, rendered: bool) -> None:
    found = extract_page(PageSnapshot(url, html, rendered=rendered), TARGET, MATCHERS["default"])
    for link in found.backlinks:
        assert link.anchor_text == " ".join(link.anchor_text.split()), link
    for out in found.links:
        assert out.anchor_text == " ".join(out.anchor_text.split()), out


@fuzz(100)
@given(html=html_page(), surrogate=st.integers(0xD800, 0xDFFF), at=st.floats(0, 1))
def test_extract_page_with_lone_surrogates(html: str, surrogate: int, at: float) -> None:
    """A rendered snapshot comes from JavaScript strings, which may hold lone surrogates."""
    i = int(len(html) * at)
    html = html[:i] + chr(surrogate) + "BrewBird " + html[i:]
    check_extraction(html, "https://x.example/", True, MATCHERS["default"])


WRAPPERS_DEEP = ["div", "span", "section", "b", "font", "blockquote", "li", "td"]


@fuzz(15)
@given(
    html=html_page(),
    levels=st.integers(2_000, 6_000),
    wrapper=st.sampled_from(WRAPPERS_DEEP),
    closed=st.booleans(),
)
@example(
    html="<p>We love BrewBird: <a href='https://brewbird.io/'>kettles</a></p>",
    levels=5_000,
    wrapper="div",
    closed=True,
)
def test_deep_nesting_loses_nothing(html: str, levels: int, wrapper: str, closed: bool) -> None:
    """A page wrapped in thousands of levels of markup reads like the page itself: libxml2's
    depth limit (2,048) must not drop what comes below or after it, nor show what it hides."""
    body = html.split("<body>", 1)[-1]
    # an end tag of the wrapper in the body closes one of the wrappers: then the deep page and the
    # shallow one really differ (what the stray tag closes), and there is nothing to compare
    assume(f"</{wrapper}" not in body.lower())
    deep = f"<html><body>{f'<{wrapper}>' * levels}{body}{f'</{wrapper}>' * levels if closed else ''}"
    url = "https://forum.example/t/espresso/12"
    # the same page one level deep, closed the same way (what follows the body, `</` + an end tag,
    # is read alike: a stray "</" before a tag is a bogus comment in both)
    shallow_page = f"<html><body><{wrapper}>{body}{f'</{wrapper}>' if closed else ''}"
    shallow = check_extraction(shallow_page, url, False, MATCHERS["default"])
    nested = check_extraction(deep, url, False, MATCHERS["default"])
    assert sorted(b.target_url for b in nested.backlinks) == sorted(b.target_url for b in shallow.backlinks)
    # the same visible characters in the same order (the levels past 512 are siblings, as in a
    # browser, so where lines break may differ)
    assert "".join(nested.text.split()) == "".join(shallow.text.split())


# --- mutations of the demo web's real pages -------------------------------------------------------

mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(1, 255)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("duplicate"), st.floats(0, 1), st.integers(1, 4000)),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 400)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.sampled_from(range(len(WORDS)))),
)


def mutate(data: bytes, mutations: list[tuple[str, float, int]], insert_at: float) -> bytes:
    buf = bytearray(data)
    for kind, where, amount in mutations:
        if not buf:
            break
        i = min(int(where * len(buf)), len(buf) - 1)
        if kind == "flip":
            buf[i] ^= amount
        elif kind == "truncate":
            del buf[i:]
        elif kind == "duplicate":
            span = bytes(buf[i : i + amount])
            j = min(int(insert_at * len(buf)), len(buf))
            buf[j:j] = span
        elif kind == "delete":
            del buf[i : i + amount]
        elif kind == "insert":
            buf[i:i] = WORDS[amount].encode("utf-8")
    return bytes(buf)


@fuzz(400)
@given(
    page=st.sampled_from(DEMO_PAGES),
    mutations=st.lists(mutation, min_size=1, max_size=8),
    insert_at=st.floats(0, 1),
    encoding=st.sampled_from(["utf-8", "latin-1", "cp1252"]),
    rendered=st.booleans(),
)
def test_extract_page_on_mutated_demo_pages(
    page: Path, mutations: list, insert_at: float, encoding: str, rendered: bool
) -> None:
    data = mutate(page.read_bytes(), mutations, insert_at)
    html = data.decode(encoding, "replace")
    url = "https://" + page.relative_to(ROOT / "demo" / "sites").as_posix().replace("/", ".example/", 1)
    check_extraction(html, url, rendered, MATCHERS["default"])


def test_demo_pages_unmutated() -> None:
    """The same properties on every demo page as it is (and the mutation test's inputs exist)."""
    assert DEMO_PAGES
    for page in DEMO_PAGES:
        for rendered in (False, True):
            check_extraction(page.read_text("utf-8"), "https://demo.example/x", rendered, MATCHERS["default"])


# --- brand matching -----------------------------------------------------------------------------

matcher_options = st.fixed_dictionaries(
    {
        "terms": st.lists(
            st.one_of(
                st.sampled_from(["BrewBird", "Brew Bird", "brew", "İx", "ß"]), st.text(min_size=1, max_size=6)
            ),
            min_size=1,
            max_size=3,
        ),
        "case_sensitive": st.booleans(),
        "exclude": st.lists(st.sampled_from(["brewbird pie", "brew", "BrewBird.io"]), max_size=2),
        "context": st.lists(st.sampled_from(["coffee", "kettle", "ß"]), max_size=2),
    }
)


@fuzz(300)
@given(
    options=matcher_options,
    text=st.one_of(
        st.text(max_size=200),
        st.lists(
            st.one_of(st.sampled_from(WORDS + ["coffee", "kettle"]), st.text(max_size=5)), max_size=30
        ).map(" ".join),
    ),
)
def test_brand_matcher_find(options: dict, text: str) -> None:
    terms = tuple(t for t in options["terms"] if t.strip())
    if not terms:
        return
    matcher = BrandMatcher(
        terms,
        TARGET.domain_terms,
        case_sensitive=options["case_sensitive"],
        exclude=tuple(options["exclude"]),
        context=tuple(options["context"]),
    )
    matches = matcher.find(text)
    last_end = -1
    for match in matches:
        assert text[match.start : match.end] == match.matched_text
        assert match.start >= last_end, "matches overlap or are out of order"
        assert match.form in ("name", "domain", "email", "url")
        last_end = match.end


# --- target parsing -----------------------------------------------------------------------------

target_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(EVIL_URLS + WORDS),
    st.builds(
        lambda a, b: a + b,
        st.sampled_from(["", "http://", "https://", "ftp://", "//", "www."]),
        st.text(alphabet="abcxyz.-:/@[]%\u00fc\u0130\u3002\x00 0123456789", max_size=30),
    ),
)


@fuzz(400)
@given(value=st.one_of(st.none(), target_text), brand=st.one_of(st.none(), st.text(max_size=20)))
def test_target_parse_raises_only_target_error(value: str | None, brand: str | None) -> None:
    try:
        target = Target.parse(value, brand)
    except TargetError:
        return
    assert target.host and target.host.isascii() and target.host == target.host.lower()
    assert target.brand_terms
    assert target.owns(f"https://{target.host}/")
    target.display_host  # noqa: B018 - must not raise


# --- URLs ---------------------------------------------------------------------------------------

url_part = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=15)
http_url = st.one_of(
    st.sampled_from([u for u in EVIL_URLS if u.strip().lower().startswith(("http://", "https://"))]),
    st.builds(
        lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
        st.sampled_from(["http", "https", "HTTP", "hTtPs"]),
        st.one_of(
            st.sampled_from(
                [
                    "brewbird.io",
                    "WWW.BrewBird.IO",
                    "b\u00fccher.de",
                    "127.0.0.1",
                    "[::1]",
                    "x",
                    "a.b.c.d.e",
                    "xn--bcher-kva.de",
                    "user:pw@host.example",
                ]
            ),
            st.text(alphabet="abcXYZ019.-_\u00fc\u0130", min_size=1, max_size=12),
        ),
        st.sampled_from(["", ":80", ":443", ":8080", ":0", ":"]),
        st.one_of(
            st.just(""),
            url_part.map(lambda s: "/" + s),
            st.sampled_from(["/a/../b", "/%7Euser", "/%7euser/", "/a b", "/;jsessionid=1/x", "/%2F"]),
        ),
        st.one_of(
            st.just(""),
            url_part.map(lambda s: "?" + s),
            st.sampled_from(
                [
                    "?utm_source=x&b=2&a=1",
                    "?a=%20+b",
                    "?a=1&a=2",
                    "?=x",
                    "?a",
                    "?a=%zz",
                    "?q=%2B",
                    "?x=%25",
                    "?a=b=c",
                    "?sid=1",
                    "?%E9=1",
                    "?a=\u00e9",
                ]
            ),
        ),
        st.one_of(st.just(""), url_part.map(lambda s: "#" + s)),
    ),
)


@fuzz(500)
@given(text=st.one_of(st.text(max_size=60), http_url))
def test_url_functions_never_raise(text: str) -> None:
    canonical_url(text)
    url_key(text)
    destination = unwrap_redirect(text)
    if destination is not None:
        assert destination.lower().startswith(("http://", "https://"))


@fuzz(500)
@given(url=http_url)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert url_key(once) == url_key(url)


@fuzz(300)
@given(url=http_url)
@example(url="HTTP://brewbird.io")
def test_target_owns_agrees_with_canonical_url(url: str) -> None:
    assert TARGET.owns(canonical_url(url)) == TARGET.owns(url)


WRAPPERS = [
    "https://evil.net/out?url={}",
    "https://www.google.com/url?q={}",
    "https://l.facebook.com/l.php?u={}",
    "https://href.li/?{}",
]


@fuzz(100)
@given(
    wrapper=st.sampled_from(WRAPPERS),
    scheme=st.sampled_from(["http", "https"]).flatmap(
        lambda s: st.lists(st.booleans(), min_size=len(s), max_size=len(s)).map(
            lambda upper: "".join(c.upper() if u else c for c, u in zip(s, upper, strict=True))
        )
    ),
    encode=st.booleans(),
)
@example(wrapper="https://evil.net/out?url={}", scheme="HTTPS", encode=False)
def test_wrapped_link_to_target_is_a_backlink(wrapper: str, scheme: str, encode: bool) -> None:
    from urllib.parse import quote

    destination = f"{scheme}://brewbird.io/kettles"
    href = wrapper.format(quote(destination, safe="") if encode else destination)
    html = f"<p>We love BrewBird: <a href='{href}'>kettles</a></p>"
    found = check_extraction(html, "https://forum.example/t/1", False, MATCHERS["default"])
    assert [b.link_type for b in found.backlinks] == ["redirect"], href
    assert not found.unlinked
