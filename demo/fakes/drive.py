"""Drive a discovery source against a fake API without Scrapy: the same walk the crawl does
(start requests, then each answer's continuation requests; a throttled request sent again once),
over real HTTP on loopback. For unit tests of one source."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import date

from backlink_spider.sources.base import Candidate, Source, SourceAnswer, SourceRequest
from backlink_spider.target import Target


@dataclass
class Walk:
    candidates: list[Candidate] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: list[SourceRequest] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)  # retry_after values the source asked for
    pauses: list[float] = field(default_factory=list)  # pause values (wait before the next request)
    stopped: bool = False


def fetch(request: SourceRequest, headers: dict[str, str]) -> SourceAnswer:
    req = urllib.request.Request(
        request.url,
        data=request.body or None,
        method=request.method,
        headers={"User-Agent": "backlink-spider-test", **headers, **dict(request.headers)},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return SourceAnswer(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        return SourceAnswer(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


def walk(source: Source, target: Target, since: date | None = None, max_requests: int = 100) -> Walk:
    """Every request the source makes for `target`, in order, up to `max_requests`."""
    result = Walk()
    queue = list(source.start_requests(target, since))
    retried: set[int] = set()
    while queue and len(result.requests) < max_requests:
        request = queue.pop(0)
        result.requests.append(request)
        outcome = source.parse(request, fetch(request, source.headers()))
        result.candidates += outcome.candidates
        if outcome.retry_after is not None and id(request) not in retried:
            retried.add(id(request))
            result.waits.append(outcome.retry_after)
            queue.insert(0, request)
            continue
        if outcome.pause is not None:
            result.pauses.append(outcome.pause)
        if outcome.error:
            result.errors.append(outcome.error)
        if outcome.stop:
            result.stopped = True
            break
        queue += outcome.next_requests
    return result
