"""Downloader middlewares: the private-address guard."""

from __future__ import annotations

import logging

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest

from backlink_spider.netsafety import AddressPolicy

logger = logging.getLogger(__name__)


class AddressRefusedError(IgnoreRequest):
    """The request's host resolves to an address the crawler must not fetch."""


class PrivateAddressGuardMiddleware:
    """Refuses requests to private, loopback, link-local and other non-public addresses.

    Every request passes here, including robots.txt fetches and each redirect hop (Scrapy
    schedules a redirect as a new request), so a public page cannot redirect the crawler into
    the internal network. Settings: `ALLOWED_PRIVATE_NETWORKS` (CIDRs, default none).
    Stats: `address_guard/refused`.
    """

    def __init__(self, crawler: Crawler, policy: AddressPolicy) -> None:
        self.crawler = crawler
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuardMiddleware:
        return cls(crawler, AddressPolicy.from_settings(crawler.settings))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        reason = await self.policy.url_refusal(request.url)
        if reason is None:
            return None
        self.crawler.stats.inc_value("address_guard/refused")
        logger.warning("Refused %s: %s", request.url, reason)
        raise AddressRefusedError(f"refused: {reason}")
