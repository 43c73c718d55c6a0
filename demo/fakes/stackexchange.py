"""A Stack Exchange API 2.3 stand-in on loopback: `/search/advanced` and `/search/excerpts`.

    with FakeStackExchange(advanced={"stackoverflow": [[question(1), question(2)], [question(3)]]}) as se:
        walk(StackExchangeSource({... "STACKEXCHANGE_API_URL": se.base_url ...}), target)
        se.requests  # [{"path": "/search/advanced", "params": {...}, "headers": {...}}, ...]

Data: `advanced` and `excerpts` map a site name to its pages of items (page N of the answer is
the N-th list; `has_more` is true while pages are left, so an empty page can still continue).
Answers are as the real API's, from its documentation and captured answers:

* wrapper object (https://api.stackexchange.com/docs/wrapper, default filter): `items`,
  `has_more`, `quota_max`, `quota_remaining`, `backoff` only when set;
* question items of /search/advanced as captured in saraserin/react-infiniteload
  src/sampleData.js (tags, owner, is_answered, view_count, answer_count, score, dates,
  question_id, content_license, link, title); search_excerpt items as documented
  (https://api.stackexchange.com/docs/types/search-excerpt: item_type, question_id, answer_id for
  answers, title, excerpt with <span class="highlight">, body, score, question_score, dates,
  tags, is_answered, is_accepted, has_accepted_answer, answer_count for questions) — the default
  filter gives them no `link`;
* every answer gzip-compressed (Content-Encoding: gzip, deflate only when asked for deflate
  without gzip; https://api.stackexchange.com/docs/compression), JSON `application/json;
  charset=utf-8`;
* errors (https://api.stackexchange.com/docs/error-handling): HTTP 400 with `error_id`,
  `error_message`, `error_name`; a spent quota is `throttle_violation` 502 "too many requests
  from this IP, more requests available in N seconds"; a backoff ignored is `throttle_violation`
  "Violation of backoff parameter"; page > 25 without a key is `access_denied` 403 "page above 25
  requires access token or app key" (messages as captured in public clients' tests);
* `pagesize` above 100 is `bad_parameter` "pagesize".

`faults` maps a request number (1-based) to a fault for that request: "backoff_violation",
"quota_throttle", "error" (HTTP 503, an HTML page, uncompressed, as a broken front end),
"garbage" (HTTP 200, truncated JSON, gzip), "html" (HTTP 200 HTML), "bad_key", "no_site".
`backoff` maps a request number to a `backoff` value put in that answer.
"""

from __future__ import annotations

import gzip
import json
import zlib
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

ERROR_PAGE = (
    b"<html><head><title>503 Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1></body></html>"
)
HTML_PAGE = b"<!DOCTYPE html><html><body><h1>Stack Exchange API</h1><p>Please sign in.</p></body></html>"


def question(question_id: int, link: str | None = None, *, created: int = 1_597_401_068) -> dict[str, Any]:
    """A /search/advanced item (a question, default filter)."""
    return {
        "tags": ["coffee", "brewing"],
        "owner": {
            "account_id": 1000 + question_id,
            "reputation": 1,
            "user_id": 2000 + question_id,
            "user_type": "registered",
            "profile_image": "https://www.gravatar.com/avatar/f6a7629b?s=256&d=identicon&r=PG&f=y&so-version=2",
            "display_name": "htodev",
            "link": f"https://stackoverflow.com/users/{2000 + question_id}/htodev",
        },
        "is_answered": False,
        "view_count": 16,
        "answer_count": 1,
        "score": -1,
        "last_activity_date": created + 738,
        "creation_date": created,
        "last_edit_date": created + 738,
        "question_id": question_id,
        "content_license": "CC BY-SA 4.0",
        "link": link or f"https://stackoverflow.com/questions/{question_id}/how-to-brew",
        "title": f"How do I brew #{question_id}?",
    }


def excerpt_question(question_id: int, *, created: int = 1_700_000_000) -> dict[str, Any]:
    """A /search/excerpts item for a question (default filter: no `link`)."""
    return {
        "tags": ["coffee"],
        "question_score": 2,
        "is_accepted": False,
        "has_accepted_answer": False,
        "answer_count": 2,
        "is_answered": False,
        "question_id": question_id,
        "item_type": "question",
        "score": 2,
        "last_activity_date": created + 500,
        "last_activity_user": 7,
        "creation_date": created,
        "body": "<p>Is BrewBird any good?</p>",
        "excerpt": 'Is <span class="highlight">BrewBird</span> any good&hellip;',
        "title": "Is BrewBird any good?",
    }


def excerpt_answer(answer_id: int, question_id: int, *, created: int = 1_700_000_300) -> dict[str, Any]:
    """A /search/excerpts item for an answer (`answer_id`; `title` is its question's)."""
    return {
        "tags": ["coffee"],
        "question_score": 2,
        "is_accepted": True,
        "answer_id": answer_id,
        "is_answered": True,
        "question_id": question_id,
        "item_type": "answer",
        "score": 9,
        "last_activity_date": created + 300,
        "creation_date": created,
        "body": "<p>I use BrewBird every morning.</p>",
        "excerpt": 'I use <span class="highlight">BrewBird</span> every morning',
        "title": "Is BrewBird any good?",
    }


class FakeStackExchange(FakeAPI):
    thread_name = "fake-stackexchange"
    lower_headers = False

    def __init__(
        self,
        advanced: dict[str, list[list[dict]]] | None = None,
        excerpts: dict[str, list[list[dict]]] | None = None,
        *,
        quota_max: int = 300,
        quota_remaining: int | None = None,
        valid_keys: tuple[str, ...] | None = None,
        faults: dict[int, str] | None = None,
        backoff: dict[int, int] | None = None,
        sites: tuple[str, ...] = ("stackoverflow", "superuser", "serverfault", "webapps", "webmasters"),
    ) -> None:
        self.pages = {"/search/advanced": dict(advanced or {}), "/search/excerpts": dict(excerpts or {})}
        self.quota_max = quota_max
        self.quota_remaining = quota_max if quota_remaining is None else quota_remaining
        self.valid_keys = valid_keys
        self.faults = dict(faults or {})
        self.backoff = dict(backoff or {})
        self.sites = sites
        super().__init__()  # requests: path (without /2.3), params (last value of each), headers

    @property
    def base_url(self) -> str:
        return super().base_url + "/2.3"

    # --- answers --------------------------------------------------------------------------------

    @staticmethod
    def error(error_id: int, name: str, message: str) -> dict[str, Any]:
        return {"error_id": error_id, "error_message": message, "error_name": name}

    def answer(self, number: int, path: str, params: dict[str, str]) -> tuple[int, dict[str, Any] | bytes]:
        """(status, JSON object or raw body) for request `number`."""
        fault = self.faults.get(number)
        if fault == "error":
            return 503, ERROR_PAGE
        if fault == "html":
            return 200, HTML_PAGE
        if fault == "garbage":
            return 200, b'{"items":[{"question_id":1,"link":"https://stackoverflow.com/q'
        if fault == "backoff_violation":
            return 400, self.error(502, "throttle_violation", "Violation of backoff parameter")
        if fault == "bad_key":
            return 400, self.error(400, "bad_parameter", "key")
        if fault == "no_site":
            return 400, self.error(400, "bad_parameter", "No site found for name `nosuchsite`")
        if path not in self.pages:
            return 400, self.error(404, "no_method", "method not recognized")
        if self.valid_keys is not None and params.get("key") not in (None, *self.valid_keys):
            return 400, self.error(400, "bad_parameter", "key")
        if fault == "quota_throttle" or self.quota_remaining <= 0:
            return 400, self.error(
                502,
                "throttle_violation",
                "too many requests from this IP, more requests available in 82216 seconds",
            )
        site = params.get("site", "")
        if not site:
            return 400, self.error(400, "bad_parameter", "site is required")
        if site not in self.sites:
            return 400, self.error(400, "bad_parameter", f"No site found for name `{site}`")
        try:
            page = int(params.get("page", "1"))
            pagesize = int(params.get("pagesize", "30"))
        except ValueError:
            return 400, self.error(400, "bad_parameter", "page")
        if not 0 <= pagesize <= 100:
            return 400, self.error(400, "bad_parameter", "pagesize")
        if page > 25 and not params.get("key"):
            return 400, self.error(403, "access_denied", "page above 25 requires access token or app key")
        pages = self.pages[path].get(site, [])
        items = pages[page - 1] if 0 < page <= len(pages) else []
        self.quota_remaining -= 1
        wrapper: dict[str, Any] = {"items": items, "has_more": page < len(pages)}
        if number in self.backoff:
            wrapper["backoff"] = self.backoff[number]
        wrapper["quota_max"] = self.quota_max
        wrapper["quota_remaining"] = self.quota_remaining
        return 200, wrapper

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = query_params(parts.query)
                path = parts.path.removeprefix("/2.3")
                with fake._lock:
                    status, payload = fake.answer(fake.record(path, params, self.headers), path, params)
                if isinstance(payload, bytes):
                    if payload.startswith(b"<"):  # an HTML page from in front of the API
                        self._send(status, "text/html; charset=utf-8", payload, None)
                    else:
                        self._send(status, "application/json; charset=utf-8", gzip.compress(payload), "gzip")
                    return
                body = json.dumps(payload, separators=(",", ":")).encode()
                accept = self.headers.get("Accept-Encoding", "").lower()
                if "deflate" in accept and "gzip" not in accept:
                    self._send(status, "application/json; charset=utf-8", zlib.compress(body), "deflate")
                else:
                    self._send(status, "application/json; charset=utf-8", gzip.compress(body), "gzip")

            def _send(self, status: int, content_type: str, body: bytes, encoding: str | None) -> None:
                headers = {
                    "Content-Type": content_type,
                    **({"Content-Encoding": encoding} if encoding else {}),
                }
                self.send(status, headers, body)

        return Handler
