"""JsonlWriterPipeline: records as JSON lines (orjson), one dataset per record type.

Layout: OUTPUT_DIR/<type>/dt=YYYY-MM-DD/<crawl_id>-<part>.jsonl (Hive-style partition by the
crawl's start date). A part is written as a hidden `.<name>.partial` file and renamed to its
final name only when complete (after OUTPUT_ROTATE_RECORDS records, or when the crawl closes),
so a reader or loader never sees a half-written file, also when the crawl is killed.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import orjson
from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)


class _Part:
    def __init__(self, final: Path) -> None:
        self.final = final
        self.partial = final.with_name(f".{final.name}.partial")
        final.parent.mkdir(parents=True, exist_ok=True)
        self.file: IO[bytes] = open(self.partial, "wb")  # noqa: SIM115
        self.count = 0

    def write(self, line: bytes) -> None:
        self.file.write(line)
        self.count += 1

    def close(self) -> Path:
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        os.replace(self.partial, self.final)
        return self.final


class JsonlWriterPipeline:
    def __init__(self, crawler: Crawler, output_dir: str, rotate: int) -> None:
        self.crawler = crawler
        self.output_dir = Path(output_dir)
        self.rotate = max(1, rotate)
        self.parts: dict[str, _Part] = {}
        self.part_numbers: dict[str, int] = {}
        self.written: list[Path] = []
        self.date = datetime.now(UTC).strftime("%Y-%m-%d")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonlWriterPipeline:
        settings = crawler.settings
        return cls(crawler, settings.get("OUTPUT_DIR") or "output", settings.getint("OUTPUT_ROTATE_RECORDS"))

    @property
    def crawl_id(self) -> str:
        return getattr(self.crawler.spider, "crawl_id", None) or "crawl"

    def _part(self, record_type: str) -> _Part:
        part = self.parts.get(record_type)
        if part is None:
            number = self.part_numbers.get(record_type, 0) + 1
            self.part_numbers[record_type] = number
            name = f"{self.crawl_id}-{number:05d}.jsonl"
            part = _Part(self.output_dir / record_type / f"dt={self.date}" / name)
            self.parts[record_type] = part
        return part

    def process_item(self, item):  # noqa: ANN001, ANN201
        adapter = ItemAdapter(item)
        record_type = str(adapter.get("type") or "record")
        part = self._part(record_type)
        part.write(orjson.dumps(adapter.asdict(), option=orjson.OPT_APPEND_NEWLINE))
        self.crawler.stats.inc_value(f"output/records/{record_type}")
        if part.count >= self.rotate:
            self._finish(record_type)
        return item

    def _finish(self, record_type: str) -> None:
        path = self.parts.pop(record_type).close()
        self.written.append(path)
        self.crawler.stats.inc_value("output/files")

    def close_spider(self) -> None:
        for record_type in list(self.parts):
            self._finish(record_type)
        for path in self.written:
            logger.info("Wrote %s", path)
