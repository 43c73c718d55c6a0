"""Link monitoring: crawl the demo web, change it (a link removed, a rel changed), and `recheck`
reports exactly those changes, reading the known links from JSONL or from the DuckDB warehouse."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest

from demo.serve import DemoWeb
from tests.conftest import ROOT, run_crawl

BLOG_POST = "/2026/03/cold-brew-at-home/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.10.1", 0))
        return probe.getsockname()[1]


def settings_for(web):
    return web.crawl_settings()


@pytest.fixture(scope="module")
def known_and_changed(tmp_path_factory):
    """A crawl of the demo web, then the same web (same addresses) with the `changed` overlay."""
    out = tmp_path_factory.mktemp("known")
    port = free_port()
    with DemoWeb(port=port) as web:
        args = {
            "target": "brewbird.io",
            "seeds": ",".join(web.seeds),
            "depth": "2",
            "render": "never",
            "check_links": "false",
        }
        result = run_crawl(args, out, {**settings_for(web), "CRAWL_ID": "before"})
        assert result.returncode == 0, result.stderr[-2000:]
    web = DemoWeb(port=port, overlay="changed")
    web.start()
    yield out, web
    web.stop()


def recheck(web, known, out):
    result = run_crawl(
        {"target": "brewbird.io", "known": str(known), "render": "never"},
        out,
        {**settings_for(web), "CRAWL_ID": "recheck"},
        spider="recheck",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def check(web, result, known_count):
    records = result.records("link_status")
    blog = web.urls["blog"] + BLOG_POST
    not_live = {
        (
            r["source_url"],
            r["target_url"],
            r["status"],
            r["reason"],
            json.dumps(r["before"]),
            json.dumps(r["after"]),
        )
        for r in records
        if r["status"] != "live"
    }
    assert not_live == {
        (
            blog,
            "https://blog.brewbird.io/guides/cold-brew",
            "lost",
            "link removed",
            json.dumps(
                {
                    "anchor_text": "the BrewBird cold brew guide",
                    "rel": [],
                    "target_url": "https://blog.brewbird.io/guides/cold-brew",
                }
            ),
            "null",
        ),
        (
            blog,
            "https://brewbird.io/",
            "changed",
            "rel changed",
            json.dumps({"anchor_text": "", "rel": [], "target_url": "https://brewbird.io/"}),
            json.dumps({"anchor_text": "", "rel": ["nofollow"], "target_url": "https://brewbird.io/"}),
        ),
    }
    assert len(records) == known_count
    assert all(r["previous_crawl_id"] == "before" and r["page_status"] == 200 for r in records)
    assert result.records("page") == []  # a recheck is not a discovery crawl


def test_recheck_from_jsonl_reports_exactly_the_changes(known_and_changed, tmp_path):
    known, web = known_and_changed
    known_count = sum(1 for line in (known / "backlink").glob("dt=*/*.jsonl") for _ in line.open())
    check(web, recheck(web, known, tmp_path), known_count)


def test_recheck_from_the_duckdb_warehouse(known_and_changed, tmp_path):
    known, web = known_and_changed
    database = tmp_path / "warehouse.duckdb"
    load = subprocess.run(
        [sys.executable, "-m", "pipelines.warehouse.load", str(known), "--duckdb", str(database)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert load.returncode == 0, load.stderr
    known_count = sum(1 for line in (known / "backlink").glob("dt=*/*.jsonl") for _ in line.open())
    check(web, recheck(web, database, tmp_path / "out"), known_count)


def test_a_site_that_does_not_answer_loses_no_link(known_and_changed, tmp_path):
    known, web = known_and_changed
    web.stop()  # every known page now refuses connections: that proves nothing about the links
    try:
        result = recheck(web, known, tmp_path)
    finally:
        web.start()
    records = result.records("link_status")
    assert records and {r["status"] for r in records} == {"unverified"}
    assert {r["reason"] for r in records} == {
        "connection refused: Connection was refused by other side: 111: Connection refused."
    }
    assert all(r["page_status"] is None and r["after"] is None for r in records)


def test_bad_known_is_one_line(tmp_path):
    result = run_crawl(
        {"target": "brewbird.io", "known": str(tmp_path / "nothing")}, tmp_path / "out", spider="recheck"
    )
    assert result.returncode == 2
    assert result.stderr == (
        f"scrapy crawl recheck: error: -a known={tmp_path / 'nothing'}: "
        "not an output directory with backlink records\n"
    )
