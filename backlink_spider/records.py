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

SCHEMA_VERSION = 2  # 2: discovered_by/via, link_claim, summary discovery/claims


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
    schema_version: int = field(init=False, default=SCHEMA_VERSION)
    record_id: str = ""
    crawl_id: str
    target: str = ""
    crawled_at: str

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
    status: int | None
    rendered: bool
    title: str | None = None
    render_reason: str | None = None
    render_failed: bool = False
    render_error: str | None = None
    error: str | None = None
    final_url: str | None = None
    depth: int = 0
    canonical_url: str | None = None
    lang: str | None = None
    meta_robots: str | None = None
    x_robots_tag: str | None = None
    indexable: bool = True
    follow: bool = True
    outbound_links: int = 0
    external_links: int = 0
    internal_links: int = 0
    source_type: str = "other"
    evidence: list[str] = field(default_factory=list)
    backlinks: int = 0
    mentions: int = 0
    # a bot challenge, login wall or consent wall served instead of the page (extract/blocked.py):
    # cloudflare, akamai, datadome, perimeterx, imperva, captcha, login, consent; and what showed it
    blocked: str | None = None
    blocked_evidence: list[str] = field(default_factory=list)
    # how the crawl came to the page: seed, sitemap, feed, export:<vendor>, a discovery source's
    # name (wikipedia, hackernews, ...) or link; and the query, sitemap/feed or parent page URL
    discovered_by: str | None = None
    discovered_via: str | None = None

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.url),)


@dataclass(kw_only=True)
class Backlink(Record):
    """One link element on a crawled page that points at the target."""

    TYPE = "backlink"
    source_url: str
    target_url: str
    anchor_text: str
    rel: list[str]
    nofollow: bool = False
    ugc: bool = False
    sponsored: bool = False
    source_domain: str = ""
    target_domain: str = ""
    link_type: str = "text"
    image_alt: str | None = None
    wrapper_url: str | None = None
    position: str = "content"
    hidden: bool = False
    context: str = ""
    rendered: bool = False
    target_status: int | None = None
    target_error: str | None = None
    reclaim: bool = False
    discovered_by: str | None = None

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), url_key(self.target_url), self.anchor_text, self.position)


@dataclass(kw_only=True)
class Mention(Record):
    """One occurrence of a brand term in a page's visible text."""

    TYPE = "mention"
    source_url: str
    term: str
    matched_text: str
    snippet: str
    form: str = "name"
    position: str = "content"
    linked: bool = False
    unlinked: bool = True
    occurrence: int = 0
    discovered_by: str | None = None

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), self.term.lower(), self.occurrence)


@dataclass(kw_only=True)
class Lead(Record):
    """An outreach lead: a page that names the brand without linking to the target (one per page)."""

    TYPE = "lead"
    source_url: str
    source_domain: str
    title: str | None = None
    author: str | None = None
    emails: list[str] = field(default_factory=list)
    contact_url: str | None = None
    social_profiles: list[str] = field(default_factory=list)
    snippet: str = ""
    mentions: int = 0
    source_type: str = "other"

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url),)


@dataclass(kw_only=True)
class BrokenLink(Record):
    """A dead outbound link on a crawled page (one per page and dead URL)."""

    TYPE = "broken_link"
    source_url: str
    broken_url: str
    anchor_text: str
    status: int | None = None
    error: str | None = None
    checked_at: str
    to_target: bool = False
    suggested_replacement: str | None = None
    suggestion_score: float | None = None

    def identity(self) -> tuple[object, ...]:
        return (url_key(self.source_url), url_key(self.broken_url))


@dataclass(kw_only=True)
class LinkStatus(Record):
    """A known backlink re-checked by the `recheck` spider: live, lost, changed (or new)."""

    TYPE = "link_status"
    source_url: str
    target_url: str
    status: str  # live | lost | changed | new
    reason: str | None = None
    page_status: int | None = None
    before: dict | None = None  # {"anchor_text", "rel", "target_url"} as last seen
    after: dict | None = None  # the same, as seen now
    previous_crawl_id: str | None = None

    def identity(self) -> tuple[object, ...]:
        anchor = (self.before or self.after or {}).get("anchor_text")
        return (url_key(self.source_url), url_key(self.target_url), anchor)


@dataclass(kw_only=True)
class Summary(Record):
    """One per crawl, written when it ends: the numbers a marketer reads first."""

    TYPE = "summary"
    spider: str
    worker: str = ""  # host:pid: in a distributed crawl every process writes its own summary
    started_at: str
    finish_reason: str
    # the crawl did not look at everything it was asked to (capped, stopped early, nothing fetched):
    # its comparisons lose no link it did not look at
    partial: bool = False
    partial_reasons: list[str] = field(default_factory=list)
    pages: int = 0
    rendered_pages: int = 0
    errors: int = 0
    backlinks: int = 0
    referring_domains: int = 0
    followed_share: float = 0.0
    mentions: int = 0
    unlinked_mention_pages: int = 0
    leads: int = 0
    broken_links: int = 0
    reclaim: int = 0
    link_status: dict | None = None  # recheck runs: {"live": n, "lost": n, ...}
    report: str | None = None  # path of the HTML report
    # per discovery source: {"requests", "queries", "candidates", "pages", "pages_with_backlinks",
    # "pages_with_mentions", "failures"} ("Where we looked")
    discovery: dict | None = None
    # crawls seeded by a vendor export: its claimed links by status ({"verified": n, "changed": n, ...})
    claims: dict | None = None

    def identity(self) -> tuple[object, ...]:
        return (self.crawl_id, self.worker)


@dataclass(kw_only=True)
class LinkClaim(Record):
    """A backlink a vendor's export claims (`-a seeds=EXPORT`), checked on the live page: one per
    claimed link. `status`: verified | changed | not_found | page_gone | unverified (see claims.py)."""

    TYPE = "link_claim"
    vendor: str
    source_url: str
    target_url: str | None = None
    claimed_anchor: str | None = None
    claimed_nofollow: bool | None = None
    claimed_ugc: bool | None = None
    claimed_sponsored: bool | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    status: str
    reason: str | None = None
    found_target_url: str | None = None
    found_anchor: str | None = None
    found_rel: list[str] = field(default_factory=list)
    page_status: int | None = None
    export_line: int = 0

    def identity(self) -> tuple[object, ...]:
        target = url_key(self.target_url) if self.target_url else ""
        return (self.vendor, url_key(self.source_url), target, self.claimed_anchor or "")


RECORD_TYPES: dict[str, type[Record]] = {
    cls.TYPE: cls for cls in (Page, Backlink, Mention, Lead, BrokenLink, LinkStatus, LinkClaim, Summary)
}


def field_names(cls: type[Record]) -> list[str]:
    """Output field names of a record class, in order."""
    return [f.name for f in fields(cls)]
