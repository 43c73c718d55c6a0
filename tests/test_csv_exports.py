"""The CSVs a marketer opens: backlinks, broken links (one row per dead URL), leads by site, leads."""

import asyncio
import csv
from dataclasses import asdict

import pytest
from scrapy.utils.test import get_crawler

from backlink_spider.records import Backlink, BrokenLink, Lead, Page
from pipelines.csv_exports import split_emails, split_name, write_exports
from pipelines.jsonl import JsonlWriterPipeline
from tests.conftest import demo_settings, run_crawl

AT = "2026-11-24T10:00:00.000000Z"
EARLIER = "2026-10-01T08:00:00.000000Z"


class FakeSpider:
    def __init__(self, crawl_id):
        self.crawl_id = crawl_id


def store(tmp_path, crawl_id, records):
    """Write records as a crawl does (the JSONL pipeline)."""
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(tmp_path)})
    crawler.spider = FakeSpider(crawl_id)
    pipeline = JsonlWriterPipeline.from_crawler(crawler)
    for record in records:
        pipeline.process_item(record)
    asyncio.run(pipeline.close_spider())


def read_csv(path):
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: spreadsheets detect the encoding
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def page(url, **extra):
    return Page(crawl_id="c2", crawled_at=AT, url=url, status=200, rendered=False, **extra)


def backlink(crawl_id, at, source, anchor, **extra):
    return Backlink(
        crawl_id=crawl_id,
        crawled_at=at,
        target="acme.com",
        source_url=source,
        target_url="https://acme.com/pricing",
        anchor_text=anchor,
        rel=extra.pop("rel", []),
        source_domain="blog.example",
        **extra,
    )


def test_backlinks_csv_joins_pages_and_keeps_the_first_seen_date(tmp_path):
    old = backlink("c1", EARLIER, "https://blog.example/post", "Acme pricing")
    store(tmp_path, "c1", [old])
    records = {
        "page": [
            asdict(page("https://blog.example/post", title="A post", source_type="blog_post")),
            asdict(
                page(
                    "http://blog.example/old",
                    final_url="https://blog.example/new",
                    title="=cmd|' /C calc'!A0",
                    indexable=False,
                )
            ),
        ],
        "backlink": [
            # the same link as crawl c1's: first seen then
            asdict(
                backlink(
                    "c2",
                    AT,
                    "https://blog.example/post",
                    "Acme pricing",
                    quality=85,
                    quality_reasons=["followed +20", "content +10"],
                )
            ),
            # on a redirected page, hidden, nofollow, an image in the footer
            asdict(
                backlink(
                    "c2",
                    AT,
                    "https://blog.example/new",
                    "@acme",
                    rel=["nofollow", "ugc"],
                    nofollow=True,
                    ugc=True,
                    hidden=True,
                    position="footer",
                    link_type="image",
                )
            ),
            # on a page without a page record (a page of an earlier run)
            asdict(backlink("c2", AT, "https://other.example/", "Acme")),
        ],
    }
    paths = write_exports(tmp_path, "c2", records)
    assert [p.name for p in paths] == ["backlinks-c2.csv"]
    assert read_csv(tmp_path / "exports" / "backlinks-c2.csv") == [
        [
            "Source URL",
            "Source Title",
            "Source Domain",
            "Target URL",
            "Anchor",
            "Rel",
            "Followed",
            "Position",
            "Visible",
            "Indexable",
            "Source Type",
            "First Seen",
            "Link Type",
            "Quality",
            "Quality Reasons",
        ],
        [
            "https://blog.example/post",
            "A post",
            "blog.example",
            "https://acme.com/pricing",
            "Acme pricing",
            "",
            "yes",
            "content",
            "yes",
            "yes",
            "blog_post",
            EARLIER,
            "text",
            "85",
            "followed +20; content +10",
        ],
        [
            "https://blog.example/new",
            "'=cmd|' /C calc'!A0",
            "blog.example",
            "https://acme.com/pricing",
            "'@acme",
            "nofollow ugc",
            "no",
            "footer",
            "no",
            "no",
            "other",
            AT,
            "image",
            "0",
            "",
        ],
        [
            "https://other.example/",
            "",
            "blog.example",
            "https://acme.com/pricing",
            "Acme",
            "",
            "yes",
            "content",
            "yes",
            "",
            "",
            AT,
            "text",
            "0",
            "",
        ],
    ]
    assert not list((tmp_path / "exports").glob(".*"))  # no partial file left


def broken(source, url, anchor, score, **extra):
    return asdict(
        BrokenLink(
            crawl_id="c1",
            crawled_at=AT,
            checked_at=AT,
            source_url=source,
            broken_url=url,
            anchor_text=anchor,
            suggested_replacement=f"https://acme.com/{score}",
            suggestion_score=score,
            **extra,
        )
    )


def test_broken_links_csv_has_one_row_per_dead_url(tmp_path):
    records = {
        "broken_link": [
            broken("https://a.example/1", "https://gone.example/guide", "Guide", 0.4, status=404),
            broken("https://a.example/2", "http://gone.example/guide/", "The guide", 0.7, status=404),
            broken("https://a.example/3", "https://gone.example/guide", "Guide", 0.5, status=404),
            broken(
                "https://a.example/1", "https://dead.example/", "-1 trick", 0.25, error="dns lookup failed"
            ),
        ]
    }
    write_exports(tmp_path, "c1", records)
    assert read_csv(tmp_path / "exports" / "broken-links-c1.csv") == [
        [
            "Broken URL",
            "Status",
            "Linking Pages",
            "Linking Page URLs",
            "Anchors",
            "Points At Target",
            "Suggested Replacement",
            "Suggestion Score",
        ],
        [
            "https://gone.example/guide",
            "404",
            "3",
            "https://a.example/1; https://a.example/2; https://a.example/3",
            "Guide; The guide",
            "no",
            "https://acme.com/0.7",
            "0.70",
        ],
        [
            "https://dead.example/",
            "dns lookup failed",
            "1",
            "https://a.example/1",
            "'-1 trick",
            "no",
            "https://acme.com/0.25",
            "0.25",
        ],
    ]


def test_broken_links_csv_caps_the_linking_pages(tmp_path):
    records = {
        "broken_link": [
            broken(f"https://a.example/{n:02}", "https://gone.example/", "x", 0.5) for n in range(23)
        ]
    }
    write_exports(tmp_path, "c1", records)
    [_, row] = read_csv(tmp_path / "exports" / "broken-links-c1.csv")
    assert row[2] == "23"
    assert row[3] == "; ".join(f"https://a.example/{n:02}" for n in range(20)) + "; (+3 more)"


def lead(url, domain, **extra):
    return asdict(
        Lead(crawl_id="c1", crawled_at=AT, target="acme.com", source_url=url, source_domain=domain, **extra)
    )


LEADS = [
    lead(
        "https://news.example/story",
        "news.example",
        title="Acme raises",
        author="Dana Whitfield",
        emails=["tips@news.example", "desk@news.example", "dana.whitfield@news.example"],
        snippet="Acme raised $18 million",
        mentions=4,
        source_type="news_article",
    ),
    lead(
        "https://news.example/brief",
        "news.example",
        author="Editorial Team",
        emails=["press@news.example", "j.doe@news.example"],
        contact_url="https://news.example/about",
        snippet="Acme in brief",
        mentions=1,
    ),
    lead(
        "https://forum.example/t/1",
        "forum.example",
        author="beanhead",
        contact_url="https://forum.example/about",
        snippet="=SUM(A1) acme",
        mentions=2,
        social_profiles=["https://twitter.com/forum"],
    ),
    lead("https://shop.example/", "shop.example", emails=["info@shop.example"], mentions=1),
    lead("https://quiet.example/", "quiet.example", mentions=1),
]


def test_leads_csv_has_crm_columns_and_personal_emails_first(tmp_path):
    write_exports(tmp_path, "c1", {"lead": LEADS})
    rows = read_csv(tmp_path / "exports" / "leads-c1.csv")
    assert rows[0] == [
        "First Name",
        "Last Name",
        "Email",
        "Website",
        "Page URL",
        "Page Title",
        "Author",
        "Author Profile",
        "Mention Date",
        "Personal Emails",
        "Role Emails",
        "Contact Page",
        "Social Profiles",
        "Snippet",
        "Mentions",
        "Source Type",
        "Target",
        "Crawl ID",
        "Crawled At",
    ]
    assert rows[1:3] == [
        [
            "Dana",
            "Whitfield",
            "dana.whitfield@news.example",
            "news.example",
            "https://news.example/story",
            "Acme raises",
            "Dana Whitfield",
            "",
            "",
            "dana.whitfield@news.example",
            "tips@news.example; desk@news.example",
            "",
            "",
            "Acme raised $18 million",
            "4",
            "news_article",
            "acme.com",
            "c1",
            AT,
        ],
        [
            "",
            "",
            "j.doe@news.example",
            "news.example",
            "https://news.example/brief",
            "",
            "Editorial Team",
            "",
            "",
            "j.doe@news.example",
            "press@news.example",
            "https://news.example/about",
            "",
            "Acme in brief",
            "1",
            "other",
            "acme.com",
            "c1",
            AT,
        ],
    ]
    assert [row[:3] + [row[13]] for row in rows[3:]] == [
        ["", "", "", "'=SUM(A1) acme"],
        ["", "", "info@shop.example", ""],
        ["", "", "", ""],
    ]


def test_leads_by_site_csv_names_the_best_contact(tmp_path):
    write_exports(tmp_path, "c1", {"lead": LEADS})
    rows = read_csv(tmp_path / "exports" / "leads-by-site-c1.csv")
    assert rows == [
        [
            "Website",
            "Best Contact",
            "Contact Kind",
            "Email",
            "Personal Emails",
            "Role Emails",
            "Contact Page",
            "Mentioning Pages",
            "Best Snippet",
            "Page URLs",
            "Social Profiles",
        ],
        [
            "news.example",
            "dana.whitfield@news.example",
            "personal email",
            "dana.whitfield@news.example",
            "dana.whitfield@news.example; j.doe@news.example",
            "tips@news.example; desk@news.example; press@news.example",
            "https://news.example/about",
            "2",
            "Acme raised $18 million",
            "https://news.example/story; https://news.example/brief",
            "",
        ],
        [
            "forum.example",
            "https://forum.example/about",
            "contact page",
            "",
            "",
            "",
            "https://forum.example/about",
            "1",
            "'=SUM(A1) acme",
            "https://forum.example/t/1",
            "https://twitter.com/forum",
        ],
        ["quiet.example", "", "", "", "", "", "", "1", "", "https://quiet.example/", ""],
        [
            "shop.example",
            "info@shop.example",
            "role email",
            "info@shop.example",
            "",
            "info@shop.example",
            "",
            "1",
            "",
            "https://shop.example/",
            "",
        ],
    ]


@pytest.mark.parametrize(
    ("author", "expected"),
    [
        ("Sam Rivera", ("Sam", "Rivera")),
        ("Mary Ann O'Brien-Smith", ("Mary", "Ann O'Brien-Smith")),
        ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
        ("J. R. Tolkien", ("J.", "R. Tolkien")),
        ("José Núñez", ("José", "Núñez")),
        ("beanhead", ("", "")),
        ("Editorial Team", ("", "")),
        ("The Daily Grind", ("", "")),
        ("user123 Smith", ("", "")),
        ("sam rivera", ("", "")),
        ("@marco", ("", "")),
        (None, ("", "")),
    ],
)
def test_split_name_only_for_a_persons_name(author, expected):
    assert split_name(author) == expected


def test_role_addresses_are_told_apart():
    emails = [
        "no-reply@x.example",
        "Info+web@x.example",
        "sam@x.example",
        "webmaster@x.example",
        "ana@x.example",
    ]
    assert split_emails(emails, "Ana Lima") == (
        ["ana@x.example", "sam@x.example"],
        ["no-reply@x.example", "Info+web@x.example", "webmaster@x.example"],
    )


@pytest.fixture(scope="module")
def demo_crawl(demo_web, tmp_path_factory):
    out = tmp_path_factory.mktemp("csv-exports")
    result = run_crawl(
        {"target": "brewbird.io", "seeds": ",".join(demo_web.seeds), "depth": "2", "render": "never"},
        out,
        demo_settings(demo_web),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def dict_rows(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_demo_crawl_csvs_match_its_records(demo_web, demo_crawl):
    exports = demo_crawl.output_dir / "exports"
    backlinks = demo_crawl.records("backlink")
    rows = dict_rows(exports / "backlinks-test.csv")
    assert len(backlinks) == 16  # (two on the directory's link farm, /partners/)
    assert sorted((r["Source URL"], r["Target URL"], r["Anchor"]) for r in rows) == sorted(
        (b["source_url"], b["target_url"], b["anchor_text"]) for b in backlinks
    )
    pages = {p["url"]: p for p in demo_crawl.records("page")}
    for row in rows:  # every linking page is a crawled page: its title is joined in
        assert row["Source Title"] == pages[row["Source URL"]]["title"]
    dead = {b["broken_url"] for b in demo_crawl.records("broken_link")}
    broken_rows = dict_rows(exports / "broken-links-test.csv")
    assert len(dead) == 5
    assert sorted(r["Broken URL"] for r in broken_rows) == sorted(dead)
    by_site = dict_rows(exports / "leads-by-site-test.csv")
    assert {r["Website"]: (r["Best Contact"], r["Contact Kind"]) for r in by_site} == {
        "127.0.10.1": (demo_web.urls["forum"] + "/about", "contact page"),
        "127.0.10.3": ("sam@beanblog.example", "personal email"),
        "127.0.10.5": ("dana.whitfield@dailygrind.example", "personal email"),
    }
    leads = dict_rows(exports / "leads-test.csv")
    assert sorted((r["First Name"], r["Last Name"], r["Email"]) for r in leads) == [
        ("", "", ""),
        ("Dana", "Whitfield", "dana.whitfield@dailygrind.example"),
        ("Luis", "Ortega", "luis.ortega@dailygrind.example"),  # the news roundup naming BrewBird
        ("Sam", "Rivera", "sam@beanblog.example"),
    ]
    for name in ("backlinks", "broken-links", "leads-by-site", "leads"):
        dataset = name.replace("-", " ")
        assert f"  {dataset} CSV: {exports.resolve()}/{name}-test.csv\n" in demo_crawl.stdout
