"""A bare Scrapy spider: follows every same-site link, extracts nothing, yields no items.

    scrapy runspider bench/bare_spider.py -a start=http://127.0.20.1:PORT/ [-a stats_out=FILE]
        -s DEPTH_LIMIT=N -s CONCURRENT_REQUESTS=32 ...

The baseline for `mentions`: the same reactor (asyncio), robots.txt obeyed, same user agent,
cookies off, same retry/timeout settings, link depth limited by Scrapy's DEPTH_LIMIT (the
`mentions` spider's `-a depth=N` means the same: the start page is hop 0, pages up to hop N
are fetched). bench/run.py runs it from a scratch directory so that the project's settings
(pipelines, the private-address guard) are *not* loaded: this is plain Scrapy.

`-a remember=true` makes it skip links to URLs it has already yielded, as the `mentions` spider does
(its FOLLOWED_URLS_MEMORY): plain Scrapy hands every link to the duplicate filter. bench/run.py
runs this variant as `bare:memo`, for comparison only (the bar is against plain `bare`).

`-a stats_out=FILE` writes the crawl stats as JSON when the spider closes (so the benchmark does
not need to parse the log).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "ROBOTSTXT_OBEY": True,
        "USER_AGENT": "backlink-spider/0.1 (+https://github.com/backlink-spider/backlink-spider)",
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 30,
        "RETRY_TIMES": 2,
    }

    def __init__(
        self, start: str, stats_out: str | None = None, remember: str | None = None, **kwargs: object
    ) -> None:
        super().__init__(**kwargs)
        self.start_url = start
        self.followed: set[str] | None = set() if remember in ("true", "1", "yes") else None
        self.netloc = urlsplit(start).netloc
        self.stats_out = stats_out

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse)

    def parse(self, response: Response) -> Iterator[scrapy.Request]:
        if not hasattr(response, "css"):
            return
        limit = self.settings.getint("DEPTH_LIMIT")
        if self.followed is not None and limit and response.meta.get("depth", 0) >= limit:
            return  # DepthMiddleware would drop them all; remembered, their pages would be lost
        for href in response.css("a::attr(href)").getall():
            url = response.urljoin(href)
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc == self.netloc:
                if self.followed is not None:
                    if url in self.followed:
                        continue
                    self.followed.add(url)
                yield response.follow(url, callback=self.parse)

    def closed(self, reason: str) -> None:
        if self.stats_out:
            stats = {
                k: v for k, v in self.crawler.stats.get_stats().items() if isinstance(v, (int, float, str))
            }
            stats["finish_reason"] = reason
            with open(self.stats_out, "w", encoding="utf-8") as fh:
                json.dump(stats, fh, indent=1, sort_keys=True)
