"""Prospects (pages that invite a link): the classifier on realistic pages in several languages,
pages it must leave alone, niche relevance against the target's pages, and the exact `prospect`
records of a real crawl of the demo web."""

from __future__ import annotations

import pytest

from backlink_spider import settings as defaults
from backlink_spider.arguments import CrawlArguments
from backlink_spider.extract.dom import parse_html
from backlink_spider.extract.page import PageSnapshot, extract_page
from backlink_spider.extract.prospects import ProspectFinder, niche_relevance, niche_terms, prospect_queries
from backlink_spider.linkcheck import TargetIndex
from backlink_spider.sources.keyed import BraveSource, MarginaliaSource, MojeekSource
from tests.conftest import demo_settings, run_crawl
from tests.fake_searxng import FakeSearxng

CONFIG = CrawlArguments.parse({"target": "brewbird.io", "competitors": "kettlecraft.com"})


def classify(html, url="https://blog.example/page/"):
    tree = parse_html(html)
    found = extract_page(
        PageSnapshot(url=url, html=html, tree=tree), CONFIG.target, CONFIG.matcher(), CONFIG.competitors
    )
    finder = ProspectFinder(CONFIG.target, CONFIG.competitors, min_links=5, min_sites=3)
    match = finder.classify(tree, url, found)
    return None if match is None else (match.kind, match.evidence, match.competitors, match.links_to_target)


def page(title, body, lang="en", aside=""):
    return f"""<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav><a href="/">Home</a> <a href="/write-for-us/">Write for us</a>
<a href="/contact/">Contact</a></nav></header>
<main><article>{body}</article></main><aside>{aside}</aside>
<footer><a href="mailto:hello@blog.example">hello@blog.example</a> <a href="https://twitter.com/blogexample">Twitter</a></footer>
</body></html>"""


PITCH_FORM = """<form action="/pitch" method="post"><input name="email" type="email">
<textarea name="pitch"></textarea><button>Send</button></form>"""


def links(*hosts):
    return "<ul>" + "".join(f'<li><a href="https://{h}/">{h}</a></li>' for h in hosts) + "</ul>"


# --- write for us, in four languages ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "title", "body", "url", "evidence"),
    [
        (
            "en",
            "Write for us – Brew Notes",
            "<h1>Write for us</h1><p>We accept guest posts about home coffee. Read the guidelines, "
            "then pitch us.</p>" + PITCH_FORM,
            "https://brewnotes.example/write-for-us/",
            [
                "title: Write for us – Brew Notes",
                "url: write-for-us",
                "text: guest posts, guidelines, pitch",
                "form: submission",
            ],
        ),
        (
            "de",
            "Gastbeiträge – Kaffeeblog",
            "<h1>Gastautor werden</h1><p>Du möchtest einen Gastbeitrag schreiben? "
            "Hier sind unsere Richtlinien.</p>",
            "https://kaffeeblog.example/gastbeitrag/",
            [
                "title: Gastbeiträge – Kaffeeblog",
                "heading: Gastautor werden",
                "url: gastbeitrag",
                "text: gastautor, gastbeitrag, richtlinien",
            ],
        ),
        (
            "fr",
            "Écrire pour nous | Café Maison",
            "<h1>Écrire pour nous</h1><p>Proposez un article invité : voici nos consignes.</p>" + PITCH_FORM,
            "https://cafemaison.example/contact-redaction/",
            ["title: Écrire pour nous | Café Maison", "text: article invite, consignes", "form: submission"],
        ),
        (
            "es",
            "Colabora con nosotros",
            "<h1>Escribe para nosotros</h1><p>Aceptamos artículos invitados. "
            "Lee las pautas antes de enviar.</p>",
            "https://cafeencasa.example/colabora/",
            [
                "title: Colabora con nosotros",
                "heading: Escribe para nosotros",
                "url: colabora",
                "text: articulos invitados, pautas",
            ],
        ),
    ],
)
def test_write_for_us_pages_in_four_languages(lang, title, body, url, evidence):
    assert classify(page(title, body, lang), url) == ("write_for_us", evidence, [], False)


def test_pages_that_only_mention_guests_are_not_prospects():
    # a post that says "guest post" in passing, with the site's "Write for us" in its navigation
    post = page(
        "How I wrote my first guest post",
        "<h1>How I wrote my first guest post</h1>"
        "<p>Last year a guest post of mine ran on a big coffee site.</p>",
    )
    assert classify(post, "https://blog.example/2026/05/first-guest-post/") is None
    # a shop's checkout: "guest" everywhere, a form with a text area
    checkout = page(
        "Checkout – Bean Shop",
        "<h1>Checkout as a guest</h1><p>Guest checkout: no account needed.</p>"
        '<form id="checkout" action="/checkout"><input name="card-number"><textarea name="delivery-notes">'
        "</textarea></form>",
    )
    assert classify(checkout, "https://shop.example/checkout/guest") is None
    # a hotel's "guest rooms" and a contact page with a message form
    assert classify(page("Guest rooms", "<h1>Our guest rooms</h1><p>Book a guest room.</p>")) is None
    contact = page("Contact us", "<h1>Contact us</h1><p>Questions? Write to us.</p>" + PITCH_FORM)
    assert classify(contact, "https://blog.example/contact/") is None


# --- resource pages, roundups, link farms -----------------------------------------------------------


def test_a_resource_page_in_the_niche():
    html = page(
        "Useful coffee links",
        "<h1>Useful coffee links</h1>"
        + links("sca.coffee", "www.home-barista.com", "sprudge.com", "kettlecraft.com", "baristahustle.com"),
    )
    assert classify(html) == (
        "resource_page",
        ["title: Useful coffee links", "links: 5 sites in content"],
        ["kettlecraft.com"],
        False,
    )
    # in French, by its heading; too few sites is no resource page
    french = page(
        "Café Maison",
        "<h2>Liens utiles</h2>" + links("a.example", "b.example", "c.example", "d.example", "e.example"),
        "fr",
    )
    assert classify(french)[:2] == ("resource_page", ["heading: Liens utiles", "links: 5 sites in content"])
    assert classify(page("Useful links", "<h1>Useful links</h1>" + links("a.example", "b.example"))) is None
    # a "Blogroll" widget in the sidebar does not make every page a resource page
    sidebar = page(
        "Cold brew at home",
        "<h1>Cold brew at home</h1><p>Steep overnight.</p>",
        aside="<h2>Blogroll</h2>" + links(*(f"s{i}.example" for i in range(8))),
    )
    assert classify(sidebar) is None


def test_a_roundup_naming_the_target_and_a_competitor():
    html = page(
        "The 5 best burr grinders of 2026",
        "<h1>The 5 best burr grinders of 2026</h1><ol><li>BrewBird Burr Grinder Pro</li>"
        '<li><a href="https://www.kettlecraft.com/grinders/k-mill">KettleCraft K-Mill</a></li></ol>',
    )
    assert classify(html) == (
        "roundup",
        ["title: The 5 best burr grinders of 2026", "names: brewbird.io, kettlecraft.com"],
        ["kettlecraft.com"],
        False,
    )
    # in Spanish, by the sites it links; a "best" title naming one brand and linking nothing is not one
    spanish = page(
        "Las mejores cafeteras",
        "<h1>Las mejores cafeteras</h1>" + links("a.example", "b.example", "c.example"),
        "es",
    )
    assert classify(spanish)[:2] == ("roundup", ["title: Las mejores cafeteras", "links: 3 sites in content"])
    assert (
        classify(page("Best cold brew ratio", "<h1>Best cold brew ratio</h1><p>BrewBird says 1:8.</p>"))
        is None
    )


def test_a_link_farm_is_never_a_prospect():
    hosts = [f"site{i}.example" for i in range(320)]
    html = page("Useful links", "<h1>Useful links</h1>" + links(*hosts, "brewbird.io"))
    assert classify(html) is None


def test_the_targets_and_competitors_own_pages_are_not_prospects():
    html = page("Write for us", "<h1>Write for us</h1><p>Guest post guidelines.</p>" + PITCH_FORM)
    assert classify(html, "https://blog.example/write-for-us/")[0] == "write_for_us"
    assert classify(html, "https://brewbird.io/write-for-us/") is None
    assert classify(html, "https://www.kettlecraft.com/write-for-us/") is None


def test_a_page_linking_the_target_says_so():
    html = page(
        "Coffee resources",
        "<h1>Coffee resources</h1>"
        + links("a.example", "b.example", "c.example", "d.example", "brewbird.io"),
    )
    assert classify(html)[3] is True


# --- niche relevance ---------------------------------------------------------------------------------


def target_index():
    index = TargetIndex()
    index.add(
        "https://brewbird.io/kettles/smart-kettle",
        "BrewBird Smart Kettle",
        "A gooseneck kettle with temperature hold for pour-over coffee.",
    )
    index.add(
        "https://brewbird.io/grinders/burr-grinder-pro",
        "BrewBird Burr Grinder Pro",
        "A burr grinder for pour-over and espresso coffee, low retention.",
    )
    index.add("https://brewbird.io/contact", "Contact us", "Write to hello@brewbird.io.")
    return index


def test_niche_terms_and_relevance():
    index = target_index()
    terms = niche_terms(index, CONFIG.target.brand_terms, limit=4)
    assert list(terms) == ["coffee", "pour", "grinder", "kettle"]  # (in most pages, then most used)
    coffee = niche_relevance(
        index,
        "Four gooseneck kettles",
        "A gooseneck kettle for pour-over coffee with temperature hold.",
        CONFIG.target.brand_terms,
    )
    legal = niche_relevance(
        index, "Privacy policy", "We store your e-mail address and never sell it.", CONFIG.target.brand_terms
    )
    assert coffee > 0.5 and legal == 0.0
    # with no page of the target indexed, relevance is unknown
    assert niche_relevance(TargetIndex(), "Four gooseneck kettles", "coffee", ()) is None


# --- the demo web, crawled ------------------------------------------------------------------------------


def site_path(web, url):
    for site, base in web.urls.items():
        if url.startswith(base):
            return site, url[len(base) :] or "/"
    return None, url


@pytest.fixture(scope="module")
def prospect_crawl(demo_web, tmp_path_factory):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "competitors": "kettlecraft.com",
            "seeds": ",".join(demo_web.seeds),
            "depth": "2",
            "render": "never",
        },
        tmp_path_factory.mktemp("prospects"),
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_demo_crawl_prospects_exact(demo_web, prospect_crawl):
    rows = {
        site_path(demo_web, p["source_url"]): (
            p["kind"],
            p["evidence"],
            p["links_to_target"],
            p["competitors"],
            p["emails"],
            p["contact_url"] and site_path(demo_web, p["contact_url"]),
            p["source_type"],
        )
        for p in prospect_crawl.records("prospect")
    }
    assert rows == {
        ("blog", "/write-for-us/"): (
            "write_for_us",
            [
                "title: Write for us – The Bean Blog",
                "url: write-for-us",
                "text: guest posts, guidelines, pitch",
                "form: submission",
            ],
            False,
            [],
            ["editors@beanblog.example", "hello@beanblog.example"],
            ("blog", "/write-for-us/#content"),  # (the page itself: a write-for-us page is a contact page)
            "blog_post",
        ),
        ("news", "/resources/"): (
            "resource_page",
            ["title: Coffee resources for home brewers | The Daily Grind", "links: 6 sites in content"],
            False,
            ["kettlecraft.com"],
            ["links@dailygrind.example", "tips@dailygrind.example"],
            None,
            "other",
        ),
        ("news", "/2026/06/best-coffee-grinders/"): (
            "roundup",
            [
                "title: The 6 best coffee grinders of 2026 | The Daily Grind",
                "names: brewbird.io, kettlecraft.com",
                "links: 5 sites in content",
            ],
            False,
            ["kettlecraft.com"],
            ["tips@dailygrind.example", "luis.ortega@dailygrind.example"],
            None,
            "news_article",
        ),
        ("resources", "/"): (
            "resource_page",
            ["title: Coffee Resources - the best coffee links on the web", "links: 7 sites in content"],
            True,
            [],
            ["links@riversidecoffee.example"],
            None,
            "other",
        ),
        ("directory", "/best-coffee-tools/"): (
            "roundup",
            ["title: The 11 best coffee tools of 2026 - ToolShelf", "links: 12 sites in content"],
            True,
            [],
            [],
            None,
            "directory",
        ),
    }
    # the link farm (/partners/, 320 links to other sites) is none; every one is in the niche
    for record in prospect_crawl.records("prospect"):
        assert 0.1 <= record["niche_relevance"] <= 1, record["source_url"]
        assert record["source_domain"] == record["source_url"].split("/")[2].split(":")[0]


def test_prospect_queries_from_the_targets_niche_terms(demo_web, tmp_path):
    """With PROSPECT_QUERIES the search source is also asked for prospect pages, with queries from
    the niche terms of the target's own pages (indexed before the seeds); a result page that
    invites a link is a prospect, and says which query found it."""
    blog = demo_web.urls["blog"]
    with FakeSearxng({'"kettle" "write for us"': [f"{blog}/write-for-us/"]}) as searx:
        settings = {
            **demo_settings(demo_web),
            "ALLOWED_HOSTS": "127.*",  # (the fake search engine too)
            "SEARCH_URL": searx.base_url,
            "PROSPECT_QUERIES": "True",
            "PROSPECT_QUERIES_MAX": "5",
        }
        result = run_crawl(
            {"target": "brewbird.io", "sources": "searxng", "depth": "0", "render": "never"},
            tmp_path,
            settings,
        )
        queries = set(searx.queries)
    assert result.returncode == 0, result.stderr[-2000:]
    assert {q for q in queries if "-site:" not in q} == {
        '"kettle" "write for us"',
        '"kettle" "guest post"',
        '"kettle" "useful links"',
        "best kettle",
        '"burr" "write for us"',
    }
    [prospect] = result.records("prospect")
    assert (prospect["source_url"], prospect["kind"], prospect["discovered_by"]) == (
        f"{blog}/write-for-us/",
        "write_for_us",
        "searxng",
    )
    [page] = [p for p in result.records("page") if p["url"] == f"{blog}/write-for-us/"]
    assert page["discovered_via"] == '"kettle" "write for us"'


def test_warehouse_prospects_latest(prospect_crawl, warehouse, demo_web):
    """The crawl's prospects in the warehouse view, the same on DuckDB and PostgreSQL: the latest
    crawl's, those not linking to the target yet and most relevant first."""
    assert warehouse.load(prospect_crawl.output_dir) == 0
    rows = warehouse.query(
        "SELECT source_url, kind, links_to_target, rank_in_target FROM prospects_latest "
        "ORDER BY rank_in_target"
    )
    assert [(site_path(demo_web, url), kind, linked, rank) for url, kind, linked, rank in rows] == [
        (("news", "/2026/06/best-coffee-grinders/"), "roundup", False, 1),
        (("blog", "/write-for-us/"), "write_for_us", False, 2),
        (("news", "/resources/"), "resource_page", False, 3),
        (("resources", "/"), "resource_page", True, 4),
        (("directory", "/best-coffee-tools/"), "roundup", True, 5),
    ]


def test_the_report_lists_the_best_prospects_first(prospect_crawl, demo_web):
    report = (prospect_crawl.output_dir / "reports" / "test.html").read_text(encoding="utf-8")
    section = report.split('id="prospects-h">Prospects</h2>', 1)[1].split("</section>", 1)[0]
    order = [
        section.index(f'href="{demo_web.url(*page)}"')
        for page in (
            ("news", "/2026/06/best-coffee-grinders/"),
            ("blog", "/write-for-us/"),
            ("news", "/resources/"),
            ("resources", "/"),
            ("directory", "/best-coffee-tools/"),
        )
    ]
    assert order == sorted(order)  # not linking yet, most relevant first
    assert "Write for us" in section and "form: submission" in section and "links to you already" in section
    assert "29%" in section  # the roundup's niche relevance (0.286)
    assert "/partners/" not in section  # the link farm


@pytest.mark.parametrize("cls", [BraveSource, MarginaliaSource, MojeekSource])
def test_keyed_search_sources_take_prospect_queries(cls):
    """The keyed engines ask the prospect queries like their own (first page, `since` not applied),
    and their next pages stay prospect requests."""
    settings = {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()}
    source = cls.from_settings(
        {**settings, f"{cls.prefix}_API_KEY": "k", f"{cls.prefix}_API_URL": "http://x/"}
    )
    queries = prospect_queries(["kettle"], 2)
    assert queries == ['"kettle" "write for us"', '"kettle" "guest post"']
    requests = source.prospect_requests(CONFIG.target, queries)
    assert [(r.query, r.kind, r.state["since"]) for r in requests] == [(q, "prospect", None) for q in queries]
    assert source.page_request(requests[0].state, 2).kind == "prospect"


def test_without_the_targets_pages_relevance_is_unknown(demo_web, tmp_path):
    """`-a check_links=false` fetches no page of the target: relevance is null, nothing is dropped."""
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": demo_web.url("blog", "/"),
            "depth": "1",
            "render": "never",
            "check_links": "false",
        },
        tmp_path,
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert [(p["source_url"], p["kind"], p["niche_relevance"]) for p in result.records("prospect")] == [
        (demo_web.url("blog", "/write-for-us/"), "write_for_us", None)
    ]
