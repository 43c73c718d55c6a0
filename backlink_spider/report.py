"""The HTML crawl report: one self-contained file a marketer reads at a glance.

    python -m backlink_spider.report OUTPUT_DIR CRAWL_ID      # prints the report's path

- `build_summary(records)`: the crawl's key numbers and breakdowns from its records
  (`records` maps a record type — page, backlink, mention, lead, broken_link — to its records).
- `compare_crawls(current_backlinks, previous_backlinks)`: new, lost and changed backlinks.
- `render_report(summary, records, previous=None)`: the HTML (inline CSS, inline SVG charts drawn
  here; no script, no font, image or any other URL is loaded: it renders offline from file://).
- `write_report(output_dir, crawl_id)`: reads the crawl (and the previous crawl of the same target)
  from OUTPUT_DIR and writes OUTPUT_DIR/reports/<crawl_id>.html atomically.

Records come from the web: every value is HTML-escaped, and links are emitted only for http(s)
URLs and plain e-mail addresses (mailto:). A Content-Security-Policy in the page forbids scripts and
any request, as a second line of defence.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections import Counter, defaultdict
from datetime import datetime
from html import escape
from pathlib import Path

import orjson

from backlink_spider.output import read_records

# The record types a crawl report reads.
REPORTED_TYPES = ("page", "backlink", "mention", "lead", "broken_link", "link_status")
REL_FLAGS = ("nofollow", "ugc", "sponsored")
TOP_DOMAINS = 10
MAX_TABLE_ROWS = 500

# Chart colours (also used by the legend swatches in CSS).
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


# --------------------------------------------------------------------------------------------
# Numbers


def _followed(backlink: dict) -> bool:
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

    followed = [b for b in backlinks if _followed(b)]
    rel = {flag: sum(1 for b in backlinks if b.get(flag)) for flag in REL_FLAGS}
    rel["followed"] = len(followed)

    per_domain: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for b in backlinks:
        counts = per_domain[b.get("source_domain") or ""]
        counts[0] += 1
        counts[1] += _followed(b)
    top = sorted(per_domain.items(), key=lambda item: (-item[1][0], -item[1][1], item[0]))[:TOP_DOMAINS]

    return {
        "crawl_id": next((r["crawl_id"] for r in every if r.get("crawl_id")), None),
        "target": next((r["target"] for r in every if r.get("target")), None),
        "started_at": min((r["crawled_at"] for r in every if r.get("crawled_at")), default=None),
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


def _link_ref(backlink: dict) -> dict:
    return {
        "source_url": backlink.get("source_url"),
        "target_url": backlink.get("target_url"),
        "anchor_text": backlink.get("anchor_text"),
    }


def _link_order(link: dict) -> tuple[str, str, str]:
    return (link.get("source_url") or "", link.get("target_url") or "", link.get("anchor_text") or "")


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

    def change(before: dict, after: dict) -> dict | None:
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

    # The same record in both crawls: only rel can differ (anchor text is part of the identity).
    for rid in current.keys() & previous.keys():
        item = change(previous[rid], current[rid])
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
            item = change(before, b)
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


# --------------------------------------------------------------------------------------------
# HTML helpers

_HTTP_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f<>\"'`\\]+\Z", re.IGNORECASE)
_EMAIL = re.compile(
    r"[^\s\x00-\x1f\x7f@<>\"'`\\?&/:;,()]+@[A-Za-z0-9\u00a0-\uffff.-]+\.[A-Za-z\u00a0-\uffff]{2,}\Z"
)


def _e(value: object) -> str:
    """HTML-escaped text ("" for None)."""
    return "" if value is None else escape(str(value), quote=True)


def safe_http_url(url: object) -> str | None:
    """`url` when it is a plain http(s) URL (the only URLs this report links to), else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if _HTTP_URL.match(url) else None


def _short(url: object) -> str:
    """A URL as shown: without its http(s):// (the link keeps it)."""
    text = "" if url is None else str(url)
    return re.sub(r"(?i)^https?://", "", text)


def _link(url: object, text: object = None, *, cls: str = "") -> str:
    """An <a> to an http(s) URL, or just the escaped text when the URL is anything else.
    Without `text`, the URL is shown without its scheme."""
    label = _e(_short(url) if text in (None, "") else text)
    href = safe_http_url(url)
    if href is None:
        return f'<span class="{cls}">{label}</span>' if cls else label
    class_attr = f' class="{cls}"' if cls else ""
    return f'<a{class_attr} href="{_e(href)}" rel="nofollow noreferrer">{label}</a>'


def _mailto(address: object) -> str:
    if isinstance(address, str) and _EMAIL.match(address.strip()):
        address = address.strip()
        return f'<a href="mailto:{_e(address)}">{_e(address)}</a>'
    return _e(address)


def _host(url: object) -> str:
    if not isinstance(url, str):
        return ""
    match = re.match(r"(?i)[a-z][a-z0-9+.-]*://([^/?#]+)", url.strip())
    return match.group(1) if match else url


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


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
    text = "" if text is None else str(text)
    return text if len(text) <= length else text[: length - 1] + "…"


# --------------------------------------------------------------------------------------------
# SVG charts (drawn here; scale with their container through the viewBox)

_CHART_W = 400


def _svg_open(chart_id: str, height: float, title: str, desc: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {_CHART_W} {height:.0f}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{_e(title)}</title><desc id="{chart_id}-d">{_e(desc)}</desc>'
    )


def _bar_chart(chart_id: str, title: str, rows: list[tuple[str, list[tuple[int, str, str]]]]) -> str:
    """Horizontal bars, the label above each bar. rows: (label, [(value, colour, name), ...]):
    a row's values are stacked in one bar; the number at its end is their total."""
    if not rows:
        return '<p class="empty">Nothing to chart in this crawl.</p>'
    longest = max(sum(v for v, _, _ in parts) for _, parts in rows) or 1
    row_h, bar_h, label_h = 40, 14, 17
    height = len(rows) * row_h + 4
    number_w = 44
    scale = (_CHART_W - number_w) / longest
    desc = "; ".join(
        f"{label}: " + ", ".join(f"{v} {name}" for v, _, name in parts if v or len(parts) == 1)
        for label, parts in rows
    )
    out = [_svg_open(chart_id, height, title, desc)]
    for i, (label, parts) in enumerate(rows):
        y = i * row_h + 2
        total = sum(v for v, _, _ in parts)
        out.append(
            f"<g><title>{_e(label)}: {total}</title>"
            f'<text x="0" y="{y + 13}" class="lbl">{_e(_clip(label, 52))}</text>'
            f'<rect x="0" y="{y + label_h + 2}" width="{_CHART_W - number_w:.1f}" height="{bar_h}" '
            f'rx="3" fill="{COLOURS["track"]}"/>'
        )
        x = 0.0
        for value, colour, _name in parts:
            if value:
                w = value * scale
                out.append(
                    f'<rect x="{x:.1f}" y="{y + label_h + 2}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{colour}"/>'
                )
                x += w
        out.append(f'<text x="{x + 6:.1f}" y="{y + label_h + 14}" class="num">{total}</text></g>')
    out.append("</svg>")
    return "".join(out)


def _rel_segments(backlinks: list[dict]) -> list[tuple[str, int]]:
    """Each backlink in exactly one group, the most specific rel first: sponsored, ugc, nofollow."""
    groups = Counter()
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


def _donut(chart_id: str, segments: list[tuple[str, int]], share: float) -> str:
    total = sum(n for _, n in segments)
    size, radius, stroke = 180, 68, 26
    centre = size / 2
    circumference = 2 * math.pi * radius
    desc = ", ".join(f"{name}: {n}" for name, n in segments) if total else "no backlinks"
    out = [
        f'<svg class="donut" viewBox="0 0 {size} {size}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">Backlinks by rel: {_pct(share)} followed</title>'
        f'<desc id="{chart_id}-d">{_e(desc)}</desc>',
        f'<circle cx="{centre}" cy="{centre}" r="{radius}" fill="none" stroke="{COLOURS["track"]}" '
        f'stroke-width="{stroke}"/>',
    ]
    offset = 0.0
    for name, n in segments:
        if not n:
            continue
        length = circumference * n / total
        # start at 12 o'clock, clockwise
        out.append(
            f'<circle cx="{centre}" cy="{centre}" r="{radius}" fill="none" stroke="{COLOURS[name]}" '
            f'stroke-width="{stroke}" stroke-dasharray="{length:.2f} {circumference - length:.2f}" '
            f'stroke-dashoffset="{-offset:.2f}" transform="rotate(-90 {centre} {centre})">'
            f"<title>{_e(name)}: {n}</title></circle>"
        )
        offset += length
    big = _pct(share) if total else "–"
    out.append(
        f'<text x="{centre}" y="{centre + 4}" text-anchor="middle" class="donut-big">{big}</text>'
        f'<text x="{centre}" y="{centre + 24}" text-anchor="middle" class="donut-small">followed</text>'
        "</svg>"
    )
    return "".join(out)


# --------------------------------------------------------------------------------------------
# Page sections


def _kpi(label: str, value: str, note: str = "", tone: str = "", delta: str = "") -> str:
    cls = f"kpi {tone}".strip()
    return (
        f'<div class="{cls}"><div class="kpi-value">{value}</div><div class="kpi-label">{label}</div>'
        + (f'<div class="kpi-note">{note}</div>' if note else "")
        + (f'<div class="kpi-delta">{delta}</div>' if delta else "")
        + "</div>"
    )


def _delta(now: float, before: float | None, *, percent: bool = False) -> str:
    if before is None:
        return ""
    diff = round((now - before) * 100) if percent else now - before
    if diff == 0:
        return "no change since the previous crawl"
    sign = "+" if diff > 0 else "−"  # a real minus sign
    unit = " pts" if percent else ""
    return f"{sign}{abs(diff):,}{unit} since the previous crawl"


def _table(caption: str, headers: list[str], rows: list[list[str]], empty: str, cls: str = "") -> str:
    if not rows:
        return f'<p class="empty">{_e(empty)}</p>'
    more = ""
    if len(rows) > MAX_TABLE_ROWS:
        more = (
            f'<p class="more">Showing the first {MAX_TABLE_ROWS:,} of {len(rows):,} rows; '
            "the JSONL output has them all.</p>"
        )
        rows = rows[:MAX_TABLE_ROWS]
    head = "".join(f'<th scope="col">{_e(h)}</th>' for h in headers)
    body = "".join(
        "<tr>"
        + "".join(f'<td data-label="{_e(h)}">{cell}</td>' for h, cell in zip(headers, row, strict=True))
        + "</tr>"
        for row in rows
    )
    return (
        f'<div class="table-wrap"><table class="{cls}"><caption class="sr-only">{_e(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{more}"
    )


def _rel_text(rel: list[str]) -> str:
    flags = [t for t in rel or [] if t in REL_FLAGS]
    return ", ".join(flags) if flags else "followed"


def _changes_section(records: dict, previous: dict | None) -> str:
    if previous is None:
        return (
            '<section class="card" aria-labelledby="changes-h"><h2 id="changes-h">'
            "New and lost links since the previous crawl</h2>"
            '<p class="empty">First crawl of this target: nothing to compare with yet.</p></section>'
        )
    diff = compare_crawls(records.get("backlink") or [], previous.get("backlink") or [])
    prev_id = next((r.get("crawl_id") for r in previous.get("backlink") or [] if r.get("crawl_id")), None)
    prev_start = min(
        (r["crawled_at"] for kind in REPORTED_TYPES for r in previous.get(kind) or [] if r.get("crawled_at")),
        default=None,
    )
    rows = []
    for item in diff["new"]:
        rows.append(
            [
                '<span class="badge new">New</span>',
                _link(item["source_url"], cls="url"),
                _link(item["target_url"], cls="url"),
                _e(item["anchor_text"]) or '<span class="muted">(no text)</span>',
            ]
        )
    for item in diff["lost"]:
        rows.append(
            [
                '<span class="badge lost">Lost</span>',
                _link(item["source_url"], cls="url"),
                _link(item["target_url"], cls="url"),
                _e(item["anchor_text"]) or '<span class="muted">(no text)</span>',
            ]
        )
    for item in diff["changed"]:
        details = []
        if "anchor_text" in item["changes"]:
            details.append(
                f"anchor “{_e(item['before']['anchor_text'])}” → “{_e(item['after']['anchor_text'])}”"
            )
        if "rel" in item["changes"]:
            old_rel, new_rel = _rel_text(item["before"]["rel"]), _rel_text(item["after"]["rel"])
            if old_rel == new_rel:  # only tokens like noopener changed: show them all
                old_rel = " ".join(item["before"]["rel"]) or "(none)"
                new_rel = " ".join(item["after"]["rel"]) or "(none)"
            details.append(f"rel {_e(old_rel)} → {_e(new_rel)}")
        rows.append(
            [
                '<span class="badge changed">Changed</span>',
                _link(item["source_url"], cls="url"),
                _link(item["target_url"], cls="url"),
                "<br>".join(details),
            ]
        )
    intro = (
        f'<p class="lede"><strong>{len(diff["new"])}</strong> new · '
        f"<strong>{len(diff['lost'])}</strong> lost · "
        f"<strong>{len(diff['changed'])}</strong> changed, compared with crawl "
        f"<code>{_e(prev_id or '?')}</code> of {_e(_date(prev_start))}.</p>"
    )
    table = _table(
        "New, lost and changed backlinks",
        ["Change", "Linking page", "Links to", "Anchor text / what changed"],
        rows,
        "No link was gained, lost or changed since the previous crawl.",
        cls="changes",
    )
    return (
        '<section class="card" aria-labelledby="changes-h"><h2 id="changes-h">'
        f"New and lost links since the previous crawl</h2>{intro}{table}</section>"
    )


def _leads_section(leads: list[dict]) -> str:
    rows = []
    for lead in sorted(leads, key=lambda r: (-(r.get("mentions") or 0), r.get("source_url") or "")):
        title = lead.get("title") or lead.get("source_url")
        page = (
            _link(lead.get("source_url"), title, cls="strong")
            + f'<div class="sub">{_e(_host(lead.get("source_url")))} · '
            f"{_e(_label(lead.get('source_type') or 'other'))} · "
            f"{_plural(lead.get('mentions') or 0, 'mention')}</div>"
        )
        emails = "<br>".join(_mailto(a) for a in lead.get("emails") or []) or '<span class="muted">–</span>'
        contact = []
        if lead.get("contact_url"):
            contact.append(_link(lead["contact_url"], _clip(_short(lead["contact_url"]), 60), cls="url"))
        socials = [_link(u, _clip(_short(u).rstrip("/"), 40)) for u in lead.get("social_profiles") or []]
        if socials:
            contact.append('<div class="sub">' + " · ".join(socials) + "</div>")
        rows.append(
            [
                page,
                _e(lead.get("author")) or '<span class="muted">unknown</span>',
                emails,
                "".join(contact) or '<span class="muted">–</span>',
                f"<q>{_e(lead.get('snippet'))}</q>" if lead.get("snippet") else "",
            ]
        )
    return _table(
        "Outreach list: pages that mention the brand without linking",
        ["Page", "Author", "E-mail", "Contact", "Mention"],
        rows,
        "No unlinked mentions in this crawl: no outreach leads.",
        cls="leads",
    )


def _status_text(status: object, error: object) -> str:
    if status:
        return f'<span class="badge bad">{_e(status)}</span>' + (f" {_e(error)}" if error else "")
    return f'<span class="badge bad">{_e(error or "failed")}</span>'


def _broken_section(broken: list[dict]) -> str:
    rows = []
    for b in sorted(
        broken, key=lambda r: (not r.get("to_target"), r.get("source_url") or "", r.get("broken_url") or "")
    ):
        suggestion = '<span class="muted">–</span>'
        if b.get("suggested_replacement"):
            score = b.get("suggestion_score")
            suggestion = _link(b["suggested_replacement"], cls="url") + (
                f'<div class="sub">match {score:.0%}</div>' if isinstance(score, int | float) else ""
            )
        anchor = _e(b.get("anchor_text"))
        rows.append(
            [
                _link(b.get("source_url"), cls="url"),
                _link(b.get("broken_url"), cls="url")
                + (f'<div class="sub">“{anchor}”</div>' if anchor else "")
                + (
                    '<div class="sub"><span class="badge changed">your site</span></div>'
                    if b.get("to_target")
                    else ""
                ),
                _status_text(b.get("status"), b.get("error")),
                suggestion,
            ]
        )
    return _table(
        "Broken outbound links on the crawled pages",
        ["Page with the dead link", "Broken link", "Status", "Suggested replacement"],
        rows,
        "No broken links found on the crawled pages.",
        cls="broken",
    )


def _reclaim_section(backlinks: list[dict], broken: list[dict]) -> str:
    suggestions = {
        b.get("broken_url"): b.get("suggested_replacement") for b in broken if b.get("suggested_replacement")
    }
    rows = []
    for b in sorted(
        (b for b in backlinks if b.get("reclaim")),
        key=lambda r: (r.get("source_url") or "", r.get("target_url") or ""),
    ):
        fix = suggestions.get(b.get("target_url"))
        rows.append(
            [
                _link(b.get("source_url"), cls="url")
                + f'<div class="sub">{_e(b.get("source_domain"))}</div>',
                _link(b.get("target_url"), cls="url")
                + (f'<div class="sub">“{_e(b.get("anchor_text"))}”</div>' if b.get("anchor_text") else ""),
                _status_text(b.get("target_status"), b.get("target_error")),
                (_link(fix, cls="url") if fix else '<span class="muted">redirect it to a live page</span>'),
            ]
        )
    return _table(
        "Backlinks to dead pages of the target",
        ["Linking page", "Dead page it links to", "Status", "Redirect to / ask them to link"],
        rows,
        "No backlink points at a dead page of the site.",
        cls="reclaim",
    )


CSS = """
:root{--bg:#f4f6f9;--card:#fff;--text:#1f2933;--muted:#5f6b7a;--line:#e1e6ec;--accent:#2f6fde;
--good:#1a7f64;--bad:#c2412d;--warn:#a86a00}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",
Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
header.top{background:#14213d;color:#fff}
header.top .inner{max-width:1200px;margin:0 auto;padding:22px 28px}
header.top .eyebrow{text-transform:uppercase;letter-spacing:.08em;font-size:12px;opacity:.75;margin:0}
header.top h1{margin:2px 0 6px;font-size:28px;line-height:1.2;overflow-wrap:anywhere}
header.top .meta{margin:0;font-size:14px;opacity:.9}
header.top code{background:rgba(255,255,255,.12);color:#fff}
h2{font-size:19px;margin:0 0 4px}
.hint{color:var(--muted);margin:0 0 14px;font-size:14px}
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef1f5;padding:1px 5px;
border-radius:4px;overflow-wrap:anywhere}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:0 0 20px}
.kpi{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px;
border-top:4px solid var(--accent)}
.kpi.good{border-top-color:var(--good)}.kpi.warn{border-top-color:var(--warn)}
.kpi.bad{border-top-color:var(--bad)}.kpi.plain{border-top-color:#9aa5b1}
.kpi-value{font-size:30px;font-weight:700;line-height:1.1;font-variant-numeric:tabular-nums}
.kpi-label{font-size:14px;font-weight:600;margin-top:2px}
.kpi-note,.kpi-delta{font-size:12.5px;color:var(--muted)}
.kpi-delta{margin-top:4px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px;
margin:0 0 20px}
.charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:20px;margin:0 0 20px}
.charts .card{margin:0}
svg.chart{display:block;width:100%;max-width:520px;height:auto}
svg .lbl{font-size:13px;fill:#1f2933}
svg .num{font-size:13px;font-weight:700;fill:#1f2933}
.rel{display:flex;gap:20px;align-items:center;flex-wrap:wrap}
svg.donut{width:180px;height:180px;flex:none}
svg .donut-big{font-size:30px;font-weight:700;fill:#1f2933}
svg .donut-small{font-size:13px;fill:#5f6b7a}
.legend{list-style:none;margin:0;padding:0;font-size:14px}
.legend li{display:flex;align-items:center;gap:8px;margin:4px 0}
.legend .n{font-weight:700;font-variant-numeric:tabular-nums;min-width:2ch;text-align:right}
.sw{display:inline-block;width:12px;height:12px;border-radius:3px;flex:none}
.legend-inline{display:flex;gap:14px;font-size:13px;color:var(--muted);margin:0 0 8px;flex-wrap:wrap}
.legend-inline span{display:inline-flex;align-items:center;gap:6px}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:14px}
th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
border-bottom:2px solid var(--line);padding:8px 10px;white-space:nowrap}
td{border-bottom:1px solid var(--line);padding:10px;vertical-align:top;overflow-wrap:anywhere}
tbody tr:hover{background:#f8fafc}
a{color:#1d5bc4;text-decoration:none}a:hover{text-decoration:underline}
a.strong{font-weight:600}
.url{overflow-wrap:anywhere;word-break:break-word}
.sub{font-size:12.5px;color:var(--muted);margin-top:2px}
.muted{color:var(--muted)}
q{color:#3b4754;font-style:italic}
.badge{display:inline-block;font-size:12px;font-weight:700;padding:1px 8px;border-radius:999px;
white-space:nowrap}
.badge.new{background:#dcf3ea;color:#11634d}.badge.lost{background:#fbe3df;color:#9b2c1c}
.badge.changed{background:#fdf0d5;color:#7a4d00}.badge.bad{background:#fbe3df;color:#9b2c1c}
.lede{margin:0 0 12px}
.empty{color:var(--muted);margin:6px 0 0;font-style:italic}
.more{color:var(--muted);font-size:13px}
.sr-only{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap;border:0}
footer{color:var(--muted);font-size:12.5px;text-align:center;margin-top:24px}
table.leads td:nth-child(1){min-width:230px}table.leads td:nth-child(2){min-width:110px}
table.leads td:nth-child(3){min-width:200px;overflow-wrap:normal;word-break:break-all}
table.leads td:nth-child(4){min-width:200px}table.leads td:nth-child(5){min-width:260px}
@media (max-width:860px){.charts{grid-template-columns:1fr}
.kpis{grid-template-columns:repeat(3,minmax(0,1fr))}}
@media (max-width:640px){
main{padding:14px 12px 32px}svg .lbl,svg .num{font-size:17px}
header.top .inner{padding:16px 14px}header.top h1{font-size:22px}
.kpis{grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.kpi{padding:10px 12px}.kpi-value{font-size:24px}
.card{padding:14px 12px}
table,thead,tbody,tr,td{display:block;width:100%}
thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
tr{border:1px solid var(--line);border-radius:8px;margin:0 0 10px;padding:4px 10px}
td{border:0;padding:6px 0;min-width:0!important}
td::before{content:attr(data-label);display:block;font-size:11px;text-transform:uppercase;
letter-spacing:.04em;color:var(--muted);font-weight:600}
}
@media print{body{background:#fff}.card,.kpi{break-inside:avoid}header.top{background:#fff;color:#000}}
"""


def _discovery_section(discovery: dict | None, pages: list[dict]) -> str:
    """ "Where we looked": per discovery source, what was asked and what it led to. Pages and
    pages with backlinks or mentions come from the page records (`discovered_by`); requests,
    candidates and failures from the crawl's own book of its sources (`discovery`), when given."""
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
            [
                _e(name),
                _e("; ".join(_clip(q, 60) for q in queries[:3]) + (" …" if len(queries) > 3 else "")),
                _num(book.get("requests", 0)) if book else "–",
                _num(book.get("candidates", 0)) if book else "–",
                _num(crawled),
                _num(with_links),
                _num(with_mentions),
                _e("; ".join(_clip(f, 80) for f in failures[:3])) if failures else "none",
            ]
        )
    return (
        '<section class="card" aria-labelledby="where-h"><h2 id="where-h">Where we looked</h2>'
        '<p class="hint">How the crawl came to its pages: seeds, sitemaps, feeds and each discovery '
        "source, with what each was asked and what its pages held.</p>"
        + _table(
            "Where we looked",
            [
                "Source",
                "Queries",
                "Requests",
                "Candidates",
                "Pages crawled",
                "With backlinks",
                "With mentions",
                "Failures",
            ],
            rows,
            "No seeds or sources were recorded for this crawl.",
        )
        + "</section>"
    )


def render_report(
    summary: dict, records: dict[str, list[dict]], previous: dict | None = None, discovery: dict | None = None
) -> str:
    """The report as one self-contained HTML document.

    `summary`: `build_summary(records)`; `records`: this crawl's records by type; `previous`: the
    previous crawl of the same target's records by type (at least "backlink"), or None when this
    is its first crawl. Nothing in the page loads anything: no script, font, image or URL."""
    backlinks = records.get("backlink") or []
    broken = records.get("broken_link") or []
    leads = records.get("lead") or []
    before = build_summary(previous) if previous is not None else {}

    def was(key: str) -> float | None:
        return before.get(key) if previous is not None else None

    target = summary.get("target") or "unknown target"
    crawl_id = summary.get("crawl_id") or "?"
    share = summary.get("followed_share") or 0.0

    kpis = "".join(
        [
            _kpi(
                "Backlinks",
                _num(summary["backlinks"]),
                "links to the site found",
                "",
                _delta(summary["backlinks"], was("backlinks")),
            ),
            _kpi(
                "Referring domains",
                _num(summary["referring_domains"]),
                "sites linking",
                "",
                _delta(summary["referring_domains"], was("referring_domains")),
            ),
            _kpi(
                "Followed",
                _pct(share),
                f"{_num(summary['rel'].get('followed', 0))} without nofollow/ugc/sponsored",
                "good",
                _delta(share, was("followed_share"), percent=True),
            ),
            _kpi(
                "Unlinked-mention pages",
                _num(summary["unlinked_mention_pages"]),
                "name the brand, no link",
                "warn",
                _delta(summary["unlinked_mention_pages"], was("unlinked_mention_pages")),
            ),
            _kpi(
                "Outreach leads",
                _num(summary["leads"]),
                "with contact details below",
                "warn",
                _delta(summary["leads"], was("leads")),
            ),
            _kpi(
                "Broken links",
                _num(summary["broken_links"]),
                "dead links on crawled pages",
                "bad",
                _delta(summary["broken_links"], was("broken_links")),
            ),
            _kpi(
                "Reclaim",
                _num(summary["reclaim"]),
                "backlinks to dead pages of the site",
                "bad",
                _delta(summary["reclaim"], was("reclaim")),
            ),
            _kpi(
                "Pages crawled",
                _num(summary["pages"]),
                f"{_num(summary['rendered_pages'])} rendered · {_plural(summary['errors'], 'error')}",
                "plain",
                _delta(summary["pages"], was("pages")),
            ),
        ]
    )

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
    domains_chart = (
        '<div class="legend-inline" aria-hidden="true">'
        f'<span><i class="sw" style="background:{COLOURS["followed"]}"></i>followed</span>'
        f'<span><i class="sw" style="background:{COLOURS["nofollow"]}"></i>nofollow / ugc / sponsored</span>'
        "</div>" + _bar_chart("chart-domains", "Top referring domains by backlinks", domain_rows)
    )

    segments = _rel_segments(backlinks)
    rel_flags = summary.get("rel") or {}
    legend = "".join(
        f'<li><i class="sw" style="background:{COLOURS[name]}"></i><span class="n">{n}</span> {name}</li>'
        for name, n in segments
    )
    overlap = sum(rel_flags.get(f, 0) for f in REL_FLAGS) > summary["backlinks"] - rel_flags.get(
        "followed", 0
    )
    rel_note = (
        '<p class="hint" style="margin-top:8px">A link with several rel values is counted once, under the '
        "most specific (sponsored, then ugc, then nofollow). Totals: "
        + " · ".join(f"{f} {rel_flags.get(f, 0)}" for f in REL_FLAGS)
        + ".</p>"
        if overlap
        else ""
    )
    rel_chart = (
        f'<div class="rel">{_donut("chart-rel", segments, share)}<ul class="legend">{legend}</ul></div>'
        f"{rel_note}"
    )

    type_rows = [
        (_label(t), [(n, COLOURS["bar"], "pages")]) for t, n in (summary.get("source_types") or {}).items()
    ]
    position_rows = [
        (p.capitalize(), [(n, COLOURS["bar"], "backlinks")])
        for p, n in (summary.get("positions") or {}).items()
    ]

    charts = (
        '<div class="charts">'
        '<section class="card" aria-labelledby="dom-h"><h2 id="dom-h">Top referring domains</h2>'
        '<p class="hint">Backlinks per linking site (top 10)</p>'
        f"{domains_chart}</section>"
        '<section class="card" aria-labelledby="rel-h"><h2 id="rel-h">Followed and nofollow links</h2>'
        '<p class="hint">Backlinks by their rel attribute</p>'
        f"{rel_chart}</section>"
        '<section class="card" aria-labelledby="types-h"><h2 id="types-h">Where the brand appears</h2>'
        '<p class="hint">Pages with backlinks or mentions, by kind of page</p>'
        f"{_bar_chart('chart-types', 'Pages with backlinks or mentions by source type', type_rows)}</section>"
        '<section class="card" aria-labelledby="pos-h"><h2 id="pos-h">Where links sit on the page</h2>'
        '<p class="hint">Backlinks by position</p>'
        f"{_bar_chart('chart-positions', 'Backlinks by position on the page', position_rows)}</section>"
        "</div>"
    )

    sections = (
        _discovery_section(discovery, records["page"])
        + _changes_section(records, previous)
        + '<section class="card" aria-labelledby="leads-h"><h2 id="leads-h">Outreach list</h2>'
        '<p class="hint">Pages that mention the brand but do not link to it: ask them for a link.</p>'
        f"{_leads_section(leads)}</section>"
        '<section class="card" aria-labelledby="broken-h"><h2 id="broken-h">Broken links</h2>'
        '<p class="hint">Dead links on the crawled pages: offer your page as the replacement.</p>'
        f"{_broken_section(broken)}</section>"
        '<section class="card" aria-labelledby="reclaim-h"><h2 id="reclaim-h">Links to reclaim</h2>'
        '<p class="hint">Backlinks that point at a dead page of the site: redirect it, or ask the '
        "linking site to update the link.</p>"
        f"{_reclaim_section(backlinks, broken)}</section>"
    )

    csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Crawl report: {_e(target)} – {_e(crawl_id)}</title>"
        f"<style>{CSS}</style></head><body>"
        '<header class="top"><div class="inner"><p class="eyebrow">Backlinks &amp; mentions report</p>'
        f"<h1>{_e(target)}</h1>"
        f'<p class="meta">Crawl <code>{_e(crawl_id)}</code> · {_e(_date(summary.get("started_at")))}</p>'
        "</div></header>"
        f'<main><section aria-label="Key numbers" class="kpis">{kpis}</section>'
        f"{charts}{sections}"
        f"<footer>Generated by backlink-spider from the crawl’s JSONL records.</footer></main>"
        "</body></html>\n"
    )


# --------------------------------------------------------------------------------------------
# Files


def read_crawl(output_dir: str | Path, crawl_id: str) -> dict[str, list[dict]]:
    """Every record of one crawl, by type (read_records keeps only this crawl id's records, not
    those of crawl ids that extend it, `weekly` vs `weekly-2`)."""
    return {kind: list(read_records(output_dir, kind, crawl_id)) for kind in REPORTED_TYPES}


def _crawl_starts(output_dir: Path) -> dict[str, tuple[str | None, str]]:
    """crawl_id -> (target, earliest crawled_at) over the backlink files of OUTPUT_DIR."""
    starts: dict[str, tuple[str | None, str]] = {}
    for path in sorted(Path(output_dir, "backlink").glob("dt=*/*.jsonl")):
        if path.name.startswith("."):
            continue
        with open(path, "rb") as handle:
            for line in handle:
                if not line.strip():
                    continue
                record = orjson.loads(line)
                crawl_id, at = record.get("crawl_id"), record.get("crawled_at")
                if not crawl_id or not at:
                    continue
                known = starts.get(crawl_id)
                if known is None or at < known[1]:
                    starts[crawl_id] = (record.get("target"), at)
    return starts


def find_previous_crawl(
    output_dir: str | Path, target: str | None, started_at: str | None, crawl_id: str
) -> str | None:
    """The latest crawl of `target` in OUTPUT_DIR that started before `started_at`."""
    if not started_at:
        return None
    earlier = [
        (at, cid)
        for cid, (tgt, at) in _crawl_starts(Path(output_dir)).items()
        if cid != crawl_id and tgt == target and at < started_at
    ]
    return max(earlier)[1] if earlier else None


def write_report(
    output_dir: str | Path,
    crawl_id: str,
    records: dict[str, list[dict]] | None = None,
    discovery: dict | None = None,
) -> Path:
    """Write OUTPUT_DIR/reports/<crawl_id>.html (atomically) and return its path. `records`: the
    crawl's records when the caller has read them already (read_crawl); `discovery`: what each
    discovery source did (the summary record's `discovery`)."""
    if not crawl_id or "/" in crawl_id or "\\" in crawl_id or crawl_id.startswith(".") or "\0" in crawl_id:
        raise ValueError(f"not a crawl id: {crawl_id!r}")
    output_dir = Path(output_dir)
    if records is None:
        records = read_crawl(output_dir, crawl_id)
    if not any(records.values()):
        raise FileNotFoundError(f"no records of crawl {crawl_id!r} under {output_dir}")
    summary = build_summary(records)
    previous_id = find_previous_crawl(output_dir, summary["target"], summary["started_at"], crawl_id)
    previous = read_crawl(output_dir, previous_id) if previous_id else None
    if discovery is None:  # a report made again later: the summary record kept the sources' book
        for record in records.get("summary") or ():
            discovery = record.get("discovery") or discovery
    html = render_report(summary, records, previous, discovery)

    reports = output_dir / "reports"
    reports.mkdir(parents=True, exist_ok=True)
    final = reports / f"{crawl_id}.html"
    partial = reports / f".{crawl_id}.html.{os.getpid()}.partial"
    try:
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(html)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, final)
    finally:
        if partial.exists():
            partial.unlink()
    return final


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m backlink_spider.report", description="Write a crawl's HTML report and print its path."
    )
    parser.add_argument("output_dir", help="the crawl's OUTPUT_DIR")
    parser.add_argument("crawl_id", help="the crawl id (the records' crawl_id)")
    args = parser.parse_args(argv)
    try:
        path = write_report(args.output_dir, args.crawl_id)
    except (ValueError, FileNotFoundError) as exc:
        print(f"{parser.prog}: error: {exc}", file=sys.stderr)
        return 2
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
