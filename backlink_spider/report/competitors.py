"""The report's competitor numbers (`-a competitors=`): the links competitors have that the target
lacks, and share of voice. Pure functions over a crawl's records as report.read_crawl gives them
(the target's backlinks and mentions under `backlink` / `mention`, the competitors' under
`competitor_backlink` / `competitor_mention`, gap pages under `gap`); the same definitions as the
warehouse's `link_gap` and `share_of_voice` views.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from backlink_spider.competitors import COMPETITOR_BACKLINK, COMPETITOR_MENTION
from backlink_spider.report.numbers import is_followed
from backlink_spider.urls import url_key


def competitor_hosts(records: dict[str, list[dict]], arguments: dict | None) -> list[str]:
    """The crawl's competitors, in the order given (`arguments["competitors"]`), else as found."""
    given = list((arguments or {}).get("competitors") or ())
    found = [
        r.get("target") for kind in (COMPETITOR_BACKLINK, COMPETITOR_MENTION) for r in records.get(kind) or []
    ]
    return list(dict.fromkeys([*given, *sorted(h for h in found if h)]))


def gap_domains(records: dict[str, list[dict]]) -> list[dict]:
    """Referring domains that link to a competitor and not to the target in this crawl, most
    competitors first, then most links, then by name: `domain`, `competitors` (sorted hosts),
    `links` (to competitors), `page` (the best page: a gap page first, then the most competitors
    linked, a followed link, the URL), `title`, and its gap record's `emails`, `contact_url`,
    `social_profiles`."""
    linking_target = {b.get("source_domain") for b in records.get("backlink") or []}
    gaps = {url_key(g["source_url"]): g for g in records.get("gap") or [] if g.get("source_url")}
    titles = {url_key(p["url"]): p.get("title") for p in records.get("page") or [] if p.get("url")}
    pages: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for b in records.get(COMPETITOR_BACKLINK) or []:
        if b.get("source_domain") not in linking_target:
            pages[b.get("source_domain") or ""][b.get("source_url") or ""].append(b)
    rows = []
    for domain, by_page in pages.items():

        def rank(url: str, by_page: dict = by_page) -> tuple:
            links = by_page[url]
            return (
                url_key(url) not in gaps,
                -len({b.get("target") for b in links}),
                not any(is_followed(b) for b in links),
                url,
            )

        best = min(by_page, key=rank)
        gap = gaps.get(url_key(best)) or {}
        links = [b for found in by_page.values() for b in found]
        rows.append(
            {
                "domain": domain,
                "competitors": sorted({b.get("target") for b in links}),
                "links": len(links),
                "page": best,
                "title": titles.get(url_key(best)),
                "emails": gap.get("emails") or [],
                "contact_url": gap.get("contact_url"),
                "social_profiles": gap.get("social_profiles") or [],
            }
        )
    return sorted(rows, key=lambda r: (-len(r["competitors"]), -r["links"], r["domain"]))


def referring_domains(records: dict[str, list[dict]], hosts: list[str]) -> dict[str, dict[str, int]]:
    """Per competitor host: `domains` linking to it, and of those `gap` (not linking to the target)."""
    linking_target = {b.get("source_domain") for b in records.get("backlink") or []}
    domains: dict[str, set] = defaultdict(set)
    for b in records.get(COMPETITOR_BACKLINK) or []:
        domains[b.get("target")].add(b.get("source_domain"))
    return {h: {"domains": len(domains[h]), "gap": len(domains[h] - linking_target)} for h in hosts}


def share_of_voice(records: dict[str, list[dict]], target: str, hosts: list[str]) -> list[dict]:
    """One row per brand (the target first, then the competitors in order): `brand`, `role`,
    `mentions`, `linked` (mentions inside a link to the brand's site), `pages` naming it, `share`
    of all brands' mentions (0-1), and `source_types` ({source type: mentions}, largest first)."""
    source_type = {url_key(p["url"]): p.get("source_type") or "other" for p in records.get("page") or []}
    brands = [(target, "target"), *((h, "competitor") for h in hosts)]
    found = {
        target: records.get("mention") or [],
        **{h: [m for m in records.get(COMPETITOR_MENTION) or [] if m.get("target") == h] for h in hosts},
    }
    total = sum(len(found[b]) for b, _ in brands)
    rows = []
    for brand, role in brands:
        mentions = found[brand]
        types = Counter(source_type.get(url_key(m.get("source_url") or ""), "other") for m in mentions)
        rows.append(
            {
                "brand": brand,
                "role": role,
                "mentions": len(mentions),
                "linked": sum(1 for m in mentions if m.get("linked")),
                "pages": len({m.get("source_url") for m in mentions}),
                "share": len(mentions) / total if total else 0.0,
                "source_types": dict(sorted(types.items(), key=lambda item: (-item[1], item[0]))),
            }
        )
    return rows
