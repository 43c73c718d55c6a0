"""What every spider of this project shares: argument checks before any work, rendering set-up,
page requests (static or in Chromium), and the page snapshot handed to extraction, with the
request that renders a page when its static HTML needs a browser. Page records are
pagerecords.py's; what a response is (HTML, binary, blocked) is responses.py's."""

from __future__ import annotations

from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider import logs
from backlink_spider.arguments import ArgumentError
from backlink_spider.browser import BrowserNotFound, find_browser, launch_options
from backlink_spider.extract.dom import parse_html
from backlink_spider.extract.page import PageExtraction, PageSnapshot, extract_page
from backlink_spider.output import crawl_id_for
from backlink_spider.preflight import check_settings
from backlink_spider.render import RenderOptions
from backlink_spider.renderpolicy import Decision, PageCounts, RenderPolicy
from backlink_spider.responses import is_html, signal_headers
from backlink_spider.spiders.pagerecords import PageRecords
from backlink_spider.target import host_of, registered_domain

RENDER_HANDLER = "backlink_spider.browser.RenderDownloadHandler"


class PageSpider(PageRecords, scrapy.Spider):
    """Base of the project's spiders. Subclasses set `arguments` (a class whose `parse(kwargs)`
    returns the checked arguments, with `.target`, `.render` and `.matcher()`)."""

    arguments: type

    @classmethod
    def check_arguments(cls, kwargs: dict[str, Any], settings) -> Any:  # noqa: ANN001
        """Everything that can be wrong before the first request: arguments, browser.
        Called by our `crawl` command before Scrapy starts (see commands/crawl.py)."""
        check_settings(settings)
        args = cls.parse_arguments(kwargs, settings)
        if args.render != "never":
            try:
                find_browser(settings.get("BROWSER_EXECUTABLE") or None)
            except BrowserNotFound as exc:
                raise ArgumentError(str(exc)) from None
        return args

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> PageSpider:
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
        logs.install()
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.config = config
        spider.crawl_id = crawl_id_for(settings, kwargs)
        spider.render_options = RenderOptions.from_settings(settings)
        spider.matcher = config.matcher()
        spider.render_policy = RenderPolicy.from_crawler(crawler)  # saves its decisions at spider_closed
        spider.parked = {}  # url -> (meta, static snapshot, callback, errback): see render_request
        crawler.signals.connect(spider.parked_idle, signal=signals.spider_idle)
        return spider

    config: Any
    crawl_id: str

    @classmethod
    def parse_arguments(cls, kwargs: dict[str, Any], settings) -> Any:  # noqa: ANN001
        return cls.arguments.parse(kwargs)

    # --- requests ---------------------------------------------------------------------------

    def page_request(
        self,
        url: str,
        meta: dict[str, Any],
        callback: Any,
        errback: Any,
        *,
        render_reason: str | None = None,
        force_static: bool = False,
    ) -> scrapy.Request:
        """A request for a page: static, or in Chromium when `render=always` or a reason is given.
        `meta["source_url"]` keeps the URL records are written under."""
        meta = {**meta, "source_url": url}
        if not force_static and (self.config.render == "always" or render_reason is not None):
            meta.update(
                playwright=True,
                playwright_page_methods=self.render_options.page_methods(),
                render_reason=render_reason or "always",
            )
        return scrapy.Request(
            url,
            callback=callback,
            errback=errback,
            meta=meta,
            # a re-render or a fallback fetches a URL fetched before
            dont_filter=render_reason is not None or force_static,
        )

    def snapshot(self, response: Response) -> PageSnapshot | None:
        """The page as extraction sees it: the static HTML, or the DOM Chromium rendered; None when
        the response is not HTML. Under `render=auto` a static page's tree is parsed here, once:
        for the render policy (`render_request`) and for extraction."""
        meta = response.meta
        if not is_html(response):
            self.crawler.stats.inc_value("pages/skipped_not_html")
            return None
        rendered = bool(meta.get("playwright"))
        html, final_url = response.text, response.url
        if rendered:
            result = meta["playwright_page_methods"][-1].result or {}
            html, final_url = result.get("html") or html, result.get("url") or final_url
        truncated = bool(rendered and result.get("truncated"))
        if truncated:
            self.crawler.stats.inc_value("render/truncated")
        return PageSnapshot(
            url=final_url,
            html=html,
            rendered=rendered,
            status=response.status,
            headers=signal_headers(response),
            tree=parse_html(html) if not rendered and self.config.render == "auto" else None,
            truncated=truncated,
        )

    def render_request(self, response: Response, snapshot: PageSnapshot) -> scrapy.Request | None:
        """Under `render=auto`, the request that renders this statically fetched page (its
        `snapshot`) when the render policy says its HTML needs a browser; None otherwise. A page
        of a site whose samples are still rendering (`samples-pending`) is parked instead
        (`parked`): `release_parked` decides it once they have taught the policy something."""
        if snapshot.rendered or self.config.render != "auto" or response.meta.get("parked_release"):
            return None
        meta = response.meta
        url = meta.get("source_url", response.url)
        if snapshot.tree is None:
            snapshot.tree = parse_html(snapshot.html)
        decision = self.render_policy.decision(host_of(url), registered_domain(host_of(url)), snapshot.tree)
        if decision.reason == "samples-pending":
            self.crawler.stats.inc_value("render/auto/parked")
            self.parked[url] = (meta, snapshot, response.request.callback, response.request.errback)
            return None
        return self._decided(
            url, meta, snapshot, decision, response.request.callback, response.request.errback
        )

    def _decided(
        self,
        url: str,
        meta: dict[str, Any],
        snapshot: PageSnapshot,
        decision: Decision,
        callback: Any,
        errback: Any,
    ) -> scrapy.Request | None:
        """The render request of a page the policy decided on (None: keep its static HTML)."""
        reason = decision.reason if decision.render else None
        # render/auto/<why rendered>, render/auto/static/<why not>
        self.crawler.stats.inc_value(f"render/auto/{'' if reason else 'static/'}{decision.reason}")
        if not reason:
            return None
        carried = {k: v for k, v in meta.items() if k in self.carried_meta}
        # The static page travels along: it is used if rendering fails.
        carried["static_page"] = {
            "url": snapshot.url,
            "html": snapshot.html,
            "status": snapshot.status,
            "headers": snapshot.headers,
        }
        if reason == "sample":  # to compare with what the browser will show
            carried["static_counts"] = self.page_counts(
                extract_page(
                    PageSnapshot(url=snapshot.url, html=snapshot.html, tree=snapshot.tree),
                    self.config.target,
                    self.matcher,
                )
            )
        return self.page_request(url, carried, callback, errback, render_reason=reason)

    def is_parked(self, url: str) -> bool:
        """The page waits for its site's samples (see render_request)."""
        return url in self.parked

    def release_parked(self) -> tuple[list[scrapy.Request], list[tuple[str, dict[str, Any], PageSnapshot]]]:
        """After a sample taught the policy something, the parked pages it can now decide: the
        requests that render some, and (url, meta, static snapshot) of those kept static."""
        renders, statics = [], []
        for url, (meta, snapshot, callback, errback) in list(self.parked.items()):
            decision = self.render_policy.decision(
                host_of(url), registered_domain(host_of(url)), snapshot.tree
            )
            if decision.reason == "samples-pending":
                continue
            del self.parked[url]
            request = self._decided(url, meta, snapshot, decision, callback, errback)
            if request is None:
                statics.append((url, meta, snapshot))
            else:
                renders.append(request)
        return renders, statics

    def parked_idle(self) -> None:
        """spider_idle: pages still parked (a sample was dropped, say) are fetched again and kept
        static, rather than the crawl ending without them."""
        if not self.parked:
            return
        for url, (meta, _, callback, errback) in list(self.parked.items()):
            self.crawler.stats.inc_value("render/auto/static/parked-at-idle")
            carried = {k: v for k, v in meta.items() if k in self.carried_meta}
            carried["parked_release"] = True
            self.crawler.engine.crawl(self.page_request(url, carried, callback, errback, force_static=True))
        self.parked.clear()
        raise DontCloseSpider

    # When Chromium fails on a page (time budget spent, crash, navigation error), the static
    # response is used instead and the page is marked `render_failed`: the static page fetched
    # first under `render=auto` (render_fallback), or a static fetch under `render=always`
    # (render_refetch). An HTTP error or a refusal is the page's own outcome: neither applies.

    def render_refetch(self, failure: Failure) -> scrapy.Request | None:
        """The static fetch of a page Chromium failed on when no static page was fetched first
        (`render=always`); None when `failure` is no such render failure."""
        request = failure.request
        if request.meta.get("static_page") is not None:
            return None
        carried = self._render_failed(failure)
        if carried is None:
            return None
        return self.page_request(
            request.meta.get("source_url", request.url),
            carried,
            request.callback,
            request.errback,
            force_static=True,
        )

    def render_fallback(self, failure: Failure) -> PageSnapshot | None:
        """The static page fetched first (`render=auto`) of a page Chromium failed on, with the
        request meta to record it under as `.meta`; None when `failure` is no such render failure."""
        request = failure.request
        static = request.meta.get("static_page")
        if static is None:
            return None
        carried = self._render_failed(failure)
        if carried is None:
            return None
        if request.meta.get("static_counts") is not None:  # a sample that failed taught nothing
            url = request.meta.get("source_url", request.url)
            counts = request.meta["static_counts"]
            self.render_policy.learn(registered_domain(host_of(url)), counts, counts)
        snapshot = PageSnapshot(
            url=static["url"], html=static["html"], status=static["status"], headers=static["headers"]
        )
        snapshot.meta = {**carried, "source_url": request.meta.get("source_url", request.url)}
        return snapshot

    def _render_failed(self, failure: Failure) -> dict[str, Any] | None:
        """The meta a page Chromium failed on carries on with (`render_failed`: the error), the
        failure logged and counted; None when `failure` is not a render failure."""
        request = failure.request
        meta = request.meta
        if not meta.get("playwright") or failure.check(HttpError, IgnoreRequest):
            return None
        error = " ".join((str(failure.value) or type(failure.value).__name__).split())[:300]
        self.crawler.stats.inc_value("render/failed")
        self.logger.warning("Rendering %s failed (%s); using the static page", request.url, error)
        carried = {k: v for k, v in meta.items() if k in self.carried_meta}
        carried.update(render_failed=error, render_reason=meta.get("render_reason"))
        return carried

    @staticmethod
    def page_counts(found: PageExtraction) -> PageCounts:
        return PageCounts(len(found.backlinks), len(found.mentions), len(found.links), len(found.text))

    def learn_from_sample(self, url: str, meta: dict[str, Any], found: PageExtraction) -> bool:
        """A rendered sample page: did the browser show what the static HTML lacked? True when it
        was a sample (the policy learnt something: parked pages may be decided now)."""
        static = meta.get("static_counts")
        if static is None:
            return False
        site = registered_domain(host_of(url))
        if self.render_policy.learn(site, static, self.page_counts(found)):
            self.crawler.stats.inc_value("render/auto/sites_learned_render")
            self.logger.info("Rendering reveals content on %s: its pages are rendered from now on", site)
        return True

    # Request meta keys a re-render keeps (subclasses add theirs).
    carried_meta: tuple[str, ...] = ("hop",)
