"""Record definitions: the single source of truth for what a crawl writes.

Every record is a dataclass; `type` names its dataset, and the first six fields are common to
all (`target` is the target's host).
The README's field table and the schema files are generated from / checked against these classes.
When a field changes, bump SCHEMA_VERSION.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime

from backlink_spider.urls import url_key

# 2: provenance, link_claim, summary discovery; 3: a lead per person, link_change, blocked;
# 4: competitors (role, main_target, gap), link quality, linked_domains, prospect
SCHEMA_VERSION = 4


# `role` of backlink and mention records: the crawl's target, or a competitor (-a competitors=)
TARGET_ROLE, COMPETITOR_ROLE = "target", "competitor"


def utc_now() -> str:
    """Current time, UTC, ISO 8601 with seconds and a `Z`."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_id(*identity: object) -> str:
    """Stable id of a record from the values that identify it (the same across crawls)."""
    text = "\x1f".join("" if part is None else str(part) for part in identity)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass(kw_only=True)
class Record:
    """Fields common to every record."""

    type: str = field(init=False, default="")
    """The record type, which names its dataset: `page`, `backlink`, `mention`, `lead`, `broken_link`, ..."""
    schema_version: int = field(init=False, default=SCHEMA_VERSION)
    """Bumped when a record's fields change."""
    record_id: str = ""
    """Stable hash of the record's identity (the same across crawls): use it to upsert."""
    crawl_id: str
    """The crawl that wrote it."""
    target: str = ""
    """The target's host, e.g. `brewbird.io` (on a competitor's backlink or mention: the competitor's host,
    see `role`)."""
    crawled_at: str
    """When the record was made: UTC, ISO 8601 (`2026-11-24T22:36:45.487698Z`)."""

    TYPE = ""

    def __post_init__(self) -> None:
        self.type = self.TYPE
        if not self.record_id:
            self.record_id = record_id(self.TYPE, *self.identity())

    def identity(self) -> tuple[object, ...]:
        """The values that make two records the same record."""
        raise NotImplementedError


@dataclass(kw_only=True)
class Page(Record):
    """One fetched page (also one that failed: then `error` says why)."""

    TYPE = "page"
    url: str
    """The page's URL (canonical: no fragment, no tracking parameters)."""
    status: int | None
    """HTTP status; null when nothing came back."""
    rendered: bool
    """True when the content came from Chromium."""
    title: str | None = None
    """The page title."""
    render_reason: str | None = None
    """Why it was rendered: `always`, or the reason of `render=auto` (README "Rendering"): a rule
    (`rule:always`), evidence on the page (`empty-app-root`, `noscript-requires-js`,
    `loading-placeholder`, `custom-elements`, `thin-text`, `spa:nextjs`, ...), a `sample`, or what
    samples taught (`site-learned`, `site-remembered`, `platform-learned:hugo`, ...)."""
    render_failed: bool = False
    """Chromium failed on the page (time budget `RENDER_PAGE_BUDGET_MS` spent, browser crash, navigation
    error): the static page was used instead."""
    render_error: str | None = None
    """Why Chromium failed on the page (see `render_failed`)."""
    error: str | None = None
    """Why the page has no content: `HTTP 404`, `Forbidden by robots.txt`, a connection error, `not HTML:
    application/pdf`, ..."""
    final_url: str | None = None
    """Where redirects ended, when not `url`."""
    depth: int = 0
    """Link hops from a seed."""
    canonical_url: str | None = None
    """From `<link rel=canonical>`."""
    lang: str | None = None
    """From `<html lang>`."""
    meta_robots: str | None = None
    """Robots directives of the page (`<meta name=robots>`)."""
    x_robots_tag: str | None = None
    """Robots directives of its response header (`X-Robots-Tag`)."""
    indexable: bool = True
    """False on `noindex` (or `none`) in `meta_robots` or `x_robots_tag`."""
    follow: bool = True
    """False on `nofollow` (or `none`) in `meta_robots` or `x_robots_tag`."""
    outbound_links: int = 0
    """Links on the page: all of them."""
    external_links: int = 0
    """Links on the page to other sites."""
    internal_links: int = 0
    """Links on the page to its own site."""
    source_type: str = "other"
    """`forum_thread`, `blog_post`, `blog_comment`, `directory`, `social_profile`, `news_article`, `qna`,
    `wiki` or `other`."""
    evidence: list[str] = field(default_factory=list)
    """What decided `source_type`: `schema:DiscussionForumPosting`, `generator:discourse`, `markup:phpbb`,
    `comments:disqus`, `url:forum_thread`, ..."""
    backlinks: int = 0
    """How many backlinks the page has."""
    mentions: int = 0
    """How many mentions the page has."""
    blocked: str | None = None
    """A bot challenge, login wall or consent wall served instead of the page: `cloudflare`, `akamai`,
    `datadome`, `perimeterx`, `imperva`, `captcha`, `login`, `consent` (never evidence that a link is gone).
    """
    blocked_evidence: list[str] = field(default_factory=list)
    """What showed `blocked`: `header cf-mitigated: challenge`, `title 'Just a moment...'`, `element
    #px-captcha`, ..."""
    discovered_by: str | None = None
    """How the crawl came to the page: `seed`, `sitemap`, `feed`, `export:<vendor>`, a discovery source's name
    (`wikipedia`, `hackernews`, ...) or `link` (followed from another crawled page)."""
    discovered_via: str | None = None
    """The query the source was asked, the sitemap, feed or export file, or the parent page's URL."""
    domain: str = ""
    """The page's registrable domain (a node of the warehouse's domain link graph)."""
    linked_domains: list[str] = field(default_factory=list)
    """Registrable domains other than its own that the page gives a followed, visible link (no
    nofollow, ugc or sponsored; none on a `nofollow` page), sorted; at most LINKED_DOMAINS_MAX, the
    most-linked kept: the edges of the warehouse's `domain_links` graph."""

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.url),)


@dataclass(kw_only=True)
class Backlink(Record):
    """One link element on a crawled page that points at the target."""

    TYPE = "backlink"
    source_url: str
    """The linking page."""
    target_url: str
    """Where the link points (for a wrapped link: the unwrapped destination)."""
    anchor_text: str
    """The link's text, whitespace collapsed (empty for an image link)."""
    rel: list[str]
    """The rel tokens, lower case, in order."""
    nofollow: bool = False
    """`rel` has `nofollow`."""
    ugc: bool = False
    """`rel` has `ugc`."""
    sponsored: bool = False
    """`rel` has `sponsored`."""
    source_domain: str = ""
    """The linking page's registrable domain."""
    target_domain: str = ""
    """The host of `target_url`."""
    link_type: str = "text"
    """`text`, `image` (an image and no text) or `redirect` (wrapped in a redirector)."""
    image_alt: str | None = None
    """Alt text of an image link."""
    wrapper_url: str | None = None
    """The redirector URL as written (`google.com/url?q=`, `l.facebook.com/l.php?u=`, `out.reddit.com`,
    `href.li`, `?url=` on any site, ...)."""
    position: str = "content"
    """`content`, `comment`, `nav`, `header`, `footer`, `sidebar`, `profile` (a profile's bio or links area)
    or `share` (share and follow buttons)."""
    hidden: bool = False
    """True when a reader cannot see the link (computed style when rendered; `hidden`, inline
    `display:none`/`visibility:hidden` and off-screen styles when not)."""
    context: str = ""
    """The words around the link within its text block."""
    rendered: bool = False
    """True when found in the rendered DOM."""
    target_status: int | None = None
    """The HTTP status of `target_url` when checked (once per crawl)."""
    target_error: str | None = None
    """Why the check of `target_url` failed."""
    reclaim: bool = False
    """The link points at a dead page of the target (404/410): fix it with a redirect, or ask the linking site
    to update it."""
    discovered_by: str | None = None
    """As on the page record: how the crawl came to the linking page."""
    title: str | None = None
    """The linking page's title (as on its page record: a warehouse user need not join for it)."""
    indexable: bool = True
    """The linking page may be indexed by search engines (no `noindex`), as on its page record."""
    source_type: str = "other"
    """The linking page's type (`forum_thread`, `blog_post`, ...), as on its page record."""
    quality: int = 0
    """How much the link is worth, 0-100: see the README's "Link quality" (weights in
    LINK_QUALITY_WEIGHTS)."""
    quality_reasons: list[str] = field(default_factory=list)
    """Why: each signal with its signed points (`followed +20`, `footer -15`, `nofollow comment link
    -25`); a signal that could not be judged says so (`... (not scored)`)."""

    role: str = TARGET_ROLE
    """`target` (a link to the crawl's target) or `competitor` (a link to a competitor given with
    `-a competitors=`; then `target` is the competitor's host)."""
    main_target: str = ""
    """The crawl's target (`-a target=`), whatever the `role`."""

    def __post_init__(self) -> None:
        self.main_target = self.main_target or self.target
        super().__post_init__()

    def identity(self) -> tuple[object, ...]:
        # (a competitor's record also names the crawl's target: the same link seen by a crawl of
        # the competitor itself is that crawl's target record, another record)
        return (url_key(self.source_url), url_key(self.target_url), self.anchor_text, self.position) + (
            (self.main_target,) if self.role == COMPETITOR_ROLE else ()
        )


@dataclass(kw_only=True)
class Mention(Record):
    """One occurrence of a brand term in a page's visible text."""

    TYPE = "mention"
    source_url: str
    """The page."""
    term: str
    """The brand term that matched."""
    matched_text: str
    """The text as written on the page."""
    snippet: str
    """The words around it."""
    form: str = "name"
    """`name`, or for the domain term: `domain`, `email` (inside an address) or `url` (inside a plain-text
    URL)."""
    position: str = "content"
    """Where on the page, as for backlinks: `content`, `comment`, `nav`, `header`, `footer`, `sidebar`,
    `profile` or `share`."""
    linked: bool = False
    """This occurrence sits inside a link to the target."""
    unlinked: bool = True
    """The page has no link to the target other than share or follow buttons: an outreach lead."""
    occurrence: int = 0
    """1, 2, ... for the same term on the same page."""
    discovered_by: str | None = None
    """As on the page record: how the crawl came to the page."""
    role: str = TARGET_ROLE
    """`target` (the crawl's target's brand) or `competitor` (a competitor's brand, `-a competitors=`; then
    `target` is the competitor's host, and `linked` / `unlinked` are about links to the competitor)."""
    main_target: str = ""
    """The crawl's target (`-a target=`), whatever the `role`."""

    def __post_init__(self) -> None:
        self.main_target = self.main_target or self.target
        super().__post_init__()

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), self.term.lower(), self.occurrence) + (
            (self.main_target,) if self.role == COMPETITOR_ROLE else ()
        )


@dataclass(kw_only=True)
class Lead(Record):
    """An outreach lead: a page that names the brand without linking to the target, one per person who
    wrote the mentioning text on it."""

    TYPE = "lead"
    source_url: str
    """The page."""
    source_domain: str
    """The page's registrable domain."""
    title: str | None = None
    """The page title."""
    author: str | None = None
    """The person who wrote the text naming the brand: the post or comment author, the profile owner,
    else the page's author (meta author, schema.org author, `rel=author`, a byline)."""
    author_url: str | None = None
    """The author's profile on the page's site or a social network (a forum member page, the profile)."""
    author_website: str | None = None
    """The author's own website, when the page gives one (a comment author's URL, a profile's rel=me link)."""
    mention_date: str | None = None
    """When the mentioning post or comment (or the article) was published, ISO 8601: `2026-03-14`, or
    `2026-03-14T09:30:00Z` (a time with a zone, in UTC), or `2026-03-14T09:30:00` (the site's local
    time, the page giving no zone); null when the page gives no absolute date ("3 days ago")."""
    emails: list[str] = field(default_factory=list)
    """`mailto:` links and addresses in text, also obfuscated (`name [at] site [dot] com`); the target's own
    addresses are left out."""
    contact_url: str | None = None
    """The site's contact page (else its about page) when the page links it."""
    social_profiles: list[str] = field(default_factory=list)
    """The site's own social profiles (linked from header, footer, sidebar or nav; share buttons excluded)."""
    snippet: str = ""
    """The best mention's words, for the first line of an e-mail."""
    mentions: int = 0
    """How many mentions the page has."""
    source_type: str = "other"
    """The page's `source_type`, as on the page record."""

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), (self.author or "").lower())


@dataclass(kw_only=True)
class Gap(Record):
    """A gap lead: a crawled page that links to one or more competitors (`-a competitors=`) but not to the
    target (`target`), with the page's contacts; one per page."""

    TYPE = "gap"
    source_url: str
    """The page."""
    source_domain: str
    """The page's registrable domain."""
    title: str | None = None
    """The page title."""
    competitors: list[str] = field(default_factory=list)
    """The competitors' hosts the page links to, in the order of their first link."""
    competitor_links: int = 0
    """How many links to competitors the page has (share and follow buttons left out)."""
    followed: bool = False
    """At least one of those links has no nofollow, ugc or sponsored."""
    emails: list[str] = field(default_factory=list)
    """As on lead records: the page's contact addresses (the target's and the competitors' left out)."""
    contact_url: str | None = None
    """The site's contact page (else its about page) when the page links it."""
    social_profiles: list[str] = field(default_factory=list)
    """The site's own social profiles (as on lead records)."""
    source_type: str = "other"
    """The page's `source_type`, as on the page record."""
    indexable: bool = True
    """The page may be indexed by search engines, as on its page record."""
    discovered_by: str | None = None
    """As on the page record: how the crawl came to the page."""

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url),)


@dataclass(kw_only=True)
class BrokenLink(Record):
    """A dead outbound link on a crawled page (one per page and dead URL)."""

    TYPE = "broken_link"
    source_url: str
    """The page carrying the dead link."""
    broken_url: str
    """The dead link (canonical form)."""
    anchor_text: str
    """Its anchor text."""
    status: int | None = None
    """The HTTP status (404, 410, 5xx); null on a network failure."""
    error: str | None = None
    """The network failure: `DNS failure`, `connection refused`, `timeout`, `TLS error`, `connection lost`."""
    checked_at: str
    """When it was checked."""
    to_target: bool = False
    """The dead link points at the target itself (a reclaim case)."""
    suggested_replacement: str | None = None
    """The target's page that best matches the dead link's anchor text and URL words (TF-IDF over the target
    pages' titles, URLs and main text), when the target's pages are known."""
    suggestion_score: float | None = None
    """How well `suggested_replacement` matches, 0-1."""

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), url_key(self.broken_url))


@dataclass(kw_only=True)
class LinkStatus(Record):
    """A known backlink re-checked by the `recheck` spider: live, changed, lost, unverified (or new)."""

    TYPE = "link_status"
    source_url: str
    """The known link's page."""
    target_url: str
    """Where the known link points."""
    status: str  # live | changed | lost (with evidence) | unverified (could not be judged: reason) | new
    """`live`; `lost` (page gone, or link removed); `changed` (rel, anchor or exact target changed); `new` (a
    link to the target the page has gained); `unverified` (the page could not be judged this run)."""
    reason: str | None = None
    """`link removed`, `page gone: HTTP 404`, `rel changed`, `anchor and rel changed`, `link added`, ..."""
    page_status: int | None = None
    """The page's HTTP status now (null when it could not be fetched)."""
    before: dict | None = None  # {"anchor_text", "rel", "target_url"} as last seen
    """`{"anchor_text", "rel", "target_url"}` as last seen."""
    after: dict | None = None  # the same, as seen now
    """`{"anchor_text", "rel", "target_url"}` as seen now."""
    previous_crawl_id: str | None = None
    """The crawl the link was last seen in."""
    unverified_runs: int = 0
    """For an `unverified` link: how many rechecks in a row (this one included) could not judge it;
    from RECHECK_UNVERIFIED_WARN on, the crawl warns: look at the page by hand."""

    def identity(self) -> tuple[object, ...]:
        anchor = (self.before or self.after or {}).get("anchor_text")
        return (url_key(self.source_url), url_key(self.target_url), anchor)


@dataclass(kw_only=True)
class Summary(Record):
    """One per crawl, written when it ends: the numbers a marketer reads first."""

    TYPE = "summary"
    spider: str
    """The spider that ran: `mentions` or `recheck`."""
    worker: str = ""  # host:pid: in a distributed crawl every process writes its own summary
    """`host:pid`: in a distributed crawl every process writes its own summary."""
    started_at: str
    """When the crawl started (a resumed crawl: when its first run started)."""
    finish_reason: str
    """Scrapy's finish reason: `finished`, `shutdown`, `closespider_timeout`, ..."""
    partial: bool = False
    """The crawl did not look at everything it was asked to (capped, stopped early, nothing fetched): its
    comparisons lose no link it did not look at."""
    partial_reasons: list[str] = field(default_factory=list)
    """Why it is partial: `capped by MAX_PAGES: N pages not fetched`, `stopped early (shutdown)`, `no page
    could be fetched`."""
    pages: int = 0
    """Pages the crawl tried to fetch."""
    rendered_pages: int = 0
    """Pages whose content came from Chromium."""
    errors: int = 0
    """Pages with an `error` (no content)."""
    blocked_pages: int = 0
    """Pages served as a bot challenge, login wall or consent wall (`blocked` on their page record)."""
    backlinks: int = 0
    """Backlinks found."""
    referring_domains: int = 0
    """Registrable domains with at least one backlink."""
    followed_share: float = 0.0
    """Share of backlinks without nofollow, ugc or sponsored, 0-1."""
    mentions: int = 0
    """Brand mentions found."""
    unlinked_mention_pages: int = 0
    """Pages with an unlinked mention."""
    leads: int = 0
    """Outreach leads written."""
    broken_links: int = 0
    """Broken-link records written."""
    reclaim: int = 0
    """Backlinks pointing at a dead page of the target."""
    link_status: dict | None = None  # recheck runs: {"live": n, "lost": n, ...}
    """Recheck runs: `link_status` records per status (`{"live": n, "lost": n, ...}`)."""
    report: str | None = None  # path of the HTML report
    """Path (or URI) of the HTML report."""
    discovery: dict | None = None
    """Per discovery source: `requests`, `queries`, `candidates`, `pages`, `pages_with_backlinks`,
    `pages_with_mentions`, `failures` (the report's "Where we looked")."""
    claims: dict | None = None
    """Crawls of a vendor export: its claimed links per status (`{"verified": n, "changed": n, ...}`)."""
    arguments: dict | None = None
    """What the crawl was asked: target, brand terms, brand case, exclusions, context words, how many
    seeds and of what kind, depth, render mode, the discovery sources that ran, since, max pages,
    competitors (host: brand terms)."""
    competitors: dict | None = None
    """Crawls with `-a competitors=`: per competitor host, `backlinks`, `referring_domains`, `mentions` and
    `gap_pages` (the other counts are the target's only)."""

    def identity(self) -> tuple[object, ...]:
        return (self.crawl_id, self.worker)


@dataclass(kw_only=True)
class LinkClaim(Record):
    """A backlink a vendor's export claims (`-a seeds=EXPORT`), checked on the live page: one per
    claimed link. `status`: verified | changed | not_found | page_gone | unverified (see claims.py)."""

    TYPE = "link_claim"
    vendor: str
    """`ahrefs`, `semrush`, `majestic`, `moz`, `gsc_links` or `gsc_sites`."""
    source_url: str
    """The claimed linking page."""
    target_url: str | None = None
    """Where the claimed link points (null for Search Console, which names linking pages only)."""
    claimed_anchor: str | None = None
    """The anchor as the export states it (null: the export does not say)."""
    claimed_nofollow: bool | None = None
    """Nofollow as the export states it (null: the export does not say)."""
    claimed_ugc: bool | None = None
    """UGC as the export states it (null: the export does not say)."""
    claimed_sponsored: bool | None = None
    """Sponsored as the export states it (null: the export does not say)."""
    first_seen: str | None = None
    """The vendor's first-seen date (ISO)."""
    last_seen: str | None = None
    """The vendor's last-seen date (ISO)."""
    status: str
    """`verified`, `changed` (anchor, a rel flag or the exact target differs), `not_found` (no link to the
    target), `page_gone` (404/410) or `unverified` (not judged this run)."""
    reason: str | None = None
    """What differs (`anchor differs, nofollow added`), or why it could not be judged."""
    found_target_url: str | None = None
    """Where the link the crawl saw points."""
    found_anchor: str | None = None
    """The anchor the crawl saw."""
    found_rel: list[str] = field(default_factory=list)
    """The rel tokens the crawl saw."""
    page_status: int | None = None
    """The page's HTTP status."""
    export_line: int = 0
    """The row's line in the export file."""

    def identity(self) -> tuple[object, ...]:
        target = url_key(self.target_url) if self.target_url else ""
        return (self.vendor, url_key(self.source_url), target, self.claimed_anchor or "")


@dataclass(kw_only=True)
class LinkChange(Record):
    """A backlink gained, lost or changed since the previous complete crawl of the target, as the
    crawl computed it at its end (linkdiff.py, the project's one definition of "changed"); the
    warehouse's `link_changes` view reads these, so the report and the warehouse agree."""

    TYPE = "link_change"
    previous_crawl_id: str
    """The previous complete crawl of the target this crawl is compared with."""
    change: str  # new | lost | changed | not_checked (its page was not judged this crawl)
    """`new`, `lost`, `changed`, or `not_checked` (its page was not judged this crawl)."""
    source_url: str
    """The linking page."""
    target_url: str
    """Where the link points."""
    anchor_text: str = ""
    """The link's anchor text."""
    before: dict | None = None  # {"anchor_text", "rel"} as last seen (changed links)
    """`{"anchor_text", "rel"}` as last seen (changed links)."""
    after: dict | None = None  # and as seen now
    """`{"anchor_text", "rel"}` as seen now (changed links)."""
    changes: list[str] = field(default_factory=list)  # anchor_text, rel, target_url
    """What changed: `anchor_text`, `rel`, `target_url`."""

    def identity(self) -> tuple[object, ...]:
        return (
            self.previous_crawl_id,
            self.change,
            url_key(self.source_url),
            url_key(self.target_url),
            self.anchor_text,
        )


@dataclass(kw_only=True)
class Prospect(Record):
    """A page that invites a link: a "write for us" page, a resource page or a roundup, found on a
    crawled page by extract/prospects.py (one per page)."""

    TYPE = "prospect"
    source_url: str
    """The page."""
    source_domain: str
    """The page's registrable domain."""
    kind: str
    """`write_for_us` (an invitation to contribute), `resource_page` (a links page) or `roundup` (a
    "best of" list naming several brands)."""
    evidence: list[str] = field(default_factory=list)
    """What decided `kind`: `title: Write for us`, `url: write-for-us`, `text: guest post, guidelines`,
    `form: submission`, `links: 9 sites in content`, `names: brewbird.io, kettlecraft.com`."""
    niche_relevance: float | None = None
    """How much the page is about the target's niche, 0-1 (its words against the target's own indexed
    pages); null when no page of the target was indexed (e.g. `-a check_links=false`)."""
    title: str | None = None
    """The page title."""
    links_to_target: bool = False
    """The page already links to the target (share buttons aside)."""
    competitors: list[str] = field(default_factory=list)
    """The competitors (`-a competitors=`) it links to or names, by host."""
    emails: list[str] = field(default_factory=list)
    """E-mail addresses on the page, as on a lead (the target's own left out)."""
    contact_url: str | None = None
    """The site's contact page (else its about page) when the page links it."""
    social_profiles: list[str] = field(default_factory=list)
    """The site's own social profiles, as on a lead."""
    source_type: str = "other"
    """The page's `source_type`, as on the page record."""
    discovered_by: str | None = None
    """As on the page record: how the crawl came to the page."""

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url),)


RECORD_TYPES: dict[str, type[Record]] = {
    cls.TYPE: cls
    for cls in (
        Page,
        Backlink,
        Mention,
        Lead,
        Gap,
        BrokenLink,
        LinkStatus,
        LinkClaim,
        LinkChange,
        Summary,
        Prospect,
    )
}


def field_names(cls: type[Record]) -> list[str]:
    """Output field names of a record class, in order."""
    return [f.name for f in fields(cls)]
