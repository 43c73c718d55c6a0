"""Link quality, explained: orderings and exact reasons on the labelled quality set (tests/quality/),
and a real crawl whose backlink records carry them."""

from __future__ import annotations

import pytest

from backlink_spider.quality import (
    WEIGHT_NAMES,
    LinkFacts,
    LinkScorer,
    WeightsError,
    anchor_kind,
    check_weights,
    score_link,
)
from backlink_spider.settings import LINK_QUALITY_WEIGHTS
from backlink_spider.target import Target, host_of, registered_domain
from tests.conftest import run_crawl
from tests.link_quality_web import SEEDS, quality_web
from tests.quality.measure import CASES, run_case

WEIGHTS = check_weights(LINK_QUALITY_WEIGHTS)
NO_AUTHORITY = "referring domain authority unknown: no DOMAIN_AUTHORITY_FILE (not scored)"
NO_RELEVANCE = "topical relevance unknown: target pages not indexed (not scored)"


def scored(file: str, anchor: str) -> tuple[int, list[str]]:
    """(quality, reasons) of the backlink with `anchor` on a labelled page, as the crawl scores it
    (no target pages indexed, no authority file)."""
    case = next(c for c in CASES if c["file"] == file)
    target = Target.parse(case["target"], ",".join(case["brand"]) if case.get("brand") else None)
    found = run_case(case)
    link = next(b for b in found.backlinks if b.anchor_text == anchor)
    scorer = LinkScorer(WEIGHTS, None)
    source_domain = registered_domain(host_of(case["url"]))
    brand = (*target.brand_terms, *target.domain_terms)
    return scorer.score(link, found, source_domain, brand, None, "target pages not indexed")


EDITORIAL = ("001-news-startup-funding-uppercase-host.html", "the company's own figures")
FOOTER = ("011-ghost-blog-footer-only-link.html", "Powered by Ghost")
NOFOLLOW_COMMENT = ("020-wp-comment-link-in-body.html", "paper wireframe kit")
LINK_FARM = ("091-link-farm-reciprocal-links-page.html", "coffee grinders")


def test_editorial_outranks_footer_outranks_nofollow_comment():
    editorial, footer, comment = (scored(*case)[0] for case in (EDITORIAL, FOOTER, NOFOLLOW_COMMENT))
    assert editorial > footer > comment
    assert (editorial, footer, comment) == (85, 40, 5)


def test_a_link_on_a_link_farm_ranks_low():
    farm = scored(*LINK_FARM)[0]
    assert farm < scored(*FOOTER)[0]
    # below every followed in-content link of the labelled set that is visible on an indexable page
    followed_content = [
        scored(case["file"], link["anchor"])[0]
        for case in CASES
        if case["file"] != LINK_FARM[0] and not Target.parse(case["target"]).owns(case["url"])
        for link in case["backlinks"]
        if link["position"] == "content"
        and not link["hidden"]
        and not {"nofollow", "ugc", "sponsored"} & set(link["rel"])
    ]
    assert len(followed_content) == 10
    assert farm < min(followed_content)


def test_exact_reasons():
    assert scored(*EDITORIAL) == (
        85,
        [
            "followed +20",
            "content +10",
            "descriptive anchor +5",
            "editorial (news_article) +10",
            NO_RELEVANCE,
            NO_AUTHORITY,
        ],
    )
    assert scored(*FOOTER) == (
        40,
        [
            "followed +20",
            "footer -15",
            "sitewide template link -10",
            "branded anchor +5",
            NO_RELEVANCE,
            NO_AUTHORITY,
        ],
    )
    assert scored(*NOFOLLOW_COMMENT) == (
        5,
        ["ugc +0", "nofollow comment link -25", "exact-match anchor +0", "self-made (blog_comment) -10"]
        + [NO_RELEVANCE, NO_AUTHORITY],
    )
    assert scored(*LINK_FARM) == (
        25,
        ["followed +20", "content +10", "link farm: 361 links to other sites -50", "descriptive anchor +5"]
        + [NO_RELEVANCE, NO_AUTHORITY],
    )
    # hidden spam in a comment: the score stops at 0
    assert scored("026-wp-hidden-spam-comment-links.html", "Promo Bot") == (
        0,
        [
            "ugc +0",
            "nofollow comment link -25",
            "hidden -30",
            "descriptive anchor +5",
            "self-made (blog_comment) -10",
            NO_RELEVANCE,
            NO_AUTHORITY,
        ],
    )


def test_relevance_authority_noindex_and_sponsored_reasons():
    facts = LinkFacts(
        rel=("sponsored",),
        position="sidebar",
        indexable=False,
        external_links=175,  # halfway between 50 and 300: half the link-farm weight
        anchor_text="click here",
        relevance=0.2,
        authority=73,
    )
    assert score_link(facts, WEIGHTS) == (
        0,
        [
            "sponsored -10",
            "sidebar -10",
            "sitewide template link -10",
            "source page noindex -20",
            "link farm: 175 links to other sites -25",
            "generic anchor -5",
            "topical relevance 0.20 +4",
            "referring domain authority 73/100 +15",
        ],
    )
    best = LinkFacts(
        anchor_text="gooseneck kettle review", source_type="blog_post", relevance=0.9, authority=100
    )
    assert score_link(best, WEIGHTS) == (
        100,  # clamped: 40 + 20 + 10 + 5 + 10 + 10 + 20
        [
            "followed +20",
            "content +10",
            "descriptive anchor +5",
            "editorial (blog_post) +10",
            "topical relevance 0.90 +10",
            "referring domain authority 100/100 +20",
        ],
    )


@pytest.mark.parametrize(
    ("anchor", "link_type", "alt", "kind"),
    [
        ("BrewBird", "text", None, "branded"),
        ("the brewbird.io shop", "text", None, "branded"),
        ("https://brewbird.io/kettles", "text", None, "url"),
        ("brewbird.io", "text", None, "url"),
        ("Click here", "text", None, "generic"),
        ("Read more »", "text", None, "generic"),
        ("gooseneck kettles", "text", None, "exact"),
        ("a kettle that pours slowly", "text", None, "descriptive"),
        ("", "image", "BrewBird logo", "image_alt"),
        ("", "image", "", "image_no_alt"),
        ("", "text", None, "empty"),
    ],
)
def test_anchor_kinds(anchor, link_type, alt, kind):
    facts = LinkFacts(
        anchor_text=anchor,
        link_type=link_type,
        image_alt=alt,
        target_url="https://brewbird.io/gooseneck-kettles",
        brand_terms=("brewbird", "brewbird.io"),
    )
    assert anchor_kind(facts) == kind


def test_weights_must_be_complete_integers():
    with pytest.raises(WeightsError) as missing:
        check_weights({"followed": 20})
    assert str(missing.value).startswith("LINK_QUALITY_WEIGHTS: missing base, nofollow, ugc, sponsored")
    with pytest.raises(WeightsError, match=r"^LINK_QUALITY_WEIGHTS: unknown dofollow \(give every"):
        check_weights({**LINK_QUALITY_WEIGHTS, "dofollow": 5})
    with pytest.raises(WeightsError, match=r"^LINK_QUALITY_WEIGHTS: not an integer: footer$"):
        check_weights({**LINK_QUALITY_WEIGHTS, "footer": "-15"})
    assert list(LINK_QUALITY_WEIGHTS) == list(WEIGHT_NAMES)


# --- a real crawl ----------------------------------------------------------------------------------


def crawl_quality_web(out, **settings):
    with quality_web() as web:
        result = run_crawl(
            {"target": "brewbird.io", "seeds": ",".join(SEEDS), "depth": "0", "render": "never"},
            out,
            {**web, **settings},
        )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def quality_rows(result) -> list[tuple]:
    return sorted(
        (b["source_url"], b["target_url"], b["position"], b["quality"], b["quality_reasons"])
        for b in result.records("backlink")
    )


REVIEW = "http://coffee-news.example/blog/burr-grinders"
DESCALING = "http://coffee-news.example/blog/descaling"
FARM = "http://linkfarm.example/partners"


def test_crawl_writes_quality_and_reasons(tmp_path):
    result = crawl_quality_web(tmp_path / "out")
    # relevance: TF-IDF against the target's two sitemap pages, indexed before the seeds start
    assert quality_rows(result) == sorted(
        [
            (
                DESCALING,
                "https://brewbird.io/",
                "footer",
                50,
                ["followed +20", "footer -15", "sitewide template link -10", "branded anchor +5"]
                + ["topical relevance 0.87 +10", NO_AUTHORITY],
            ),
            (
                DESCALING,
                "https://brewbird.io/kettles",
                "comment",
                30,
                ["ugc +0", "nofollow comment link -25", "descriptive anchor +5", "topical relevance 0.87 +10"]
                + [NO_AUTHORITY],
            ),
            (
                REVIEW,
                "https://brewbird.io/",
                "footer",
                50,
                ["followed +20", "footer -15", "sitewide template link -10", "branded anchor +5"]
                + ["topical relevance 0.88 +10", NO_AUTHORITY],
            ),
            (
                REVIEW,
                "https://brewbird.io/grinders",
                "content",
                95,
                ["followed +20", "content +10", "branded anchor +5", "editorial (blog_post) +10"]
                + ["topical relevance 0.88 +10", NO_AUTHORITY],
            ),
            (
                FARM,
                "https://brewbird.io/grinders",
                "content",
                35,
                [
                    "followed +20",
                    "content +10",
                    "link farm: 321 links to other sites -50",
                    "descriptive anchor +5",
                ]
                + ["topical relevance 0.58 +10", NO_AUTHORITY],
            ),
        ]
    )
    pages = {p["url"]: (p["domain"], p["linked_domains"]) for p in result.records("page")}
    assert pages[REVIEW] == (
        "coffee-news.example",
        ["brewbird.io", "espresso-lab.example"],
    )  # (not the nofollow one)
    assert pages[DESCALING] == ("coffee-news.example", ["brewbird.io"])
    farm_domain, farm_links = pages[FARM]
    assert (farm_domain, len(farm_links), farm_links == sorted(farm_links)) == ("linkfarm.example", 200, True)


def test_without_link_checks_relevance_is_unknown(tmp_path):
    with quality_web() as web:
        result = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": REVIEW,
                "depth": "0",
                "render": "never",
                "check_links": "false",
            },
            tmp_path / "out",
            web,
        )
    assert result.returncode == 0, result.stderr[-3000:]
    reasons = {b["target_url"]: b["quality_reasons"] for b in result.records("backlink")}
    assert reasons["https://brewbird.io/grinders"][-2:] == [
        "topical relevance unknown: -a check_links=false (not scored)",
        NO_AUTHORITY,
    ]
