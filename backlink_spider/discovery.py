"""Seed discovery: where a crawl finds the pages to start from.

A seed URL may be a page, an XML sitemap (or sitemap index, possibly gzipped) or an RSS/Atom feed;
`sniff_seed_document` tells which one a response is, and `parse_sitemap` / `parse_feed` turn the
machine-readable ones into page URLs. Besides seeds given by the user, a *search provider* can
suggest pages that mention the target: `provider_from_settings` builds one from the settings, the
spider requests `provider.search_url(query, page)` for each of `provider.queries(target)`, and
feeds each response body through `provider.parse_results` and `provider.results_filter`.

Everything here is pure (bytes in, URLs out): no Scrapy engine, no network.

Settings read by `provider_from_settings`:

    SEARCH_URL          base URL of the search service; empty (the default) turns search off
    SEARCH_PROVIDER     "searxng" (default), or a dotted path to a SearchProvider subclass
    SEARCH_MAX_QUERIES  at most this many queries per crawl (default 6)
    SEARCH_PAGES        result pages fetched per query (default 1)
    SEARCH_MAX_RESULTS  at most this many result URLs kept per crawl (default 200)

Adding a search provider is one small class: say how a query becomes a URL and how a response
body becomes result URLs. Register it in `PROVIDERS`, or name it by dotted path in
`SEARCH_PROVIDER`. A hypothetical JSON API answering `{"hits": [{"link": "..."}]}`:

    class ExampleProvider(SearchProvider):
        name = "example"

        def search_url(self, query: str, page: int) -> str:
            return f"{self.base_url}/api/v1/search?" + urlencode({"query": query, "page": page})

        def parse_results(self, body: bytes) -> list[str]:
            data = load_json(body)
            hits = data.get("hits") if isinstance(data, dict) else None
            return [h["link"] for h in hits or () if isinstance(h, dict) and isinstance(h.get("link"), str)]

Override `queries(target)` when the engine has another query syntax, and `from_settings` when it
needs more settings (an API key); `self.settings` holds the crawl's settings otherwise.
"""

from __future__ import annotations

import re
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

import orjson
from lxml import etree

from backlink_spider import settings as defaults
from backlink_spider.responses import BadGzip, BodyTooLarge, gunzip_at_most, mime_type
from backlink_spider.settingvalues import positive_int
from backlink_spider.target import Target
from backlink_spider.urls import absolute_url, canonical_url, http_url

# The sitemap protocol's own limit on an uncompressed sitemap; more than this from a small
# `.xml.gz` is a gzip bomb.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024

GZIP_MAGIC = b"\x1f\x8b"

SITEMAP = "sitemap"
SITEMAP_INDEX = "sitemapindex"
FEED = "feed"
HTML = "html"

_SNIFF_BYTES = 16 * 1024


class DiscoveryError(ValueError):
    """A seed document that must not be processed (a gzip bomb, a broken gzip file), or a search
    setting that cannot be used."""


# --- bodies ------------------------------------------------------------------------------------


def _too_big(url: str, limit: int) -> DiscoveryError:
    return DiscoveryError(
        f"{url}: more than {limit} bytes once decompressed; refused (a sitemap is at most 50 MB)"
    )


def _gunzip(body: bytes, url: str, limit: int) -> bytes:
    """Every gzip member of `body` decompressed, at most `limit` bytes (responses.gunzip_at_most:
    a truncated or corrupt tail keeps what came before it); a body that yields nothing at all is
    a DiscoveryError."""
    try:
        return gunzip_at_most(body, limit)
    except BodyTooLarge:
        raise _too_big(url, limit) from None
    except BadGzip as exc:
        raise DiscoveryError(f"{url}: not a valid gzip file ({exc})") from None


def decode_body(body: bytes, url: str, max_bytes: int = MAX_SITEMAP_BYTES) -> bytes:
    """The document in `body`: gunzipped when it starts with the gzip magic number; raises
    DiscoveryError when it is (or decompresses to) more than `max_bytes`."""
    if body[:2] == GZIP_MAGIC:
        return _gunzip(body, url, max_bytes)
    if len(body) > max_bytes:
        raise _too_big(url, max_bytes)
    return body


_BOM = b"\xef\xbb\xbf"


def _parse_xml(body: bytes, url: str) -> etree._Element | None:
    """Parse possibly broken XML without ever resolving entities or touching the network; None
    when nothing at all could be parsed."""
    body = body.lstrip()
    if body.startswith(_BOM):
        body = body[len(_BOM) :].lstrip()
    # A document cut short (a truncated download or gzip stream) may end in the middle of a
    # `<loc>`'s text: drop text that no tag follows, so no half URL is taken for a URL. (Text
    # followed by a cut tag, `https://a/3</lo`, is whole and kept.)
    end = body.rfind(b">") + 1
    cut_tag = body.find(b"<", end)
    body = body[: cut_tag if cut_tag >= 0 else end]
    if not body:
        return None
    parser = etree.XMLParser(
        recover=True,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        remove_comments=True,
        remove_pis=True,
        huge_tree=False,
    )
    try:
        return etree.fromstring(body, parser, base_url=url or None)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _local(tag: Any) -> str:
    """Local name of an element's tag, without its namespace; '' for comments and PIs."""
    if not isinstance(tag, str):
        return ""
    return tag.rpartition("}")[2]


class _Unique:
    """An ordered list of URLs without two of the same canonical form."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self._seen: set[str] = set()

    def add(self, url: str) -> None:
        key = canonical_url(url)
        if key not in self._seen:
            self._seen.add(key)
            self.urls.append(url)


# --- sitemaps ----------------------------------------------------------------------------------


def parse_sitemap(
    body: bytes, url: str, *, max_bytes: int = MAX_SITEMAP_BYTES, alternates: bool = False
) -> tuple[list[str], list[str]]:
    """(page URLs, nested sitemap URLs) of an XML sitemap or sitemap index, in document order,
    duplicates (by canonical URL) removed.

    A gzipped body is decompressed (at most `max_bytes`, else DiscoveryError). Broken XML gives
    what could be recovered, never an error. Only absolute http(s) `<loc>`s count: relative and
    invalid ones are dropped. With `alternates`, `<xhtml:link rel="alternate" href>` language
    versions of a page are pages too."""
    root = _parse_xml(decode_body(body, url, max_bytes), url)
    pages, sitemaps = _Unique(), _Unique()
    if root is None:
        return [], []
    for elem in root.iter():
        name = _local(elem.tag)
        if name not in ("url", "sitemap"):
            continue
        into = pages if name == "url" else sitemaps
        for child in elem:
            child_name = _local(child.tag)
            if child_name == "loc":
                loc = http_url(child.text)
                if loc:
                    into.add(loc)
            elif alternates and name == "url" and child_name == "link":
                href = http_url(child.get("href"))
                if href and child.get("rel", "alternate") == "alternate":
                    into.add(href)
    return pages.urls, sitemaps.urls


# --- feeds -------------------------------------------------------------------------------------

_RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def _item_link(item: etree._Element, url: str) -> str | None:
    base = item.base or url
    for child in item:
        if _local(child.tag) != "link":
            continue
        href = child.get("href")
        if href is not None:  # Atom: rel="alternate", or no rel at all
            if child.get("rel", "alternate").strip().lower() != "alternate":
                continue
            link = absolute_url(href, child.base or base)
        else:  # RSS: the URL is the element's text
            link = absolute_url(child.text or "", base)
        if link:
            return link
    for child in item:
        if _local(child.tag) == "guid":
            # RSS 2.0: a guid is a permalink unless isPermaLink="false"; a guid without the
            # attribute is only trusted when it is already an absolute http(s) URL.
            permalink = (child.get("isPermaLink") or "").strip().lower()
            if permalink == "true":
                link = absolute_url(child.text or "", base)
            elif permalink == "":
                link = http_url(child.text)
            else:
                link = None
            if link:
                return link
    return http_url(item.get(f"{{{_RDF_NS}}}about"))  # RSS 1.0


def parse_feed(body: bytes, url: str, *, max_bytes: int = MAX_SITEMAP_BYTES) -> list[str]:
    """Links of the items of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in feed order, resolved
    against the feed URL (and `xml:base`), http(s) only, duplicates removed.

    Atom: the entry's `<link rel="alternate" href>` or `<link href>`; RSS: the `<link>` text, else
    a permalink `<guid>`. A gzipped body is decompressed like a sitemap; broken XML gives what
    could be recovered."""
    root = _parse_xml(decode_body(body, url, max_bytes), url)
    if root is None:
        return []
    links = _Unique()
    for elem in root.iter():
        if _local(elem.tag) in ("item", "entry"):
            link = _item_link(elem, url)
            if link:
                links.add(link)
    return links.urls


# --- sniffing ----------------------------------------------------------------------------------

# The first start tag: skips the XML declaration, PIs, comments and a DOCTYPE before it.
_SKIP = re.compile(rb"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)", re.S | re.I)
_START_TAG = re.compile(rb"\s*<([A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)")

_ROOTS = {
    b"urlset": SITEMAP,
    b"sitemapindex": SITEMAP_INDEX,
    b"rss": FEED,
    b"feed": FEED,
    b"rdf": FEED,
    b"html": HTML,
}
_FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json")


def _root_name(head: bytes) -> bytes | None:
    if head.startswith(_BOM):
        head = head[len(_BOM) :]
    pos = 0
    while match := _SKIP.match(head, pos):
        if match.end() == pos:
            break
        pos = match.end()
    match = _START_TAG.match(head, pos)
    return match.group(2).lower() if match else None


_DOCUMENT_PATH = re.compile(r"(\.xml|\.xml\.gz|\.rss|\.atom|\.rdf|/feed/?|/rss/?|/atom/?)$", re.I)


def looks_like_seed_document(url: str) -> bool:
    """Whether a seed URL is probably a sitemap or a feed (by its path: `.xml`, `.xml.gz`,
    `.rss`, `/feed`, ...); such a seed is read statically whatever the render mode."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    return bool(_DOCUMENT_PATH.search(path)) or "sitemap" in path.lower()


def sniff_seed_document(body: bytes, content_type: str | bytes | None) -> str:
    """What a fetched seed is: "sitemap", "sitemapindex", "feed" or "html".

    The root element in the first bytes decides (gunzipping a gzipped body's first bytes), since
    servers often send sitemaps and feeds as text/html or text/plain; a feed content type decides
    when the root is not recognised; anything else is "html". `content_type` may be the raw
    header value (`response.headers.get("Content-Type")`, bytes) or None."""
    head = body[:_SNIFF_BYTES]
    if head[:2] == GZIP_MAGIC:
        try:
            head = zlib.decompressobj(wbits=31).decompress(body[: 4 * _SNIFF_BYTES], _SNIFF_BYTES)
        except zlib.error:
            head = b""
    root = _root_name(head)
    if root in _ROOTS:
        return _ROOTS[root]
    if mime_type(content_type) in _FEED_TYPES:
        return FEED
    return HTML


# --- search ------------------------------------------------------------------------------------


def load_json(body: bytes) -> Any:
    """The JSON value in `body`, or None when it is not JSON (an HTML error page, an empty body)."""
    try:
        return orjson.loads(body)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None


def _quote(term: str) -> str:
    return '"' + " ".join(term.replace('"', " ").split()) + '"'


class SearchProvider(ABC):
    """A search service that suggests pages mentioning the target.

    Subclasses implement `search_url` and `parse_results`; `queries` and `results_filter` have
    defaults that suit engines understanding `"phrase"` and `-site:`."""

    name: ClassVar[str] = ""
    # Words added to the brand to find discussions rather than just any page, in order of use.
    QUERY_VARIANTS: ClassVar[tuple[str, ...]] = ("forum", "review", "profile")

    def __init__(
        self,
        base_url: str,
        *,
        max_queries: int = defaults.SEARCH_MAX_QUERIES,
        pages: int = defaults.SEARCH_PAGES,
        max_results: int = defaults.SEARCH_MAX_RESULTS,
        settings: Any = None,
    ) -> None:
        self.base_url = base_url.strip().rstrip("/")
        self.max_queries = max_queries
        self.pages = pages
        self.max_results = max_results
        self.settings = settings

    @classmethod
    def from_settings(cls, settings: Any) -> SearchProvider:
        """The provider configured by SEARCH_URL, SEARCH_MAX_QUERIES, SEARCH_PAGES and
        SEARCH_MAX_RESULTS (see `provider_from_settings`, which validates them first)."""
        return cls(
            settings.get("SEARCH_URL") or "",
            max_queries=_positive(settings, "SEARCH_MAX_QUERIES"),
            pages=_positive(settings, "SEARCH_PAGES"),
            max_results=_positive(settings, "SEARCH_MAX_RESULTS"),
            settings=settings,
        )

    def queries(self, target: Target) -> list[str]:
        """At most `max_queries` queries for pages about the target but not on it: each brand
        term, then the domain, then each variant of each brand term (`"Brand" forum`)."""
        site = f"-site:{target.host}"
        brands = [_quote(term) for term in target.brand_terms if term.replace('"', "").strip()]
        candidates = [f"{brand} {site}" for brand in brands]
        candidates.append(f"{_quote(target.display_host)} {site}")
        candidates += [f"{brand} {variant} {site}" for brand in brands for variant in self.QUERY_VARIANTS]
        out: list[str] = []
        seen: set[str] = set()
        for query in candidates:
            if query.lower() not in seen:
                seen.add(query.lower())
                out.append(query)
        return out[: max(self.max_queries, 0)]

    def search_requests(self, target: Target) -> list[tuple[str, str, int]]:
        """(query, search URL, page) for every query and every page, page 1 of all queries first."""
        queries = self.queries(target)
        return [
            (query, self.search_url(query, page), page)
            for page in range(1, self.pages + 1)
            for query in queries
        ]

    @abstractmethod
    def search_url(self, query: str, page: int) -> str:
        """The URL that fetches result page `page` (1-based) for `query`."""

    @abstractmethod
    def parse_results(self, body: bytes) -> list[str]:
        """The result URLs in a response body, in rank order; [] for an error or unexpected body
        (never raises)."""

    def results_filter(self, urls: Iterable[str], target: Target, seen: set[str] | None = None) -> list[str]:
        """The results worth crawling: absolute http(s) URLs not on the target, each canonical URL
        once, at most `max_results`. Pass the same `seen` set for every response of a crawl to
        deduplicate and cap across responses (it is updated with the canonical URLs kept)."""
        seen = set() if seen is None else seen
        out: list[str] = []
        for raw in urls:
            if len(seen) >= self.max_results:
                break
            url = http_url(raw) if isinstance(raw, str) else None
            if url is None or target.owns(url):
                continue
            key = canonical_url(url)
            if key in seen:
                continue
            seen.add(key)
            out.append(url)
        return out


class SearxngProvider(SearchProvider):
    """A SearXNG instance's JSON API: `GET {SEARCH_URL}/search?q=...&format=json&pageno=N`.

    The instance must allow the JSON format (`search: formats: [html, json]` in its settings.yml;
    otherwise it answers 403). Results are `results[].url`; infoboxes, answers and suggestions
    are ignored."""

    name = "searxng"

    def search_url(self, query: str, page: int) -> str:
        base = self.base_url
        if not urlsplit(base).path.endswith("/search"):
            base += "/search"
        return f"{base}?{urlencode({'q': query, 'format': 'json', 'pageno': page})}"

    def parse_results(self, body: bytes) -> list[str]:
        data = load_json(body)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list):
            return []
        return [
            r["url"].strip()
            for r in results
            if isinstance(r, dict) and isinstance(r.get("url"), str) and r["url"].strip()
        ]


PROVIDERS: dict[str, type[SearchProvider]] = {"searxng": SearxngProvider}


def _positive(settings: Any, name: str) -> int:
    try:
        return positive_int(settings, name)
    except ValueError as exc:
        raise DiscoveryError(str(exc)) from None


def _provider_class(name: str) -> type[SearchProvider]:
    if name in PROVIDERS:
        return PROVIDERS[name]
    known = ", ".join(sorted(PROVIDERS))
    if "." not in name:
        raise DiscoveryError(
            f"SEARCH_PROVIDER={name!r}: unknown search provider "
            f"(known: {known}; or the dotted path of a SearchProvider subclass)"
        )
    from scrapy.utils.misc import load_object

    try:
        cls = load_object(name)
    except (ImportError, NameError, AttributeError, ValueError) as exc:
        raise DiscoveryError(f"SEARCH_PROVIDER={name!r}: cannot load it: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, SearchProvider)):
        raise DiscoveryError(f"SEARCH_PROVIDER={name!r}: not a SearchProvider subclass")
    if getattr(cls, "__abstractmethods__", None):
        missing = ", ".join(sorted(cls.__abstractmethods__))
        raise DiscoveryError(f"SEARCH_PROVIDER={name!r}: does not implement {missing}")
    return cls


def provider_from_settings(settings: Mapping[str, Any] | Any) -> SearchProvider | None:
    """The configured search provider, or None when SEARCH_URL is empty (search off).

    Raises DiscoveryError for an unknown provider, a SEARCH_URL that is not http(s), or a count
    setting that is not a whole number of at least 1."""
    base = str(settings.get("SEARCH_URL") or "").strip()
    if not base:
        return None
    if http_url(base) is None:
        raise DiscoveryError(f"SEARCH_URL={base!r}: expected the http(s) URL of the search service")
    name = str(settings.get("SEARCH_PROVIDER") or "").strip()
    cls = _provider_class(name)
    for setting in ("SEARCH_MAX_QUERIES", "SEARCH_PAGES", "SEARCH_MAX_RESULTS"):
        _positive(settings, setting)
    return cls.from_settings(settings)
