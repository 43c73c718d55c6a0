"""The `mentions` spider: crawl the seed sites, report backlinks to the target and mentions of it.

    scrapy crawl mentions -a target=site.com -a seeds=seeds.txt [-a depth=1] [-a render=auto]
        [-a brand="Name One,Name Two"] [-a brand_case=sensitive] [-a exclude=...] [-a context=...]

Thin on purpose: arguments live in arguments.py, extraction in extract/, the render policy in
render.py, record shapes in records.py; this file decides what to fetch and hands pages on.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.browser import BrowserNotFound, find_browser, launch_options
from backlink_spider.extract.page import PageExtraction, PageSnapshot, best_snippet, extract_page
from backlink_spider.linkcheck import HEAD_REFUSED, CheckResult, LinkCheckBook, TargetIndex, describe_failure
from backlink_spider.records import Backlink, BrokenLink, Lead, Mention, Page, utc_now
from backlink_spider.render import RenderOptions, render_reason
from backlink_spider.target import host_of, registered_domain
from backlink_spider.urls import canonical_url, url_key

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
        spider.checks = LinkCheckBook(
            settings.getint("LINK_CHECK_MAX"), settings.getint("LINK_CHECK_MAX_PER_HOST")
        )
        spider.target_index = TargetIndex()
        spider.target_pages_max = settings.getint("TARGET_PAGES_MAX")
        spider.target_pages_wait = settings.getfloat("TARGET_PAGES_WAIT")
        return spider

    config: CrawlArguments
    crawl_id: str

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.config.check_links:
            # The target's own pages come first: dead links found later get replacement suggestions.
            self._target_ready = asyncio.Event()
            self._target_outstanding = 1
            yield scrapy.Request(
                f"https://{self.config.target.host}/sitemap.xml",
                callback=self.parse_target_sitemap,
                errback=self.target_page_failed,
                priority=100,
                dont_filter=True,
            )
            try:
                await asyncio.wait_for(self._target_ready.wait(), self.target_pages_wait)
            except TimeoutError:
                self.logger.warning(
                    "Target pages not all fetched after %ss; starting the crawl", self.target_pages_wait
                )
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
        if self.config.target.owns(url):
            self._index_target_page(url, found)
        yield from self._records(url, response, found, rendered, hop)
        if self.config.check_links:
            yield from self._check_links(url, found)
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
            yield from self._backlink_ready(
                Backlink(
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

    # --- link checking -----------------------------------------------------------------------

    def _check_request(self, key: str, method: str = "HEAD") -> scrapy.Request:
        return scrapy.Request(
            key,
            method=method,
            callback=self.link_checked,
            errback=self.link_check_failed,
            priority=-10,
            dont_filter=True,  # one check per URL is LinkCheckBook's job; a page GET must not hide it
            meta={
                "link_check": key,
                "source_url": key,
                "handle_httpstatus_list": list(range(400, 600)),
                "dont_retry": True,  # a dead link is checked again by the next crawl
                "download_timeout": 20,
            },
        )

    def _backlink_ready(self, backlink: Backlink) -> Iterator[Any]:
        """A backlink is written once its target URL's status is known (reclaim: a dead target)."""
        if not self.config.check_links:
            yield backlink
            return
        key = canonical_url(backlink.target_url)
        if key in self.checks.results:
            yield self._with_target_status(backlink, self.checks.results[key])
            return
        self.checks.waiting_backlinks.setdefault(key, []).append(backlink)
        if self.checks.should_schedule(key, host_of(key)):
            yield self._check_request(key)
        elif not self.checks.pending(key):  # over the caps: written without a status
            self.checks.waiting_backlinks.pop(key, None)
            yield backlink

    @staticmethod
    def _with_target_status(backlink: Backlink, result: CheckResult) -> Backlink:
        backlink.target_status = result.status
        backlink.target_error = result.error
        backlink.reclaim = result.status in (404, 410)
        return backlink

    def _check_links(self, url: str, found: PageExtraction) -> Iterator[Any]:
        seen: set[str] = set()
        for link in found.links:
            key = canonical_url(link.url)
            if key in seen or url_key(key) == url_key(url):
                continue
            seen.add(key)
            result = self.checks.results.get(key)
            if result is not None:
                if result.dead:
                    yield self._broken_link(url, key, link.anchor_text, result)
                continue
            self.checks.waiting_sources.setdefault(key, []).append((url, link.anchor_text))
            if self.checks.should_schedule(key, host_of(key)):
                yield self._check_request(key)
            elif not self.checks.pending(key):
                self.checks.waiting_sources.pop(key, None)
                self.crawler.stats.inc_value("link_check/skipped_cap")

    def _broken_link(self, source_url: str, key: str, anchor: str, result: CheckResult) -> BrokenLink:
        suggestion = self.target_index.suggest(anchor, key)
        return BrokenLink(
            crawl_id=self.crawl_id,
            target=self.config.target.host,
            crawled_at=utc_now(),
            source_url=source_url,
            broken_url=key,
            anchor_text=anchor,
            status=result.status,
            error=result.error,
            checked_at=result.checked_at,
            to_target=self.config.target.owns(key),
            suggested_replacement=suggestion[0] if suggestion else None,
            suggestion_score=suggestion[1] if suggestion else None,
        )

    def link_checked(self, response: Response) -> Iterator[Any]:
        key = response.meta["link_check"]
        if response.request.method == "HEAD" and response.status in HEAD_REFUSED:
            yield self._check_request(key, method="GET")
            return
        self.crawler.stats.inc_value(f"link_check/status/{response.status}")
        yield from self._finish_check(key, CheckResult(response.status, None, utc_now()))

    def link_check_failed(self, failure: Failure) -> Iterator[Any]:
        key = failure.request.meta["link_check"]
        if failure.check(HttpError):
            result = CheckResult(failure.value.response.status, None, utc_now())
        else:
            result = CheckResult(None, describe_failure(failure), utc_now())
        self.crawler.stats.inc_value(f"link_check/error/{result.error or result.status}")
        yield from self._finish_check(key, result)

    def _finish_check(self, key: str, result: CheckResult) -> Iterator[Any]:
        sources, backlinks = self.checks.finish(key, result)
        if result.dead:
            for source_url, anchor in sources:
                yield self._broken_link(source_url, key, anchor, result)
        for backlink in backlinks:
            yield self._with_target_status(backlink, result)

    # --- the target's own pages (for replacement suggestions) ---------------------------------

    def parse_target_sitemap(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            urls = [entry["loc"] for entry in Sitemap(response.body) if entry.get("loc")]
            nested = Sitemap(response.body).type == "sitemapindex"
        except Exception:  # noqa: BLE001 - a broken sitemap only means no suggestions
            urls, nested = [], False
        for loc in urls[: self.target_pages_max]:
            self._target_outstanding += 1
            yield scrapy.Request(
                loc,
                callback=self.parse_target_sitemap if nested else self.parse_target_page,
                errback=self.target_page_failed,
                priority=100,
            )
        self._target_page_done()

    def parse_target_page(self, response: Response) -> None:
        if isinstance(response, TextResponse) and _is_html(response):
            snapshot = PageSnapshot(url=response.url, html=response.text)
            self._index_target_page(
                response.meta.get("source_url", response.url),
                extract_page(snapshot, self.config.target, self.matcher),
            )
        self._target_page_done()

    def target_page_failed(self, failure: Failure) -> None:
        self._target_page_done()

    def _target_page_done(self) -> None:
        self._target_outstanding -= 1
        if self._target_outstanding <= 0:
            self.logger.info("Indexed %d target pages for replacement suggestions", len(self.target_index))
            self._target_ready.set()

    def _index_target_page(self, url: str, found: PageExtraction) -> None:
        """Index a page of the target, under its canonical URL when that is on the target."""
        canonical = found.canonical_url
        name = canonical if canonical and self.config.target.owns(canonical) else url
        self.target_index.add(name, found.title, found.content_text)

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
