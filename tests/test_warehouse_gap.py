"""The competitor views on DuckDB and on a real PostgreSQL (the server of tests/test_warehouse.py):
`link_gap` (per referring domain in the latest crawl: the competitors it links to, whether it links
to the target, its best page and contact) and `share_of_voice` (mentions per brand, by source type,
per crawl). Records are written with the real record classes and JSONL writer, then loaded."""

from __future__ import annotations

from backlink_spider.records import COMPETITOR_ROLE, Backlink, Gap, Mention, Page
from tests.test_warehouse import T1, T2, TARGET, write_crawl

RIVAL_A, RIVAL_B = "rival-a.com", "rival-b.com"
GAP = "https://gear.example/best-kettles"
GEAR_OTHER = "https://gear.example/news"
BOTH = "https://both.example/review"
FORUM = "https://forum.example/t/2"
OLD = "https://old.example/list"


def page(crawl_id, at, url, title, source_type):
    return Page(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        url=url,
        status=200,
        rendered=False,
        title=title,
        source_type=source_type,
    )


def link(crawl_id, at, source_url, site, rel=()):
    return Backlink(
        crawl_id=crawl_id,
        target=site,
        role="target" if site == TARGET else COMPETITOR_ROLE,
        main_target=TARGET,
        crawled_at=at,
        source_url=source_url,
        target_url=f"https://{site}/",
        anchor_text=site,
        rel=list(rel),
        nofollow="nofollow" in rel,
        source_domain=source_url.split("/")[2],
        target_domain=site,
    )


def named(crawl_id, at, source_url, site, term, occurrence=1, linked=False):
    return Mention(
        crawl_id=crawl_id,
        target=site,
        role="target" if site == TARGET else COMPETITOR_ROLE,
        main_target=TARGET,
        crawled_at=at,
        source_url=source_url,
        term=term,
        matched_text=term,
        snippet=f"... {term} ...",
        occurrence=occurrence,
        linked=linked,
        unlinked=not linked,
    )


def gap(crawl_id, at, source_url, competitors, emails=(), contact_url=None):
    return Gap(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        source_url=source_url,
        source_domain=source_url.split("/")[2],
        competitors=list(competitors),
        competitor_links=len(competitors),
        emails=list(emails),
        contact_url=contact_url,
    )


def crawl_one():
    c, at = "c1", T1
    return [
        page(c, at, OLD, "Old list", "directory"),
        link(c, at, OLD, RIVAL_B),  # not in the latest crawl: no link_gap row
        gap(c, at, OLD, [RIVAL_B], ["old@old.example"]),
        named(c, at, OLD, TARGET, "brewbird"),
    ]


def crawl_two():
    c, at = "c2", T2
    return [
        page(c, at, GAP, "Best kettles", "blog_post"),
        page(c, at, GEAR_OTHER, "News", "blog_post"),
        page(c, at, BOTH, "A review", "blog_post"),
        page(c, at, FORUM, "Which kettle?", "forum_thread"),
        link(c, at, BOTH, TARGET),
        link(c, at, BOTH, RIVAL_A),
        link(c, at, GAP, RIVAL_A),
        link(c, at, GAP, RIVAL_B, rel=["nofollow"]),
        link(c, at, GEAR_OTHER, RIVAL_A),
        gap(c, at, GAP, [RIVAL_A, RIVAL_B], ["editor@gear.example"], "https://gear.example/contact"),
        gap(c, at, GEAR_OTHER, [RIVAL_A]),
        named(c, at, BOTH, TARGET, "brewbird", linked=True),
        named(c, at, BOTH, RIVAL_A, "Rival A", linked=True),
        named(c, at, GAP, RIVAL_A, "Rival A"),
        named(c, at, GAP, RIVAL_B, "rival-b"),
        named(c, at, FORUM, TARGET, "brewbird"),
        named(c, at, FORUM, RIVAL_A, "Rival A"),
    ]


def loaded(warehouse, tmp_path):
    out = tmp_path / "output"
    write_crawl(out, "c1", crawl_one())
    write_crawl(out, "c2", crawl_two())
    assert warehouse.load(out) == 0
    return warehouse


def test_link_gap_lists_each_referring_domain_of_the_competitors_in_the_latest_crawl(warehouse, tmp_path):
    rows = loaded(warehouse, tmp_path).query("SELECT * FROM link_gap ORDER BY source_domain")
    assert rows == [
        (TARGET, "c2", "both.example", [RIVAL_A], 1, 1, True, BOTH, "A review", None, None),
        (
            TARGET,
            "c2",
            "gear.example",
            [RIVAL_A, RIVAL_B],
            2,
            3,
            False,
            GAP,
            "Best kettles",
            ["editor@gear.example"],
            "https://gear.example/contact",
        ),
    ]


def test_share_of_voice_counts_mentions_per_brand_source_type_and_crawl(warehouse, tmp_path):
    rows = loaded(warehouse, tmp_path).query(
        "SELECT * FROM share_of_voice ORDER BY crawl_id, source_type, brand"
    )
    assert rows == [
        (TARGET, "c1", TARGET, "target", "directory", 1, 0, 1, 1.0),
        (TARGET, "c2", TARGET, "target", "blog_post", 1, 1, 1, 0.25),
        (TARGET, "c2", RIVAL_A, "competitor", "blog_post", 2, 1, 2, 0.5),
        (TARGET, "c2", RIVAL_B, "competitor", "blog_post", 1, 0, 1, 0.25),
        (TARGET, "c2", TARGET, "target", "forum_thread", 1, 0, 1, 0.5),
        (TARGET, "c2", RIVAL_A, "competitor", "forum_thread", 1, 0, 1, 0.5),
    ]


def test_the_targets_own_views_leave_the_competitors_out(warehouse, tmp_path):
    wh = loaded(warehouse, tmp_path)
    assert wh.query(f"SELECT source_domain, backlinks FROM referring_domains WHERE target = '{TARGET}'") == [
        ("both.example", 1)
    ]
    assert wh.query(f"SELECT source_url FROM outreach_queue WHERE target = '{TARGET}'") == [(FORUM,)]
    assert wh.query(
        f"SELECT crawl_id, is_latest FROM crawls WHERE target = '{TARGET}' ORDER BY crawl_id"
    ) == [
        ("c1", False),
        ("c2", True),
    ]
