"""backlinks-load into DuckDB and into a real PostgreSQL server started for the session.

Two crawls of one target are written with the real record classes and the real JSONL writer; the second
crawl loses one backlink and gains one. They are loaded, loaded again, and the tables and views are
compared row by row with what they must hold.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from scrapy.utils.test import get_crawler

from backlink_spider.records import RECORD_TYPES, Backlink, LinkStatus, Mention, Page, Record, Summary
from backlink_spider.report import read_crawl
from backlink_spider.report.numbers import link_change_records
from pipelines.jsonl import JsonlWriterPipeline
from pipelines.warehouse import load
from tests.warehouse_db import Warehouse

TARGET = "brewbird.io"
T1 = "2026-11-01T10:00:00.000000Z"
T2 = "2026-11-08T10:00:00.000000Z"


# --- two crawls -----------------------------------------------------------------------------------


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC).replace(tzinfo=None)


class FakeSpider:
    def __init__(self, crawl_id: str) -> None:
        self.crawl_id = crawl_id


def write_crawl(output_dir: Path, crawl_id: str, records: list[Record], rotate: int = 2) -> None:
    """Write records as the crawler does (JsonlWriterPipeline, small parts to get several files)."""
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(output_dir), "OUTPUT_ROTATE_RECORDS": rotate})
    crawler.spider = FakeSpider(crawl_id)
    pipeline = JsonlWriterPipeline.from_crawler(crawler)
    for record in records:
        pipeline.process_item(record)
    asyncio.run(pipeline.close_spider())


def other_partition(type_dir: Path) -> Path:
    """A new date partition beside the ones the writer made (it writes today's: never assume a date)."""
    written = {p.name for p in type_dir.glob("dt=*")}
    day = next(f"dt=2000-01-{n:02d}" for n in range(1, 29) if f"dt=2000-01-{n:02d}" not in written)
    (type_dir / day).mkdir()
    return type_dir / day


def page(crawl_id, at, url, title, **extra):
    return Page(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        url=url,
        status=200,
        rendered=False,
        title=title,
        **extra,
    )


def backlink(crawl_id, at, source_url, target_url, anchor, rel=(), **extra):
    rel = list(rel)
    return Backlink(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        source_url=source_url,
        target_url=target_url,
        anchor_text=anchor,
        rel=rel,
        nofollow="nofollow" in rel,
        ugc="ugc" in rel,
        sponsored="sponsored" in rel,
        source_domain=source_url.split("/")[2],
        target_domain=target_url.split("/")[2],
        **extra,
    )


def mention(crawl_id, at, source_url, snippet, occurrence=1, position="content", unlinked=True, linked=False):
    return Mention(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        source_url=source_url,
        term="brewbird",
        matched_text="BrewBird",
        snippet=snippet,
        position=position,
        occurrence=occurrence,
        unlinked=unlinked,
        linked=linked,
    )


BLOG = "https://blog.example/review"
FORUM = "https://forum.example/t/1"
NEWS = "https://news.example/story"
LIST = "https://list.example/tools"
DOCS = "https://docs.example/guide"
HOME = "https://brewbird.io/"
KETTLE = "https://brewbird.io/kettle"
FORUM_SHORT = "BrewBird?"
FORUM_LONG = "I switched to the BrewBird burr grinder last month and retention went way down."


def crawl_one() -> list[Record]:
    c, at = "c1", T1
    return [
        page(c, at, BLOG, "A review", backlinks=1, mentions=1),
        page(c, at, FORUM, "Forum thread", mentions=2),
        page(c, at, NEWS, "Story", mentions=1),
        page(c, at, LIST, "Tools list", backlinks=2),
        backlink(c, at, BLOG, HOME, "BrewBird"),
        backlink(c, at, LIST, KETTLE, "Kettle", rel=["nofollow"]),
        backlink(c, at, LIST, HOME, "BrewBird home"),  # lost in crawl 2
        mention(c, "2026-11-01T10:00:01.000000Z", FORUM, FORUM_SHORT, 1, position="comment"),
        mention(c, "2026-11-01T10:00:01.000000Z", FORUM, FORUM_LONG, 2, position="content"),
        mention(c, at, NEWS, "BrewBird raised $18 million.", 1),
        mention(c, at, BLOG, "BrewBird", 1, unlinked=False, linked=True),
    ]


def crawl_two() -> list[Record]:
    c, at = "c2", T2
    return [
        page(c, at, BLOG, "A review", backlinks=1, mentions=1),
        page(c, at, FORUM, "Forum thread (edited)", mentions=2),
        page(c, at, NEWS, "Story", backlinks=1, mentions=1),
        page(c, at, LIST, "Tools list", backlinks=1),
        page(c, at, DOCS, "A guide", mentions=1),
        backlink(c, at, BLOG, HOME, "BrewBird"),
        backlink(c, at, LIST, KETTLE, "Kettle", rel=["nofollow"]),
        backlink(c, at, NEWS, HOME, "BrewBird", position="footer"),  # new in crawl 2
        mention(c, at, FORUM, FORUM_SHORT, 1, position="comment"),
        mention(c, at, FORUM, FORUM_LONG, 2, position="content"),
        mention(c, at, NEWS, "BrewBird raised $18 million.", 1),  # the page links now: not a lead
        mention(c, at, BLOG, "BrewBird", 1, unlinked=False, linked=True),
        mention(c, at, DOCS, "Set up your BrewBird kettle with the app in five minutes flat.", 1),
    ]


EXPECTED_COUNTS = {"page": 9, "backlink": 6, "mention": 9}

OUTREACH = sorted(
    [
        (
            TARGET,
            "c2",
            DOCS,
            "A guide",
            "Set up your BrewBird kettle with the app in five minutes flat.",
            1,
            ts(T2),
        ),
        (TARGET, "c2", FORUM, "Forum thread (edited)", FORUM_LONG, 2, ts("2026-11-01T10:00:01Z")),
    ]
)
REFERRING = sorted(  # (authority, authority_in_domains: these pages carry no linked_domains)
    [
        (TARGET, "blog.example", 1, 1.0, ts(T1), ts(T2), None, None),
        (TARGET, "list.example", 1, 0.0, ts(T1), ts(T2), None, None),
        (TARGET, "news.example", 1, 1.0, ts(T2), ts(T2), None, None),
    ]
)
CHANGES = sorted(
    [
        (TARGET, "c2", "c1", "lost", LIST, HOME, "BrewBird home"),
        (TARGET, "c2", "c1", "new", NEWS, HOME, "BrewBird"),
    ]
)


def write_changes(out: Path, crawl_id: str, previous_id: str) -> None:
    """The link_change records the crawl writes at its end (extensions.CrawlSummary)."""
    records = link_change_records(
        crawl_id, TARGET, read_crawl(out, crawl_id), previous_id, read_crawl(out, previous_id)
    )
    write_crawl(out, crawl_id, records, rotate=100)


@pytest.fixture
def two_crawls(tmp_path) -> Path:
    out = tmp_path / "output"
    write_crawl(out, "c1", crawl_one())
    write_crawl(out, "c2", crawl_two())
    write_changes(out, "c2", "c1")
    return out


def counts(warehouse: Warehouse) -> dict[str, int]:
    return {t: warehouse.count(t) for t in EXPECTED_COUNTS}


def assert_views(warehouse: Warehouse) -> None:
    assert sorted(warehouse.query("SELECT * FROM outreach_queue")) == OUTREACH
    assert sorted(warehouse.query("SELECT * FROM referring_domains")) == REFERRING
    assert sorted(warehouse.query("SELECT * FROM link_changes")) == CHANGES


# --- tests ----------------------------------------------------------------------------------------


def test_load_twice_is_idempotent(warehouse, two_crawls, capsys):
    assert warehouse.load(two_crawls) == 0
    first = capsys.readouterr().out
    assert counts(warehouse) == EXPECTED_COUNTS
    assert "backlink: 4 files (4 loaded, 0 unchanged), 6 rows loaded, 0 bad lines, 6 rows in table" in first
    assert_views(warehouse)
    files = warehouse.count("loaded_files")
    assert files == len(list(two_crawls.rglob("*.jsonl")))

    assert warehouse.load(two_crawls) == 0
    second = capsys.readouterr().out
    assert "page: 5 files (0 loaded, 5 unchanged), 0 rows loaded, 0 bad lines, 9 rows in table" in second
    assert counts(warehouse) == EXPECTED_COUNTS
    assert warehouse.count("loaded_files") == files
    assert_views(warehouse)
    # Every type in RECORD_TYPES has its table, also when no file of it exists.
    for record_type in RECORD_TYPES:
        warehouse.count(record_type)


def test_overlapping_and_changed_files_leave_no_duplicates(warehouse, tmp_path, capsys):
    out = tmp_path / "output"
    write_crawl(out, "c1", crawl_one())
    assert warehouse.load(out) == 0
    assert counts(warehouse) == {"page": 4, "backlink": 3, "mention": 4}
    assert sorted(warehouse.query("SELECT * FROM link_changes")) == []  # one crawl: nothing to compare

    write_crawl(out, "c2", crawl_two())
    write_changes(out, "c2", "c1")
    # The same records of crawl 1 again, in another file (e.g. a re-run written to another partition).
    copy = other_partition(out / "backlink") / "c1-00009.jsonl"
    copy.write_bytes(b"".join(p.read_bytes() for p in sorted(out.glob("backlink/dt=*/c1-*.jsonl"))))
    # A file touched since it was loaded is read again (and changes nothing).
    touched = sorted(out.glob("page/dt=*/c1-*.jsonl"))[0]
    os.utime(touched, (1_800_000_000, 1_800_000_000))
    capsys.readouterr()
    assert warehouse.load(out) == 0
    summary = capsys.readouterr().out
    assert "page: 5 files (4 loaded, 1 unchanged)" in summary  # 3 new parts of c2 + the touched one
    assert "backlink: 5 files (3 loaded, 2 unchanged), 6 rows loaded" in summary
    assert counts(warehouse) == EXPECTED_COUNTS
    assert_views(warehouse)


def test_bad_lines_partial_files_and_missing_fields(warehouse, tmp_path, capsys):
    out = tmp_path / "output"
    write_crawl(out, "c1", crawl_one())
    good = orjson.loads(next(out.glob("backlink/dt=*/c1-00001.jsonl")).read_bytes().splitlines()[0])
    old = {k: v for k, v in good.items() if k != "target"} | {"crawl_id": "old", "extra_field": 1}
    lines = [
        orjson.dumps(old),  # 1: no `target` (older files): loaded, target NULL; unknown field ignored
        b"{not json",  # 2
        b"",  # blank: ignored
        b"[1, 2]",  # 4: not an object
        orjson.dumps(good | {"nofollow": "yes"}),  # 5: wrong type
        orjson.dumps(good | {"record_id": None}),  # 6: no key
        orjson.dumps(good | {"type": "page"}),  # 7: another type
        orjson.dumps(good | {"crawled_at": "yesterday"}),  # 8: not a timestamp
    ]
    bad = other_partition(out / "backlink") / "zz-00001.jsonl"
    bad.write_bytes(b"\n".join(lines) + b"\n")
    (bad.parent / ".c3-00001.jsonl.partial").write_bytes(orjson.dumps(good | {"crawl_id": "c3"}) + b"\n")
    capsys.readouterr()
    assert warehouse.load(out) == 0
    captured = capsys.readouterr()
    for number in (2, 4, 5, 6, 7, 8):
        assert f"{bad}:{number}: " in captured.err
    assert f"{bad}:1:" not in captured.err and f"{bad}:3:" not in captured.err
    assert "ignoring unknown fields: extra_field" in captured.err
    assert ", 6 bad lines, 4 rows in table" in captured.out
    assert warehouse.count("backlink") == 4
    assert warehouse.query("SELECT target FROM backlink WHERE crawl_id = 'old'") == [(None,)]
    assert warehouse.query("SELECT count(*) FROM backlink WHERE crawl_id = 'c3'") == [(0,)]
    assert warehouse.query(f"SELECT bad_lines, rows FROM loaded_files WHERE path = '{bad.resolve()}'") == [
        (6, 1)
    ]


def test_types_option_loads_only_those(warehouse, two_crawls, capsys):
    assert warehouse.load(two_crawls, "--types", "backlink,link_change") == 0
    assert "page:" not in capsys.readouterr().out
    assert warehouse.count("backlink") == 6 and warehouse.count("page") == 0
    assert sorted(warehouse.query("SELECT * FROM link_changes")) == CHANGES


def test_any_record_type_gets_a_table(warehouse, tmp_path, monkeypatch):
    """A type added to RECORD_TYPES later (floats, dicts, `_at` timestamps, nullable lists) loads as is."""

    @dataclass(kw_only=True)
    class Probe(Record):
        TYPE = "probe"
        url: str
        score: float
        checked_at: str | None = None
        headers: dict = field(default_factory=dict)
        tags: list[str] | None = None
        ok: bool = True

        def identity(self):
            return (self.url,)

    monkeypatch.setitem(RECORD_TYPES, "probe", Probe)
    out = tmp_path / "output"
    write_crawl(
        out,
        "p1",
        [
            Probe(
                crawl_id="p1",
                target=TARGET,
                crawled_at=T1,
                url="https://a.example/",
                score=0.25,
                checked_at="2026-11-01T12:30:00+02:00",
                headers={"server": "nginx"},
                tags=["x", "y"],
            ),
            Probe(crawl_id="p1", target=TARGET, crawled_at=T1, url="https://b.example/", score=1, ok=False),
        ],
    )
    assert warehouse.load(out, "--types", "probe") == 0
    rows = warehouse.query("SELECT url, score, checked_at, tags, ok FROM probe ORDER BY url")
    assert rows == [
        ("https://a.example/", 0.25, datetime(2026, 11, 1, 10, 30), ["x", "y"], True),
        ("https://b.example/", 1.0, None, None, False),
    ]
    server = "headers->>'server'" if warehouse.kind == "postgres" else "headers->>'$.server'"
    assert warehouse.query(f"SELECT {server} FROM probe WHERE ok") == [("nginx",)]
    assert warehouse.query("SELECT crawl_id, is_latest FROM crawls") == [("p1", True)]


def test_cli_errors(tmp_path, capsys):
    assert load.main([str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"backlinks-load: error: output directory not found: {tmp_path / 'missing'}"
    assert load.main([str(tmp_path), "--types", "page,nope"]) == 2
    assert "unknown record type(s): nope" in capsys.readouterr().err


def test_console_script_is_installed(tmp_path):
    script = Path(sys.executable).with_name("backlinks-load")
    if not script.exists():
        pytest.skip("backlinks-load not installed (pip install -e .)")
    out = tmp_path / "output"
    write_crawl(out, "c1", crawl_one())
    done = subprocess.run([str(script), str(out)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "[duckdb] mention: 2 files (2 loaded, 0 unchanged), 4 rows loaded" in done.stdout
    assert (out / "warehouse.duckdb").is_file()


def test_a_recheck_in_the_same_folder_changes_no_view_and_history_tells_when(warehouse, two_crawls):
    assert warehouse.load(two_crawls) == 0
    views = ("crawls", "outreach_queue", "referring_domains", "link_changes")
    before = {view: sorted(warehouse.query(f"SELECT * FROM {view}")) for view in views}
    assert [row[1] for row in before["crawls"]] == ["c1", "c2"]
    # A recheck of crawl 2's links, written where the crawls are (the README's default), as the
    # recheck spider writes it: link_status records and its summary.
    at = "2026-11-09T10:00:00.000000Z"
    view = {"anchor_text": "Kettle", "rel": ["nofollow"], "target_url": KETTLE}
    write_crawl(
        two_crawls,
        "r1",
        [
            LinkStatus(crawl_id="r1", target=TARGET, crawled_at=at, source_url=BLOG, target_url=HOME,
                       status="live", page_status=200, previous_crawl_id="c2"),
            LinkStatus(crawl_id="r1", target=TARGET, crawled_at=at, source_url=LIST, target_url=KETTLE,
                       status="unverified", reason="HTTP 503", page_status=503, before=view,
                       previous_crawl_id="c2"),
            LinkStatus(crawl_id="r1", target=TARGET, crawled_at=at, source_url=NEWS, target_url=HOME,
                       status="lost", reason="link removed", page_status=200, previous_crawl_id="c2"),
            Summary(crawl_id="r1", target=TARGET, crawled_at=at, spider="recheck", started_at=at,
                    finish_reason="finished", link_status={"live": 1, "unverified": 1, "lost": 1}),
        ],
    )  # fmt: skip
    assert warehouse.load(two_crawls) == 0
    assert {view: sorted(warehouse.query(f"SELECT * FROM {view}")) for view in views} == before
    history = {
        (source, target_url): (first, last, checked, status, count)
        for _, source, target_url, first, last, checked, status, count in warehouse.query(
            "SELECT * FROM backlink_history"
        )
    }
    assert history == {
        (BLOG, HOME): (ts(T1), ts(at), ts(at), "live", 3),
        (LIST, KETTLE): (ts(T1), ts(T2), ts(at), "unverified", 3),  # unverified: never turned lost
        (LIST, HOME): (ts(T1), ts(T1), ts(T2), "lost", 2),  # lost between the crawls
        (NEWS, HOME): (ts(T2), ts(T2), ts(at), "lost", 2),  # the recheck found it removed
    }
