"""A small loopback web for the link-quality and domain-authority crawls.

brewbird.io (the target: a sitemap and two product pages), coffee-news.example (an editorial review
with an in-content link, a footer link on every page, a blog post whose only link to the target is a
nofollow comment link) and linkfarm.example (a link-exchange page with 320 links to other sites),
each on its own 127.0.31.x address, reached through HOST_ALIASES by their names.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler

from tests.conftest import serving

FOOTER = '<footer><p>Brewing gear by <a href="https://brewbird.io/">BrewBird</a></p></footer>'

REVIEW = f"""<!DOCTYPE html><html lang="en"><head><title>Burr grinders reviewed</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "BlogPosting",
"headline": "Burr grinders reviewed"}}</script></head><body>
<article><h1>Burr grinders reviewed</h1>
<p>We ground a kilo of coffee beans through every burr grinder on the market. The conical burr
grinder from the <a href="https://brewbird.io/grinders">BrewBird burr grinder range</a> kept its grind
size steadiest, and retention was the lowest we measured. For espresso grind settings see
<a href="https://espresso-lab.example/grind">the espresso lab's chart</a> and the
<a href="https://beans.example/roasts" rel="nofollow">roast guide</a>.</p>
<p>Burr grinders beat blade grinders on grind consistency for pour-over and espresso.</p>
</article>{FOOTER}</body></html>"""

COMMENTS = f"""<!DOCTYPE html><html lang="en"><head><title>Descaling a kettle</title>
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "BlogPosting",
"headline": "Descaling a kettle"}}</script></head><body>
<article><h1>Descaling a kettle</h1><p>Citric acid and water, twenty minutes, rinse twice.</p></article>
<section class="comments"><div class="comment"><p>Mine is a
<a href="https://brewbird.io/kettles" rel="nofollow ugc">gooseneck kettle</a>, works great.</p></div>
</section>{FOOTER}</body></html>"""


def _farm() -> str:
    rows = "\n".join(
        f'<li><a href="https://partner-{n}.example/">partner site {n}</a></li>' for n in range(1, 321)
    )
    return f"""<!DOCTYPE html><html lang="en"><head><title>Link partners</title></head><body>
<h1>Link partners</h1><p>Reciprocal links, add yours.</p><ul>
<li><a href="https://brewbird.io/grinders">coffee grinders</a></li>
{rows}</ul></body></html>"""


TARGET_PAGES = {
    "/sitemap.xml": (
        "application/xml",
        '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://brewbird.io/grinders</loc></url><url><loc>https://brewbird.io/kettles</loc></url>"
        "</urlset>",
    ),
    "/grinders": (
        "text/html",
        "<html><head><title>Burr grinders</title></head><body><main><h1>Burr grinders</h1><p>"
        "Conical burr grinder with stepless grind size settings for espresso and pour-over coffee.</p>"
        "</main></body></html>",
    ),
    "/kettles": (
        "text/html",
        "<html><head><title>Gooseneck kettles</title></head><body><main><h1>Gooseneck kettles</h1><p>A "
        "gooseneck kettle with temperature control for pour-over brewing.</p></main></body></html>",
    ),
}
SITES = {
    "brewbird.io": ("127.0.31.1", TARGET_PAGES),
    "coffee-news.example": (
        "127.0.31.2",
        {"/blog/burr-grinders": ("text/html", REVIEW), "/blog/descaling": ("text/html", COMMENTS)},
    ),
    "linkfarm.example": ("127.0.31.3", {"/partners": ("text/html", _farm())}),
}
SEEDS = [
    "http://coffee-news.example/blog/burr-grinders",
    "http://coffee-news.example/blog/descaling",
    "http://linkfarm.example/partners",
]


def _handler(pages: dict[str, tuple[str, str]]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            kind, body = pages.get(self.path.split("?")[0], ("text/plain", ""))
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            data = body.encode("utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_HEAD(self) -> None:
            kind, body = pages.get(self.path.split("?")[0], ("text/plain", ""))
            self.send_response(200 if body else 404)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    return Handler


@contextmanager
def quality_web() -> Iterator[dict[str, str]]:
    """Serve the sites; yields the crawl settings (HOST_ALIASES) that reach them by name."""
    with ExitStack() as stack:
        aliases = {
            name: stack.enter_context(serving(_handler(pages), address))
            for name, (address, pages) in SITES.items()
        }
        yield {"HOST_ALIASES": json.dumps(aliases), "ALLOWED_HOSTS": "127.0.31.*"}
