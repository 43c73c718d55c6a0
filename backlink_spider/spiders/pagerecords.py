"""The `page` record of every page a spider asked for: a page fetched, a response that is no page
(not HTML), or a request that failed (HTTP error, block page, network failure, refusal)."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.linkcheck import describe_failure
from backlink_spider.records import Page, utc_now
from backlink_spider.responses import not_html_reason, response_block


def block_reason(kind: str) -> str:
    """How a page record or a link status says what stood in the way (a Block's kind)."""
    if kind in ("login", "consent"):
        return f"blocked by a {kind} wall"
    return f"blocked by a bot challenge ({kind})"


class PageRecords:
    """Page records of a spider with `crawl_id`, `config.target` and `crawler` (PageSpider)."""

    crawl_id: str
    config: Any
    crawler: Any

    def page_record(
        self, url: str, meta: dict[str, Any], status: int | None, final_url: str, rendered: bool, **extra: Any
    ) -> Page:
        return Page(
            crawl_id=self.crawl_id,
            target=self.config.target.host,
            crawled_at=utc_now(),
            url=url,
            status=status,
            rendered=rendered,
            render_reason=meta.get("render_reason"),
            render_failed=bool(meta.get("render_failed")),
            render_error=meta.get("render_failed"),
            final_url=final_url if final_url != url else None,
            depth=meta.get("hop", 0),
            discovered_by=meta.get("discovered_by"),
            discovered_via=meta.get("discovered_via"),
            **extra,
        )

    def not_html_record(self, url: str, response: Response) -> Page:
        return self.page_record(
            url,
            response.meta,
            response.status,
            response.url,
            bool(response.meta.get("playwright")),
            error=not_html_reason(response),
        )

    def failure_record(self, failure: Failure) -> Page:
        """The `page` record of a page that could not be fetched, with the error."""
        request = failure.request
        meta = request.meta
        url = meta.get("source_url", request.url)
        if failure.check(HttpError):
            response = failure.value.response
            block = response_block(response)
            if block is not None:
                self.crawler.stats.inc_value(f"pages/blocked/{block.kind}")
            return self.page_record(
                url,
                meta,
                response.status,
                response.url,
                bool(meta.get("playwright")),
                error=f"HTTP {response.status}" + (f", {block_reason(block.kind)}" if block else ""),
                blocked=block.kind if block else None,
                blocked_evidence=list(block.evidence) if block else [],
            )
        error = failure.value
        name, detail = describe_failure(failure), " ".join(str(error).split())
        if failure.check(IgnoreRequest):  # robots.txt, the address guard, redirect limits, ...
            message = detail or name
        elif detail and detail != name and detail != type(error).__name__:
            message = f"{name}: {detail}"  # "timeout: Getting ... took longer than 3.0 seconds."
        else:
            message = name  # "connection lost"
        self.crawler.stats.inc_value(f"pages/error/{type(error).__name__}")
        # nothing came back, from the browser or otherwise: not rendered
        return self.page_record(url, meta, None, url, False, error=message[:500])
