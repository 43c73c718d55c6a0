"""The `mentions` spider: crawl the seed sites, report backlinks to the target and mentions of it.

    scrapy crawl mentions -a target=site.com -a seeds=seeds.txt [-a depth=1] [-a render=auto]
        [-a brand="Name One,Name Two"] [-a brand_case=sensitive] [-a exclude=...] [-a context=...]

Thin on purpose: arguments live in arguments.py, extraction in extract/, the render policy in
render.py, record shapes in records.py, link checks in linkchecker.py; this file decides what to
fetch and hands pages on.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.arguments import ArgumentError, CrawlArguments
from backlink_spider.authority import AuthorityFileError, linked_domains
from backlink_spider.claims import FoundLink, verify_claim
from backlink_spider.competitors import gap_record
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
from backlink_spider.extract.page import OutLink, PageExtraction, PageSnapshot, TargetLink, extract_page
from backlink_spider.extract.prospects import (
    ProspectFinder,
    niche_relevance,
    niche_terms,
    page_contacts,
    prospect_queries,
)
from backlink_spider.linkcheck import CheckResult, TargetIndex
from backlink_spider.linkchecker import LinkChecker
from backlink_spider.quality import LinkScorer, WeightsError, page_relevance
from backlink_spider.records import (
    COMPETITOR_ROLE,
    TARGET_ROLE,
    Backlink,
    Lead,
    LinkClaim,
    Mention,
    Prospect,
    utc_now,
)
from backlink_spider.responses import is_html
from backlink_spider.scope import FollowedUrls
from backlink_spider.sources.base import SourceSettingError
from backlink_spider.sources.runner import DiscoveryRunner, SourceChoiceError, build_sources, slot_settings
from backlink_spider.spiders.base import PageSpider
from backlink_spider.spiders.pagerecords import block_reason
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
        config = CrawlArguments.parse(kwargs, competitors_max=settings.getint("COMPETITORS_MAX"))
        cls.discovery_sources(config, settings)  # unknown or unusable sources: an error now
        cls.link_scorer(settings)  # bad LINK_QUALITY_WEIGHTS or DOMAIN_AUTHORITY_FILE: an error now
        return config

    @staticmethod
    def link_scorer(settings) -> LinkScorer:  # noqa: ANN001
        """The backlinks' quality scorer (quality.py), or an ArgumentError saying what is wrong."""
        try:
            return LinkScorer.from_settings(settings)
        except (WeightsError, AuthorityFileError) as exc:
            raise ArgumentError(str(exc)) from None

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
        spider.target_index = TargetIndex()
        spider.link_checker = LinkChecker.from_crawler(
            crawler,
            target=spider.config.target,
            crawl_id=spider.crawl_id,
            target_index=spider.target_index,
            follows=spider._follows,
            callback=spider.link_checked,
            errback=spider.link_check_failed,
            enabled=spider.config.check_links,
        )
        spider.prospects = None
        if settings.getbool("PROSPECTS_ENABLED"):
            spider.prospects = ProspectFinder(
                spider.config.target,
                spider.config.competitors,
                min_links=settings.getint("PROSPECT_RESOURCE_MIN_SITES"),
                min_sites=settings.getint("PROSPECT_ROUNDUP_MIN_SITES"),
            )
        spider.prospect_min_relevance = settings.getfloat("PROSPECT_MIN_RELEVANCE")
        spider.target_pages_max = settings.getint("TARGET_PAGES_MAX")
        spider.target_pages_wait = settings.getfloat("TARGET_PAGES_WAIT")
        spider.scorer = cls.link_scorer(settings)
        spider.linked_domains_max = settings.getint("LINKED_DOMAINS_MAX")
        # the target's pages as indexed before the seeds start (see start): the quality score's
        # topical relevance, the same for every page of the crawl; else why it is unknown
        spider.relevance_index = None
        spider.relevance_unknown = (
            "target pages not indexed yet" if spider.config.check_links else "-a check_links=false"
        )
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
                self.relevance_unknown = f"target pages not all indexed in {self.target_pages_wait:g}s"
            else:
                self._freeze_relevance_index()
        export = self.config.export
        by, via = (f"export:{export.vendor}", export.name) if export else ("seed", None)
        for url in self.config.seeds:
            yield self.crawl_request(canonical_url(url), hop=0, discovered_by=by, discovered_via=via)
        for request in self.discovery.start_requests(self._prospect_queries()):
            yield request

    def _prospect_queries(self) -> list[str]:
        """With PROSPECT_QUERIES, the search sources' prospect queries from the target's niche terms
        (its pages indexed before the seeds: none with `-a check_links=false`, then none asked)."""
        if not self.settings.getbool("PROSPECT_QUERIES") or not self.discovery.sources:
            return []
        terms = niche_terms(self.target_index, self.config.target.brand_terms)
        if not terms:
            self.logger.warning("PROSPECT_QUERIES: no page of the target indexed, no prospect query asked")
            return []
        return prospect_queries(list(terms), self.settings.getint("PROSPECT_QUERIES_MAX"))

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
        render = self.render_request(response, snapshot)
        if render is not None:  # render=auto: this page needs the browser
            yield render
            return
        if self.is_parked(url):  # render=auto: it waits for its site's samples
            return
        yield from self._handle(url, response.meta, snapshot)

    def _released(self) -> Iterator[Any]:
        """The parked pages a sample's outcome decided (rendered, or handled as they are)."""
        renders, statics = self.release_parked()
        yield from renders
        for url, meta, snapshot in statics:
            yield from self._handle(url, meta, snapshot)

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
        refetch, fallback = self.render_refetch(failure), self.render_fallback(failure)
        if refetch is not None:
            yield refetch
        elif fallback is not None:
            yield from self._handle(fallback.meta["source_url"], fallback.meta, fallback)
            yield from self._released()
        else:
            page = self.failure_record(failure)
            self.discovery.page_crawled(page.discovered_by, 0, 0)
            yield from self._claims_checked(page.url, page.status, page.error, None)
            yield page
            # (an HTTP error is a result; robots.txt or the guard refusing the page is not)
            if self.config.check_links and (failure.check(HttpError) or not failure.check(IgnoreRequest)):
                result = CheckResult(page.status, None if page.status else page.error, page.crawled_at)
                yield from self.link_checker.page_checked(page.url, result)

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
                yield from self.link_checker.page_checked(url, CheckResult(snapshot.status, None, utc_now()))
            return
        # otherwise the page is recorded under the URL asked for, and where it redirected to is
        # remembered: a link to it later is not crawled again
        if snapshot.tree is None:  # parsed once: extraction and the block check share it
            snapshot.tree = parse_html(snapshot.html)
        found = extract_page(snapshot, self.config.target, self.matcher, self.config.competitors)
        block = detect_block(snapshot.tree, snapshot.headers, snapshot.status, found.text)
        if block is not None:  # a page record that says so; never evidence that a link is gone
            self.crawler.stats.inc_value(f"pages/blocked/{block.kind}")
        if snapshot.rendered and self.learn_from_sample(url, meta, found):
            yield from self._released()
        if self.config.target.owns(url):
            self._index_target_page(url, found)
        yield from self._records(url, meta, snapshot, found, block)
        if self.config.check_links:
            yield from self.link_checker.page_checked(url, CheckResult(snapshot.status, None, utc_now()))
            yield from self.link_checker.page_links(url, found.links, hop)
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
            domain=source_domain,
            linked_domains=linked_domains(found.links, url, self.linked_domains_max, found.follow),
        )
        discovered_by = meta.get("discovered_by")
        relevance = self._relevance(url, found)
        self.discovery.page_crawled(discovered_by, len(found.backlinks), len(found.mentions))
        links = [FoundLink(b.target_url, b.anchor_text, tuple(b.rel)) for b in found.backlinks]
        yield from self._claims_checked(url, snapshot.status, None, links)
        for link in (*found.backlinks, *found.competitor_backlinks):  # (competitors: -a competitors=)
            yield from self.link_checker.backlink_ready(
                Backlink(
                    crawl_id=self.crawl_id,
                    target=link.site,
                    role=TARGET_ROLE if link.site == self.config.target.host else COMPETITOR_ROLE,
                    main_target=self.config.target.host,
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
                    **self._quality(link, found, source_domain, relevance),
                )
            )
        for mention in (*found.mentions, *found.competitor_mentions):
            yield Mention(
                crawl_id=self.crawl_id,
                target=mention.site,
                role=TARGET_ROLE if mention.site == self.config.target.host else COMPETITOR_ROLE,
                main_target=self.config.target.host,
                crawled_at=now,
                source_url=url,
                term=mention.term,
                matched_text=mention.matched_text,
                snippet=mention.snippet,
                form=mention.form,
                position=mention.position,
                linked=mention.linked,
                unlinked=found.unlinked_for(mention.site),
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
        if found.gap and found.contacts is not None:  # links to competitors, none to the target
            yield gap_record(self.crawl_id, self.config.target.host, url, found, discovered_by)
        if self.prospects is not None and block is None:
            yield from self._prospect(url, snapshot, found, discovered_by)

    def _prospect(
        self, url: str, snapshot: PageSnapshot, found: PageExtraction, discovered_by: str | None
    ) -> Iterator[Prospect]:
        """The page's `prospect` record when it invites a link (extract/prospects.py) and is not off
        the target's niche (judged against the target's pages indexed before the seeds started;
        with none indexed, relevance is unknown and drops nothing)."""
        match = self.prospects.classify(snapshot.tree, url, found)
        if match is None:
            return
        relevance = None
        if self.relevance_index is not None:
            relevance = niche_relevance(
                self.relevance_index, found.title, found.content_text, self.config.target.brand_terms
            )
        if relevance is not None and relevance < self.prospect_min_relevance:
            self.crawler.stats.inc_value("prospects/off_niche")
            return
        self.crawler.stats.inc_value(f"prospects/{match.kind}")
        sites = (self.config.target.host, *(c.host for c in self.config.competitors))
        contacts = page_contacts(snapshot.tree, found, sites)
        yield Prospect(
            crawl_id=self.crawl_id,
            target=self.config.target.host,
            crawled_at=utc_now(),
            source_url=url,
            source_domain=registered_domain(host_of(url)),
            kind=match.kind,
            evidence=match.evidence,
            niche_relevance=relevance,
            title=found.title,
            links_to_target=match.links_to_target,
            competitors=match.competitors,
            emails=contacts.emails,
            contact_url=contacts.contact_url,
            social_profiles=contacts.social_profiles,
            source_type=found.source_type,
            discovered_by=discovered_by,
        )

    # --- link quality (quality.py) ----------------------------------------------------------

    def _freeze_relevance_index(self) -> None:
        """The target's pages are indexed: a copy is what every backlink's relevance is judged
        against (pages of the target crawled later still feed replacement suggestions only)."""
        if not len(self.target_index):
            self.relevance_unknown = "no page of the target indexed (none in its sitemap.xml)"
            return
        self.relevance_index = TargetIndex()
        self.relevance_index.pages = dict(self.target_index.pages)

    def _relevance(self, url: str, found: PageExtraction) -> float | None:
        if self.relevance_index is None or not (found.backlinks or found.competitor_backlinks):
            return None
        return page_relevance(self.relevance_index, found.title, found.content_text, url)

    def _quality(
        self, link: TargetLink, found: PageExtraction, source_domain: str, relevance: float | None
    ) -> dict[str, Any]:
        """A backlink's `quality` and `quality_reasons`."""
        site = next((c for c in self.config.competitors if c.host == link.site), self.config.target)
        quality, reasons = self.scorer.score(
            link,
            found,
            source_domain,
            (*site.brand_terms, *site.domain_terms),
            relevance,
            self.relevance_unknown,
        )
        return {"quality": quality, "quality_reasons": reasons}

    # --- link checking (linkchecker.py) -------------------------------------------------------

    def link_checked(self, response: Response) -> Iterator[Any]:
        return self.link_checker.checked(response)

    def link_check_failed(self, failure: Failure) -> Iterator[Any]:
        return self.link_checker.check_failed(failure)

    def _follows(self, link: OutLink, hop: int) -> bool:
        """The crawl follows this link of a page at `hop` (see _follow; in a distributed crawl
        perhaps in another process): its page fetch can be its check."""
        return hop < self.config.depth and self._followable(link)

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
        return self.link_checker.dropped(key)

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
