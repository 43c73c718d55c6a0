"""Settings of the backlink_spider project: every setting the project reads, with its default.

Override any of them per run with `-s NAME=value`, or per Scrapyd job with `-d setting=NAME=value`.
"""

BOT_NAME = "backlink_spider"
SPIDER_MODULES = ["backlink_spider.spiders"]
NEWSPIDER_MODULE = "backlink_spider.spiders"
# Our `crawl` command checks spider arguments before any work (one-line error, exit 2).
COMMANDS_MODULE = "backlink_spider.commands"

# --- output -------------------------------------------------------------------------------------
# Where records go: OUTPUT_DIR/<type>/dt=YYYY-MM-DD/<crawl_id>-<part>.jsonl. Files appear only when
# complete (written under a hidden temporary name, renamed when closed). A URI (s3://bucket/prefix,
# gs://bucket/prefix, ftp://..., file://...) goes through Scrapy's feed storages (FEED_STORAGES,
# with their credentials settings: AWS_ACCESS_KEY_ID, GCS_PROJECT_ID, ...).
OUTPUT_DIR = "output"
# Start a new part file after this many records of one type, or this many bytes.
OUTPUT_ROTATE_RECORDS = 100_000
OUTPUT_ROTATE_BYTES = 256 * 1024 * 1024
# Crawl id; empty = Scrapyd's job id when run by Scrapyd, else a UTC timestamp.
CRAWL_ID = ""

# --- safety -------------------------------------------------------------------------------------
# Comma-separated CIDRs the crawler may fetch although they are not public (private, loopback,
# link-local, ...). Empty: only public addresses. The demo and tests use "127.0.0.0/8".
ALLOWED_PRIVATE_NETWORKS = ""
# Host patterns (fnmatch) a crawl may fetch; empty = any. Checked before DNS. DENIED_HOSTS wins.
ALLOWED_HOSTS = []
DENIED_HOSTS = []
# Fetch some hosts from another origin ({"site.com": "http://10.0.0.5:8080", "*.site.com": ...}):
# staging mirrors, tests, the demo. Records keep the URLs as written.
HOST_ALIASES = {}
# Scrapy 2.19's remote-control server runs Python in the crawl process: off on shared servers.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False
# Only http(s): no file://, data:, s3:// or ftp:// downloads (Scrapy's security advice).
DOWNLOAD_HANDLERS = {"file": None, "data": None, "s3": None, "ftp": None}

# --- politeness ---------------------------------------------------------------------------------
# robots.txt is obeyed (Protego), for pages and link checks.
ROBOTSTXT_OBEY = True
# Identify the crawler; CONTACT_URL is appended so site owners can reach whoever runs it.
CONTACT_URL = "https://github.com/backlink-spider/backlink-spider"
USER_AGENT = "backlink-spider/0.1 (+{contact})"
# AutoThrottle adapts each site's delay to its response times; at most 4 requests per site at once.
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Seconds before a download is abandoned.
DOWNLOAD_TIMEOUT = 30
# Pages larger than this are cut off (bytes).
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
# A failed download is tried twice more; redirect chains end after 10 hops; no cookies are kept.
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 10
COOKIES_ENABLED = False
# Breadth-first: every page within -a depth hops is reached, nearest first (Scrapy's default
# depth-first order can leave some pages of a depth-limited crawl unvisited).
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# --- discovery -----------------------------------------------------------------------------------
# Seeds may also be XML sitemaps (and indexes, gzipped) or RSS/Atom feeds: their URLs become seeds
# (on any host: their sites are crawled as seed sites). Sitemap indexes are followed this many
# levels deep at most, and a crawl reads at most this many nested sitemaps.
SITEMAP_MAX_DEPTH = 3
SITEMAP_MAX_DOCUMENTS = 500
# Search discovery: a SearXNG instance's base URL (its JSON format enabled); empty = off. When set,
# the `searxng` discovery source joins the default sources. Queries are built from the target and
# brand terms ("Brand" -site:target.com, forum/review/profile variants).
SEARCH_URL = ""
# "searxng" or the dotted path of your own SearchProvider subclass (see backlink_spider/discovery.py).
SEARCH_PROVIDER = "searxng"
SEARCH_MAX_QUERIES = 6
SEARCH_PAGES = 1
SEARCH_MAX_RESULTS = 200
# At most one search request this often (seconds): a SearXNG instance throttles busy clients.
SEARCH_MIN_INTERVAL = 1.0

# --- discovery sources (backlink_spider/sources/) ---------------------------------------------
# Open-web sources asked where the target is linked and named when a crawl runs (`-a sources=...`
# picks them, `-a sources=none` turns them off). Every candidate page is crawled and judged by the
# page itself, like a seed. Keyed sources join the default list only when their key is set.
DISCOVERY_SOURCES = ["wikipedia", "hackernews", "stackexchange", "gdelt", "lemmy"]
# Per source and crawl: at most this many API requests, and this many candidate pages kept.
DISCOVERY_MAX_REQUESTS = 40
DISCOVERY_MAX_CANDIDATES = 300
# A throttled source (HTTP 429, Retry-After, a backoff field) is waited for up to this long (s).
DISCOVERY_MAX_WAIT = 120

# Wikipedia and any MediaWiki: `exturlusage` (pages linking to the domain) and `search` (pages
# naming the brand). Wikis: language codes of Wikipedia (en, de, ...) or api.php URLs of any wiki.
MEDIAWIKI_WIKIS = ["en"]
# {wiki} is replaced by each language code.
MEDIAWIKI_API_URL = "https://{wiki}.wikipedia.org/w/api.php"
# Wikimedia's API etiquette: requests one after another, a descriptive User-Agent with contact.
MEDIAWIKI_MIN_INTERVAL = 1.0

# Hacker News through the Algolia HN Search API (keyless; 10,000 requests an hour per IP).
HACKERNEWS_API_URL = "https://hn.algolia.com/api/v1"
# Where a story's discussion lives ({id} = objectID): crawled as a candidate too.
HACKERNEWS_ITEM_URL = "https://news.ycombinator.com/item?id={id}"
HACKERNEWS_MIN_INTERVAL = 0.5
# Hits asked for per request (the API allows 1 to 1,000; it returns at most 1,000 hits a query).
HACKERNEWS_HITS_PER_PAGE = 100

# Stack Exchange API 2.3 (300 requests a day per IP without a key; a free key raises it to 10,000).
STACKEXCHANGE_API_URL = "https://api.stackexchange.com/2.3"
STACKEXCHANGE_SITES = ["stackoverflow", "superuser", "serverfault", "webapps", "webmasters"]
STACKEXCHANGE_KEY = ""
STACKEXCHANGE_MIN_INTERVAL = 1.0

# GDELT DOC 2.0 API: news articles of the last three months (one request every 5 seconds).
GDELT_API_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
GDELT_TIMESPAN = "3months"
GDELT_MIN_INTERVAL = 5.0

# Lemmy instances searched through /api/v3/search (each instance has its own limits).
LEMMY_INSTANCES = ["https://lemmy.world", "https://lemmy.ml"]
LEMMY_MIN_INTERVAL = 1.0

# Keyed sources: each runs when its key is set (and it is in -a sources or DISCOVERY_SOURCES).
# Brave Search API (X-Subscription-Token; the free plan allows 1 request a second, 2,000 a month).
BRAVE_API_URL = "https://api.search.brave.com/res/v1/web/search"
BRAVE_API_KEY = ""
BRAVE_MIN_INTERVAL = 1.0
# Marginalia Search API v2 (key in the API-Key header; /search is appended; the key "public" is
# shared and often throttled: ask for your own).
MARGINALIA_API_URL = "https://api2.marginalia-search.com"
MARGINALIA_API_KEY = ""
MARGINALIA_MIN_INTERVAL = 1.0
# Mojeek Search API.
MOJEEK_API_URL = "https://api.mojeek.com/search"
MOJEEK_API_KEY = ""
MOJEEK_MIN_INTERVAL = 1.0
# Bluesky post search (an account is needed since 2025): an app password, never the account's own.
BLUESKY_API_URL = "https://bsky.social"
BLUESKY_HANDLE = ""
BLUESKY_APP_PASSWORD = ""
BLUESKY_MIN_INTERVAL = 1.0
# Reddit app-only OAuth (client credentials). The User-Agent must be unique and descriptive:
# "<platform>:<app id>:<version> (by /u/<username>)". 100 queries a minute per client.
REDDIT_AUTH_URL = "https://www.reddit.com/api/v1/access_token"
REDDIT_API_URL = "https://oauth.reddit.com"
REDDIT_CLIENT_ID = ""
REDDIT_CLIENT_SECRET = ""
REDDIT_USER_AGENT = ""
REDDIT_MIN_INTERVAL = 1.0

# --- recheck (link monitoring) ---
# A link the recheck could not judge this many runs in a row (timeouts, 503s, a bot challenge) is
# reported with a warning and `unverified_runs` on its link_status: it is never turned into lost.
RECHECK_UNVERIFIED_WARN = 3

# --- link checking (-a check_links=false turns it off) -------------------------------------------
# Outbound links of crawled pages are checked once per crawl (HEAD, then GET if HEAD is refused).
LINK_CHECK_MAX = 5_000
LINK_CHECK_MAX_PER_HOST = 200
# Links within a crawled page's own site (not the target's) are checked too; off: a third party's
# dead internal link is no broken-link-building opportunity (pages the crawl fetches are checked by that).
LINK_CHECK_INTERNAL = False
# Link checks have their own download slot per host (check:<host>), exempt from AutoThrottle:
# this many seconds between checks to one host, and this many at once per host...
LINK_CHECK_DELAY = 0.25
LINK_CHECK_CONCURRENCY_PER_HOST = 2
# ...and at most this many check requests out at once in the whole crawl, so page fetches keep the
# rest of CONCURRENT_REQUESTS; 0 = no cap.
LINK_CHECK_CONCURRENCY = 4
# Timeout of one check (seconds); 0 = DOWNLOAD_TIMEOUT.
LINK_CHECK_TIMEOUT = 10
# Target pages (from the target's sitemap) indexed to suggest replacements for dead links.
TARGET_PAGES_MAX = 200
# How long the crawl waits for the target's pages before it starts on the seeds (seconds).
TARGET_PAGES_WAIT = 60

# --- competitors (-a competitors=, matched in the same pass as the target) ---
# At most this many competitor sites per crawl; more is an argument error (exit 2).
COMPETITORS_MAX = 10

# --- link quality and referring-domain authority (quality.py, authority.py) ---
# Points of each signal of a backlink's `quality` (base + points, clamped to 0-100; README "Link
# quality"). Give every entry when overriding (a settings file: {**LINK_QUALITY_WEIGHTS, "footer": -20}).
LINK_QUALITY_WEIGHTS = {
    "base": 40,  # every link starts here
    "followed": 20,  # no nofollow, ugc or sponsored: the link passes standing
    "nofollow": 0,  # rel=nofollow: a hint that passes little
    "ugc": 0,  # rel=ugc: user-generated content
    "sponsored": -10,  # rel=sponsored: a paid placement
    "hidden": -30,  # a reader cannot see it (a classic spam pattern)
    "noindex": -20,  # the linking page asks not to be indexed
    "content": 10,  # position: in the page's editorial content
    "comment": -15,  # position: in a comment (followed)
    "nofollow_comment": -25,  # position: in a comment, nofollow or ugc: the classic self-made link
    "profile": -10,  # position: a profile's bio or links area
    "sidebar": -10,  # position: sidebar (template)
    "header": -10,  # position: header (template)
    "nav": -10,  # position: navigation (template)
    "footer": -15,  # position: footer (template)
    "share": -35,  # position: a share or follow button (the widget's link, not the author's)
    "sitewide": -10,  # in a template position: repeated on every page of the site
    "link_farm": -50,  # full penalty at 300 links to other sites on the page, growing from 50
    "anchor_descriptive": 5,  # anchor: words that say what the page is
    "anchor_branded": 5,  # anchor: names the brand
    "anchor_exact": 0,  # anchor: exactly the target page's keywords (over-optimised when common)
    "anchor_url": 0,  # anchor: a naked URL or domain
    "anchor_generic": -5,  # anchor: "click here", "website", "read more"
    "anchor_image_alt": 2,  # an image link with alt text
    "anchor_image_no_alt": -5,  # an image link without alt text
    "anchor_empty": -5,  # no anchor text at all
    "relevance": 10,  # topical relevance to the target's pages: in full from TF-IDF cosine 0.5
    "editorial": 10,  # source type: in the content of a news article or blog post
    "self_made": -10,  # source type: forum thread, blog comments, directory, social profile
    "authority": 20,  # the referring domain's authority score 0-100, scaled (100 = all of it)
}
# The authority CSV (domain,score,in_domains) written by `backlinks-load --write-domain-authority`
# or converted from Common Crawl's domain ranks; empty = authority is not scored.
DOMAIN_AUTHORITY_FILE = ""
# A page record's `linked_domains` keeps at most this many domains (the most-linked); 0 = all.
LINKED_DOMAINS_MAX = 200

# --- prospects (pages that invite a link: extract/prospects.py, `prospect` records) ---
# Write `prospect` records for "write for us" pages, resource pages and roundups found on crawled pages.
PROSPECTS_ENABLED = True
# A resource page links at least this many other sites in its main content.
PROSPECT_RESOURCE_MIN_SITES = 5
# A roundup without two brands of the niche named links at least this many other sites in its content.
PROSPECT_ROUNDUP_MIN_SITES = 3
# Prospects less relevant to the target's niche than this (0-1: the page's words against the niche
# terms of the target's own pages) are not written; with no target page indexed, relevance is
# unknown (null) and none is dropped.
PROSPECT_MIN_RELEVANCE = 0.1
# Discovery: also ask the search sources (searxng, brave, marginalia, mojeek) for prospect pages,
# with queries built from the target's niche terms ('"kettle" "write for us"', '"kettle" "guest post"',
# '"kettle" "useful links"', 'best kettle', then the next term); off unless set (-s PROSPECT_QUERIES=True).
PROSPECT_QUERIES = False
# At most this many prospect queries per search source (within its DISCOVERY_MAX_REQUESTS).
PROSPECT_QUERIES_MAX = 8

# --- rendering ----------------------------------------------------------------------------------
# Path or name of the Chromium to use; empty = Playwright's own, else a system chromium.
BROWSER_EXECUTABLE = ""
# Passed to Playwright's launch (merged with the crawler's defaults: headless, quiet flags).
PLAYWRIGHT_LAUNCH_OPTIONS = {}
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Navigation timeout of a rendered page (ms).
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = 20_000
# Pages rendered at once (a rendered page holds one of CONCURRENT_REQUESTS too). Each renders in a
# browser context and tab of its own, kept for the next page (backlink_spider/tabs.py); every one
# costs Chromium a renderer process (50-150 MB, a busy core while the page's scripts run).
RENDER_CONCURRENCY = 4
# A browser context is replaced after this many rendered pages: Chromium frees a context's memory
# only when it closes.
RENDER_CONTEXT_PAGES = 50
# Cap on waiting for the network to go quiet after load (ms), on a page without the crawl's page
# watch (backlink_spider/pagewatch.js, installed in every page the crawl opens).
RENDER_NETWORK_IDLE_TIMEOUT_MS = 5_000
# After load, and after each scroll or click, wait until the page's own work is done (its fetch/XHR
# requests, the scripts it added, its timers due within 3 s: pagewatch.js) and the DOM has not
# changed for this long (ms): content a script inserts late gets into the snapshot...
RENDER_DOM_QUIET_MS = 200
# ...but at most this long per wait (ms), so a page that never stops changing (a ticker, an
# animation) is still snapshotted.
RENDER_SETTLE_TIMEOUT_MS = 3_000
# Scroll to the bottom at most this many times (infinite lists); scrolling stops at the first scroll
# that adds nothing.
RENDER_SCROLL_STEPS = 8
# "Load more" controls are recognised by their text (en, de, fr, es, it, pt, nl) and by these CSS
# selectors; links that navigate, submit buttons and buy/subscribe/log-in/delete/pay controls are
# never clicked. At most RENDER_MAX_CLICKS per page.
RENDER_CLICK_SELECTORS = [
    "button.load-more",
    "button[data-action='load-more']",
    "button.show-replies",
    "a.load-more",
    ".js-load-more",
    "button.more-comments",
]
RENDER_MAX_CLICKS = 5
# render=auto: host patterns (fnmatch) always / never rendered, whatever the evidence.
RENDER_ALWAYS_HOSTS = []
RENDER_NEVER_HOSTS = []
# render=auto: a page the static fetch showed needs a browser is rendered from that response (its
# main document is not downloaded again; scripts, styles and data requests are fetched as usual).
RENDER_REUSE_STATIC = True
# render=auto learns per site: this many ambiguous pages of each site (and of each platform, shared
# between its sites) are rendered as samples;
# if rendering shows target links, mentions, or RENDER_REVEAL_RATIO times the links or text that the
# static HTML has, the whole site is rendered from then on; otherwise it is crawled statically.
RENDER_SAMPLE_PAGES = 2
RENDER_REVEAL_RATIO = 1.5
# render=auto remembers what samples decided per site and platform across crawls, in a JSON file
# (RENDER_DECISIONS_FILE; empty = render-decisions.json in JOBDIR when set, else state/render-decisions.json
# in OUTPUT_DIR). False = no store: every crawl samples afresh.
RENDER_DECISIONS_ENABLED = True
RENDER_DECISIONS_FILE = ""
# A remembered decision is sampled again once it is this many days old (at the crawl's start).
RENDER_DECISIONS_DAYS = 30
# Time the in-page interaction may take (ms).
RENDER_PAGE_BUDGET_MS = 15_000
# Cap on each renderer's JavaScript heap (MB; 0 = Chromium's own): a page that builds a huge DOM
# crashes its renderer (the page falls back to its static HTML) instead of growing without bound.
# The rendered HTML handed to extraction is cut at DOWNLOAD_MAXSIZE, as a static page is.
RENDER_JS_HEAP_MB = 1024
# Hosts whose subrequests are aborted in the browser (analytics, ads): never needed for links.
RENDER_BLOCKED_HOSTS = [
    "google-analytics.com",
    "googletagmanager.com",
    "doubleclick.net",
    "googlesyndication.com",
    "facebook.net",
    "connect.facebook.net",
    "hotjar.com",
    "segment.io",
    "segment.com",
    "mixpanel.com",
    "scorecardresearch.com",
    "quantserve.com",
    "adnxs.com",
    "criteo.com",
    "taboola.com",
    "outbrain.com",
    "amazon-adsystem.com",
    "clarity.ms",
]

# --- Scrapy defaults we rely on -----------------------------------------------------------------
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# --- feeds (-o / FEEDS; backlink_spider/feeds.py) ---
# A feed whose file name is a record type, singular or plural (`-o backlinks.csv`, leads.jsonl,
# broken_links.csv), gets that type's records only (Scrapy's `item_classes`, set when the feed sets
# neither it nor `item_filter`). False: every feed gets every record, as in plain Scrapy.
FEED_RECORD_TYPE_FROM_NAME = True

# --- scope, traps, politeness (backlink_spider/scope.py) ---
# Page requests (the crawl frontier: requests with a hop; not link checks, searches, robots.txt).
# Pages scheduled per crawl, in total; 0 = no cap.
MAX_PAGES = 0
# Pages scheduled per registrable domain (forum.example.co.uk → example.co.uk); 0 = no cap.
MAX_PAGES_PER_SITE = 0
# Trap guards (0 turns a guard off); dropped requests count in stats scope/dropped/trap/<kind>.
# URLs longer than this many characters are not followed (url_length).
TRAP_MAX_URL_LENGTH = 2000
# A path segment occurring more than this many times is a loop: /a/b/a/b/a/b/ (repeated_segments).
TRAP_MAX_REPEATED_SEGMENTS = 2
# Paths with more than this many segments are not followed (path_depth).
TRAP_MAX_PATH_DEPTH = 15
# URLs with more than this many query parameters are not followed (query_params).
TRAP_MAX_QUERY_PARAMS = 12
# Calendar and date-archive pages more than this many years from the current year (calendar).
TRAP_CALENDAR_YEARS = 2
# Calendar-looking URLs followed per site, at most (calendar_pages).
TRAP_MAX_CALENDAR_PAGES = 50
# Links that add one query parameter to their page's query, this many times in a row at most (query_growth).
TRAP_MAX_QUERY_GROWTH = 3
# Stop reading bodies that are clearly not HTML (images, video, pdf, archives, css, js): a header read.
NON_HTML_ABORT_ENABLED = True
# Retry-After (429/503) is honoured up to this many seconds (the site is held meanwhile); longer: give up.
RETRY_AFTER_MAX = 120

# --- crawl-process efficiency (see bench/README.md) ---
# URLs the spider remembers having followed, so that links repeated on every page (navigation,
# sidebars) are not turned into requests the duplicate filter drops; 0 = always ask the filter.
# About 150 bytes per URL; past this many the memory starts afresh (the filter still decides).
FOLLOWED_URLS_MEMORY = 500_000
# Python's garbage collector (backlink_spider/gctuning.py): thresholds for gc.set_threshold (empty =
# Python's own 700,10,10) and whether the objects built before the crawl starts are frozen.
GC_THRESHOLDS = [20000, 20, 100]
GC_FREEZE_AT_START = True

# Turn off the end-of-crawl summary record / the HTML report.
SUMMARY_ENABLED = True
REPORT_ENABLED = True
# The crawl's final stats as JSON, OUTPUT_DIR/stats/<crawl_id>.json (for monitoring; see statsfile.py).
STATS_FILE_ENABLED = True
# A progress line every N seconds while a crawl runs (backlink_spider/progress.py); 0 = off.
PROGRESS_INTERVAL = 30
# The progress line replaces Scrapy's periodic "Crawled N pages" line.
LOGSTATS_INTERVAL = 0
# Scrapy's startup lines (versions, enabled components, overridden settings) at DEBUG; -L DEBUG shows them.
QUIET_STARTUP_LOG = True

# --- distributed crawls (backlink_spider/distributed.py) ---
# Empty: a single-process crawl. redis://host:port/db: processes with the same CRAWL_ID share one
# frontier, duplicate filter and seen-set in Redis (pickled requests: never a Redis you do not control).
REDIS_URL = ""
# The shared frontier empty and no busy peer for this long (s): the process ends.
REDIS_IDLE_CLOSE_SECONDS = 10.0
# After a process closes, the crawl's keys expire after this many seconds.
REDIS_KEYS_TTL = 7 * 24 * 3600
# Callbacks whose requests go to the shared queue (page requests); others stay in the process.
REDIS_SHARED_CALLBACKS = ["parse_page"]

# --- alerts (backlink_spider/alerting.py): what changed, after each crawl / recheck, sent once ---
# POST each crawl's new events here; empty = no webhook. "json": the documented body; "slack": {"text": ...}.
ALERT_WEBHOOK_URL = ""
ALERT_WEBHOOK_FORMAT = "json"
# E-mail alerts: both ALERT_SMTP_HOST and ALERT_EMAIL_TO set (comma-separated recipients).
ALERT_SMTP_HOST = ""
ALERT_SMTP_PORT = 587
ALERT_SMTP_STARTTLS = True
# Login when ALERT_SMTP_USER is set (pass the password per job, never in the repository).
ALERT_SMTP_USER = ""
ALERT_SMTP_PASSWORD = ""
ALERT_EMAIL_FROM = "backlink-spider@localhost"
ALERT_EMAIL_TO = []
# A failing channel is tried 1 + ALERT_RETRIES times, waiting ALERT_RETRY_BACKOFF * 2**n seconds
# (or the receiver's Retry-After, up to 300 s); undelivered events go out with the next alert.
ALERT_RETRIES = 3
ALERT_RETRY_BACKOFF = 2.0
# Where announced event ids (and events still owed) are kept across runs and Scrapyd jobs;
# empty = OUTPUT_DIR/alerts/sent.jsonl (a local path is required when OUTPUT_DIR is a URI).
ALERT_STATE = ""

# --- components (every one of the project's, in one place) ---------------------------------------
# Host aliases, host filter, address guard, Retry-After, redirects that are never dropped.
DOWNLOADER_MIDDLEWARES = {
    # All before robots.txt (100), so robots.txt fetches are aliased, filtered and guarded too.
    "backlink_spider.middlewares.HostAliasMiddleware": 40,
    "backlink_spider.middlewares.HostFilterMiddleware": 45,
    "backlink_spider.middlewares.PrivateAddressGuardMiddleware": 50,
    # 560: process_response runs from high to low order, so this sees 429/503 before RetryMiddleware (550).
    "backlink_spider.scope.RetryAfterMiddleware": 560,
    # Redirects that are never dropped as duplicates (loops end as `max redirections reached`).
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "backlink_spider.middlewares.RedirectEveryHopMiddleware": 600,
}
# Crawl scope: depth, caps, spider traps.
SPIDER_MIDDLEWARES = {"backlink_spider.scope.CrawlScopeMiddleware": 800}
# Duplicate records dropped, then JSONL files written.
ITEM_PIPELINES = {
    "pipelines.dedupe.DedupePipeline": 200,
    "pipelines.jsonl.JsonlWriterPipeline": 900,
}
# With -s REDIS_URL=redis://host:port/db (and the same -s CRAWL_ID on every process), N processes
# or Scrapyd nodes share one frontier in Redis; without it, this add-on changes nothing.
# RecordTypeFeeds: `-o backlinks.csv` (a feed named for a record type) gets that type only.
ADDONS = {"backlink_spider.distributed.RedisAddon": 0, "backlink_spider.feeds.RecordTypeFeeds": 10}
# GC tuning, stats file, summary and report, non-HTML abort, progress, alerts.
EXTENSIONS = {
    # Python's garbage collector tuned for the crawl (GC_THRESHOLDS, GC_FREEZE_AT_START).
    "backlink_spider.gctuning.GarbageCollectorTuning": 0,
    # The crawl's final stats as a JSON file (before the summary, which tidies a remote crawl's staging).
    "backlink_spider.statsfile.CrawlStatsFile": 490,
    # The summary record, printed summary and HTML report at the end of each crawl.
    "backlink_spider.extensions.CrawlSummary": 500,
    # The headers_received handler that stops non-HTML downloads.
    "backlink_spider.scope.NonHtmlAbort": 510,
    # A one-line progress report every PROGRESS_INTERVAL seconds.
    "backlink_spider.progress.CrawlProgress": 520,
    # Alerts (webhook, e-mail) after CrawlSummary, whose summary record says whether the crawl was partial.
    "backlink_spider.alerting.CrawlAlerts": 600,
}
