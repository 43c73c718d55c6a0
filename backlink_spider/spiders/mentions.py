"""The `mentions` spider: crawl the seed sites, report backlinks to the target and mentions of it.

    scrapy crawl mentions -a target=site.com -a seeds=seeds.txt [-a depth=1] [-a render=auto]
        [-a brand="Name One,Name Two"] [-a brand_case=sensitive] [-a exclude=...] [-a context=...]

Thin on purpose: arguments live in arguments.py, extraction in extract/, the render policy in
render.py, record shapes in records.py; this file decides what to fetch and hands pages on.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.browser import BrowserNotFound, find_browser, launch_options
from backlink_spider.extract.page import PageExtraction, PageSnapshot, best_snippet, extract_page
from backlink_spider.records import Backlink, Lead, Mention, Page, utc_now
from backlink_spider.render import RenderOptions, render_reason
from backlink_spider.target import host_of, registered_domain
from backlink_spider.urls import canonical_url

RENDER_HANDLER = "backlink_spider.browser.RenderDownloadHandler"


def _crawl_id(settings, kwargs: dict[str, Any]) -> str:  # noqa: ANN001
    return (
        settings.get("CRAWL_ID")
        or kwargs.get("_job")
        or os.environ.get("SCRAPY_JOB")
        or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )


class MentionsSpider(scrapy.Spider):
    name = "mentions"

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings) -> CrawlArguments:  # noqa: ANN001
        """Everything that can be wrong before the first request: arguments, browser."""
        args = CrawlArguments.parse(kwargs)
        if args.render != "never":
            try:
                find_browser(settings.get("BROWSER_EXECUTABLE") or None)
            except BrowserNotFound as exc:
                raise ArgumentError(str(exc)) from None
        return args

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MentionsSpider:
        settings = crawler.settings
        config = cls.check_arguments(kwargs, settings)
        # Settings may still change here (Scrapy applies them after the spider is built).
        if config.render != "never":
            executable, _ = find_browser(settings.get("BROWSER_EXECUTABLE") or None)
            handlers = dict(settings.getdict("DOWNLOAD_HANDLERS"))
            handlers.update({"http": RENDER_HANDLER, "https": RENDER_HANDLER})
            settings.set("DOWNLOAD_HANDLERS", handlers, priority="spider")
            settings.set("PLAYWRIGHT_LAUNCH_OPTIONS", launch_options(settings, executable), priority="spider")
        agent = settings.get("USER_AGENT") or ""
        if "{contact}" in agent:
            settings.set("USER_AGENT", agent.format(contact=settings.get("CONTACT_URL")), priority="spider")
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.crawl_id = _crawl_id(settings, kwargs)
        spider.render_options = RenderOptions.from_settings(settings)
        spider.matcher = config.matcher()
        spider.seed_sites = {registered_domain(host_of(url)) for url in config.seeds}
        return spider

    config: CrawlArguments
    crawl_id: str

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.config.seeds:
            yield self.page_request(canonical_url(url), hop=0)

    # --- requests ---------------------------------------------------------------------------

    def page_request(self, url: str, hop: int, *, render_reason: str | None = None) -> scrapy.Request:
        """A request for a page: static, or in Chromium when `render=always` or a reason is given."""
        render = self.config.render == "always" or render_reason is not None
        meta: dict[str, Any] = {"hop": hop, "source_url": url}
        if render:
            meta.update(
                playwright=True,
                playwright_page_methods=self.render_options.page_methods(),
                render_reason=render_reason or "always",
            )
        return scrapy.Request(
            url,
            callback=self.parse_page,
            errback=self.page_failed,
            meta=meta,
            dont_filter=render_reason is not None,  # the static fetch of this URL came first
        )

    # --- callbacks --------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        hop = meta.get("hop", 0)
        url = meta.get("source_url", response.url)
        rendered = bool(meta.get("playwright"))
        if not isinstance(response, TextResponse) or not _is_html(response):
            self.crawler.stats.inc_value("pages/skipped_not_html")
            yield self._page_record(url, response, rendered, error=f"not HTML: {_content_type(response)}")
            return
        html, final_url = response.text, response.url
        if rendered:
            result = meta["playwright_page_methods"][-1].result or {}
            html, final_url = result.get("html") or html, result.get("url") or final_url
        elif self.config.render == "auto":
            reason = render_reason(html)
            if reason:
                self.crawler.stats.inc_value(f"render/auto/{reason}")
                yield self.page_request(url, hop, render_reason=reason)
                return
        snapshot = PageSnapshot(
            url=final_url,
            html=html,
            rendered=rendered,
            status=response.status,
            headers={"x-robots-tag": response.headers.get(b"X-Robots-Tag", b"").decode("latin-1")}
            if response.headers.get(b"X-Robots-Tag")
            else {},
        )
        found = extract_page(snapshot, self.config.target, self.matcher)
        yield from self._records(url, response, found, rendered, hop)
        if hop < self.config.depth:
            yield from self._follow(found, hop)

    def page_failed(self, failure: Failure) -> Iterator[Page]:
        """A page that could not be fetched still gets its `page` record, with the error."""
        request = failure.request
        meta = request.meta
        url = meta.get("source_url", request.url)
        if failure.check(HttpError):
            response = failure.value.response
            yield self._page_record(
                url, response, bool(meta.get("playwright")), error=f"HTTP {response.status}"
            )
            return
        error = failure.value
        message = str(error) or type(error).__name__
        self.crawler.stats.inc_value(f"pages/error/{type(error).__name__}")
        yield Page(
            crawl_id=self.crawl_id,
            target=self.config.target.host,
            crawled_at=utc_now(),
            url=url,
            status=None,
            rendered=False,  # nothing came back, from the browser or otherwise
            render_reason=meta.get("render_reason"),
            error=" ".join(message.split())[:500],
            depth=meta.get("hop", 0),
        )

    # --- helpers ----------------------------------------------------------------------------

    def _page_record(self, url: str, response: Response, rendered: bool, **extra: Any) -> Page:
        return Page(
            crawl_id=self.crawl_id,
            target=self.config.target.host,
            crawled_at=utc_now(),
            url=url,
            status=response.status,
            rendered=rendered,
            render_reason=response.meta.get("render_reason"),
            final_url=response.url if response.url != url else None,
            depth=response.meta.get("hop", 0),
            **extra,
        )

    def _records(
        self, url: str, response: Response, found: PageExtraction, rendered: bool, hop: int
    ) -> Iterator[Any]:
        now = utc_now()
        source_domain = registered_domain(host_of(url))
        yield self._page_record(
            url,
            response,
            rendered,
            title=found.title,
            canonical_url=found.canonical_url,
            lang=found.lang,
            meta_robots=found.meta_robots,
            x_robots_tag=found.x_robots_tag,
            indexable=found.indexable,
            follow=found.follow,
            outbound_links=len(found.links),
            external_links=found.external_links,
            internal_links=found.internal_links,
            source_type=found.source_type,
            evidence=found.evidence,
            backlinks=len(found.backlinks),
            mentions=len(found.mentions),
        )
        for link in found.backlinks:
            yield Backlink(
                crawl_id=self.crawl_id,
                target=self.config.target.host,
                crawled_at=now,
                source_url=url,
                target_url=link.target_url,
                anchor_text=link.anchor_text,
                rel=link.rel,
                nofollow="nofollow" in link.rel,
                ugc="ugc" in link.rel,
                sponsored="sponsored" in link.rel,
                source_domain=source_domain,
                target_domain=host_of(link.target_url),
                link_type=link.link_type,
                image_alt=link.image_alt,
                wrapper_url=link.wrapper_url,
                position=link.position,
                hidden=link.hidden,
                context=link.context,
                rendered=rendered,
            )
        for mention in found.mentions:
            yield Mention(
                crawl_id=self.crawl_id,
                target=self.config.target.host,
                crawled_at=now,
                source_url=url,
                term=mention.term,
                matched_text=mention.matched_text,
                snippet=mention.snippet,
                form=mention.form,
                position=mention.position,
                linked=mention.linked,
                unlinked=found.unlinked,
                occurrence=mention.occurrence,
            )
        if found.unlinked and found.contacts is not None:
            yield Lead(
                crawl_id=self.crawl_id,
                target=self.config.target.host,
                crawled_at=now,
                source_url=url,
                source_domain=source_domain,
                title=found.title,
                author=found.contacts.author,
                emails=found.contacts.emails,
                contact_url=found.contacts.contact_url,
                social_profiles=found.contacts.social_profiles,
                snippet=best_snippet(found),
                mentions=len(found.mentions),
                source_type=found.source_type,
            )

    def _follow(self, found: PageExtraction, hop: int) -> Iterator[scrapy.Request]:
        """Links within the page's own site (a seed site) are followed; others only recorded.
        Hidden links are not followed: they are where spider traps hide."""
        for link in found.links:
            if not link.internal or link.hidden:
                continue
            url = canonical_url(link.url)
            if registered_domain(host_of(url)) in self.seed_sites:
                yield self.page_request(url, hop + 1)


def _content_type(response: Response) -> str:
    return response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or "unknown"


def _is_html(response: Response) -> bool:
    content_type = _content_type(response).lower()
    return content_type in ("text/html", "application/xhtml+xml", "unknown") or content_type.endswith("+html")
