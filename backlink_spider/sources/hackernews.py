"""Hacker News, through the Algolia HN Search API (https://hn.algolia.com/api): keyless.

What it finds:
- stories whose URL is on the target (`query="\\"<domain>\\""&restrictSearchableAttributes=url&tags=story`,
  one query per form of the domain, e.g. punycode and Unicode): the story's discussion page
  (`HACKERNEWS_ITEM_URL`, `{id}` = the story's objectID) is a LINK candidate, since its title links
  to the target's page. When the matching URL is not on the target itself (a repository, an
  archive copy, a review whose address names the domain), that page is a LINK candidate with the
  discussion page as `via`, and the discussion page a MENTION candidate of its own;
- stories and comments that name a brand term (`query="\\"<term>\\""&tags=(story,comment)`; the
  quotes ask for the exact phrase): kind MENTION, the discussion page of the story (the
  comment's `story_id`, the story's own objectID). A story's linked page is a candidate too (with
  the discussion page as `via`) unless it is on the target; a comment's story page is not (the
  comment names the brand, not the story it was posted under).

Endpoint: `HACKERNEWS_API_URL` + `/search_by_date` (newest first). `/search` (relevance order) is
not used: its window of 1,000 hits cannot be continued, a window by date can.

Paging and limits: `page` (0-based) and `hitsPerPage` (`HACKERNEWS_HITS_PER_PAGE`, at most 1,000);
the walk follows `nbPages` of the answer (an empty page does not end it) and never asks past the
first 1,000 hits of a query, the most the API returns (`nbHits` may say more). When `nbHits` says
there are more than the window gave, the walk goes on in an older window,
`numericFilters=created_at_i<=X` with X the oldest `created_at_i` seen (the hits of second X
already seen are skipped; when a whole window is one second, `created_at_i<X`), until a window
holds every hit. `since` adds `created_at_i>=<that date, 00:00 UTC>`. The crawl caps the number of
requests (DISCOVERY_MAX_REQUESTS).

Rate: 10,000 requests an hour per IP. Requests go one at a time, at most one every
`HACKERNEWS_MIN_INTERVAL` seconds. Over the limit the API answers HTTP 429 (`{"message": "Too
many requests", "status": 429}`, no Retry-After): the source waits `THROTTLE_WAIT` seconds (or a
Retry-After when one is sent) and asks again; a second 429 in a row means the hour's budget is
spent and the source stops. A 403 (a refused or blacklisted caller) stops it too; a 400
(`{"message": ..., "status": 400}`, a bad parameter), an HTML error page or an unusable body is a
one-line error and that query's walk ends.

No key and no header of its own: the crawl's User-Agent is sent.

Settings: HACKERNEWS_API_URL, HACKERNEWS_ITEM_URL, HACKERNEWS_MIN_INTERVAL, HACKERNEWS_HITS_PER_PAGE.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

from backlink_spider.sources.base import (
    LINK,
    MENTION,
    Candidate,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
    SourceSettingError,
)
from backlink_spider.target import Target
from backlink_spider.urls import http_url

# The API returns at most this many hits of one query (Algolia's paginationLimitedTo), whatever
# nbHits says; the walk continues past it with an older date window.
WINDOW = 1000
MAX_HITS_PER_PAGE = 1000
# Seconds to wait after a 429 without Retry-After (the limit is counted per hour).
THROTTLE_WAIT = 60.0


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _web_url(value: Any) -> str | None:
    return http_url(value)


class HackerNewsSource(Source):
    name = "hackernews"
    concurrency = 1

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        self.api_url = str(settings.get("HACKERNEWS_API_URL") or "").rstrip("/")
        if http_url(self.api_url) is None:
            raise SourceSettingError(f"HACKERNEWS_API_URL must be an http(s) URL, not {self.api_url!r}")
        self.item_url = str(settings.get("HACKERNEWS_ITEM_URL") or "")
        if "{id}" not in self.item_url:
            raise SourceSettingError(f"HACKERNEWS_ITEM_URL must contain {{id}}, not {self.item_url!r}")
        try:
            self.min_interval = float(settings.get("HACKERNEWS_MIN_INTERVAL"))
            self.hits_per_page = int(settings.get("HACKERNEWS_HITS_PER_PAGE"))
        except (TypeError, ValueError) as exc:
            raise SourceSettingError(f"HACKERNEWS_MIN_INTERVAL / HACKERNEWS_HITS_PER_PAGE: {exc}") from None
        if self.min_interval < 0:
            raise SourceSettingError("HACKERNEWS_MIN_INTERVAL must be 0 or more seconds")
        if not 1 <= self.hits_per_page <= MAX_HITS_PER_PAGE:
            raise SourceSettingError(f"HACKERNEWS_HITS_PER_PAGE must be 1 to {MAX_HITS_PER_PAGE}")
        self._throttled = False  # the previous answer was a 429

    # --- requests -------------------------------------------------------------------------------

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        start = None
        if since is not None:
            day = since.date() if isinstance(since, datetime) else since
            start = int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())
        requests = []
        for domain in target.domain_terms:
            state = {"kind": LINK, "term": domain, "host": target.host, "since": start, "page": 0}
            requests.append(self._request({**state, **self._window(None, False, [])}))
        for term in target.brand_terms:
            state = {"kind": MENTION, "term": term, "host": target.host, "since": start, "page": 0}
            requests.append(self._request({**state, **self._window(None, False, [])}))
        return requests

    @staticmethod
    def _window(before: int | None, strict: bool, skip: list[str]) -> dict[str, Any]:
        # `oldest`/`edge`: the oldest created_at_i seen in this window and the objectIDs at it.
        return {"before": before, "strict": strict, "skip": skip, "oldest": None, "edge": []}

    def _request(self, state: dict[str, Any]) -> SourceRequest:
        term = state["term"]
        params: dict[str, Any] = {"query": f'"{term}"'}
        if state["kind"] == LINK:
            params["restrictSearchableAttributes"] = "url"
            params["tags"] = "story"
            query = f"stories linking to {term} on Hacker News"
        else:
            params["tags"] = "(story,comment)"
            query = f'stories and comments naming "{term}" on Hacker News'
        numeric = []
        if state["since"] is not None:
            numeric.append(f"created_at_i>={state['since']}")
        if state["before"] is not None:
            numeric.append(f"created_at_i{'<' if state['strict'] else '<='}{state['before']}")
        if numeric:
            params["numericFilters"] = ",".join(numeric)
        params["hitsPerPage"] = self.hits_per_page
        params["page"] = state["page"]
        url = f"{self.api_url}/search_by_date?{urlencode(params)}"
        return SourceRequest(url, query=query, kind=state["kind"], state=state)

    # --- answers --------------------------------------------------------------------------------

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        if answer.status == 429:
            if self._throttled:
                return SourceResult.failed(
                    "HTTP 429 again after waiting: the rate limit (10,000 requests an hour) is spent",
                    stop=True,
                )
            self._throttled = True
            wait = answer.retry_after()
            return SourceResult.throttled(
                THROTTLE_WAIT if wait is None else wait, "HTTP 429 Too many requests"
            )
        self._throttled = False
        if answer.status != 200:
            data = answer.json()
            message = data.get("message") if isinstance(data, dict) else None
            reason = f"HTTP {answer.status}" + (f": {_one_line(message)}" if isinstance(message, str) else "")
            return SourceResult.failed(reason, stop=answer.status in (401, 403))
        data = answer.json()
        if not isinstance(data, dict) or not isinstance(data.get("hits"), list):
            return SourceResult.failed(answer.describe())
        nb_pages = _int(data.get("nbPages"))
        if nb_pages is None:
            return SourceResult.failed(f"unexpected answer: nbPages is {data.get('nbPages')!r}")

        state = dict(request.state)
        target = Target(host=state["host"], brand_terms=())
        skip = set(state["skip"])
        oldest, edge = state["oldest"], list(state["edge"])
        candidates: list[Candidate] = []
        for hit in data["hits"]:
            if not isinstance(hit, dict):
                continue
            object_id = hit.get("objectID")
            object_id = (
                str(object_id) if isinstance(object_id, str | int) and str(object_id).isdigit() else None
            )
            created = _int(hit.get("created_at_i"))
            if object_id is not None and created is not None:
                if oldest is None or created < oldest:
                    oldest, edge = created, [object_id]
                elif created == oldest:
                    edge.append(object_id)
            if object_id is None:
                continue
            if created is not None and (
                (state["since"] is not None and created < state["since"])
                or (state["before"] is not None and created == state["before"] and object_id in skip)
            ):
                continue
            candidates += self._candidates(hit, object_id, request, target)

        result = SourceResult(candidates=list(dict.fromkeys(candidates)))
        hits_per_page = _int(data.get("hitsPerPage")) or self.hits_per_page
        window_pages = min(nb_pages, math.ceil(WINDOW / hits_per_page))
        page = state["page"]
        if page + 1 < window_pages:
            result.next_requests.append(
                self._request({**state, "page": page + 1, "oldest": oldest, "edge": edge})
            )
            return result
        nb_hits = _int(data.get("nbHits"))
        reachable = min(WINDOW, window_pages * hits_per_page)
        if nb_hits is None or nb_hits <= reachable or oldest is None:
            return result
        before = state["before"]
        if before is None or oldest < before:
            window = self._window(oldest, False, edge)
        elif oldest == before and not state["strict"]:
            window = self._window(oldest, True, [])  # the whole window was one second
        else:
            return result  # no older hits came back: nothing more to ask for
        result.next_requests.append(self._request({**state, "page": 0, **window}))
        return result

    def _candidates(
        self, hit: dict, object_id: str, request: SourceRequest, target: Target
    ) -> list[Candidate]:
        tags = hit.get("_tags") if isinstance(hit.get("_tags"), list) else []
        is_comment = "comment" in tags or (hit.get("comment_text") is not None and "story" not in tags)
        if request.kind == LINK:
            url = _web_url(hit.get("url"))
            discussion = self.item_url.format(id=object_id)
            if url is None:
                return []
            if target.owns(url):
                return [self.candidate(discussion, request)]
            return [
                self.candidate(url, request, via=discussion),
                Candidate(discussion, self.name, request.query, MENTION),
            ]
        if is_comment:
            story_id = _int(hit.get("story_id"))
            return [self.candidate(self.item_url.format(id=story_id or object_id), request)]
        discussion = self.item_url.format(id=object_id)
        url = _web_url(hit.get("url"))
        found = []
        if url is not None and not target.owns(url):
            found.append(self.candidate(url, request, via=discussion))
        found.append(self.candidate(discussion, request))
        return found
