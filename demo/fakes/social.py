"""Loopback stand-ins for the account-based social APIs: Bluesky (XRPC) and Reddit (OAuth).

    with FakeBluesky({("brewbird.io", "brewbird.io"): [post("alice.bsky.social", "3kabc")]}) as bsky:
        settings["BLUESKY_API_URL"] = bsky.base_url
        bsky.requests  # [{"path", "params", "headers", "method", "body"}, ...]

Bluesky posts are keyed by `(q, domain)` (domain None for a plain search); Reddit posts by `q`.
Both fakes check the login (`handle`/`password`, `client_id`/`client_secret`), hand out a token
and refuse searches without it; `throttle_first=N` answers the first N searches with the API's
429; `expire_after=N` (Bluesky) refuses the token from the (N+1)th search on. Pages are cut by
the request's `limit`; continuation is the API's own (`cursor`, `after`).

Shapes: Bluesky's createSession output (`accessJwt`, `refreshJwt`, `handle`, `did`), the
searchPosts output (`cursor`, `hitsTotal`, `posts[]` PostView: `uri`, `cid`, `author`,
`record`, `indexedAt`) and XRPC errors (`{"error", "message"}`; 429 `RateLimitExceeded` with
`ratelimit-limit/-remaining/-reset/-policy`, reset a Unix time) from the atproto lexicons and
bsky-docs rate-limits page. Reddit's access_token answer, the 401 `{"message": "Unauthorized",
"error": 401}`, the t3 Listing and the X-Ratelimit-Used/-Remaining/-Reset headers from Reddit's
API wiki (reddit-archive/reddit wiki API and OAuth2).
"""

from __future__ import annotations

import base64
import json
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

# The fakes' clock: every answer's Date header says this time (2026-01-01T00:00:00Z), so a wait
# computed from `ratelimit-reset` is exact in tests.
FAKE_NOW = 1767225600


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
        json.dumps(payload).encode(),
    )


def bluesky_post(handle: str, rkey: str, did: str | None = None, text: str = "") -> dict[str, Any]:
    """A PostView as searchPosts returns it."""
    did = did or "did:plc:" + handle.split(".")[0].ljust(24, "x")[:24]
    return {
        "uri": f"at://{did}/app.bsky.feed.post/{rkey}",
        "cid": "bafyreib2rxk3rh6kzwq" + rkey,
        "author": {"did": did, "handle": handle, "displayName": handle.split(".")[0].title()},
        "record": {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2025-03-01T12:00:00.000Z"},
        "replyCount": 0,
        "repostCount": 0,
        "likeCount": 1,
        "indexedAt": "2025-03-01T12:00:01.000Z",
        "labels": [],
    }


def reddit_post(sub: str, pid: str, url: str | None = None, created: float = 1740000000.0) -> dict[str, Any]:
    """A t3 child of a search Listing; `url` None is a self post (its url is its own page)."""
    permalink = f"/r/{sub}/comments/{pid}/a_post_{pid}/"
    return {
        "kind": "t3",
        "data": {
            "id": pid,
            "name": "t3_" + pid,
            "subreddit": sub,
            "title": f"Post {pid}",
            "permalink": permalink,
            "url": url or "https://www.reddit.com" + permalink,
            "is_self": url is None,
            "created_utc": created,
        },
    }


class _FakeSocial(FakeAPI):
    def __init__(self, *, throttle_first: int = 0) -> None:
        self.throttle_first = throttle_first
        self._searches = 0
        super().__init__()

    def answer(
        self, method: str, path: str, params: dict[str, str], headers: dict[str, str], body: bytes
    ) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def date_time_string(self, timestamp: float | None = None) -> str:
                return formatdate(FAKE_NOW, usegmt=True)

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                params = query_params(parts.query)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with fake._lock:
                    fake.record(parts.path, params, self.headers)
                    fake.requests[-1].update(method=method, body=body)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, extra, payload = fake.answer(method, parts.path, params, headers, body)
                self.send(status, extra, payload)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        return Handler

    def search_number(self) -> int:
        with self._lock:
            self._searches += 1
            return self._searches


class FakeBluesky(_FakeSocial):
    """A PDS entryway (`createSession`) and AppView (`searchPosts`) on one loopback host."""

    TOKEN = "eyJhbGciOiJFUzI1NksifQ.fake-access.sig"

    def __init__(
        self,
        posts: dict[tuple[str, str | None], list[dict[str, Any]]] | None = None,
        *,
        handle: str = "crawler.bsky.social",
        password: str = "abcd-efgh-ijkl-mnop",
        throttle_first: int = 0,
        expire_after: int | None = None,
    ) -> None:
        self.posts = posts or {}
        self.handle = handle
        self.password = password
        self.expire_after = expire_after
        super().__init__(throttle_first=throttle_first)

    def answer(self, method, path, params, headers, body):
        if path == "/xrpc/com.atproto.server.createSession" and method == "POST":
            try:
                login = json.loads(body)
            except ValueError:
                return _json(400, {"error": "InvalidRequest", "message": "Request body is not JSON"})
            if login.get("identifier") != self.handle or login.get("password") != self.password:
                return _json(
                    401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"}
                )
            return _json(
                200,
                {
                    "accessJwt": self.TOKEN,
                    "refreshJwt": "eyJhbGciOiJFUzI1NksifQ.fake-refresh.sig",
                    "handle": self.handle,
                    "did": "did:plc:crawlercrawlercrawlerxx",
                    "active": True,
                },
            )
        if path != "/xrpc/app.bsky.feed.searchPosts" or method != "GET":
            return _json(404, {"error": "MethodNotImplemented", "message": "Method Not Implemented"})
        if headers.get("authorization") != "Bearer " + self.TOKEN:
            return _json(401, {"error": "AuthenticationRequired", "message": "Authentication Required"})
        number = self.search_number()
        if self.expire_after is not None and number > self.expire_after:
            return _json(400, {"error": "ExpiredToken", "message": "Token has expired"})
        if number <= self.throttle_first:
            return _json(
                429,
                {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                {
                    "ratelimit-limit": "3000",
                    "ratelimit-remaining": "0",
                    "ratelimit-reset": str(FAKE_NOW + 42),
                    "ratelimit-policy": "3000;w=300",
                },
            )
        hits = self.posts.get((params.get("q", ""), params.get("domain")), [])
        start = int(params.get("cursor") or 0)
        size = int(params.get("limit") or 25)
        page: dict[str, Any] = {"hitsTotal": len(hits), "posts": hits[start : start + size]}
        if start + size < len(hits):
            page["cursor"] = str(start + size)
        return _json(200, page)


class FakeReddit(_FakeSocial):
    """www.reddit.com's `/api/v1/access_token` and oauth.reddit.com's `/search` on one host."""

    TOKEN = "eyJhbGciOiJSUzI1NiJ9.fake-app-token"
    AUTH_PATH = "/api/v1/access_token"

    def __init__(
        self,
        posts: dict[str, list[dict[str, Any]]] | None = None,
        *,
        client_id: str = "p-jcoLKBynTLew",
        client_secret: str = "gko_LXELoV07ZBNUXrvWZfzE3aI",
        throttle_first: int = 0,
        remaining: int = 99,
    ) -> None:
        self.posts = posts or {}
        self.client_id = client_id
        self.client_secret = client_secret
        self.remaining = remaining  # X-Ratelimit-Remaining after the first search; one less each
        super().__init__(throttle_first=throttle_first)

    @property
    def auth_url(self) -> str:
        return self.base_url + self.AUTH_PATH

    def answer(self, method, path, params, headers, body):
        if path == self.AUTH_PATH and method == "POST":
            expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
            if headers.get("authorization") != "Basic " + expected:
                return _json(401, {"message": "Unauthorized", "error": 401})
            grant = {k: v[-1] for k, v in parse_qs(body.decode()).items()}.get("grant_type")
            if grant != "client_credentials":
                return _json(200, {"error": "unsupported_grant_type"})
            return _json(
                200, {"access_token": self.TOKEN, "token_type": "bearer", "expires_in": 86400, "scope": "*"}
            )
        if path != "/search" or method != "GET":
            return _json(404, {"message": "Not Found", "error": 404})
        if headers.get("authorization") != "bearer " + self.TOKEN:
            return _json(401, {"message": "Unauthorized", "error": 401})
        number = self.search_number()
        if number <= self.throttle_first:
            return _json(
                429,
                {"message": "Too Many Requests", "error": 429},
                {"x-ratelimit-used": "100", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "17"},
            )
        served = number - self.throttle_first
        left = max(0, self.remaining - served + 1)
        rate = {
            "x-ratelimit-used": str(100 - left),
            "x-ratelimit-remaining": f"{left}.0",
            "x-ratelimit-reset": "23",
        }
        hits = self.posts.get(params.get("q", ""), [])
        size = int(params.get("limit") or 25)
        start = 0
        if params.get("after"):
            names = [h["data"]["name"] for h in hits]
            start = names.index(params["after"]) + 1 if params["after"] in names else len(hits)
        page = hits[start : start + size]
        after = page[-1]["data"]["name"] if page and start + size < len(hits) else None
        listing = {
            "kind": "Listing",
            "data": {"after": after, "before": None, "dist": len(page), "modhash": "", "children": page},
        }
        return _json(200, listing, rate)
