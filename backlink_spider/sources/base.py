"""What a discovery source is: an outside service that says where the target is linked or named.

A source is a small, pure class (no Scrapy, no network): it turns the target into API requests
(`start_requests`), and each API answer into candidate pages plus the requests that continue the
walk (`parse`). The crawl (`backlink_spider.discovery_runner`) sends the requests at the source's
documented rate, with its User-Agent, and crawls every candidate like a seed: a candidate is only
a claim, the crawled page decides whether there is a backlink or a mention.

    class ExampleSource(Source):
        name = "example"
        min_interval = 1.0   # the API's documented rate: one request a second

        def start_requests(self, target, since):
            url = self.settings["EXAMPLE_API_URL"] + "?" + urlencode({"q": target.brand_terms[0]})
            return [SourceRequest(url, query=target.brand_terms[0], kind=MENTION)]

        def parse(self, request, answer):
            data = answer.json()
            if data is None:
                return SourceResult.failed(answer.describe())
            return SourceResult([self.candidate(h["url"], request) for h in data["hits"]])

Throttling and errors are answers too: `parse` returns `SourceResult(retry_after=...)` for "slow
down, then ask again" and `SourceResult.failed(reason, stop=True)` when the source cannot go on
(quota spent, key refused). A source never raises for a bad answer.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

import orjson

from backlink_spider.target import Target

# What a request's results are claimed to be: pages that link to the target, or that name it.
LINK = "link"
MENTION = "mention"


@dataclass(frozen=True)
class SourceRequest:
    """One API request. `query` is what a person would call the question asked (it goes into the
    page records' provenance and the report), `kind` what its results are (LINK or MENTION),
    `state` the source's own continuation data (plain, picklable values only)."""

    url: str
    query: str
    kind: str = MENTION
    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    state: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceAnswer:
    """An API's HTTP answer, as the source sees it. `headers` keys are lower case."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def json(self) -> Any:
        """The JSON value of the body, or None when it is not JSON (an HTML error page, a
        plain-text throttling notice, an empty body)."""
        try:
            return orjson.loads(self.body)
        except (orjson.JSONDecodeError, TypeError, ValueError):
            return None

    def retry_after(self) -> float | None:
        """Seconds from a `Retry-After: <seconds>` header, else None."""
        value = self.headers.get("retry-after", "").strip()
        try:
            return max(0.0, float(value)) if value else None
        except ValueError:
            return None

    def describe(self) -> str:
        """A one-line reason for an unusable answer: `HTTP 503`, or the first words of the body."""
        if self.status != 200:
            return f"HTTP {self.status}"
        text = " ".join(self.body[:120].decode("utf-8", "replace").split())
        return f"unexpected answer ({self.content_type or 'no content type'}): {text[:80]!r}"


@dataclass(frozen=True)
class Candidate:
    """A page a source claims links to or names the target. `via` is a second page of the same
    hit worth crawling (a Hacker News discussion of the linked story), None otherwise."""

    url: str
    source: str
    query: str
    kind: str
    via: str | None = None


@dataclass
class SourceResult:
    """What one answer gave: candidates, the requests that continue the walk, and how to go on.

    `retry_after`: throttled; the same request is sent again after this many seconds (once per
    request at most; a second throttle is a failure). `error`: a one-line reason the answer was
    unusable (it is logged as a warning, counted and shown in the report). `stop`: the source can
    not go on this crawl (quota spent, key refused): its other requests are dropped. `pause`: the
    API asked for this many seconds before the source's next request (Stack Exchange's `backoff`)."""

    candidates: list[Candidate] = field(default_factory=list)
    next_requests: list[SourceRequest] = field(default_factory=list)
    retry_after: float | None = None
    pause: float | None = None
    error: str | None = None
    stop: bool = False

    @classmethod
    def failed(cls, reason: str, *, stop: bool = False) -> SourceResult:
        return cls(error=reason, stop=stop)

    @classmethod
    def throttled(cls, seconds: float, reason: str = "throttled") -> SourceResult:
        return cls(retry_after=seconds, error=reason)


class SourceNotConfigured(Exception):
    """The source cannot run with these settings (a key it needs is not set): it is left out."""


class SourceSettingError(ValueError):
    """A source setting has a value that cannot work: a one-line error before the crawl starts."""


class Source(ABC):
    """A discovery source. Subclasses set `name` and the documented limits, and implement
    `start_requests` and `parse`. Settings are read from `self.settings` (a Scrapy Settings or a
    plain mapping); their defaults live in settings.py, never here."""

    name: ClassVar[str] = ""
    # The documented rate: at most one request every `min_interval` seconds, `concurrency` at once.
    min_interval: ClassVar[float] = 1.0
    concurrency: ClassVar[int] = 1
    # Settings that must be non-empty for the source to run (API keys); checked by from_settings.
    required_settings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any) -> Source:
        """The source for these settings. Raises SourceNotConfigured when a required setting
        (a key) is empty, SourceSettingError for a value that cannot work."""
        missing = [name for name in cls.required_settings if not str(settings.get(name) or "").strip()]
        if missing:
            raise SourceNotConfigured(f"{cls.name} needs {', '.join(missing)}")
        return cls(settings)

    def setting_list(self, name: str) -> list[str]:
        """A list setting given as a list or a comma-separated string."""
        value = self.settings.get(name)
        if value is None:
            return []
        items = value.split(",") if isinstance(value, str) else list(value)
        return [str(item).strip() for item in items if str(item).strip()]

    @abstractmethod
    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        """The first requests for `target` (its `host`, `brand_terms`); `since` (when given)
        limits results to that date onwards where the API can filter by date."""

    @abstractmethod
    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        """Candidates and continuation requests from one answer. Never raises: an error answer,
        a throttling answer or an unexpected body is described in the result."""

    def headers(self) -> dict[str, str]:
        """Extra headers for every request of this source (an API key header, Api-User-Agent)."""
        return {}

    def candidate(self, url: str, request: SourceRequest, via: str | None = None) -> Candidate:
        return Candidate(url=url, source=self.name, query=request.query, kind=request.kind, via=via)
