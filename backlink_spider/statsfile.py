"""CrawlStatsFile extension: the crawl's final Scrapy stats as JSON, next to its output:
`OUTPUT_DIR/stats/<crawl_id>.json` (remote OUTPUT_DIR: published like the other files).

Monitoring reads it instead of scraping the log: `{"finish_reason": "finished", "item_scraped_count":
..., "discovery/hackernews/failed": 1, "egress/refused": 3, ...}` (datetimes as ISO 8601 strings).
The tests and the benchmarks read it too. Written when the engine stops, after every other
extension has counted its work; `STATS_FILE_ENABLED = False` turns it off.
"""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from pipelines.storage import OutputLocation, write_atomically

logger = logging.getLogger(__name__)


def stats_path(output_dir: str | Path, crawl_id: str) -> Path:
    return Path(output_dir) / "stats" / f"{crawl_id}.json"


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


class CrawlStatsFile:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.location = OutputLocation.for_crawler(crawler)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlStatsFile:
        if not crawler.settings.getbool("STATS_FILE_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.crawl_id = getattr(spider, "crawl_id", None)

    async def engine_stopped(self) -> None:
        """Written last, when every extension has counted what it did (alerts included)."""
        crawl_id = getattr(self, "crawl_id", None)
        if not crawl_id:
            return
        stats = {key: _plain(value) for key, value in sorted(self.crawler.stats.get_stats().items())}
        path = write_atomically(
            stats_path(self.location.local, crawl_id),
            orjson.dumps(stats, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS, default=str),
        )
        self.location.publish(path)
        await self.location.flush()
        self.location.cleanup()
