"""Page signals from the document head and markup: title, canonical, robots, language, and the
kind of page (forum thread, blog post, ...) with the evidence that decided it."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import orjson
from lxml import etree

from backlink_spider.extract.dom import xpath

SOURCE_TYPES = (
    "forum_thread",
    "blog_post",
    "blog_comment",
    "directory",
    "social_profile",
    "news_article",
    "qna",
    "wiki",
    "other",
)


@dataclass
class HeadSignals:
    title: str | None = None
    canonical_url: str | None = None
    meta_robots: str | None = None
    lang: str | None = None
    generator: str | None = None
    author: str | None = None
    schema_types: list[str] = field(default_factory=list)
    og_type: str | None = None


def _first(root: etree._Element, expression: str) -> str | None:
    found = xpath(root, expression)
    if not found:
        return None
    value = found[0] if isinstance(found[0], str) else found[0].text_content()
    value = " ".join(str(value).split())
    return value or None


def head_signals(root: etree._Element | None, base_url: str) -> HeadSignals:
    """Read the head of a parsed page (robots directives of all `robots`/`googlebot` metas joined)."""
    signals = HeadSignals()
    if root is None:
        return signals
    signals.title = _first(root, "//title")
    canonical = _first(
        root,
        "//link[contains(concat(' ', normalize-space(translate(@rel,"
        "'CANOIL','canoil')), ' '), ' canonical ')]/@href",
    )
    if canonical:
        signals.canonical_url = urljoin(base_url, canonical)
    robots = [
        " ".join(v.split()).lower()
        for v in xpath(
            root,
            "//meta[translate(@name,'ROBTSGOLE','robtsgole')='robots' or "
            "translate(@name,'ROBTSGOLE','robtsgole')='googlebot']/@content",
        )
    ]
    signals.meta_robots = ", ".join(r for r in robots if r) or None
    signals.lang = _first(root, "/html/@lang") or _first(
        root, "//meta[@http-equiv='content-language']/@content"
    )
    signals.generator = _first(root, "//meta[translate(@name,'GENERATOR','generator')='generator']/@content")
    signals.og_type = _first(root, "//meta[@property='og:type']/@content")
    signals.author = _first(root, "//meta[@name='author']/@content")
    signals.schema_types = schema_types(root)
    return signals


def jsonld_objects(root: etree._Element, skip: tuple[str, ...] = ()) -> Iterator[dict]:
    """Every JSON-LD object of the page, outermost first (the values of `skip` keys not entered).
    Malformed JSON-LD is passed over."""
    for script in xpath(root, "//script[@type='application/ld+json']"):
        try:
            data = orjson.loads((script.text or "").strip() or "null")
        except orjson.JSONDecodeError:
            continue
        queue = deque([data])
        while queue:
            node = queue.popleft()
            if isinstance(node, list):
                queue.extend(node)
            elif isinstance(node, dict):
                yield node
                queue.extend(v for k, v in node.items() if k not in skip and isinstance(v, dict | list))


def schema_types(root: etree._Element) -> list[str]:
    """schema.org types the page declares, from microdata `itemtype` and JSON-LD `@type`."""
    found: list[str] = []
    for itemtype in xpath(root, "//@itemtype"):
        for url in str(itemtype).split():
            found.append(url.rstrip("/").rsplit("/", 1)[-1])
    for node in jsonld_objects(root):
        kind = node.get("@type")
        for t in kind if isinstance(kind, list) else [kind]:
            if isinstance(t, str):
                found.append(t.rsplit("/", 1)[-1])
    return list(dict.fromkeys(found))


_VALUED_DIRECTIVES = frozenset({"max-snippet", "max-image-preview", "max-video-preview", "unavailable_after"})
# Agents whose X-Robots-Tag directives decide indexability: search engines' common denominator.
_OUR_AGENTS = frozenset({"googlebot", "bingbot", "*", "robots"})


def robots_flags(meta_robots: str | None, x_robots_tag: str | None) -> tuple[bool, bool]:
    """(indexable, follow) from the meta robots and X-Robots-Tag directives.

    X-Robots-Tag values scoped to another bot (`otherbot: noindex`) are ignored.
    """
    directives: set[str] = set()
    for value in (meta_robots, x_robots_tag):
        for part in (value or "").lower().split(","):
            name, scoped, rest = part.partition(":")
            name = name.strip()
            if scoped and name not in _VALUED_DIRECTIVES:
                if name not in _OUR_AGENTS:
                    continue  # a directive for another crawler
                part = rest
            directives.add(part.strip())
    indexable = not ({"noindex", "none"} & directives)
    follow = not ({"nofollow", "none"} & directives)
    return indexable, follow


# --- source type --------------------------------------------------------------------------------

_GENERATORS = (
    (re.compile(r"discourse", re.I), "forum_thread", "generator:discourse"),
    (re.compile(r"phpbb", re.I), "forum_thread", "generator:phpbb"),
    (re.compile(r"vbulletin", re.I), "forum_thread", "generator:vbulletin"),
    (re.compile(r"xenforo", re.I), "forum_thread", "generator:xenforo"),
    (re.compile(r"mybb|smf|simple machines|invision|nodebb|flarum", re.I), "forum_thread", "generator:forum"),
    (re.compile(r"mediawiki|dokuwiki|confluence", re.I), "wiki", "generator:wiki"),
    (
        re.compile(r"wordpress|ghost|blogger|hugo|jekyll|medium|substack|typepad|hexo", re.I),
        "blog_post",
        "generator:blog",
    ),
)
_SCHEMA = (
    ("DiscussionForumPosting", "forum_thread"),
    ("QAPage", "qna"),
    ("Question", "qna"),
    ("ProfilePage", "social_profile"),
    ("NewsArticle", "news_article"),
    ("ReportageNewsArticle", "news_article"),
    ("AnalysisNewsArticle", "news_article"),
    ("BlogPosting", "blog_post"),
    ("ItemList", "directory"),
    ("CollectionPage", "directory"),
)
_MARKUP = (
    ("//*[@id='disqus_thread']", "comments:disqus"),
    (
        "//*[contains(concat(' ', @class, ' '), ' comment-list ') or contains(concat(' ', @class, ' '),"
        " ' commentlist ') or @id='comments']",
        "comments:wordpress",
    ),
)
_FORUM_MARKUP = (
    ("//*[contains(@class, 'topic-post') or contains(@class, 'topic-body')]", "markup:discourse"),
    ("//*[contains(concat(' ', @class, ' '), ' postbody ') or contains(@class, 'phpbb')]", "markup:phpbb"),
    (
        "//*[contains(@class, 'postbitlegacy') or contains(@id, 'vbulletin')"
        " or starts-with(@id, 'post_message_')]",
        "markup:vbulletin",
    ),
    (
        "//*[contains(@class, 'message--post') or contains(@class, 'block-body js-replyNewMessageContainer')"
        " or contains(@data-template, 'thread_view')]",
        "markup:xenforo",
    ),
)
# One pass over the page instead of one per forum engine (most pages are not forum threads).
_ANY_FORUM_MARKUP = "(" + " | ".join(expression for expression, _ in _FORUM_MARKUP) + ")[1]"
# Platforms known by their host: (host suffix, path pattern, source type).
_PLATFORMS = (
    ("medium.com", re.compile(r"^/"), "blog_post"),
    ("substack.com", re.compile(r"^/p/"), "blog_post"),
    ("ghost.io", re.compile(r"^/"), "blog_post"),
    ("wordpress.com", re.compile(r"^/\d{4}/"), "blog_post"),
    ("blogspot.com", re.compile(r"^/\d{4}/"), "blog_post"),
    ("reddit.com", re.compile(r"/comments/"), "forum_thread"),
    ("news.ycombinator.com", re.compile(r"^/item"), "forum_thread"),
    ("stackoverflow.com", re.compile(r"^/questions/\d+"), "qna"),
    ("stackexchange.com", re.compile(r"^/questions/\d+"), "qna"),
    ("quora.com", re.compile(r"^/"), "qna"),
    ("wikipedia.org", re.compile(r"^/wiki/"), "wiki"),
    ("fandom.com", re.compile(r"^/wiki/"), "wiki"),
    ("github.com", re.compile(r"^/[\w.-]+/?$"), "social_profile"),
    ("twitter.com", re.compile(r"^/\w+/?$"), "social_profile"),
    ("x.com", re.compile(r"^/\w+/?$"), "social_profile"),
    ("linktr.ee", re.compile(r"^/[\w.-]+/?$"), "social_profile"),
    ("bsky.app", re.compile(r"^/profile/"), "social_profile"),
    ("linkedin.com", re.compile(r"^/in/"), "social_profile"),
    ("instagram.com", re.compile(r"^/[\w.]+/?$"), "social_profile"),
    ("youtube.com", re.compile(r"^/(@|c/|channel/)"), "social_profile"),
)
_URL_PATTERNS = (
    (
        re.compile(
            r"/(t|topic|topics|thread|threads|forum|forums|viewtopic\.php|showthread\.php|"
            r"community|discussion|discussions)(/|$|\?|\.)",
            re.I,
        ),
        "forum_thread",
    ),
    (re.compile(r"/(questions|q|answers)/\d+", re.I), "qna"),
    (re.compile(r"/(wiki)/", re.I), "wiki"),
    (re.compile(r"^/(@[\w.-]+|u|user|users|profile|people|in)(/|$)", re.I), "social_profile"),
    (
        re.compile(
            r"/(directory|listings?|catalog|companies|tools|best-[\w-]+|[\w-]*alternatives|providers|biz|"
            r"awesome-[\w-]+)(/|$)",
            re.I,
        ),
        "directory",
    ),
    (re.compile(r"/(news|press)/|/\d{4}/\d{2}/\d{2}/", re.I), "news_article"),
    (re.compile(r"/(blog|posts?)/|/\d{4}/\d{2}/[\w-]+", re.I), "blog_post"),
)


def classify_source(
    root: etree._Element | None, url: str, signals: HeadSignals, mention_positions: set[str]
) -> tuple[str, list[str]]:
    """The kind of page and the evidence, strongest evidence first.

    `mention_positions`: positions of the target's links and brand mentions on the page; a blog
    post whose only mentions are in its comments is a `blog_comment` source.
    """
    evidence: list[str] = []
    kind: str | None = None

    def decide(candidate: str, why: str) -> None:
        nonlocal kind
        evidence.append(why)
        if kind is None:
            kind = candidate

    types = set(signals.schema_types)
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    # A platform known by its host beats the schema it declares (Medium and Substack posts say
    # NewsArticle; they are blog posts).
    for suffix, pattern, candidate in _PLATFORMS:
        if (host == suffix or host.endswith("." + suffix)) and pattern.search(parts.path or "/"):
            decide(candidate, f"platform:{suffix}")
            break
    for schema, candidate in _SCHEMA:
        if schema in types:
            decide(candidate, f"schema:{schema}")
    # The generator names the platform, not the page: a forum's FAQ is not a thread. It decides
    # only together with page-level evidence (a comment section, or the URL shape agreeing).
    platform: str | None = None
    if signals.generator:
        for pattern, candidate, why in _GENERATORS:
            if pattern.search(signals.generator):
                evidence.append(why)
                platform = candidate
                break
    if root is not None and kind is None and xpath(root, _ANY_FORUM_MARKUP):
        for expression, why in _FORUM_MARKUP:
            if xpath(root, expression):
                decide("forum_thread", why)
                break
    # a comment section matters for blogs only (blog_post vs blog_comment, or a blog platform)
    has_comments = False
    if root is not None and (kind == "blog_post" or (kind is None and platform is not None)):
        for expression, why in _MARKUP:
            if xpath(root, expression):
                evidence.append(why)
                has_comments = True
                break
    if signals.og_type == "profile":
        decide("social_profile", "og:profile")
    url_kind = None
    for pattern, candidate in _URL_PATTERNS:
        if pattern.search(parts.path or "/"):
            url_kind = candidate
            break
    if kind is None and platform is not None:
        has_article = root is not None and bool(xpath(root, "//article"))
        if (
            platform == "wiki"  # every page of a wiki engine is a wiki page
            or has_comments
            or url_kind == platform
            or (platform == "blog_post" and has_article)
        ):
            kind = platform
    if url_kind is not None:
        decide(url_kind, f"url:{url_kind}")
    kind = kind or "other"
    if kind == "blog_post" and has_comments and mention_positions and mention_positions <= {"comment"}:
        kind = "blog_comment"
        evidence.insert(0, "mentions-only-in-comments")
    return kind, evidence
