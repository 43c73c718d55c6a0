"""End to end: the real `scrapy crawl mentions` against the demo web (see demo/README.md for what
each page plants), static and rendered, with the exact records expected."""

from __future__ import annotations

import pytest

from tests.conftest import demo_settings, run_crawl

BLOG_POST = ("blog", "/2026/03/cold-brew-at-home/")
GOOGLE_PRICING = "https://www.google.com/url?q=https%3A%2F%2Fbrewbird.io%2Fpricing&sa=D"

# (site, path, target_url, anchor_text, rel, position, hidden, link_type, image_alt, wrapper_url)
STATIC_BACKLINKS = {
    (
        *BLOG_POST,
        "https://blog.brewbird.io/guides/cold-brew",
        "the BrewBird cold brew guide",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (*BLOG_POST, "https://brewbird.io/", "", (), "content", False, "image", "BrewBird logo", None),
    (
        *BLOG_POST,
        "https://brewbird.io/pricing",
        "their pricing page",
        (),
        "content",
        False,
        "redirect",
        None,
        GOOGLE_PRICING,
    ),
    (
        *BLOG_POST,
        "https://brewbird.io/grinders/burr-grinder-pro",
        "BrewBird Burr Grinder Pro",
        ("external", "nofollow", "ugc"),
        "comment",
        False,
        "text",
        None,
        None,
    ),
    *{
        ("directory", path, "https://www.brewbird.io/", "BrewBird", (), "footer", False, "text", None, None)
        for path in ("/", "/best-coffee-tools/", "/submit/", "/legal/", "/partners/")
    },
    # the link farm: one BrewBird link among 320 links to other sites
    (
        "directory",
        "/partners/",
        "https://brewbird.io/kettles/smart-kettle",
        "BrewBird smart kettle",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (
        "directory",
        "/best-coffee-tools/",
        "https://brewbird.io/?utm_source=directory&utm_medium=listing",
        "BrewBird",
        ("sponsored",),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (
        "directory",
        "/best-coffee-tools/",
        "https://brewbird.io/kettles/smart-kettle",
        "BrewBird Smart Kettle",
        (),
        "content",
        True,
        "text",
        None,
        None,
    ),
    (
        "news",
        "/archive/2019/11/smart-kettle-startup-launches/",
        "https://brewbird.io/",
        "brewbird.io",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (
        "resources",
        "/",
        "https://brewbird.io/old-kettle-guide",
        "Kettle care and descaling guide",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (
        "resources",
        "/",
        "https://brewbird.io/guides/cold-brew",
        "BrewBird cold brew guide",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
    (
        "resources",
        "/",
        "https://www.brewbird.io/kettles/smart-kettle",
        "Smart Kettle product page",
        (),
        "content",
        False,
        "text",
        None,
        None,
    ),
}
# Only after JavaScript: the forum reply loaded by fetch(), the profile bio, the badge's shadow root.
RENDERED_ONLY_BACKLINKS = {
    (
        "forum",
        "/t/best-gooseneck-kettle/42",
        "https://brewbird.io/kettles/smart-kettle",
        "BrewBird Smart Kettle",
        ("ugc", "nofollow"),
        "comment",
        False,
        "text",
        None,
        None,
    ),
    (
        "social",
        "/@janedoe",
        "https://www.brewbird.io/?ref=janedoe",
        "brewbird.io",
        ("nofollow", "noopener", "noreferrer"),
        "profile",
        False,
        "text",
        None,
        None,
    ),
    (
        "social",
        "/@janedoe",
        "https://shop.brewbird.io/gift-cards",
        "Gift cards",
        (),
        "profile",
        False,
        "text",
        None,
        None,
    ),
}

# (site, path) -> [(matched_text, form, linked)] in page order; `unlinked` pages marked below.
STATIC_MENTIONS = {
    ("forum", "/t/grinder-retention-tips/57"): [("brewbird", "name", False)],
    BLOG_POST: [("BrewBird", "name", True), ("BrewBird", "name", True)],
    ("blog", "/2026/04/espresso-grinders-compared/"): [("BrewBird", "name", False)] * 4,
    ("directory", "/"): [("BrewBird", "name", True)],
    ("directory", "/best-coffee-tools/"): [("BrewBird", "name", True), ("BrewBird", "name", True)],
    ("directory", "/submit/"): [("BrewBird", "name", True)],
    ("directory", "/legal/"): [("BrewBird", "name", True)],
    ("directory", "/partners/"): [("BrewBird", "name", True), ("BrewBird", "name", True)],
    ("news", "/2026/05/coffee-startups-raise/"): [
        ("BrewBird", "name", False),
        ("brewbird.io", "domain", False),
        ("BrewBird", "name", False),
        ("brewbird.io", "email", False),
    ],
    ("news", "/archive/2019/11/smart-kettle-startup-launches/"): [
        ("BrewBird", "name", False),
        ("brewbird.io", "domain", True),
    ],
    ("resources", "/"): [("BrewBird", "name", True)],
    # the roundup names BrewBird without linking it (it links KettleCraft)
    ("news", "/2026/06/best-coffee-grinders/"): [("BrewBird", "name", False)],
}
RENDERED_ONLY_MENTIONS = {
    ("forum", "/t/best-gooseneck-kettle/42"): [("BrewBird", "name", True), ("BrewBird", "name", False)],
    ("social", "/@janedoe"): [
        ("BrewBird", "name", False),
        ("brewbird.io", "domain", True),
        ("BrewBird", "name", False),
    ],
    ("social", "/@marco"): [("BrewBird", "name", False), ("BrewBird", "name", False)],
}
STATIC_UNLINKED = {
    ("forum", "/t/grinder-retention-tips/57"),
    ("blog", "/2026/04/espresso-grinders-compared/"),
    ("news", "/2026/05/coffee-startups-raise/"),
    ("news", "/2026/06/best-coffee-grinders/"),
}
RENDERED_UNLINKED = STATIC_UNLINKED | {("social", "/@marco")}

# Every page the crawl reaches with depth=2 from the six home pages (seeds: not brewbird or rival).
PAGES = {
    ("forum", "/"): 200,
    ("forum", "/about"): 200,
    ("forum", "/faq"): 200,
    ("forum", "/tos"): 200,
    ("forum", "/privacy"): 200,
    ("forum", "/t/best-gooseneck-kettle/42"): 200,
    ("forum", "/t/grinder-retention-tips/57"): 200,
    ("forum", "/t/first-grinder-advice/63"): 200,  # a gap page: a reply links KettleCraft
    ("social", "/"): 200,
    ("social", "/about"): 200,
    ("social", "/terms"): 200,
    ("social", "/privacy-policy"): 200,
    ("social", "/@janedoe"): 200,
    ("social", "/@marco"): 200,
    ("blog", "/"): 200,
    BLOG_POST: 200,
    ("blog", "/2026/04/espresso-grinders-compared/"): 200,
    ("blog", "/2026/05/gooseneck-kettles-tested/"): 200,  # a gap page: links KettleCraft
    ("blog", "/write-for-us/"): 200,  # a prospect
    ("blog", "/author/sam-rivera/"): 200,
    ("blog", "/contact/"): 200,
    ("blog", "/privacy-policy/"): 200,
    ("directory", "/"): 200,
    ("directory", "/best-coffee-tools/"): 200,
    ("directory", "/submit/"): 200,
    ("directory", "/legal/"): 200,
    ("directory", "/partners/"): 200,  # the link farm
    ("news", "/"): 200,
    ("news", "/2026/05/coffee-startups-raise/"): 200,
    ("news", "/2026/05/tariffs/"): 200,
    ("news", "/2026/06/best-coffee-grinders/"): 200,  # a roundup naming BrewBird and KettleCraft
    ("news", "/resources/"): 200,  # a resource page linking KettleCraft
    ("news", "/archive/"): 200,
    ("news", "/archive/2019/11/smart-kettle-startup-launches/"): 200,
    ("news", "/legal/"): 200,
    ("resources", "/"): 200,
    ("resources", "/guides/gooseneck-kettles"): 404,
    ("resources", "/gone"): 410,
    ("resources", "/broken-server"): 500,
    ("resources", "/espresso-links"): 200,
    ("resources", "/legal/"): 200,
    # linked, but disallowed by robots.txt: recorded, never fetched
    ("resources", "/private/"): None,
}


def site_path(web, url):
    for site, base in web.urls.items():
        if url.startswith(base):
            return site, url[len(base) :] or "/"
    return None, url


def backlink_rows(web, records):
    return [
        (
            *site_path(web, b["source_url"]),
            b["target_url"],
            b["anchor_text"],
            tuple(b["rel"]),
            b["position"],
            b["hidden"],
            b["link_type"],
            b["image_alt"],
            b["wrapper_url"],
        )
        for b in records
    ]


def mention_rows(web, records):
    pages: dict = {}
    for m in sorted(records, key=lambda m: (m["source_url"], m["term"].lower(), m["occurrence"])):
        pages.setdefault(site_path(web, m["source_url"]), []).append(m)
    return pages


def crawl(demo_web, tmp_path_factory, render, **settings):
    out = tmp_path_factory.mktemp(f"crawl-{render}")
    result = run_crawl(
        {"target": "brewbird.io", "seeds": ",".join(demo_web.seeds), "depth": "2", "render": render},
        out,
        {**demo_settings(demo_web), **settings},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def static_crawl(demo_web, tmp_path_factory):
    return crawl(demo_web, tmp_path_factory, "never")


@pytest.fixture(scope="module")
def rendered_crawl(demo_web, tmp_path_factory):
    return crawl(demo_web, tmp_path_factory, "always")


@pytest.fixture(scope="module")
def auto_crawl(demo_web, tmp_path_factory):
    return crawl(demo_web, tmp_path_factory, "auto")


def test_static_crawl_backlinks(demo_web, static_crawl):
    rows = backlink_rows(demo_web, static_crawl.records("backlink"))
    assert len(rows) == len(set(rows)), "a backlink was written twice"
    assert set(rows) == STATIC_BACKLINKS


@pytest.mark.parametrize("crawl_name", ["rendered_crawl", "auto_crawl"])
def test_rendered_crawl_finds_js_links_exactly_once(demo_web, crawl_name, request):
    result = request.getfixturevalue(crawl_name)
    rows = backlink_rows(demo_web, result.records("backlink"))
    assert len(rows) == len(set(rows)), "a backlink was written twice"
    assert set(rows) == STATIC_BACKLINKS | RENDERED_ONLY_BACKLINKS


def check_mentions(web, result, expected, unlinked):
    pages = mention_rows(web, result.records("mention"))
    by_order = {
        page: [(m["matched_text"], m["form"], m["linked"]) for m in sorted(ms, key=lambda m: m["snippet"])]
        for page, ms in pages.items()
    }
    want = {page: sorted(rows, key=lambda r: r) for page, rows in expected.items()}
    assert {p: sorted(r) for p, r in by_order.items()} == {p: sorted(r) for p, r in want.items()}
    assert {page for page, ms in pages.items() if all(m["unlinked"] for m in ms)} == unlinked
    assert {page for page, ms in pages.items() if any(m["unlinked"] for m in ms)} == unlinked


def test_static_crawl_mentions(demo_web, static_crawl):
    check_mentions(demo_web, static_crawl, STATIC_MENTIONS, STATIC_UNLINKED)


@pytest.mark.parametrize("crawl_name", ["rendered_crawl", "auto_crawl"])
def test_rendered_crawl_mentions(demo_web, crawl_name, request):
    check_mentions(
        demo_web,
        request.getfixturevalue(crawl_name),
        STATIC_MENTIONS | RENDERED_ONLY_MENTIONS,
        RENDERED_UNLINKED,
    )


def test_pages_once_each_with_status(demo_web, static_crawl, rendered_crawl):
    for result, rendered in ((static_crawl, False), (rendered_crawl, True)):
        pages = result.records("page")
        keys = [site_path(demo_web, p["url"]) for p in pages]
        assert len(keys) == len(set(keys)), "a page was written twice"
        assert {k: p["status"] for k, p in zip(keys, pages, strict=True)} == PAGES
        assert {p["rendered"] for p in pages if p["status"] == 200} == {rendered}
        assert all(p["crawl_id"] == "test" and p["target"] == "brewbird.io" for p in pages)
        errors = {k: p["error"] for k, p in zip(keys, pages, strict=True) if p["error"]}
        assert errors == {
            ("resources", "/guides/gooseneck-kettles"): "HTTP 404",
            ("resources", "/gone"): "HTTP 410",
            ("resources", "/broken-server"): "HTTP 500",
            ("resources", "/private/"): "Forbidden by robots.txt",
        }


def test_auto_renders_only_the_pages_that_need_it(demo_web, auto_crawl):
    pages = auto_crawl.records("page")
    rendered = {site_path(demo_web, p["url"]): p["render_reason"] for p in pages if p["rendered"]}
    shells = {k: v for k, v in rendered.items() if v != "sample"}
    assert shells == {
        ("forum", "/t/best-gooseneck-kettle/42"): "loading-placeholder",
        ("social", "/@janedoe"): "empty-app-root",
        ("social", "/@marco"): "empty-app-root",
    }
    # and no samples: the demo's other pages run no script, so their static HTML is the page
    assert rendered.keys() == shells.keys()
    static = [p for p in pages if p["status"] == 200 and not p["rendered"]]
    assert auto_crawl.stat("render/auto/static/no-scripts") == len(static)


def test_records_have_the_common_fields(static_crawl):
    for record_type in ("page", "backlink", "mention", "lead"):
        records = static_crawl.records(record_type)
        assert records, record_type
        for record in records:
            assert list(record)[:6] == [
                "type",
                "schema_version",
                "record_id",
                "crawl_id",
                "target",
                "crawled_at",
            ]
            assert record["type"] == record_type
            assert record["crawled_at"].endswith("Z") and record["crawled_at"][10] == "T"


def test_broken_links_with_status_error_and_replacement(demo_web, static_crawl):
    rows = {
        (
            *site_path(demo_web, b["source_url"]),
            b["broken_url"].replace(demo_web.urls["resources"], ""),
            b["anchor_text"],
            b["status"],
            b["error"],
            b["to_target"],
            b["suggested_replacement"],
        )
        for b in static_crawl.records("broken_link")
    }
    assert rows == {
        (
            "resources",
            "/",
            "/guides/gooseneck-kettles",
            "Guide to gooseneck kettles",
            404,
            None,
            False,
            "https://brewbird.io/guides/gooseneck-kettles",
        ),
        (
            "resources",
            "/",
            "/gone",
            "Cold brew ratios",
            410,
            None,
            False,
            "https://brewbird.io/guides/cold-brew",
        ),
        (
            "resources",
            "/",
            "/broken-server",
            "Burr grinder buying guide",
            500,
            None,
            False,
            "https://brewbird.io/grinders/burr-grinder-pro",
        ),
        (
            "resources",
            "/",
            "http://127.0.10.250:9/",
            "Smart kettle temperature chart",
            None,
            "connection refused",
            False,
            "https://brewbird.io/kettles/smart-kettle",
        ),
        (
            "resources",
            "/",
            "https://brewbird.io/old-kettle-guide",
            "Kettle care and descaling guide",
            404,
            None,
            True,
            "https://brewbird.io/guides/gooseneck-kettles",
        ),
    }
    for record in static_crawl.records("broken_link"):
        assert 0 < record["suggestion_score"] <= 1
        assert record["checked_at"].endswith("Z")


def test_backlinks_to_dead_target_pages_are_flagged_reclaim(demo_web, static_crawl, rendered_crawl):
    for result in (static_crawl, rendered_crawl):
        statuses = {(b["target_url"], b["target_status"], b["reclaim"]) for b in result.records("backlink")}
        assert ("https://brewbird.io/old-kettle-guide", 404, True) in statuses
        assert {s for s in statuses if s[0] != "https://brewbird.io/old-kettle-guide"} == {
            (url, 200, False) for url, _, _ in statuses if url != "https://brewbird.io/old-kettle-guide"
        }


def test_check_links_false_checks_nothing(demo_web, tmp_path):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": demo_web.urls["resources"] + "/",
            "depth": "0",
            "render": "never",
            "check_links": "false",
        },
        tmp_path,
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.records("broken_link") == []
    assert {(b["target_url"], b["target_status"], b["reclaim"]) for b in result.records("backlink")} == {
        ("https://brewbird.io/old-kettle-guide", None, False),
        ("https://brewbird.io/guides/cold-brew", None, False),
        ("https://www.brewbird.io/kettles/smart-kettle", None, False),
    }
    assert "link_check" not in result.stderr


def test_summary_record_and_printed_summary(static_crawl):
    [summary] = static_crawl.records("summary")
    numbers = {
        k: summary[k]
        for k in (
            "spider",
            "finish_reason",
            "pages",
            "rendered_pages",
            "errors",
            "backlinks",
            "referring_domains",
            "followed_share",
            "mentions",
            "unlinked_mention_pages",
            "leads",
            "broken_links",
            "reclaim",
        )
    }
    assert numbers == {
        "spider": "mentions",
        "finish_reason": "finished",
        "pages": 42,
        "rendered_pages": 0,
        "errors": 4,
        "backlinks": 16,
        "referring_domains": 4,
        "followed_share": 0.875,
        "mentions": 22,
        "unlinked_mention_pages": 4,
        "leads": 4,
        "broken_links": 5,
        "reclaim": 1,
    }
    assert "backlinks: 16 from 4 referring domains, 88% followed, 1 to reclaim" in static_crawl.stdout
    assert "mentions: 22; unlinked-mention pages: 4; leads: 4" in static_crawl.stdout


def test_followed_urls_memory_saves_requests_not_records(demo_web, static_crawl, tmp_path_factory):
    """The spider's memory of followed URLs only spares the duplicate filter work: with it off
    (FOLLOWED_URLS_MEMORY=0) or tiny (forgetting all the time) the crawl writes the same records."""

    def identities(result):
        return {
            kind: sorted(r["record_id"] for r in result.records(kind))
            for kind in ("page", "backlink", "mention", "lead", "broken_link")
        }

    expected = identities(static_crawl)
    for memory in ("0", "3"):
        result = crawl(demo_web, tmp_path_factory, "never", FOLLOWED_URLS_MEMORY=memory)
        assert identities(result) == expected
        if memory == "0":
            # every repeated link reached the duplicate filter; with the memory almost none did
            without = result.stat("dupefilter/filtered") or 0
            assert without > 10 * max(1, static_crawl.stat("dupefilter/filtered") or 0)


def pages_by_path(web, result):
    return {site_path(web, p["url"]): p for p in result.records("page")}


def test_page_signals_of_demo_pages(demo_web, static_crawl, rendered_crawl):
    pages = pages_by_path(demo_web, static_crawl)

    def signals(key):
        p = pages[key]
        return (
            p["source_type"],
            p["indexable"],
            p["follow"],
            p["meta_robots"],
            p["x_robots_tag"],
            p["lang"],
            p["canonical_url"] == p["url"],
            p["depth"],
        )

    assert signals(("news", "/archive/2019/11/smart-kettle-startup-launches/")) == (
        "news_article",
        False,
        True,
        None,
        "noindex",
        "en-US",
        True,
        1,
    )
    assert signals(("news", "/2026/05/coffee-startups-raise/")) == (
        "news_article",
        True,
        True,
        "index,follow",
        None,
        "en-US",
        True,
        1,
    )
    assert signals(("forum", "/t/grinder-retention-tips/57")) == (
        "forum_thread",
        True,
        True,
        None,
        None,
        "en",
        True,
        1,
    )
    assert signals(("directory", "/best-coffee-tools/")) == (
        "directory",
        True,
        True,
        None,
        None,
        "en",
        True,
        1,
    )
    assert pages[BLOG_POST]["source_type"] == "blog_post"
    assert pages[BLOG_POST]["evidence"][:3] == ["schema:BlogPosting", "generator:blog", "comments:wordpress"]
    # a forum's FAQ is not a thread, whatever the platform
    assert (pages[("forum", "/faq")]["source_type"], pages[("forum", "/faq")]["evidence"]) == (
        "other",
        ["generator:discourse"],
    )
    assert pages[("resources", "/")]["depth"] == 0 and pages[("resources", "/gone")]["depth"] == 1
    assert pages[BLOG_POST]["backlinks"] == 4 and pages[BLOG_POST]["mentions"] == 2
    rendered = pages_by_path(demo_web, rendered_crawl)
    assert rendered[("social", "/@janedoe")]["source_type"] == "social_profile"
    assert rendered[("social", "/@janedoe")]["evidence"][0] == "schema:ProfilePage"


def test_backlink_context_and_domains(demo_web, static_crawl):
    [link] = [
        b
        for b in static_crawl.records("backlink")
        if b["target_url"] == "https://blog.brewbird.io/guides/cold-brew"
    ]
    assert (link["source_domain"], link["target_domain"]) == ("127.0.10.3", "blog.brewbird.io")
    assert "the BrewBird cold brew guide" in link["context"] and len(link["context"]) > 60


def test_leads_exact_and_leads_csv(demo_web, static_crawl, rendered_crawl):
    blog, forum, news, social = (demo_web.urls[s] for s in ("blog", "forum", "news", "social"))
    leads = {lead["source_url"]: lead for lead in rendered_crawl.records("lead")}
    fields = ("author", "emails", "contact_url", "social_profiles", "mentions", "source_type")
    assert {url: tuple(lead[f] for f in fields) for url, lead in leads.items()} == {
        f"{blog}/2026/04/espresso-grinders-compared/": (
            "Sam Rivera",
            ["hello@beanblog.example", "sam@beanblog.example"],
            f"{blog}/contact/",
            [
                "https://twitter.com/beanblog",
                "https://www.instagram.com/beanblog/",
                "https://www.youtube.com/@beanblog",
            ],
            4,
            "blog_post",
        ),
        # the reply naming the brand is espresso_emma's, not the thread starter's (beanhead)
        f"{forum}/t/grinder-retention-tips/57": (
            "espresso_emma",
            [],
            f"{forum}/about",
            [],
            1,
            "forum_thread",
        ),
        f"{news}/2026/05/coffee-startups-raise/": (
            "Dana Whitfield",
            ["tips@dailygrind.example", "dana.whitfield@dailygrind.example"],
            None,
            ["https://twitter.com/dailygrindnews", "https://www.linkedin.com/company/dailygrind-news"],
            4,
            "news_article",
        ),
        f"{social}/@marco": ("Marco Silva", [], f"{social}/about", [], 2, "social_profile"),  # the owner
        # the roundup names BrewBird in its list and links only KettleCraft and others
        f"{news}/2026/06/best-coffee-grinders/": (
            "Luis Ortega",
            ["tips@dailygrind.example", "luis.ortega@dailygrind.example"],
            None,
            ["https://twitter.com/dailygrindnews", "https://www.linkedin.com/company/dailygrind-news"],
            1,
            "news_article",
        ),
    }
    assert leads[f"{news}/2026/05/coffee-startups-raise/"]["snippet"].startswith(
        "The largest round went to BrewBird"
    )
    # the CSV a person opens in a spreadsheet: one row per lead
    import csv

    csv_file = static_crawl.output_dir / "exports" / "leads-test.csv"
    with open(csv_file, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["Page URL"] for row in rows} == {url for url in leads if "@marco" not in url}
    row = next(r for r in rows if "espresso" in r["Page URL"])
    # personal addresses first, role addresses apart; a person's name split for a CRM
    assert (row["Email"], row["Personal Emails"], row["Role Emails"], row["Author"]) == (
        "sam@beanblog.example",
        "sam@beanblog.example",
        "hello@beanblog.example",
        "Sam Rivera",
    )
    assert (row["First Name"], row["Last Name"]) == ("Sam", "Rivera")
