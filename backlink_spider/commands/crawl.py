"""`scrapy crawl`, checking the spider's arguments before anything else happens.

A spider class with a `check_arguments(kwargs, settings)` classmethod gets it called while the
command line is read, before Scrapy starts logging or building the crawler: an ArgumentError
becomes one line on stderr (`scrapy crawl mentions: error: ...`) and exit status 2, with no
request made and no output written.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from backlink_spider.arguments import ArgumentError


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1 or self.settings is None:
            return
        try:
            spider_cls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            return  # Scrapy reports the unknown spider itself
        check = getattr(spider_cls, "check_arguments", None)
        if check is None:
            return
        try:
            check(dict(opts.spargs), self.settings)
        except ArgumentError as exc:
            print(f"scrapy crawl {args[0]}: error: {exc}", file=sys.stderr)
            sys.exit(2)
