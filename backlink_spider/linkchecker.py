"""Link checking during a crawl: the component that turns crawled pages into check requests (HEAD;
GET when HEAD is refused) and check results into records (`broken_link`, and each `backlink` with
its target URL's status).

The rules (what is dead, how a failure is named, replacement suggestions) live in linkcheck.py.
Here is the crawl-time state: which URLs were checked, who waits for a result and which checks may
go out now (LinkCheckBook), and LinkChecker, which the spider's callbacks hand pages, responses
and failures to. It needs no running engine: unit tests drive it with plain responses."""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from backlink_spider.extract.page import OutLink
from backlink_spider.extract.share import SHARE
from backlink_spider.linkcheck import HEAD_REFUSED, CheckResult, TargetIndex, describe_failure
from backlink_spider.records import COMPETITOR_ROLE, Backlink, BrokenLink, utc_now
from backlink_spider.target import Target, host_of
from backlink_spider.urls import canonical_url, url_key


class LinkChecker:
    """The link checks of one crawl (LINK_CHECK_* settings).

    A crawled page's links become check requests (`page_links`), each URL checked once; a page the
    crawl fetches anyway is its own check (`page_checked`), so links the crawl follows wait for it.
    The results become BrokenLink records for every page linking to a dead URL, with a replacement
    suggested from `target_index`, and give each backlink (`backlink_ready`) its target's status.

    `follows(link, hop)` says whether the crawl follows a link of a page at `hop` (this process or
    another). `callback` and `errback` are the spider methods that hand a check's response to
    `checked` and its failure to `check_failed` (request callbacks must be spider methods to
    survive JOBDIR). When not `enabled`, backlinks pass through and nothing is checked."""

    def __init__(
        self,
        crawler: Crawler,
        *,
        target: Target,
        crawl_id: str,
        target_index: TargetIndex,
        follows: Callable[[OutLink, int], bool],
        callback: Callable[[Response], Any],
        errback: Callable[[Failure], Any],
        enabled: bool = True,
        now: Callable[[], str] = utc_now,
    ) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.target, self.crawl_id, self.target_index = target, crawl_id, target_index
        self.follows, self.callback, self.errback = follows, callback, errback
        self.enabled, self.now = enabled, now
        self.book = LinkCheckBook(
            settings.getint("LINK_CHECK_MAX"),
            settings.getint("LINK_CHECK_MAX_PER_HOST"),
            settings.getint("LINK_CHECK_CONCURRENCY"),
            settings.getint("LINK_CHECK_CONCURRENCY_PER_HOST"),
        )
        self.check_internal = settings.getbool("LINK_CHECK_INTERNAL")
        self.timeout = settings.getfloat("LINK_CHECK_TIMEOUT")
        # The DOWNLOAD_SLOTS entry of every check:<host> slot (see _slot).
        per_host = settings.getint("LINK_CHECK_CONCURRENCY_PER_HOST")
        self.slot_settings = {
            "delay": settings.getfloat("LINK_CHECK_DELAY"),
            "jitter": 0.0,
            **({"concurrency": per_host} if per_host else {}),
        }
        # In a distributed crawl another process may fetch a followed link: it is checked here.
        self.distributed = bool(settings.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler: Crawler, **kwargs: Any) -> LinkChecker:
        """A checker (arguments as for the class) that also sends stalled checks on spider_idle."""
        checker = cls(crawler, **kwargs)
        crawler.signals.connect(checker.spider_idle, signal=signals.spider_idle)
        return checker

    # --- requests ---------------------------------------------------------------------------

    def request(self, key: str, method: str = "HEAD") -> scrapy.Request:
        """The check of one URL (HEAD; GET when HEAD is refused): in its host's own check slot,
        below every page in priority, never retried, with LINK_CHECK_TIMEOUT."""
        self.crawler.stats.inc_value("link_check/requests")
        meta = {
            "link_check": key,
            "source_url": key,
            "handle_httpstatus_list": list(range(400, 600)),
            "dont_retry": True,  # a dead link is checked again by the next crawl
            "download_slot": self._slot(host_of(key)),
            # AutoThrottle never lowers a delay on a non-200 answer, and most checks of dead
            # links are 404s: it would only ever slow the slot down. LINK_CHECK_DELAY holds instead.
            "autothrottle_dont_adjust_delay": True,
        }
        if self.timeout:
            meta["download_timeout"] = self.timeout
        return scrapy.Request(
            key,
            method=method,
            callback=self.callback,
            errback=self.errback,
            priority=-10,
            dont_filter=True,  # one check per URL is LinkCheckBook's job; a page GET must not hide it
            meta=meta,
        )

    def _slot(self, host: str) -> str:
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
            engine.downloader.per_slot_settings.setdefault(name, self.slot_settings)
        return name

    def _send(self, key: str) -> Iterator[scrapy.Request]:
        """A URL accepted for checking: its request now, or later when a check place is free
        (LINK_CHECK_CONCURRENCY, LINK_CHECK_CONCURRENCY_PER_HOST; see LinkCheckBook)."""
        if self.book.start(key, host_of(key)):
            yield self.request(key)

    def _next(self, key: str) -> Iterator[scrapy.Request]:
        """The check of `key` is over: the checks waiting for its place go out."""
        for waiting in self.book.release(host_of(key)):
            yield self.request(waiting)

    def stalled(self) -> list[scrapy.Request]:
        """Checks that wait although none is out (a check request was dropped without a callback,
        e.g. by UrlLengthMiddleware): their requests, their places given back."""
        return [self.request(key) for key in self.book.reset()]

    def spider_idle(self) -> None:
        """spider_idle: stalled checks are sent rather than the crawl ending without them."""
        if not self.enabled or not self.book.queued:
            return
        for request in self.stalled():
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def dropped(self, key: str) -> scrapy.Request | None:
        """The crawl will not fetch the page `key` (a trap, a cap): links that waited for its fetch
        are checked the ordinary way instead (None: no one waited, over the caps, or the check
        waits for a place)."""
        if self.enabled and key in self.book.waiting_sources:
            if self.book.should_schedule(key, host_of(key)) and self.book.start(key, host_of(key)):
                return self.request(key)
        return None

    # --- pages in ---------------------------------------------------------------------------

    def page_links(self, url: str, links: Iterable[OutLink], hop: int) -> Iterator[Any]:
        """Broken links of a crawled page at `hop`: links to other sites and to the target are
        checked; links within the page's own site only with LINK_CHECK_INTERNAL (a third party's
        dead internal link is no broken-link-building opportunity), unless the crawl fetches their
        page anyway: that fetch is their check, as is any result already known. Share and follow
        widgets (position `share`) are not checked unless they link to the target: a share intent
        carries the page in its URL, so a site with share buttons would cost each network
        LINK_CHECK_MAX_PER_HOST requests a crawl, and neither kind is a link anyone replaces."""
        seen: set[str] = set()
        for link in links:
            key = canonical_url(link.url)
            if key in seen or url_key(key) == url_key(url):
                continue
            seen.add(key)
            result = self.book.results.get(key)
            if result is not None:
                if result.dead:
                    yield self.broken_link(url, key, link.anchor_text, result)
                continue
            if link.position == SHARE and not self.target.owns(key):
                self.crawler.stats.inc_value("link_check/skipped_share")
                continue
            followed = self.follows(link, hop)  # by this or another process
            if not followed and link.internal and not self.check_internal and not self.target.owns(key):
                self.crawler.stats.inc_value("link_check/skipped_internal")
                continue
            self.book.waiting_sources.setdefault(key, []).append((url, link.anchor_text))
            if followed and not self.distributed:
                continue  # this process fetches it: its page record will say
            if self.book.should_schedule(key, host_of(key)):
                yield from self._send(key)
            elif not self.book.pending(key):
                self.book.waiting_sources.pop(key, None)
                self.crawler.stats.inc_value("link_check/skipped_cap")

    def page_checked(self, url: str, result: CheckResult) -> Iterator[Any]:
        """A crawled page's outcome is the link check of every link to it: no HEAD request."""
        key = canonical_url(url)
        if key not in self.book.results:
            yield from self._finish(key, result)

    def backlink_ready(self, backlink: Backlink) -> Iterator[Any]:
        """A backlink is written once its target URL's status is known (reclaim: a dead target);
        a competitor's backlink (role `competitor`) is written as it is: the target's links only."""
        if not self.enabled or backlink.role == COMPETITOR_ROLE:
            yield backlink
            return
        key = canonical_url(backlink.target_url)
        if key in self.book.results:
            yield self.with_target_status(backlink, self.book.results[key])
            return
        self.book.waiting_backlinks.setdefault(key, []).append(backlink)
        if self.book.should_schedule(key, host_of(key)):
            yield from self._send(key)
        elif not self.book.pending(key):  # over the caps: written without a status
            self.book.waiting_backlinks.pop(key, None)
            yield backlink

    # --- results in -------------------------------------------------------------------------

    def checked(self, response: Response) -> Iterator[Any]:
        """A check's response: its records, or its GET when HEAD was refused (keeping its place)."""
        key = response.meta["link_check"]
        if response.request.method == "HEAD" and response.status in HEAD_REFUSED:
            yield self.request(key, method="GET")
            return
        self.crawler.stats.inc_value(f"link_check/status/{response.status}")
        yield from self._finish(key, CheckResult(response.status, None, self.now()))
        yield from self._next(key)

    def check_failed(self, failure: Failure) -> Iterator[Any]:
        """A check that got no usable answer (DNS, refused, timeout, TLS, ...): its records."""
        key = failure.request.meta["link_check"]
        if failure.check(HttpError):
            result = CheckResult(failure.value.response.status, None, self.now())
        else:
            result = CheckResult(None, describe_failure(failure), self.now())
        self.crawler.stats.inc_value(f"link_check/error/{result.error or result.status}")
        yield from self._finish(key, result)
        yield from self._next(key)

    def _finish(self, key: str, result: CheckResult) -> Iterator[Any]:
        sources, backlinks = self.book.finish(key, result)
        if result.dead:
            for source_url, anchor in sources:
                yield self.broken_link(source_url, key, anchor, result)
        for backlink in backlinks:
            yield self.with_target_status(backlink, result)

    # --- records out ------------------------------------------------------------------------

    def broken_link(self, source_url: str, key: str, anchor: str, result: CheckResult) -> BrokenLink:
        suggestion = self.target_index.suggest(anchor, key)
        return BrokenLink(
            crawl_id=self.crawl_id,
            target=self.target.host,
            crawled_at=self.now(),
            source_url=source_url,
            broken_url=key,
            anchor_text=anchor,
            status=result.status,
            error=result.error,
            checked_at=result.checked_at,
            to_target=self.target.owns(key),
            suggested_replacement=suggestion[0] if suggestion else None,
            suggestion_score=suggestion[1] if suggestion else None,
        )

    @staticmethod
    def with_target_status(backlink: Backlink, result: CheckResult) -> Backlink:
        backlink.target_status = result.status
        backlink.target_error = result.error
        backlink.reclaim = result.status in (404, 410)
        return backlink


class LinkCheckBook:
    """Which URLs were checked, their results, who waits for them, and which checks may go out now.

    Each URL (by its canonical form) is checked once per crawl; `LINK_CHECK_MAX` and
    `LINK_CHECK_MAX_PER_HOST` cap the checks. Pages whose links wait for a result and backlinks
    waiting for their target's status are released when the result arrives.

    Pacing: at most `concurrency` check requests are out at once (in Scrapy's scheduler or
    downloader), at most `concurrency_per_host` of them to one host; the others wait here, in
    arrival order per host and taken round-robin over hosts, for `release()`. Why here and not
    in the scheduler: a request waiting in a download slot holds one of CONCURRENT_REQUESTS, so
    hundreds of checks queued in slots would starve the page fetches. 0 = no such cap.
    """

    def __init__(
        self, max_total: int, max_per_host: int, concurrency: int = 0, concurrency_per_host: int = 0
    ) -> None:
        self.max_total = max_total
        self.max_per_host = max_per_host
        self.concurrency = concurrency
        self.concurrency_per_host = concurrency_per_host
        self.results: dict[str, CheckResult] = {}
        self.in_flight: set[str] = set()
        self.waiting_sources: dict[str, list[tuple[str, str]]] = {}  # key -> [(source_url, anchor)]
        self.waiting_backlinks: dict[str, list] = {}  # key -> [Backlink]
        self.per_host: Counter[str] = Counter()
        self.scheduled = 0
        self.running: Counter[str] = Counter()  # host -> check requests out now
        self.running_total = 0
        self.queued: dict[str, deque[str]] = {}  # host -> keys waiting for a place (dict order: round-robin)

    def should_schedule(self, key: str, host: str) -> bool:
        """True the first time a URL is asked for, within the caps (and then marks it in flight)."""
        if key in self.results or key in self.in_flight:
            return False
        if self.scheduled >= self.max_total or self.per_host[host] >= self.max_per_host:
            return False
        self.scheduled += 1
        self.per_host[host] += 1
        self.in_flight.add(key)
        return True

    def pending(self, key: str) -> bool:
        return key in self.in_flight

    def finish(self, key: str, result: CheckResult) -> tuple[list[tuple[str, str]], list]:
        """Store a result; returns the (source, anchor) pairs and backlinks that waited for it."""
        self.in_flight.discard(key)
        self.results[key] = result
        return self.waiting_sources.pop(key, []), self.waiting_backlinks.pop(key, [])

    # --- pacing ---------------------------------------------------------------------------------

    def start(self, key: str, host: str) -> bool:
        """A URL accepted by `should_schedule`: True when its check request may go out now (it then
        holds a place until `release(host)`); False when it waits for one (see `release`)."""
        if host not in self.queued and self._room(host):
            self._take(host)
            return True
        self.queued.setdefault(host, deque()).append(key)
        return False

    def release(self, host: str) -> list[str]:
        """A check request to `host` is done (its last callback or errback ran): the keys whose
        check may go out now, each holding a place."""
        if self.running[host] > 0:
            self.running[host] -= 1
            self.running_total -= 1
            if not self.running[host]:
                del self.running[host]
        return self._ready()

    def reset(self) -> list[str]:
        """Nothing is out (the crawl is idle) yet checks wait: a request was dropped without a
        callback (e.g. by a spider middleware), so its place is given back. Returns the keys to send."""
        self.running.clear()
        self.running_total = 0
        return self._ready()

    def _room(self, host: str) -> bool:
        return (not self.concurrency or self.running_total < self.concurrency) and (
            not self.concurrency_per_host or self.running[host] < self.concurrency_per_host
        )

    def _take(self, host: str) -> None:
        self.running[host] += 1
        self.running_total += 1

    def _ready(self) -> list[str]:
        ready: list[str] = []
        moved = True
        while moved and self.queued:
            moved = False
            for host in list(self.queued):
                if self.concurrency and self.running_total >= self.concurrency:
                    return ready
                if not self._room(host):
                    continue
                waiting = self.queued.pop(host)
                key = waiting.popleft()
                if waiting:  # back of the line: the next host gets the next place
                    self.queued[host] = waiting
                moved = True
                if key in self.results:  # its page was fetched meanwhile: that was its check
                    continue
                self._take(host)
                ready.append(key)
        return ready
