"""One definition of a link's identity and of "changed", for every comparison the project makes:
the `recheck` spider (known links against the live page), the report and the alerts (a crawl
against the previous crawl of the target), and the warehouse (which loads the `link_change`
records the crawl writes from this very function).

A link is identified by its source page (`urls.url_key`) and its canonical target URL
(`urls.canonical_url`). Two links with that identity are paired, the same anchor text first, then
in page order. A pair whose anchor text, rel or exact target URL differs is `changed` (with the
fields that differ); a pair with none is `live`; a link with no partner is `lost` (only in the
before side) or `new` (only in the after side).

What can be judged at all is the caller's business: a page that was not fetched, failed, or was a
bot challenge says nothing about its links (see `page_judgeable`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from backlink_spider.urls import canonical_url, url_key

LIVE, CHANGED, LOST, NEW = "live", "changed", "lost", "new"
# A page answering one of these has lost its links for certain.
GONE_STATUSES = (404, 410)


def link_view(link: Any) -> dict:  # a record dict or an extracted TargetLink
    """The parts of a link a comparison looks at: {"anchor_text", "rel", "target_url"}."""
    get = link.get if isinstance(link, dict) else lambda name, default=None: getattr(link, name, default)
    return {
        "anchor_text": get("anchor_text") or "",
        "rel": list(get("rel") or []),
        "target_url": get("target_url"),
    }


@dataclass(frozen=True)
class LinkChange:
    status: str  # live | changed | lost | new
    source_url: str
    before: dict | None
    after: dict | None
    changes: tuple[str, ...] = field(default=())  # "anchor_text", "rel", "target_url"

    @property
    def reason(self) -> str | None:
        if self.status == CHANGED:
            names = {"anchor_text": "anchor", "rel": "rel", "target_url": "target"}
            return " and ".join(names[c] for c in self.changes) + " changed"
        return {LOST: "link removed", NEW: "link added"}.get(self.status)


def _differs(name: str, old: dict, new: dict) -> bool:
    if name == "rel":  # rel is a set of tokens: a reordering is not a change
        return sorted(set(old["rel"])) != sorted(set(new["rel"]))
    return old[name] != new[name]


def _identity(source_url: str, link: dict) -> tuple[str, str]:
    return url_key(source_url), canonical_url(link["target_url"])


def diff_links(before: Iterable[tuple[str, Any]], after: Iterable[tuple[str, Any]]) -> list[LinkChange]:
    """Pair (source_url, link) items of two sides and say what became of each; `before` order
    first (live, changed, lost), then the new links, each group in source then target order."""
    waiting: dict[tuple[str, str], list[tuple[str, dict]]] = defaultdict(list)
    for source_url, link in after:
        view = link_view(link)
        waiting[_identity(source_url, view)].append((source_url, view))
    out: list[LinkChange] = []
    for source_url, link in before:
        old = link_view(link)
        partners = waiting.get(_identity(source_url, old))
        if not partners:
            out.append(LinkChange(LOST, source_url, old, None))
            continue
        index = next((i for i, (_, p) in enumerate(partners) if p["anchor_text"] == old["anchor_text"]), 0)
        _, new = partners.pop(index)
        changes = tuple(name for name in ("anchor_text", "rel", "target_url") if _differs(name, old, new))
        out.append(LinkChange(CHANGED if changes else LIVE, source_url, old, new, changes))
    for partners in waiting.values():
        out += [LinkChange(NEW, source_url, None, new) for source_url, new in partners]
    return out


def page_judgeable(page: dict | None) -> bool:
    """Whether a crawl's `page` record lets it judge the page's links: fetched, answered 2xx,
    complete (not cut at the size limit) and a real page (not a bot challenge or a login wall)."""
    if not page:
        return False
    status = page.get("status")
    return bool(
        status is not None and 200 <= int(status) < 300 and not page.get("error") and not page.get("blocked")
    )


def page_gone(page: dict | None) -> bool:
    """The page answered 404 or 410: its links are lost for certain."""
    return bool(page) and page.get("status") in GONE_STATUSES


def by_source(links: Sequence[dict]) -> list[tuple[str, dict]]:
    return [(link["source_url"], link) for link in links]
