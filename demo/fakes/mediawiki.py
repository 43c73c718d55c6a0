"""A MediaWiki Action API stand-in on loopback: `GET /<wiki>/w/api.php?action=query&...` answers
`list=exturlusage`, `list=search` and `meta=siteinfo&siprop=general` as Wikipedia does.

    wiki = FakeWiki(
        links=[("BrewBird", "https://brewbird.io/"), ("Coffee", "http://shop.brewbird.io/x")],
        pages={"brewbird": ["Coffee roasting", "Home brewing"]},
    )
    with FakeMediaWiki({"en": wiki}) as api:
        api_url = f"{api.base_url}/{{wiki}}/w/api.php"      # MEDIAWIKI_API_URL for the source
        api.requests   # [{"path": "/en/w/api.php", "params": {...}, "headers": {...}}, ...]

Where the shapes come from:
- exturlusage: wikimedia/mediawiki includes/api/ApiQueryExtLinksUsage.php (items `ns`, `title`
  (euprop=title), `pageid` (ids), `url` (url); `eucontinue` from the last row; with $wgMiserMode,
  as on Wikipedia, the namespace filter runs after the LIMIT, so a batch may be short or empty and
  still carry `continue`) and includes/ExternalLinks/LinkFilter.php (`*.domain.com` matches
  domain.com and its subdomains, `domain.com` only that host; an empty euprotocol means http and
  https).
- search: real Wikipedia answers captured in public tests (e.g. `{"batchcomplete":"","continue":
  {"sroffset":10,"continue":"-||"},"query":{"searchinfo":{"totalhits":253},"search":[{"ns":0,
  "title":...,"pageid":...}]}}`), in formatversion=2 form (`batchcomplete: true`, lists as arrays,
  as in siznax/wptools tests/query.py). `limit=max` adds `"limits": {"<module>": N}`.
- siteinfo general: `server` protocol-relative as on Wikimedia, `canonicalserver`, `articlepath`.
- errors: mediawiki.org Manual:Maxlag_parameter (HTTP 200, `{"error": {"code": "maxlag", "info":
  "Waiting for $host: $lag seconds lagged", "host", "lag"}}`, headers Retry-After and
  X-Database-Lag; every API error also has the `MediaWiki-API-Error: <code>` header); Wikimedia's
  429 "Wikimedia Error" HTML page as quoted in dahlia/wikidata issue #43; the edge's 403 for
  clients breaking the robot/User-Agent policy ("Please set a user-agent and respect our robot
  policy https://w.wiki/4wJS").

`answers` is a queue of special answers, one per request, before the normal ones: "maxlag",
"ratelimited" (HTTP 429, HTML), "blocked" (HTTP 403, HTML), "error" (HTTP 503, HTML), "html"
(HTTP 200, an HTML page), "truncated" (JSON cut in the middle), "wrongtypes" (valid JSON, wrong
types), "readapidenied" (an API error with HTTP 200).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from urllib.parse import urlsplit

from demo.fakes.server import FakeAPI, QuietHandler, query_params

DOCREF = (
    "See https://en.wikipedia.org/w/api.php for API usage. Subscribe to the mediawiki-api-announce "
    "mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists."
    "wikimedia.org/&gt; for notice of API deprecations and breaking changes."
)
SERVEDBY = "mw-api-ext.eqiad.main-6d9f8b7c5-x2x7q"


def wikimedia_error_page(message: str) -> bytes:
    """The shape of the error page Wikimedia's edge answers with (429, 403, 503)."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<meta charset="utf-8">\n<title>Wikimedia Error</title>\n'
        "<style>body { background: #fff; font: 15px/1.6 sans-serif; color: #333; }</style>\n"
        '<div class="content" role="main">\n<a href="https://www.wikimedia.org">'
        '<img src="https://www.wikimedia.org/static/images/wmf-logo.png" alt="Wikimedia" '
        'width="135" height="101"></a>\n<h1>Error</h1>\n<div class="content-text">\n'
        f"<p>{message}</p>\n</div>\n</div>\n"
        '<div class="footer"><p>If you report this error to the Wikimedia System Administrators, '
        'please include the details below.</p><p class="text-muted"><code>Request served via '
        "cp3066 cp3066, Varnish XID 123456789<br>Upstream caches: cp3066 int<br>Error: "
        f"{message}</code></p></div>\n</html>\n"
    ).encode()


@dataclass
class FakeWiki:
    """One wiki's data. `links`: (article title, linked URL) or (title, URL, namespace) rows in
    the order the externallinks index returns them. `pages`: search term -> titles (a query
    gets the titles of every term it contains, case-insensitive), or (title, namespace)."""

    links: list[tuple] = field(default_factory=list)
    pages: dict[str, list] = field(default_factory=dict)
    # What `limit=max` means on this wiki (500 for anonymous clients on Wikipedia); a smaller
    # value makes paging visible in tests.
    max_limit: int = 500
    sitename: str = "Wikipedia"


class FakeMediaWiki(FakeAPI):
    thread_name = "fake-mediawiki"
    lower_headers = False

    def __init__(
        self,
        wikis: Mapping[str, FakeWiki] | None = None,
        *,
        answers: list[str] | None = None,
        retry_after: str | None = "5",
    ) -> None:
        self.wikis = dict(wikis or {})
        self.answers = list(answers or [])
        self.retry_after = retry_after
        super().__init__()

    # --- the API ---------------------------------------------------------------------------------

    def general(self, wiki: str) -> dict:
        host = self.base_url.split("://", 1)[1]
        return {
            "mainpage": "Main Page",
            "base": f"{self.base_url}/{wiki}/wiki/Main_Page",
            "sitename": self.wikis[wiki].sitename,
            "generator": "MediaWiki 1.45.0-wmf.4",
            "lang": wiki,
            "articlepath": f"/{wiki}/wiki/$1",
            "scriptpath": f"/{wiki}/w",
            "script": f"/{wiki}/w/index.php",
            "server": f"//{host}",
            "servername": host.split(":")[0],
            "canonicalserver": self.base_url,
            "wikiid": f"{wiki}wiki",
        }

    def answer(self, wiki: str, params: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        if params.get("action") != "query" or params.get("format") != "json":
            return self._api_error("badvalue", 'Unrecognized value for parameter "action".')
        data: dict = {"batchcomplete": True}
        query: dict = {}
        if params.get("meta") == "siteinfo":
            query["general"] = self.general(wiki)
        module = params.get("list", "")
        if module == "exturlusage":
            rows, limit, cont = self._exturlusage(self.wikis[wiki], params)
        elif module == "search":
            if not params.get("srsearch"):
                return self._api_error("missingparam", 'The "srsearch" parameter must be set.')
            rows, limit, cont = self._search(self.wikis[wiki], params)
            query["searchinfo"] = {"totalhits": limit.pop("total")}
        elif module:
            return self._api_error("badvalue", f'Unrecognized value for parameter "list": {module}.')
        else:
            rows, limit, cont = None, {}, None
        if cont:
            data["continue"] = cont | {"continue": "-||"}
        if limit.get("max"):
            data["limits"] = {module: limit["max"]}
        if rows is not None:
            query[module] = rows
        data["query"] = query
        return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(data).encode()

    @staticmethod
    def _limit(value: str | None, wiki: FakeWiki) -> tuple[int, dict]:
        if value == "max":
            return wiki.max_limit, {"max": wiki.max_limit}
        try:
            return max(1, min(int(value or "10"), wiki.max_limit)), {}
        except ValueError:
            return 10, {}

    def _exturlusage(self, wiki: FakeWiki, params: dict[str, str]) -> tuple[list, dict, dict | None]:
        pattern = params.get("euquery", "")
        subdomains = pattern.startswith("*.")
        domain = pattern[2:] if subdomains else pattern.split("/")[0]
        protocol = params.get("euprotocol", "")
        schemes = (protocol,) if protocol else ("http", "https")
        matching = []
        for row in wiki.links:
            title, url, ns = (*row, 0) if len(row) == 2 else row
            parts = urlsplit(url)
            host = parts.hostname or ""
            if parts.scheme in schemes and (host == domain or (subdomains and host.endswith("." + domain))):
                matching.append((title, url, ns))
        limit, info = self._limit(params.get("eulimit"), wiki)
        start = 0
        if "eucontinue" in params:
            start = int(params["eucontinue"].rsplit("|", 1)[-1])
        batch = matching[start : start + limit]
        namespaces = {int(n) for n in params["eunamespace"].split("|")} if params.get("eunamespace") else None
        props = set(params.get("euprop", "ids|title|url").split("|"))
        rows = []
        for offset, (title, url, ns) in enumerate(batch):
            if namespaces is not None and ns not in namespaces:
                continue  # miser mode: filtered after the LIMIT
            row: dict = {}
            if "ids" in props:
                row["pageid"] = 1000 + start + offset
            if "title" in props:
                row |= {"ns": ns, "title": title}
            if "url" in props:
                row["url"] = url
            rows.append(row)
        cont = None
        if len(matching) > start + limit:
            following = urlsplit(matching[start + limit][1])
            index = ".".join(reversed((following.hostname or "").split("."))) + "."
            cont = {"eucontinue": f"{following.scheme}://{index}|{following.path or '/'}|{start + limit}"}
        return rows, info, cont

    def _search(self, wiki: FakeWiki, params: dict[str, str]) -> tuple[list, dict, dict | None]:
        phrase = params["srsearch"].replace('"', "").lower()
        found_titles: dict[tuple[str, int], None] = {}
        for term, found in wiki.pages.items():
            if term.lower() in phrase:
                for item in found:
                    found_titles.setdefault((item, 0) if isinstance(item, str) else tuple(item), None)
        titles = list(found_titles)
        namespaces = {int(n) for n in params.get("srnamespace", "0").split("|")}
        titles = [t for t in titles if t[1] in namespaces]
        limit, info = self._limit(params.get("srlimit"), wiki)
        start = int(params.get("sroffset", "0") or "0")
        rows = [
            {"ns": ns, "title": title, "pageid": 5000 + start + i}
            for i, (title, ns) in enumerate(titles[start : start + limit])
        ]
        cont = {"sroffset": start + limit} if len(titles) > start + limit else None
        return rows, info | {"total": len(titles)}, cont

    def _api_error(self, code: str, info: str, **extra: object) -> tuple[int, dict[str, str], bytes]:
        body = {"error": {"code": code, "info": info, **extra, "docref": DOCREF}, "servedby": SERVEDBY}
        headers = {"Content-Type": "application/json; charset=utf-8", "MediaWiki-API-Error": code}
        return 200, headers, json.dumps(body).encode()

    def special(self, kind: str) -> tuple[int, dict[str, str], bytes]:
        html = {"Content-Type": "text/html; charset=utf-8"}
        retry = {"Retry-After": self.retry_after} if self.retry_after is not None else {}
        if kind == "maxlag":
            status, headers, body = self._api_error(
                "maxlag",
                "Waiting for 10.64.48.35: 7 seconds lagged.",
                host="10.64.48.35",
                lag=7,
                type="db",
            )
            return status, headers | retry | {"X-Database-Lag": "7"}, body
        if kind == "ratelimited":
            message = (
                "Too many requests. Please comply with the User-Agent policy to get a higher rate "
                "limit: https://meta.wikimedia.org/wiki/User-Agent_policy"
            )
            return 429, html | retry, wikimedia_error_page(message)
        if kind == "blocked":
            message = (
                "Please set a user-agent and respect our robot policy https://w.wiki/4wJS. See also T400119."
            )
            return 403, html, wikimedia_error_page(message)
        if kind == "error":
            return 503, html, wikimedia_error_page("Our servers are currently under maintenance.")
        if kind == "html":
            return (
                200,
                html,
                b"<!DOCTYPE html><html><head><title>Log in</title></head><body>Portal</body></html>",
            )
        if kind == "truncated":
            return (
                200,
                {"Content-Type": "application/json; charset=utf-8"},
                b'{"batchcomplete":true,"query":{"exturl',
            )
        if kind == "wrongtypes":
            body = {"batchcomplete": True, "query": {"exturlusage": {"title": 7}, "search": "none"}}
            return 200, {"Content-Type": "application/json; charset=utf-8"}, json.dumps(body).encode()
        if kind == "readapidenied":
            return self._api_error("readapidenied", "You need read permission to use this module.")
        raise ValueError(f"unknown special answer {kind!r}")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = query_params(parts.query)
                with fake._lock:
                    fake.record(parts.path, params, self.headers)
                    special = fake.answers.pop(0) if fake.answers else None
                segments = parts.path.strip("/").split("/")
                wiki = segments[0] if segments else ""
                if segments[1:] != ["w", "api.php"] or wiki not in fake.wikis:
                    self._send(404, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Not Found</h1>")
                elif special is not None:
                    self._send(*fake.special(special))
                else:
                    self._send(*fake.answer(wiki, params))

            def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send(status, headers, body)

        return Handler
