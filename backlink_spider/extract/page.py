"""Extraction entry point: a page snapshot in, everything the crawl reports about it out.

Pure functions, no Scrapy: `extract_page(PageSnapshot(url, html), target, matcher, competitors)`.

With competitors, one pass over the page's links and one scan of its text find the target's and
every competitor's links and mentions, each labelled with its site (`site`: the host). The
target's own results (`backlinks`, `mentions`, `leads`, `unlinked`) are the same with or without
competitors; theirs are in `competitor_backlinks`, `competitor_mentions` and `gap`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from typing import Any

from backlink_spider.extract.contacts import (
    Contacts,
    Person,
    find_contacts,
    find_posts,
    page_person,
    profile_owner,
)
from backlink_spider.extract.dom import LinkElement, WalkedPage, block_of, parse_html, walk, xpath
from backlink_spider.extract.share import SHARE, is_share_intent
from backlink_spider.extract.signals import classify_source, head_signals, robots_flags
from backlink_spider.matching import BrandMatcher
from backlink_spider.target import Target, host_of, registered_domain
from backlink_spider.urls import absolute_url, unwrap_redirect

SNIPPET_CHARS = 90
# Parts of a page that hold its own content (not navigation or site-wide boilerplate).
_MAIN_POSITIONS = frozenset({"content", "comment", "profile"})
CONTEXT_CHARS = 120


@dataclass
class PageSnapshot:
    """What the crawler saw: static HTML, or the rendered DOM serialised by render.SNAPSHOT_JS."""

    url: str
    html: str
    rendered: bool = False
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    meta: dict = field(default_factory=dict)  # the crawler's request meta (not used by extraction)
    tree: Any = None  # the parsed `html`, when the crawler parsed it already (render policy)
    truncated: bool = False  # the rendered DOM was larger than DOWNLOAD_MAXSIZE and was cut there


@dataclass
class TargetLink:
    """A link element pointing at the target."""

    target_url: str
    anchor_text: str
    rel: list[str]
    link_type: str  # text | image | redirect
    image_alt: str | None
    wrapper_url: str | None
    position: str
    hidden: bool
    context: str
    site: str = ""  # the host of the site it points at (the target's or a competitor's)


@dataclass
class BrandMention:
    term: str
    matched_text: str
    snippet: str
    form: str
    position: str
    linked: bool
    occurrence: int
    start: int = 0  # where the matched text is in the page text
    end: int = 0
    site: str = ""  # the host of the site whose brand it names


@dataclass
class OutLink:
    """Any http(s) link on the page, resolved (for following and for link checks)."""

    url: str
    anchor_text: str
    internal: bool
    hidden: bool
    nofollow: bool
    position: str
    rel: tuple[str, ...] = ()  # the rel tokens (the domain link graph leaves out ugc and sponsored too)


@dataclass
class LeadAuthor:
    """One person who named the brand on a lead page: one outreach lead per person and page."""

    author: str | None
    author_url: str | None  # their profile on the site (a forum member page, the social profile)
    author_website: str | None  # their own site, when the page gives one
    mention_date: str | None  # when their post/comment (or the article) was published (ISO 8601)
    snippet: str
    mentions: int


@dataclass
class PageExtraction:
    title: str | None
    canonical_url: str | None
    lang: str | None
    meta_robots: str | None
    x_robots_tag: str | None
    indexable: bool
    follow: bool
    source_type: str
    evidence: list[str]
    backlinks: list[TargetLink]
    mentions: list[BrandMention]
    links: list[OutLink]
    text: str
    content_text: str
    contacts: Contacts | None = None
    leads: list[LeadAuthor] = field(default_factory=list)  # on a lead page: who named the brand
    competitor_backlinks: list[TargetLink] = field(default_factory=list)  # links to competitors
    competitor_mentions: list[BrandMention] = field(default_factory=list)  # competitors named
    # a gap page: the competitors it links to (author links, not share buttons) while it does not
    # link to the target; empty otherwise
    gap: list[str] = field(default_factory=list)

    @property
    def unlinked(self) -> bool:
        """The page names the brand but has no link to the target other than share or follow
        buttons (a "Share on Reddit" button is the widget's link, not one the author gave)."""
        return bool(self.mentions) and not _author_linked(self.backlinks)

    def unlinked_for(self, site: str) -> bool:
        """`unlinked` for the brand of `site` (the target's host or a competitor's)."""
        links = [b for b in (*self.backlinks, *self.competitor_backlinks) if b.site == site]
        named = any(m.site == site for m in (*self.mentions, *self.competitor_mentions))
        return named and not _author_linked(links)

    @property
    def internal_links(self) -> int:
        return sum(1 for link in self.links if link.internal)

    @property
    def external_links(self) -> int:
        return sum(1 for link in self.links if not link.internal)


def _author_linked(backlinks: list[TargetLink]) -> bool:
    """True when one of the page's links to the target is not a share or follow button."""
    return any(link.position != SHARE for link in backlinks)


def _base_url(root, url: str) -> str:  # noqa: ANN001
    if root is not None:
        base = xpath(root, "//base/@href")
        if base:
            resolved = absolute_url(str(base[0]), url)
            if resolved:
                return resolved
    return url


def _window(walked: WalkedPage, start: int, end: int, chars: int) -> str:
    """Words around text[start:end] within its text block, cut at word boundaries."""
    block = block_of(walked, start, empty=start == end)
    lo, hi = walked.block_bounds[block] if block >= 0 else (0, len(walked.text))
    text = walked.text
    left = max(lo, start - chars)
    right = min(hi, end + chars)
    if left > lo:
        space = text.find(" ", left, start)
        left = space + 1 if space != -1 else left
    if right < hi:
        space = text.rfind(" ", end, right)
        right = space if space != -1 else right
    snippet = " ".join(text[left:right].split())
    return ("… " if left > lo else "") + snippet + (" …" if right < hi else "")


def _link_type(element: LinkElement, wrapped: bool) -> str:
    if wrapped:
        return "redirect"
    if element.has_image and not element.text:
        return "image"
    return "text"


def _context(walked: WalkedPage, element: LinkElement) -> str:
    if element.block < 0 or element.hidden:
        return element.text
    return _window(walked, element.start, element.end, CONTEXT_CHARS)


def _without_widgets(walked: WalkedPage) -> str:
    """The page text with the labels of share and follow widgets blanked out (same length, so
    offsets hold): "Share on Reddit" names no brand the page talks about, and it must not count
    as a context term either."""
    text = walked.text
    spans = [(s.start, s.end) for s in walked.segments if s.position == SHARE]
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts += [text[last:start], " " * (end - start)]
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _site_of(url: str, sites: tuple[Target, ...]) -> Target | None:
    """The first of `sites` that owns `url` (the target comes first)."""
    return next((site for site in sites if site.owns(url)), None)


def extract_page(
    snapshot: PageSnapshot,
    target: Target,
    matcher: BrandMatcher,
    competitors: tuple[Target, ...] = (),
) -> PageExtraction:
    """Links, target links, brand mentions and page signals of one page snapshot; with
    `competitors` (and a matcher holding their brands, labelled by host), their links and
    mentions too, and whether the page is a gap page. A site's own pages have no backlinks or
    mentions of it."""
    root = snapshot.tree if snapshot.tree is not None else parse_html(snapshot.html)
    walked = walk(root, rendered=snapshot.rendered)
    base = _base_url(root, snapshot.url)
    page_site = registered_domain(host_of(snapshot.url))
    on_target = target.owns(snapshot.url)
    sites = (target, *competitors)
    own = _site_of(snapshot.url, sites)  # the page is on one of the sites

    links: list[OutLink] = []
    backlinks: list[TargetLink] = []
    competitor_backlinks: list[TargetLink] = []
    target_link_indexes: set[int] = set()
    link_sites: dict[int, str] = {}  # link index -> the host of the site it points at
    for index, element in enumerate(walked.links):
        url = absolute_url(element.href, base)
        if url is None:
            continue
        host = host_of(url)
        if not host:
            continue
        links.append(
            OutLink(
                url=url,
                anchor_text=element.text,
                internal=registered_domain(host) == page_site,
                hidden=element.hidden,
                nofollow="nofollow" in element.rel,
                position=element.position,
                rel=tuple(element.rel),
            )
        )
        # a share button is a link to the network, not a redirect to the page it shares
        destination = None if is_share_intent(url) else unwrap_redirect(url)
        final = destination or url
        linked = _site_of(final, sites) if not on_target else None
        if linked is None or linked is own:
            continue
        link_sites[index] = linked.host
        if linked is target:
            target_link_indexes.add(index)
        (backlinks if linked is target else competitor_backlinks).append(
            TargetLink(
                target_url=final,
                anchor_text=element.text,
                rel=element.rel,
                link_type=_link_type(element, destination is not None),
                image_alt=element.image_alt,
                wrapper_url=url if destination else None,
                position=element.position,
                hidden=element.hidden,
                context=_context(walked, element),
                site=linked.host,
            )
        )

    mentions: list[BrandMention] = []
    competitor_mentions: list[BrandMention] = []
    if not on_target:
        starts = [segment.start for segment in walked.segments]
        counts: dict[str, int] = {}
        for match in matcher.find(_without_widgets(walked)):
            site = match.brand or target.host
            if own is not None and site == own.host:
                continue  # a competitor's own page naming itself
            i = bisect.bisect_right(starts, match.start) - 1
            segment = walked.segments[i] if i >= 0 else None
            key = match.term.lower()
            counts[key] = counts.get(key, 0) + 1
            (mentions if site == target.host else competitor_mentions).append(
                BrandMention(
                    term=match.term,
                    matched_text=match.matched_text,
                    snippet=_window(walked, match.start, match.end, SNIPPET_CHARS),
                    form=match.form,
                    position=segment.position if segment else "content",
                    linked=segment is not None and link_sites.get(segment.link) == site,
                    occurrence=counts[key],
                    start=match.start,
                    end=match.end,
                    site=site,
                )
            )

    signals = head_signals(root, snapshot.url)
    x_robots = snapshot.headers.get("x-robots-tag")
    indexable, follow = robots_flags(signals.meta_robots, x_robots)
    positions = {m.position for m in mentions} | {b.position for b in backlinks}
    source_type, evidence = classify_source(root, snapshot.url, signals, positions)
    contacts = None
    leads: list[LeadAuthor] = []
    lead_page = bool(mentions) and not _author_linked(backlinks)
    gap = [] if _author_linked(backlinks) else _linked_sites(competitor_backlinks)
    if lead_page or gap:  # an outreach lead: find who to write to
        contacts = find_contacts(
            root,
            walked,
            [(link.url, link.anchor_text, link.position, link.internal) for link in links],
            # (a gap page's contacts leave out the competitors' addresses too)
            exclude_domains=(target.host,) if lead_page else tuple(site.host for site in sites),
        )
    if lead_page:
        profile_url = signals.canonical_url or snapshot.url
        leads = _lead_authors(
            root, walked, base, profile_url, snapshot.rendered, source_type, mentions, signals.lang
        )
    return PageExtraction(
        competitor_backlinks=competitor_backlinks,
        competitor_mentions=competitor_mentions,
        gap=gap,
        contacts=contacts,
        leads=leads,
        title=signals.title,
        canonical_url=signals.canonical_url,
        lang=signals.lang,
        meta_robots=signals.meta_robots,
        x_robots_tag=x_robots,
        indexable=indexable,
        follow=follow,
        source_type=source_type,
        evidence=evidence,
        backlinks=backlinks,
        mentions=mentions,
        links=links,
        text=walked.text,
        content_text=" ".join(
            walked.text[seg.start : seg.end] for seg in walked.segments if seg.position in _MAIN_POSITIONS
        ),
    )


def _linked_sites(links: list[TargetLink]) -> list[str]:
    """The sites of author links (not share or follow buttons), in order of first link."""
    return list(dict.fromkeys(link.site for link in links if link.position != SHARE))


def _lead_authors(
    root,  # noqa: ANN001
    walked: WalkedPage,
    base: str,
    page_url: str,
    rendered: bool,
    source_type: str,
    mentions: list[BrandMention],
    lang: str | None = None,
) -> list[LeadAuthor]:
    """One LeadAuthor per person whose text names the brand, in the order of their first mention.

    A mention inside a post or comment is its author's (the innermost post naming one: a
    Discourse post body names nobody, the post around it does); elsewhere it is the page's own
    author's, on a social profile the profile owner's. A post's date is its own, else the one of
    the post around it, else (when the text is the page author's) the page's."""
    posts = find_posts(root, walked, base, rendered=rendered, lang=lang)
    owner = (
        profile_owner(root, page_url)
        if source_type == "social_profile"
        else page_person(root, base, posts, lang)
    )
    people: dict[tuple, tuple[Person, list[BrandMention]]] = {}
    for mention in mentions:
        holding = [p for p in posts if p.start <= mention.start and mention.end <= p.end]
        holding.sort(key=lambda p: p.end - p.start)  # innermost first
        named = next((p.person for p in holding if p.person.name), owner)
        published = next((p.person.published for p in holding if p.person.published), None)
        if published is None and named is owner:  # a post of the page's author's, undated
            published = owner.published
        person = Person(named.name, named.profile_url, named.website, published)
        key = (person.name.lower(),) if person.name else ("", person.profile_url)
        if key not in people:
            people[key] = (person, [])
        else:  # what one of their posts says and another does not
            kept = people[key][0]
            kept.profile_url = kept.profile_url or person.profile_url
            kept.website = kept.website or person.website
            kept.published = kept.published or person.published
        people[key][1].append(mention)
    return [
        LeadAuthor(
            author=person.name,
            author_url=person.profile_url,
            author_website=person.website,
            mention_date=person.published,
            snippet=_best(found),
            mentions=len(found),
        )
        for person, found in people.values()
    ]


_SNIPPET_POSITIONS = ("content", "profile", "comment")


def best_snippet(found: PageExtraction) -> str:
    """The snippet an outreach e-mail quotes: a by-name mention in the page's main text first."""
    return _best(found.mentions)


def _best(mentions: list[BrandMention]) -> str:
    ranked = sorted(
        mentions,
        key=lambda m: (
            _SNIPPET_POSITIONS.index(m.position) if m.position in _SNIPPET_POSITIONS else 9,
            m.form != "name",
            len(m.snippet) < 60,  # a sentence reads better than a heading
        ),
    )
    return ranked[0].snippet if ranked else ""
