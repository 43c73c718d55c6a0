"""The crawl's side of the discovery sources: which sources run, their requests as Scrapy
requests at each source's documented rate, their answers into seeds, and the book of what each
did (for the summary record and the report's "Where we looked").

Rate: each source has its own download slot (`source:<name>`, in `DOWNLOAD_SLOTS` with the
source's `min_interval` as delay, no jitter, its `concurrency`), exempt from AutoThrottle, so the
documented rate holds whatever the pages of the crawl do. A throttled answer is waited for (up to
`DISCOVERY_MAX_WAIT`) and asked once more; a failing source is a warning, a stat
(`discovery/<source>/failed`) and a line in the report, never the end of the crawl.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import scrapy
from scrapy.http import Response
from scrapy.utils.misc import load_object
from twisted.python.failure import Failure

from backlink_spider.sources.base import Candidate, Source, SourceAnswer, SourceNotConfigured, SourceRequest
from backlink_spider.target import Target
from backlink_spider.urls import canonical_url

logger = logging.getLogger(__name__)

# The built-in sources by the name users give in `-a sources=`.
SOURCES = {
    "wikipedia": "backlink_spider.sources.mediawiki.MediaWikiSource",
    "hackernews": "backlink_spider.sources.hackernews.HackerNewsSource",
    "stackexchange": "backlink_spider.sources.stackexchange.StackExchangeSource",
    "gdelt": "backlink_spider.sources.gdelt.GdeltSource",
    "lemmy": "backlink_spider.sources.lemmy.LemmySource",
    "searxng": "backlink_spider.sources.searxng.SearxngSource",
    "brave": "backlink_spider.sources.keyed.BraveSource",
    "marginalia": "backlink_spider.sources.keyed.MarginaliaSource",
    "mojeek": "backlink_spider.sources.keyed.MojeekSource",
    "bluesky": "backlink_spider.sources.social.BlueskySource",
    "reddit": "backlink_spider.sources.social.RedditSource",
}
# Sources that need a setting (an instance URL, a key, an account): in the default list when set.
CONFIGURED_SOURCES = ("searxng", "brave", "marginalia", "mojeek", "bluesky", "reddit")


class SourceChoiceError(ValueError):
    """`-a sources=` names a source that does not exist, or one that cannot run (no key)."""


def build_sources(chosen: list[str] | None, settings: Any) -> tuple[list[Source], dict[str, str]]:
    """The sources of this crawl and, for the default list, those left out with the reason.

    `chosen` is the user's `-a sources=` list (None: DISCOVERY_SOURCES plus every source that
    needs a setting and has it: SearXNG with SEARCH_URL, the keyed APIs with their key; []: none).
    A chosen source whose setting is missing is an error."""
    explicit = chosen is not None
    names = list(chosen) if explicit else list(settings.getlist("DISCOVERY_SOURCES"))
    if not explicit:
        names += [n for n in CONFIGURED_SOURCES if n not in names]
    sources: list[Source] = []
    skipped: dict[str, str] = {}
    for name in dict.fromkeys(names):
        path = SOURCES.get(name, name if "." in name else None)
        if path is None:
            known = ", ".join(SOURCES)
            raise SourceChoiceError(f"unknown discovery source {name!r} (known: {known}, or none)")
        cls = load_object(path)
        try:
            sources.append(cls.from_settings(settings))
        except SourceNotConfigured as exc:
            if explicit:
                raise SourceChoiceError(f"source {name!r} cannot run: {exc}") from None
            skipped[name] = str(exc)
    return sources, skipped


def slot_settings(sources: Iterable[Source]) -> dict[str, dict[str, float]]:
    """DOWNLOAD_SLOTS entries that hold each source to its documented rate."""
    return {
        slot_name(s): {"delay": float(s.min_interval), "concurrency": int(s.concurrency), "jitter": 0.0}
        for s in sources
    }


def slot_name(source: Source) -> str:
    return f"source:{source.name}"


@dataclass
class SourceBook:
    """What one source did in this crawl (the report's "Where we looked")."""

    requests: int = 0
    candidates: int = 0
    pages: int = 0
    pages_with_backlinks: int = 0
    pages_with_mentions: int = 0
    failures: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "queries": self.queries[:50],
            "candidates": self.candidates,
            "pages": self.pages,
            "pages_with_backlinks": self.pages_with_backlinks,
            "pages_with_mentions": self.pages_with_mentions,
            "failures": self.failures[:20],
        }


class DiscoveryRunner:
    """Sends the sources' requests and turns their answers into seeds.

    `seed(candidate_url, source_name, query)` is the spider's way to crawl a candidate like a
    seed; it returns the Request (or None when the URL was already seeded)."""

    def __init__(
        self,
        sources: list[Source],
        target: Target,
        since: date | None,
        crawler: Any,
        seed: Callable[[str, str, str], scrapy.Request | None],
    ) -> None:
        settings = crawler.settings
        self.sources = {s.name: s for s in sources}
        self.target = target
        self.since = since
        self.crawler = crawler
        self.seed = seed
        self.max_requests = settings.getint("DISCOVERY_MAX_REQUESTS")
        self.max_candidates = settings.getint("DISCOVERY_MAX_CANDIDATES")
        self.max_wait = settings.getfloat("DISCOVERY_MAX_WAIT")
        self.books = {s.name: SourceBook() for s in sources}
        self._seen: dict[str, set[str]] = {s.name: set() for s in sources}
        self._sent = {s.name: 0 for s in sources}

    @property
    def stats(self) -> Any:  # set by Scrapy once the crawl starts
        return self.crawler.stats

    # --- requests -----------------------------------------------------------------------------

    def start_requests(self, prospect_queries: list[str] | None = None) -> list[scrapy.Request]:
        """Every source's first requests; with `prospect_queries`, the search sources that take
        them (`prospect_requests`: searxng and the keyed engines) ask those too."""
        out = []
        for source in self.sources.values():
            try:
                requests = source.start_requests(self.target, self.since)
                prospects = getattr(source, "prospect_requests", None)
                if prospect_queries and prospects is not None:
                    requests = [*requests, *prospects(self.target, prospect_queries)]
            except Exception as exc:  # noqa: BLE001 - a broken source must not stop the crawl
                self._fail(source.name, f"could not start: {exc}", stop=True)
                continue
            out += [r for r in (self._request(source, sr) for sr in requests) if r is not None]
        return out

    def _request(self, source: Source, sreq: SourceRequest, retried: bool = False) -> scrapy.Request | None:
        book = self.books[source.name]
        if book.stopped:
            return None
        if not retried:
            if self._sent[source.name] >= self.max_requests:
                self.stats.inc_value(f"discovery/{source.name}/request_cap")
                return None
            self._sent[source.name] += 1
        headers = {**source.headers(), **dict(sreq.headers)}
        return scrapy.Request(
            sreq.url,
            method=sreq.method,
            body=sreq.body or None,
            headers=headers,
            callback=self.parse,
            errback=self.failed,
            priority=50,
            dont_filter=True,
            meta={
                "download_slot": slot_name(source),
                "autothrottle_dont_adjust_delay": True,
                # an API's robots.txt is written for browsers, not for the API's clients
                "dont_obey_robotstxt": True,
                "handle_httpstatus_all": True,
                "dont_retry": True,  # the source reads its own throttling answers
                "discovery_source": source.name,
                "discovery_request": sreq,
                "discovery_retried": retried,
            },
        )

    # --- answers ------------------------------------------------------------------------------

    async def parse(self, response: Response) -> AsyncIterator[scrapy.Request]:
        name = response.meta["discovery_source"]
        source, sreq = self.sources[name], response.meta["discovery_request"]
        book = self.books[name]
        book.requests += 1
        if sreq.query not in book.queries:
            book.queries.append(sreq.query)
        self.stats.inc_value(f"discovery/{name}/requests")
        headers = {
            k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
        }
        try:
            result = source.parse(sreq, SourceAnswer(response.status, headers, response.body))
        except Exception as exc:  # noqa: BLE001 - a source bug is one failed request
            self._fail(name, f"{type(exc).__name__}: {exc}")
            return
        for candidate in result.candidates:
            for request in self._seeds(candidate):
                yield request
        if result.retry_after is not None:
            if response.meta["discovery_retried"] or result.retry_after > self.max_wait:
                self._fail(name, f"{result.error or 'throttled'} (asked to wait {result.retry_after:g}s)")
                return
            self.stats.inc_value(f"discovery/{name}/throttled")
            logger.info("Discovery source %s is throttled: waiting %gs", name, result.retry_after)
            await asyncio.sleep(result.retry_after)
            again = self._request(source, sreq, retried=True)
            if again is not None:
                yield again
            return
        if result.error:
            self._fail(name, result.error, stop=result.stop)
        elif result.stop:
            book.stopped = True
        if book.stopped:
            return
        if result.pause:
            await asyncio.sleep(min(result.pause, self.max_wait))
        for sreq_next in result.next_requests:
            request = self._request(source, sreq_next)
            if request is not None:
                yield request

    def _seeds(self, candidate: Candidate) -> list[scrapy.Request]:
        out = []
        for url in (candidate.url, candidate.via):
            if not url or not url.lower().startswith(("http://", "https://")) or self.target.owns(url):
                continue
            key = canonical_url(url)
            seen = self._seen[candidate.source]
            if key in seen:
                continue
            if len(seen) >= self.max_candidates:
                self.stats.inc_value(f"discovery/{candidate.source}/candidate_cap")
                break
            seen.add(key)
            self.books[candidate.source].candidates += 1
            self.stats.inc_value(f"discovery/{candidate.source}/candidates")
            request = self.seed(url, candidate.source, candidate.query)
            if request is not None:
                out.append(request)
        return out

    def failed(self, failure: Failure) -> None:
        name = failure.request.meta["discovery_source"]
        self._fail(name, " ".join(str(failure.value).split())[:200] or type(failure.value).__name__)

    def _fail(self, name: str, reason: str, stop: bool = False) -> None:
        book = self.books[name]
        book.failures.append(reason)
        if stop:
            book.stopped = True
        self.stats.inc_value(f"discovery/{name}/failed")
        logger.warning("Discovery source %s: %s%s", name, reason, " (source stopped)" if stop else "")

    # --- what the crawl found through each source ---------------------------------------------

    def page_crawled(self, source: str | None, backlinks: int, mentions: int) -> None:
        book = self.books.get(source or "")
        if book is None:
            return
        book.pages += 1
        book.pages_with_backlinks += backlinks > 0
        book.pages_with_mentions += mentions > 0

    def summary(self) -> dict[str, dict[str, Any]]:
        return {name: book.as_dict() for name, book in self.books.items()}
