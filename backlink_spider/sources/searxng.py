"""SearXNG (or any `SEARCH_PROVIDER`) as a discovery source: the search provider of
backlink_spider/discovery.py (`SearchProvider`: queries, result URLs) asked at its own rate, like
every other source. It runs when `SEARCH_URL` is set (it then joins the default sources).

Settings: SEARCH_URL, SEARCH_PROVIDER, SEARCH_MAX_QUERIES, SEARCH_PAGES, SEARCH_MAX_RESULTS (see
discovery.py), SEARCH_MIN_INTERVAL. A SearXNG instance's JSON format must be on (else it answers
403: a failure of this source, with the reason).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from backlink_spider.discovery import DiscoveryError, SearchProvider, provider_from_settings
from backlink_spider.sources.base import (
    MENTION,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
    SourceSettingError,
)
from backlink_spider.sources.keyed import PROSPECT
from backlink_spider.target import Target


class SearxngSource(Source):
    name = "searxng"
    required_settings = ("SEARCH_URL",)

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        try:
            provider = provider_from_settings(settings)
        except DiscoveryError as exc:
            raise SourceSettingError(str(exc)) from None
        assert provider is not None  # SEARCH_URL is required
        self.provider: SearchProvider = provider
        self.min_interval = settings.getfloat("SEARCH_MIN_INTERVAL")
        self._target: Target | None = None
        self._seen: set[str] = set()

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        """Every query of the provider, page 1 of all queries first (`since` is not used)."""
        self._target, self._seen = target, set()
        return [
            SourceRequest(url, query=query if page == 1 else f"{query} (page {page})", kind=MENTION)
            for query, url, page in self.provider.search_requests(target)
        ]

    def prospect_requests(self, target: Target, queries: list[str]) -> list[SourceRequest]:
        """The first result page of each prospect query (built from the target's niche terms)."""
        self._target = target
        return [SourceRequest(self.provider.search_url(q, 1), query=q, kind=PROSPECT) for q in queries]

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        if answer.status == 429:
            return SourceResult.throttled(answer.retry_after() or 10.0, "HTTP 429")
        if answer.status != 200:
            return SourceResult.failed(answer.describe())
        assert self._target is not None
        urls = self.provider.results_filter(
            self.provider.parse_results(answer.body), self._target, self._seen
        )
        return SourceResult([self.candidate(url, request) for url in urls])
