"""The crawler's rules for the browser's own requests: a rendered page's scripts, styles, data
requests and frames bypass Scrapy's middlewares, so they are checked here, in the tab's route
handler (browser.py), before Chromium sends them.

- Images, media and fonts are aborted: they never hold a link or a word of text.
- `RENDER_BLOCKED_HOSTS` (analytics, ads) are aborted.
- Non-public addresses are refused as for any request (`netsafety.AddressPolicy`). The egress proxy
  (egress.py) refuses them too, on the address it connects to; this check names the page's
  subrequest in the log.
- robots.txt is obeyed for page loads and data requests (fetch/XHR/EventSource), with the crawl's
  own `RobotsTxtMiddleware` and its cached robots.txt files.

Stats: `render/subrequests_blocked`, `render/subrequests_refused`, `render/subrequests_robots_forbidden`.
"""

from __future__ import annotations

import logging

from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest

from backlink_spider.netsafety import AddressPolicy
from backlink_spider.target import host_of

logger = logging.getLogger(__name__)

# Browser subrequests that robots.txt decides on, as for Scrapy's own requests.
ROBOTS_CHECKED_TYPES = frozenset({"document", "xhr", "fetch", "eventsource"})
# Resource types never needed to find links and text.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font"})


class SubrequestGuard:
    """Decides whether the browser may send a request (see the module docstring)."""

    def __init__(self, crawler: Crawler, policy: AddressPolicy) -> None:
        self.policy = policy
        self.blocked_hosts = tuple(h.lower() for h in crawler.settings.getlist("RENDER_BLOCKED_HOSTS"))
        self._crawler = crawler
        self._stats = crawler.stats
        self._robots: RobotsTxtMiddleware | bool | None = None  # found on first use

    async def refuse(self, request: PlaywrightRequest) -> bool:
        """True when the browser must not send `request` (counted in the stats)."""
        if request.resource_type in ABORTED_RESOURCE_TYPES:
            self._stats.inc_value("render/subrequests_blocked")
            return True
        url = request.url
        if url.startswith(("data:", "blob:")):
            return False
        host = host_of(url)
        if any(host == h or host.endswith("." + h) for h in self.blocked_hosts):
            self._stats.inc_value("render/subrequests_blocked")
            return True
        reason = await self.policy.url_refusal(url)
        if reason:
            self._stats.inc_value("render/subrequests_refused")
            logger.warning("Refused browser subrequest %s: %s", url, reason)
            return True
        if request.resource_type in ROBOTS_CHECKED_TYPES and await self._robots_refuse(url):
            self._stats.inc_value("render/subrequests_robots_forbidden")
            return True
        return False

    def _robots_middleware(self) -> RobotsTxtMiddleware | None:
        if self._robots is None:
            self._robots = False
            engine = getattr(self._crawler, "engine", None)
            manager = getattr(getattr(engine, "downloader", None), "middleware", None)
            for middleware in getattr(manager, "middlewares", ()):
                if isinstance(middleware, RobotsTxtMiddleware):
                    self._robots = middleware
        return self._robots or None

    async def _robots_refuse(self, url: str) -> bool:
        """The same robots.txt rules as Scrapy's own requests, for the browser's page loads and
        data requests (scripts, styles and the like are fetched as a browser would)."""
        robots = self._robots_middleware()
        if robots is None:
            return False
        request = Request(url)
        try:
            robots.process_request_2(await robots.robot_parser(request), request)
        except IgnoreRequest:
            return True
        return False
