"""The report's numbers: a crawl's key counts and breakdowns, and what changed since the previous crawl.

Pure functions over records (dicts as the JSONL output holds them); no HTML here.
"""

from __future__ import annotations

from collections import Counter, defaultdict

# The record types a crawl report reads.
REPORTED_TYPES = ("page", "backlink", "mention", "lead", "broken_link", "link_status")
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


def _change(before: dict, after: dict) -> dict | None:
    """The changed-link item for two versions of a link, or None when anchor text and rel are the same."""
    changes = [
        name
        for name, old, new in (
            ("anchor_text", before.get("anchor_text"), after.get("anchor_text")),
            # rel as a set of tokens: a reordering is not a change
            ("rel", sorted(set(before.get("rel") or [])), sorted(set(after.get("rel") or []))),
        )
        if old != new
    ]
    if not changes:
        return None
    return {
        **_link_ref(after),
        "before": {"anchor_text": before.get("anchor_text"), "rel": list(before.get("rel") or [])},
        "after": {"anchor_text": after.get("anchor_text"), "rel": list(after.get("rel") or [])},
        "changes": changes,
    }


def compare_crawls(current_backlinks: list[dict], previous_backlinks: list[dict]) -> dict:
    """What changed between two crawls of the same target.

    `new` / `lost`: backlinks whose `record_id` is only in the current / only in the previous
    crawl. `changed`: a link from the same source_url to the same target_url whose rel or anchor
    text differs. A changed anchor changes the record_id, so such a link is reported once, as
    changed, and not also as one lost and one new link. Each new/lost item has source_url,
    target_url and anchor_text; each changed item has those (as now) plus `before`/`after`
    ({"anchor_text", "rel"}) and `changes` (the fields that differ: "anchor_text", "rel").
    """
    current = {b["record_id"]: b for b in current_backlinks}
    previous = {b["record_id"]: b for b in previous_backlinks}
    changed: list[dict] = []

    # The same record in both crawls: only rel can differ (anchor text is part of the identity).
    for rid in current.keys() & previous.keys():
        item = _change(previous[rid], current[rid])
        if item:
            changed.append(item)

    # Records only in one crawl: pair those with the same source and target page, in order.
    only_new = [current[rid] for rid in current if rid not in previous]
    only_lost = [previous[rid] for rid in previous if rid not in current]
    unpaired_lost: dict[tuple, list[dict]] = defaultdict(list)
    for b in sorted(only_lost, key=_link_order):
        unpaired_lost[(b.get("source_url"), b.get("target_url"))].append(b)
    new: list[dict] = []
    for b in sorted(only_new, key=_link_order):
        candidates = unpaired_lost.get((b.get("source_url"), b.get("target_url")))
        if candidates:
            before = candidates.pop(0)
            item = _change(before, b)
            if item:
                changed.append(item)
            # Same anchor and rel (the link only moved on the page): still the same live link.
            continue
        new.append(_link_ref(b))
    lost = [_link_ref(b) for group in unpaired_lost.values() for b in group]

    return {
        "new": sorted(new, key=_link_order),
        "lost": sorted(lost, key=_link_order),
        "changed": sorted(changed, key=_link_order),
    }
