"""The HTML crawl report: its numbers, the crawl comparison, and the page as a real Chromium shows it.

Two small crawls of brewbird.io are written as the JSONL pipeline writes them (the real record
dataclasses, orjson, OUTPUT_DIR/<type>/dt=YYYY-MM-DD/<crawl_id>-00001.jsonl); the second loses one
backlink, gains one and turns one link nofollow. Around them: a crawl of another target in
between, and a later crawl of brewbird.io whose id extends the others' (`brewbird-weekly-3`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import lxml.html
import orjson
import pytest
from itemadapter import ItemAdapter

from backlink_spider.output import read_records
from backlink_spider.records import Backlink, BrokenLink, Lead, Mention, Page, Record, Summary
from backlink_spider.report import (
    build_summary,
    compare_crawls,
    render_report,
    safe_http_url,
    write_report,
)
from backlink_spider.report.render import best_backlinks

TARGET = "brewbird.io"
FIRST, SECOND, LATER, OTHER = "brewbird-weekly", "brewbird-weekly-2", "brewbird-weekly-3", "other-weekly"
TYPES = ("page", "backlink", "mention", "lead", "broken_link")

FORUM = "https://forum.example/t/kettles/1"
BLOG = "https://blog.example/2026/best-grinders"
NEWS = "https://news.example/2026/01/coffee-startups"
DIRECTORY = "https://dir.example/coffee-tools"
REVIEWS = "https://reviews.example/best-kettles"
EVIL = "https://evil.example/x"
SCRIPT_TITLE = "<script>alert(1)</script>"


def write_crawl(output_dir: Path, day: str, records: list[Record]) -> None:
    """As pipelines/jsonl.py writes them: one file per record type, orjson lines."""
    for record in records:
        crawl_id = record.crawl_id
        path = output_dir / record.type / f"dt={day}" / f"{crawl_id}-00001.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            handle.write(orjson.dumps(ItemAdapter(record).asdict(), option=orjson.OPT_APPEND_NEWLINE))


def brewbird_crawl(crawl_id: str, day: str, second: bool) -> list[Record]:
    clock = iter(range(10, 60))

    def common() -> dict:
        return {
            "crawl_id": crawl_id,
            "target": TARGET,
            "crawled_at": f"{day}T10:00:{next(clock):02d}.000000Z",
        }

    def backlink(source: str, domain: str, url: str, anchor: str, rel: list[str], **kw) -> Backlink:
        return Backlink(
            **common(),
            source_url=source,
            source_domain=domain,
            target_url=url,
            target_domain=TARGET,
            anchor_text=anchor,
            rel=rel,
            nofollow="nofollow" in rel,
            ugc="ugc" in rel,
            sponsored="sponsored" in rel,
            target_status=kw.pop("target_status", 200),
            **kw,
        )

    records: list[Record] = [
        Page(
            **common(),
            url=FORUM,
            status=200,
            rendered=False,
            title="Kettles - Forum",
            source_type="forum_thread",
            backlinks=2,
            mentions=1,
        ),
        Page(
            **common(),
            url=BLOG,
            status=200,
            rendered=False,
            title="Best grinders",
            source_type="blog_post",
            backlinks=2,
            mentions=2,
        ),
        Page(
            **common(),
            url=REVIEWS,
            status=200,
            rendered=False,
            title="The 5 best kettles of 2026",
            source_type="blog_post",
            mentions=2,
        ),
        Page(
            **common(),
            url="https://social.example/@brewfan",
            status=200,
            rendered=True,
            render_reason="empty-app-root",
            source_type="social_profile",
        ),
        backlink(FORUM, "forum.example", "https://brewbird.io/", "BrewBird", []),
        backlink(
            FORUM,
            "forum.example",
            "https://brewbird.io/old-kettle-guide",
            "old kettle guide",
            [],
            target_status=404,
            reclaim=True,
        ),
        backlink(
            BLOG,
            "blog.example",
            "https://brewbird.io/grinders/burr",
            "burr grinder",
            ["nofollow"] if second else [],
        ),
        backlink(
            BLOG, "blog.example", "https://brewbird.io/", "Dana", ["ugc", "nofollow"], position="comment"
        ),
        Mention(
            **common(),
            source_url=FORUM,
            term="brewbird",
            matched_text="BrewBird",
            snippet="I use the BrewBird kettle",
            linked=True,
            unlinked=False,
            occurrence=1,
        ),
        Mention(
            **common(),
            source_url=BLOG,
            term="brewbird",
            matched_text="BrewBird",
            snippet="the BrewBird burr grinder",
            linked=True,
            unlinked=False,
            occurrence=1,
        ),
        Mention(
            **common(),
            source_url=BLOG,
            term="brewbird",
            matched_text="BrewBird",
            snippet="BrewBird again",
            linked=False,
            unlinked=False,
            occurrence=2,
        ),
        Mention(
            **common(),
            source_url=REVIEWS,
            term="brewbird",
            matched_text="BrewBird",
            snippet="The BrewBird Smart Kettle holds 93 °C",
            occurrence=1,
        ),
        Mention(
            **common(),
            source_url=REVIEWS,
            term="brewbird",
            matched_text="Brewbird",
            snippet="Brewbird's app is slick",
            occurrence=2,
        ),
        Lead(
            **common(),
            source_url=REVIEWS,
            source_domain="reviews.example",
            title="The 5 best kettles of 2026",
            author="Jordan Lee",
            emails=["jordan@reviews.example"],
            contact_url="https://reviews.example/contact",
            social_profiles=["https://twitter.com/reviewsx"],
            snippet="The BrewBird Smart Kettle holds 93 °C",
            mentions=2,
            source_type="blog_post",
        ),
    ]
    if not second:
        records += [
            Page(
                **common(),
                url=NEWS,
                status=200,
                rendered=False,
                title="Coffee startups",
                source_type="news_article",
                backlinks=1,
            ),
            backlink(NEWS, "news.example", "https://brewbird.io/press", "BrewBird press kit", []),
        ]
        return records
    return records + [
        # fetched again, and the press-kit link is gone from it: a real loss (a page not fetched
        # this time would make its links "not checked", not lost)
        Page(
            **common(),
            url=NEWS,
            status=200,
            rendered=False,
            title="Coffee startups",
            source_type="news_article",
        ),
        Page(
            **common(),
            url=DIRECTORY,
            status=200,
            rendered=False,
            title="Coffee tools",
            source_type="directory",
            backlinks=1,
        ),
        Page(
            **common(),
            url=EVIL,
            status=200,
            rendered=False,
            title=SCRIPT_TITLE,
            source_type="other",
            mentions=1,
        ),
        Page(**common(), url="https://forum.example/t/404", status=404, rendered=False, error="HTTP 404"),
        backlink(
            DIRECTORY,
            "dir.example",
            "https://brewbird.io/kettles/smart",
            "Smart Kettle",
            ["sponsored"],
            position="sidebar",
        ),
        Mention(
            **common(),
            source_url=EVIL,
            term="brewbird",
            matched_text="brewbird",
            snippet="brewbird <b>rocks</b>",
            occurrence=1,
        ),
        Lead(
            **common(),
            source_url=EVIL,
            source_domain="evil.example",
            title=SCRIPT_TITLE,
            author="Mallory <img src=x onerror=alert(4)>",
            emails=["mallory@evil.example", "javascript:alert(3)//@x.com"],
            contact_url="javascript:alert(2)",
            social_profiles=["JaVaScRiPt:alert(5)", "https://social.example/@mallory"],
            snippet="brewbird <b>rocks</b>",
            mentions=1,
        ),
        BrokenLink(
            **common(),
            source_url=BLOG,
            broken_url="https://gone.example/brew-guide",
            anchor_text="old brewing guide",
            status=404,
            checked_at=f"{day}T10:01:00.000000Z",
            suggested_replacement="https://brewbird.io/guides/brewing",
            suggestion_score=0.42,
        ),
        BrokenLink(
            **common(),
            source_url=FORUM,
            broken_url="https://dead.example/",
            anchor_text="dead shop",
            error="DNS failure",
            checked_at=f"{day}T10:01:01.000000Z",
            suggested_replacement="javascript:alert(6)",
        ),
    ]


@pytest.fixture
def output_dir(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    write_crawl(out, "2026-01-05", brewbird_crawl(FIRST, "2026-01-05", second=False))
    # Another target's crawl between the two: never the "previous crawl" of brewbird.io.
    write_crawl(
        out,
        "2026-01-08",
        [
            Backlink(
                crawl_id=OTHER,
                target="other.example",
                crawled_at="2026-01-08T09:00:00.000000Z",
                source_url=FORUM,
                source_domain="forum.example",
                target_url="https://other.example/",
                target_domain="other.example",
                anchor_text="Other",
                rel=[],
            ),
        ],
    )
    write_crawl(out, "2026-01-12", brewbird_crawl(SECOND, "2026-01-12", second=True))
    # A later crawl of the same target, whose id extends the others' (file-name globs match it).
    write_crawl(out, "2026-01-19", brewbird_crawl(LATER, "2026-01-19", second=True))
    return out


def crawl_records(out: Path, crawl_id: str) -> dict[str, list[dict]]:
    return {t: [r for r in read_records(out, t, crawl_id) if r["crawl_id"] == crawl_id] for t in TYPES}


def test_build_summary(output_dir: Path) -> None:
    assert build_summary(crawl_records(output_dir, SECOND)) == {
        "crawl_id": SECOND,
        "target": TARGET,
        "started_at": "2026-01-12T10:00:10.000000Z",
        "pages": 8,
        "rendered_pages": 1,
        "errors": 1,
        "blocked_pages": 0,
        "backlinks": 5,
        "referring_domains": 3,
        "followed_share": 0.4,
        "mentions": 6,
        "unlinked_mention_pages": 2,
        "leads": 2,
        "broken_links": 2,
        "reclaim": 1,
        "rel": {"nofollow": 2, "ugc": 1, "sponsored": 1, "followed": 2},
        "source_types": {"blog_post": 2, "directory": 1, "forum_thread": 1, "other": 1},
        "positions": {"content": 3, "comment": 1, "sidebar": 1},
        "top_referring_domains": [
            {"domain": "forum.example", "backlinks": 2, "followed": 2},
            {"domain": "blog.example", "backlinks": 2, "followed": 0},
            {"domain": "dir.example", "backlinks": 1, "followed": 0},
        ],
    }


def test_build_summary_of_nothing() -> None:
    summary = build_summary({})
    assert summary["backlinks"] == 0 and summary["followed_share"] == 0.0
    assert summary["top_referring_domains"] == [] and summary["crawl_id"] is None


def test_compare_crawls(output_dir: Path) -> None:
    now = crawl_records(output_dir, SECOND)["backlink"]
    before = crawl_records(output_dir, FIRST)["backlink"]
    assert compare_crawls(now, before) == {
        "new": [
            {
                "source_url": DIRECTORY,
                "target_url": "https://brewbird.io/kettles/smart",
                "anchor_text": "Smart Kettle",
            }
        ],
        "lost": [
            {
                "source_url": NEWS,
                "target_url": "https://brewbird.io/press",
                "anchor_text": "BrewBird press kit",
            }
        ],
        "changed": [
            {
                "source_url": BLOG,
                "target_url": "https://brewbird.io/grinders/burr",
                "anchor_text": "burr grinder",
                "before": {"anchor_text": "burr grinder", "rel": []},
                "after": {"anchor_text": "burr grinder", "rel": ["nofollow"]},
                "changes": ["rel"],
            }
        ],
    }
    assert compare_crawls(now, now) == {"new": [], "lost": [], "changed": []}


def test_compare_crawls_changed_anchor_is_one_change_not_a_loss_and_a_gain() -> None:
    def link(anchor: str, position: str = "content") -> dict:
        return ItemAdapter(
            Backlink(
                crawl_id="c",
                crawled_at="2026-01-01T00:00:00Z",
                source_url=BLOG,
                target_url="https://brewbird.io/",
                anchor_text=anchor,
                rel=[],
                position=position,
            )
        ).asdict()

    result = compare_crawls([link("BrewBird kettles")], [link("BrewBird")])
    assert result["new"] == [] and result["lost"] == []
    assert result["changed"] == [
        {
            "source_url": BLOG,
            "target_url": "https://brewbird.io/",
            "anchor_text": "BrewBird kettles",
            "before": {"anchor_text": "BrewBird", "rel": []},
            "after": {"anchor_text": "BrewBird kettles", "rel": []},
            "changes": ["anchor_text"],
        }
    ]
    # Moved on the page only (position is part of the record id): the same live link, no change.
    assert compare_crawls([link("BrewBird", "footer")], [link("BrewBird")]) == {
        "new": [],
        "lost": [],
        "changed": [],
    }


def test_render_escapes_and_links_only_http_and_mailto(output_dir: Path) -> None:
    records = crawl_records(output_dir, SECOND)
    html = render_report(build_summary(records), records)
    assert "First crawl of this target" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>" not in html
    assert 'href="javascript' not in html.lower() and "href='javascript" not in html.lower()
    assert 'href="mailto:mallory@evil.example"' in html
    assert "mailto:javascript" not in html
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no URL to load
    assert safe_http_url(" https://x.example/a ") == "https://x.example/a"
    for bad in (
        "javascript:alert(1)",
        "java\tscript:x",
        "data:text/html,x",
        "//x.example/",
        "https://x/\n<a>",
        None,
    ):
        assert safe_http_url(bad) is None


def test_write_report_finds_the_previous_crawl_of_the_same_target(output_dir: Path) -> None:
    html = write_report(output_dir, SECOND).read_text(encoding="utf-8")
    assert f"compared with crawl <code>{FIRST}</code>" in html
    assert "First crawl of this target" in write_report(output_dir, FIRST).read_text(encoding="utf-8")
    assert f"compared with crawl <code>{SECOND}</code>" in write_report(output_dir, LATER).read_text(
        encoding="utf-8"
    )
    assert sorted(p.name for p in (output_dir / "reports").iterdir()) == sorted(
        f"{c}.html" for c in (FIRST, SECOND, LATER)
    )
    with pytest.raises(FileNotFoundError):
        write_report(output_dir, "no-such-crawl")
    with pytest.raises(ValueError):
        write_report(output_dir, "../escape")


def test_main_prints_the_path(output_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from backlink_spider.report import main

    assert main([str(output_dir), SECOND]) == 0
    assert capsys.readouterr().out.strip() == str(output_dir / "reports" / f"{SECOND}.html")
    assert main([str(output_dir), "nope"]) == 2


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def test_report_in_headless_chromium(output_dir: Path, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if not chromium:
        pytest.skip("no `chromium` binary on PATH: install Debian's chromium to run the browser check")
    from playwright.sync_api import sync_playwright

    path = write_report(output_dir, SECOND)
    url = path.resolve().as_uri()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requests: list[str] = []
            dialogs: list[str] = []
            page.on("request", lambda request: requests.append(request.url))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(url)
            page.wait_for_load_state("load")

            shot = tmp_path / "report-1280.png"
            page.screenshot(path=str(shot), full_page=True)
            data = shot.read_bytes()
            assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000

            text = page.inner_text("body")
            for expected in (
                TARGET,
                SECOND,
                "12 Jan 2026",
                "5\nBacklinks",
                "3\nReferring domains",
                "40%\nFollowed",
                "2\nUnlinked-mention pages",
                "2\nOutreach leads",
                "2\nBroken links",
                "1\nReclaim",
                "8\nPages crawled",
                "1 rendered · 1 error",
                "New and lost links since the previous crawl",
                "dir.example/coffee-tools",  # the new link's page
                "news.example/2026/01/coffee-startups",  # the lost link's page
                "rel followed → nofollow",  # the changed link
                "Jordan Lee",
                "jordan@reviews.example",
                "gone.example/brew-guide",
                "DNS failure",
                "brewbird.io/old-kettle-guide",
                SCRIPT_TITLE,  # shown as text
                "Mallory <img src=x onerror=alert(4)>",
            ):
                assert expected in text, expected
            assert "First crawl of this target" not in text

            hrefs = page.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
            assert hrefs and all(h.startswith(("https://", "http://", "mailto:")) for h in hrefs), hrefs
            assert "https://brewbird.io/kettles/smart" in hrefs and "mailto:jordan@reviews.example" in hrefs
            assert page.locator("script, img, link, iframe, object, embed").count() == 0
            assert page.locator("svg title").count() >= 4 and page.locator("table th").count() >= 12

            # A phone: nothing wider than the screen.
            page.set_viewport_size({"width": 390, "height": 844})
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
            page.screenshot(path=str(tmp_path / "report-390.png"), full_page=True)

            assert dialogs == []
            assert set(requests) <= {url}, requests
        finally:
            browser.close()


HOSTILE = '<script>alert(1)</script>"onmouseover=alert(2) x="'


def test_hostile_text_is_escaped_and_hostile_urls_are_not_links() -> None:
    """Every place a page's text reaches the report (title, anchor, snippet, author, URL, domain,
    discovery source) gets the same string: it comes out as text, never as markup or a link."""
    js = "javascript:alert(3)"
    quoted = 'https://x.example/"onmouseover=alert(4)'

    def backlink(record_id: str, anchor: str, rel: list[str], **kw) -> dict:
        return {
            "record_id": record_id,
            "crawl_id": "now" if record_id != "old" else "before",
            "target": HOSTILE,
            "crawled_at": "2026-02-02T10:00:00Z",
            "source_url": kw.pop("source_url", js),
            "source_domain": HOSTILE,
            "target_url": kw.pop("target_url", quoted),
            "anchor_text": anchor,
            "rel": rel,
            "nofollow": "nofollow" in rel,
            **kw,
        }

    now = [
        backlink(
            "a",
            HOSTILE,
            [],
            reclaim=True,
            target_status=404,
            target_error=HOSTILE,
            quality=10,
            quality_reasons=[HOSTILE],
        ),
        backlink("b", HOSTILE + "!", ["nofollow"], source_url=quoted, target_url=js, position=HOSTILE),
    ]
    records = {
        "page": [
            {"url": js, "title": HOSTILE, "discovered_by": HOSTILE, "backlinks": 1, "source_type": HOSTILE}
        ],
        "backlink": now,
        "lead": [
            {
                "source_url": js,
                "title": HOSTILE,
                "author": HOSTILE,
                "emails": [HOSTILE, f"{js}//@x.com"],
                "contact_url": quoted,
                "social_profiles": [js],
                "snippet": HOSTILE,
                "source_type": HOSTILE,
                "mentions": 1,
            }
        ],
        "broken_link": [
            {
                "source_url": js,
                "broken_url": quoted,
                "anchor_text": HOSTILE,
                "error": HOSTILE,
                "suggested_replacement": js,
            }
        ],
    }
    previous = {"backlink": [backlink("old", HOSTILE + "?", [], source_url=quoted, target_url=js)]}
    discovery = {HOSTILE: {"queries": [HOSTILE], "requests": 1, "candidates": 1, "failures": [HOSTILE]}}
    html = render_report(build_summary(records), records, previous, discovery)

    doc = lxml.html.document_fromstring(html)
    assert doc.xpath("//script | //img | //iframe | //object | //embed | //link") == []
    assert [a for el in doc.iter() if isinstance(el.tag, str) for a in el.attrib if a.startswith("on")] == []
    assert doc.xpath("//a/@href") == []  # no URL here is a plain http(s) URL or e-mail address
    assert "<script>" not in html and '"onmouseover' not in html and 'x=""' not in html
    # Each hostile value is shown, as text, where the report shows it.
    text = doc.text_content()
    for shown in (
        f"Crawl report: {HOSTILE} – now",  # <title>, from the records' target
        f"anchor “{HOSTILE}?” → “{HOSTILE}!”",  # the changed link, anchor before → now
        f"“{HOSTILE}”",  # broken-link and reclaim anchors
        f"{HOSTILE}: 1",  # the chart of referring domains (an SVG <title>)
        f"{js}//@x.com",  # an e-mail that is not one: text, no mailto:
        quoted.removeprefix("https://"),  # an http URL with a quote in it: text, no link
    ):
        assert shown in text, shown
    assert doc.xpath("string(//h1)") == HOSTILE
    for label in ("Source", "Queries", "Failures", "Author", "Mention"):  # cells that show it as is
        assert doc.xpath(f"string(//td[@data-label='{label}'])") == HOSTILE, label
    assert doc.xpath("string(//td[@data-label='Page']/span[@class='strong'])") == HOSTILE  # lead title
    assert doc.xpath("string(//td[@data-label='Status'])") == HOSTILE  # the broken link's error
    assert doc.xpath("string(//td[@data-label='Why'])") == HOSTILE  # a best backlink's reasons


def test_best_backlinks_are_the_best_link_of_each_page_by_quality() -> None:
    def link(page: str, quality: int, anchor: str) -> dict:
        return {
            "source_url": page,
            "quality": quality,
            "anchor_text": anchor,
            "target_url": "https://t.example/",
        }

    records = {
        "backlink": [
            link("https://a.example/", 40, "footer"),
            link("https://a.example/", 85, "in the text"),
            link("https://b.example/", 85, "b"),
            link("https://c.example/", 5, "comment"),
        ]
    }
    assert [(r["source_url"], r["anchor_text"]) for r in best_backlinks(records)] == [
        ("https://a.example/", "in the text"),
        ("https://b.example/", "b"),
        ("https://c.example/", "comment"),
    ]


def test_the_report_charts_backlinks_and_domains_over_the_last_crawls(output_dir: Path) -> None:
    # three earlier crawls of the target left their summary records (one of them partial)
    for n, (day, links, domains, partial) in enumerate(
        [("2025-12-01", 2, 1, False), ("2025-12-08", 3, 2, True), ("2025-12-15", 4, 2, False)]
    ):
        summary = Summary(
            crawl_id=f"old-{n}",
            target=TARGET,
            crawled_at=f"{day}T12:00:00.000000Z",
            spider="mentions",
            started_at=f"{day}T10:00:00.000000Z",
            finish_reason="finished",
            backlinks=links,
            referring_domains=domains,
            partial=partial,
        )
        write_crawl(output_dir, day, [summary])
    html = write_report(output_dir, FIRST).read_text(encoding="utf-8")  # the fixture's first crawl
    chart = html.split('id="trend-links-h"', 1)[1].split("</section>", 1)[0]
    labels = lxml.html.fromstring(f"<div>{chart}</div>").xpath("//svg//text")
    texts = [t.text_content() for t in labels]
    assert texts[0::2] == [
        "1 Dec 2025, 10:00 UTC · old-0",
        "8 Dec 2025, 10:00 UTC · old-1 (partial)",
        "15 Dec 2025, 10:00 UTC · old-2",
        f"5 Jan 2026, 10:00 UTC · {FIRST}",
    ]
    assert texts[1::2] == ["2", "3", "4", "5"]
