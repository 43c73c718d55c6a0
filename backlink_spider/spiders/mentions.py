"""The `mentions` spider: crawl the seed sites, report backlinks to the target and mentions of it.

    scrapy crawl mentions -a target=site.com -a seeds=seeds.txt [-a depth=1] [-a render=auto]
        [-a brand="Name One,Name Two"] [-a brand_case=sensitive] [-a exclude=...] [-a context=...]

Thin on purpose: arguments live in arguments.py, extraction in extract/, the render policy in
render.py, record shapes in records.py; this file decides what to fetch and hands pages on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.claims import FoundLink, verify_claim
from backlink_spider.discovery import (
    FEED,
    HTML,
    DiscoveryError,
    looks_like_seed_document,
    parse_feed,
    parse_sitemap,
    sniff_seed_document,
)
from backlink_spider.extract.blocked import Block, detect_block
from backlink_spider.extract.dom import parse_html
from backlink_spider.extract.page import OutLink, PageExtraction, PageSnapshot, extract_page
from backlink_spider.linkcheck import HEAD_REFUSED, CheckResult, LinkCheckBook, TargetIndex, describe_failure
from backlink_spider.records import Backlink, BrokenLink, Lead, LinkClaim, Mention, utc_now
from backlink_spider.scope import FollowedUrls
from backlink_spider.sources.base import SourceSettingError
from backlink_spider.sources.runner import DiscoveryRunner, SourceChoiceError, build_sources, slot_settings
from backlink_spider.spiders.base import PageSpider, block_reason, is_html
from backlink_spider.target import host_of, registered_domain
from backlink_spider.urls import canonical_url, url_key

# The page record of a rendered page whose DOM was cut at DOWNLOAD_MAXSIZE (what it held up to
# there is extracted, as a browser would show the start of a huge page).
TOO_LARGE = "too large: the rendered page was cut at DOWNLOAD_MAXSIZE"


class MentionsSpider(PageSpider):
    name = "mentions"
    arguments = CrawlArguments

    # Request meta a re-render or a fallback keeps: the hop, and how the crawl came to the page.
    carried_meta = ("hop", "discovered_by", "discovered_via")

    @classmethod
    def parse_arguments(cls, kwargs: dict[str, Any], settings) -> CrawlArguments:  # noqa: ANN001
        config = CrawlArguments.parse(kwargs)
        cls.discovery_sources(config, settings)  # unknown or unusable sources: an error now
        return config

    @staticmethod
    def discovery_sources(config: CrawlArguments, settings) -> tuple[list, dict[str, str]]:  # noqa: ANN001
        """The discovery sources of this crawl (built from a copy of the settings with the
        spider's own `-a wikis`), and the default ones left out for want of a key."""
        if config.sources == () or (config.seeds and config.sources is None):
            return [], {}  # seeds given and no -a sources: the user said where to look
        settings = settings.copy()
        if config.wikis:
            settings.set("MEDIAWIKI_WIKIS", list(config.wikis), priority="spider")
        try:
            return build_sources(None if config.sources is None else list(config.sources), settings)
        except (SourceChoiceError, SourceSettingError) as exc:
            raise ArgumentError(f"-a sources: {exc}") from None

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> MentionsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        if spider.config.max_pages is not None:  # -a max_pages=N is the MAX_PAGES setting for this run
            settings.set("MAX_PAGES", spider.config.max_pages, priority="spider")
        spider.seed_sites = {registered_domain(host_of(url)) for url in spider.config.seeds}
        spider.checks = LinkCheckBook(
            settings.getint("LINK_CHECK_MAX"),
            settings.getint("LINK_CHECK_MAX_PER_HOST"),
            settings.getint("LINK_CHECK_CONCURRENCY"),
            settings.getint("LINK_CHECK_CONCURRENCY_PER_HOST"),
        )
        spider.check_internal = settings.getbool("LINK_CHECK_INTERNAL")
        spider.check_timeout = settings.getfloat("LINK_CHECK_TIMEOUT")
        # The DOWNLOAD_SLOTS entry of every check:<host> slot (see _check_slot).
        per_host = settings.getint("LINK_CHECK_CONCURRENCY_PER_HOST")
        spider.check_slot = {
            "delay": settings.getfloat("LINK_CHECK_DELAY"),
            "jitter": 0.0,
            **({"concurrency": per_host} if per_host else {}),
        }
        crawler.signals.connect(spider._link_checks_idle, signal=signals.spider_idle)
        spider.target_index = TargetIndex()
        spider.target_pages_max = settings.getint("TARGET_PAGES_MAX")
        spider.target_pages_wait = settings.getfloat("TARGET_PAGES_WAIT")
        spider.distributed = bool(settings.get("REDIS_URL"))
        spider.followed = FollowedUrls(settings.getint("FOLLOWED_URLS_MEMORY"))
        spider.sitemap_max_depth = settings.getint("SITEMAP_MAX_DEPTH")
        spider.sitemap_max_documents = settings.getint("SITEMAP_MAX_DOCUMENTS")
        spider._sitemap_documents = 0
        # a vendor export's claimed links, by linking page: checked when the page is crawled
        spider.claims = {}
        for claim in spider.config.export.claims if spider.config.export else ():
            spider.claims.setdefault(url_key(claim.source_url), []).append(claim)
        sources, skipped = cls.discovery_sources(spider.config, settings)
        for name, why in skipped.items():
            spider.logger.info("Discovery source %s left out: %s", name, why)
        spider.discovery = DiscoveryRunner(
            sources, spider.config.target, spider.config.since, crawler, spider.discovered
        )
        if sources:  # each source at its documented rate, in its own download slot
            slots = {**settings.getdict("DOWNLOAD_SLOTS"), **slot_settings(sources)}
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        crawler.signals.connect(spider._discovery_closed, signal=signals.spider_closed)
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
        export = self.config.export
        by, via = (f"export:{export.vendor}", export.name) if export else ("seed", None)
        for url in self.config.seeds:
            yield self.crawl_request(canonical_url(url), hop=0, discovered_by=by, discovered_via=via)
        for request in self.discovery.start_requests():
            yield request

    def seed_request(self, url: str, discovered_by: str, discovered_via: str | None = None) -> scrapy.Request:
        """A discovered seed (from a sitemap, a feed, a source): its site is crawled like a seed's;
        `discovered_by` / `discovered_via` go into its records (provenance)."""
        self.seed_sites.add(registered_domain(host_of(url)))
        meta = {"discovered_by": discovered_by, "discovered_via": discovered_via}
        return self.crawl_request(canonical_url(url), hop=0, **meta)

    def discovered(self, url: str, source: str, query: str) -> scrapy.Request:
        """A discovery source's candidate: crawled like a seed, judged by the page itself."""
        return self.seed_request(url, source, query)

    def _claims_checked(
        self, url: str, status: int | None, error: str | None, links: list[FoundLink] | None
    ) -> Iterator[LinkClaim]:
        """The vendor's claims about this page, each with what the live page says."""
        for claim in self.claims.pop(url_key(url), ()):
            check = verify_claim(claim, status, error, links)
            found = check.found
            yield LinkClaim(
                crawl_id=self.crawl_id,
                target=self.config.target.host,
                crawled_at=utc_now(),
                vendor=claim.vendor,
                source_url=claim.source_url,
                target_url=claim.target_url,
                claimed_anchor=claim.anchor,
                claimed_nofollow=claim.nofollow,
                claimed_ugc=claim.ugc,
                claimed_sponsored=claim.sponsored,
                first_seen=claim.first_seen,
                last_seen=claim.last_seen,
                status=check.status,
                reason=check.reason,
                found_target_url=found.target_url if found else None,
                found_anchor=found.anchor_text if found else None,
                found_rel=list(found.rel) if found else [],
                page_status=status,
                export_line=claim.line,
            )

    def _discovery_closed(self, spider: scrapy.Spider, reason: str) -> None:
        """With no seeds, a crawl whose every source failed or found nothing says so on one
        line and ends with exit status 3 (see commands/crawl.py)."""
        if self.config.seeds or not self.discovery.sources or reason != "finished":
            return
        books = self.discovery.books
        if any(book.candidates for book in books.values()):
            return
        failed = sorted(name for name, book in books.items() if book.failures)
        found_nothing = sorted(name for name, book in books.items() if not book.failures)
        parts = []
        if failed:
            parts.append("failed: " + ", ".join(f"{n} ({books[n].failures[-1][:80]})" for n in failed))
        if found_nothing:
            parts.append("found nothing: " + ", ".join(found_nothing))
        self.logger.error(
            "Discovery found no page to crawl (%s); give -a seeds=... or other -a sources", "; ".join(parts)
        )
        self.crawler.stats.set_value("discovery/nothing_to_crawl", 1)

    # --- requests ---------------------------------------------------------------------------

    def crawl_request(self, url: str, hop: int, **meta: Any) -> scrapy.Request:
        """A page of the crawl. A seed that looks like a sitemap or a feed is fetched statically
        first, whatever the render mode: a browser would show an XML viewer, not the XML."""
        probe = hop == 0 and looks_like_seed_document(url)
        return self.page_request(
            url,
            {"hop": hop, **meta, **({"document_probe": True} if probe else {})},
            self.parse_page,
            self.page_failed,
            force_static=probe,
        )

    # --- callbacks --------------------------------------------------------------------------

    def parse_page(self, response: Response) -> Iterator[Any]:
        url = response.meta.get("source_url", response.url)
        meta = response.meta
        if meta.get("hop", 0) == 0 and not is_html(response):
            kind = sniff_seed_document(response.body, response.headers.get(b"Content-Type"))
            if kind != HTML:  # a seed that is a sitemap or a feed: its URLs are the seeds
                yield from self._seed_document(response, kind)
                return
        if meta.get("document_probe") and self.config.render == "always" and is_html(response):
            # it was a page after all: render it as every page of this crawl is
            carried = {k: v for k, v in meta.items() if k in self.carried_meta}
            yield self.page_request(url, carried, self.parse_page, self.page_failed, render_reason="always")
            return
        snapshot = self.snapshot(response)
        if snapshot is None:
            yield self.not_html_record(url, response)
            return
        if isinstance(snapshot, scrapy.Request):  # render=auto: this page needs the browser
            yield snapshot
            return
        yield from self._handle(url, response.meta, snapshot)

    def _seed_document(self, response: Response, kind: str) -> Iterator[Any]:
        """The URLs of a seed sitemap or feed become seeds (on whatever host they are: their
        sites are crawled as seed sites). Sitemap indexes nest at most SITEMAP_MAX_DEPTH levels
        and a crawl reads at most SITEMAP_MAX_DOCUMENTS of them; a document refused (a gzip
        bomb, a broken file) gets its `page` record with the error."""
        url = response.meta.get("source_url", response.url)
        try:
            if kind == FEED:
                pages, nested = parse_feed(response.body, response.url), []
            else:
                pages, nested = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:
            self.logger.warning("Seed %s: %s", response.url, exc)
            self.crawler.stats.inc_value(f"discovery/{kind}/refused")
            yield self.page_record(
                url, response.meta, response.status, response.url, False, error=str(exc)[:500]
            )
            return
        self.crawler.stats.inc_value(f"discovery/{kind}/urls", len(pages))
        level = response.meta.get("sitemap_level", 0) + 1
        for nested_url in nested:  # a sitemap index's sitemaps
            if level > self.sitemap_max_depth or self._sitemap_documents >= self.sitemap_max_documents:
                self.crawler.stats.inc_value("discovery/sitemap/dropped_nesting")
                continue
            self._sitemap_documents += 1
            yield self.crawl_request(
                canonical_url(nested_url),
                hop=0,
                sitemap_level=level,
                discovered_by="sitemap",
                discovered_via=url,
            )
        by = "feed" if kind == FEED else "sitemap"
        for page_url in pages:
            yield self.seed_request(page_url, by, url)

    def page_failed(self, failure: Failure) -> Iterator[Any]:
        """A page that could not be fetched still gets its `page` record, with the error; a page
        Chromium failed on falls back to its static HTML."""
        fallback = self.render_fallback(failure)
        if isinstance(fallback, scrapy.Request):
            yield fallback
        elif fallback is not None:
            yield from self._handle(fallback.meta["source_url"], fallback.meta, fallback)
        else:
            page = self.failure_record(failure)
            self.discovery.page_crawled(page.discovered_by, 0, 0)
            yield from self._claims_checked(page.url, page.status, page.error, None)
            yield page
            # (an HTTP error is a result; robots.txt or the guard refusing the page is not)
            if self.config.check_links and (failure.check(HttpError) or not failure.check(IgnoreRequest)):
                result = CheckResult(page.status, None if page.status else page.error, page.crawled_at)
                yield from self._page_checked(page.url, result)

    def _page_checked(self, url: str, result: CheckResult) -> Iterator[Any]:
        """A crawled page's outcome is the link check of every link to it: no HEAD request."""
        key = canonical_url(url)
        if key not in self.checks.results:
            yield from self._finish_check(key, result)

    def _handle(self, url: str, meta: dict[str, Any], snapshot: PageSnapshot) -> Iterator[Any]:
        hop = meta.get("hop", 0)
        final = canonical_url(snapshot.url) if snapshot.url else None
        if final and final != canonical_url(url) and not self.followed.add(final):
            # it redirected to a page this crawl fetches (or fetched) under its own URL
            # (/t/57 -> /t/slug/57): that page's records are the ones; this URL says where it went
            self.crawler.stats.inc_value("pages/redirect_to_crawled")
            yield self.page_record(
                url, meta, snapshot.status, snapshot.url, snapshot.rendered, error=f"redirects to {final}"
            )
            if self.config.check_links:  # (links to this URL are answered by its fetch, as always)
                yield from self._page_checked(url, CheckResult(snapshot.status, None, utc_now()))
            return
        # otherwise the page is recorded under the URL asked for, and where it redirected to is
        # remembered: a link to it later is not crawled again
        if snapshot.tree is None:  # parsed once: extraction and the block check share it
            snapshot.tree = parse_html(snapshot.html)
        found = extract_page(snapshot, self.config.target, self.matcher)
        block = detect_block(snapshot.tree, snapshot.headers, snapshot.status, found.text)
        if block is not None:  # a page record that says so; never evidence that a link is gone
            self.crawler.stats.inc_value(f"pages/blocked/{block.kind}")
        if snapshot.rendered:
            self.learn_from_sample(url, meta, found)
        if self.config.target.owns(url):
            self._index_target_page(url, found)
        yield from self._records(url, meta, snapshot, found, block)
        if self.config.check_links:
            yield from self._page_checked(url, CheckResult(snapshot.status, None, utc_now()))
            yield from self._check_links(url, found, hop)
        if hop < self.config.depth:
            yield from self._follow(found, hop, url)

    # --- helpers ----------------------------------------------------------------------------

    def _records(
        self,
        url: str,
        meta: dict[str, Any],
        snapshot: PageSnapshot,
        found: PageExtraction,
        block: Block | None,
    ) -> Iterator[Any]:
        rendered = snapshot.rendered
        now = utc_now()
        source_domain = registered_domain(host_of(url))
        yield self.page_record(
            url,
            meta,
            snapshot.status,
            snapshot.url,
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
            error=TOO_LARGE if snapshot.truncated else (block_reason(block.kind) if block else None),
            blocked=block.kind if block else None,
            blocked_evidence=list(block.evidence) if block else [],
        )
        discovered_by = meta.get("discovered_by")
        self.discovery.page_crawled(discovered_by, len(found.backlinks), len(found.mentions))
        links = [FoundLink(b.target_url, b.anchor_text, tuple(b.rel)) for b in found.backlinks]
        yield from self._claims_checked(url, snapshot.status, None, links)
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
                    discovered_by=discovered_by,
                    title=found.title,
                    indexable=found.indexable,
                    source_type=found.source_type,
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
                discovered_by=discovered_by,
            )
        if found.unlinked and found.contacts is not None:
            for person in found.leads:  # one lead per person who named the brand on the page
                yield Lead(
                    crawl_id=self.crawl_id,
                    target=self.config.target.host,
                    crawled_at=now,
                    source_url=url,
                    source_domain=source_domain,
                    title=found.title,
                    author=person.author,
                    author_url=person.author_url,
                    author_website=person.author_website,
                    mention_date=person.mention_date,
                    emails=found.contacts.emails,
                    contact_url=found.contacts.contact_url,
                    social_profiles=found.contacts.social_profiles,
                    snippet=person.snippet,
                    mentions=person.mentions,
                    source_type=found.source_type,
                )

    # --- link checking -----------------------------------------------------------------------

    def _check_request(self, key: str, method: str = "HEAD") -> scrapy.Request:
        """The check of one URL (HEAD; GET when HEAD is refused): in its host's own check slot,
        below every page in priority, never retried, with LINK_CHECK_TIMEOUT."""
        self.crawler.stats.inc_value("link_check/requests")
        meta = {
            "link_check": key,
            "source_url": key,
            "handle_httpstatus_list": list(range(400, 600)),
            "dont_retry": True,  # a dead link is checked again by the next crawl
            "download_slot": self._check_slot(host_of(key)),
            # AutoThrottle never lowers a delay on a non-200 answer, and most checks of dead
            # links are 404s: it would only ever slow the slot down. LINK_CHECK_DELAY holds instead.
            "autothrottle_dont_adjust_delay": True,
        }
        if self.check_timeout:
            meta["download_timeout"] = self.check_timeout
        return scrapy.Request(
            key,
            method=method,
            callback=self.link_checked,
            errback=self.link_check_failed,
            priority=-10,
            dont_filter=True,  # one check per URL is LinkCheckBook's job; a page GET must not hide it
            meta=meta,
        )

    def _check_slot(self, host: str) -> str:
        """The download slot of link checks to `host`: `check:<host>`, apart from the host's page
        slot, so checks never queue in front of pages (nor take their CONCURRENT_REQUESTS_PER_DOMAIN)
        and AutoThrottle's delay for the pages does not apply to them.

        Scrapy (2.19) gives a new slot the delay and concurrency of its DOWNLOAD_SLOTS entry, read
        from the downloader's copy of that setting (`Downloader.per_slot_settings`) when the slot is
        created, and again when an idle slot was garbage-collected and comes back. Slot names known
        only during the crawl get their entry there before their first request (LINK_CHECK_DELAY,
        LINK_CHECK_CONCURRENCY_PER_HOST): the same mechanism as a DOWNLOAD_SLOTS entry, with no
        slot object touched and nothing for AutoThrottle or the slot GC to undo."""
        name = f"check:{host}"
        try:
            engine = self.crawler.engine
        except RuntimeError:  # no crawl running (a request built in a unit test)
            engine = None
        if engine is not None:
            engine.downloader.per_slot_settings.setdefault(name, self.check_slot)
        return name

    def _send_check(self, key: str) -> Iterator[scrapy.Request]:
        """A URL accepted for checking: its request now, or later when a check place is free
        (LINK_CHECK_CONCURRENCY, LINK_CHECK_CONCURRENCY_PER_HOST; see LinkCheckBook)."""
        if self.checks.start(key, host_of(key)):
            yield self._check_request(key)

    def _next_checks(self, key: str) -> Iterator[scrapy.Request]:
        """The check of `key` is over: the checks waiting for its place go out."""
        for waiting in self.checks.release(host_of(key)):
            yield self._check_request(waiting)

    def _link_checks_idle(self) -> None:
        """spider_idle: checks still wait although none is out (a check request was dropped
        without a callback, e.g. by UrlLengthMiddleware): send them rather than end without them."""
        if not self.config.check_links or not self.checks.queued:
            return
        for key in self.checks.reset():
            self.crawler.engine.crawl(self._check_request(key))
        raise DontCloseSpider

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
            yield from self._send_check(key)
        elif not self.checks.pending(key):  # over the caps: written without a status
            self.checks.waiting_backlinks.pop(key, None)
            yield backlink

    @staticmethod
    def _with_target_status(backlink: Backlink, result: CheckResult) -> Backlink:
        backlink.target_status = result.status
        backlink.target_error = result.error
        backlink.reclaim = result.status in (404, 410)
        return backlink

    def _will_crawl(self, link: OutLink, hop: int) -> bool:
        """The link is followed by this process (see _follow): its page fetch is its check. (In a
        distributed crawl another process may fetch it: then it is checked here as any link.)"""
        return not self.distributed and hop < self.config.depth and self._followable(link)

    def _followable(self, link: OutLink) -> bool:
        """Links within the page's own site (a seed site) are followed; others only recorded.
        Hidden links are not followed: they are where spider traps hide."""
        return link.internal and not link.hidden and registered_domain(host_of(link.url)) in self.seed_sites

    def scope_dropped(self, request: scrapy.Request, reason: str) -> scrapy.Request | None:
        """Called by CrawlScopeMiddleware for a page it will not fetch (trap, cap): links to it
        that waited for its page fetch are checked the ordinary way instead, and the URL is
        forgotten by `followed` so that a link to it from elsewhere is put to the middleware."""
        key = canonical_url(request.meta.get("source_url", request.url))
        self.followed.forget(key)
        if self.config.check_links and key in self.checks.waiting_sources:
            if self.checks.should_schedule(key, host_of(key)) and self.checks.start(key, host_of(key)):
                return self._check_request(key)  # (else it goes out when a check place is free)
        return None

    def _check_links(self, url: str, found: PageExtraction, hop: int) -> Iterator[Any]:
        """Broken links of a crawled page: links to other sites and to the target are checked;
        links within the page's own site only with LINK_CHECK_INTERNAL (a third party's dead
        internal link is no broken-link-building opportunity), unless the crawl fetches their
        page anyway: that fetch is their check, as is any result already known."""
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
            will_crawl = self._will_crawl(link, hop)
            followed = hop < self.config.depth and self._followable(link)  # by this or another process
            if (
                not followed
                and link.internal
                and not self.check_internal
                and not self.config.target.owns(key)
            ):
                self.crawler.stats.inc_value("link_check/skipped_internal")
                continue
            self.checks.waiting_sources.setdefault(key, []).append((url, link.anchor_text))
            if will_crawl:
                continue  # its page record will say
            if self.checks.should_schedule(key, host_of(key)):
                yield from self._send_check(key)
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
            yield self._check_request(key, method="GET")  # (keeps the check's place)
            return
        self.crawler.stats.inc_value(f"link_check/status/{response.status}")
        yield from self._finish_check(key, CheckResult(response.status, None, utc_now()))
        yield from self._next_checks(key)

    def link_check_failed(self, failure: Failure) -> Iterator[Any]:
        key = failure.request.meta["link_check"]
        if failure.check(HttpError):
            result = CheckResult(failure.value.response.status, None, utc_now())
        else:
            result = CheckResult(None, describe_failure(failure), utc_now())
        self.crawler.stats.inc_value(f"link_check/error/{result.error or result.status}")
        yield from self._finish_check(key, result)
        yield from self._next_checks(key)

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
            pages, nested = parse_sitemap(response.body, response.url)
        except DiscoveryError as exc:  # a broken sitemap only means no suggestions
            self.logger.warning("Target sitemap %s: %s", response.url, exc)
            pages, nested = [], []
        for loc, callback in [(u, self.parse_target_sitemap) for u in nested[:10]] + [
            (u, self.parse_target_page) for u in pages[: self.target_pages_max]
        ]:
            self._target_outstanding += 1
            yield scrapy.Request(loc, callback=callback, errback=self.target_page_failed, priority=100)
        self._target_page_done()

    def parse_target_page(self, response: Response) -> None:
        if is_html(response):
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

    def _follow(self, found: PageExtraction, hop: int, via: str) -> Iterator[scrapy.Request]:
        for link in found.links:
            if self._followable(link):
                url = canonical_url(link.url)
                if self.followed.add(url):  # (a URL yielded before would only reach the dupefilter)
                    yield self.crawl_request(url, hop + 1, discovered_by="link", discovered_via=via)
