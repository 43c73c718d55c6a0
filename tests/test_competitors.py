"""Competitors in the same crawl (`-a competitors=`): one pass finds the target's and every
competitor's links and mentions, labelled by `role`; a page linking to competitors only is a `gap`
record with its contacts; nothing about the target's own results changes."""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

import pytest

from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.extensions import SUMMARY_NUMBERS
from backlink_spider.extract.page import PageSnapshot, extract_page
from backlink_spider.records import SCHEMA_VERSION
from tests.conftest import run_crawl, serving

REVIEWS, GEAR = "127.0.47.1", "127.0.47.2"  # two referring sites (no other test uses 127.0.47.x)

PAGES = {
    "/both": """<html><head><title>Kettle shootout</title></head><body><article>
        <p>We tried the <a href="https://brewbird.io/kettle">BrewBird kettle</a> and the
        <a href="https://www.rival-a.com/pour" rel="nofollow">Rival A pour-over</a>.</p>
        </article></body></html>""",
    "/gap": """<html><head><title>Best gooseneck kettles</title></head><body>
        <header><a href="/contact">Contact us</a></header><article>
        <p>Our picks: <a href="https://rival-a.com/">the Rival A Pro</a> and
        <a href="https://shop.rival-b.com/kettles">Rival B kettles</a>.</p>
        <p>Write to editor@gearblog.example or sales@rival-a.com.</p></article></body></html>""",
    "/names": """<html><head><title>Forum: which kettle?</title></head><body><article>
        <p>BrewBird is quiet, but Rival A heats faster and Rival B is cheap.</p></article></body></html>""",
    "/contact": "<html><body><p>Mail us.</p></body></html>",
}


class Site(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/robots.txt":
            return self._send(b"User-agent: *\nAllow: /\n", "text/plain")
        body = PAGES.get(self.path)
        if body is None:
            self.send_response(404)
            self.end_headers()
            return
        self._send(body.encode(), "text/html; charset=utf-8")

    def _send(self, body, kind):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


COMPETITORS = "rival-a.com:Rival A,rival-b.com"


@contextmanager
def sites():
    """The two referring sites, served: (reviews base URL, gear base URL)."""
    with serving(Site, REVIEWS) as reviews, serving(Site, GEAR) as gear:
        yield reviews, gear


def crawl(tmp_path, settings=None, served=None, **args):
    """A crawl of /both and /names on REVIEWS and /gap on GEAR; returns (reviews, gear, result)."""
    if served is None:
        with sites() as served:
            return crawl(tmp_path, settings, served, **args)
    reviews, gear = served
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": f"{reviews}/both,{gear}/gap,{reviews}/names",
            "depth": "0",
            "render": "never",
            "check_links": "false",
            **args,
        },
        tmp_path,
        settings,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return reviews, gear, result


@pytest.fixture(scope="module")
def with_competitors(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("with"), competitors=COMPETITORS)


@pytest.fixture(scope="module")
def without_competitors(tmp_path_factory):
    return crawl(tmp_path_factory.mktemp("without"))


def test_a_page_linking_to_the_target_and_a_competitor_has_a_backlink_for_each(with_competitors):
    reviews, gear, result = with_competitors
    backlinks = result.records("backlink")
    rows = sorted(
        (
            b["source_url"],
            b["target"],
            b["role"],
            b["main_target"],
            b["target_url"],
            b["anchor_text"],
            b["nofollow"],
        )
        for b in backlinks
    )
    assert rows == [
        (
            f"{reviews}/both",
            "brewbird.io",
            "target",
            "brewbird.io",
            "https://brewbird.io/kettle",
            "BrewBird kettle",
            False,
        ),
        (
            f"{reviews}/both",
            "rival-a.com",
            "competitor",
            "brewbird.io",
            "https://www.rival-a.com/pour",
            "Rival A pour-over",
            True,
        ),
        (
            f"{gear}/gap",
            "rival-a.com",
            "competitor",
            "brewbird.io",
            "https://rival-a.com/",
            "the Rival A Pro",
            False,
        ),
        (
            f"{gear}/gap",
            "rival-b.com",
            "competitor",
            "brewbird.io",
            "https://shop.rival-b.com/kettles",
            "Rival B kettles",
            False,
        ),
    ]
    assert len({b["record_id"] for b in backlinks}) == 4


def test_a_page_linking_to_competitors_only_is_a_gap_lead_with_its_contact(with_competitors):
    reviews, gear, result = with_competitors
    (gap,) = result.records("gap")
    del gap["crawled_at"], gap["record_id"]
    assert gap == {
        "type": "gap",
        "schema_version": SCHEMA_VERSION,
        "crawl_id": "test",
        "target": "brewbird.io",
        "source_url": f"{gear}/gap",
        "source_domain": GEAR,
        "title": "Best gooseneck kettles",
        "competitors": ["rival-a.com", "rival-b.com"],
        "competitor_links": 2,
        "followed": True,
        # (the competitor's own address on the page is no contact of the page's site)
        "emails": ["editor@gearblog.example"],
        "contact_url": f"{gear}/contact",
        "social_profiles": [],
        "source_type": "other",
        "indexable": True,
        "discovered_by": "seed",
    }
    # the outreach leads are the target's: the page that names BrewBird without linking
    assert [lead["source_url"] for lead in result.records("lead")] == [f"{reviews}/names"]


def test_each_brand_named_is_a_mention_with_its_role(with_competitors):
    reviews, gear, result = with_competitors
    rows = sorted(
        (
            m["source_url"],
            m["target"],
            m["role"],
            m["main_target"],
            m["matched_text"],
            m["form"],
            m["linked"],
            m["unlinked"],
        )
        for m in result.records("mention")
    )
    both, names, gap = f"{reviews}/both", f"{reviews}/names", f"{gear}/gap"
    assert rows == sorted(
        [
            (both, "brewbird.io", "target", "brewbird.io", "BrewBird", "name", True, False),
            (both, "rival-a.com", "competitor", "brewbird.io", "Rival A", "name", True, False),
            (gap, "rival-a.com", "competitor", "brewbird.io", "Rival A", "name", True, False),
            (gap, "rival-a.com", "competitor", "brewbird.io", "rival-a.com", "email", False, False),
            (gap, "rival-b.com", "competitor", "brewbird.io", "Rival B", "name", True, False),
            (names, "brewbird.io", "target", "brewbird.io", "BrewBird", "name", False, True),
            (names, "rival-a.com", "competitor", "brewbird.io", "Rival A", "name", False, True),
            (names, "rival-b.com", "competitor", "brewbird.io", "Rival B", "name", False, True),
        ]
    )


def _summary(result) -> dict:
    (summary,) = result.records("summary")
    return summary


def _stable(crawled, kind: str) -> list[str]:
    """A crawl's records of one type as sorted JSON texts, without what differs between two runs
    (the sites' ports, so record ids, and the clock)."""
    reviews, gear, result = crawled
    texts = []
    for record in result.records(kind):
        record = {k: v for k, v in record.items() if k not in ("crawled_at", "record_id")}
        texts.append(json.dumps(record, sort_keys=True).replace(reviews, "REVIEWS").replace(gear, "GEAR"))
    return sorted(texts)


def _export(crawled, name: str) -> str:
    """A CSV export's text without what differs between two runs (ports, times)."""
    reviews, gear, result = crawled
    text = (result.output_dir / "exports" / name).read_text()
    return re.sub(r"\d{4}-\d\d-\d\dT[\d:.]+Z", "WHEN", text.replace(reviews, "REVIEWS").replace(gear, "GEAR"))


def test_competitors_change_nothing_about_the_targets_own_results(with_competitors, without_competitors):
    rivals, alone = with_competitors[2], without_competitors[2]
    assert {n: _summary(rivals)[n] for n in SUMMARY_NUMBERS} == {
        n: _summary(alone)[n] for n in SUMMARY_NUMBERS
    }
    assert {n: _summary(alone)[n] for n in ("backlinks", "referring_domains", "mentions", "leads")} == {
        "backlinks": 1,
        "referring_domains": 1,
        "mentions": 2,
        "leads": 1,
    }
    assert _summary(rivals)["competitors"] == {
        "rival-a.com": {"backlinks": 2, "referring_domains": 2, "mentions": 4, "gap_pages": 1},
        "rival-b.com": {"backlinks": 1, "referring_domains": 1, "mentions": 2, "gap_pages": 1},
    }
    assert _summary(alone)["competitors"] is None
    assert (
        "  competitor rival-a.com: 2 backlinks from 2 referring domains, 4 mentions, 1 gap pages "
        "(link to it, not to brewbird.io)\n"
    ) in rivals.stdout
    assert "competitor" not in alone.stdout
    for kind in ("page", "lead"):
        assert _stable(with_competitors, kind) == _stable(without_competitors, kind)
    for kind in ("backlink", "mention"):  # the target's records are the same records
        target_only = [t for t in _stable(with_competitors, kind) if '"role": "target"' in t]
        assert target_only == _stable(without_competitors, kind)
    for csv in ("backlinks-test.csv", "leads-test.csv", "leads-by-site-test.csv"):
        assert _export(with_competitors, csv) == _export(without_competitors, csv)


def test_a_crawl_with_competitors_compares_with_the_previous_crawl_of_the_target_only(tmp_path):
    with sites() as served:
        crawl(tmp_path, None, served)
        *_, second = crawl(tmp_path, {"CRAWL_ID": "second"}, served, competitors=COMPETITORS)
    assert second.records("link_change") == []  # the target's links did not change
    html = (tmp_path / "reports" / "second.html").read_text()
    assert "No link was gained, lost or changed since the previous crawl." in html


def _cells(html: str, table: str) -> list[list[str]]:
    """The text of each row's cells in the report table with class `table`."""
    body = re.search(rf'<table class="{table}">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def test_the_report_has_the_gap_and_share_of_voice_sections(with_competitors, without_competitors):
    reviews, gear, result = with_competitors
    html = (result.output_dir / "reports" / "test.html").read_text()
    assert _cells(html, "gap") == [
        [
            f"{GEAR} 2 links",
            "rival-a.com, rival-b.com",
            "Best gooseneck kettles",
            "editor@gearblog.example",
            f"{gear}/contact"[7:],
        ]
    ]
    assert '<a href="mailto:editor@gearblog.example">' in html
    assert _cells(html, "voice") == [
        ["brewbird.io (you)", "2", "1", "2", "25%", "Other 2"],
        ["rival-a.com", "4", "2", "3", "50%", "Other 4"],
        ["rival-b.com", "2", "1", "2", "25%", "Other 2"],
    ]
    for title in ("Referring domains per site", "Mentions per brand, linked and unlinked"):
        assert f">{title}</title>" in html
    *_, alone = without_competitors
    plain = (alone.output_dir / "reports" / "test.html").read_text()
    assert "Links your competitors have" not in plain and "Share of voice" not in plain


@pytest.mark.parametrize(
    ("competitors", "settings", "message"),
    [
        (
            ",".join(f"rival{n}.com" for n in range(11)),
            {},
            "11 sites given, at most 10 (the COMPETITORS_MAX setting)",
        ),
        (
            "rival-a.com,rival-b.com",
            {"COMPETITORS_MAX": "1"},
            "2 sites given, at most 1 (the COMPETITORS_MAX setting)",
        ),
        ("https://www.BrewBird.io/", {}, "brewbird.io is the target itself"),
        (
            "shop.brewbird.io",
            {},
            "shop.brewbird.io overlaps the target brewbird.io (one is a subdomain of the other)",
        ),
        ("rival-a.com,www.rival-a.com", {}, "rival-a.com is given twice (as rival-a.com)"),
        ("rival_a.com", {}, "competitor 'rival_a.com' is not a valid domain name"),
        ("rival.notatld", {}, "competitor 'rival.notatld' has no known public suffix (like .com or .co.uk)"),
        ("rival-a.com:", {}, "'rival-a.com:' has an empty brand list after ':'"),
    ],
)
def test_bad_competitors_stop_the_crawl_before_any_work(tmp_path, competitors, settings, message):
    result = run_crawl(
        {"target": "brewbird.io", "seeds": "http://127.0.47.1:9/", "competitors": competitors},
        tmp_path / "out",
        settings,
    )
    assert (result.returncode, result.stderr) == (
        2,
        f"scrapy crawl mentions: error: -a competitors: {message}\n",
    )
    assert not (tmp_path / "out").exists()


# --- extraction, without Scrapy ---------------------------------------------------------------


def _config(**kwargs) -> CrawlArguments:
    return CrawlArguments.parse(
        {"target": "brewbird.io", "seeds": "https://x.example/", **kwargs}, competitors_max=10
    )


def test_competitor_brands_are_given_after_a_colon_or_derived_from_the_host():
    config = _config(competitors="https://www.rival-a.com/about:Rival A|RivalA,rival-b.com")
    assert [(c.host, c.brand_terms) for c in config.competitors] == [
        ("rival-a.com", ("Rival A", "RivalA")),
        ("rival-b.com", ("rival-b", "rival b")),
    ]
    assert config.describe()["competitors"] == {
        "rival-a.com": ["Rival A", "RivalA"],
        "rival-b.com": ["rival-b", "rival b"],
    }


def test_one_scan_labels_every_brands_matches():
    matcher = _config(competitors="rival-a.com:Rival A").matcher()
    found = matcher.find("BrewBird or Rival A? Write to hi@rival-a.com or see brewbird.io.")
    assert [(m.brand, m.matched_text, m.form) for m in found] == [
        ("brewbird.io", "BrewBird", "name"),
        ("rival-a.com", "Rival A", "name"),
        ("rival-a.com", "rival-a.com", "email"),
        ("brewbird.io", "brewbird.io", "domain"),
    ]


def test_a_competitors_own_page_has_no_backlinks_or_mentions_of_it():
    config = _config(competitors="rival-a.com:Rival A")
    html = """<html><body><p>Rival A kettles. <a href="/shop">Shop Rival A</a>, compare with
        <a href="https://brewbird.io/">BrewBird</a>.</p></body></html>"""
    found = extract_page(
        PageSnapshot("https://www.rival-a.com/", html), config.target, config.matcher(), config.competitors
    )
    assert found.competitor_backlinks == [] and found.competitor_mentions == [] and found.gap == []
    assert [(b.site, b.target_url) for b in found.backlinks] == [("brewbird.io", "https://brewbird.io/")]
    assert [(m.site, m.matched_text, m.linked) for m in found.mentions] == [("brewbird.io", "BrewBird", True)]


def test_an_unknown_competitors_argument_is_listed_in_the_error():
    with pytest.raises(ArgumentError, match=r"known: .*wikis, competitors\)"):
        _config(rivals="x.com")
