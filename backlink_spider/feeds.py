"""One record type per feed: `scrapy crawl mentions -o backlinks.csv` writes the backlink records only.

A crawl yields records of several types (page, backlink, mention, lead, broken_link, ...), and a
Scrapy feed takes every item by default, so one CSV would hold them all under the first record's
header. Scrapy's own feed option `item_classes` keeps one type per feed; this add-on sets it from
the feed's file name when the name (without extension) is a record type, singular or plural:
`backlinks.csv`, `leads.jsonl`, `broken_links.csv`, `s3://bucket/pages.jsonl`. A feed that sets
`item_classes` or `item_filter` itself is left alone, and so is any other name (every record, as
in Scrapy). FEED_RECORD_TYPE_FROM_NAME = False turns the add-on off.
"""

from __future__ import annotations

import logging
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from backlink_spider.records import RECORD_TYPES

logger = logging.getLogger(__name__)


def record_type_of(uri: str) -> str | None:
    """The record type a feed's file name names (`backlinks.csv` → `backlink`), else None."""
    path = urlsplit(uri).path if "://" in uri else uri
    name = PurePosixPath(path.replace("\\", "/")).name.split(".", 1)[0].lower().replace("-", "_")
    for candidate in (name, name.removesuffix("s"), name.removesuffix("es")):
        if candidate in RECORD_TYPES:
            return candidate
    return None


def with_record_types(feeds: dict[str, dict[str, Any]]) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """`feeds` (the FEEDS setting) with `item_classes` set on the feeds whose file name names a
    record type, and the CSV feeds left with every record type (worth a warning)."""
    result: dict[str, dict[str, Any]] = {}
    mixed: list[str] = []
    for uri, options in feeds.items():
        options = dict(options or {})
        kind = record_type_of(str(uri))
        if options.get("item_classes") or options.get("item_filter"):
            pass
        elif kind is not None:
            cls = RECORD_TYPES[kind]
            options["item_classes"] = [f"{cls.__module__}.{cls.__qualname__}"]
        elif (options.get("format") or PurePosixPath(str(uri)).suffix.lstrip(".")) == "csv":
            mixed.append(str(uri))
        result[uri] = options
    return result, mixed


class RecordTypeFeeds:
    """Scrapy add-on: each feed named for a record type gets that type's records only."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.getbool("FEED_RECORD_TYPE_FROM_NAME"):
            return
        feeds = settings.getdict("FEEDS")
        if not feeds:
            return
        updated, mixed = with_record_types(feeds)
        settings.set("FEEDS", updated, priority=settings.getpriority("FEEDS") or "project")
        for uri in mixed:
            logger.warning(
                "%s gets every record type under one header; name it after one (backlinks.csv, "
                "mentions.csv, leads.csv, pages.csv, broken_links.csv) or set its item_classes",
                uri,
            )
