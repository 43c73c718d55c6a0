"""The report as HTML: Jinja2 templates (templates/*.j2) filled from the crawl's numbers and records.

Records come from the web, so the templates run in a sandboxed, autoescaping environment: every
value is HTML-escaped on output, and the `link` / `mailto` macros emit links only for http(s) URLs
(`safe_http_url`) and plain e-mail addresses. The Python here prepares each section's data (sorted
rows, chart geometry, the deltas since the previous crawl); the markup lives in the templates.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from functools import cache
from importlib.resources import files

from jinja2 import FunctionLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from backlink_spider.report.competitors import (
    competitor_hosts,
    gap_domains,
    referring_domains,
    share_of_voice,
)
from backlink_spider.report.numbers import (
    REL_FLAGS,
    build_summary,
    compare_crawls,
    earliest_crawled_at,
    rel_segments,
)

MAX_TABLE_ROWS = 500

# Chart colours (also used by the legend swatches).
COLOURS = {
    "followed": "#1a7f64",
    "nofollow": "#8a96a3",
    "ugc": "#d08a0b",
    "sponsored": "#7b5cc4",
    "bar": "#2f6fde",
    "track": "#e8ecf1",
    "text": "#1f2933",
    "muted": "#5f6b7a",
}

SOURCE_TYPE_LABELS = {
    "forum_thread": "Forum thread",
    "blog_post": "Blog post",
    "blog_comment": "Blog comment",
    "directory": "Directory",
    "social_profile": "Social profile",
    "news_article": "News article",
    "qna": "Q&A",
    "wiki": "Wiki",
    "other": "Other",
}

CHART_WIDTH = 400  # the SVG charts' viewBox width; they scale with their container

_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f<>\"'`\\]+\Z", re.IGNORECASE)
_EMAIL = re.compile(
    r"[^\s\x00-\x1f\x7f@<>\"'`\\?&/:;,()]+@[A-Za-z0-9\u00a0-\uffff.-]+\.[A-Za-z\u00a0-\uffff]{2,}\Z"
)


# --------------------------------------------------------------------------------------------
# Values as shown (the templates' filters)


def safe_http_url(url: object) -> str | None:
    """`url` when it is a plain http(s) URL (the only URLs this report links to), else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _HTTP_URL.match(url) else None


def plain_email(address: object) -> str | None:
    """`address` (stripped) when it is a plain e-mail address (the only mailto: links), else None."""
    if isinstance(address, str) and _EMAIL.match(address.strip()):
        return address.strip()
    return None


def _text(value: object) -> str:
    """A value as text ("" for None): what a cell shows, before escaping."""
    return "" if value is None else str(value)


def _short(url: object) -> str:
    """A URL as shown: without its http(s):// (the link keeps it)."""
    return re.sub(r"(?i)^https?://", "", _text(url))


def _host(url: object) -> str:
    if not isinstance(url, str):
        return ""
    match = re.match(r"(?i)[a-z][a-z0-9+.-]*://([^/?#]+)", url.strip())
    return match.group(1) if match else url


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _score(score: object) -> str | None:
    """A replacement's match score as a percentage, None when it is not a number."""
    return f"{score:.0%}" if isinstance(score, int | float) else None


def _num(n: int) -> str:
    return f"{n:,}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _date(iso: str | None) -> str:
    if not iso:
        return "unknown date"
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def _label(source_type: str) -> str:
    return SOURCE_TYPE_LABELS.get(source_type, source_type.replace("_", " ").capitalize())


def _clip(text: object, length: int) -> str:
    text = _text(text)
    return text if len(text) <= length else text[: length - 1] + "…"


# --------------------------------------------------------------------------------------------
# The template environment


def _load_template(name: str) -> str:
    """A template's source, read from the package's templates/ (works from a wheel or a zip too)."""
    return files("backlink_spider.report").joinpath("templates", name).read_text(encoding="utf-8")


@cache
def environment() -> SandboxedEnvironment:
    """The report's Jinja2 environment: sandboxed, autoescaping, strict about undefined names."""
    env = SandboxedEnvironment(
        loader=FunctionLoader(_load_template),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # None prints as nothing (Jinja would print "None"), as a missing record field should
        finalize=lambda value: "" if value is None else value,
    )
    env.filters.update(
        text=_text,
        short=_short,
        host=_host,
        http_url=safe_http_url,
        email=plain_email,
        pct=_pct,
        score=_score,
        num=_num,
        plural=_plural,
        date=_date,
        label=_label,
        clip=_clip,
    )
    env.globals.update(colours=COLOURS, max_rows=MAX_TABLE_ROWS)
    return env


# --------------------------------------------------------------------------------------------
# Charts: the geometry here, the SVG in templates/charts.svg.j2


def bar_chart(chart_id: str, title: str, rows: list[tuple[str, list[tuple[int, str, str]]]]) -> dict:
    """A horizontal bar chart, the label above each bar. rows: (label, [(value, colour, name), ...]):
    a row's values are stacked in one bar; the number at its end is their total. Out: the chart's
    id, title, desc (its text alternative), height and per row its label, total, and coordinates."""
    row_h, bar_h, label_h, number_w = 40, 14, 17, 44
    longest = max((sum(v for v, _, _ in parts) for _, parts in rows), default=0) or 1
    scale = (CHART_WIDTH - number_w) / longest
    chart_rows = []
    for i, (label, parts) in enumerate(rows):
        y = i * row_h + 2
        x, bars = 0.0, []
        for value, colour, _name in parts:
            if value:
                bars.append({"x": x, "w": value * scale, "colour": colour})
                x += value * scale
        chart_rows.append(
            {
                "label": label,
                "total": sum(v for v, _, _ in parts),
                "label_y": y + 13,
                "bar_y": y + label_h + 2,
                "num_x": x + 6,
                "num_y": y + label_h + 14,
                "bars": bars,
            }
        )
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{v} {name}" for v, _, name in parts if v or len(parts) == 1)
        for label, parts in rows
    )
    return {
        "id": chart_id,
        "title": title,
        "desc": desc,
        "width": CHART_WIDTH,
        "height": len(rows) * row_h + 4,
        "track_w": CHART_WIDTH - number_w,
        "bar_h": bar_h,
        "rows": chart_rows,
    }


def donut(chart_id: str, segments: list[tuple[str, int]], share: float) -> dict:
    """The followed / nofollow / ugc / sponsored ring. segments: (name, count) as rel_segments gives
    them; share: the followed share shown in the middle. Out: the ring's size and, per non-empty
    segment, its arc length, the gap after it and its offset (starting at 12 o'clock, clockwise)."""
    total = sum(n for _, n in segments)
    size, radius = 180, 68
    circumference = 2 * math.pi * radius
    arcs, offset = [], 0.0
    for name, n in segments:
        if n:
            length = circumference * n / total
            arcs.append(
                {"name": name, "n": n, "length": length, "gap": circumference - length, "offset": offset}
            )
            offset += length
    return {
        "id": chart_id,
        "size": size,
        "centre": size / 2,
        "radius": radius,
        "stroke": 26,
        "share": share,
        "desc": ", ".join(f"{name}: {n}" for name, n in segments) if total else "no backlinks",
        "big": _pct(share) if total else "–",
        "arcs": arcs,
    }


# --------------------------------------------------------------------------------------------
# The sections' data (one function per section of the page)


def _delta(now: float, before: float | None, *, percent: bool = False) -> str:
    """ "+3 since the previous crawl" and the like; "" when there is no previous crawl."""
    if before is None:
        return ""
    diff = round((now - before) * 100) if percent else now - before
    if diff == 0:
        return "no change since the previous crawl"
    sign = "+" if diff > 0 else "−"  # a real minus sign
    unit = " pts" if percent else ""
    return f"{sign}{abs(diff):,}{unit} since the previous crawl"


def kpis(summary: dict, before: dict | None) -> list[dict]:
    """The key-number tiles: label, value, note, tone (the CSS class) and delta, in page order.
    `before`: the previous crawl's summary, None on a first crawl."""

    def tile(label: str, key: str, value: str, note: str, tone: str = "") -> dict:
        was = before.get(key) if before is not None else None
        delta = _delta(summary[key], was, percent=key == "followed_share")
        return {"label": label, "value": value, "note": note, "tone": tone, "delta": delta}

    share = summary.get("followed_share") or 0.0
    followed = _num(summary["rel"].get("followed", 0))
    crawled = f"{_num(summary['rendered_pages'])} rendered · {_plural(summary['errors'], 'error')}"
    if summary.get("blocked_pages"):
        crawled += f" · {_num(summary['blocked_pages'])} behind a bot challenge or wall"
    return [
        tile("Backlinks", "backlinks", _num(summary["backlinks"]), "links to the site found"),
        tile("Referring domains", "referring_domains", _num(summary["referring_domains"]), "sites linking"),
        tile("Followed", "followed_share", _pct(share), f"{followed} without nofollow/ugc/sponsored", "good"),
        tile(
            "Unlinked-mention pages",
            "unlinked_mention_pages",
            _num(summary["unlinked_mention_pages"]),
            "name the brand, no link",
            "warn",
        ),
        tile("Outreach leads", "leads", _num(summary["leads"]), "with contact details below", "warn"),
        tile(
            "Broken links",
            "broken_links",
            _num(summary["broken_links"]),
            "dead links on crawled pages",
            "bad",
        ),
        tile("Reclaim", "reclaim", _num(summary["reclaim"]), "backlinks to dead pages of the site", "bad"),
        tile("Pages crawled", "pages", _num(summary["pages"]), crawled, "plain"),
    ]


def charts(summary: dict, backlinks: list[dict]) -> dict:
    """The four charts: top referring domains, followed vs not (with the legend and, when links
    carry several rel values, the note on how they are counted), source types and positions."""
    domain_rows = [
        (
            d["domain"] or "(unknown)",
            [
                (d["followed"], COLOURS["followed"], "followed"),
                (d["backlinks"] - d["followed"], COLOURS["nofollow"], "not followed"),
            ],
        )
        for d in summary.get("top_referring_domains") or []
    ]
    segments = rel_segments(backlinks)
    flags = summary.get("rel") or {}
    # A link flagged both ugc and nofollow is one segment of the ring but two of the totals.
    overlap = sum(flags.get(f, 0) for f in REL_FLAGS) > summary["backlinks"] - flags.get("followed", 0)
    type_rows = [
        (_label(t), [(n, COLOURS["bar"], "pages")]) for t, n in (summary.get("source_types") or {}).items()
    ]
    position_rows = [
        (p.capitalize(), [(n, COLOURS["bar"], "backlinks")])
        for p, n in (summary.get("positions") or {}).items()
    ]
    return {
        "domains": bar_chart("chart-domains", "Top referring domains by backlinks", domain_rows),
        "rel": donut("chart-rel", segments, summary.get("followed_share") or 0.0),
        "legend": segments,
        "rel_totals": [(f, flags.get(f, 0)) for f in REL_FLAGS] if overlap else [],
        "types": bar_chart("chart-types", "Pages with backlinks or mentions by source type", type_rows),
        "positions": bar_chart("chart-positions", "Backlinks by position on the page", position_rows),
    }


def trends(history: list[dict]) -> dict | None:
    """Backlinks and referring domains over the last crawls of the target (None with fewer than
    two crawls): one bar per crawl, oldest first, a partial crawl marked."""
    if len(history) < 2:
        return None

    def label(row: dict) -> str:
        return f"{_date(row['started_at'])} · {row['crawl_id']}" + (" (partial)" if row["partial"] else "")

    def chart(chart_id: str, title: str, key: str, name: str) -> dict:
        return bar_chart(chart_id, title, [(label(r), [(r[key], COLOURS["bar"], name)]) for r in history])

    return {
        "backlinks": chart("chart-trend-links", "Backlinks over the last crawls", "backlinks", "backlinks"),
        "domains": chart(
            "chart-trend-domains", "Referring domains over the last crawls", "referring_domains", "domains"
        ),
    }


def discovery_rows(discovery: dict | None, pages: list[dict]) -> list[dict]:
    """ "Where we looked": per discovery source, what was asked and what it led to. Pages and
    pages with backlinks or mentions come from the page records (`discovered_by`); requests,
    candidates and failures from the crawl's own book of its sources (`discovery`), when given
    (requests and candidates are None for a source without a book)."""
    counts: dict[str, list[int]] = {}
    for page in pages:
        by = page.get("discovered_by")
        if by and by != "link":
            row = counts.setdefault(by, [0, 0, 0])
            row[0] += 1
            row[1] += bool(page.get("backlinks"))
            row[2] += bool(page.get("mentions"))
    names = list(discovery or {}) + [n for n in sorted(counts) if n not in (discovery or {})]
    rows = []
    for name in names:
        book = (discovery or {}).get(name) or {}
        crawled, with_links, with_mentions = counts.get(name, [0, 0, 0])
        queries = book.get("queries") or []
        failures = book.get("failures") or []
        rows.append(
            {
                "name": name,
                "queries": "; ".join(_clip(q, 60) for q in queries[:3]) + (" …" if len(queries) > 3 else ""),
                "requests": book.get("requests", 0) if book else None,
                "candidates": book.get("candidates", 0) if book else None,
                "crawled": crawled,
                "with_links": with_links,
                "with_mentions": with_mentions,
                "failures": "; ".join(_clip(f, 80) for f in failures[:3]) if failures else "none",
            }
        )
    return rows


def _rel_text(rel: list[str]) -> str:
    flags = [t for t in rel or [] if t in REL_FLAGS]
    return ", ".join(flags) if flags else "followed"


def _change_details(item: dict) -> list[dict]:
    """What changed in a changed link: [{"field": "anchor_text" | "rel", "before", "after"}]."""
    details = []
    if "anchor_text" in item["changes"]:
        details.append(
            {
                "field": "anchor_text",
                "before": item["before"]["anchor_text"],
                "after": item["after"]["anchor_text"],
            }
        )
    if "rel" in item["changes"]:
        old_rel, new_rel = _rel_text(item["before"]["rel"]), _rel_text(item["after"]["rel"])
        if old_rel == new_rel:  # only tokens like noopener changed: show them all
            old_rel = " ".join(item["before"]["rel"]) or "(none)"
            new_rel = " ".join(item["after"]["rel"]) or "(none)"
        details.append({"field": "rel", "before": old_rel, "after": new_rel})
    return details


def changes(records: dict[str, list[dict]], previous: dict[str, list[dict]] | None) -> dict | None:
    """New, lost and changed backlinks since the previous crawl (None on a first crawl): their
    counts, the previous crawl's id and start, and the rows (kind "new" / "lost" / "changed",
    the link and, for a changed one, its details)."""
    if previous is None:
        return None
    diff = compare_crawls(
        records.get("backlink") or [], previous.get("backlink") or [], records.get("page") or []
    )
    rows = [{"kind": "new", "link": item} for item in diff["new"]]
    rows += [{"kind": "lost", "link": item} for item in diff["lost"]]
    rows += [{"kind": "changed", "link": item, "details": _change_details(item)} for item in diff["changed"]]
    return {
        "new": len(diff["new"]),
        "lost": len(diff["lost"]),
        "changed": len(diff["changed"]),
        "not_checked": len(diff.get("not_checked") or []),
        "previous_id": next(
            (r.get("crawl_id") for r in previous.get("backlink") or [] if r.get("crawl_id")), None
        ),
        "previous_start": earliest_crawled_at(previous),
        "rows": rows,
    }


def leads(records: dict[str, list[dict]]) -> list[dict]:
    """The outreach leads, most mentions first."""
    return sorted(
        records.get("lead") or [], key=lambda r: (-(r.get("mentions") or 0), r.get("source_url") or "")
    )


# How many backlinks the "Best backlinks" section lists.
BEST_BACKLINKS = 15


def best_backlinks(records: dict[str, list[dict]]) -> list[dict]:
    """The target's most valuable backlinks by quality (then by page), with the reasons of each:
    at most one per linking page, at most BEST_BACKLINKS."""
    best: dict[str, dict] = {}
    for link in records.get("backlink") or []:
        page = link.get("source_url") or ""
        if page not in best or (link.get("quality") or 0) > (best[page].get("quality") or 0):
            best[page] = link
    ranked = sorted(best.values(), key=lambda r: (-(r.get("quality") or 0), r.get("source_url") or ""))
    return ranked[:BEST_BACKLINKS]


def prospects(records: dict[str, list[dict]]) -> list[dict]:
    """The prospects: those not linking to the target yet first, then the most relevant to its
    niche (unknown relevance last), then by page."""
    return sorted(
        records.get("prospect") or [],
        key=lambda r: (
            bool(r.get("links_to_target")),
            -(r.get("niche_relevance") if isinstance(r.get("niche_relevance"), int | float) else -1),
            r.get("source_url") or "",
        ),
    )


def broken_links(records: dict[str, list[dict]]) -> list[dict]:
    """The broken links, those to the target's own pages first, then by page and link."""
    return sorted(
        records.get("broken_link") or [],
        key=lambda r: (not r.get("to_target"), r.get("source_url") or "", r.get("broken_url") or ""),
    )


def reclaims(records: dict[str, list[dict]]) -> list[dict]:
    """Backlinks to dead pages of the target, by page: [{"link": backlink, "fix": a suggested live
    page from the broken-link check of that dead page, or None}]."""
    suggestions = {
        b.get("broken_url"): b.get("suggested_replacement")
        for b in records.get("broken_link") or []
        if b.get("suggested_replacement")
    }
    dead = sorted(
        (b for b in records.get("backlink") or [] if b.get("reclaim")),
        key=lambda r: (r.get("source_url") or "", r.get("target_url") or ""),
    )
    return [{"link": b, "fix": suggestions.get(b.get("target_url"))} for b in dead]


# --------------------------------------------------------------------------------------------
# The page


RECHECK_ORDER = ("lost", "changed", "unverified", "new", "live")


def asked(arguments: dict | None) -> list[str]:
    """What the crawl was asked, as short phrases for the report's header."""
    if not arguments:
        return []
    out = []
    if arguments.get("brand_terms"):
        case = " (case-sensitive)" if arguments.get("brand_case") == "sensitive" else ""
        out.append("brand " + ", ".join(f"“{t}”" for t in arguments["brand_terms"]) + case)
    if arguments.get("exclude"):
        out.append("excluding " + ", ".join(f"“{t}”" for t in arguments["exclude"]))
    if arguments.get("context"):
        out.append("only with " + ", ".join(f"“{t}”" for t in arguments["context"]))
    if "seeds" in arguments:
        kind = arguments.get("seed_kind")
        out.append(f"{arguments['seeds']} seeds" + (f" ({kind})" if kind and kind != "urls" else ""))
    if arguments.get("sources"):
        out.append("sources " + ", ".join(arguments["sources"]))
    if arguments.get("known"):
        out.append(f"{arguments.get('links', 0)} known links from {arguments['known']}")
    if "depth" in arguments:
        out.append(f"depth {arguments['depth']}")
    out.append(f"render {arguments.get('render')}")
    if arguments.get("since"):
        out.append(f"since {arguments['since']}")
    if arguments.get("max_pages"):
        out.append(f"at most {arguments['max_pages']} pages")
    return out


def recheck(records: dict[str, list[dict]]) -> dict | None:
    """A `recheck` run's results (it writes link_status records and no pages), or None for a crawl:
    counts per status and the rows, lost first."""
    statuses = records.get("link_status") or []
    if not statuses or records.get("page"):
        return None
    rank = {status: n for n, status in enumerate(RECHECK_ORDER)}
    rows = sorted(
        statuses,
        key=lambda r: (rank.get(r.get("status"), 9), r.get("source_url") or "", r.get("target_url") or ""),
    )
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.get("status")] = counts.get(row.get("status"), 0) + 1
    return {
        "order": RECHECK_ORDER,
        "counts": counts,
        "rows": rows,
        "pages": len({r.get("source_url") for r in rows}),
        "links": sum(1 for r in rows if r.get("status") != "new"),
    }


def competitor_sections(records: dict[str, list[dict]], target: str, arguments: dict | None) -> dict | None:
    """ "Links your competitors have" and "Share of voice" (None without `-a competitors=`): the gap
    domains, referring domains per site (a competitor's split into those that also link to the
    target and those that do not), and mentions per brand (linked and not)."""
    hosts = competitor_hosts(records, arguments)
    if not hosts:
        return None
    domains = referring_domains(records, hosts)
    own = len({b.get("source_domain") for b in records.get("backlink") or []})
    domain_rows = [(target, [(own, COLOURS["bar"], "referring domains")])] + [
        (
            host,
            [
                (domains[host]["domains"] - domains[host]["gap"], COLOURS["nofollow"], "also link to you"),
                (domains[host]["gap"], COLOURS["ugc"], "do not link to you"),
            ],
        )
        for host in hosts
    ]
    voice = share_of_voice(records, target, hosts)
    voice_rows = [
        (
            row["brand"],
            [
                (row["linked"], COLOURS["followed"], "linked"),
                (row["mentions"] - row["linked"], COLOURS["nofollow"], "unlinked"),
            ],
        )
        for row in voice
    ]
    return {
        "gap": gap_domains(records),
        "domains_chart": bar_chart("chart-gap", "Referring domains per site", domain_rows),
        "voice": voice,
        "voice_chart": bar_chart("chart-voice", "Mentions per brand, linked and unlinked", voice_rows),
    }


def render_report(
    summary: dict,
    records: dict[str, list[dict]],
    previous: dict | None = None,
    discovery: dict | None = None,
    partial: list[str] | None = None,
    arguments: dict | None = None,
    history: list[dict] | None = None,
) -> str:
    """The report as one self-contained HTML document.

    `summary`: `build_summary(records)`; `records`: this crawl's records by type; `previous`: the
    previous crawl of the same target's records by type (at least "backlink"), or None when this
    is its first crawl; `discovery`: what each discovery source did (the summary record's
    `discovery`), or None; `partial`: why the crawl is partial (empty: complete). Nothing in the
    page loads anything: no script, font, image or URL."""
    before = build_summary(previous) if previous is not None else None
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            css=Markup(_load_template("report.css")),  # our own file, inside <style>: not escaped
            target=summary.get("target") or "unknown target",
            crawl_id=summary.get("crawl_id") or "?",
            started_at=summary.get("started_at"),
            partial=partial or [],
            asked=asked(arguments),
            trends=trends(history or []),
            recheck=recheck(records),
            kpis=kpis(summary, before),
            charts=charts(summary, records.get("backlink") or []),
            discovery=discovery_rows(discovery, records["page"]),
            changes=changes(records, previous),
            leads=leads(records),
            prospects=prospects(records),
            best=best_backlinks(records),
            broken=broken_links(records),
            reclaim=reclaims(records),
            competitors=competitor_sections(records, summary.get("target") or "unknown target", arguments),
        )
    )
