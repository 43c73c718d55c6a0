"""Crawl scope, spider-trap guards and politeness: what the crawl may schedule, what it stops
downloading, and how it backs off when a site asks it to.

* `CrawlScopeMiddleware` (spider middleware): page caps (`MAX_PAGES`, `MAX_PAGES_PER_SITE`), trap
  guards (over-long URLs, repeated path segments, deep paths, many query parameters, calendars,
  ever-growing query strings) and trailing-slash duplicates. Each rule is a small pure function
  below, tested on its own.
* `NonHtmlAbort` (extension, a `headers_received` handler): stops reading the body of a page whose
  Content-Type is clearly not HTML (images, video, pdf, archives, ...): it costs a header read.
* `RetryAfterMiddleware` (downloader middleware): honours `Retry-After` on 429 and 503 by holding
  the site's download slot, which delays the retry and every other request to that site.

"Page requests" are the crawl's frontier: requests with `meta["hop"]` (the spider's
`crawl_request`), but never link checks (`meta["link_check"]`), search queries
(`meta["search_query"]`) or robots.txt. The target's own sitemap pages and `recheck`'s known
pages carry no `hop`: they are bounded elsewhere (TARGET_PAGES_MAX, the known-links list).

Counters are per process: with a shared Redis frontier (REDIS_URL) every process applies the
caps to the requests its own callbacks yield.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from time import monotonic
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured, StopDownload
from scrapy.http import Response
from scrapy.http.headers import Headers
from scrapy.spidermiddlewares.base import BaseSpiderMiddleware

from backlink_spider.responses import mime_type
from backlink_spider.target import host_of, registered_domain
from backlink_spider.urls import canonical_url, trailing_slash_key

logger = logging.getLogger(__name__)


# --- which requests are pages ----------------------------------------------------------------


def is_robots_txt(request: Request) -> bool:
    return urlsplit(request.url).path == "/robots.txt"


def is_page_request(request: Request) -> bool:
    """A request of the crawl frontier: it has a `hop`, and is no link check, search or robots.txt."""
    meta = request.meta
    return (
        "hop" in meta
        and not meta.get("link_check")
        and not meta.get("search_query")
        and not is_robots_txt(request)
    )


# --- trap rules: small pure functions --------------------------------------------------------


def path_segments(path: str) -> list[str]:
    return [segment for segment in path.split("/") if segment]


def too_long(url: str, limit: int) -> bool:
    """`url` has more than `limit` characters (0: no limit)."""
    return bool(limit) and len(url) > limit


def too_deep(path: str, limit: int) -> bool:
    """The path has more than `limit` non-empty segments (0: no limit)."""
    return bool(limit) and len(path_segments(path)) > limit


def repeated_segments(path: str, limit: int) -> bool:
    """A segment occurs more than `limit` times: `/a/b/a/b/a/b/` with limit 2 (0: no limit)."""
    segments = path_segments(path)
    return bool(limit) and bool(segments) and Counter(segments).most_common(1)[0][1] > limit


def query_param_count(query: str) -> int:
    return len(parse_qsl(query, keep_blank_values=True))


def too_many_params(query: str, limit: int) -> bool:
    """The query has more than `limit` parameters (0: no limit)."""
    return bool(limit) and query_param_count(query) > limit


def query_grows(parent_url: str, child_url: str) -> bool:
    """`child_url` is `parent_url`'s path with the parent's query parameters (by name, as a
    multiset) plus exactly one more: `/l?p=1` → `/l?p=1&q=2`. Hosts are not compared (a page
    fetched through HOST_ALIASES has another host than the links on it)."""
    parent, child = urlsplit(parent_url), urlsplit(child_url)
    if (parent.path or "/") != (child.path or "/"):
        return False
    parent_names = Counter(name for name, _ in parse_qsl(parent.query, keep_blank_values=True))
    child_names = Counter(name for name, _ in parse_qsl(child.query, keep_blank_values=True))
    return child_names.total() == parent_names.total() + 1 and not (parent_names - child_names)


def query_growth_depth(parent_urls: list[str], parent_depth: int, child_url: str) -> int:
    """How many growth steps in a row lead to `child_url`: the parent's depth + 1 when the child
    grows the parent's query (any of `parent_urls`: the URL as requested, the URL fetched), else 0."""
    if any(query_grows(parent, child_url) for parent in parent_urls):
        return parent_depth + 1
    return 0


# Calendars. A URL is "calendar-looking" when its path *ends* with a date (a calendar or date
# archive page, not an article under a dated path) or its query carries a date; the years found
# then decide whether it is far from today.
CALENDAR_WORDS = frozenset(
    {"calendar", "calendars", "cal", "kalender", "calendrier", "agenda", "events", "event",
     "schedule", "archive", "archives", "date", "day", "days", "month", "months", "year", "years"}
)  # fmt: skip
_DATE = re.compile(r"^(\d{4})-(\d{1,2})(?:-(\d{1,2}))?$")  # 2031-07, 2031-07-01
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})?$")  # 203107, 20310701
_YEAR = re.compile(r"^\d{4}$")
_MONTH_OR_DAY = re.compile(r"^\d{1,2}$")
_YEAR_PARAMS = frozenset({"year", "yr", "y", "jahr", "annee", "ano"})
_DATE_PARAMS = frozenset(
    {"date", "day", "month", "mon", "week", "ym", "cal", "calendar", "start", "end", "from", "to",
     "since", "until", "eventdate", "event_date", "tribe-bar-date"}
)  # fmt: skip


def _date_year(value: str, *, compact: bool) -> int | None:
    """The year of a date value (`2031-07`, `2031-07-01`; `20310701` when `compact`)."""
    match = _DATE.match(value) or (_COMPACT_DATE.match(value) if compact else None)
    if match and 1 <= int(match.group(2)) <= 12:
        return int(match.group(1))
    return None


def _path_calendar_year(path: str) -> int | None:
    """The year of a path that ends with a date: `/2031/07/`, `/news/2031/07/15/`,
    `/calendar/2031-07/`, or a lone year after a calendar word (`/calendar/2031/`)."""
    segments = path_segments(path)
    if not segments:
        return None
    year = _date_year(segments[-1], compact=False)
    if year is not None:
        return year
    # trailing year[/month[/day]]
    tail = segments[-3:]
    for start in range(len(tail)):
        parts = tail[start:]
        if not _YEAR.match(parts[0]) or not all(_MONTH_OR_DAY.match(p) for p in parts[1:]):
            continue
        if len(parts) >= 2 and not 1 <= int(parts[1]) <= 12:
            continue
        if len(parts) == 3 and not 1 <= int(parts[2]) <= 31:
            continue
        preceding = segments[: len(segments) - len(parts)]
        if len(parts) == 1 and not (preceding and preceding[-1].lower() in CALENDAR_WORDS):
            continue  # a lone number: a year only after a calendar word (not /products/2031/)
        return int(parts[0])
    return None


def calendar_years(url: str) -> tuple[int, ...] | None:
    """The years of a calendar-looking URL (possibly none: `?month=7`), or None when the URL does
    not look like a calendar page. `/2015/03/my-post/` (an article) is not one."""
    parts = urlsplit(url)
    years: list[int] = []
    looks = False
    year = _path_calendar_year(parts.path)
    if year is not None:
        looks = True
        years.append(year)
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        name, value = name.lower(), value.strip()
        if name in _YEAR_PARAMS or name.endswith("year"):
            looks = True
            if _YEAR.match(value):
                years.append(int(value))
            continue
        date_name = name in _DATE_PARAMS or "date" in name
        year = _date_year(value, compact=date_name)
        if year is not None:
            looks = True
            years.append(year)
        elif date_name and name not in ("start", "end", "from", "to", "since", "until"):
            looks = True  # ?month=7, ?day=3: a calendar view without a year
    return tuple(years) if looks else None


def calendar_far(years: tuple[int, ...], this_year: int, max_years: int) -> bool:
    """A year more than `max_years` away from `this_year` (either way)."""
    return any(abs(year - this_year) > max_years for year in years)


@dataclass(frozen=True)
class TrapLimits:
    """The trap settings (0 switches a rule off)."""

    max_url_length: int = 2000
    max_repeated_segments: int = 2
    max_path_depth: int = 15
    max_query_params: int = 12
    calendar_years: int = 2
    max_calendar_pages: int = 50
    max_query_growth: int = 3

    @classmethod
    def from_settings(cls, settings) -> TrapLimits:  # noqa: ANN001
        return cls(
            max_url_length=settings.getint("TRAP_MAX_URL_LENGTH"),
            max_repeated_segments=settings.getint("TRAP_MAX_REPEATED_SEGMENTS"),
            max_path_depth=settings.getint("TRAP_MAX_PATH_DEPTH"),
            max_query_params=settings.getint("TRAP_MAX_QUERY_PARAMS"),
            calendar_years=settings.getint("TRAP_CALENDAR_YEARS"),
            max_calendar_pages=settings.getint("TRAP_MAX_CALENDAR_PAGES"),
            max_query_growth=settings.getint("TRAP_MAX_QUERY_GROWTH"),
        )


def url_trap(url: str, limits: TrapLimits, this_year: int) -> str | None:
    """The kind of trap `url` alone shows (`url_length`, `path_depth`, `repeated_segments`,
    `query_params`, `calendar`), or None. Query growth and the calendar page cap need the crawl's
    state and are checked by the middleware."""
    if too_long(url, limits.max_url_length):
        return "url_length"
    parts = urlsplit(url)
    if too_deep(parts.path, limits.max_path_depth):
        return "path_depth"
    if repeated_segments(parts.path, limits.max_repeated_segments):
        return "repeated_segments"
    if too_many_params(parts.query, limits.max_query_params):
        return "query_params"
    if limits.calendar_years:
        years = calendar_years(url)
        if years and calendar_far(years, this_year, limits.calendar_years):
            return "calendar"
    return None


# --- the spider middleware --------------------------------------------------------------------


class CrawlScopeMiddleware(BaseSpiderMiddleware):
    """Decides, for every page request the spider yields (from `start()` and from callbacks),
    whether it is scheduled. In order:

    1. a URL admitted before passes untouched (a re-render, a fallback fetch; Scrapy's dupefilter
       drops the plain duplicates) and is not counted again;
    2. a URL that differs only by a trailing slash from an admitted one is dropped
       (`scope/dropped/trailing_slash_duplicate`);
    3. trap guards (`scope/dropped/trap/<kind>`): `url_length` (TRAP_MAX_URL_LENGTH),
       `path_depth` (TRAP_MAX_PATH_DEPTH), `repeated_segments` (TRAP_MAX_REPEATED_SEGMENTS),
       `query_params` (TRAP_MAX_QUERY_PARAMS), `query_growth` (TRAP_MAX_QUERY_GROWTH growth steps
       in a row, tracked in `meta["query_growth"]`), `calendar` (a calendar-looking URL more than
       TRAP_CALENDAR_YEARS from the current year), `calendar_pages` (more than
       TRAP_MAX_CALENDAR_PAGES calendar-looking URLs on one site);
    4. caps: `MAX_PAGES` (`scope/dropped/max_pages`) and `MAX_PAGES_PER_SITE` per registrable
       domain (`scope/dropped/max_pages_per_site`); one INFO line when a cap is first reached
       (per site for the per-site cap).

    Admitted pages count `scope/admitted`. Requests that are not page requests pass untouched.
    A spider that counts on its page requests being fetched (the link check of a followed link is
    its page fetch) defines `scope_dropped(request, reason)`: see `_drop`.
    The universal form of Scrapy 2.13+ (`BaseSpiderMiddleware.get_processed_request`) covers
    `process_start`, `process_spider_output` and `process_spider_output_async`.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.stats = crawler.stats
        self.limits = TrapLimits.from_settings(settings)
        self.max_pages = settings.getint("MAX_PAGES")
        self.max_pages_per_site = settings.getint("MAX_PAGES_PER_SITE")
        self.this_year = datetime.now(UTC).year
        self.admitted: dict[str, str] = {}  # trailing-slash key → the URL admitted
        self.pages = 0
        self.site_pages: Counter[str] = Counter()
        self.calendar_pages: Counter[str] = Counter()
        self._logged_caps: set[str] = set()

    def get_processed_request(self, request: Request, response: Response | None) -> Request | None:
        if not is_page_request(request):
            return request
        url = canonical_url(request.url)
        key = trailing_slash_key(url)
        seen = self.admitted.get(key)
        parent_depth = response.meta.get("query_growth", 0) if response is not None else 0
        if seen == url:
            if response is not None and self._is_refetch(response, url):  # a re-render, a fallback
                request.meta["query_growth"] = parent_depth
            return request
        if seen is not None:
            return self._drop(request, "trailing_slash_duplicate")
        kind = url_trap(url, self.limits, self.this_year)
        if kind:
            return self._drop(request, f"trap/{kind}")
        growth = 0
        if response is not None:
            growth = query_growth_depth(self._parents(response), parent_depth, url)
            if self.limits.max_query_growth and growth > self.limits.max_query_growth:
                return self._drop(request, "trap/query_growth")
        site = registered_domain(host_of(url))
        calendar = self.limits.max_calendar_pages and calendar_years(url) is not None
        if calendar and self.calendar_pages[site] >= self.limits.max_calendar_pages:
            return self._drop(request, "trap/calendar_pages")
        if self.max_pages and self.pages >= self.max_pages:
            self._cap_reached("max_pages", f"MAX_PAGES ({self.max_pages}) reached")
            return self._drop(request, "max_pages")
        if self.max_pages_per_site and self.site_pages[site] >= self.max_pages_per_site:
            self._cap_reached(
                f"site:{site}", f"MAX_PAGES_PER_SITE ({self.max_pages_per_site}) reached for {site}"
            )
            return self._drop(request, "max_pages_per_site")
        self.admitted[key] = url
        self.pages += 1
        self.site_pages[site] += 1
        if calendar:
            self.calendar_pages[site] += 1
        request.meta["query_growth"] = growth
        self.stats.inc_value("scope/admitted")
        return request

    @staticmethod
    def _parents(response: Response) -> list[str]:
        return [response.meta.get("source_url") or response.url, response.url]

    def _is_refetch(self, response: Response, url: str) -> bool:
        return any(canonical_url(parent) == url for parent in self._parents(response))

    def _drop(self, request: Request, reason: str) -> Request | None:
        """Drop `request`; a spider method `scope_dropped(request, reason)`, when there is one, is
        told and may return a request scheduled in its place as is (e.g. the link check that the
        page fetch would have stood for)."""
        self.stats.inc_value(f"scope/dropped/{reason}")
        logger.debug("Dropped %s: %s", request.url[:300], reason)
        hook = getattr(self.crawler.spider, "scope_dropped", None)
        return hook(request, reason) if hook is not None else None

    def _cap_reached(self, name: str, message: str) -> None:
        if name not in self._logged_caps:
            self._logged_caps.add(name)
            logger.info("%s: further pages are not scheduled", message)


class FollowedUrls:
    """The URLs this process has already asked to follow, so that the links every page repeats
    (navigation, sidebars) do not each become a Request that Scrapy's duplicate filter then drops:
    on a typical site most links of a page lead to pages already scheduled, and building, passing
    through the spider middlewares and fingerprinting those requests cost more than the page's
    extraction. The duplicate filter stays the authority (it persists with JOBDIR and is shared
    through Redis); this is a bounded cache in front of it: past `limit` URLs it starts afresh.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._urls: set[str] = set()

    def add(self, url: str) -> bool:
        """True when `url` is new (now remembered); False when it was followed before."""
        if not self.limit:
            return True
        if url in self._urls:
            return False
        if len(self._urls) >= self.limit:
            self._urls.clear()
        self._urls.add(url)
        return True

    def forget(self, url: str) -> None:
        """A request for `url` was dropped before the duplicate filter saw it (by the scope
        middleware): another link to it must reach the middleware again (its query-growth guard
        depends on the path the link came by)."""
        self._urls.discard(url)


# --- non-HTML bodies ------------------------------------------------------------------------

# Clearly not HTML: the body is not read. Families by prefix, the rest by exact type.
NON_HTML_PREFIXES = (
    "image/", "video/", "audio/", "font/", "application/font", "application/x-font",
    "application/vnd.openxmlformats-officedocument.", "application/vnd.oasis.opendocument.",
)  # fmt: skip
NON_HTML_TYPES = frozenset(
    {
        "application/pdf", "application/zip", "application/x-zip-compressed", "application/gzip",
        "application/x-gzip", "application/x-tar", "application/x-bzip2", "application/x-xz",
        "application/x-7z-compressed", "application/x-rar-compressed", "application/vnd.rar",
        "application/octet-stream", "binary/octet-stream", "application/x-msdownload",
        "application/vnd.ms-fontobject", "application/wasm", "application/x-shockwave-flash",
        "application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
        "application/x-iso9660-image", "application/java-archive", "application/vnd.android.package-archive",
        "text/css", "text/javascript", "application/javascript", "application/x-javascript",
        "application/ecmascript", "text/ecmascript",
    }
)  # fmt: skip
# What a seed document may be (hop 0 and requests without a hop): sitemaps (also gzipped, often
# served as octet-stream) and feeds. XML types are never in NON_HTML_TYPES anyway.
SEED_DOCUMENT_TYPES = frozenset(
    {"application/gzip", "application/x-gzip", "application/octet-stream", "binary/octet-stream"}
)


def clearly_not_html(content_type: str | bytes | None, *, seed: bool) -> bool:
    """The Content-Type is clearly not HTML (no type at all is not clear: the body is sniffed).
    For a seed document, gzip and octet-stream are allowed (a gzipped sitemap)."""
    mime = mime_type(content_type)
    if not mime:
        return False
    if mime.startswith(NON_HTML_PREFIXES):
        return True
    if seed and mime in SEED_DOCUMENT_TYPES:
        return False
    return mime in NON_HTML_TYPES


def should_abort(request: Request, content_type: str | bytes | None) -> bool:
    """Whether to stop reading this response's body: a page fetch (no link check, search query,
    browser fetch or robots.txt) whose Content-Type is clearly not HTML. A request at hop 0 (a
    seed, maybe a sitemap or feed) or without a hop (the target's sitemap pages, recheck) is
    treated as a possible seed document."""
    meta = request.meta
    if meta.get("link_check") or meta.get("search_query") or meta.get("playwright") or is_robots_txt(request):
        return False
    return clearly_not_html(content_type, seed=meta.get("hop", 0) == 0)


class NonHtmlAbort:
    """Extension: a `headers_received` handler that raises `StopDownload(fail=False)` for page
    responses whose Content-Type is clearly not HTML (Scrapy's documented way to stop a download,
    "Stopping the download of a Response"). The callback then gets the response with an empty
    body and the spider writes its `page` record with `error="not HTML: <type>"`, as for any
    non-HTML page. Works for the plain HTTP handlers (HTTP/1.1, HTTP/2); rendered pages never get
    here. Setting: `NON_HTML_ABORT_ENABLED` (default True). Stats: `scope/non_html_aborted`."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NonHtmlAbort:
        if not crawler.settings.getbool("NON_HTML_ABORT_ENABLED"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.headers_received, signal=signals.headers_received)
        return extension

    def headers_received(
        self, headers: Headers, body_length: int, request: Request, spider: Spider | None = None
    ) -> None:
        content_type = headers.get(b"Content-Type")
        if should_abort(request, content_type):
            self.stats.inc_value("scope/non_html_aborted")
            logger.debug("Not reading %s: %s", request.url, mime_type(content_type))
            raise StopDownload(fail=False)


# --- Retry-After ------------------------------------------------------------------------------


def retry_after_seconds(value: str | bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value: delay-seconds (`120`) or an HTTP date
    (`Wed, 21 Oct 2026 07:28:00 GMT`, 0 when past); None when absent or unreadable."""
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    value = (value or "").strip()
    if not value:
        return None
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class _Hold:
    slot: Any  # scrapy.core.downloader.Slot
    until: float  # monotonic
    delay: float  # the slot's delay and jitter before the hold
    jitter: float


# A held slot needs a non-zero delay: the downloader waits for `lastseen + delay` only then.
HOLD_MIN_DELAY = 0.001


class RetryAfterMiddleware:
    """Honours `Retry-After` (seconds or an HTTP date) on 429 and 503 responses, per site.

    Mechanism: the site's download slot is *held* until Retry-After seconds from now. Scrapy's
    downloader sends a slot's next request no earlier than `slot.lastseen + slot.delay`; the hold
    moves `lastseen` forward to `until - delay` (jitter off, the delay at least 1 ms), so nothing
    leaves for that site before `until`, and after it requests are spaced by the slot's usual
    delay again (raising `slot.delay` instead would also space out the requests after the hold,
    and a wake-up the downloader scheduled with the long delay cannot be brought forward). The
    retry itself is left to Scrapy's RetryMiddleware (RETRY_TIMES, its stats and priority); its
    request waits in the held slot like every other request to that site, so the crawler stops
    hitting the site meanwhile. Why not `await asyncio.sleep()` in an `async def
    process_response` (which 2.19 supports): the sleeping request keeps a place in the
    downloader's CONCURRENT_REQUESTS for the whole wait, and the site's other requests keep going.
    AutoThrottle rewrites `slot.delay` on every `response_downloaded`, before the downloader picks
    the slot's next request; our own `response_downloaded` handler, connected after it (extensions
    are built before the downloader), moves `lastseen` again for the new delay. The slot's jitter
    and a zero delay are put back on the first request or response after the hold.

    Order: process_response runs from the highest order to the lowest, so this middleware sits at
    560, *above* RetryMiddleware (550): it sees the 429/503 before RetryMiddleware retries it.

    A Retry-After above `RETRY_AFTER_MAX` (default 120 s) is not waited for: the request gets
    `dont_retry` and the response goes through to the spider (a `page` record with the status);
    the site is still held for RETRY_AFTER_MAX. Stats: `politeness/retry_after` (holds),
    `politeness/retry_after_too_long`.
    """

    CODES = (429, 503)

    def __init__(self, crawler: Crawler, max_wait: float) -> None:
        self.crawler = crawler
        self.max_wait = max_wait
        self.holds: dict[str, _Hold] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        middleware = cls(crawler, crawler.settings.getfloat("RETRY_AFTER_MAX"))
        crawler.signals.connect(middleware.response_downloaded, signal=signals.response_downloaded)
        return middleware

    @property
    def _downloader(self) -> Any:
        return self.crawler.engine.downloader

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if self.holds:
            self._enforce(self._downloader.get_slot_key(request))
        return None

    def response_downloaded(self, response: Response, request: Request, spider: Spider | None = None) -> None:
        if self.holds:
            self._enforce(request.meta.get("download_slot"))

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        key = request.meta.get("download_slot")
        if response.status not in self.CODES:
            if self.holds:
                self._enforce(key)
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            return response
        stats = self.crawler.stats
        if wait > self.max_wait:
            stats.inc_value("politeness/retry_after_too_long")
            logger.warning(
                "%s asks to retry after %.0fs (> RETRY_AFTER_MAX %.0fs): giving up on %s",
                key, wait, self.max_wait, request.url,
            )  # fmt: skip
            request.meta["dont_retry"] = True
            wait = self.max_wait
        if wait > 0 and key is not None:
            stats.inc_value("politeness/retry_after")
            logger.info("%s answered %s with Retry-After %.1fs: holding the site", key, response.status, wait)
            self._hold(key, wait)
        return response

    def _hold(self, key: str, seconds: float) -> None:
        slot = self._downloader.slots.get(key)
        if slot is None:
            return
        until = monotonic() + seconds
        hold = self.holds.get(key)
        if hold is None or hold.slot is not slot:
            hold = self.holds[key] = _Hold(slot, until, slot.delay, slot.jitter)
        else:
            hold.until = max(hold.until, until)
        self._apply(hold)

    @staticmethod
    def _apply(hold: _Hold) -> None:
        slot = hold.slot
        slot.jitter = 0.0
        if slot.delay < HOLD_MIN_DELAY:
            slot.delay = HOLD_MIN_DELAY
        slot.lastseen = hold.until - slot.delay

    def _enforce(self, key: str | None) -> None:
        hold = self.holds.get(key) if key is not None else None
        if hold is None:
            return
        slot = self._downloader.slots.get(key)
        if slot is not hold.slot:  # the slot was garbage-collected: a new one has the defaults
            del self.holds[key]
            return
        if monotonic() < hold.until:
            self._apply(hold)  # AutoThrottle may have changed the delay
            return
        slot.jitter = hold.jitter
        if slot.delay == HOLD_MIN_DELAY:
            slot.delay = hold.delay
        del self.holds[key]
