"""What every spider of this project shares: argument checks before any work, rendering set-up,
page requests (static or in Chromium), the page snapshot handed to extraction, page records."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider import logs
from backlink_spider.arguments import ArgumentError
from backlink_spider.browser import BrowserNotFound, find_browser, launch_options
from backlink_spider.extract.blocked import Block, detect_block
from backlink_spider.extract.dom import parse_html
from backlink_spider.extract.page import PageExtraction, PageSnapshot, extract_page
from backlink_spider.gctuning import gc_thresholds
from backlink_spider.linkcheck import describe_failure
from backlink_spider.netsafety import parse_networks
from backlink_spider.records import Page, utc_now
from backlink_spider.render import PageCounts, RenderOptions, RenderPolicy
from backlink_spider.target import host_of, registered_domain
from pipelines.state import stored_crawl_id

RENDER_HANDLER = "backlink_spider.browser.RenderDownloadHandler"


def crawl_id_for(settings, kwargs: dict[str, Any]) -> str:  # noqa: ANN001
    """CRAWL_ID setting, else the id of the JOBDIR job being resumed, else Scrapyd's job id, else
    a UTC timestamp."""
    return (
        settings.get("CRAWL_ID")
        or stored_crawl_id(settings.get("JOBDIR"))
        or kwargs.get("_job")
        or os.environ.get("SCRAPY_JOB")
        or datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    )


def content_type(response: Response) -> str:
    return response.headers.get(b"Content-Type", b"").decode("latin-1").split(";")[0].strip() or "unknown"


# File signatures of binary formats that servers mislabel as text/html.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(body: bytes) -> bool:
    """A body that is not text whatever its Content-Type says: a known file signature, or control
    bytes making up more than 5% of its first kilobyte (text has almost none; a stray NUL in a
    real page does not count), unless it starts with a UTF-16 byte-order mark."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > len(head) // 20


def is_html(response: Response) -> bool:
    kind = content_type(response).lower()
    return (
        isinstance(response, TextResponse)
        and (kind in ("text/html", "application/xhtml+xml", "unknown") or kind.endswith("+html"))
        and not looks_binary(response.body)
    )


def check_settings(settings) -> None:  # noqa: ANN001
    """Settings that would only fail later, checked up front (raises ArgumentError)."""
    try:
        parse_networks(settings.get("ALLOWED_PRIVATE_NETWORKS"))
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None
    from backlink_spider.discovery import DiscoveryError, provider_from_settings

    try:
        provider_from_settings(settings)
    except DiscoveryError as exc:
        raise ArgumentError(str(exc)) from None
    if settings.get("REDIS_URL") and not settings.get("CRAWL_ID"):
        raise ArgumentError(
            "REDIS_URL is set: give -s CRAWL_ID=NAME, the same on every process, to name the shared crawl"
        )
    try:
        gc_thresholds(settings)
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None


def response_block(response: Response) -> Block | None:
    """A bot challenge, login wall or consent wall served instead of the page (extract/blocked.py),
    from a response of any status; None for a real page or a non-text body."""
    try:
        html = response.text
    except (AttributeError, UnicodeDecodeError):
        html = ""
    headers = {
        k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }
    return detect_block(html, headers, response.status)


def block_reason(kind: str) -> str:
    """How a page record or a link status says what stood in the way (a Block's kind)."""
    if kind in ("login", "consent"):
        return f"blocked by a {kind} wall"
    return f"blocked by a bot challenge ({kind})"


def _signal_headers(response: Response) -> dict[str, str]:
    """The response headers extraction reads (lower-case names)."""
    x_robots = response.headers.get(b"X-Robots-Tag")
    return {"x-robots-tag": x_robots.decode("latin-1")} if x_robots else {}


class PageSpider(scrapy.Spider):
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
        spider.render_policy = RenderPolicy.from_settings(settings)
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

    def snapshot(self, response: Response) -> PageSnapshot | scrapy.Request | None:
        """The page as extraction sees it; or, under `render=auto`, a request to render it when its
        static HTML needs a browser; or None when the response is not HTML."""
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
        tree = None
        if not rendered and self.config.render == "auto":
            url = meta.get("source_url", response.url)
            tree = parse_html(html)  # parsed once: for the policy here, for extraction below
            reason = self.render_policy.decide(host_of(url), registered_domain(host_of(url)), tree)
            if reason:
                self.crawler.stats.inc_value(f"render/auto/{reason}")
                carried = {k: v for k, v in meta.items() if k in self.carried_meta}
                # The static page travels along: it is used if rendering fails.
                carried["static_page"] = self._static_page(response, html)
                if reason == "sample":  # to compare with what the browser will show
                    carried["static_counts"] = self.page_counts(
                        extract_page(
                            PageSnapshot(url=response.url, html=html, tree=tree),
                            self.config.target,
                            self.matcher,
                        )
                    )
                return self.page_request(
                    meta.get("source_url", response.url),
                    carried,
                    response.request.callback,
                    response.request.errback,
                    render_reason=reason,
                )
        return PageSnapshot(
            url=final_url,
            html=html,
            rendered=rendered,
            status=response.status,
            headers=_signal_headers(response),
            tree=tree,
            truncated=truncated,
        )

    @staticmethod
    def _static_page(response: Response, html: str) -> dict[str, Any]:
        return {
            "url": response.url,
            "html": html,
            "status": response.status,
            "headers": _signal_headers(response),
        }

    def render_fallback(self, failure: Failure) -> PageSnapshot | scrapy.Request | None:
        """When Chromium fails on a page (time budget spent, crash, navigation error), the static
        response is used instead and the page is marked `render_failed`: the static page fetched
        first under `render=auto`, or a static fetch under `render=always`. None when `failure`
        is not a render failure (an HTTP error or a refusal is the page's own outcome)."""
        request = failure.request
        meta = request.meta
        if not meta.get("playwright") or failure.check(HttpError, IgnoreRequest):
            return None
        error = " ".join((str(failure.value) or type(failure.value).__name__).split())[:300]
        self.crawler.stats.inc_value("render/failed")
        self.logger.warning("Rendering %s failed (%s); using the static page", request.url, error)
        carried = {k: v for k, v in meta.items() if k in self.carried_meta}
        carried.update(render_failed=error, render_reason=meta.get("render_reason"))
        static = meta.get("static_page")
        if static is None:
            return self.page_request(
                meta.get("source_url", request.url),
                carried,
                request.callback,
                request.errback,
                force_static=True,
            )
        snapshot = PageSnapshot(
            url=static["url"], html=static["html"], status=static["status"], headers=static["headers"]
        )
        snapshot.meta = {**carried, "source_url": meta.get("source_url", request.url)}
        return snapshot

    @staticmethod
    def page_counts(found: PageExtraction) -> PageCounts:
        return PageCounts(len(found.backlinks), len(found.mentions), len(found.links), len(found.text))

    def learn_from_sample(self, url: str, meta: dict[str, Any], found: PageExtraction) -> None:
        """A rendered sample page: did the browser show what the static HTML lacked?"""
        static = meta.get("static_counts")
        if static is None:
            return
        site = registered_domain(host_of(url))
        if self.render_policy.learn(site, static, self.page_counts(found)):
            self.crawler.stats.inc_value("render/auto/sites_learned_render")
            self.logger.info("Rendering reveals content on %s: its pages are rendered from now on", site)

    # Request meta keys a re-render keeps (subclasses add theirs).
    carried_meta: tuple[str, ...] = ("hop",)

    # --- page records -----------------------------------------------------------------------

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
        kind = content_type(response)
        if looks_binary(response.body) and "html" in kind.lower():
            kind = f"binary content served as {kind}"
        return self.page_record(
            url,
            response.meta,
            response.status,
            response.url,
            bool(response.meta.get("playwright")),
            error=f"not HTML: {kind}",
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
