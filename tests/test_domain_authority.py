"""Referring-domain authority from our own link graph: the loader's domain graph and PageRank on
DuckDB and a real PostgreSQL, the authority CSV round trip, a crawl reading it, and a Common Crawl
domain-ranks file converted to the same format."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest

from backlink_spider.authority import (
    AuthorityFileError,
    common_crawl_scores,
    pagerank,
    read_authority,
)
from backlink_spider.records import Backlink, Page
from tests.conftest import ROOT, run_crawl
from tests.link_quality_web import SEEDS, quality_web
from tests.test_warehouse import write_crawl
from tests.warehouse_db import Warehouse

T1 = "2026-11-01T10:00:00.000000Z"
T2 = "2026-11-08T10:00:00.000000Z"


def page(crawl_id, at, url, linked, target="hub.example"):
    return Page(
        crawl_id=crawl_id,
        target=target,
        crawled_at=at,
        url=url,
        status=200,
        rendered=False,
        domain=url.split("/")[2],
        linked_domains=sorted(linked),
    )


# A small known graph over two crawls of two targets: hub.example is linked from four domains and
# shares its vote between a.example and b.example; b.example is also linked from a.example; c.example
# only from e.example, which nobody links to (nor d.example).
CRAWL_ONE = [
    page("c1", T1, "https://a.example/1", ["hub.example", "b.example"]),
    page("c1", T1, "https://a.example/2", ["hub.example"]),
    page("c1", T1, "https://b.example/", ["hub.example"]),
    page("c1", T1, "https://hub.example/", ["a.example", "b.example"]),
    Backlink(
        crawl_id="c1",
        target="hub.example",
        crawled_at=T1,
        source_url="https://a.example/1",
        target_url="https://hub.example/",
        anchor_text="the hub",
        rel=[],
        source_domain="a.example",
        target_domain="hub.example",
    ),
]
CRAWL_TWO = [  # another target's crawl: its pages add to the same graph
    page("c2", T2, "https://a.example/1", ["hub.example", "b.example"], target="other.example"),
    page("c2", T2, "https://c.example/", ["hub.example"], target="other.example"),
    page("c2", T2, "https://d.example/", ["hub.example"], target="other.example"),
    page("c2", T2, "https://e.example/", ["c.example"], target="other.example"),
]
DOMAIN_LINKS = sorted(
    [
        ("a.example", "b.example", 1),
        ("a.example", "hub.example", 2),  # two pages of a.example (a/1 counted once over both crawls)
        ("b.example", "hub.example", 1),
        ("c.example", "hub.example", 1),
        ("d.example", "hub.example", 1),
        ("e.example", "c.example", 1),
        ("hub.example", "a.example", 1),
        ("hub.example", "b.example", 1),
    ]
)
# (domain, score, in_domains), best first
AUTHORITY = [
    ("hub.example", 100, 4),
    ("b.example", 87, 2),
    ("a.example", 74, 1),
    ("c.example", 22, 1),
    ("d.example", 0, 0),
    ("e.example", 0, 0),
]


def test_pagerank_does_not_depend_on_the_hash_seed():
    code = (
        "from backlink_spider.authority import pagerank; "
        f"print([(s.domain, s.pagerank) for s in pagerank({[(a, b) for a, b, _ in DOMAIN_LINKS]!r})])"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1


@pytest.fixture
def graph_output(tmp_path):
    out = tmp_path / "output"
    write_crawl(out, "c1", CRAWL_ONE)
    write_crawl(out, "c2", CRAWL_TWO)
    return out


def test_pagerank_orders_a_known_graph():
    edges = [(s, t) for s, t, _ in DOMAIN_LINKS]
    assert [(s.domain, s.score, s.in_domains) for s in pagerank(edges)] == AUTHORITY
    # duplicates and self-links change nothing; the same graph in any order gives the same scores
    assert pagerank(reversed(edges + edges + [("a.example", "a.example")])) == pagerank(edges)
    assert pagerank([]) == []


def test_loader_builds_the_graph_and_scores_on_both_databases(warehouse, graph_output, tmp_path, capsys):
    csv_file = tmp_path / "authority.csv"
    assert warehouse.load(graph_output, "--write-domain-authority", str(csv_file)) == 0
    printed = capsys.readouterr().out
    assert f"[{warehouse.kind}] domain_authority: 6 domains scored" in printed
    assert f"[{warehouse.kind}] wrote 6 domain scores to {csv_file}" in printed
    assert (
        sorted(warehouse.query("SELECT source_domain, target_domain, pages FROM domain_links"))
        == DOMAIN_LINKS
    )
    rows = warehouse.query(
        "SELECT domain, score, in_domains FROM domain_authority ORDER BY score DESC, pagerank DESC, domain"
    )
    assert rows == AUTHORITY
    # referring_domains shows the referring domain's standing
    assert warehouse.query(
        "SELECT source_domain, authority, authority_in_domains FROM referring_domains"
    ) == [("a.example", 74, 1)]
    # the CSV round trip: what the crawl reads is what the warehouse holds
    assert csv_file.read_text(encoding="utf-8") == (
        "domain,score,in_domains\n"
        "hub.example,100,4\nb.example,87,2\na.example,74,1\nc.example,22,1\nd.example,0,0\ne.example,0,0\n"
    )
    assert read_authority(csv_file) == {d: s for d, s, _ in AUTHORITY}
    # a second load (nothing new) recomputes the same table
    assert warehouse.load(graph_output) == 0
    assert warehouse.query("SELECT count(*) FROM domain_authority") == [(6,)]


def test_the_crawl_scores_authority_from_the_file(tmp_path):
    warehouse = Warehouse("duckdb", str(tmp_path / "wh.duckdb"), ["--duckdb", str(tmp_path / "wh.duckdb")])
    # our graph: three domains link to coffee-news.example, none to linkfarm.example
    out = tmp_path / "graph"
    write_crawl(
        out,
        "g1",
        [
            page("g1", T1, "https://x.example/", ["coffee-news.example", "y.example"]),
            page("g1", T1, "https://y.example/", ["coffee-news.example"]),
            page("g1", T1, "https://z.example/", ["coffee-news.example", "x.example"]),
        ],
    )
    csv_file = tmp_path / "authority.csv"
    assert warehouse.load(out, "--write-domain-authority", str(csv_file)) == 0
    assert read_authority(csv_file)["coffee-news.example"] == 100
    with quality_web() as web:
        result = run_crawl(
            {"target": "brewbird.io", "seeds": ",".join(SEEDS), "depth": "0", "render": "never"},
            tmp_path / "crawl",
            {**web, "DOMAIN_AUTHORITY_FILE": str(csv_file)},
        )
    assert result.returncode == 0, result.stderr[-3000:]
    found = sorted(
        (b["source_url"], b["target_url"], b["quality"], b["quality_reasons"][-1])
        for b in result.records("backlink")
    )
    assert found == [
        (
            "http://coffee-news.example/blog/burr-grinders",
            "https://brewbird.io/",
            70,
            "referring domain authority 100/100 +20",
        ),
        (
            "http://coffee-news.example/blog/burr-grinders",
            "https://brewbird.io/grinders",
            100,
            "referring domain authority 100/100 +20",
        ),
        (
            "http://coffee-news.example/blog/descaling",
            "https://brewbird.io/",
            70,
            "referring domain authority 100/100 +20",
        ),
        (
            "http://coffee-news.example/blog/descaling",
            "https://brewbird.io/kettles",
            50,
            "referring domain authority 100/100 +20",
        ),
        (
            "http://linkfarm.example/partners",
            "https://brewbird.io/grinders",
            35,
            "referring domain authority unknown: linkfarm.example not in authority.csv (not scored)",
        ),
    ]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (None, "DOMAIN_AUTHORITY_FILE {path}: cannot read: No such file or directory"),
        (
            "site,rank\nx.example,3\n",
            "DOMAIN_AUTHORITY_FILE {path}:1: expected the header domain,score,in_domains "
            "(write it with backlinks-load --write-domain-authority FILE)",
        ),
        (
            "domain,score,in_domains\nx.example,high,3\n",
            "DOMAIN_AUTHORITY_FILE {path}:2: the score must be an integer 0-100",
        ),
        (
            "domain,score,in_domains\nx.example,7,1\ny.example,170,2\n",
            "DOMAIN_AUTHORITY_FILE {path}:3: expected a domain and a score 0-100",
        ),
    ],
)
def test_a_bad_authority_file_is_one_line_before_any_work(tmp_path, content, error):
    path = tmp_path / "authority.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(AuthorityFileError) as raised:
        read_authority(path)
    assert str(raised.value) == error.format(path=path)
    result = run_crawl(
        {"target": "brewbird.io", "seeds": "http://127.0.31.9:9/"},
        tmp_path / "out",
        {"DOMAIN_AUTHORITY_FILE": str(path)},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"scrapy crawl mentions: error: {error.format(path=path)}"]
    assert not (tmp_path / "out" / "page").exists()


CC_RANKS = (
    "#harmonicc_pos\t#harmonicc_val\t#pr_pos\t#pr_val\t#host_rev\t#n_hosts\n"
    "1\t3.1E7\t2\t0.012\tcom.facebook\t9000\n"
    "2\t3.0E7\t1\t0.015\tcom.google\t12000\n"
    "10\t2.2E7\t14\t0.002\tio.brewbird\t3\n"
    "100\t1.1E7\t120\t0.0001\texample.coffee-news\t1\n"
    "1000\t5.0E6\t900\t0.00001\tnet.partner-1\t1\n"
)


def test_a_common_crawl_domain_ranks_file_becomes_an_authority_file(tmp_path):
    assert [(s.domain, s.score) for s in common_crawl_scores(CC_RANKS.splitlines(keepends=True))] == [
        ("facebook.com", 100),
        ("google.com", 90),
        ("brewbird.io", 67),
        ("coffee-news.example", 33),
        ("partner-1.net", 0),
    ]
    ranks = tmp_path / "cc-main-domain-ranks.txt.gz"
    with gzip.open(ranks, "wt", encoding="utf-8") as handle:
        handle.write(CC_RANKS)
    done = subprocess.run(
        [sys.executable, "-m", "backlink_spider.authority", "common-crawl", str(ranks), "--top", "100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "domain,score,in_domains\nfacebook.com,100,0\ngoogle.com,85,0\nbrewbird.io,50,0\ncoffee-news.example,0,0\n"
    )
    path = tmp_path / "cc.csv"
    path.write_text(done.stdout, encoding="utf-8")
    assert read_authority(path)["brewbird.io"] == 50
