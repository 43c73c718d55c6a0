"""The report's numbers: a crawl's key counts and breakdowns, and what changed since the previous crawl.

Pure functions over records (dicts as the JSONL output holds them); no HTML here.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from backlink_spider.linkdiff import CHANGED, LOST, NEW, by_source, diff_links, page_gone, page_judgeable
from backlink_spider.records import LinkChange, utc_now
from backlink_spider.urls import url_key

# The record types a crawl report reads.
REPORTED_TYPES = ("page", "backlink", "mention", "lead", "broken_link", "link_status", "gap", "prospect")
REL_FLAGS = ("nofollow", "ugc", "sponsored")
TOP_DOMAINS = 10


def is_followed(backlink: dict) -> bool:
    """True when the backlink has none of nofollow / ugc / sponsored."""
    return not any(backlink.get(flag) for flag in REL_FLAGS)


def _ranked(counter: Counter) -> dict[str, int]:
    """A count dict, largest first, ties by name."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], str(item[0]))))


def build_summary(records: dict[str, list[dict]]) -> dict:
    """The crawl's key numbers from its records (`records`: record type -> list of records)."""
    pages = records.get("page") or []
    backlinks = records.get("backlink") or []
    mentions = records.get("mention") or []
    leads = records.get("lead") or []
    broken = records.get("broken_link") or []
    every = [r for kind in REPORTED_TYPES for r in records.get(kind) or []]

    followed = [b for b in backlinks if is_followed(b)]
    rel = {flag: sum(1 for b in backlinks if b.get(flag)) for flag in REL_FLAGS}
    rel["followed"] = len(followed)

    per_domain: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for b in backlinks:
        counts = per_domain[b.get("source_domain") or ""]
        counts[0] += 1
        counts[1] += is_followed(b)
    top = sorted(per_domain.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:TOP_DOMAINS]

    return {
        "crawl_id": next((r["crawl_id"] for r in every if r.get("crawl_id")), None),
        "target": next((r["target"] for r in every if r.get("target")), None),
        "started_at": earliest_crawled_at(records),
        "pages": len(pages),
        "rendered_pages": sum(1 for p in pages if p.get("rendered")),
        "errors": sum(1 for p in pages if p.get("error")),
        "blocked_pages": sum(1 for p in pages if p.get("blocked")),
        "backlinks": len(backlinks),
        "referring_domains": len({b.get("source_domain") for b in backlinks}),
        "followed_share": round(len(followed) / len(backlinks), 3) if backlinks else 0.0,
        "mentions": len(mentions),
        "unlinked_mention_pages": len({m.get("source_url") for m in mentions if m.get("unlinked")}),
        "leads": len(leads),
        "broken_links": len(broken),
        "reclaim": sum(1 for b in backlinks if b.get("reclaim")),
        "rel": rel,
        "source_types": _ranked(
            Counter(p.get("source_type") or "other" for p in pages if p.get("backlinks") or p.get("mentions"))
        ),
        "positions": _ranked(Counter(b.get("position") or "content" for b in backlinks)),
        "top_referring_domains": [
            {"domain": domain, "backlinks": n, "followed": f} for domain, (n, f) in top
        ],
    }


def earliest_crawled_at(records: dict[str, list[dict]]) -> str | None:
    """The earliest `crawled_at` over the records of every reported type (None when there is none)."""
    return min(
        (r["crawled_at"] for kind in REPORTED_TYPES for r in records.get(kind) or [] if r.get("crawled_at")),
        default=None,
    )


def rel_segments(backlinks: list[dict]) -> list[tuple[str, int]]:
    """(group, count) for followed, nofollow, ugc, sponsored: each backlink in exactly one group, the
    most specific rel first (sponsored, then ugc, then nofollow)."""
    groups: Counter = Counter()
    for b in backlinks:
        if b.get("sponsored"):
            groups["sponsored"] += 1
        elif b.get("ugc"):
            groups["ugc"] += 1
        elif b.get("nofollow"):
            groups["nofollow"] += 1
        else:
            groups["followed"] += 1
    return [(name, groups[name]) for name in ("followed", "nofollow", "ugc", "sponsored")]


def _link_ref(backlink: dict) -> dict:
    return {
        "source_url": backlink.get("source_url"),
        "target_url": backlink.get("target_url"),
        "anchor_text": backlink.get("anchor_text"),
    }


def _link_order(link: dict) -> tuple[str, str, str]:
    return (link.get("source_url") or "", link.get("target_url") or "", link.get("anchor_text") or "")


def compare_crawls(
    current_backlinks: list[dict],
    previous_backlinks: list[dict],
    current_pages: list[dict] | None = None,
) -> dict:
    """What changed between two crawls of the same target, by linkdiff's one definition (a link is
    its source page and canonical target URL; anchor text, rel or exact target differences are
    `changed`).

    `new` / `lost` / `changed`: lists of items with source_url, target_url and anchor_text (as now;
    as before for lost ones); changed items also have `before` / `after` ({"anchor_text", "rel"})
    and `changes` (the fields that differ). With `current_pages` (this crawl's page records), a
    link is `lost` only when its page was judged this time (fetched completely as a real page, or
    gone: 404/410); the others are `not_checked`: a capped, interrupted or failing crawl loses
    nothing it did not look at.
    """
    judged = None
    if current_pages is not None:
        judged = {url_key(p["url"]) for p in current_pages if page_judgeable(p) or page_gone(p)}
    out: dict[str, list[dict]] = {"new": [], "lost": [], "changed": []}
    if judged is not None:
        out["not_checked"] = []
    for change in diff_links(by_source(previous_backlinks), by_source(current_backlinks)):
        side = change.after or change.before
        item = {
            "source_url": change.source_url,
            "target_url": side["target_url"],
            "anchor_text": side["anchor_text"],
        }
        if change.status == LOST:
            lost = judged is None or url_key(change.source_url) in judged
            out["lost" if lost else "not_checked"].append(item)
        elif change.status == NEW:
            out["new"].append(item)
        elif change.status == CHANGED:
            before, after = change.before, change.after
            out["changed"].append(
                {
                    **item,
                    "before": {"anchor_text": before["anchor_text"], "rel": before["rel"]},
                    "after": {"anchor_text": after["anchor_text"], "rel": after["rel"]},
                    "changes": list(change.changes),
                }
            )
    return {kind: sorted(items, key=_link_order) for kind, items in out.items()}


def link_change_records(
    crawl_id: str,
    target: str,
    records: dict[str, list[dict]],
    previous_id: str,
    previous: dict[str, list[dict]],
) -> list[LinkChange]:
    """`link_change` records of a crawl against the previous complete crawl of its target: the
    warehouse reads them (view `link_changes`), the report and the alerts compute the same diff."""
    pages = records.get("page") or []
    diff = compare_crawls(records.get("backlink") or [], previous.get("backlink") or [], pages)
    # observed when this crawl looked at the page (the crawl's last page when it did not)
    seen_at = {url_key(p["url"]): p["crawled_at"] for p in pages if p.get("crawled_at")}
    latest = max(seen_at.values(), default=None) or utc_now()
    return [
        LinkChange(
            crawl_id=crawl_id,
            target=target,
            crawled_at=seen_at.get(url_key(item["source_url"]), latest),
            previous_crawl_id=previous_id,
            change=change,
            source_url=item["source_url"],
            target_url=item["target_url"],
            anchor_text=item["anchor_text"] or "",
            before=item.get("before"),
            after=item.get("after"),
            changes=list(item.get("changes") or []),
        )
        for change in ("new", "lost", "changed", "not_checked")
        for item in diff.get(change) or ()
    ]
