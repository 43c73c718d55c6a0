"""DedupePipeline: each record is written once per crawl.

A record's identity is its `record_id` (a hash of the fields that identify it, computed from
canonical URLs, see records.py), so one page reached as `http://x/a`, `https://x/a#top` and
`https://x/a?utm_source=y` yields one `page` record and one set of backlinks and mentions.
Stats: `dedupe/dropped`, `dedupe/kept`.
"""

from __future__ import annotations

import hashlib

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler, load_object


class MemorySeenSet:
    """Seen record keys in this process (16-byte digests)."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def add(self, key: str) -> bool:
        """Remember `key`; True when it was new."""
        digest = hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True


class DuplicateRecord(DropItem):
    def __init__(self, message: str) -> None:
        super().__init__(message, log_level="DEBUG")


class DedupePipeline:
    def __init__(self, crawler: Crawler, seen: MemorySeenSet) -> None:
        self.crawler = crawler
        self.seen = seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        # DEDUPE_SEEN_SET: import path of the seen-set class; unset = this process's memory.
        # The Redis add-on (backlink_spider.distributed) sets a Redis SET shared by all processes.
        path = crawler.settings.get("DEDUPE_SEEN_SET")
        seen = build_from_crawler(load_object(path), crawler) if path else MemorySeenSet()
        return cls(crawler, seen)

    def process_item(self, item):  # noqa: ANN001, ANN201
        adapter = ItemAdapter(item)
        key = f"{adapter.get('type')}:{adapter.get('record_id')}"
        if not self.seen.add(key):
            self.crawler.stats.inc_value("dedupe/dropped")
            raise DuplicateRecord(f"duplicate {key}")
        self.crawler.stats.inc_value("dedupe/kept")
        return item
