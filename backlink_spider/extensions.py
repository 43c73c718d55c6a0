"""CrawlSummary extension: at the end of every crawl, a `summary` record, a printed summary and
the self-contained HTML report (OUTPUT_DIR/reports/<crawl_id>.html).

It counts the records that made it through the pipelines (`item_scraped`, so duplicates are not
counted) and acts on `spider_closed`, after the pipelines have closed and renamed their files.
Settings: `SUMMARY_ENABLED` (default True), `REPORT_ENABLED` (default True).
"""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from backlink_spider.records import Summary, utc_now
from pipelines.jsonl import _Part

logger = logging.getLogger(__name__)


class CrawlSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.output_dir = Path(crawler.settings.get("OUTPUT_DIR") or "output")
        self.report_enabled = crawler.settings.getbool("REPORT_ENABLED", True)
        self.started_at = utc_now()
        self.types: Counter[str] = Counter()
        self.rendered = 0
        self.errors = 0
        self.referring: set[str] = set()
        self.followed = 0
        self.unlinked_pages: set[str] = set()
        self.reclaim = 0
        self.link_status: Counter[str] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        if not crawler.settings.getbool("SUMMARY_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: Any) -> None:  # noqa: ANN401
        record = ItemAdapter(item)
        kind = record.get("type")
        self.types[kind] += 1
        if kind == "page":
            self.rendered += bool(record.get("rendered"))
            self.errors += bool(record.get("error"))
        elif kind == "backlink":
            self.referring.add(record.get("source_domain"))
            self.followed += not (record.get("nofollow") or record.get("ugc") or record.get("sponsored"))
            self.reclaim += bool(record.get("reclaim"))
        elif kind == "mention" and record.get("unlinked"):
            self.unlinked_pages.add(record.get("source_url"))
        elif kind == "link_status":
            self.link_status[record.get("status")] += 1

    def spider_closed(self, spider: Spider, reason: str) -> None:
        crawl_id = getattr(spider, "crawl_id", None)
        config = getattr(spider, "config", None)
        if crawl_id is None or config is None:  # the crawl never started
            return
        report_path = None
        if self.report_enabled and self.types["backlink"] + self.types["mention"] + self.types["page"]:
            try:
                from backlink_spider.report import write_report

                report_path = str(write_report(self.output_dir, crawl_id))
            except Exception:  # a report problem must never fail the crawl or lose its records
                logger.exception("Could not write the HTML report of crawl %s", crawl_id)
        backlinks = self.types["backlink"]
        summary = Summary(
            crawl_id=crawl_id,
            target=config.target.host,
            crawled_at=utc_now(),
            spider=spider.name,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            started_at=self.started_at,
            finish_reason=reason,
            pages=self.types["page"],
            rendered_pages=self.rendered,
            errors=self.errors,
            backlinks=backlinks,
            referring_domains=len(self.referring),
            followed_share=round(self.followed / backlinks, 3) if backlinks else 0.0,
            mentions=self.types["mention"],
            unlinked_mention_pages=len(self.unlinked_pages),
            leads=self.types["lead"],
            broken_links=self.types["broken_link"],
            reclaim=self.reclaim,
            link_status=dict(self.link_status) or None,
            report=report_path,
        )
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        part = _Part(self.output_dir / "summary" / f"dt={date}" / f"{crawl_id}-00001.jsonl")
        part.write(orjson.dumps(ItemAdapter(summary).asdict(), option=orjson.OPT_APPEND_NEWLINE))
        part.close()
        text = format_summary(summary, self.output_dir)
        logger.info("Crawl summary:\n%s", text)
        print(text, file=sys.stdout, flush=True)


def format_summary(summary: Summary, output_dir: Path) -> str:
    """The printed summary."""
    lines = [
        f"Crawl {summary.crawl_id} of {summary.target} ({summary.spider}, {summary.finish_reason}):",
        f"  pages: {summary.pages} ({summary.rendered_pages} rendered, {summary.errors} with errors)",
    ]
    if summary.link_status:
        lines.append(
            "  known links: " + ", ".join(f"{k} {v}" for k, v in sorted(summary.link_status.items()))
        )
    else:
        lines += [
            f"  backlinks: {summary.backlinks} from {summary.referring_domains} referring domains, "
            f"{summary.followed_share:.0%} followed, {summary.reclaim} to reclaim",
            f"  mentions: {summary.mentions}; unlinked-mention pages: {summary.unlinked_mention_pages}; "
            f"leads: {summary.leads}",
            f"  broken links: {summary.broken_links}",
        ]
    lines.append(f"  records: {output_dir.resolve()}/<type>/dt=*/{summary.crawl_id}-*.jsonl")
    if summary.report:
        lines.append(f"  report: {Path(summary.report).resolve()}")
    return "\n".join(lines)
