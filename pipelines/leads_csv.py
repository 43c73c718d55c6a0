"""LeadsCsvPipeline: the outreach leads of a crawl as one CSV file a person opens in a spreadsheet
or imports into an outreach tool.

File: OUTPUT_DIR/exports/leads-<crawl_id>.csv (UTF-8 with BOM so spreadsheet programs detect the
encoding; written under a temporary name and renamed when the crawl closes). Columns (LEAD_COLUMNS):

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
from pathlib import Path

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler

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


class LeadsCsvPipeline:
    def __init__(self, crawler: Crawler, output_dir: str) -> None:
        self.crawler = crawler
        self.output_dir = Path(output_dir)
        self.rows: list[list[str]] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeadsCsvPipeline:
        return cls(crawler, crawler.settings.get("OUTPUT_DIR") or "output")

    def process_item(self, item):  # noqa: ANN001, ANN201
        adapter = ItemAdapter(item)
        if adapter.get("type") == "lead":
            self.rows.append([_cell(adapter.get(column)) for column in LEAD_COLUMNS])
        return item

    def close_spider(self) -> None:
        if not self.rows:
            return
        crawl_id = getattr(self.crawler.spider, "crawl_id", None) or "crawl"
        final = self.output_dir / "exports" / f"leads-{crawl_id}.csv"
        final.parent.mkdir(parents=True, exist_ok=True)
        partial = final.with_name(f".{final.name}.partial")
        with open(partial, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(LEAD_COLUMNS)
            writer.writerows(self.rows)
        os.replace(partial, final)
        self.crawler.stats.set_value("output/leads_csv", str(final))
