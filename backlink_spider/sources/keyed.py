"""Keyed web search engines as discovery sources: Brave Search, Marginalia Search and Mojeek.

Each engine is asked for pages that name the target but are not on it, with the queries of the
SearXNG provider (`SearchProvider.queries` without its "forum"/"review" variants): `"<brand>"
-site:<host>` for every brand term, then `"<host>" -site:<host>`. A search result only says that
the page contains the words, so every candidate is a MENTION; the crawl of the page decides
whether it also links. Results on the target itself (any subdomain) and anything that is not an
absolute http(s) URL are dropped. A source runs only when its key is set (`from_settings` raises
SourceNotConfigured otherwise) and never raises on an answer: an error page, truncated JSON or a
field of the wrong type is a one-line error.

Brave Search API (`brave`)
    GET BRAVE_API_URL (`/res/v1/web/search`) with `q`, `count=20` (the maximum) and `offset`
    (the 0-based page, at most 9: 200 results a query at most), headers `X-Subscription-Token:
    <BRAVE_API_KEY>` and `Accept: application/json`. The next page is asked for while
    `query.more_results_available` is true, even after a short or empty page. Rates: the free
    plan allows 1 request a second and 2,000 a month (BRAVE_MIN_INTERVAL, default 1 s). HTTP 429
    `RATE_LIMITED` is a throttle: the same request again after the `X-RateLimit-Reset` seconds of
    the window that is spent (or `Retry-After`); a spent monthly quota (`QUOTA_LIMITED`, or a
    monthly `X-RateLimit-Remaining` of 0) and a refused key (401, or 422
    `SUBSCRIPTION_TOKEN_INVALID`) stop the source. `since`: Brave's `freshness` range needs an
    end date, which a source may not take from the clock, so results are filtered on their
    `page_age` instead (results without one are kept).

Marginalia Search API (`marginalia`)
    The current API (https://about.marginalia-search.com/article/api/): GET
    `{MARGINALIA_API_URL}/search?query=...&count=100&page=N` with the key in an `API-Key` header
    (the real host is https://api2.marginalia-search.com; keys issued today are refused by the
    deprecated `api.marginalia.nu/<key>/search/<query>` form). `count` is at most 100; the answer
    has no total or continuation flag, so the next page is asked for only after a full page.
    The shared key `public` "often hits a rate limit": HTTP 429 `QPM Limit Exceeded` (and 503
    from the old API) is a throttle, retried after `Retry-After` or a minute (the limit is per
    minute); 429 `Daily Limit Exceeded` and 401 (unknown key) stop the source. Rate:
    MARGINALIA_MIN_INTERVAL (default 1 s). `since` is not supported by the API: ignored.

Mojeek Search API (`mojeek`)
    GET MOJEEK_API_URL with `q`, `api_key=<MOJEEK_API_KEY>` (the API takes the key only as a
    URL parameter; it is never part of a request's `query` description), `fmt=json`, `s` (the
    1-based first result) and `t=10` (the documented default; no maximum is documented). The
    next page is asked for while `s + t - 1` is below the total in `response.head.results`, even
    after a short or empty page. Errors come as HTTP 200 with `response.status` = `ERROR:
    <message>`: a daily limit or a key problem stops the source, other errors fail the request;
    HTTP 429 is a throttle (`Retry-After`, or MOJEEK_MIN_INTERVAL). `since` is sent as the
    API's `since=YYYYMMDD`. Rate: MOJEEK_MIN_INTERVAL (default 1 s).

Settings read: BRAVE_API_URL, BRAVE_API_KEY, BRAVE_MIN_INTERVAL, MARGINALIA_API_URL,
MARGINALIA_API_KEY, MARGINALIA_MIN_INTERVAL, MOJEEK_API_URL, MOJEEK_API_KEY, MOJEEK_MIN_INTERVAL.
The User-Agent is the crawl's own (descriptive, with contact), as for every source.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import SimpleNamespace
from typing import Any, ClassVar
from urllib.parse import urlencode

from backlink_spider.discovery import SearchProvider
from backlink_spider.sources.base import (
    MENTION,
    Candidate,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
)
from backlink_spider.target import Target
from backlink_spider.urls import http_url

# Brave: `count` is at most 20 and `offset` (a page number, 0-based) at most 9.
BRAVE_COUNT = 20
BRAVE_MAX_OFFSET = 9
# Marginalia: `count` is 1-100; its rate limit is counted per minute.
MARGINALIA_COUNT = 100
MARGINALIA_THROTTLE_WAIT = 60.0
# Mojeek: `t` defaults to 10 and has no documented maximum.
MOJEEK_COUNT = 10


# A request whose results are candidate prospect pages (pages inviting a link), not mentions.
PROSPECT = "prospect"


def search_queries(target: Target) -> list[str]:
    """`"<brand>" -site:<host>` for each brand term, then `"<host>" -site:<host>`: the SearXNG
    provider's own queries (`SearchProvider.queries`), without its "forum"/"review" variants."""
    shape = SimpleNamespace(QUERY_VARIANTS=(), max_queries=len(target.brand_terms) + 1)
    return SearchProvider.queries(shape, target)  # type: ignore[arg-type]


def _ints(header: str) -> list[int]:
    """`"1, 15000"` -> [1, 15000]; unreadable parts are dropped."""
    out = []
    for part in header.split(","):
        try:
            out.append(int(part.strip()))
        except ValueError:
            continue
    return out


def _one_line(text: str, limit: int = 100) -> str:
    return " ".join(text.split())[:limit]


class _KeyedSearchSource(Source):
    """What the three engines share: the queries, the request state, candidates from result
    URLs, and the answers every HTTP API may give (server errors, HTML, not JSON)."""

    prefix: ClassVar[str] = ""  # BRAVE, MARGINALIA, MOJEEK: the settings' prefix
    first_page: ClassVar[int] = 0  # the `page` state of a query's first request

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        self.min_interval = float(self.settings.get(f"{self.prefix}_MIN_INTERVAL"))

    @property
    def api_url(self) -> str:
        return str(self.settings.get(f"{self.prefix}_API_URL") or "").strip()

    @property
    def key(self) -> str:
        return str(self.settings.get(f"{self.prefix}_API_KEY") or "").strip()

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        return [
            self.page_request(
                {"q": query, "host": target.host, "since": since.isoformat() if since else None},
                self.first_page,
            )
            for query in search_queries(target)
        ]

    def prospect_requests(self, target: Target, queries: list[str]) -> list[SourceRequest]:
        """Each prospect query (`"kettle" "write for us"`, built from the target's niche terms: see
        extract/prospects.py), paged like the source's own queries; `since` does not apply."""
        return [
            self.page_request(
                {"q": query, "host": target.host, "since": None, "kind": PROSPECT}, self.first_page
            )
            for query in queries
        ]

    def page_request(self, state: Mapping[str, Any], page: int) -> SourceRequest:
        state = {**state, "page": page}
        kind = state.get("kind", MENTION)
        return SourceRequest(self.page_url(state), query=state["q"], kind=kind, state=state)

    def page_url(self, state: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def candidates(self, request: SourceRequest, urls: list[Any]) -> list[Candidate]:
        target = Target(host=request.state["host"], brand_terms=())
        out = []
        for raw in urls:
            url = http_url(raw)
            if url and not target.owns(url):
                out.append(self.candidate(url, request))
        return out

    def unusable(self, answer: SourceAnswer) -> SourceResult:
        """An answer that is not the API's JSON (a server error, an HTML page): a one-line reason."""
        return SourceResult.failed(f"{self.name}: {answer.describe()}")

    @staticmethod
    def since(request: SourceRequest) -> date | None:
        value = request.state.get("since")
        return date.fromisoformat(value) if value else None


class BraveSource(_KeyedSearchSource):
    name = "brave"
    prefix = "BRAVE"
    required_settings = ("BRAVE_API_KEY",)
    first_page = 0

    def headers(self) -> dict[str, str]:
        return {"X-Subscription-Token": self.key, "Accept": "application/json"}

    def page_url(self, state: Mapping[str, Any]) -> str:
        params = {"q": state["q"], "count": BRAVE_COUNT, "offset": state["page"]}
        return self.api_url + "?" + urlencode(params)

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        data = answer.json()
        error = data.get("error") if isinstance(data, dict) else None
        if answer.status != 200 or isinstance(error, dict):
            return self._error(answer, error if isinstance(error, dict) else {})
        if not isinstance(data, dict):
            return self.unusable(answer)
        web = data.get("web", {})  # no `web` at all when nothing was found
        results = web.get("results", []) if isinstance(web, dict) else None
        query = data.get("query", {})
        if not isinstance(results, list) or not isinstance(query, dict):
            return SourceResult.failed(f"brave: unexpected answer shape: {_one_line(str(data), 80)!r}")
        since = self.since(request)
        urls = [
            hit.get("url")
            for hit in results
            if isinstance(hit, dict) and (since is None or not self._older(hit.get("page_age"), since))
        ]
        result = SourceResult(self.candidates(request, urls))
        page = request.state["page"]
        if query.get("more_results_available") is True and page < BRAVE_MAX_OFFSET:
            result.next_requests.append(self.page_request(request.state, page + 1))
        return result

    @staticmethod
    def _older(page_age: Any, since: date) -> bool:
        """True when `page_age` (`2025-08-01T00:00:00`) is a date before `since`."""
        if not isinstance(page_age, str):
            return False
        try:
            return date.fromisoformat(page_age[:10]) < since
        except ValueError:
            return False

    def _error(self, answer: SourceAnswer, error: Mapping[str, Any]) -> SourceResult:
        code = str(error.get("code") or "")
        detail = _one_line(str(error.get("detail") or ""))
        meta = error.get("meta") if isinstance(error.get("meta"), dict) else {}
        reason = f"brave: HTTP {answer.status} {code}".rstrip() + (f" ({detail})" if detail else "")
        if (
            answer.status == 401
            or code == "SUBSCRIPTION_TOKEN_INVALID"
            or (answer.status == 422 and meta.get("component") == "authentication")
        ):
            return SourceResult.failed(f"{reason}: the key was refused", stop=True)
        if answer.status == 429:
            remaining = _ints(answer.headers.get("x-ratelimit-remaining", ""))
            resets = _ints(answer.headers.get("x-ratelimit-reset", ""))
            quota_spent = code == "QUOTA_LIMITED" or (len(remaining) > 1 and remaining[-1] <= 0)
            if not quota_spent and isinstance(meta.get("quota_limit"), int):
                quota_spent = isinstance(meta.get("quota_current"), int) and (
                    meta["quota_current"] >= meta["quota_limit"]
                )
            if quota_spent:
                return SourceResult.failed(f"{reason}: the plan's quota is spent", stop=True)
            wait = answer.retry_after()
            if wait is None:
                spent = [reset for reset, left in zip(resets, remaining, strict=False) if left <= 0]
                wait = float(max(spent) if spent else resets[0] if resets else self.min_interval)
            return SourceResult.throttled(wait, reason)
        return SourceResult.failed(reason) if code or answer.status == 200 else self.unusable(answer)


class MarginaliaSource(_KeyedSearchSource):
    name = "marginalia"
    prefix = "MARGINALIA"
    required_settings = ("MARGINALIA_API_KEY",)
    first_page = 1

    def headers(self) -> dict[str, str]:
        return {"API-Key": self.key, "Accept": "application/json"}

    def page_url(self, state: Mapping[str, Any]) -> str:
        params = {"query": state["q"], "count": MARGINALIA_COUNT, "page": state["page"]}
        return self.api_url.rstrip("/") + "/search?" + urlencode(params)

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        text = _one_line(answer.body[:200].decode("utf-8", "replace"), 80)
        if answer.status == 429:
            if "daily" in text.lower() or answer.headers.get("api-event-type") == "OverLimitBlock":
                return SourceResult.failed(f"marginalia: HTTP 429 {text}: the key's daily limit", stop=True)
            wait = answer.retry_after()
            return SourceResult.throttled(
                MARGINALIA_THROTTLE_WAIT if wait is None else wait, f"marginalia: HTTP 429 {text}".rstrip()
            )
        if answer.status == 503:  # the old API's answer to the shared key's rate limit
            wait = answer.retry_after()
            return SourceResult.throttled(
                MARGINALIA_THROTTLE_WAIT if wait is None else wait, "marginalia: HTTP 503"
            )
        if answer.status in (401, 403):
            return SourceResult.failed(f"marginalia: HTTP {answer.status}: the key was refused", stop=True)
        data = answer.json()
        if answer.status != 200 or not isinstance(data, dict):
            return self.unusable(answer)
        results = data.get("results")
        if not isinstance(results, list):
            return SourceResult.failed(f"marginalia: unexpected answer shape: {_one_line(str(data), 80)!r}")
        urls = [hit.get("url") for hit in results if isinstance(hit, dict)]
        result = SourceResult(self.candidates(request, urls))
        if len(results) >= MARGINALIA_COUNT:  # a full page: there may be another
            result.next_requests.append(self.page_request(request.state, request.state["page"] + 1))
        return result


class MojeekSource(_KeyedSearchSource):
    name = "mojeek"
    prefix = "MOJEEK"
    required_settings = ("MOJEEK_API_KEY",)
    first_page = 1  # here the page is `s`, the 1-based position of the first result

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def page_url(self, state: Mapping[str, Any]) -> str:
        params: dict[str, Any] = {
            "q": state["q"],
            "api_key": self.key,
            "fmt": "json",
            "s": state["page"],
            "t": MOJEEK_COUNT,
        }
        if state.get("since"):
            params["since"] = state["since"].replace("-", "")
        return self.api_url + "?" + urlencode(params)

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        if answer.status == 429:
            wait = answer.retry_after()
            return SourceResult.throttled(self.min_interval if wait is None else wait, "mojeek: HTTP 429")
        if answer.status in (401, 403):
            return SourceResult.failed(f"mojeek: HTTP {answer.status}: the key was refused", stop=True)
        data = answer.json()
        response = data.get("response") if isinstance(data, dict) else None
        if answer.status != 200 or not isinstance(response, dict):
            return self.unusable(answer)
        status = response.get("status")
        if status != "OK":
            message = _one_line(str(status))
            lowered = message.lower()
            stop = "limit" in lowered or "key" in lowered
            return SourceResult.failed(f"mojeek: {message}", stop=stop)
        results = response.get("results", [])
        head = response.get("head", {})
        if not isinstance(results, list) or not isinstance(head, dict):
            return SourceResult.failed(f"mojeek: unexpected answer shape: {_one_line(str(data), 80)!r}")
        urls = [hit.get("url") for hit in results if isinstance(hit, dict)]
        result = SourceResult(self.candidates(request, urls))
        total = head.get("results")
        start = request.state["page"]
        if isinstance(total, int) and not isinstance(total, bool) and start + MOJEEK_COUNT - 1 < total:
            result.next_requests.append(self.page_request(request.state, start + MOJEEK_COUNT))
        return result
