"""A vendor's claimed backlink, checked against the live page.

`verify_claim` is pure: the claim (a row of an Ahrefs / Semrush / Majestic / Moz / Search Console
export, see exports.py), the page's outcome and the target links extraction found on it, in; the
claim's status out:

* `verified`: the page links to the claimed target URL, with the claimed anchor and rel flags (as
  far as the export states them);
* `changed`: the page links to the target, but the anchor, a rel flag or the exact target URL
  differs (the reason names what; both sides are in the record);
* `not_found`: the page loaded completely and has no link to the target at all;
* `page_gone`: the page answered 404 or 410;
* `unverified`: the page could not be judged this run (a timeout, 5xx, 429, robots.txt, a refusal):
  never counted as lost.

Links are paired as everywhere in the project: by canonical target URL (urls.canonical_url),
preferring the same anchor text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from backlink_spider.exports import ClaimedLink
from backlink_spider.linkdiff import GONE_STATUSES
from backlink_spider.urls import canonical_url

CLAIM_STATUSES = ("verified", "changed", "not_found", "page_gone", "unverified")


@dataclass(frozen=True)
class FoundLink:
    """A link to the target as the crawl saw it on the page."""

    target_url: str
    anchor_text: str
    rel: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimCheck:
    status: str
    reason: str | None = None
    found: FoundLink | None = None
    differences: tuple[str, ...] = field(default=())


def _differences(claim: ClaimedLink, link: FoundLink) -> list[str]:
    out = []
    if claim.target_url and canonical_url(claim.target_url) != canonical_url(link.target_url):
        out.append("target differs")
    if claim.anchor is not None and " ".join(claim.anchor.split()) != " ".join(link.anchor_text.split()):
        out.append("anchor differs")
    for flag in ("nofollow", "ugc", "sponsored"):
        claimed = getattr(claim, flag)
        if claimed is not None and claimed != (flag in link.rel):
            out.append(f"{flag} {'removed' if claimed else 'added'}")
    return out


def verify_claim(
    claim: ClaimedLink, page_status: int | None, page_error: str | None, found: Sequence[FoundLink] | None
) -> ClaimCheck:
    """The claim's status given the page's HTTP status, its error (when it failed) and the target
    links on it (None when the page could not be read)."""
    if found is None:
        if page_status in GONE_STATUSES:
            return ClaimCheck("page_gone", f"HTTP {page_status}")
        return ClaimCheck(
            "unverified", page_error or (f"HTTP {page_status}" if page_status else "not fetched")
        )
    if not found:
        return ClaimCheck("not_found", "no link to the target on the page")
    if claim.target_url is None:  # Search Console names the linking page only
        return ClaimCheck("verified", None, found[0])
    key = canonical_url(claim.target_url)
    same_target = [link for link in found if canonical_url(link.target_url) == key]
    candidates = same_target or list(found)
    anchor = " ".join((claim.anchor or "").split())
    match = next((link for link in candidates if " ".join(link.anchor_text.split()) == anchor), candidates[0])
    differences = _differences(claim, match)
    if not differences:
        return ClaimCheck("verified", None, match)
    return ClaimCheck("changed", ", ".join(differences), match, tuple(differences))
