"""Loopback stand-ins for the keyed search APIs: Brave Search, Marginalia Search and Mojeek.

    with FakeBrave({'"brewbird" -site:brewbird.io': ["https://blog.example/a", ...]}) as brave:
        settings["BRAVE_API_URL"] = brave.api_url
        ...
        brave.requests  # [{"path": ..., "params": {...}, "headers": {...}}, ...]

Results are keyed by the exact query string; a hit is a URL or a dict of the API's result fields
(`url` plus whatever the test needs: `page_age` for Brave, `timestamp` for Mojeek). Every fake
pages them by the request's own page size and answers in the API's shape; `blank_pages` (0-based
page indexes) are pages that come back empty while the API still says there is more.

`mode` picks the answer to every search request: "ok" (default), "quota" (the API's spent-quota
answer), "error" (HTTP 500 with an HTML body, as a broken proxy), "garbage" (HTTP 200 JSON cut off
halfway), "html" (HTTP 200 with an HTML page), "types" (HTTP 200 JSON with the results field of
the wrong type). `throttle_first=N` answers the first N search requests with the API's throttling
answer. Each fake has a `key`: a request without it, or with another key, gets the API's refusal.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

ERROR_PAGE = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>Internal Server Error</h1></body></html>"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><p>Please sign in to continue.</p></body></html>"

Hit = str | dict[str, Any]


class _FakeSearchAPI(FakeAPI):
    """The modes, the key and the paging every search fake shares."""

    search_path = "/search"
    default_key = "test-key"

    def __init__(
        self,
        results: dict[str, list[Hit]] | None = None,
        *,
        mode: str = "ok",
        throttle_first: int = 0,
        blank_pages: set[int] | frozenset[int] = frozenset(),
        key: str | None = None,
    ) -> None:
        self.results = {
            q: [h if isinstance(h, dict) else {"url": h} for h in hits] for q, hits in (results or {}).items()
        }
        self.mode = mode
        self.throttle_first = throttle_first
        self.blank_pages = set(blank_pages)
        self.key = self.default_key if key is None else key
        self._searches = 0
        super().__init__()  # requests: path, params (last value of each), headers (lower-case names)

    @property
    def api_url(self) -> str:
        """The URL the source's *_API_URL setting points at."""
        return self.base_url + self.search_path

    # ----------------------------------------------------------------- HTTP
    def answer(self, path: str, params: dict[str, str], headers: dict[str, str]) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = query_params(parts.query)
                fake.record(parts.path, params, self.headers)
                headers = {k.lower(): v for k, v in self.headers.items()}  # names are case-blind
                status, extra, body = fake.answer(parts.path, params, headers)
                self.send(status, extra, body)

        return Handler

    def throttling_now(self) -> bool:
        with self._lock:
            self._searches += 1
            return self._searches <= self.throttle_first

    def common(self) -> tuple[int, dict, bytes] | None:
        """The answers of modes that do not depend on the API: error, garbage, html."""
        if self.mode == "error":
            return 500, {"Content-Type": "text/html"}, ERROR_PAGE
        if self.mode == "html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, HTML_PAGE
        return None


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(payload).encode()


def _cut(payload: Any) -> tuple[int, dict, bytes]:
    body = json.dumps(payload).encode()
    return 200, {"Content-Type": "application/json"}, body[: len(body) // 2]


def _pages(fake: _FakeSearchAPI, hits: list[dict], size: int) -> list[list[dict]]:
    """`hits` cut into pages of `size`; a blank page index listed in `fake.blank_pages` is an
    empty page inserted there (only before the last page with hits)."""
    left = list(hits)
    pages: list[list[dict]] = []
    while left:
        if len(pages) in fake.blank_pages:
            pages.append([])
        else:
            pages.append(left[:size])
            left = left[size:]
    return pages or [[]]


class FakeBrave(_FakeSearchAPI):
    """Brave Search API `GET /res/v1/web/search` (X-Subscription-Token, q, count <= 20, offset <= 9).

    Shapes: the web search response (`type`, `query.original`, `query.more_results_available`,
    `web.type`, `web.results[].title/url/description/page_age/...`) and the parameters (count max
    20, offset max 9, "only request the next page if more_results_available is true") from
    Brave's web search documentation as transcribed in captalphabet/BraveApi docs/WebResponseSpec.md
    and docs/WebRequestSpec.md; `web` is left out when nothing was found. Errors: the
    `ErrorResponse` body of a real 429 quoted in egoist/chatwise-releases#1296 (`RATE_LIMITED`,
    `meta.plan/rate_limit/quota_limit/...`), the 422 `SUBSCRIPTION_TOKEN_INVALID` with
    `meta.component = "authentication"` from Brave's API reference, 401 for a missing token.
    Rate headers from api.search.brave.com/app/documentation/web-search/response-headers
    (`X-RateLimit-Limit: 1, 2000`, `-Policy`, `-Remaining`, `-Reset`: per second, per month).
    The quota answer's code `QUOTA_LIMITED` is not from a captured sample; its headers (monthly
    remaining 0) and `meta` (quota_current == quota_limit) are.
    """

    search_path = "/res/v1/web/search"
    QUOTA = 2000

    def _rate_headers(self, second_left: int, month_left: int) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": f"1, {self.QUOTA}",
            "X-RateLimit-Policy": f"1;w=1, {self.QUOTA};w=2592000",
            "X-RateLimit-Remaining": f"{second_left}, {month_left}",
            "X-RateLimit-Reset": "1, 1419704",
        }

    def _error(self, status: int, code: str, detail: str, meta: dict, headers: dict | None = None):
        error = {
            "id": "8f3a2c1e-6d2b-4b8e-9a57-2f0c6f6f5e11",
            "status": status,
            "code": code,
            "detail": detail,
        }
        error["meta"] = meta
        return _json(status, {"type": "ErrorResponse", "error": error, "time": 1773685964}, headers)

    def _meta(self, quota_current: int) -> dict[str, Any]:
        return {
            "plan": "Free",
            "rate_limit": 1,
            "rate_current": 1,
            "quota_limit": self.QUOTA,
            "quota_current": quota_current,
            "org_rate_limit": None,
            "org_rate_current": 0,
            "component": "rate_limiter",
        }

    def answer(self, path, params, headers):
        if path != self.search_path:
            return 404, {"Content-Type": "text/html"}, b"<h1>404 Not Found</h1>"
        token = headers.get("x-subscription-token")
        if not token:
            return self._error(
                401,
                "SUBSCRIPTION_TOKEN_INVALID",
                "Missing subscription token.",
                {"component": "authentication"},
            )
        if token != self.key:
            return self._error(
                422,
                "SUBSCRIPTION_TOKEN_INVALID",
                "The provided subscription token is invalid.",
                {"component": "authentication"},
            )
        if self.throttling_now():
            return self._error(
                429,
                "RATE_LIMITED",
                "Request rate limit exceeded for plan",
                self._meta(15),
                self._rate_headers(0, 1985),
            )
        if self.mode == "quota":
            return self._error(
                429,
                "QUOTA_LIMITED",
                "Request quota limit exceeded for plan",
                {**self._meta(self.QUOTA), "component": "quota_limiter"},
                self._rate_headers(1, 0),
            )
        common = self.common()
        if common:
            return common
        try:
            count = min(int(params.get("count", "20")), 20)
            offset = int(params.get("offset", "0"))
        except ValueError:
            return self._error(
                422, "VALIDATION", "Unable to validate request parameter(s)", {"component": "validation"}
            )
        if offset > 9 or count < 1:
            return self._error(
                422, "VALIDATION", "Unable to validate request parameter(s)", {"component": "validation"}
            )
        q = params.get("q", "")
        pages = _pages(self, self.results.get(q, []), count)
        hits = pages[offset] if offset < len(pages) else []
        payload: dict[str, Any] = {
            "type": "search",
            "query": {
                "original": q,
                "show_strict_warning": False,
                "is_navigational": False,
                "is_news_breaking": False,
                "spellcheck_off": True,
                "country": "us",
                "bad_results": False,
                "should_fallback": False,
                "postal_code": "",
                "city": "",
                "header_country": "",
                "more_results_available": offset + 1 < len(pages),
                "state": "",
            },
            "mixed": {
                "type": "mixed",
                "main": [{"type": "web", "index": i, "all": False} for i in range(len(hits))],
            },
        }
        if hits or offset + 1 < len(pages):
            payload["web"] = {
                "type": "search",
                "family_friendly": True,
                "results": [
                    {
                        "title": f"Result {offset * count + i + 1}",
                        "description": f"A page about <strong>{q}</strong>.",
                        "is_source_local": False,
                        "is_source_both": False,
                        "profile": {"name": urlsplit(str(h.get("url"))).hostname or "", "url": h.get("url")},
                        "language": "en",
                        "family_friendly": True,
                        "type": "search_result",
                        "subtype": "generic",
                        "meta_url": {
                            "scheme": "https",
                            "netloc": urlsplit(str(h.get("url"))).netloc,
                            "path": "",
                        },
                        **h,
                    }
                    for i, h in enumerate(hits)
                ],
            }
        if self.mode == "types":
            payload["web"] = {"type": "search", "results": "none"}
        if self.mode == "garbage":
            return _cut(payload)
        return _json(200, payload, self._rate_headers(0, 1984))


class FakeMarginalia(_FakeSearchAPI):
    """Marginalia Search API v2 `GET /search?query=...&count=N&page=P` with an `API-Key` header.

    Shapes and answers from MarginaliaSearch/MarginaliaSearch
    code/services-application/api-service/java/nu/marginalia/api/ApiV2.java and model/
    ApiSearchResults.java, ApiSearchResult.java, DailyLimitState.java: `{"license", "query",
    "results": [{"url", "title", "description", "quality", "format", "resultsFromDomain",
    "details"}]}`; 400 with an empty body without the header, 401 for an unknown key, 429 `QPM
    Limit Exceeded` (per-minute limit), 429 `Daily Limit Exceeded` with `API-Event-Type:
    OverLimitBlock` and `API-Remaining-Daily-Capacity: 0`; `API-Event-Type`/`API-Remaining-Daily-
    Capacity` on every answer. Parameters (count 1-100, page 1-indexed) from
    about.marginalia-search.com/article/api. The answer says nothing about further pages.
    """

    search_path = "/search"
    default_key = "public"

    def answer(self, path, params, headers):
        if path != self.search_path:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        key = headers.get("api-key")
        if key is None:
            return 400, {"Content-Type": "text/plain"}, b""
        if key != self.key:
            return 401, {"Content-Type": "text/plain"}, b""
        if "query" not in params:
            return 400, {"Content-Type": "text/plain"}, b""
        if self.throttling_now():
            return 429, {"Content-Type": "text/plain;charset=utf-8"}, b"QPM Limit Exceeded"
        if self.mode == "quota":
            limit = {"API-Remaining-Daily-Capacity": "0", "API-Event-Type": "OverLimitBlock"}
            return 429, {"Content-Type": "text/plain;charset=utf-8", **limit}, b"Daily Limit Exceeded"
        common = self.common()
        if common:
            return common
        try:
            count = max(1, min(int(params.get("count", "20")), 100))
            page = max(int(params.get("page", "1")), 1)
        except ValueError:
            return 400, {"Content-Type": "text/plain"}, b""
        q = params["query"]
        pages = _pages(self, self.results.get(q, []), count)
        hits = pages[page - 1] if page - 1 < len(pages) else []
        payload: dict[str, Any] = {
            "license": "CC-BY-NC-SA 4.0",
            "query": q,
            "results": [
                {
                    "title": f"Result {(page - 1) * count + i + 1}",
                    "description": f"A small-web page about {q}.",
                    "quality": -4.5,
                    "format": "html",
                    "resultsFromDomain": 1,
                    "details": [],
                    **h,
                }
                for i, h in enumerate(hits)
            ],
        }
        if self.mode == "types":
            payload["results"] = {"url": "https://wrong.example/"}
        if self.mode == "garbage":
            return _cut(payload)
        state = {
            "API-Remaining-Daily-Capacity": "4998",
            "API-Event-Type": "UnderLimit" if hits else "NoResults",
        }
        return _json(200, payload, state)


class FakeMojeek(_FakeSearchAPI):
    """Mojeek Search API `GET /search?q=...&api_key=...&fmt=json&s=<start>&t=<count>[&since=YYYYMMDD]`.

    Shapes from mojeek.com/support/api/search/json_response.html and request_parameters.html and
    the fixture of openculinary/pymojeek tests/fixtures.py: `{"response": {"status": "OK", "head":
    {"query", "nword", "words", "timer", "start", "return", "exact", "results", "rankm", "dups",
    "more|excluded"}, "results": [{"url", "title", "desc", "size", "timestamp", "date", "pdate",
    "cdatetimestamp", "cdate", "mres", "cats"}]}}`. Errors are `status: "ERROR: <message>"` (the
    documented example is `ERROR: Daily Limit Reached`; the text for a wrong key is not documented,
    `ERROR: Invalid API key` here). `since` drops hits whose `timestamp` is before that day.
    """

    search_path = "/search"

    def _status(self, status: str) -> tuple[int, dict, bytes]:
        return _json(200, {"response": {"status": status}})

    def answer(self, path, params, headers):
        if path != self.search_path:
            return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"
        if params.get("api_key") != self.key:
            return self._status("ERROR: Invalid API key")
        if self.throttling_now():
            return 429, {"Content-Type": "text/html", "Retry-After": "3"}, b"<h1>429 Too Many Requests</h1>"
        if self.mode == "quota":
            return self._status("ERROR: Daily Limit Reached")
        common = self.common()
        if common:
            return common
        try:
            start = max(int(params.get("s", "1")), 1)
            count = max(int(params.get("t", "10")), 1)
        except ValueError:
            return self._status("ERROR: Invalid parameters")
        q = params.get("q", "")
        hits = self.results.get(q, [])
        since = params.get("since")
        if since:
            day = datetime.strptime(since, "%Y%m%d").replace(tzinfo=UTC).timestamp()
            hits = [h for h in hits if h.get("timestamp", day) >= day]
        pages = _pages(self, hits, count)
        total = (len(pages) - 1) * count + len(pages[-1])
        index = (start - 1) // count
        chosen = pages[index] if index < len(pages) else []
        payload = {
            "response": {
                "status": "OK",
                "head": {
                    "query": q,
                    "nword": len(q.split()),
                    "words": [{"full": w, "stem": w, "plus": 1, "hits": 17} for w in q.split()],
                    "timer": 0.12,
                    "start": start,
                    "return": len(chosen),
                    "exact": True,
                    "results": total,
                    "rankm": 169,
                    "dups": 0,
                    "more|excluded": 0,
                },
                "results": [
                    {
                        "title": f"Result {start + i}",
                        "desc": f"A page about {q}",
                        "size": "2kb",
                        "timestamp": 1695037500,
                        "date": "Mon Sep 18 11:45:00 2023",
                        "pdate": 1695037500,
                        "cdatetimestamp": 1695037500,
                        "cdate": "Mon Sep 18 11:45:00 2023",
                        "mres": 0,
                        **h,
                    }
                    for i, h in enumerate(chosen)
                ],
            }
        }
        if self.mode == "types":
            payload["response"]["results"] = "none"
        if self.mode == "garbage":
            return _cut(payload)
        return _json(200, payload)
