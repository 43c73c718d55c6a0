"""The HTML crawl report: one self-contained file a marketer reads at a glance.

    python -m backlink_spider.report OUTPUT_DIR CRAWL_ID      # prints the report's path

- `build_summary(records)`: the crawl's key numbers and breakdowns from its records
  (`records` maps a record type — page, backlink, mention, lead, broken_link — to its records).
- `compare_crawls(current_backlinks, previous_backlinks)`: new, lost and changed backlinks.
- `render_report(summary, records, previous=None, discovery=None)`: the HTML (inline CSS, inline
  SVG charts; no script, no font, image or any other URL is loaded: it renders offline from file://).
- `write_report(output_dir, crawl_id)`: reads the crawl (and the previous crawl of the same target)
  from OUTPUT_DIR and writes OUTPUT_DIR/reports/<crawl_id>.html atomically.

The modules: numbers.py (the numbers, pure), render.py (each section's data, the Jinja2
environment), files.py (reading crawls, writing the file, the command line); the markup is in
templates/ (report.html.j2, sections.html.j2, macros.html.j2, charts.svg.j2, report.css).

Records come from the web: the templates render in a sandboxed Jinja2 environment with autoescape,
so every value is HTML-escaped, and links are emitted only for http(s) URLs and plain e-mail
addresses (mailto:). A Content-Security-Policy in the page forbids scripts and any request, as a
second line of defence.
"""

from backlink_spider.report.files import find_previous_crawl, main, read_crawl, write_report
from backlink_spider.report.numbers import REPORTED_TYPES, build_summary, compare_crawls
from backlink_spider.report.render import render_report, safe_http_url

__all__ = [
    "REPORTED_TYPES",
    "build_summary",
    "compare_crawls",
    "find_previous_crawl",
    "main",
    "read_crawl",
    "render_report",
    "safe_http_url",
    "write_report",
]
