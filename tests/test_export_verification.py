"""A vendor's backlink export as seeds: every claimed link is checked on the live page and gets a
`link_claim` record saying what the page really has (verified, changed, not found, page gone), for
an Ahrefs export (UTF-16LE with a BOM, tab-separated, as Ahrefs writes it) and a Search Console
"Latest links" export (linking pages only)."""

from __future__ import annotations

import pytest

from tests.conftest import demo_settings, run_crawl

AHREFS_HEADER = (
    "Referring page title\tReferring page URL\tLanguage\tPlatform\tReferring page HTTP code\tDomain rating\t"
    "Target URL\tAnchor\tType\tNofollow\tUGC\tSponsored\tFirst seen\tLast seen\tLost"
)
BLOG = "/2026/03/cold-brew-at-home/"


def ahrefs_row(title, url, target, anchor, nofollow="false", ugc="false", first="2026-03-04 10:22:13"):
    return "\t".join(
        [
            title,
            url,
            "en",
            "blogs",
            "200",
            "41",
            target,
            anchor,
            "text",
            nofollow,
            ugc,
            "false",
            first,
            "2026-09-28 03:10:45",
            "",
        ]
    )


def write_ahrefs(path, rows) -> None:
    text = "\r\n".join([AHREFS_HEADER, *rows]) + "\r\n"
    path.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))


def claims_of(result, demo_web):
    blog, news = demo_web.urls["blog"], demo_web.urls["news"]
    out = {}
    for claim in result.records("link_claim"):
        page = claim["source_url"].replace(blog, "blog").replace(news, "news")
        out[(page, claim["target_url"])] = (
            claim["vendor"],
            claim["status"],
            claim["reason"],
            claim["found_anchor"],
            claim["found_rel"],
        )
    return out


@pytest.fixture(scope="module")
def ahrefs_crawl(demo_web, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ahrefs")
    blog, news = demo_web.urls["blog"], demo_web.urls["news"]
    export = tmp / "brewbird.io-backlinks-subdomains_2026-11-30.csv"
    write_ahrefs(
        export,
        [
            # as it is on the page
            ahrefs_row("Cold brew", blog + BLOG, "https://brewbird.io/pricing", "their pricing page"),
            # the vendor saw another anchor and no nofollow: both differ now
            ahrefs_row(
                "Cold brew",
                blog + BLOG,
                "https://brewbird.io/grinders/burr-grinder-pro",
                "burr grinder",
                ugc="true",
            ),
            # the page names BrewBird but links nowhere to it
            ahrefs_row("Tariffs", news + "/2026/05/tariffs/", "https://brewbird.io/", "BrewBird"),
            # the page is gone
            ahrefs_row("Gone", news + "/2026/05/gone-article/", "https://brewbird.io/", "BrewBird"),
        ],
    )
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": str(export),
            "depth": "0",
            "check_links": "false",
            "render": "never",
        },
        tmp / "out",
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_each_claimed_link_is_checked_on_the_live_page(ahrefs_crawl, demo_web):
    assert claims_of(ahrefs_crawl, demo_web) == {
        ("blog" + BLOG, "https://brewbird.io/pricing"): (
            "ahrefs",
            "verified",
            None,
            "their pricing page",
            [],
        ),
        ("blog" + BLOG, "https://brewbird.io/grinders/burr-grinder-pro"): (
            "ahrefs",
            "changed",
            "anchor differs, nofollow added",
            "BrewBird Burr Grinder Pro",
            ["external", "nofollow", "ugc"],
        ),
        ("news/2026/05/tariffs/", "https://brewbird.io/"): (
            "ahrefs",
            "not_found",
            "no link to the target on the page",
            None,
            [],
        ),
        ("news/2026/05/gone-article/", "https://brewbird.io/"): ("ahrefs", "page_gone", "HTTP 404", None, []),
    }


def test_export_pages_say_where_they_came_from_and_the_summary_counts_claims(ahrefs_crawl, demo_web):
    pages = {p["url"]: (p["discovered_by"], p["discovered_via"]) for p in ahrefs_crawl.records("page")}
    assert set(pages.values()) == {("export:ahrefs", "brewbird.io-backlinks-subdomains_2026-11-30.csv")}
    assert len(pages) == 3
    (summary,) = ahrefs_crawl.records("summary")
    assert summary["claims"] == {"verified": 1, "changed": 1, "not_found": 1, "page_gone": 1}
    assert "vendor claims: 4 (verified 1, changed 1, not_found 1, page_gone 1)" in ahrefs_crawl.stdout


def test_search_console_latest_links_are_verified_by_any_link_to_the_target(demo_web, tmp_path):
    blog, news = demo_web.urls["blog"], demo_web.urls["news"]
    export = tmp_path / "Latest links.csv"
    export.write_text(
        f"Linking page,Last crawled\n{blog}{BLOG},2026-11-02\n{news}/2026/05/tariffs/,2026-10-30\n",
        encoding="utf-8",
    )
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": str(export),
            "depth": "0",
            "check_links": "false",
            "render": "never",
        },
        tmp_path / "out",
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    claims = {(c["source_url"], c["status"], c["last_seen"]) for c in result.records("link_claim")}
    assert claims == {
        (f"{blog}{BLOG}", "verified", "2026-11-02"),
        (f"{news}/2026/05/tariffs/", "not_found", "2026-10-30"),
    }


def test_recheck_takes_the_same_export_as_its_known_links(demo_web, tmp_path):
    blog = demo_web.urls["blog"]
    export = tmp_path / "ahrefs.csv"
    write_ahrefs(
        export,
        [
            ahrefs_row("Cold brew", blog + BLOG, "https://brewbird.io/pricing", "their pricing page"),
            ahrefs_row("Cold brew", blog + BLOG, "https://brewbird.io/gone-link", "an old link"),
        ],
    )
    result = run_crawl(
        {"target": "brewbird.io", "known": str(export), "render": "never"},
        tmp_path / "out",
        demo_settings(demo_web),
        spider="recheck",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    statuses = {
        (s["target_url"], s["status"], s["previous_crawl_id"])
        for s in result.records("link_status")
        if s["status"] != "new"
    }
    assert statuses == {
        ("https://brewbird.io/pricing", "live", "export:ahrefs"),
        ("https://brewbird.io/gone-link", "lost", "export:ahrefs"),
    }
