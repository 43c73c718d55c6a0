"""The `recheck` spider: re-fetch the pages known to link to the target and report, per known
backlink, whether it is still there. Scheduled on Scrapyd, this is link monitoring.

    scrapy crawl recheck -a target=site.com -a known=output/            # JSONL from earlier crawls
    scrapy crawl recheck -a target=site.com -a known=output/warehouse.duckdb
    scrapy crawl recheck -a target=site.com -a known=postgresql://user@host/db
    scrapy crawl recheck -a target=site.com -a known=ahrefs-backlinks.csv   # a vendor's export

Each known link becomes a `link_status` record (pairing and "changed" as linkdiff.py defines them
for the whole project): `live`; `changed` (same page and target, but rel, anchor or exact target
URL differ), with the link as last seen (`before`) and as seen now (`after`); `lost` only with
evidence: the page answered 404/410, or it loaded completely as a real page and the link is not in
it; `unverified` when the page could not be judged this run (timeout, HTTP 5xx/429, DNS failure,
robots.txt, refused, a bot challenge or login wall, a page cut at the size limit), with the
reason: never counted as lost. Transient failures are retried first (RETRY_TIMES, Retry-After).
Links to the target the page has gained are reported as `new`. It writes only `link_status` and
`summary` records, which the warehouse keeps apart from discovery crawls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from backlink_spider.arguments import RecheckArguments
from backlink_spider.extract.blocked import detect_block
from backlink_spider.extract.page import TargetLink, extract_page
from backlink_spider.known import unverified_streaks
from backlink_spider.linkdiff import GONE_STATUSES, LOST, diff_links, link_view
from backlink_spider.records import LinkStatus, utc_now
from backlink_spider.responses import not_html_reason
from backlink_spider.spiders.base import PageSpider
from backlink_spider.spiders.pagerecords import block_reason
from backlink_spider.urls import canonical_url, url_key

UNVERIFIED = "unverified"


def compare_links(
    known: list[dict], current: list[TargetLink]
) -> list[tuple[str, str | None, dict | None, dict | None]]:
    """(status, reason, before, after) for each known link of one page, then each new one."""
    changes = diff_links([("", k) for k in known], [("", c) for c in current])
    return [(c.status, c.reason, c.before, c.after) for c in changes]


class RecheckSpider(PageSpider):
    name = "recheck"
    arguments = RecheckArguments
    carried_meta = ("hop",)

    config: RecheckArguments

    @classmethod
    def from_crawler(cls, crawler, *args: Any, **kwargs: Any) -> RecheckSpider:  # noqa: ANN001
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.unverified_before = unverified_streaks(spider.config.known, spider.config.target)
        spider.unverified_warn = crawler.settings.getint("RECHECK_UNVERIFIED_WARN")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in sorted(self.config.links):
            yield self.page_request(url, {}, self.parse_page, self.page_failed)

    def _records(self, url: str, page_status: int | None, outcomes: list) -> Iterator[LinkStatus]:
        known = self.config.links[url]
        previous = known[0]["crawl_id"] if known else None
        now = utc_now()
        for status, reason, before, after in outcomes:
            self.crawler.stats.inc_value(f"recheck/{status}")
            yield LinkStatus(
                crawl_id=self.crawl_id,
                target=self.config.target.host,
                crawled_at=now,
                source_url=url,
                target_url=(after or before)["target_url"],
                status=status,
                reason=reason,
                page_status=page_status,
                before=before,
                after=after,
                previous_crawl_id=previous,
            )

    def parse_page(self, response: Response) -> Iterator[Any]:
        url = response.meta.get("source_url", response.url)
        snapshot = self.snapshot(response)
        known = self.config.links[url]
        if snapshot is None:  # not HTML any more: no page to judge its links by
            yield from self._unverified(url, response.status, not_html_reason(response))
            return
        render = self.render_request(response, snapshot)
        if render is not None:  # render=auto: this page needs the browser
            yield render
            return
        block = detect_block(
            snapshot.tree if snapshot.tree is not None else snapshot.html, snapshot.headers, snapshot.status
        )
        if block is not None:
            self.crawler.stats.inc_value(f"recheck/blocked/{block.kind}")
            yield from self._unverified(url, response.status, block_reason(block.kind))
            return
        if snapshot.truncated:
            yield from self._unverified(url, response.status, "page truncated at DOWNLOAD_MAXSIZE")
            return
        current = extract_page(snapshot, self.config.target, self.matcher).backlinks
        yield from self._records(url, response.status, compare_links(known, current))

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        page = self.failure_record(failure)  # only its status and error: recheck writes no pages
        if page.blocked:
            self.crawler.stats.inc_value(f"recheck/blocked/{page.blocked}")
            yield from self._unverified(page.url, page.status, block_reason(page.blocked))
        elif page.status in GONE_STATUSES:  # evidence: the page is gone
            outcomes = [
                (LOST, f"page gone: {page.error}", link_view(k), None) for k in self.config.links[page.url]
            ]
            yield from self._records(page.url, page.status, outcomes)
        else:
            yield from self._unverified(page.url, page.status, page.error or "not fetched")

    def _unverified(self, url: str, status: int | None, reason: str) -> Iterator[LinkStatus]:
        """Every known link of a page that could not be judged this run: unverified, with why, and
        how many runs in a row it has been (never silently turned into lost)."""
        outcomes = [(UNVERIFIED, reason, link_view(k), None) for k in self.config.links[url]]
        for record in self._records(url, status, outcomes):
            runs = self.unverified_before.get((url_key(url), canonical_url(record.target_url)), 0) + 1
            record.unverified_runs = runs
            if runs >= self.unverified_warn:
                self.crawler.stats.inc_value("recheck/unverified_repeatedly")
                self.logger.warning(
                    "Link %s -> %s unverified %d runs in a row (%s): look at the page by hand",
                    url,
                    record.target_url,
                    runs,
                    reason,
                )
            yield record
