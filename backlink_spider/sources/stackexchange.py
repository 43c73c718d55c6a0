"""Stack Exchange (API 2.3): questions and answers that link to the target or name its brand.

What it finds, on every site of STACKEXCHANGE_SITES (Stack Overflow, Super User, Server Fault, ...):

* LINK: `GET {STACKEXCHANGE_API_URL}/search/advanced?url=*brewbird.io*&site=...` — questions
  whose posts contain a URL on the target (the `url` parameter "may include a wildcard"; the
  leading `*` covers subdomains and the scheme, the trailing one any path). Candidate: the
  question's `link`.
* MENTION: `GET {STACKEXCHANGE_API_URL}/search/excerpts?q="BrewBird"&site=...` — questions and
  answers whose text names a brand term (one request per term, as an exact phrase). Candidate:
  the item's `link` when the filter returns one, else the share link the sites use:
  `https://stackoverflow.com/a/<answer_id>` for an answer, `/q/<question_id>` for a question.

Every request sends `filter=default` (the built-in filter: `items`, `has_more`, `quota_max`,
`quota_remaining`, `backoff` and the error fields), `pagesize=100` (the documented maximum),
`order=desc&sort=creation`, `fromdate=<epoch seconds of since, 00:00 UTC>` when the crawl has a
`since`, and `key=<STACKEXCHANGE_KEY>` when one is set. Pages are walked with `page` while the
wrapper says `has_more` (an empty page that says `has_more` is followed too).

Settings: STACKEXCHANGE_API_URL, STACKEXCHANGE_SITES (API site names such as `stackoverflow`,
`webapps`, `ru.stackoverflow`, or site domains), STACKEXCHANGE_KEY, STACKEXCHANGE_MIN_INTERVAL,
DISCOVERY_MAX_WAIT.

Documented limits and how they are respected (https://api.stackexchange.com/docs/throttle,
/docs/paging, /docs/error-handling, /docs/compression):

* Daily quota per IP: 300 requests without a key, 10,000 with a (free, not secret) app key from
  stackapps.com. Every answer carries `quota_remaining`; at 0 the source stops. A spent quota is
  answered with `throttle_violation` ("more requests available in N seconds"): the source stops
  (it waits and retries once only when N is at most DISCOVERY_MAX_WAIT).
* `backoff`: "wait that many seconds before hitting the same method again" — returned as the
  result's `pause`, so the crawl waits before this source's next request. A request refused for
  "Violation of backoff parameter" is retried once after BACKOFF_VIOLATION_WAIT seconds.
* More than 30 requests a second from one IP is banned: requests go one at a time, one every
  STACKEXCHANGE_MIN_INTERVAL seconds.
* Without a key, pages above 25 are refused ("page above 25 requires access token or app key"):
  the source stops paging at page 25 (2,500 results per query) unless a key is set.
* Errors come as HTTP 400 with `error_id`/`error_name`/`error_message`: a refused key
  (`bad_parameter` naming `key`), `access_denied`, `key_required` or `no_method` stop the source;
  other errors fail that request only.
* Answers are always gzip- (or deflate-) compressed, even when the client did not ask: bodies
  already decoded (Scrapy's HttpCompressionMiddleware) are read as they are, compressed bodies are
  decompressed here up to MAX_BODY_BYTES.

The API has no User-Agent rule; the crawl's User-Agent is sent. `Accept-Encoding: gzip, deflate`
is sent as the compression page asks.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from backlink_spider.responses import BadGzip, BodyTooLarge, gunzip_at_most
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

# The documented maximum `pagesize`.
PAGE_SIZE = 100
# Without a key (or access token) the API refuses `page` above 25.
ANONYMOUS_MAX_PAGE = 25
# Decompressed answers larger than this are refused (a 100-item page is a few hundred KB).
MAX_BODY_BYTES = 16 * 1024 * 1024
# Seconds to wait after "Violation of backoff parameter", which says no number (more than the
# usual `backoff` values).
BACKOFF_VIOLATION_WAIT = 30.0

# Sites with their own domain; the others live under <name>.stackexchange.com.
_OWN_DOMAINS = {
    "stackoverflow": "stackoverflow.com",
    "superuser": "superuser.com",
    "serverfault": "serverfault.com",
    "askubuntu": "askubuntu.com",
    "stackapps": "stackapps.com",
    "mathoverflow": "mathoverflow.net",
}
_AVAILABLE_IN = re.compile(r"available in (\d+) seconds")
_KEY_WORD = re.compile(r"\bkey\b", re.IGNORECASE)
_STOPPING_ERRORS = {
    "access_denied",
    "key_required",
    "access_token_required",
    "invalid_access_token",
    "access_token_compromised",
    "no_method",
}


def site_root(site: str) -> str:
    """The https root of a Stack Exchange site from its API name (`superuser` →
    `https://superuser.com`, `webapps` → `https://webapps.stackexchange.com`, `meta.webapps` →
    `https://webapps.meta.stackexchange.com`, `ru.stackoverflow` → `https://ru.stackoverflow.com`)
    or from its domain (`superuser.com`)."""
    name = site.strip().lower()
    if name.endswith((".com", ".net")):
        return f"https://{name}"
    labels = name.split(".")
    if labels[-1] in _OWN_DOMAINS:
        return "https://" + ".".join([*labels[:-1], _OWN_DOMAINS[labels[-1]]])
    if name == "meta":
        return "https://meta.stackexchange.com"
    if name.startswith("meta."):
        return f"https://{name[5:]}.meta.stackexchange.com"
    return f"https://{name}.stackexchange.com"


def _epoch(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _int(value: Any) -> int | None:
    """An int field of the answer; None for a missing or wrongly typed one (bools are not ints)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _one_line(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class StackExchangeSource(Source):
    name = "stackexchange"
    # The default of STACKEXCHANGE_MIN_INTERVAL; the instance takes the setting's value.
    min_interval = 1.0
    concurrency = 1

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        interval = settings.get("STACKEXCHANGE_MIN_INTERVAL")
        if interval is not None and str(interval).strip():
            try:
                self.min_interval = float(interval)  # type: ignore[misc]
            except (TypeError, ValueError):
                raise SourceSettingError(
                    f"STACKEXCHANGE_MIN_INTERVAL={interval!r} is not a number of seconds"
                ) from None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any) -> Source:
        source = super().from_settings(settings)
        assert isinstance(source, StackExchangeSource)
        api = str(settings.get("STACKEXCHANGE_API_URL") or "").strip()
        if urlsplit(api).scheme not in ("http", "https") or not urlsplit(api).netloc:
            raise SourceSettingError(f"STACKEXCHANGE_API_URL={api!r} is not an http(s) URL")
        if not source.setting_list("STACKEXCHANGE_SITES"):
            raise SourceSettingError("STACKEXCHANGE_SITES is empty: name at least one site (stackoverflow)")
        return source

    # --- requests -------------------------------------------------------------------------------

    @property
    def key(self) -> str:
        return str(self.settings.get("STACKEXCHANGE_KEY") or "").strip()

    def headers(self) -> dict[str, str]:
        return {"Accept-Encoding": "gzip, deflate"}

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        requests = []
        for site in self.setting_list("STACKEXCHANGE_SITES"):
            link_params = {"url": f"*{target.host}*"}
            requests.append(self._request("advanced", site, link_params, target.host, since, page=1))
            for term in target.brand_terms:
                term_params = {"q": f'"{term}"'}
                requests.append(self._request("excerpts", site, term_params, target.host, since, page=1))
        return requests

    def _request(
        self,
        method: str,
        site: str,
        search: dict[str, str],
        host: str,
        since: date | None,
        page: int,
    ) -> SourceRequest:
        params: dict[str, str] = {
            "order": "desc",
            "sort": "creation",
            **search,
            "site": site,
            "filter": "default",
            "pagesize": str(PAGE_SIZE),
            "page": str(page),
        }
        if since is not None:
            params["fromdate"] = str(_epoch(since))
        if self.key:
            params["key"] = self.key
        api = str(self.settings.get("STACKEXCHANGE_API_URL")).rstrip("/")
        label = " ".join(f"{k}={v}" for k, v in search.items())
        return SourceRequest(
            url=f"{api}/search/{method}?{urlencode(params)}",
            query=f"search/{method} {label} on {site}",
            kind=LINK if method == "advanced" else MENTION,
            state={
                "method": method,
                "site": site,
                "search": dict(search),
                "host": host,
                "since": since.isoformat() if since else None,
                "page": page,
            },
        )

    def _next_page(self, request: SourceRequest) -> SourceRequest:
        state = request.state
        since = date.fromisoformat(state["since"]) if state.get("since") else None
        return self._request(
            state["method"], state["site"], dict(state["search"]), state["host"], since, state["page"] + 1
        )

    # --- answers --------------------------------------------------------------------------------

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        try:
            body = self._decoded(answer)
        except ValueError as error:
            return SourceResult.failed(f"Stack Exchange answer could not be decompressed: {error}")
        decoded = SourceAnswer(answer.status, answer.headers, body)
        data = decoded.json()
        if not isinstance(data, dict):
            return self._not_json(decoded)
        if "error_id" in data or "error_name" in data:
            return self._error(data, answer)
        if answer.status != 200:
            return SourceResult.failed(decoded.describe())
        items = data.get("items")
        if not isinstance(items, list):
            return SourceResult.failed("Stack Exchange answer has no `items` list")
        result = SourceResult(candidates=self._candidates(request, items))
        backoff = data.get("backoff")
        if isinstance(backoff, int | float) and not isinstance(backoff, bool) and backoff > 0:
            result.pause = float(backoff)
        quota = _int(data.get("quota_remaining"))
        if quota is not None and quota <= 0:
            result.error = (
                f"Stack Exchange daily quota spent (quota_max {_int(data.get('quota_max'))}); "
                "set STACKEXCHANGE_KEY for 10,000 requests a day"
            )
            result.stop = True
            return result
        page = request.state.get("page", 1)
        if data.get("has_more") is True and (self.key or page < ANONYMOUS_MAX_PAGE):
            result.next_requests.append(self._next_page(request))
        return result

    def _decoded(self, answer: SourceAnswer) -> bytes:
        """The body, decompressed when it is still gzip (magic 1f 8b) or deflate (the answer's
        Content-Encoding) — the API compresses every answer; Scrapy has usually decoded it."""
        body = answer.body
        if body[:2] == b"\x1f\x8b":
            try:
                return gunzip_at_most(body, MAX_BODY_BYTES)
            except BodyTooLarge:
                raise ValueError(f"gzip: more than {MAX_BODY_BYTES} bytes") from None
            except BadGzip as error:
                raise ValueError(_one_line(f"gzip: {error}", 100)) from None
        encoding = answer.headers.get("content-encoding", "").strip().lower()
        if encoding == "deflate" and body[:1] not in (b"{", b"[", b"<", b""):
            for wbits in (zlib.MAX_WBITS, -zlib.MAX_WBITS):  # zlib-wrapped, then raw deflate
                inflater = zlib.decompressobj(wbits)
                try:
                    out = inflater.decompress(body, MAX_BODY_BYTES + 1)
                except zlib.error:
                    continue
                if len(out) > MAX_BODY_BYTES:
                    raise ValueError(f"deflate: more than {MAX_BODY_BYTES} bytes")
                return out
            raise ValueError("deflate: invalid data")
        return body

    def _not_json(self, answer: SourceAnswer) -> SourceResult:
        if answer.status == 429 or (answer.status == 503 and answer.retry_after() is not None):
            wait = answer.retry_after()
            return SourceResult.throttled(
                wait if wait is not None else BACKOFF_VIOLATION_WAIT, f"Stack Exchange HTTP {answer.status}"
            )
        return SourceResult.failed(f"Stack Exchange {answer.describe()}")

    def _error(self, data: dict, answer: SourceAnswer) -> SourceResult:
        name = str(data.get("error_name") or "unknown_error")
        message = str(data.get("error_message") or "")
        reason = _one_line(f"Stack Exchange {name} ({data.get('error_id')}): {message}")
        if name == "throttle_violation":
            match = _AVAILABLE_IN.search(message)
            max_wait = float(self.settings.get("DISCOVERY_MAX_WAIT") or 0)
            if match:
                seconds = float(match.group(1))
                if seconds <= max_wait:
                    return SourceResult.throttled(seconds, reason)
                return SourceResult.failed(reason, stop=True)
            backoff = data.get("backoff")
            if isinstance(backoff, int | float) and not isinstance(backoff, bool) and backoff > 0:
                return SourceResult.throttled(float(backoff), reason)
            wait = answer.retry_after()
            return SourceResult.throttled(wait if wait is not None else BACKOFF_VIOLATION_WAIT, reason)
        if name == "access_denied" and "page above" in message:
            return SourceResult.failed(reason)
        if name in _STOPPING_ERRORS or (name == "bad_parameter" and _KEY_WORD.search(message)):
            return SourceResult.failed(reason, stop=True)
        return SourceResult.failed(reason)

    def _candidates(self, request: SourceRequest, items: list) -> list[Candidate]:
        target = Target(host=str(request.state.get("host", "")), brand_terms=())
        root = site_root(str(request.state.get("site", "")))
        found: list[Candidate] = []
        seen: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                continue
            url = self._item_url(item, root)
            if url is None or url in seen or target.owns(url):
                continue
            seen.add(url)
            found.append(self.candidate(url, request))
        return found

    @staticmethod
    def _item_url(item: dict, root: str) -> str | None:
        link = item.get("link")
        if isinstance(link, str):
            parts = urlsplit(link.strip())
            if parts.scheme in ("http", "https") and parts.netloc:
                return link.strip()
        answer_id = _int(item.get("answer_id"))
        question_id = _int(item.get("question_id"))
        if item.get("item_type") == "answer" and answer_id is not None and answer_id > 0:
            return f"{root}/a/{answer_id}"
        if question_id is not None and question_id > 0:
            return f"{root}/q/{question_id}"
        return None
