"""DedupePipeline: each record is written once per crawl.

A record's identity is its `record_id` (a hash of the fields that identify it, computed from
canonical URLs, see records.py), so one page reached as `http://x/a`, `https://x/a#top` and
`https://x/a?utm_source=y` yields one `page` record and one set of backlinks and mentions.
Stats: `dedupe/dropped`, `dedupe/kept`.

Seen-sets: `DEDUPE_SEEN_SET` (an import path) when set, e.g. the Redis SET of a distributed crawl;
else, with `JOBDIR`, the job's on-disk seen-set (`pipelines.state.SqliteSeenSet`: survives a
killed run, bounded memory, see pipelines/state.py); else this process's memory.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.misc import build_from_crawler, load_object

from pipelines.state import JobState, SqliteSeenSet, key_digest, record_key


class MemorySeenSet:
    """Seen record keys in this process (16-byte digests)."""

    def __init__(self) -> None:
        self._seen: set[bytes] = set()

    def add(self, key: str) -> bool:
        """Remember `key`; True when it was new."""
        digest = key_digest(key)
        if digest in self._seen:
            return False
        self._seen.add(digest)
        return True


class DuplicateRecord(DropItem):
    def __init__(self, message: str) -> None:
        super().__init__(message, log_level="DEBUG")


class DedupePipeline:
    def __init__(self, crawler: Crawler, seen: MemorySeenSet | SqliteSeenSet) -> None:
        self.crawler = crawler
        self.seen = seen

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        # DEDUPE_SEEN_SET: import path of the seen-set class; unset = this process's memory.
        # The Redis add-on (backlink_spider.distributed) sets a Redis SET shared by all processes.
        # With JOBDIR (and no DEDUPE_SEEN_SET): the job's seen-set on disk (pipelines/state.py).
        path = crawler.settings.get("DEDUPE_SEEN_SET")
        if path:
            seen = build_from_crawler(load_object(path), crawler)
        else:
            state = JobState.for_crawler(crawler)
            seen = SqliteSeenSet(state) if state is not None else MemorySeenSet()
        return cls(crawler, seen)

    def process_item(self, item):  # noqa: ANN001, ANN201
        adapter = ItemAdapter(item)
        key = record_key(adapter.get("type"), adapter.get("record_id"))
        if not self.seen.add(key):
            self.crawler.stats.inc_value("dedupe/dropped")
            raise DuplicateRecord(f"duplicate {key}")
        self.crawler.stats.inc_value("dedupe/kept")
        return item
