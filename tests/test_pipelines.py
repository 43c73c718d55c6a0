"""The dedupe and JSONL pipelines, driven as Scrapy drives them."""

import asyncio
from pathlib import Path

import orjson
import pytest
from scrapy.utils.test import get_crawler

from backlink_spider.records import Backlink, Page
from pipelines.dedupe import DedupePipeline, DuplicateRecord
from pipelines.jsonl import JsonlWriterPipeline


class FakeSpider:
    crawl_id = "c1"


def page(url, **extra):
    return Page(
        crawl_id="c1", crawled_at="2026-11-24T00:00:00.000000Z", url=url, status=200, rendered=False, **extra
    )


def writer(tmp_path, rotate=100_000):
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(tmp_path), "OUTPUT_ROTATE_RECORDS": rotate})
    crawler.spider = FakeSpider()
    return JsonlWriterPipeline.from_crawler(crawler)


def visible(tmp_path):
    return sorted(str(p.relative_to(tmp_path)) for p in Path(tmp_path).rglob("*.jsonl"))


def test_url_variants_are_one_record():
    crawler = get_crawler()
    dedupe = DedupePipeline.from_crawler(crawler)
    dedupe.process_item(page("https://forum.example/t/1"))
    for variant in (
        "http://forum.example/t/1",
        "https://forum.example/t/1#reply-3",
        "https://forum.example/t/1/?utm_source=x&fbclid=1",
    ):
        with pytest.raises(DuplicateRecord):
            dedupe.process_item(page(variant))
    dedupe.process_item(page("https://forum.example/t/2"))
    assert crawler.stats.get_value("dedupe/dropped") == 3
    assert crawler.stats.get_value("dedupe/kept") == 2


def test_backlink_identity_uses_canonical_urls():
    one = Backlink(
        crawl_id="a",
        crawled_at="x",
        source_url="http://b.example/p#x",
        target_url="https://acme.com/",
        anchor_text="Acme",
        rel=[],
    )
    two = Backlink(
        crawl_id="b",
        crawled_at="y",
        source_url="https://b.example/p",
        target_url="http://acme.com",
        anchor_text="Acme",
        rel=["nofollow"],
    )
    assert one.record_id == two.record_id  # stable across crawls, so loads can upsert


def test_files_appear_only_when_complete(tmp_path):
    pipeline = writer(tmp_path)
    for n in range(3):
        pipeline.process_item(page(f"https://x.example/{n}"))
    # written so far, but only under a hidden temporary name
    assert visible(tmp_path) == []
    partial = list(Path(tmp_path).rglob(".*.partial"))
    assert len(partial) == 1
    asyncio.run(pipeline.close_spider())
    [name] = visible(tmp_path)
    assert name.startswith("page/dt=") and name.endswith("/c1-00001.jsonl")
    lines = (tmp_path / name).read_bytes().splitlines()
    records = [orjson.loads(line) for line in lines]
    assert [r["url"] for r in records] == [
        "https://x.example/0",
        "https://x.example/1",
        "https://x.example/2",
    ]
    assert list(records[0])[:6] == ["type", "schema_version", "record_id", "crawl_id", "target", "crawled_at"]
    assert not list(Path(tmp_path).rglob(".*.partial"))


def test_rotation_by_record_count(tmp_path):
    pipeline = writer(tmp_path, rotate=2)
    for n in range(5):
        pipeline.process_item(page(f"https://x.example/{n}"))
    assert [Path(p).name for p in visible(tmp_path)] == ["c1-00001.jsonl", "c1-00002.jsonl"]
    asyncio.run(pipeline.close_spider())
    assert [Path(p).name for p in visible(tmp_path)] == ["c1-00001.jsonl", "c1-00002.jsonl", "c1-00003.jsonl"]


def test_output_to_a_uri_goes_through_scrapys_feed_storages(demo_web, tmp_path):
    """OUTPUT_DIR as a URI: every file (records, summary, leads CSV, report) is handed to the
    feed storage of its scheme (file:// here; s3:// and gs:// use the same path) and the local
    staging copies are removed."""
    from tests.conftest import demo_settings, run_crawl

    destination = tmp_path / "remote"
    result = run_crawl(
        {"target": "brewbird.io", "seeds": demo_web.urls["blog"] + "/", "depth": "1", "render": "never"},
        tmp_path / "unused",
        {**demo_settings(demo_web), "OUTPUT_DIR": destination.as_uri()},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    names = sorted(str(p.relative_to(destination)).split("/dt=")[0] for p in destination.rglob("*.jsonl"))
    assert names == ["backlink", "lead", "mention", "page", "prospect", "summary"]  # (/write-for-us/)
    assert (destination / "exports" / "leads-test.csv").is_file()
    assert (destination / "reports" / "test.html").is_file()
    assert not list(destination.rglob(".*.partial"))
    assert f"records: {destination.as_uri()}/<type>/dt=*/test-*.jsonl" in result.stdout
