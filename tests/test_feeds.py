"""`-o` feeds: one record type per feed (backlink_spider/feeds.py), on a real crawl of the demo web."""

import csv
import json
import os
import subprocess
import sys

import pytest

from backlink_spider.feeds import record_type_of, with_record_types
from backlink_spider.records import Backlink, Lead, field_names
from tests.conftest import ROOT, CrawlResult, demo_settings, run_crawl

DEMO_ARGS = {"target": "brewbird.io", "depth": "2", "render": "never"}


def crawl_with_feeds(demo_web, out, feeds: list[str], settings: dict | None = None) -> CrawlResult:
    """`scrapy crawl mentions -o FEED ...` as a user types it (conftest's run_crawl takes no
    command-line options), with run_crawl's loopback-only settings."""
    merged = {
        "OUTPUT_DIR": str(out),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "ALLOWED_HOSTS": "127.*",
        "AUTOTHROTTLE_ENABLED": "False",
        "CRAWL_ID": "test",
        **demo_settings(demo_web),
        **(settings or {}),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "mentions"]
    for key, value in {**DEMO_ARGS, "seeds": ",".join(demo_web.seeds)}.items():
        command += ["-a", f"{key}={value}"]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    for feed in feeds:
        command += ["-o", feed]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    return CrawlResult(done.returncode, done.stdout, done.stderr, out)


def csv_rows(path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


@pytest.fixture(scope="module")
def crawled(demo_web, tmp_path_factory):
    out = tmp_path_factory.mktemp("feeds")
    feeds = [str(out / "backlinks.csv"), f"{out / 'leads.csv'}:csv", str(out / "mentions.jsonl")]
    result = crawl_with_feeds(demo_web, out / "output", feeds)
    assert result.returncode == 0, result.stderr[-3000:]
    return out, result


def test_o_backlinks_csv_holds_the_backlink_records_under_their_header(crawled):
    out, result = crawled
    header, rows = csv_rows(out / "backlinks.csv")
    backlinks = result.records("backlink")
    assert header == field_names(Backlink)
    assert len(backlinks) > 0 and len(rows) == len(backlinks)
    assert sorted(row["record_id"] for row in rows) == sorted(b["record_id"] for b in backlinks)
    assert {row["type"] for row in rows} == {"backlink"}


def test_o_with_a_format_and_another_type(crawled):
    out, result = crawled
    header, rows = csv_rows(out / "leads.csv")
    leads = result.records("lead")
    assert header == field_names(Lead)
    assert len(leads) > 0 and len(rows) == len(leads)
    assert sorted(row["record_id"] for row in rows) == sorted(lead["record_id"] for lead in leads)


def test_o_jsonl_named_for_a_type(crawled):
    out, result = crawled
    lines = [json.loads(line) for line in (out / "mentions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {line["type"] for line in lines} == {"mention"}
    assert len(lines) == len(result.records("mention"))


def test_the_readme_feeds_setting_with_item_classes(demo_web, tmp_path):
    """FEEDS with Scrapy's own `item_classes` works with our dataclass records."""
    target = tmp_path / "links-export.csv"
    feeds = {str(target): {"format": "csv", "item_classes": ["backlink_spider.records.Backlink"]}}
    result = run_crawl(
        {**DEMO_ARGS, "seeds": ",".join(demo_web.seeds)},
        tmp_path / "output",
        {**demo_settings(demo_web), "FEEDS": json.dumps(feeds)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    header, rows = csv_rows(target)
    assert header == field_names(Backlink)
    assert len(rows) == len(result.records("backlink")) > 0


@pytest.mark.parametrize(
    ("uri", "kind"),
    [
        ("backlinks.csv", "backlink"),
        ("backlink.csv", "backlink"),
        ("out/leads.jsonl", "lead"),
        ("broken_links.csv", "broken_link"),
        ("broken-links.csv", "broken_link"),
        ("link_statuses.jsonl", "link_status"),
        ("Pages.CSV", "page"),
        ("s3://bucket/exports/mentions.csv", "mention"),
        ("file:///tmp/summary.json", "summary"),
        ("everything.csv", None),
        ("backlinks-%(batch_id)d.csv", None),
    ],
)
def test_the_record_type_a_feed_name_names(uri, kind):
    assert record_type_of(uri) == kind


def test_feeds_that_choose_their_items_are_left_alone():
    feeds = {
        "backlinks.csv": {"format": "csv"},
        "b.csv": {"format": "csv", "item_classes": ["backlink_spider.records.Lead"]},
        "leads.csv": {"format": "csv", "item_filter": "my.Filter"},
        "all.jsonl": {"format": "jsonlines"},
        "all.csv": {"format": "csv"},
    }
    updated, mixed = with_record_types(feeds)
    assert updated == {
        "backlinks.csv": {"format": "csv", "item_classes": ["backlink_spider.records.Backlink"]},
        "b.csv": {"format": "csv", "item_classes": ["backlink_spider.records.Lead"]},
        "leads.csv": {"format": "csv", "item_filter": "my.Filter"},
        "all.jsonl": {"format": "jsonlines"},
        "all.csv": {"format": "csv"},
    }
    assert mixed == ["all.csv"]
