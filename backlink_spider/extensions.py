"""CrawlSummary extension: at the end of every crawl, a `summary` record, a printed summary, the
CSV exports (OUTPUT_DIR/exports/{backlinks,broken-links,leads-by-site,leads}-<crawl_id>.csv) and
the self-contained HTML report (OUTPUT_DIR/reports/<crawl_id>.html).

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

import orjson
from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from backlink_spider.claims import CLAIM_STATUSES
from backlink_spider.competitors import competitor_numbers
from backlink_spider.output import read_records
from backlink_spider.records import Summary, utc_now
from backlink_spider.report import build_summary, find_previous_crawl, read_crawl, write_report
from backlink_spider.report.numbers import earliest_crawled_at, link_change_records
from pipelines.csv_exports import write_exports
from pipelines.jsonl import _Part
from pipelines.state import stored_meta
from pipelines.storage import OutputLocation

logger = logging.getLogger(__name__)

# The summary record's numbers, as report.build_summary computes them.
SUMMARY_NUMBERS = (
    "pages",
    "rendered_pages",
    "errors",
    "blocked_pages",
    "backlinks",
    "referring_domains",
    "followed_share",
    "mentions",
    "unlinked_mention_pages",
    "leads",
    "broken_links",
    "reclaim",
)


class CrawlSummary:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.location = OutputLocation.for_crawler(crawler)
        self.report_enabled = crawler.settings.getbool("REPORT_ENABLED")
        # a resumed JOBDIR crawl started when its first run started
        self.started_at = stored_meta(crawler.settings.get("JOBDIR")).get("started_at") or utc_now()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlSummary:
        if not crawler.settings.getbool("SUMMARY_ENABLED"):
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
        records = read_crawl(local, crawl_id)  # read once: numbers, leads CSV and report
        numbers = build_summary(records)
        statuses = Counter(r.get("status") for r in records["link_status"])
        found = Counter(r.get("status") for r in read_records(local, "link_claim", crawl_id))
        claims = {status: found[status] for status in CLAIM_STATUSES if found[status]}
        partial = partial_reasons(self.crawler.stats.get_stats(), reason, numbers)
        runner = getattr(spider, "discovery", None)
        arguments = config.describe(list(runner.sources) if runner is not None else None)
        discovery = runner.summary() if runner is not None and runner.sources else None
        report_path = None
        try:  # backlinks, broken links, leads by site, leads: CSVs for a spreadsheet or a CRM
            exports = write_exports(local, crawl_id, records)
        except Exception:  # an export problem must never fail the crawl or lose its records
            logger.exception("Could not write the CSV exports of crawl %s", crawl_id)
            exports = []
        if self.report_enabled and (records["page"] or records["link_status"]):
            try:
                report_path = write_report(local, crawl_id, records, discovery, partial, arguments)
            except Exception:  # a report problem must never fail the crawl or lose its records
                logger.exception("Could not write the HTML report of crawl %s", crawl_id)
        summary = Summary(
            crawl_id=crawl_id,
            target=config.target.host,
            crawled_at=utc_now(),
            spider=spider.name,
            worker=f"{socket.gethostname()}:{os.getpid()}",
            started_at=self.started_at,
            finish_reason=reason,
            partial=bool(partial),
            partial_reasons=partial,
            link_status=dict(statuses) or None,
            report=self._where(report_path),
            discovery=discovery,
            claims=dict(claims) or None,
            arguments=arguments,
            competitors=competitor_numbers(records, list(arguments.get("competitors") or ())),
            **{name: numbers[name] for name in SUMMARY_NUMBERS},
        )
        date = datetime.now(UTC).strftime("%Y-%m-%d")
        part = _Part(local / "summary" / f"dt={date}" / f"{crawl_id}-00001.jsonl")
        part.write(orjson.dumps(ItemAdapter(summary).asdict(), option=orjson.OPT_APPEND_NEWLINE))
        changes = self._link_changes(local, crawl_id, config.target.host, records, date)
        for path in (part.close(), changes, *exports, report_path):
            if path is not None:
                self.location.publish(path)
        await self.location.flush()
        refused = all_refused(records["page"])
        if refused:  # nothing was crawled, and the reason is in every page record: say it last
            logger.error("Every page was refused: %s", refused)
        text = format_summary(summary, self.location, exports)
        if refused:
            text += f"\n  every page was refused: {refused}"
        logger.info("Crawl summary:\n%s", text)
        print(text, file=sys.stdout, flush=True)
        self.location.cleanup()

    @staticmethod
    def _link_changes(local: Path, crawl_id: str, target: str, records: dict, date: str) -> Path | None:
        """`link_change` records against the previous complete crawl (a discovery crawl only: a
        recheck writes link_status records, pages none)."""
        if not records["page"]:
            return None
        previous_id = find_previous_crawl(local, target, earliest_crawled_at(records), crawl_id)
        if previous_id is None:
            return None
        found = link_change_records(crawl_id, target, records, previous_id, read_crawl(local, previous_id))
        if not found:
            return None
        part = _Part(local / "link_change" / f"dt={date}" / f"{crawl_id}-00001.jsonl")
        for record in found:
            part.write(orjson.dumps(ItemAdapter(record).asdict(), option=orjson.OPT_APPEND_NEWLINE))
        return part.close()

    def _where(self, path: Path | None) -> str | None:
        if path is None:
            return None
        return self.location.uri_of(path) if self.location.remote else str(Path(path).resolve())


def all_refused(pages: list[dict]) -> str | None:
    """The most common reason when every page of a crawl was refused (the address guard, the host
    scope, robots.txt), else None."""
    errors = [str(p.get("error") or "") for p in pages]
    if not errors or not all(e.startswith("refused") or "robots.txt" in e for e in errors):
        return None
    return Counter(errors).most_common(1)[0][0]


def partial_reasons(stats: dict, finish_reason: str, numbers: dict) -> list[str]:
    """Why a crawl did not look at everything it was asked to (empty: complete). A partial crawl's
    comparisons lose nothing it did not look at, and the report and the warehouse say so."""
    reasons = []
    if finish_reason != "finished":
        reasons.append(f"stopped early ({finish_reason})")
    for stat, setting in (("max_pages", "MAX_PAGES"), ("max_pages_per_site", "MAX_PAGES_PER_SITE")):
        dropped = stats.get(f"scope/dropped/{stat}") or 0
        if dropped:
            reasons.append(f"capped by {setting}: {dropped} pages not fetched")
    if numbers.get("pages") and numbers.get("errors") == numbers.get("pages"):
        reasons.append("no page could be fetched")
    return reasons


def format_summary(summary: Summary, location: OutputLocation, exports: list[Path] | None = None) -> str:
    """The printed summary; `exports`: the CSV files written (pipelines.csv_exports.write_exports),
    each printed as a line naming its dataset and path."""
    lines = [
        f"Crawl {summary.crawl_id} of {summary.target} ({summary.spider}, {summary.finish_reason}"
        + (f"; partial: {'; '.join(summary.partial_reasons)}" if summary.partial else "")
        + "):",
        f"  pages: {summary.pages} ({summary.rendered_pages} rendered, {summary.errors} with errors"
        + (f", {summary.blocked_pages} behind a bot challenge or wall" if summary.blocked_pages else "")
        + ")",
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
    for host, n in (summary.competitors or {}).items():  # -a competitors=
        lines.append(
            f"  competitor {host}: {n['backlinks']} backlinks from {n['referring_domains']} referring "
            f"domains, {n['mentions']} mentions, {n['gap_pages']} gap pages "
            f"(link to it, not to {summary.target})"
        )
    if summary.claims:
        counts = ", ".join(f"{k} {v}" for k, v in summary.claims.items())
        lines.append(f"  vendor claims: {sum(summary.claims.values())} ({counts})")
    for name, book in (summary.discovery or {}).items():
        failed = f", failed: {book['failures'][-1][:80]}" if book["failures"] else ""
        lines.append(
            f"  discovery {name}: {book['requests']} requests, {book['candidates']} candidates, "
            f"{book['pages']} pages ({book['pages_with_backlinks']} with backlinks, "
            f"{book['pages_with_mentions']} with mentions){failed}"
        )
    root = location.root if location.remote else str(location.local.resolve())
    lines.append(f"  records: {root}/<type>/dt=*/{summary.crawl_id}-*.jsonl")
    for path in exports or ():
        # backlinks-x.csv -> "backlinks CSV", leads-by-site-x.csv -> "leads by site CSV"
        dataset = path.name.removesuffix(f"-{summary.crawl_id}.csv").replace("-", " ")
        lines.append(f"  {dataset} CSV: {root}/exports/{path.name}")
    if summary.report:
        lines.append(f"  report: {summary.report}")
    return "\n".join(lines)
