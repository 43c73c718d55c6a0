"""A GDELT DOC 2.0 API stand-in on loopback: `GET /api/v2/doc/doc?query=...&mode=artlist&format=json`.

    with FakeGdelt({"brewbird": [article("https://news.example/a", "20261120T101500Z")]}) as gdelt:
        settings["GDELT_API_URL"] = gdelt.api_url
        gdelt.requests  # [{"path": ..., "params": {...}, "headers": {...}}]

A query gets the articles of every key that is a substring of it (case-insensitive), as GDELT
answers them: only those seen inside the window (`startdatetime`/`enddatetime`, or `timespan`
back from `now`), newest first (`sort=datedesc`), at most `maxrecords` (250 at most). No match is
`{}`, as the real API answers. `now` is fixed (it is also the `Date` header), so nothing depends
on today's date.

Shapes come from the real API: the artlist fields and the compact `seendate` (`20240615T170000Z`)
from alex9smith/gdelt-doc-api (gdeltdoc/api_client.py: "Response is text/html if it's an error
and application/json if it's ok") and verbatim captured answers quoted in public test fixtures;
the throttling notice ("Please limit requests to one every 5 seconds or contact
kalev.leetaru5@gmail.com for larger queries.", with HTTP 429 or 200) and the plain-text query
refusals ("The specified phrase is too short.") from clients that met them live.

`mode`: "json" (default); "throttle" (the first `throttle_times` requests get the notice with
`throttle_status`, 429 or 200, then JSON); "refuse" (200, a text refusal); "error" (HTTP 500, an
HTML page); "garbage" (200 application/json, truncated); "control" (JSON with a raw control
character inside a title, which GDELT really sends).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

THROTTLE_TEXT = (
    b"Please limit requests to one every 5 seconds or contact kalev.leetaru5@gmail.com for larger queries.\n"
)
REFUSAL_TEXT = b"The specified phrase is too short.\n"
ERROR_PAGE = (
    b"<html><head><title>500 Internal Server Error</title></head>"
    b"<body><h1>Internal Server Error</h1></body></html>"
)
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=UTC)


def article(url: str, seendate: str, *, title: str = "BrewBird in the news", domain: str = "") -> dict:
    """One artlist record with every field the real API sends."""
    host = domain or (urlsplit(url).hostname or "")
    return {
        "url": url,
        "url_mobile": "",
        "title": title,
        "seendate": seendate,
        "socialimage": f"https://{host}/og.jpg",
        "domain": host.removeprefix("www."),
        "language": "English",
        "sourcecountry": "United States",
    }


def _stamp(value: str) -> datetime | None:
    for fmt in ("%Y%m%d%H%M%S", "%Y%m%dT%H%M%SZ"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            pass
    return None


def _timespan(value: str) -> timedelta:
    digits = "".join(ch for ch in value if ch.isdigit()) or "3"
    unit = value[len(digits) :].lower()
    count = int(digits)
    if unit.startswith("mi"):
        return timedelta(minutes=count)
    if unit.startswith("h"):
        return timedelta(hours=count)
    if unit.startswith("d"):
        return timedelta(days=count)
    if unit.startswith("w"):
        return timedelta(weeks=count)
    return timedelta(days=30 * count)


class FakeGdelt(FakeAPI):
    thread_name = "fake-gdelt"
    api_path = "/api/v2/doc/doc"

    def __init__(
        self,
        articles: dict[str, list[dict]] | None = None,
        *,
        mode: str = "json",
        throttle_times: int = 1,
        throttle_status: int = 429,
        now: datetime = NOW,
    ) -> None:
        self.articles = dict(articles or {})
        self.mode = mode
        self.throttle_times = throttle_times
        self.throttle_status = throttle_status
        self.now = now
        super().__init__()

    def payload(self, params: dict[str, str]) -> dict:
        query = params.get("query", "").lower()
        found: dict[str, dict] = {}
        for key, items in self.articles.items():
            if key.lower() in query:
                for item in items:
                    found.setdefault(item["url"], item)
        start = _stamp(params.get("startdatetime", ""))
        end = _stamp(params.get("enddatetime", "")) or self.now
        if start is None:
            start = self.now - _timespan(params.get("timespan", "3months"))
        start = max(start, self.now - timedelta(days=92))  # the API's rolling three months
        chosen = [a for a in found.values() if (seen := _stamp(a["seendate"])) and start <= seen <= end]
        chosen.sort(key=lambda a: a["seendate"], reverse=params.get("sort", "").lower() == "datedesc")
        try:
            limit = min(max(int(params.get("maxrecords", "75")), 1), 250)
        except ValueError:
            limit = 75
        chosen = chosen[:limit]
        return {"articles": chosen} if chosen else {}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def date_time_string(self, timestamp: float | None = None) -> str:
                return format_datetime(fake.now, usegmt=True)

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path != "/api/v2/doc/doc":
                    self._send(404, "text/html", b"<h1>Not Found</h1>")
                    return
                params = query_params(parts.query)
                number = fake.record(parts.path, params, self.headers)
                text = "text/html; charset=utf-8"
                if fake.mode == "throttle" and number <= fake.throttle_times:
                    self._send(fake.throttle_status, text, THROTTLE_TEXT)
                elif fake.mode == "refuse":
                    self._send(200, text, REFUSAL_TEXT)
                elif fake.mode == "error":
                    self._send(500, text, ERROR_PAGE)
                else:
                    body = json.dumps(fake.payload(params), ensure_ascii=False, indent=1).encode()
                    if fake.mode == "garbage":
                        body = body[: len(body) // 2]
                    elif fake.mode == "control":
                        body = body.replace(b"BrewBird in the news", b"BrewBird\tin\x01the news")
                    self._send(200, "application/json; charset=utf-8", body)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send(status, {"Content-Type": content_type}, body)

        return Handler
