"""Competitors in the same crawl (`-a competitors=`): the gap record of a page, and the per-brand
numbers of a crawl.

A crawl's backlink and mention records carry `role` (`target` or `competitor`) and `main_target`
(the crawl's target); `target` is the host of the site they concern. Everything about the target's
own results (summary counts, CSV exports, link changes, alerts, the report's target sections)
reads the target's records only: `split_roles` takes the competitors' records out of a crawl's
records, under their own keys.
"""

from __future__ import annotations

from collections import defaultdict

from backlink_spider.extract.page import PageExtraction
from backlink_spider.records import COMPETITOR_ROLE, Gap, utc_now
from backlink_spider.target import host_of, registered_domain

# The keys split_roles adds to a crawl's records.
COMPETITOR_BACKLINK, COMPETITOR_MENTION = "competitor_backlink", "competitor_mention"
_REL_FLAGS = ("nofollow", "ugc", "sponsored")


def gap_record(crawl_id: str, target: str, url: str, found: PageExtraction, discovered_by: str | None) -> Gap:
    """The `gap` record of a page that links to competitors (`found.gap`) and not to `target`."""
    links = [b for b in found.competitor_backlinks if b.site in found.gap and b.position != "share"]
    contacts = found.contacts
    return Gap(
        crawl_id=crawl_id,
        target=target,
        crawled_at=utc_now(),
        source_url=url,
        source_domain=registered_domain(host_of(url)),
        title=found.title,
        competitors=list(found.gap),
        competitor_links=len(links),
        followed=any(not any(flag in b.rel for flag in _REL_FLAGS) for b in links),
        emails=list(contacts.emails) if contacts else [],
        contact_url=contacts.contact_url if contacts else None,
        social_profiles=list(contacts.social_profiles) if contacts else [],
        source_type=found.source_type,
        indexable=found.indexable,
        discovered_by=discovered_by,
    )


def is_competitor(record: dict) -> bool:
    """A backlink or mention record about a competitor (records without `role` are the target's)."""
    return record.get("role") == COMPETITOR_ROLE


def split_roles(records: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """A crawl's records with the competitors' backlinks and mentions moved from `backlink` and
    `mention` to COMPETITOR_BACKLINK and COMPETITOR_MENTION (in place; returns `records`)."""
    for kind, key in (("backlink", COMPETITOR_BACKLINK), ("mention", COMPETITOR_MENTION)):
        rows = records.get(kind) or []
        records[key] = [r for r in rows if is_competitor(r)]
        if kind in records:
            records[kind] = [r for r in rows if not is_competitor(r)]
    return records


def competitor_numbers(records: dict[str, list[dict]], competitors: list[str]) -> dict | None:
    """Per competitor host (in the order given): backlinks, referring domains, mentions and gap
    pages of the crawl; None without competitors. `records` as split_roles leaves them."""
    if not competitors:
        return None
    domains: dict[str, set] = defaultdict(set)
    backlinks: dict[str, int] = defaultdict(int)
    for b in records.get(COMPETITOR_BACKLINK) or []:
        backlinks[b.get("target")] += 1
        domains[b.get("target")].add(b.get("source_domain"))
    mentions: dict[str, int] = defaultdict(int)
    for m in records.get(COMPETITOR_MENTION) or []:
        mentions[m.get("target")] += 1
    gaps: dict[str, int] = defaultdict(int)
    for g in records.get("gap") or []:
        for host in g.get("competitors") or []:
            gaps[host] += 1
    return {
        host: {
            "backlinks": backlinks[host],
            "referring_domains": len(domains[host]),
            "mentions": mentions[host],
            "gap_pages": gaps[host],
        }
        for host in competitors
    }
