"""`scrapy crawl`, checking the spider's arguments before the crawler starts.

A spider class with a `check_arguments(kwargs, settings)` classmethod gets it called first; an
ArgumentError becomes one line on stderr (`scrapy crawl mentions: error: ...`) and exit status 2,
with no request made and no output written.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from backlink_spider.arguments import ArgumentError


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) == 1 and self.crawler_process is not None:
            try:
                spider_cls = self.crawler_process.spider_loader.load(args[0])
            except KeyError:
                spider_cls = None
            check = getattr(spider_cls, "check_arguments", None)
            if check is not None:
                try:
                    check(dict(opts.spargs), self.settings)
                except ArgumentError as exc:
                    print(f"scrapy crawl {args[0]}: error: {exc}", file=sys.stderr)
                    self.exitcode = 2
                    return
        super().run(args, opts)
