"""Settings of other components checked before a spider's first request: what would only fail
later (the private-network allowance, the search provider, a distributed crawl's name, the GC
thresholds, the render lanes) fails now, as one ArgumentError line (see commands/crawl.py)."""

from __future__ import annotations

from backlink_spider.arguments import ArgumentError
from backlink_spider.gctuning import gc_thresholds
from backlink_spider.netsafety import parse_networks
from backlink_spider.settingvalues import positive_int


def check_settings(settings) -> None:  # noqa: ANN001
    """Settings that would only fail later, checked up front (raises ArgumentError)."""
    try:
        parse_networks(settings.get("ALLOWED_PRIVATE_NETWORKS"))
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None
    from backlink_spider.discovery import DiscoveryError, provider_from_settings

    try:
        provider_from_settings(settings)
    except DiscoveryError as exc:
        raise ArgumentError(str(exc)) from None
    if settings.get("REDIS_URL") and not settings.get("CRAWL_ID"):
        raise ArgumentError(
            "REDIS_URL is set: give -s CRAWL_ID=NAME, the same on every process, to name the shared crawl"
        )
    try:
        gc_thresholds(settings)
    except ValueError as exc:
        raise ArgumentError(str(exc)) from None
    _check_render_lanes(settings)


# scrapy-playwright's page and context limits, which the crawler's render lanes replace (tabs.py)
REPLACED_BY_RENDER_CONCURRENCY = ("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT", "PLAYWRIGHT_MAX_CONTEXTS")


def _check_render_lanes(settings) -> None:  # noqa: ANN001
    for name in REPLACED_BY_RENDER_CONCURRENCY:
        if settings.get(name) is not None:
            raise ArgumentError(
                f"{name} is not used by this crawler: set RENDER_CONCURRENCY (pages rendered at once, "
                "each in a browser context of its own)"
            )
    for name in ("RENDER_CONCURRENCY", "RENDER_CONTEXT_PAGES"):
        try:
            positive_int(settings, name)
        except ValueError as exc:
            raise ArgumentError(str(exc)) from None
