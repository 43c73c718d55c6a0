"""Progress of a running crawl, one log line every PROGRESS_INTERVAL seconds, and a quieter log.

`CrawlProgress` (an extension; PROGRESS_INTERVAL = 0 turns it off) logs, e.g.

    progress: 1,234 pages (56 rendered, 12 errors), 310 queued, 88 backlinks, 140 mentions, 410 pages/min

pages, rendered pages, pages with an error, backlinks and mentions are the records the crawl has
written so far (counted by type in an `item_scraped` handler: Scrapy's stats count items, not their
types; a record the dedupe pipeline drops is never scraped), so they are the numbers the crawl's
files and summary end with. "queued" is the scheduler's length (requests waiting, link checks
included), pages/min the rate since the previous line. One last line, "progress: done, ...", is
logged when the crawl closes, with the final counts and the whole crawl's average rate.

`QuietStartup` is a logging filter for Scrapy's startup banner (versions, add-ons, the enabled
extensions / middlewares / pipelines lists, the overridden-settings dump, the telnet console): it
turns those INFO lines into DEBUG ones, so a default log shows our own lines, warnings and errors;
`-L DEBUG` (LOG_LEVEL) brings them back. `install_quiet_startup()` adds it to the loggers concerned;
it must run before Scrapy creates the crawler process (the `crawl` command does it when
QUIET_STARTUP_LOG is true).
"""

from __future__ import annotations

import logging
import time
from collections import Counter

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

logger = logging.getLogger(__name__)


def format_progress(counts: Counter, queued: int | None, per_minute: float, done: bool = False) -> str:
    """The progress line from record counts ("page", "rendered", "error", "backlink", "mention"),
    the scheduler's length (None: unknown, left out) and pages per minute."""
    parts = [
        f"{counts['page']:,} pages ({counts['rendered']:,} rendered, {counts['error']:,} errors)",
        *([f"{queued:,} queued"] if queued is not None else []),
        f"{counts['backlink']:,} backlinks",
        f"{counts['mention']:,} mentions",
        f"{round(per_minute):,} pages/min",
    ]
    return ("progress: done, " if done else "progress: ") + ", ".join(parts)


class CrawlProgress:
    """Logs format_progress every PROGRESS_INTERVAL seconds (float; 0 = off) and once at the end."""

    def __init__(self, crawler: Crawler, interval: float) -> None:
        self.crawler = crawler
        self.interval = interval
        self.counts: Counter = Counter()
        self.task = None
        self.started = self.last_time = time.monotonic()
        self.last_pages = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProgress:
        interval = crawler.settings.getfloat("PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def item_scraped(self, item: object) -> None:
        """Count a written record by its type (and a page's rendering and error)."""
        record = ItemAdapter(item)
        kind = record.get("type")
        self.counts[kind] += 1
        if kind == "page":
            self.counts["rendered"] += bool(record.get("rendered"))
            self.counts["error"] += bool(record.get("error"))

    def spider_opened(self, spider: Spider) -> None:
        self.started = self.last_time = time.monotonic()
        self.task = create_looping_call(self.log_progress)
        self.task.start(self.interval, now=False)

    def queued(self) -> int | None:
        """Requests in the scheduler now (None when there is no scheduler, or it cannot tell)."""
        engine = getattr(self.crawler, "engine", None)
        scheduler = getattr(engine, "scheduler", None) if engine is not None else None
        try:
            return len(scheduler) if scheduler is not None else None
        except TypeError:  # a scheduler without __len__
            return None

    def log_progress(self) -> None:
        now = time.monotonic()
        elapsed = now - self.last_time
        rate = (self.counts["page"] - self.last_pages) * 60 / elapsed if elapsed > 0 else 0.0
        self.last_time, self.last_pages = now, self.counts["page"]
        logger.info(format_progress(self.counts, self.queued(), rate))

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        elapsed = time.monotonic() - self.started
        rate = self.counts["page"] * 60 / elapsed if elapsed > 0 else 0.0
        logger.info(format_progress(self.counts, self.queued(), rate, done=True))


# Scrapy's startup banner: (logger name, start of the message) of the INFO lines QuietStartup
# turns into DEBUG lines. Everything else, warnings and errors included, passes unchanged.
STARTUP_LINES = (
    ("scrapy.utils.log", "Versions:"),
    ("scrapy.utils.log", "Using reactor"),
    ("scrapy.utils.log", "Using asyncio event loop"),
    ("scrapy.addons", "Enabled addons"),
    ("scrapy.middleware", "Enabled "),
    ("scrapy.crawler", "Overridden settings"),
    ("scrapy.extensions.telnet", "Telnet"),
    ("scrapy.extensions.logstats", "Crawled "),
)


class QuietStartup(logging.Filter):
    """Demotes the INFO records of STARTUP_LINES to DEBUG (the handler's LOG_LEVEL then decides)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and any(
            record.name == name and str(record.msg).startswith(start) for name, start in STARTUP_LINES
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


def install_quiet_startup() -> None:
    """Add QuietStartup to the loggers of STARTUP_LINES (once)."""
    for name in dict.fromkeys(name for name, _ in STARTUP_LINES):
        target = logging.getLogger(name)
        if not any(isinstance(f, QuietStartup) for f in target.filters):
            target.addFilter(QuietStartup())
