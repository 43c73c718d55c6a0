"""Account-based social discovery sources: Bluesky and Reddit. Both need credentials: their
anonymous search endpoints are closed (Bluesky's post search since 2025, Reddit's JSON listings
since 2026), so each walk starts with a login request and every search carries its token.

Bluesky (`bluesky`)
    1. `POST {BLUESKY_API_URL}/xrpc/com.atproto.server.createSession` with the JSON body
       `{"identifier": BLUESKY_HANDLE, "password": BLUESKY_APP_PASSWORD}` (an app password, never
       the account's own) -> `{"accessJwt", "refreshJwt", "handle", "did", ...}`.
    2. `GET {BLUESKY_API_URL}/xrpc/app.bsky.feed.searchPosts` with `Authorization: Bearer
       <accessJwt>`, `q`, `sort=latest`, `limit=100` (the lexicon's maximum), `cursor` (from the
       previous answer; no `cursor` in the answer is the end) and `since` (an ISO datetime,
       UTC midnight of the `since` day). Answer: `{"cursor"?, "hitsTotal"?, "posts":
       [PostView]}`, PostView = `{"uri": "at://<did>/app.bsky.feed.post/<rkey>", "cid",
       "author": {"did", "handle", ...}, "record": {"text", "createdAt", ...}, "indexedAt"}`.
       Queries: `q=<host>&domain=<host>` (posts whose links point at the domain: LINK), then
       `q="<brand>"` for every brand term (MENTION). The candidate is the post's web page
       `https://bsky.app/profile/<handle>/post/<rkey>` (the DID instead of a `handle.invalid`).
    Errors (XRPC bodies are `{"error": <name>, "message"}`): a refused login (401
    `AuthenticationRequired`, 400 `AuthFactorTokenRequired` / `AccountTakedown`) and an
    expired or refused token on a search (`ExpiredToken`, `InvalidToken`,
    `AuthenticationRequired`, 400 or 401) stop the source; the session lives about two hours,
    far longer than a walk capped by DISCOVERY_MAX_REQUESTS, so no refresh is attempted. 429
    `RateLimitExceeded` is a throttle: its `ratelimit-reset` header is a Unix time, so the wait
    is that minus the answer's own `Date` header (never the local clock), else `Retry-After`,
    else a minute. Rate: BLUESKY_MIN_INTERVAL between requests.

Reddit (`reddit`)
    1. `POST REDDIT_AUTH_URL` (https://www.reddit.com/api/v1/access_token) with HTTP basic auth
       `REDDIT_CLIENT_ID:REDDIT_CLIENT_SECRET` and the form body `grant_type=client_credentials`
       (app-only OAuth) -> `{"access_token", "token_type": "bearer", "expires_in", "scope"}`; a
       refused client is HTTP 401 (`{"message": "Unauthorized", "error": 401}`) and stops the
       source, as does a 200 answer with `{"error": ...}` (a bad grant).
    2. `GET {REDDIT_API_URL}/search?q=...&limit=100&sort=new&t=all&type=link&raw_json=1&after=`
       with `Authorization: bearer <token>`. Answer: a Listing `{"kind": "Listing", "data":
       {"after", "children": [{"kind": "t3", "data": {"permalink", "url", "title",
       "created_utc", ...}}]}}`, paged on `after` (null is the end). Queries: `site:<host>`
       (link posts to the target or a subdomain: LINK; `url:` would find the same posts again),
       then `"<brand>"` for every brand term (MENTION). The candidate is `https://www.reddit.com`
       + permalink; a post's linked page (`url`) that is neither on the target nor on Reddit is
       worth crawling too: it is the candidate's `via`.
    Reddit wants a unique, descriptive User-Agent (`<platform>:<app id>:<version> (by
    /u/<username>)`): REDDIT_USER_AGENT is sent on every request instead of the crawl's.
    Limits: 100 queries a minute per client, reported in `X-Ratelimit-Remaining` / `-Reset`
    (seconds to the end of the window): when Remaining reaches 0 the source pauses for Reset;
    HTTP 429 is a throttle for Reset (or Retry-After, or a minute). A 401/403 on a search (token
    refused) stops the source. `since`: the search has no date filter, so posts are filtered on
    `created_utc`, and since they are sorted new a page ending before `since` is the last.

Settings read: BLUESKY_API_URL, BLUESKY_HANDLE, BLUESKY_APP_PASSWORD, BLUESKY_MIN_INTERVAL,
REDDIT_AUTH_URL, REDDIT_API_URL, REDDIT_CLIENT_ID, REDDIT_CLIENT_SECRET, REDDIT_USER_AGENT,
REDDIT_MIN_INTERVAL.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote, urlencode

import orjson

from backlink_spider.sources.base import (
    LINK,
    MENTION,
    Candidate,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
)
from backlink_spider.target import Target, host_of
from backlink_spider.urls import http_url

# Bluesky: `limit` is 1-100 in the searchPosts lexicon.
BLUESKY_LIMIT = 100
BLUESKY_SESSION_PATH = "/xrpc/com.atproto.server.createSession"
BLUESKY_SEARCH_PATH = "/xrpc/app.bsky.feed.searchPosts"
# XRPC error names that mean the login or the token is refused: nothing more can be asked.
BLUESKY_AUTH_ERRORS = frozenset(
    {"AuthenticationRequired", "ExpiredToken", "InvalidToken", "AuthFactorTokenRequired", "AccountTakedown"}
)
# Reddit: `limit` is at most 100 for listings.
REDDIT_LIMIT = 100
# Both: the wait for a 429 that says nothing about when to come back (both limit per minutes).
THROTTLE_WAIT = 60.0


def _one_line(text: str, limit: int = 100) -> str:
    return " ".join(text.split())[:limit]


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


def _since_epoch(since: str | None) -> float | None:
    """UTC midnight of an ISO `since` day as a Unix time, None without one."""
    if not since:
        return None
    return datetime.combine(date.fromisoformat(since), datetime.min.time(), UTC).timestamp()


class BlueskySource(Source):
    name = "bluesky"
    required_settings = ("BLUESKY_HANDLE", "BLUESKY_APP_PASSWORD")

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        self.min_interval = float(self.settings.get("BLUESKY_MIN_INTERVAL"))

    @property
    def api_url(self) -> str:
        return str(self.settings.get("BLUESKY_API_URL") or "").strip().rstrip("/")

    def headers(self) -> dict[str, str]:
        return {"Accept": "application/json"}

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        """One request: the login. Its answer gives the searches (`parse`)."""
        body = orjson.dumps(
            {
                "identifier": str(self.settings.get("BLUESKY_HANDLE")).strip(),
                "password": str(self.settings.get("BLUESKY_APP_PASSWORD")).strip(),
            }
        )
        return [
            SourceRequest(
                self.api_url + BLUESKY_SESSION_PATH,
                query="login",
                kind=MENTION,
                method="POST",
                headers=(("Content-Type", "application/json"),),
                body=body,
                state={
                    "step": "session",
                    "host": target.host,
                    "brands": list(target.brand_terms),
                    "since": since.isoformat() if since else None,
                },
            )
        ]

    def search_request(self, state: Mapping[str, Any], cursor: str | None = None) -> SourceRequest:
        """The searchPosts request of `state` (`q`, `domain`, `since`, `token`) at `cursor`."""
        params: dict[str, Any] = {"q": state["q"]}
        if state.get("domain"):
            params["domain"] = state["domain"]
        params.update(sort="latest", limit=BLUESKY_LIMIT)
        if state.get("since"):
            params["since"] = state["since"] + "T00:00:00.000Z"
        if cursor:
            params["cursor"] = cursor
        query = f"{state['q']} domain:{state['domain']}" if state.get("domain") else state["q"]
        return SourceRequest(
            self.api_url + BLUESKY_SEARCH_PATH + "?" + urlencode(params),
            query=query,
            kind=LINK if state.get("domain") else MENTION,
            headers=(("Authorization", "Bearer " + state["token"]),),
            state={**state, "step": "search"},
        )

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        data = answer.json()
        if answer.status != 200:
            return self._error(request, answer, data if isinstance(data, dict) else {})
        if not isinstance(data, dict):
            return SourceResult.failed(f"bluesky: {answer.describe()}")
        if request.state["step"] == "session":
            return self._searches(request, data)
        posts = data.get("posts")
        if not isinstance(posts, list):
            return SourceResult.failed(f"bluesky: unexpected answer shape: {_one_line(str(data), 80)!r}")
        result = SourceResult([c for post in posts if (c := self._post(post, request)) is not None])
        cursor = data.get("cursor")
        # No cursor is the end; an empty page with a cursor is not (the index drops hidden posts).
        if isinstance(cursor, str) and cursor and (posts or cursor != request.state.get("cursor")):
            next_state = {**request.state, "cursor": cursor}
            result.next_requests.append(self.search_request(next_state, cursor))
        return result

    def _searches(self, request: SourceRequest, data: Mapping[str, Any]) -> SourceResult:
        token = data.get("accessJwt")
        if not isinstance(token, str) or not token:
            return SourceResult.failed("bluesky: the login answer has no accessJwt", stop=True)
        base = {"host": request.state["host"], "since": request.state["since"], "token": token}
        states = [{**base, "q": request.state["host"], "domain": request.state["host"]}]
        states += [{**base, "q": f'"{brand}"', "domain": None} for brand in request.state["brands"]]
        return SourceResult(next_requests=[self.search_request(state) for state in states])

    def _post(self, post: Any, request: SourceRequest) -> Candidate | None:
        """The bsky.app page of a PostView, None when its uri or author is unusable."""
        if not isinstance(post, dict) or not isinstance(post.get("author"), dict):
            return None
        uri = post.get("uri")
        if not isinstance(uri, str) or not uri.startswith("at://"):
            return None
        parts = uri[len("at://") :].split("/")
        if len(parts) != 3 or parts[1] != "app.bsky.feed.post" or not parts[2]:
            return None
        handle = post["author"].get("handle")
        if not isinstance(handle, str) or not handle or handle == "handle.invalid":
            handle = post["author"].get("did") or parts[0]
        return self.candidate(
            f"https://bsky.app/profile/{quote(str(handle), safe=':.')}/post/{quote(parts[2], safe='')}",
            request,
        )

    def _error(self, request: SourceRequest, answer: SourceAnswer, data: Mapping[str, Any]) -> SourceResult:
        name = str(data.get("error") or "")
        message = _one_line(str(data.get("message") or ""))
        step = "login" if request.state["step"] == "session" else "search"
        reason = f"bluesky: {step} HTTP {answer.status} {name}".rstrip() + (
            f" ({message})" if message else ""
        )
        if answer.status == 429:
            return SourceResult.throttled(self._wait(answer), reason)
        if name in BLUESKY_AUTH_ERRORS or answer.status in (401, 403):
            what = "the login was refused" if step == "login" else "the session token was refused"
            return SourceResult.failed(f"{reason}: {what}", stop=True)
        if name:
            return SourceResult.failed(reason)
        return SourceResult.failed(f"bluesky: {step} {answer.describe()}")

    @staticmethod
    def _wait(answer: SourceAnswer) -> float:
        """Seconds to the `ratelimit-reset` Unix time, counted from the answer's `Date`."""
        reset = _number(answer.headers.get("ratelimit-reset"))
        try:
            now = parsedate_to_datetime(answer.headers.get("date", "")).timestamp()
        except (TypeError, ValueError):
            now = None
        if reset is not None and now is not None:
            return max(0.0, reset - now)
        wait = answer.retry_after()
        return THROTTLE_WAIT if wait is None else wait


class RedditSource(Source):
    name = "reddit"
    required_settings = ("REDDIT_CLIENT_ID", "REDDIT_CLIENT_SECRET", "REDDIT_USER_AGENT")

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        self.min_interval = float(self.settings.get("REDDIT_MIN_INTERVAL"))

    def headers(self) -> dict[str, str]:
        # Reddit throttles generic User-Agents hard: its own descriptive one replaces the crawl's.
        return {
            "User-Agent": str(self.settings.get("REDDIT_USER_AGENT")).strip(),
            "Accept": "application/json",
        }

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        """One request: the app-only token. Its answer gives the searches (`parse`)."""
        pair = f"{self.settings.get('REDDIT_CLIENT_ID')}:{self.settings.get('REDDIT_CLIENT_SECRET')}".strip()
        basic = base64.b64encode(pair.encode()).decode("ascii")
        return [
            SourceRequest(
                str(self.settings.get("REDDIT_AUTH_URL")).strip(),
                query="login",
                kind=MENTION,
                method="POST",
                headers=(
                    ("Authorization", "Basic " + basic),
                    ("Content-Type", "application/x-www-form-urlencoded"),
                ),
                body=b"grant_type=client_credentials",
                state={
                    "step": "token",
                    "host": target.host,
                    "brands": list(target.brand_terms),
                    "since": since.isoformat() if since else None,
                },
            )
        ]

    def search_request(self, state: Mapping[str, Any], after: str | None = None) -> SourceRequest:
        params: dict[str, Any] = {
            "q": state["q"],
            "limit": REDDIT_LIMIT,
            "sort": "new",
            "t": "all",
            "type": "link",
            "raw_json": 1,  # URLs without HTML escaping (&amp;)
        }
        if after:
            params["after"] = after
        api = str(self.settings.get("REDDIT_API_URL")).strip().rstrip("/")
        return SourceRequest(
            api + "/search?" + urlencode(params),
            query=state["q"],
            kind=LINK if state["q"].startswith("site:") else MENTION,
            headers=(("Authorization", "bearer " + state["token"]),),
            state={**state, "step": "search"},
        )

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        data = answer.json()
        if request.state["step"] == "token":
            return self._searches(request, answer, data)
        if answer.status == 429:
            wait = _number(answer.headers.get("x-ratelimit-reset"))
            if wait is None:
                wait = answer.retry_after()
            return SourceResult.throttled(THROTTLE_WAIT if wait is None else wait, "reddit: HTTP 429")
        if answer.status in (401, 403):
            return SourceResult.failed(
                f"reddit: search HTTP {answer.status}: the token was refused", stop=True
            )
        if answer.status != 200 or not isinstance(data, dict):
            return SourceResult.failed(f"reddit: {answer.describe()}")
        listing = data.get("data")
        children = listing.get("children") if isinstance(listing, dict) else None
        if data.get("kind") != "Listing" or not isinstance(children, list):
            return SourceResult.failed(f"reddit: unexpected answer shape: {_one_line(str(data), 80)!r}")
        since = _since_epoch(request.state.get("since"))
        target = Target(host=request.state["host"], brand_terms=())
        result = SourceResult()
        oldest: float | None = None
        for child in children:
            post = child.get("data") if isinstance(child, dict) and child.get("kind") == "t3" else None
            if not isinstance(post, dict):
                continue
            created = post.get("created_utc")
            if isinstance(created, int | float):
                oldest = created if oldest is None else min(oldest, created)
                if since is not None and created < since:
                    continue
            candidate = self._post(post, request, target)
            if candidate is not None:
                result.candidates.append(candidate)
        after = listing.get("after")
        # Sorted new: a page that reaches back before `since` is the last one worth asking.
        past_since = since is not None and oldest is not None and oldest < since
        if isinstance(after, str) and after and not past_since:
            result.next_requests.append(self.search_request(request.state, after))
        remaining = _number(answer.headers.get("x-ratelimit-remaining"))
        if remaining is not None and remaining <= 0:
            result.pause = _number(answer.headers.get("x-ratelimit-reset")) or THROTTLE_WAIT
        return result

    def _searches(self, request: SourceRequest, answer: SourceAnswer, data: Any) -> SourceResult:
        if answer.status == 429:
            wait = answer.retry_after()
            return SourceResult.throttled(THROTTLE_WAIT if wait is None else wait, "reddit: token HTTP 429")
        if answer.status in (401, 403):
            return SourceResult.failed(
                f"reddit: token HTTP {answer.status}: the client id or secret was refused", stop=True
            )
        if answer.status != 200 or not isinstance(data, dict):
            return SourceResult.failed(f"reddit: token {answer.describe()}", stop=True)
        token = data.get("access_token")
        if not isinstance(token, str) or not token:
            error = _one_line(str(data.get("error") or data), 80)
            return SourceResult.failed(f"reddit: no access token ({error})", stop=True)
        base = {"host": request.state["host"], "since": request.state["since"], "token": token}
        queries = [f"site:{request.state['host']}"] + [f'"{brand}"' for brand in request.state["brands"]]
        return SourceResult(next_requests=[self.search_request({**base, "q": q}) for q in queries])

    def _post(self, post: Mapping[str, Any], request: SourceRequest, target: Target) -> Candidate | None:
        permalink = post.get("permalink")
        if not isinstance(permalink, str) or not permalink.startswith("/"):
            return None
        url = post.get("url")
        via = None
        if http_url(url) and not target.owns(url):
            host = host_of(url)
            on_reddit = host in ("redd.it", "reddit.com") or host.endswith((".reddit.com", ".redd.it"))
            via = None if on_reddit else url
        return self.candidate("https://www.reddit.com" + permalink, request, via=via)
