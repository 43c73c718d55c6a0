"""Lemmy: federated link-aggregator posts that link to the target, and posts and comments naming it.

What it finds, on every instance in LEMMY_INSTANCES (each search also covers what the instance
federates from others, `listing_type=All`):
- `type_=Url`, q = the target's domain: posts whose link URL contains the domain. A post linking
  to the target is a LINK candidate: its `ap_id` page (the post on its home instance) is the
  backlink. A post whose URL only contains the domain as text (`notbrewbird.io`, a `?ref=`
  parameter, an archive copy) does not link to the target: its linked page is a MENTION
  candidate with the post page as `via`.
- `type_=Posts` and `type_=Comments`, q = each brand term: posts and comments whose text names
  the brand (Lemmy matches substrings, so `brewbird` also finds comments writing `brewbird.io`
  links). MENTION candidates: the post's or the comment's `ap_id` (a comment's post page is its
  `via`).
Deleted and removed posts and comments are skipped; a page seen through two instances is a
candidate once.

Endpoint (Lemmy 0.19, API v3): `GET {instance}/api/v3/search?q=...&type_=Url|Posts|Comments
&sort=New&listing_type=All&limit=50&page=N`, answered `{"type_", "comments": [CommentView],
"posts": [PostView], "communities": [], "users": []}`.

Settings: LEMMY_INSTANCES (base URLs; a bare host means https), LEMMY_MIN_INTERVAL,
DISCOVERY_MAX_CANDIDATES.

Limits and how they are kept:
- Paging: `page` from 1, 50 results a page (Lemmy's maximum `limit`). The API says nothing about
  more pages and drops blocked or removed items from a page, so a short page is not the end:
  the source pages until a page comes back empty.
- `since`: the search has no date filter; results are filtered on `published` here, and since
  they are sorted New a page whose last result is older than `since` is the last one asked.
- A query stops paging once it gave DISCOVERY_MAX_CANDIDATES candidates (the crawl keeps no
  more); DISCOVERY_MAX_REQUESTS caps the whole walk.
- Rate: one request every LEMMY_MIN_INTERVAL seconds (`min_interval`). Lemmy's default search
  bucket is 60 requests per 10 minutes per IP. A rate-limited search is answered HTTP 400
  `{"error": "rate_limit_error"}` (0.19), or HTTP 429 with that body or none (later versions):
  `throttled`, for the Retry-After header when sent, else 10 s (one token of the default
  bucket). Any other `{"error": ...}` answer fails that request only: other instances go on.
- No key, no login. The User-Agent is the crawl's; the source asks for JSON (`Accept`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

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

PAGE_SIZE = 50  # Lemmy's largest `limit`
RATE_LIMIT_WAIT = 10.0  # the default search bucket (60 per 600 s) refills one request every 10 s


def _http(url: Any) -> bool:
    return http_url(url) is not None


def _published(value: Any) -> datetime | None:
    """Lemmy's timestamps: `2024-01-15T12:00:00.123456Z`; before 0.19.4 without the `Z` (UTC)."""
    if not isinstance(value, str):
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


class LemmySource(Source):
    name = "lemmy"
    min_interval: ClassVar[float] = 1.0

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        interval = settings.get("LEMMY_MIN_INTERVAL")
        if interval is not None:
            self.min_interval = float(interval)
        self._seen: set[str] = set()

    @classmethod
    def from_settings(cls, settings: Any) -> Source:
        try:
            if float(settings.get("LEMMY_MIN_INTERVAL")) < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise SourceSettingError(
                f"LEMMY_MIN_INTERVAL {settings.get('LEMMY_MIN_INTERVAL')!r} is not a number of seconds"
            ) from None
        source = super().from_settings(settings)
        for instance in source.setting_list("LEMMY_INSTANCES"):
            if not cls.instance_url(instance):
                raise SourceSettingError(f"LEMMY_INSTANCES: {instance!r} is not an instance URL")
        return source

    @staticmethod
    def instance_url(value: str) -> str:
        """`lemmy.world` or `https://lemmy.world/` as `https://lemmy.world`; '' when not a URL."""
        url = value.strip().rstrip("/")
        if "://" not in url:
            url = "https://" + url
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return ""
        return f"{parts.scheme}://{parts.netloc}{parts.path}"

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        self._seen = set()
        requests = []
        for instance in self.setting_list("LEMMY_INSTANCES"):
            base = self.instance_url(instance)
            site = urlsplit(base).netloc
            searches = [("Url", target.host, LINK, f"lemmy posts linking to {target.host} on {site}")]
            for term in target.brand_terms:
                searches.append(("Posts", term, MENTION, f'lemmy posts naming "{term}" on {site}'))
                searches.append(("Comments", term, MENTION, f'lemmy comments naming "{term}" on {site}'))
            for type_, q, kind, described in searches:
                state = {
                    "base": base,
                    "type_": type_,
                    "q": q,
                    "page": 1,
                    "count": 0,
                    "target": target.host,
                    "since": since.isoformat() if since else None,
                }
                requests.append(self._request(state, described, kind))
        return requests

    def _request(self, state: dict[str, Any], described: str, kind: str) -> SourceRequest:
        params = {
            "q": state["q"],
            "type_": state["type_"],
            "sort": "New",
            "listing_type": "All",
            "limit": PAGE_SIZE,
            "page": state["page"],
        }
        url = f"{state['base']}/api/v3/search?{urlencode(params)}"
        return SourceRequest(url, query=described, kind=kind, state=state)

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        site = urlsplit(request.state["base"]).netloc
        data = answer.json()
        error = data.get("error") if isinstance(data, dict) else None
        if answer.status == 429 or error == "rate_limit_error":
            return SourceResult.throttled(
                answer.retry_after() or RATE_LIMIT_WAIT, f"lemmy {site}: rate limited"
            )
        if isinstance(error, str):
            return SourceResult.failed(f"lemmy {site}: {error} (HTTP {answer.status})")
        if answer.status != 200 or not isinstance(data, dict):
            return SourceResult.failed(f"lemmy {site}: {answer.describe()}")
        field = "comments" if request.state["type_"] == "Comments" else "posts"
        items = data.get(field)
        if not isinstance(items, list):
            return SourceResult.failed(f"lemmy {site}: {field!r} is not a list")

        state = dict(request.state)
        target = Target(host=state["target"], brand_terms=())
        since = date.fromisoformat(state["since"]) if state["since"] else None
        result = SourceResult()
        last: datetime | None = None
        for item in items:
            view = item if isinstance(item, dict) else {}
            obj = view.get("comment" if field == "comments" else "post")
            if not isinstance(obj, dict):
                continue
            when = _published(obj.get("published"))
            last = when or last
            if obj.get("deleted") is True or obj.get("removed") is True:
                continue
            if since and when and when.date() < since:
                continue
            for candidate in self._candidates(request, field, view, obj, target):
                if candidate.url not in self._seen and not target.owns(candidate.url):
                    self._seen.add(candidate.url)
                    result.candidates.append(candidate)

        count = state["count"] + len(result.candidates)
        limit = int(self.settings.get("DISCOVERY_MAX_CANDIDATES"))
        reached_since = since is not None and last is not None and last.date() < since
        if items and not reached_since and count < limit:
            state.update(page=state["page"] + 1, count=count)
            described = request.query.split(" (page ")[0] + f" (page {state['page']})"
            result.next_requests.append(self._request(state, described, request.kind))
        return result

    def _candidates(
        self, request: SourceRequest, field: str, view: dict, obj: dict, target: Target
    ) -> list[Candidate]:
        ap_id = obj.get("ap_id")
        if not _http(ap_id):
            return []
        if field == "comments":
            post = view.get("post")
            post_page = post.get("ap_id") if isinstance(post, dict) else None
            return [self.candidate(ap_id, request, via=post_page if _http(post_page) else None)]
        if request.state["type_"] != "Url":
            return [self.candidate(ap_id, request)]
        linked = obj.get("url")
        if not _http(linked):
            return []
        if target.owns(linked):
            return [self.candidate(ap_id, request)]
        return [Candidate(url=linked, source=self.name, query=request.query, kind=MENTION, via=ap_id)]
