"""An Algolia HN Search API stand-in on loopback: `GET /api/v1/search` and `/api/v1/search_by_date`.

    with FakeHackerNews({"brewbird.io": [story(1, 1700000000, url="https://brewbird.io/")]}) as hn:
        settings["HACKERNEWS_API_URL"] = hn.api_url          # http://127.0.0.1:PORT/api/v1
        hn.requests  # [{"path": "/api/v1/search_by_date", "params": {...}, "headers": {...}}]

Where the shapes come from:
- the API's own documentation page, algolia/hn-search `app/assets/templates/api.html.haml`
  (https://hn.algolia.com/api): endpoints, `query`/`tags`/`numericFilters`/`page`, tags ANDed by
  default and ORed in parentheses, `nbPages`/`hitsPerPage`, the answer envelope (`hits`, `page`,
  `nbHits`, `nbPages`, `hitsPerPage`, `processingTimeMS`, `query`, `params`), 10,000 requests
  an hour per IP;
- a captured answer in denilsonbarahona/technical-assessment `src/__mocks__/fetchResponseMock.js`
  (query "Angular", 2022): the comment hit fields (`comment_text`, `story_id`, `story_title`,
  `story_url`, `parent_id`, `created_at_i`, `_tags` as a list, string `objectID`,
  `_highlightResult`) and `nbHits: 42406, nbPages: 50, hitsPerPage: 20` (the 1,000-hit window),
  `exhaustiveNbHits`, `exhaustiveTypo`; story hits (`url`, `points`, `num_comments`, `children`,
  `updated_at`) and the later envelope fields (`exhaustive`, `processingTimingsMS`,
  `serverTimeMS`) as in answers modelled by public clients of the API;
- Algolia's error answers: `{"message": ..., "status": N}` with that HTTP status (400 for a bad
  parameter, 403 for a refused/blacklisted caller, 429 "Too many requests" over the rate limit,
  no Retry-After). The message texts here are illustrative; the shape is Algolia's.

Data: `hits` maps a query (compared case-insensitively, surrounding double quotes of an exact-phrase
query stripped) to its hits. The fake applies `tags` (`story`, `comment`, `(story,comment)`,
`author_X`, `story_N`), `numericFilters` (comma-separated ANDed `attr op number`), sorts
`/search_by_date` newest first (`/search` keeps the given order, standing in for relevance) and
pages with `page` (0-based) and `hitsPerPage` (default 20, at most 1000) inside the first
`pagination_limit` hits (1000, Algolia's `paginationLimitedTo`): `nbPages` counts the pages of
that window only while `nbHits` counts every match, and a page past the window is empty.

Answers: `throttle=N` answers the next N requests with 429 (`retry_after` adds a Retry-After
header, which the real API does not send); `empty_pages` serves those page numbers with no hits but
the same `nbPages`; `mode` is "json" (default), "error" (HTTP 503 with an HTML body, as a proxy in
front of a failed backend), "refuse" (403), "bad_request" (400), "truncated" (200, JSON cut off),
"html" (200, an HTML page) or "wrongtypes" (200, JSON with the wrong types).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlencode, urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

ERROR_PAGE = (
    b"<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n"
)
HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>HN Search powered by Algolia</title></head><body></body></html>"
)

_CONDITION = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|!=|<|>|=)\s*(-?\d+(?:\.\d+)?)\s*$")
_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}


def _iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _highlight(value: str) -> dict[str, Any]:
    return {"value": value, "matchLevel": "none", "matchedWords": []}


def story(
    object_id: int,
    created_at_i: int,
    *,
    url: str | None = None,
    title: str = "A story",
    author: str = "pg",
    points: int = 10,
    num_comments: int = 2,
    story_text: str | None = None,
) -> dict[str, Any]:
    """A story hit as the API sends it (`url` is absent for an Ask HN text post)."""
    hit: dict[str, Any] = {
        "_highlightResult": {"author": _highlight(author), "title": _highlight(title)},
        "_tags": ["story", f"author_{author}", f"story_{object_id}"],
        "author": author,
        "children": [object_id + 1, object_id + 2][:num_comments],
        "created_at": _iso(created_at_i),
        "created_at_i": created_at_i,
        "num_comments": num_comments,
        "objectID": str(object_id),
        "points": points,
        "story_id": object_id,
        "title": title,
        "updated_at": _iso(created_at_i + 3600),
    }
    if url is not None:
        hit["url"] = url
        hit["_highlightResult"]["url"] = _highlight(url)
    if story_text is not None:
        hit["story_text"] = story_text
        hit["_highlightResult"]["story_text"] = _highlight(story_text)
    return hit


def comment(
    object_id: int,
    created_at_i: int,
    *,
    story_id: int | None,
    text: str = "A comment",
    story_title: str = "A story",
    story_url: str | None = None,
    author: str = "dang",
    parent_id: int | None = None,
) -> dict[str, Any]:
    """A comment hit as the API sends it."""
    hit: dict[str, Any] = {
        "_highlightResult": {
            "author": _highlight(author),
            "comment_text": _highlight(text),
            "story_title": _highlight(story_title),
        },
        "_tags": ["comment", f"author_{author}", f"story_{story_id}"],
        "author": author,
        "comment_text": text,
        "created_at": _iso(created_at_i),
        "created_at_i": created_at_i,
        "objectID": str(object_id),
        "parent_id": parent_id if parent_id is not None else story_id,
        "story_id": story_id,
        "story_title": story_title,
        "updated_at": _iso(created_at_i + 60),
    }
    if story_url is not None:
        hit["story_url"] = story_url
        hit["_highlightResult"]["story_url"] = _highlight(story_url)
    return hit


class BadRequest(ValueError):
    pass


def _numeric_filter(value: str) -> list[tuple[str, str, float]]:
    conditions = []
    for part in value.split(","):
        match = _CONDITION.match(part)
        if not match:
            raise BadRequest(f"Invalid syntax for numeric condition:{part}")
        conditions.append((match[1], match[2], float(match[3])))
    return conditions


def _tags_filter(value: str) -> list[list[str]]:
    """`a,(b,c)` -> [["a"], ["b", "c"]]: a list of ORed groups, ANDed."""
    groups: list[list[str]] = []
    for part in re.findall(r"\([^)]*\)|[^,()]+", value):
        part = part.strip()
        if part.startswith("("):
            groups.append([t.strip() for t in part[1:-1].split(",") if t.strip()])
        elif part:
            groups.append([part])
    return groups


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f'Invalid value for "{name}" parameter, expected integer') from None
    if not low <= value <= high:
        raise BadRequest(f'Invalid value for "{name}" parameter, expected integer between {low} and {high}')
    return value


class FakeHackerNews(FakeAPI):
    thread_name = "fake-hackernews"
    api_path = "/api/v1"  # HACKERNEWS_API_URL of the real API: https://hn.algolia.com/api/v1
    lower_headers = False

    def __init__(
        self,
        hits: dict[str, Iterable[dict[str, Any]]] | None = None,
        *,
        mode: str = "json",
        throttle: int = 0,
        retry_after: str | None = None,
        empty_pages: Iterable[int] = (),
        pagination_limit: int = 1000,
    ) -> None:
        self.hits = {key.lower(): list(found) for key, found in (hits or {}).items()}
        self.mode = mode
        self.throttle = throttle
        self.retry_after = retry_after
        self.empty_pages = set(empty_pages)
        self.pagination_limit = pagination_limit
        super().__init__()

    def matches(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        query = params.get("query", "").strip()
        if len(query) >= 2 and query.startswith('"') and query.endswith('"'):
            query = query[1:-1]
        found = list(self.hits.get(query.lower(), []))
        if params.get("tags"):
            groups = _tags_filter(params["tags"])
            found = [h for h in found if all(any(t in h.get("_tags", []) for t in g) for g in groups)]
        if params.get("numericFilters"):
            conditions = _numeric_filter(params["numericFilters"])
            found = [
                h
                for h in found
                if all(
                    isinstance(h.get(attr), int | float) and _OPS[op](h[attr], number)
                    for attr, op, number in conditions
                )
            ]
        if path.endswith("/search_by_date"):
            found.sort(key=lambda h: h.get("created_at_i", 0), reverse=True)
        return found

    def payload(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        hits_per_page = _int_param(params, "hitsPerPage", 20, 0, 1000)
        page = _int_param(params, "page", 0, 0, 10**9)
        found = self.matches(path, params)
        window = found[: self.pagination_limit]
        nb_pages = -(-len(window) // hits_per_page) if hits_per_page else 0
        start = page * hits_per_page
        chosen = [] if page in self.empty_pages else window[start : start + hits_per_page]
        return {
            "exhaustive": {"nbHits": len(found) <= 1000, "typo": True},
            "exhaustiveNbHits": len(found) <= 1000,
            "exhaustiveTypo": True,
            "hits": chosen,
            "hitsPerPage": hits_per_page,
            "nbHits": len(found),
            "nbPages": nb_pages,
            "page": page,
            "params": urlencode({"advancedSyntax": "true", "analytics": "true", **params}),
            "processingTimeMS": 1,
            "processingTimingsMS": {"_request": {"roundTrip": 12}, "total": 1},
            "query": params.get("query", ""),
            "serverTimeMS": 2,
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = query_params(parts.query)
                with fake._lock:
                    fake.record(parts.path, params, self.headers)
                    throttled = fake.throttle > 0
                    if throttled:
                        fake.throttle -= 1
                if parts.path not in ("/api/v1/search", "/api/v1/search_by_date"):
                    self._send(404, "text/html; charset=utf-8", b"<h1>Not Found</h1>")
                elif throttled:
                    headers = {"Retry-After": fake.retry_after} if fake.retry_after else {}
                    self._json(429, {"message": "Too many requests", "status": 429}, headers)
                elif fake.mode == "error":
                    self._send(503, "text/html", ERROR_PAGE)
                elif fake.mode == "refuse":
                    self._json(403, {"message": "Invalid Application-ID or API key", "status": 403})
                elif fake.mode == "bad_request":
                    message = 'Invalid value for "hitsPerPage" parameter, expected integer between 0 and 1000'
                    self._json(400, {"message": message, "status": 400})
                elif fake.mode == "html":
                    self._send(200, "text/html; charset=utf-8", HTML_PAGE)
                elif fake.mode == "wrongtypes":
                    self._json(200, {"hits": {"objectID": "1"}, "nbPages": "3", "page": 0})
                else:
                    try:
                        body = json.dumps(fake.payload(parts.path, params)).encode()
                    except BadRequest as exc:
                        self._json(400, {"message": str(exc), "status": 400})
                        return
                    if fake.mode == "truncated":
                        body = body[: len(body) // 2]
                    self._send(200, "application/json; charset=utf-8", body)

            def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
                self._send(status, "application/json; charset=utf-8", json.dumps(value).encode(), headers)

            def _send(
                self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
            ) -> None:
                self.send(status, {"Content-Type": content_type, **(headers or {})}, body)

        return Handler
