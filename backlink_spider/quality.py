"""Link quality, explained: a 0-100 score for one backlink and the signed reasons behind it.

Pure functions, no Scrapy: `score_link(LinkFacts(...), weights)` -> `(quality, reasons)`. Every
signal is read from what the crawl saw on the linking page; its points come from
`LINK_QUALITY_WEIGHTS` (settings.py documents each). The score is `base` plus the points of every
signal, clamped to 0-100; each reason reads `"<what> <signed points>"` (`"followed +20"`,
`"footer -15"`), and a signal that could not be judged reads `"<what> (not scored)"`.

Two signals come from outside the page, and both are deterministic within a crawl:
* topical relevance: TF-IDF (linkcheck.TargetIndex) of the linking page against the target's own
  pages, as indexed before the crawl's seeds start (see mentions.py); when that index is empty or
  was not complete in TARGET_PAGES_WAIT, relevance is "unknown" for the whole crawl.
* referring-domain authority: a score from our own domain link graph (authority.py), read from
  DOMAIN_AUTHORITY_FILE; no file: "unknown".
Sitewide repetition is judged from the page itself (a link in the site's template: footer, nav,
header, sidebar); the warehouse's `sitewide_backlinks` view counts the pages that repeat it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from backlink_spider.authority import read_authority
from backlink_spider.linkcheck import TargetIndex, url_words, words

if TYPE_CHECKING:
    from backlink_spider.extract.page import PageExtraction, TargetLink

# The weights a LINK_QUALITY_WEIGHTS setting must give, one per signal (see settings.py).
WEIGHT_NAMES = (
    "base",
    "followed",
    "nofollow",
    "ugc",
    "sponsored",
    "hidden",
    "noindex",
    "content",
    "comment",
    "nofollow_comment",
    "profile",
    "sidebar",
    "header",
    "nav",
    "footer",
    "share",
    "sitewide",
    "link_farm",
    "anchor_descriptive",
    "anchor_branded",
    "anchor_exact",
    "anchor_url",
    "anchor_generic",
    "anchor_image_alt",
    "anchor_image_no_alt",
    "anchor_empty",
    "relevance",
    "editorial",
    "self_made",
    "authority",
)
POSITIONS = ("content", "comment", "profile", "sidebar", "header", "nav", "footer", "share")
# Positions in a site's template: repeated on every page of the site that uses it.
TEMPLATE_POSITIONS = frozenset({"sidebar", "header", "nav", "footer"})
EDITORIAL_TYPES = frozenset({"news_article", "blog_post"})
# The seed's "self-made" links: the linker placed them himself (signature, comment, listing, bio).
SELF_MADE_TYPES = frozenset({"forum_thread", "blog_comment", "directory", "social_profile"})
# External links on a page: from OUTBOUND_OK on, the link-farm penalty grows, in full from OUTBOUND_FARM.
OUTBOUND_OK = 50
OUTBOUND_FARM = 300
# Relevance (TF-IDF cosine, 0-1) at which the relevance weight is given in full.
RELEVANCE_FULL = 0.5
GENERIC_ANCHORS = frozenset(
    "click here|here|this|this page|this post|this article|this site|link|read more|more|learn more|"
    "website|visit website|visit site|visit|official website|homepage|home page|source|go|details|"
    "see more|find out more|check it out".split("|")
)
_URLISH = re.compile(r"^(?:https?://)?(?:www\.)?[\w-]+(?:\.[\w-]+)+(?:[/?#]\S*)?$", re.I)


class WeightsError(ValueError):
    """LINK_QUALITY_WEIGHTS is not a complete table of integer weights."""


def check_weights(value: object) -> dict[str, int]:
    """The weights table of a LINK_QUALITY_WEIGHTS setting value; raises WeightsError."""
    if not isinstance(value, dict):
        raise WeightsError(f"LINK_QUALITY_WEIGHTS must be a dict of weights, got {type(value).__name__}")
    unknown = sorted(set(value) - set(WEIGHT_NAMES))
    missing = [name for name in WEIGHT_NAMES if name not in value]
    if unknown or missing:
        parts = ([f"unknown {', '.join(unknown)}"] if unknown else []) + (
            [f"missing {', '.join(missing)}"] if missing else []
        )
        raise WeightsError(f"LINK_QUALITY_WEIGHTS: {'; '.join(parts)} (give every weight of settings.py)")
    bad = [k for k, v in value.items() if isinstance(v, bool) or not isinstance(v, int)]
    if bad:
        raise WeightsError(f"LINK_QUALITY_WEIGHTS: not an integer: {', '.join(sorted(bad))}")
    return dict(value)


@dataclass(frozen=True)
class LinkFacts:
    """What the crawl saw of one backlink and its page."""

    rel: tuple[str, ...] = ()
    position: str = "content"
    hidden: bool = False
    indexable: bool = True
    external_links: int = 0  # links on the page to other sites
    anchor_text: str = ""
    link_type: str = "text"  # text | image | redirect
    image_alt: str | None = None
    target_url: str = ""
    brand_terms: tuple[str, ...] = ()  # the target's brand terms and domain forms
    source_type: str = "other"
    relevance: float | None = None  # TF-IDF cosine with the target's pages; None: unknown
    relevance_unknown: str = "target pages not indexed"  # why relevance is None
    authority: int | None = None  # the referring domain's score 0-100; None: unknown
    authority_unknown: str = "no DOMAIN_AUTHORITY_FILE"  # why authority is None


def _signed(points: int) -> str:
    return f"+{points}" if points >= 0 else str(points)


def anchor_kind(facts: LinkFacts) -> str:
    """`image_alt`, `image_no_alt`, `empty`, `url` (a naked URL or domain), `generic` ("click
    here"), `branded` (names the brand), `exact` (its words are the target page's URL words) or
    `descriptive`."""
    text = " ".join(facts.anchor_text.split())
    if facts.link_type == "image" or (not text and facts.image_alt is not None):
        return "image_alt" if (facts.image_alt or "").strip() else "image_no_alt"
    if not text:
        return "empty"
    if _URLISH.match(text):
        return "url"
    lowered = text.lower().strip(" .!:»›→")
    if lowered in GENERIC_ANCHORS:
        return "generic"
    if any(term.lower() in lowered for term in facts.brand_terms if term):
        return "branded"
    anchor_words = words(text)
    if anchor_words and set(anchor_words) <= set(url_words(facts.target_url)):
        return "exact"
    return "descriptive"


_ANCHOR_LABELS = {
    "image_alt": "image link with alt text",
    "image_no_alt": "image link without alt text",
    "empty": "empty anchor",
    "url": "naked URL anchor",
    "generic": "generic anchor",
    "branded": "branded anchor",
    "exact": "exact-match anchor",
    "descriptive": "descriptive anchor",
}


def score_link(facts: LinkFacts, weights: dict[str, int]) -> tuple[int, list[str]]:
    """(quality 0-100, reasons) of one backlink; `weights` as checked by `check_weights`."""
    reasons: list[str] = []
    total = weights["base"]

    def add(label: str, points: int) -> None:
        nonlocal total
        total += points
        reasons.append(f"{label} {_signed(points)}")

    rel = set(facts.rel)
    flags = [flag for flag in ("sponsored", "ugc", "nofollow") if flag in rel]
    followed = not flags
    if followed:
        add("followed", weights["followed"])
    else:
        add(flags[0], weights[flags[0]])  # the strongest hint only: sponsored, then ugc, nofollow
    position = facts.position if facts.position in POSITIONS else "content"
    if position == "comment" and not followed:
        add("nofollow comment link", weights["nofollow_comment"])
    else:
        add(position, weights[position])
    if position in TEMPLATE_POSITIONS:
        add("sitewide template link", weights["sitewide"])
    if facts.hidden:
        add("hidden", weights["hidden"])
    if not facts.indexable:
        add("source page noindex", weights["noindex"])
    if facts.external_links > OUTBOUND_OK:
        share = min(1.0, (facts.external_links - OUTBOUND_OK) / (OUTBOUND_FARM - OUTBOUND_OK))
        add(f"link farm: {facts.external_links} links to other sites", round(weights["link_farm"] * share))
    kind = anchor_kind(facts)
    add(_ANCHOR_LABELS[kind], weights[f"anchor_{kind}"])
    if facts.source_type in EDITORIAL_TYPES and position == "content":  # the article's own words
        add(f"editorial ({facts.source_type})", weights["editorial"])
    elif facts.source_type in SELF_MADE_TYPES:
        add(f"self-made ({facts.source_type})", weights["self_made"])
    if facts.relevance is None:
        reasons.append(f"topical relevance unknown: {facts.relevance_unknown} (not scored)")
    else:
        points = round(weights["relevance"] * min(1.0, facts.relevance / RELEVANCE_FULL))
        add(f"topical relevance {facts.relevance:.2f}", points)
    if facts.authority is None:
        reasons.append(f"referring domain authority unknown: {facts.authority_unknown} (not scored)")
    else:
        add(
            f"referring domain authority {facts.authority}/100",
            round(weights["authority"] * facts.authority / 100),
        )
    return max(0, min(100, total)), reasons


# --- the crawl's scorer -------------------------------------------------------------------------


def page_relevance(index: TargetIndex, title: str | None, content_text: str, url: str) -> float | None:
    """TF-IDF cosine (0-1) of a page's title and main text with the best-matching page of the
    target (linkcheck.TargetIndex, the index of replacement suggestions); None with no index."""
    if not len(index):
        return None
    best = index.suggest(f"{title or ''} {content_text}", url, min_score=0.0)
    return best[1] if best else 0.0


@dataclass
class LinkScorer:
    """Scores a crawl's backlinks: the weights and the authority file, checked once."""

    weights: dict[str, int]
    authority: dict[str, int] | None  # domain -> score; None: no DOMAIN_AUTHORITY_FILE
    authority_file: str = ""

    @classmethod
    def from_settings(cls, settings) -> LinkScorer:  # noqa: ANN001
        """From LINK_QUALITY_WEIGHTS and DOMAIN_AUTHORITY_FILE; raises WeightsError or
        AuthorityFileError (one line)."""
        weights = check_weights(settings.getdict("LINK_QUALITY_WEIGHTS"))
        path = settings.get("DOMAIN_AUTHORITY_FILE") or ""
        return cls(weights, read_authority(path) if path else None, path)

    def score(
        self,
        link: TargetLink,
        page: PageExtraction,
        source_domain: str,
        brand_terms: tuple[str, ...],
        relevance: float | None,
        relevance_unknown: str,
    ) -> tuple[int, list[str]]:
        """(quality, reasons) of one of `page`'s backlinks."""
        authority, authority_unknown = None, "no DOMAIN_AUTHORITY_FILE"
        if self.authority is not None:
            authority = self.authority.get(source_domain)
            authority_unknown = f"{source_domain} not in {Path(self.authority_file).name}"
        facts = LinkFacts(
            rel=tuple(link.rel),
            position=link.position,
            hidden=link.hidden,
            indexable=page.indexable,
            external_links=page.external_links,
            anchor_text=link.anchor_text,
            link_type=link.link_type,
            image_alt=link.image_alt,
            target_url=link.target_url,
            brand_terms=brand_terms,
            source_type=page.source_type,
            relevance=relevance,
            relevance_unknown=relevance_unknown,
            authority=authority,
            authority_unknown=authority_unknown,
        )
        return score_link(facts, self.weights)
