"""The outreach leads of a crawl as one CSV file a person opens in a spreadsheet or imports into an
outreach tool, written at the end of the crawl from its `lead` records (backlink_spider/extensions.py).

File: OUTPUT_DIR/exports/leads-<crawl_id>.csv (UTF-8 with BOM so spreadsheet programs detect the
encoding; written under a temporary name and renamed when complete). Columns (LEAD_COLUMNS):

- source_url: the page that mentions the brand without linking
- title: the page title
- author: the page's author, when the page names one
- emails: e-mail addresses on the page (mailto links, plain and "name [at] site [dot] com"),
  "; "-separated
- contact_url: the site's contact (or about) page, when the page links one
- social_profiles: the site's own social profiles (linked from header, footer, sidebar), "; "-separated
- snippet: the words around the best mention
- mentions: number of brand mentions on the page
- source_type: forum_thread, blog_post, blog_comment, directory, social_profile, news_article, qna,
  wiki, other
- source_domain, target, crawl_id, crawled_at

Cells that a spreadsheet would run as a formula (starting with = + - @) are prefixed with a quote.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

LEAD_COLUMNS = (
    "source_url",
    "title",
    "author",
    "emails",
    "contact_url",
    "social_profiles",
    "snippet",
    "mentions",
    "source_type",
    "source_domain",
    "target",
    "crawl_id",
    "crawled_at",
)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def write_leads_csv(leads: Iterable[dict], path: Path) -> int:
    """Write the leads to `path` (atomically); returns how many rows were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    count = 0
    with open(partial, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(LEAD_COLUMNS)
        for lead in leads:
            writer.writerow([_cell(lead.get(column)) for column in LEAD_COLUMNS])
            count += 1
    os.replace(partial, path)
    return count
