"""A Lemmy instance's search API on loopback: `GET /api/v3/search?q=...&type_=...&page=N&limit=L`.

    with FakeLemmy(posts=[post_view(1, url="https://brewbird.io/")]) as lemmy:
        settings["LEMMY_INSTANCES"] = [lemmy.base_url]
        lemmy.requests  # [{"path": ..., "params": {...}, "headers": {...}}]

It searches as Lemmy 0.19 does: `type_=Url` matches posts whose `url` contains q, `Posts` posts
whose `name` or `body` does, `Comments` comments whose `content` does (case-insensitive
substrings); `sort=New` is newest `published` first; `page`/`limit` are offset paging (limit at
most 50, else `{"error": "couldnt_get_posts"}`), and a page past the end is empty lists. The
answer is `{"type_", "comments", "posts", "communities", "users"}`.

Shapes come from Lemmy itself and from real captured answers: PostView/CommentView field names
and nesting ("post", "creator", "community", "counts", ..., `ap_id`, `published` with a `Z`
since 0.19.4, without before) from a client's fixtures "copied from a real Lemmy 0.19 instance";
the error body `{"error": "<snake_case>"}` with HTTP 400 from LemmyNet/lemmy
crates/utils/src/error.rs (`#[serde(tag = "error", content = "message")]`, BAD_REQUEST unless
not found/login); rate limiting is `{"error": "rate_limit_error"}` with HTTP 400 in 0.19 (the
rate-limit middleware in crates/utils/src/rate_limit/mod.rs) and HTTP 429 in later versions,
with no body at first (LemmyNet/lemmy#6019) and with that body after #6020.

`mode`: "json" (default); "rate_limit" (the first `rate_limit_times` requests are limited:
`rate_limit_status` 400 or 429, `rate_limit_body` True for the JSON body, False for none, then
normal answers); "error" (HTTP 502, an nginx HTML page, as a busy instance); "garbage" (HTTP 200,
the lemmy-ui HTML page, as an instance whose proxy sends /api to the web UI); "truncated"
(application/json cut in half).
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

BAD_GATEWAY = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)
UI_PAGE = (
    b'<!DOCTYPE html><html lang="en"><head><title>Lemmy</title></head>'
    b'<body><div id="root"></div></body></html>'
)


def _person(instance: str, name: str = "alice") -> dict:
    return {
        "id": 7,
        "name": name,
        "display_name": None,
        "avatar": None,
        "banned": False,
        "published": "2023-06-21T09:22:34.462094Z",
        "actor_id": f"{instance}/u/{name}",
        "local": True,
        "deleted": False,
        "bot_account": False,
        "instance_id": 1,
    }


def _community(instance: str) -> dict:
    return {
        "id": 2478,
        "name": "coffee",
        "title": "Coffee",
        "description": "Brewing things.",
        "removed": False,
        "published": "2023-06-11T02:16:17.173483Z",
        "deleted": False,
        "nsfw": False,
        "actor_id": f"{instance}/c/coffee",
        "local": True,
        "hidden": False,
        "posting_restricted_to_mods": False,
        "instance_id": 1,
    }


def _post(
    id_: int, instance: str, url: str | None, name: str, body: str, published: str, **flags: bool
) -> dict:
    return {
        "id": id_,
        "name": name,
        "url": url,
        "body": body,
        "creator_id": 7,
        "community_id": 2478,
        "removed": flags.get("removed", False),
        "locked": False,
        "published": published,
        "deleted": flags.get("deleted", False),
        "nsfw": False,
        "thumbnail_url": None,
        "ap_id": f"{instance}/post/{id_}",
        "local": True,
        "language_id": 37,
        "featured_community": False,
        "featured_local": False,
    }


def post_view(
    id_: int,
    *,
    url: str | None = None,
    name: str = "A post",
    body: str = "",
    published: str = "2026-11-20T10:00:00.000000Z",
    instance: str = "https://lemmy.world",
    deleted: bool = False,
    removed: bool = False,
) -> dict:
    """A PostView as /api/v3/search returns it in `posts`."""
    return {
        "post": _post(id_, instance, url, name, body, published, deleted=deleted, removed=removed),
        "creator": _person(instance),
        "community": _community(instance),
        "creator_banned_from_community": False,
        "banned_from_community": False,
        "creator_is_moderator": False,
        "creator_is_admin": False,
        "counts": {
            "post_id": id_,
            "comments": 3,
            "score": 12,
            "upvotes": 13,
            "downvotes": 1,
            "published": published,
            "newest_comment_time": published,
        },
        "subscribed": "NotSubscribed",
        "saved": False,
        "read": False,
        "hidden": False,
        "creator_blocked": False,
        "my_vote": None,
        "unread_comments": 3,
    }


def comment_view(
    id_: int,
    *,
    content: str,
    post_id: int = 1,
    published: str = "2026-11-20T10:00:00.000000Z",
    instance: str = "https://lemmy.world",
    deleted: bool = False,
) -> dict:
    """A CommentView as /api/v3/search returns it in `comments`."""
    return {
        "comment": {
            "id": id_,
            "creator_id": 7,
            "post_id": post_id,
            "content": content,
            "removed": False,
            "published": published,
            "deleted": deleted,
            "ap_id": f"{instance}/comment/{id_}",
            "local": True,
            "path": f"0.{id_}",
            "distinguished": False,
            "language_id": 37,
        },
        "creator": _person(instance, "bob"),
        "post": _post(post_id, instance, None, "The thread", "", "2026-11-01T08:00:00Z"),
        "community": _community(instance),
        "counts": {
            "comment_id": id_,
            "score": 4,
            "upvotes": 4,
            "downvotes": 0,
            "published": published,
            "child_count": 0,
        },
        "creator_banned_from_community": False,
        "banned_from_community": False,
        "creator_is_moderator": False,
        "creator_is_admin": False,
        "subscribed": "NotSubscribed",
        "saved": False,
        "creator_blocked": False,
        "my_vote": None,
    }


class FakeLemmy(FakeAPI):
    thread_name = "fake-lemmy"

    def __init__(
        self,
        posts: list[dict] | None = None,
        comments: list[dict] | None = None,
        *,
        mode: str = "json",
        rate_limit_times: int = 1,
        rate_limit_status: int = 400,
        rate_limit_body: bool = True,
    ) -> None:
        self.posts = list(posts or [])
        self.comments = list(comments or [])
        self.mode = mode
        self.rate_limit_times = rate_limit_times
        self.rate_limit_status = rate_limit_status
        self.rate_limit_body = rate_limit_body
        super().__init__()

    def search(self, params: dict[str, str]) -> tuple[int, dict]:
        q = params.get("q", "").lower()
        type_ = params.get("type_", "All")
        try:
            limit = int(params.get("limit", "10"))
            page = max(int(params.get("page", "1")), 1)
        except ValueError:
            return 400, {"error": "unknown", "message": "invalid digit found in string"}
        if not 1 <= limit <= 50:
            return 400, {"error": "couldnt_get_posts"}
        posts: list[dict] = []
        comments: list[dict] = []
        if type_ == "Url":
            posts = [p for p in self.posts if q in (p["post"]["url"] or "").lower()]
        elif type_ == "Posts":
            posts = [
                p for p in self.posts if q in (p["post"]["name"] + " " + (p["post"]["body"] or "")).lower()
            ]
        elif type_ == "Comments":
            comments = [c for c in self.comments if q in c["comment"]["content"].lower()]
        if params.get("sort") == "New":
            posts.sort(key=lambda v: v["post"]["published"], reverse=True)
            comments.sort(key=lambda v: v["comment"]["published"], reverse=True)
        offset = (page - 1) * limit
        return 200, {
            "type_": type_,
            "comments": comments[offset : offset + limit],
            "posts": posts[offset : offset + limit],
            "communities": [],
            "users": [],
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/api/v3/search":
                    self._send(404, "application/json", b'{"error":"not_found"}')
                    return
                params = query_params(parts.query)
                number = fake.record(parts.path, params, self.headers)
                if fake.mode == "rate_limit" and number <= fake.rate_limit_times:
                    body = b'{"error":"rate_limit_error"}' if fake.rate_limit_body else b""
                    self._send(fake.rate_limit_status, "application/json" if body else "", body)
                elif fake.mode == "error":
                    self._send(502, "text/html", BAD_GATEWAY)
                elif fake.mode == "garbage":
                    self._send(200, "text/html; charset=utf-8", UI_PAGE)
                else:
                    status, payload = fake.search(params)
                    body = json.dumps(payload).encode()
                    if fake.mode == "truncated":
                        body = body[: len(body) // 2]
                    self._send(status, "application/json", body)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send(status, {"Content-Type": content_type} if content_type else {}, body)

        return Handler
