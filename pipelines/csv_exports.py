"""The crawl's datasets as CSV files a marketer opens in a spreadsheet or imports into an outreach
tool / CRM, written at the end of the crawl (backlink_spider/extensions.py, CrawlSummary) from the
crawl's records, into OUTPUT_DIR/exports/:

- `backlinks-<crawl_id>.csv` (BACKLINK_COLUMNS): one row per backlink record; the linking page's
  title, indexability and source type come from the crawl's page records (joined by URL), and
  "First Seen" is the earliest `crawled_at` of the same record (record_id) in any crawl in
  OUTPUT_DIR (this crawl's own when no earlier crawl saw it).
- `broken-links-<crawl_id>.csv` (BROKEN_LINK_COLUMNS): one row per dead URL (the broken_link records
  are one per linking page and dead URL): its status or error, how many pages link to it and which
  (at most LIST_CAP named), the anchors seen, the best suggested replacement and its score.
- `leads-by-site-<crawl_id>.csv` (SITE_LEAD_COLUMNS): one row per site (source_domain) of the lead
  records: the best contact (a personal e-mail first, else a role address such as info@ or press@,
  else the contact page), how many of its pages mention the brand, the best snippet, the pages.
- `leads-<crawl_id>.csv` (LEAD_COLUMNS): one row per lead (a page that mentions the brand without
  linking), with header names outreach tools map without editing (First Name, Last Name, Email,
  Website, ...); e-mails split into personal and role addresses, personal first.

Every file is UTF-8 with a BOM (so spreadsheet programs detect the encoding), written under a hidden
temporary name, fsynced and renamed when complete (write_csv), so a reader never sees half a file.
Cells a spreadsheet would run as a formula (starting with = + - @) get a leading quote: the values
come from web pages. Lists are "; "-separated, booleans are yes/no.

Pure functions over records (dicts as the JSONL output holds them); no Scrapy here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from backlink_spider.output import read_records
from backlink_spider.urls import url_key
from pipelines.storage import write_atomically

# Lists of URLs in one cell stop after this many (a dead URL linked from 5,000 pages must not make a
# cell no spreadsheet can show); the cell then ends with "(+N more)".
LIST_CAP = 20

BACKLINK_COLUMNS = (
    "Source URL",
    "Source Title",
    "Source Domain",
    "Target URL",
    "Anchor",
    "Rel",
    "Followed",
    "Position",
    "Visible",
    "Indexable",
    "Source Type",
    "First Seen",
    "Link Type",
    "Quality",
    "Quality Reasons",
)

BROKEN_LINK_COLUMNS = (
    "Broken URL",
    "Status",
    "Linking Pages",
    "Linking Page URLs",
    "Anchors",
    "Points At Target",
    "Suggested Replacement",
    "Suggestion Score",
)

SITE_LEAD_COLUMNS = (
    "Website",
    "Best Contact",
    "Contact Kind",
    "Email",
    "Personal Emails",
    "Role Emails",
    "Contact Page",
    "Mentioning Pages",
    "Best Snippet",
    "Page URLs",
    "Social Profiles",
)

LEAD_COLUMNS = (
    "First Name",
    "Last Name",
    "Email",
    "Website",
    "Page URL",
    "Page Title",
    "Author",
    "Author Profile",
    "Mention Date",
    "Personal Emails",
    "Role Emails",
    "Contact Page",
    "Social Profiles",
    "Snippet",
    "Mentions",
    "Source Type",
    "Target",
    "Crawl ID",
    "Crawled At",
)

# Local parts of addresses that reach a function or a shared inbox, not a person (compared without
# a "+tag" and case-insensitively). Outreach to a person answers more often, so those come first.
ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse",
        "admin",
        "administrator",
        "ads",
        "advertising",
        "billing",
        "business",
        "careers",
        "community",
        "contact",
        "contacts",
        "contactus",
        "customerservice",
        "desk",
        "donotreply",
        "do-not-reply",
        "editor",
        "editorial",
        "editors",
        "enquiries",
        "enquiry",
        "feedback",
        "general",
        "hello",
        "help",
        "hi",
        "hostmaster",
        "hr",
        "info",
        "inquiries",
        "inquiry",
        "jobs",
        "legal",
        "mail",
        "marketing",
        "media",
        "news",
        "newsdesk",
        "newsletter",
        "newsroom",
        "noreply",
        "no-reply",
        "office",
        "partners",
        "partnerships",
        "postmaster",
        "pr",
        "press",
        "privacy",
        "reception",
        "sales",
        "security",
        "service",
        "social",
        "sponsor",
        "sponsorship",
        "sponsorships",
        "submissions",
        "subscribe",
        "support",
        "team",
        "tips",
        "webmaster",
        "welcome",
    }
)

# Words that make an author an organisation or a desk, not a person to greet by first name.
_NOT_A_PERSON = frozenset(
    {
        "admin",
        "desk",
        "editor",
        "editorial",
        "editors",
        "inc",
        "llc",
        "ltd",
        "news",
        "staff",
        "team",
        "the",
        "writers",
    }
)
# Lower-case name particles that may stand inside a surname (Ludwig van Beethoven).
_PARTICLES = frozenset({"al", "bin", "da", "de", "del", "della", "der", "di", "du", "la", "le", "van", "von"})
# One word of a person's name: a capital letter first, then letters, with ' - or . inside
# (O'Brien, Jean-Luc, J.).
_NAME_WORD = re.compile(r"[^\W\d_]+(?:['’.-][^\W\d_]+)*\.?")


def _cell(value: object) -> str:
    """A value as spreadsheet text: None empty, lists "; "-joined, booleans yes/no, and a leading
    quote before = + - @ so a spreadsheet shows the text instead of running it as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a header row and `rows` (values in `columns` order, made text by _cell) to `path`,
    UTF-8 with a BOM, atomically (a hidden partial file, fsynced, renamed). Returns how many data
    rows were written."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_cell(value) for value in row])
        count += 1
    write_atomically(path, buffer.getvalue(), encoding="utf-8-sig")
    return count


def _capped(items: Sequence[str], cap: int = LIST_CAP) -> str:
    """Up to `cap` items "; "-joined, then "(+N more)" for the rest."""
    text = "; ".join(items[:cap])
    return f"{text}; (+{len(items) - cap} more)" if len(items) > cap else text


# --- e-mails and names --------------------------------------------------------------------------


def is_role_email(address: str) -> bool:
    """True when the address reaches a function or shared inbox (info@, press@, no-reply@, ...)."""
    local = address.rpartition("@")[0].lower().split("+", 1)[0]
    return local in ROLE_LOCAL_PARTS or local.startswith(("noreply", "no-reply", "donotreply"))


def split_name(author: str | None) -> tuple[str, str]:
    """(first name, last name) when `author` looks like a person's name: two to five words, each
    capitalised (lower-case particles like "van" inside), no digits, no handle, no "Team"/"Staff";
    otherwise ("", "") so an outreach tool does not greet "Dear Editorial,"."""
    if not author:
        return "", ""
    words = author.split()
    if not 2 <= len(words) <= 5:
        return "", ""
    for n, word in enumerate(words):
        if word.lower().strip(".") in _NOT_A_PERSON or not _NAME_WORD.fullmatch(word):
            return "", ""
        if not word[0].isupper() and not (0 < n < len(words) - 1 and word in _PARTICLES):
            return "", ""
    return words[0], " ".join(words[1:])


def split_emails(emails: Iterable[str], author: str | None = None) -> tuple[list[str], list[str]]:
    """(personal addresses, role addresses), each in page order, except that a personal address
    whose local part holds the author's first or last name comes first."""
    personal: list[str] = []
    role: list[str] = []
    for address in emails or ():
        (role if is_role_email(address) else personal).append(address)
    first, last = split_name(author)
    names = [n.lower() for n in (first, last.split()[-1] if last else "") if len(n) > 1]
    if names:

        def rank(address: str) -> int:
            local = address.rpartition("@")[0].lower()
            return 0 if any(name in local for name in names) else 1

        personal.sort(key=rank)  # (a stable sort: page order among equals)
    return personal, role


# --- backlinks ----------------------------------------------------------------------------------


def first_seen_by_record(output_dir: Path) -> dict[str, str]:
    """record_id -> earliest crawled_at over every backlink record in OUTPUT_DIR (every crawl)."""
    earliest: dict[str, str] = {}
    for record in read_records(output_dir, "backlink"):
        rid, at = record.get("record_id"), record.get("crawled_at")
        if rid and at and (rid not in earliest or at < earliest[rid]):
            earliest[rid] = at
    return earliest


def _pages_by_url(pages: Iterable[dict]) -> dict[str, dict]:
    """The page records by url_key of their URL and of their final (redirected-to) URL."""
    found: dict[str, dict] = {}
    for page in pages:
        for url in (page.get("final_url"), page.get("url")):  # (the requested URL wins a tie)
            if url:
                found[url_key(url)] = page
    return found


def backlink_rows(
    backlinks: Iterable[dict], pages: Iterable[dict], first_seen: dict[str, str] | None = None
) -> Iterator[list[object]]:
    """BACKLINK_COLUMNS rows, one per backlink record, in record order. `first_seen`: record_id ->
    earliest crawled_at in OUTPUT_DIR (first_seen_by_record); a record's own crawled_at otherwise."""
    by_url = _pages_by_url(pages)
    first_seen = first_seen or {}
    for link in backlinks:
        page = by_url.get(url_key(link["source_url"])) if link.get("source_url") else None
        own = link.get("crawled_at") or ""
        earlier = first_seen.get(link.get("record_id") or "")
        followed = not any(link.get(flag) for flag in ("nofollow", "ugc", "sponsored"))
        yield [
            link.get("source_url"),
            page.get("title") if page else None,
            link.get("source_domain"),
            link.get("target_url"),
            link.get("anchor_text"),
            " ".join(link.get("rel") or ()),
            followed,
            link.get("position"),
            not link.get("hidden"),
            page.get("indexable") if page else None,
            page.get("source_type") if page else None,
            min(own, earlier) if own and earlier else (earlier or own),
            link.get("link_type"),
            link.get("quality"),
            link.get("quality_reasons") or [],
        ]


# --- broken links -------------------------------------------------------------------------------


def broken_link_rows(broken: Iterable[dict]) -> list[list[object]]:
    """BROKEN_LINK_COLUMNS rows, one per dead URL (url_key), the most linked first (then by URL).
    The suggestion is the best-scored one among the URL's records."""
    groups: dict[str, list[dict]] = {}
    for record in broken:
        groups.setdefault(url_key(record["broken_url"]), []).append(record)
    rows: list[list[object]] = []
    for records in groups.values():
        first = records[0]
        sources = list(dict.fromkeys(r["source_url"] for r in records))
        anchors = list(dict.fromkeys(r["anchor_text"] for r in records if r.get("anchor_text")))
        scored = [r for r in records if r.get("suggested_replacement")]
        best = max(scored, key=lambda r: r.get("suggestion_score") or 0.0, default=None)
        score = best.get("suggestion_score") if best else None
        rows.append(
            [
                first["broken_url"],
                first.get("status") if first.get("status") is not None else first.get("error"),
                len(sources),
                _capped(sources),
                _capped(anchors),
                any(r.get("to_target") for r in records),
                best["suggested_replacement"] if best else None,
                f"{score:.2f}" if isinstance(score, (int, float)) else None,
            ]
        )
    rows.sort(key=lambda row: (-row[2], str(row[0])))
    return rows


# --- leads --------------------------------------------------------------------------------------


def lead_rows(leads: Iterable[dict]) -> Iterator[list[object]]:
    """LEAD_COLUMNS rows, one per lead record, in record order. "Email" is the best address: the
    first personal one, else the first role one."""
    for lead in leads:
        author = lead.get("author")
        first, last = split_name(author)
        personal, role = split_emails(lead.get("emails") or (), author)
        yield [
            first,
            last,
            (personal or role or [None])[0],
            # the author's own site when the page gives one, else the site the page is on
            lead.get("author_website") or lead.get("source_domain"),
            lead.get("source_url"),
            lead.get("title"),
            author,
            lead.get("author_url"),
            lead.get("mention_date"),
            personal,
            role,
            lead.get("contact_url"),
            lead.get("social_profiles"),
            lead.get("snippet"),
            lead.get("mentions"),
            lead.get("source_type"),
            lead.get("target"),
            lead.get("crawl_id"),
            lead.get("crawled_at"),
        ]


def site_lead_rows(leads: Iterable[dict]) -> list[list[object]]:
    """SITE_LEAD_COLUMNS rows, one per source_domain, the sites with the most mentioning pages
    first (then by name). Best contact: a personal e-mail (the pages with most mentions first),
    else a role address, else the contact page (one with "contact" in its URL before an about
    page); "Contact Kind" says which (personal email, role email, contact page, or empty). The best
    snippet is that of the page with the most mentions."""
    sites: dict[str, list[dict]] = {}
    for lead in leads:
        sites.setdefault(lead.get("source_domain") or "", []).append(lead)
    rows: list[list[object]] = []
    for domain, pages in sites.items():
        pages = sorted(pages, key=lambda p: (-(p.get("mentions") or 0), p.get("source_url") or ""))
        personal: list[str] = []
        role: list[str] = []
        for page in pages:
            mine, shared = split_emails(page.get("emails") or (), page.get("author"))
            personal += [a for a in mine if a not in personal]
            role += [a for a in shared if a not in role]
        contacts = list(dict.fromkeys(p["contact_url"] for p in pages if p.get("contact_url")))
        contacts.sort(key=lambda url: "contact" not in url.lower())
        contact_page = contacts[0] if contacts else None
        if personal:
            best, kind = personal[0], "personal email"
        elif role:
            best, kind = role[0], "role email"
        else:
            best, kind = contact_page, "contact page" if contact_page else None
        profiles = list(dict.fromkeys(s for p in pages for s in p.get("social_profiles") or ()))
        rows.append(
            [
                domain,
                best,
                kind,
                (personal or role or [None])[0],
                personal,
                role,
                contact_page,
                len(pages),
                next((p["snippet"] for p in pages if p.get("snippet")), None),
                _capped([p["source_url"] for p in pages]),
                profiles,
            ]
        )
    rows.sort(key=lambda row: (-row[7], str(row[0])))
    return rows


# --- the files ----------------------------------------------------------------------------------


def write_leads_csv(leads: Iterable[dict], path: Path) -> int:
    """The leads CSV (LEAD_COLUMNS) at `path`; returns how many rows were written."""
    return write_csv(path, LEAD_COLUMNS, lead_rows(leads))


def write_exports(output_dir: Path, crawl_id: str, records: dict[str, list[dict]]) -> list[Path]:
    """Write the crawl's CSVs into OUTPUT_DIR/exports/ from its records (record type -> records, as
    report.read_crawl gives them; earlier crawls' backlink files in `output_dir` give "First
    Seen"). A dataset without records gets no file. Returns the written paths: backlinks, broken
    links, leads by site, leads (in that order, those written)."""
    exports = Path(output_dir) / "exports"
    written: list[Path] = []
    backlinks = records.get("backlink") or []
    if backlinks:
        path = exports / f"backlinks-{crawl_id}.csv"
        rows = backlink_rows(backlinks, records.get("page") or [], first_seen_by_record(Path(output_dir)))
        write_csv(path, BACKLINK_COLUMNS, rows)
        written.append(path)
    if records.get("broken_link"):
        path = exports / f"broken-links-{crawl_id}.csv"
        write_csv(path, BROKEN_LINK_COLUMNS, broken_link_rows(records["broken_link"]))
        written.append(path)
    if records.get("lead"):
        path = exports / f"leads-by-site-{crawl_id}.csv"
        write_csv(path, SITE_LEAD_COLUMNS, site_lead_rows(records["lead"]))
        written.append(path)
        path = exports / f"leads-{crawl_id}.csv"
        write_leads_csv(records["lead"], path)
        written.append(path)
    return written
