"""CrawlSummary extension: at the end of every crawl, a `summary` record, a printed summary, the
leads CSV (OUTPUT_DIR/exports/leads-<crawl_id>.csv) and the self-contained HTML report
(OUTPUT_DIR/reports/<crawl_id>.html).

It acts on `spider_closed`, after the pipelines have closed and renamed their files, and reads the
crawl's records back from those files, so the numbers are the crawl's own also when a JOBDIR crawl
was killed and resumed (the records of earlier runs count too) or when several processes share it
(each process's files hold what it wrote: its `worker` summary says so). With a remote OUTPUT_DIR
the files are published through Scrapy's feed storages like the records.
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

from backlink_spider.output import read_records
from backlink_spider.records import Summary, utc_now
from pipelines.jsonl import _Part
from pipelines.leads_csv import write_leads_csv
from pipelines.state import stored_meta
from pipelines.storage import OutputLocation

logger = logging.getLogger(__name__)


def count_crawl(output_dir: Path, crawl_id: str) -> dict[str, Any]:
    """The summary's numbers from the crawl's record files."""
    counts: dict[str, Any] = {"types": Counter(), "rendered": 0, "errors": 0, "followed": 0, "reclaim": 0}
    referring: set[str] = set()
    unlinked: set[str] = set()
    statuses: Counter[str] = Counter()
    for record_type in ("page", "backlink", "mention", "lead", "broken_link", "link_status"):
        for record in read_records(output_dir, record_type, crawl_id):
            counts["types"][record_type] += 1
            if record_type == "page":
                counts["rendered"] += bool(record.get("rendered"))
                counts["errors"] += bool(record.get("error"))
            elif record_type == "backlink":
                referring.add(record.get("source_domain"))
                counts["followed"] += not (
                    record.get("nofollow") or record.get("ugc") or record.get("sponsored")
                )
                counts["reclaim"] += bool(record.get("reclaim"))
            elif record_type == "mention" and record.get("unlinked"):
                unlinked.add(record.get("source_url"))
            elif record_type == "link_status":
                statuses[record.get("status")] += 1
    counts.update(referring=len(referring), unlinked=len(unlinked), link_status=dict(statuses) or None)
    return counts


class CrawlSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.location = OutputLocation.for_crawler(crawler)
        self.report_enabled = crawler.settings.getbool("REPORT_ENABLED", True)
        # a resumed JOBDIR crawl started when its first run started
        self.started_at = stored_meta(crawler.settings.get("JOBDIR")).get("started_at") or utc_now()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        if not crawler.settings.getbool("SUMMARY_ENABLED", True):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        crawl_id = getattr(spider, "crawl_id", None)
        config = getattr(spider, "config", None)
        if crawl_id is None or config is None:  # the crawl never started
            return
        local = self.location.local
        counts = count_crawl(local, crawl_id)
        types = counts["types"]
        leads_csv = report_path = None
        if types["lead"]:
            leads_csv = local / "exports" / f"leads-{crawl_id}.csv"
            write_leads_csv(read_records(local, "lead", crawl_id), leads_csv)
        if self.report_enabled and types["page"] + types["link_status"]:
            try:
                from backlink_spider.report import write_report

                report_path = write_report(local, crawl_id)
            except Exception:  # a report problem must never fail the crawl or lose its records
                logger.exception("Could not write the HTML report of crawl %s", crawl_id)
        backlinks = types["backlink"]
        summary = Summary(
            crawl_id=crawl_id,
            target=config.target.host,
            crawled_at=utc_now(),
            spider=spider.name,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            started_at=self.started_at,
            finish_reason=reason,
            pages=types["page"],
            rendered_pages=counts["rendered"],
            errors=counts["errors"],
            backlinks=backlinks,
            referring_domains=counts["referring"],
            followed_share=round(counts["followed"] / backlinks, 3) if backlinks else 0.0,
            mentions=types["mention"],
            unlinked_mention_pages=counts["unlinked"],
            leads=types["lead"],
            broken_links=types["broken_link"],
            reclaim=counts["reclaim"],
            link_status=counts["link_status"],
            report=self._where(report_path),
        )
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        part = _Part(local / "summary" / f"dt={date}" / f"{crawl_id}-00001.jsonl")
        part.write(orjson.dumps(ItemAdapter(summary).asdict(), option=orjson.OPT_APPEND_NEWLINE))
        for path in (part.close(), leads_csv, report_path):
            if path is not None:
                self.location.publish(path)
        await self.location.flush()
        text = format_summary(summary, self.location, leads_csv)
        logger.info("Crawl summary:\n%s", text)
        print(text, file=sys.stdout, flush=True)
        self.location.cleanup()

    def _where(self, path: Path | None) -> str | None:
        if path is None:
            return None
        return self.location.uri_of(path) if self.location.remote else str(Path(path).resolve())


def format_summary(summary: Summary, location: OutputLocation, leads_csv: Path | None = None) -> str:
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
    root = location.root if location.remote else str(location.local.resolve())
    lines.append(f"  records: {root}/<type>/dt=*/{summary.crawl_id}-*.jsonl")
    if leads_csv is not None:
        lines.append(f"  leads CSV: {root}/exports/{leads_csv.name}")
    if summary.report:
        lines.append(f"  report: {summary.report}")
    return "\n".join(lines)
