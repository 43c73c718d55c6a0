"""The `recheck` spider: re-fetch the pages known to link to the target and report, per known
backlink, whether it is still there. Scheduled on Scrapyd, this is link monitoring.

    scrapy crawl recheck -a target=site.com -a known=output/            # JSONL from earlier crawls
    scrapy crawl recheck -a target=site.com -a known=output/warehouse.duckdb
    scrapy crawl recheck -a target=site.com -a known=postgresql://user@host/db

Each known link becomes a `link_status` record: `live`; `lost` (the page is gone, or the link was
removed); `changed` (same page and target, but rel, anchor or exact target URL differ), with the
link as last seen (`before`) and as seen now (`after`); links to the target the page has gained
are reported as `new`. It writes only `link_status` records (the page's status is in them), so
the warehouse never mistakes a recheck for a discovery crawl.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from backlink_spider.arguments import RecheckArguments
from backlink_spider.extract.page import TargetLink, extract_page
from backlink_spider.records import LinkStatus, utc_now
from backlink_spider.spiders.base import PageSpider
from backlink_spider.urls import canonical_url


def _link_view(anchor_text: str, rel: list[str], target_url: str) -> dict:
    return {"anchor_text": anchor_text, "rel": list(rel), "target_url": target_url}


def compare_links(
    known: list[dict], current: list[TargetLink]
) -> list[tuple[str, str | None, dict | None, dict | None]]:
    """(status, reason, before, after) for each known link of a page, then each new one.

    Links are paired by canonical target URL, preferring the same anchor text; a known link with no
    partner was removed.
    """
    remaining = list(current)
    results = []
    for link in known:
        key = canonical_url(link["target_url"])
        candidates = [c for c in remaining if canonical_url(c.target_url) == key]
        if not candidates:
            results.append(
                (
                    "lost",
                    "link removed",
                    _link_view(link["anchor_text"], link["rel"], link["target_url"]),
                    None,
                )
            )
            continue
        match = next((c for c in candidates if c.anchor_text == link["anchor_text"]), candidates[0])
        remaining.remove(match)
        before = _link_view(link["anchor_text"], link["rel"], link["target_url"])
        after = _link_view(match.anchor_text, match.rel, match.target_url)
        changes = [
            name
            for name, field in (("rel", "rel"), ("anchor", "anchor_text"), ("target", "target_url"))
            if before[field] != after[field]
        ]
        if changes:
            results.append(("changed", " and ".join(changes) + " changed", before, after))
        else:
            results.append(("live", None, before, after))
    for link in remaining:
        results.append(("new", "link added", None, _link_view(link.anchor_text, link.rel, link.target_url)))
    return results


class RecheckSpider(PageSpider):
    name = "recheck"
    arguments = RecheckArguments
    carried_meta = ("hop",)

    config: RecheckArguments

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
        if isinstance(snapshot, scrapy.Request):
            yield snapshot
            return
        current = (
            [] if snapshot is None else extract_page(snapshot, self.config.target, self.matcher).backlinks
        )
        yield from self._records(url, response.status, compare_links(self.config.links[url], current))

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        page = self.failure_record(failure)  # only its status and error: recheck writes no pages
        url = page.url
        reason = f"page gone: {page.error}"
        outcomes = [
            ("lost", reason, _link_view(k["anchor_text"], k["rel"], k["target_url"]), None)
            for k in self.config.links[url]
        ]
        yield from self._records(url, page.status, outcomes)
