"""A SearXNG stand-in on loopback: `GET /search?q=...&format=json&pageno=N` answers canned results.

    with FakeSearxng({"brewbird": ["https://blog.example/a", ...]}) as searx:
        urlopen(f"{searx.base_url}/search?q=%22brewbird%22&format=json")
        searx.queries  # ['"brewbird"']

A query gets the results of every key that is a substring of it (case-insensitive, in mapping
order), `per_page` to a page. The JSON has the fields a real instance sends (`query`,
`number_of_results`, `results`, `answers`, `corrections`, `infoboxes`, `suggestions`,
`unresponsive_engines`), with an infobox and suggestions so parsers must skip them.

`mode` picks the answer: "json" (default); "error" (HTTP 500, an HTML body, as a crashed
instance); "html" (HTTP 200 with a SearXNG-like HTML results page, as an instance whose JSON
format is off or a proxy's login page). Without `format=json` the answer is the HTML page too, and
an instance with `json_enabled=False` answers 403, as SearXNG does.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

HTML_PAGE = b"""<!DOCTYPE html>
<html lang="en"><head><title>SearXNG</title></head>
<body><main id="results"><article class="result">
<a href="https://html-only.example/page" class="url_header">html-only.example</a>
</article></main></body></html>
"""

ERROR_PAGE = b"<html><body><h1>Internal Server Error</h1></body></html>"


class FakeSearxng(FakeAPI):
    thread_name = "fake-searxng"

    def __init__(
        self,
        results: dict[str, list[str]] | None = None,
        *,
        mode: str = "json",
        per_page: int = 10,
        json_enabled: bool = True,
    ) -> None:
        self.results = dict(results or {})
        self.mode = mode
        self.per_page = per_page
        self.json_enabled = json_enabled
        super().__init__()
        self.requests: list[dict[str, str]] = []  # every request's query parameters, in order

    @property
    def params(self) -> list[dict[str, str]]:
        with self._lock:
            return [dict(r) for r in self.requests]

    @property
    def queries(self) -> list[str]:
        """The `q` of every search request received, in order."""
        with self._lock:
            return [r.get("q", "") for r in self.requests]

    def results_for(self, query: str) -> list[str]:
        """Every canned URL for `query`, all pages, duplicates kept once."""
        urls: list[str] = []
        lowered = query.lower()
        for key, found in self.results.items():
            if key.lower() in lowered:
                urls += [u for u in found if u not in urls]
        return urls

    def payload(self, query: str, page: int) -> dict:
        urls = self.results_for(query)
        start = (page - 1) * self.per_page
        chosen = urls[start : start + self.per_page]
        return {
            "query": query,
            "number_of_results": len(urls),
            "results": [
                {
                    "url": url,
                    "title": f"Result {start + i + 1}",
                    "content": f"Snippet about {query}",
                    "engine": "duckduckgo",
                    "engines": ["duckduckgo", "bing"],
                    "parsed_url": list(urlsplit(url)),
                    "template": "default.html",
                    "positions": [start + i + 1],
                    "score": 1.0 / (start + i + 1),
                    "category": "general",
                }
                for i, url in enumerate(chosen)
            ],
            "answers": [],
            "corrections": [],
            "infoboxes": [
                {
                    "infobox": "Infobox",
                    "id": "https://en.wikipedia.org/wiki/Infobox",
                    "content": "Not a result.",
                    "urls": [{"title": "Wikipedia", "url": "https://en.wikipedia.org/wiki/Infobox"}],
                    "engine": "wikipedia",
                }
            ],
            "suggestions": [f"{query} alternative"],
            "unresponsive_engines": [["google", "timeout"]],
        }

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                if parts.path not in ("/search", "/"):
                    self._send(404, "text/html", b"<h1>Not Found</h1>")
                    return
                params = query_params(parts.query)
                with fake._lock:
                    fake.requests.append(params)
                if fake.mode == "error":
                    self._send(500, "text/html; charset=utf-8", ERROR_PAGE)
                elif fake.mode == "html" or params.get("format") != "json":
                    self._send(200, "text/html; charset=utf-8", HTML_PAGE)
                elif not fake.json_enabled:
                    self._send(403, "text/html; charset=utf-8", b"<h1>403 Forbidden</h1>")
                else:
                    try:
                        page = max(int(params.get("pageno", "1")), 1)
                    except ValueError:
                        page = 1
                    body = json.dumps(fake.payload(params.get("q", ""), page)).encode()
                    self._send(200, "application/json", body)

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send(status, {"Content-Type": content_type}, body)

        return Handler
