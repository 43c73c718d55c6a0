"""`scrapy crawl`, checking the settings and the spider's arguments before anything else happens.

Settings every spider depends on are checked first: `CRAWL_ID` (and Scrapyd's job id, `-a _job`
or SCRAPY_JOB) must be a plain file-name part (letters, digits, `.`, `_`, `-`; it names output
files), `HOST_ALIASES` must be a JSON object of host patterns to http(s) origins. Then a spider
class with a `check_arguments(kwargs, settings)` classmethod gets it called while the command line
is read, before Scrapy starts logging or building the crawler. An ArgumentError becomes one line
on stderr (`scrapy crawl mentions: error: ...`) and exit status 2, with no request made and no
output written. `-a help=1` prints the spider's arguments (backlink_spider/help.py) and exits 0
before any check. With QUIET_STARTUP_LOG, Scrapy's startup banner is logged at DEBUG
(progress.QuietStartup).
"""

from __future__ import annotations

import argparse
import os
import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from backlink_spider.arguments import ArgumentError, check_crawl_id, parse_host_aliases
from backlink_spider.help import SPIDER_HELP, wants_help
from backlink_spider.progress import install_quiet_startup


def check_common_settings(settings, spargs: dict[str, object]) -> None:  # noqa: ANN001
    """Settings (and Scrapyd's job id) that would only fail, or do harm, later; raises
    ArgumentError."""
    check_crawl_id(settings.get("CRAWL_ID"), "CRAWL_ID")
    check_crawl_id(spargs.get("_job"), "-a _job")
    check_crawl_id(os.environ.get("SCRAPY_JOB"), "SCRAPY_JOB")
    parse_host_aliases(settings.get("HOST_ALIASES"))


class Command(ScrapyCrawlCommand):
    """Scrapy's crawl, with arguments checked first and one more exit status: 3 when the crawl
    had no seeds and no discovery source found anything to crawl (the log's last error says why)."""

    crawler = None

    def _create_crawler(self, spname):  # noqa: ANN001, ANN202
        self.crawler = super()._create_crawler(spname)
        return self.crawler

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        super().run(args, opts)
        try:
            stats = self.crawler.stats if self.crawler is not None else None
        except RuntimeError:  # the crawl never started
            stats = None
        if stats is not None and stats.get_value("discovery/nothing_to_crawl") and not self.exitcode:
            self.exitcode = 3

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) != 1 or self.settings is None:
            return
        if wants_help(opts.spargs) and args[0] in SPIDER_HELP:  # before any check: help needs no target
            print(SPIDER_HELP[args[0]], end="", file=sys.stdout, flush=True)
            sys.exit(0)
        if self.settings.getbool("QUIET_STARTUP_LOG"):  # (before Scrapy logs its startup banner)
            install_quiet_startup()
        try:
            spider_cls = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            return  # Scrapy reports the unknown spider itself
        check = getattr(spider_cls, "check_arguments", None)
        try:
            check_common_settings(self.settings, dict(opts.spargs))
            if check is not None:
                check(dict(opts.spargs), self.settings)
        except ArgumentError as exc:
            print(f"scrapy crawl {args[0]}: error: {exc}", file=sys.stderr)
            sys.exit(2)
