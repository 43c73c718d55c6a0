"""`scrapy crawl SPIDER -a help=1`: the spider's arguments, one line each, with examples.

The `crawl` command (commands/crawl.py) prints SPIDER_HELP[spider] and exits 0 before any check,
request or output. One line per argument, in the order a user meets them; the order and names match
the arguments CrawlArguments / RecheckArguments accept (tests/test_help.py checks that).
"""

from __future__ import annotations

MENTIONS_HELP = """\
scrapy crawl mentions -a target=DOMAIN [-a name=value ...]: find backlinks and brand mentions of a site

  target=DOMAIN        required: the site (site.com, www.site.com or a URL of it); subdomains count too
  seeds=FILE_OR_URLS   where to start: a file of URLs (one a line), a vendor's backlink export, or URLs,
                       comma-separated (pages, sitemaps, feeds); default: the discovery sources decide
  depth=N              link hops to follow from the seeds, within each seed's site (default 1; 0 = seeds only)
  render=MODE          auto (default: Chromium only for pages that need JavaScript), always or never
  brand=TERMS          brand names to find, comma-separated (default: from the target, site.com -> site)
  brand_case=CASE      insensitive (default) or sensitive (for brands that are common words)
  exclude=PHRASES      phrases inside which a brand term does not count, comma-separated
  context=WORDS        count a page's mentions only if one of these words is on it too, comma-separated
  check_links=BOOL     check outbound links for dead ones and backlink targets (default true)
  max_pages=N          stop scheduling pages after N (default: the MAX_PAGES setting, 0 = no cap)
  sources=NAMES        discovery sources, comma-separated (wikipedia, hackernews, stackexchange, gdelt, lemmy,
                       brave, marginalia, mojeek), or none; default: all configured when there are no seeds
  since=YYYY-MM-DD     discovery sources that can filter by date return only what is newer
  wikis=CODES          the wikipedia source's wikis: language codes (en,de) or api.php URLs
  competitors=SITES    competitors found in the same crawl, comma-separated, each optionally with its brand
                       names after ':' separated by '|' (rival.com:Rival Co|RivalCo); at most COMPETITORS_MAX

Examples:
  scrapy crawl mentions -a target=brewbird.io
  scrapy crawl mentions -a target=brewbird.io -a seeds=seeds.txt -a depth=2 -a render=never
  scrapy crawl mentions -a target=brewbird.io -a seeds=https://www.example.com/blog -a brand="BrewBird"
  scrapy crawl mentions -a target=brewbird.io -a seeds=seeds.txt -a competitors="kettlecraft.com:KettleCraft"
"""

RECHECK_HELP = """\
scrapy crawl recheck -a target=DOMAIN -a known=PATH_OR_DB [-a render=MODE]: are known backlinks still there?

  target=DOMAIN        required: the site whose backlinks to re-check
  known=PATH_OR_DB     required: an earlier crawl's output directory, a .duckdb file, a postgresql:// DSN,
                       or a vendor's backlink export
  render=MODE          auto (default), always or never

Examples:
  scrapy crawl recheck -a target=brewbird.io -a known=output/
  scrapy crawl recheck -a target=brewbird.io -a known=output/warehouse.duckdb
"""

SPIDER_HELP = {"mentions": MENTIONS_HELP, "recheck": RECHECK_HELP}


def wants_help(spargs: dict[str, object]) -> bool:
    """True when the spider arguments ask for help (`-a help=1`, `-a help=yes`, `-a help=`...),
    unless it is turned off explicitly (`-a help=0`, `false`, `no`, `off`)."""
    if "help" not in spargs:
        return False
    return str(spargs["help"]).strip().lower() not in ("0", "false", "no", "off")
