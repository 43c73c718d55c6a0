"""Wikipedia (and any MediaWiki wiki): articles that link to the target, and articles that name it.

What it finds, per wiki in MEDIAWIKI_WIKIS:

* kind LINK: articles whose external links point at the target or any subdomain of it, through
  the Action API's `list=exturlusage` (`euquery=*.brewbird.io`, once with `euprotocol=http` and
  once with `euprotocol=https`; MediaWiki's LinkFilter documents that `*.domain.com` matches
  `domain.com` itself and `www.domain.com`, so one query per protocol covers every host).
* kind MENTION: articles whose text contains a brand term as a phrase, through `list=search`
  (`srsearch="BrewBird"`, `srwhat=text`), one search per brand term.

The candidate is always the wiki article (`https://en.wikipedia.org/wiki/Some_Title`), never the
linked URL: the crawl fetches the article and decides from the page itself. The article URL is
built from the title the API answers with and the wiki's own article path, asked for in the
first request of each walk (`meta=siteinfo&siprop=general`: `canonicalserver` + `articlepath`);
a wiki that does not answer it gets `<api dir>/index.php?title=<Title>`, which every MediaWiki
serves. Only namespace 0 (articles) is asked for and kept.

Endpoint: `api.php` of each wiki. A language code in MEDIAWIKI_WIKIS ("en", "de", "zh-yue") is
put into MEDIAWIKI_API_URL's `{wiki}`; a full `http(s)://.../api.php` URL is used as is (any
MediaWiki: Fandom, a company wiki). `-a wikis=en,de` sets MEDIAWIKI_WIKIS for one crawl.

Settings read: MEDIAWIKI_WIKIS, MEDIAWIKI_API_URL, MEDIAWIKI_MIN_INTERVAL (seconds between two
requests of this source; `self.min_interval`), USER_AGENT and CONTACT_URL (the User-Agent sent).

Limits and how they are respected:

* Paging follows the API's `continue` object only: the whole object is merged into the next
  request's parameters until an answer has no `continue`. Wikipedia filters `eunamespace` after
  the limit (miser mode), so a batch may be short or even empty and still continue; the source
  never stops because a batch is short. `eulimit=max` / `srlimit=max` take the largest batch the
  wiki allows (500 for anonymous clients), which keeps the request count low.
* Full-text search (CirrusSearch) serves at most the first 10,000 hits of a query: the source
  never asks for an `sroffset` at or past 10,000.
* Wikimedia's API etiquette: requests one at a time (`concurrency = 1`), MEDIAWIKI_MIN_INTERVAL
  apart, and `maxlag=5` on every request. A `maxlag` error (HTTP 200, `error.code` "maxlag",
  `Retry-After` header) and `ratelimited` are throttling: the request is sent again after
  `Retry-After` seconds (5 when the header is missing, Wikimedia's advice for lag errors). HTTP
  429 from Wikimedia's rate limiter (an HTML page) is throttling too.
* HTTP 403 from Wikimedia's edge is a refusal of the client (User-Agent policy, blocked IP):
  the source stops for this crawl. Any other API error (`{"error": {"code", "info"}}` with HTTP
  200, e.g. `readapidenied` on a private wiki), an HTTP error or a body that is not the API's
  JSON is a one-line error for that request; the walk goes on with the other requests.
* `since` is ignored: neither exturlusage nor search can filter by date (search's `srsort`
  orders by edit time but does not filter; an old link is still a live backlink).

User-Agent: Wikimedia's User-Agent policy asks every client to send a descriptive User-Agent
with contact information (`<client>/<version> (<contact>)`); `Api-User-Agent` is only for
browser JavaScript, which cannot set User-Agent, so it is not sent. `headers()` returns the
crawl's USER_AGENT with `{contact}` filled from CONTACT_URL, and CONTACT_URL appended when a
custom USER_AGENT carries no contact.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from backlink_spider.sources.base import (
    LINK,
    MENTION,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
    SourceSettingError,
)
from backlink_spider.target import Target
from backlink_spider.urls import http_url

# CirrusSearch (Elasticsearch's result window) serves offsets below 10,000 only.
SEARCH_MAX_OFFSET = 10_000
# The maxlag value Wikimedia recommends for non-interactive clients.
MAXLAG = 5
# Wait when a throttling answer has no Retry-After: Wikimedia's "pause at least 5 seconds".
THROTTLE_WAIT = 5.0
# wfUrlencode() leaves these unescaped in article URLs (spaces are underscores before that).
_TITLE_SAFE = ";@$!*(),/~:"
_LANGUAGE_CODE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
_THROTTLE_CODES = ("maxlag", "ratelimited")


def _one_line(text: Any, limit: int = 160) -> str:
    return " ".join(str(text).split())[:limit]


class MediaWikiSource(Source):
    name = "wikipedia"
    concurrency = 1

    def __init__(self, settings: Mapping[str, Any] | Any) -> None:
        super().__init__(settings)
        self.min_interval = float(settings.get("MEDIAWIKI_MIN_INTERVAL"))

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any) -> MediaWikiSource:
        if not _valid_interval(settings):
            raise SourceSettingError(
                "MEDIAWIKI_MIN_INTERVAL must be a number of seconds >= 0, "
                f"not {settings.get('MEDIAWIKI_MIN_INTERVAL')!r}"
            )
        source = cls(settings)
        if not source.wikis():
            raise SourceSettingError("MEDIAWIKI_WIKIS is empty: give language codes (en,de) or api.php URLs")
        return source

    # --- configuration ---------------------------------------------------------------------------

    def wikis(self) -> list[str]:
        """The api.php URL of every wiki, in order, once each. Raises SourceSettingError for an
        entry that is neither a language code nor an http(s) URL."""
        template = str(self.settings.get("MEDIAWIKI_API_URL") or "")
        urls: list[str] = []
        for entry in self.setting_list("MEDIAWIKI_WIKIS"):
            if "://" in entry:
                if http_url(entry) is None:
                    raise SourceSettingError(f"MEDIAWIKI_WIKIS: {entry!r} is not an http(s) api.php URL")
                url = entry
            elif _LANGUAGE_CODE.match(entry.lower()):
                if "{wiki}" not in template:
                    raise SourceSettingError("MEDIAWIKI_API_URL has no {wiki} to put a language code in")
                url = template.replace("{wiki}", entry.lower())
            else:
                raise SourceSettingError(
                    f"MEDIAWIKI_WIKIS: {entry!r} is neither a language code (en, de) nor an api.php URL"
                )
            if url not in urls:
                urls.append(url)
        return urls

    def headers(self) -> dict[str, str]:
        contact = str(self.settings.get("CONTACT_URL") or "").strip()
        agent = str(self.settings.get("USER_AGENT") or "").strip()
        if "{contact}" in agent:
            agent = agent.replace("{contact}", contact)
        elif contact and contact not in agent:
            agent = f"{agent} (+{contact})".strip()
        return {"User-Agent": agent} if agent else {}

    # --- requests --------------------------------------------------------------------------------

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        # `since` is ignored: neither module can filter by date (see the module docstring).
        requests: list[SourceRequest] = []
        pattern = f"*.{target.host}"
        for api in self.wikis():
            label = wiki_label(api)
            for protocol in ("http", "https"):
                params = {
                    "list": "exturlusage",
                    "euquery": pattern,
                    "euprotocol": protocol,
                    "eunamespace": "0",
                    "euprop": "title|url",
                    "eulimit": "max",
                }
                query = f"exturlusage {pattern} ({protocol}) on {label}"
                requests.append(self._request(api, target.host, query, LINK, params, None))
            for term in target.brand_terms:
                phrase = term.replace('"', " ").strip()
                if not phrase:
                    continue
                params = {
                    "list": "search",
                    "srsearch": f'"{phrase}"',
                    "srwhat": "text",
                    "srnamespace": "0",
                    "srlimit": "max",
                    "srprop": "",
                    "srinfo": "totalhits",
                }
                query = f'search "{phrase}" on {label}'
                requests.append(self._request(api, target.host, query, MENTION, params, None))
        return requests

    def _request(
        self,
        api: str,
        host: str,
        query: str,
        kind: str,
        params: dict[str, str],
        article: str | None,
    ) -> SourceRequest:
        """A request of one walk. The first one of a walk (no article path known yet) also asks
        for the wiki's siteinfo; continuations carry the article path in their state."""
        full = {"action": "query", "format": "json", "formatversion": "2", "maxlag": str(MAXLAG)}
        if article is None:
            full |= {"meta": "siteinfo", "siprop": "general"}
        full |= params
        return SourceRequest(
            url=f"{api}?{urlencode(full)}",
            query=query,
            kind=kind,
            state={"api": api, "target": host, "params": dict(params), "article": article},
        )

    # --- answers ---------------------------------------------------------------------------------

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        api = str(request.state.get("api", ""))
        label = wiki_label(api) if api else "wiki"
        if answer.status == 429:
            return SourceResult.throttled(_wait(answer), f"{label}: HTTP 429 (Wikimedia rate limit)")
        if answer.status == 403:
            return SourceResult.failed(
                f"{label}: HTTP 403: the wiki refuses this client (User-Agent policy or blocked IP)",
                stop=True,
            )
        data = answer.json()
        if answer.status != 200 or not isinstance(data, dict):
            return SourceResult.failed(f"{label}: {answer.describe()}")
        error = data.get("error")
        if error is not None:
            code = _one_line(error.get("code", "")) if isinstance(error, dict) else ""
            info = _one_line(error.get("info", "")) if isinstance(error, dict) else _one_line(error)
            if code in _THROTTLE_CODES:
                return SourceResult.throttled(_wait(answer), f"{label}: {code}: {info}")
            return SourceResult.failed(f"{label}: API error {code or '?'}: {info}")
        params = request.state.get("params")
        if not isinstance(params, Mapping):
            return SourceResult.failed(f"{label}: request without state")
        module = str(params.get("list", ""))
        query = data.get("query")
        if query is None and "batchcomplete" in data:
            query = {module: []}
        if not isinstance(query, dict) or not isinstance(query.get(module, []), list):
            return SourceResult.failed(f"{label}: {answer.describe()}")

        article = request.state.get("article")
        if not isinstance(article, str):
            article = article_path(query.get("general"), api)

        candidates = []
        seen: set[str] = set()
        for hit in query.get(module, []):
            if not isinstance(hit, dict) or not isinstance(hit.get("title"), str):
                continue
            if hit.get("ns", 0) != 0:
                continue
            url = article_url(article, hit["title"])
            if url in seen or self._target_owns(request, url):
                continue
            seen.add(url)
            candidates.append(self.candidate(url, request))

        result = SourceResult(candidates)
        more = data.get("continue")
        if more is None:
            return result
        if not isinstance(more, dict) or not more:
            result.error = f"{label}: unusable continue {_one_line(more, 60)!r}"
            return result
        following = dict(params) | {str(k): str(v) for k, v in more.items()}
        if following == dict(params):
            result.error = f"{label}: continue does not advance; stopped paging"
            return result
        if module == "search" and _offset(following.get("sroffset")) >= SEARCH_MAX_OFFSET:
            return result  # the search window ends at 10,000 hits
        host = str(request.state.get("target", ""))
        result.next_requests.append(self._request(api, host, request.query, request.kind, following, article))
        return result

    def _target_owns(self, request: SourceRequest, url: str) -> bool:
        host = str(request.state.get("target") or "")
        return bool(host) and Target(host, ()).owns(url)


def wiki_label(api: str) -> str:
    """A short name of a wiki for queries and errors: `en.wikipedia.org` for
    `https://en.wikipedia.org/w/api.php`, `wiki.example.org/docs` for `.../docs/api.php`."""
    parts = urlsplit(api)
    path = parts.path
    for suffix in ("/api.php", "/w"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return parts.netloc + path.rstrip("/")


def article_path(general: Any, api: str) -> str:
    """The wiki's article URL with `$1` for the title: siteinfo's `canonicalserver` (or
    `server`, protocol-relative on Wikimedia) + `articlepath`; else `<api dir>/index.php?title=$1`."""
    scheme = urlsplit(api).scheme or "https"
    if isinstance(general, dict):
        server = general.get("canonicalserver") or general.get("server")
        path = general.get("articlepath")
        if isinstance(server, str) and isinstance(path, str) and "$1" in path and server:
            if server.startswith("//"):
                server = f"{scheme}:{server}"
            if server.startswith(("http://", "https://")):
                return server.rstrip("/") + path
    return api.rsplit("/", 1)[0] + "/index.php?title=$1"


def article_url(article: str, title: str) -> str:
    """An article's URL the way MediaWiki builds it: spaces to underscores, wfUrlencode()."""
    return article.replace("$1", quote(title.replace(" ", "_"), safe=_TITLE_SAFE), 1)


def _wait(answer: SourceAnswer) -> float:
    seconds = answer.retry_after()
    return THROTTLE_WAIT if seconds is None else seconds


def _offset(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        return SEARCH_MAX_OFFSET


def _valid_interval(settings: Mapping[str, Any] | Any) -> bool:
    try:
        return float(settings.get("MEDIAWIKI_MIN_INTERVAL")) >= 0
    except (TypeError, ValueError):
        return False
