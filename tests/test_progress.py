"""Progress lines while a crawl runs, and a log without Scrapy's startup banner."""

import logging
import re
from collections import Counter

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.utils.test import get_crawler

from backlink_spider.progress import CrawlProgress, QuietStartup, format_progress
from tests.conftest import demo_settings, run_crawl

LINE = re.compile(
    r"progress: (done, )?([\d,]+) pages \(([\d,]+) rendered, ([\d,]+) errors\), ([\d,]+) queued, "
    r"([\d,]+) backlinks, ([\d,]+) mentions, ([\d,]+) pages/min$"
)


def test_progress_line_format():
    counts = Counter(page=1234, rendered=56, error=12, backlink=88, mention=140)
    assert format_progress(counts, 310, 410.4) == (
        "progress: 1,234 pages (56 rendered, 12 errors), 310 queued, 88 backlinks, 140 mentions, "
        "410 pages/min"
    )
    assert format_progress(Counter(), None, 0, done=True) == (
        "progress: done, 0 pages (0 rendered, 0 errors), 0 backlinks, 0 mentions, 0 pages/min"
    )


def test_progress_interval_zero_turns_it_off():
    with pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(get_crawler(settings_dict={"PROGRESS_INTERVAL": 0}))
    assert CrawlProgress.from_crawler(get_crawler(settings_dict={"PROGRESS_INTERVAL": 0.5})).interval == 0.5


def test_records_are_counted_by_type():
    progress = CrawlProgress(get_crawler(), 1.0)
    for item in (
        {"type": "page", "rendered": True, "error": None},
        {"type": "page", "rendered": False, "error": "timeout"},
        {"type": "backlink"},
        {"type": "mention"},
        {"type": "mention"},
    ):
        progress.item_scraped(item)
    assert format_progress(progress.counts, 3, 0) == (
        "progress: 2 pages (1 rendered, 1 errors), 3 queued, 1 backlinks, 2 mentions, 0 pages/min"
    )


def test_quiet_startup_demotes_only_the_banner():
    quiet = QuietStartup()

    def record(name, level, msg):
        entry = logging.LogRecord(name, level, __file__, 1, msg, (), None)
        quiet.filter(entry)
        return entry.levelname

    assert record("scrapy.crawler", logging.INFO, "Overridden settings:\n%(settings)s") == "DEBUG"
    assert record("scrapy.middleware", logging.INFO, "Enabled extensions:\n%(enabled)s") == "DEBUG"
    assert record("scrapy.middleware", logging.WARNING, "Enabled extensions: odd") == "WARNING"
    assert record("scrapy.core.engine", logging.INFO, "Spider opened") == "INFO"
    assert record("backlink_spider.progress", logging.INFO, "progress: 1 pages") == "INFO"


def test_demo_crawl_prints_progress_with_the_final_counts(demo_web, tmp_path):
    result = run_crawl(
        {"target": "brewbird.io", "seeds": ",".join(demo_web.seeds), "depth": "2", "render": "never"},
        tmp_path / "out",
        {**demo_settings(demo_web), "PROGRESS_INTERVAL": "0.2", "QUIET_STARTUP_LOG": "True"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [m for m in (LINE.search(line) for line in result.stderr.splitlines()) if m]
    assert lines, result.stderr[-3000:]
    *running, last = lines
    assert last.group(1) == "done, " and not any(m.group(1) for m in running)
    pages = result.records("page")
    numbers = [int(last.group(n).replace(",", "")) for n in (2, 3, 4, 5, 6, 7)]
    assert numbers == [
        len(pages),
        sum(1 for p in pages if p["rendered"]),
        sum(1 for p in pages if p["error"]),
        0,  # nothing is left in the queue
        len(result.records("backlink")),
        len(result.records("mention")),
    ]
    assert numbers[0] == 42 and numbers[2] == 4  # (the demo web's known counts)
    # counts only grow
    pages_seen = [int(m.group(2).replace(",", "")) for m in lines]
    assert pages_seen == sorted(pages_seen)
    # the startup banner is gone from the default log; our lines and warnings stay
    for banner in (
        "Overridden settings",
        "Enabled extensions",
        "Enabled downloader middlewares",
        "Versions:",
    ):
        assert banner not in result.stderr
    assert "Crawled 0 pages" not in result.stderr  # LogStats: progress replaces it
    assert "] WARNING: Gave up retrying" in result.stderr
    assert "Crawl summary:" in result.stderr
