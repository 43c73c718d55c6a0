"""Downloader middlewares: host aliases, host filter, the private-address guard."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from twisted.internet.error import DNSLookupError

from backlink_spider.arguments import parse_host_aliases
from backlink_spider.hostscope import HostScope
from backlink_spider.netsafety import UNRESOLVABLE, AddressPolicy

logger = logging.getLogger(__name__)


class AddressRefusedError(IgnoreRequest):
    """The request's host resolves to an address the crawler must not fetch."""


class UnresolvableHostError(CannotResolveHostError, DNSLookupError):
    """The request's host does not resolve: refused, and a DNS failure like the one Scrapy's own
    resolver raises (the link checker records "DNS failure", RetryMiddleware retries it)."""

    def __str__(self) -> str:  # the reason as is, without Twisted's "DNS lookup failed: ..." wrapping
        return " ".join(str(arg) for arg in self.args if arg)


class PrivateAddressGuardMiddleware:
    """Refuses requests to private, loopback, link-local and other non-public addresses.

    Every request passes here, including robots.txt fetches and each redirect hop (Scrapy
    schedules a redirect as a new request), so a public page cannot redirect the crawler into
    the internal network. Settings: `ALLOWED_PRIVATE_NETWORKS` (CIDRs, default none). A host
    that does not resolve is refused too, as a DNS failure (UnresolvableHostError), not as a
    refusal. Stats: `address_guard/refused`, `address_guard/unresolvable`.
    """

    def __init__(self, crawler: Crawler, policy: AddressPolicy) -> None:
        self.crawler = crawler
        self.policy = policy

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PrivateAddressGuardMiddleware:
        return cls(crawler, AddressPolicy.from_settings(crawler.settings))

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        refusal = await self.policy.check_url(request.url)
        if refusal is None:
            return None
        if refusal.kind == UNRESOLVABLE:
            self.crawler.stats.inc_value("address_guard/unresolvable")
            logger.debug("Not fetched %s: %s", request.url, refusal.reason)
            raise UnresolvableHostError(refusal.reason)
        self.crawler.stats.inc_value("address_guard/refused")
        logger.warning("Refused %s: %s", request.url, refusal.reason)
        raise AddressRefusedError(f"refused: {refusal.reason}")


class HostAliasMiddleware:
    """Fetches some hosts from another origin: `HOST_ALIASES = {"brewbird.io": "http://10.0.0.5:8080"}`
    (keys: exact hosts or `*.domain` patterns). For staging mirrors, tests and the demo, where the
    target's public host is served locally. Records keep the URL as written on the page
    (`meta["source_url"]`); only the fetch goes elsewhere. Default: no aliases."""

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = {host.lower(): base.rstrip("/") for host, base in aliases.items()}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostAliasMiddleware:
        return cls(parse_host_aliases(crawler.settings.get("HOST_ALIASES")))

    def _base_for(self, host: str) -> str | None:
        if host in self.aliases:
            return self.aliases[host]
        for pattern, base in self.aliases.items():
            if pattern.startswith("*.") and (host == pattern[2:] or host.endswith(pattern[1:])):
                return base
        return None

    def process_request(self, request: Request, spider: Spider | None = None) -> Request | None:
        if not self.aliases or request.meta.get("aliased_from"):
            return None
        parts = urlsplit(request.url)
        base = self._base_for((parts.hostname or "").lower())
        if base is None:
            return None
        rest = parts.path + (f"?{parts.query}" if parts.query else "")
        meta = {**request.meta, "aliased_from": request.url}
        meta.setdefault("source_url", request.url)
        return request.replace(url=base + (rest or "/"), meta=meta)


class HostFilterMiddleware:
    """Host patterns that scope a crawl, checked before any DNS lookup: `ALLOWED_HOSTS` (fnmatch
    patterns; empty = every host) and `DENIED_HOSTS` (the rule is hostscope.HostScope, which the
    browser's egress proxy applies too). Stats: `host_filter/refused`."""

    def __init__(self, crawler: Crawler, scope: HostScope) -> None:
        self.crawler = crawler
        self.scope = scope

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> HostFilterMiddleware:
        return cls(crawler, HostScope.from_settings(crawler.settings))

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if not self.scope:
            return None
        reason = self.scope.refusal(urlsplit(request.url).hostname or "")
        if reason:
            self.crawler.stats.inc_value("host_filter/refused")
            raise IgnoreRequest(f"refused: {reason}")
        return None


class RedirectEveryHopMiddleware(RedirectMiddleware):
    """Scrapy's RedirectMiddleware, except that a redirect is never dropped by the duplicate
    filter: a page that redirects to a page already crawled (or into a loop) still ends with a
    record (its final page, or `max redirections reached`) instead of vanishing silently.
    Loops stay bounded by REDIRECT_MAX_TIMES."""

    def _redirect(self, redirected: Request, request: Request, reason):  # noqa: ANN001, ANN202
        result = super()._redirect(redirected, request, reason)
        result.dont_filter = True
        return result
