"""A synthetic web site for benchmarks, served on loopback, deterministic from a seed.

    from bench.corpus import Corpus
    corpus = Corpus(pages=1000, js_fraction=0.2, seed=1)
    base = corpus.start()          # "http://127.0.20.1:PORT"
    ...                            # crawl base + "/"
    corpus.truth_backlinks         # {("/p/17", "https://brewbird.io/pricing"), ...}
    corpus.js_paths                # {"/p/3", ...}
    corpus.stop()

CLI (serve until Ctrl-C): python -m bench.corpus [--pages 1000] [--js-fraction 0.2] [--seed 1]

The site: a home page `/` and N article pages `/p/0` .. `/p/N-1` of 15-30 KB each (head with
inline CSS, header, nav with 20 internal links, breadcrumbs, article, share buttons, sidebar
with "related" and "popular" links, comments, footer, an analytics stub script).

Reachability: `/` links to `/p/0..9` and `/p/i` links to its tree children `/p/10i+10 ..
/p/10i+19` (fan-out 10), always in the *static* HTML (sidebar), plus random cross links and the
nav. So every page is reachable from `/` through static links alone, every render mode and the
bare spider can fetch the same N+1 pages, and `static_depth` says how many hops that takes.

JS pages (a `js_fraction` of the articles, chosen exactly): the article body is an empty
`<div id="app"></div>`; an inline script renders paragraphs, cross links and (on some pages) the
link to the target into it from inline JSON on `load`. Static pages have their body in the HTML.

Ground truth: `truth_backlinks` = (page path, target URL) for every link to the target that a
browser shows (static or JS-rendered); `static_truth_backlinks` = the subset visible without
JavaScript; `truth_mention_paths` = pages whose visible text contains "BrewBird" (in text or
anchor text); `js_paths` = the JS pages.

robots.txt disallows `/private/` and `/search`; some pages link there. The server counts the
paths it served (`hits()`, `reset_hits()`), so a benchmark can check who fetched what.

Every other host the pages link to (brewbird.io and its subdomains, share buttons, references)
is answered by a second server on 127.0.20.2 (200 for any path, HEAD too, an allow-all
robots.txt, and a sitemap.xml listing the target URLs); `host_aliases()` gives the crawler's
HOST_ALIASES setting that sends those hosts there, so the crawler's outbound link checks run
offline and are counted (`elsewhere_hits()`).

Standard library only.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from collections import Counter, deque
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOST = "127.0.20.1"
# Every other host the pages link to (the target, social sites, references) is answered by one
# small "elsewhere" server, reached through the crawler's HOST_ALIASES setting (no internet).
ELSEWHERE_HOST = "127.0.20.2"
FANOUT = 10
NAV_LINKS = 20
TARGET = "brewbird.io"
BRAND = "BrewBird"

TARGET_URLS = (
    "https://brewbird.io/",
    "https://brewbird.io/pricing",
    "https://brewbird.io/features",
    "https://brewbird.io/grinders/mk2",
    "https://www.brewbird.io/blog/cold-brew-guide",
    "https://shop.brewbird.io/products/kettle",
)
TARGET_ANCHORS = (BRAND, "this grinder", "their pricing page", "brewbird.io", "the BrewBird kettle", "here")

# Vocabulary: no word that the render policy treats as a loading placeholder, no brand.
WORDS = (
    "coffee bean roast grind brew espresso filter pour over aroma crema acidity body bitterness "
    "sweetness origin farm harvest washed natural honey process altitude varietal bourbon typica "
    "gesha kettle scale timer bloom extraction ratio water temperature mineral hardness burr "
    "blade conical flat grinder setting fine coarse medium cup tasting notes chocolate caramel "
    "citrus berry floral nutty spice balance clarity finish morning ritual cafe barista milk "
    "latte cappuccino flat white cortado mocha cold brew iced drip machine press moka pot siphon "
    "chemex aeropress paper cloth metal mesh dose yield shot pull tamp portafilter basket "
    "pressure pump boiler steam wand froth texture microfoam pitcher art heart rosetta tulip "
    "storage fresh stale airtight container light dark shade roaster batch profile first crack "
    "second development time charge drum air fluid bed sample review guide recipe method tip "
    "mistake beginner advanced home kitchen counter routine weekend travel camping budget "
    "premium value durable design handle spout gooseneck thermometer digital analog calibrate "
    "clean descale maintenance warranty manual review comparison test result verdict score"
).split()
FIRST_NAMES = "Ana Ben Chloe Dario Eva Farid Greta Hugo Ines Jonas Kira Leo Maya Nils Olga Pablo".split()
LAST_NAMES = "Alves Berg Costa Dahl Evans Fischer Garcia Holm Ito Jensen Klein Lopez Moreau Novak".split()
CATEGORIES = (
    "Espresso Filter Grinders Kettles Beans Roasting Milk Cold-Brew Recipes Gear Cafes Travel "
    "Science Reviews Guides News Interviews Deals Opinion Archive"
).split()
EXTERNAL_LINKS = (
    ("https://en.wikipedia.org/wiki/Coffee", "Coffee on Wikipedia"),
    ("https://www.sca.coffee/research", "SCA research"),
    ("https://github.com/roastgrind/tools", "our tools on GitHub"),
    ("https://www.youtube.com/@roastgrind", "video channel"),
    ("https://news.ycombinator.com/", "Hacker News"),
    ("https://www.reddit.com/r/Coffee/", "r/Coffee"),
    ("https://example.org/brewing-ratios", "brewing ratios"),
    ("https://www.homegrounds.co/", "Home Grounds"),
)

CSS = (
    "body{margin:0;font:16px/1.6 Georgia,serif;color:#222;background:#fafaf7}"
    ".site-header{display:flex;align-items:center;gap:24px;padding:12px 32px;background:#2b1d14;color:#fff}"
    ".site-header a{color:#f3e9dc;text-decoration:none}.logo{font-weight:700;font-size:22px}"
    ".main-nav ul{display:flex;flex-wrap:wrap;gap:12px;list-style:none;margin:0;padding:0}"
    ".main-nav li a{font:14px/1.2 Helvetica,Arial,sans-serif;text-transform:uppercase}"
    ".breadcrumbs{padding:8px 32px;font:13px Helvetica,Arial,sans-serif;color:#777}"
    ".layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,1fr);gap:40px;padding:16px 32px}"
    ".post h1{font-size:34px;line-height:1.2;margin:8px 0 4px}.byline{color:#888;font-size:14px}"
    ".post p{margin:0 0 1.1em}.post a{color:#8a4b1c}.share{display:flex;gap:8px;margin:24px 0}"
    ".share a{padding:6px 10px;border-radius:4px;background:#eee;font:13px Helvetica,sans-serif}"
    ".sidebar section{margin-bottom:28px}.sidebar h3{font:600 14px Helvetica,sans-serif;text-transform:uppercase}"
    ".sidebar ul{list-style:none;padding:0;margin:0}.sidebar li{margin:6px 0;font-size:15px}"
    ".comments{padding:16px 32px;border-top:1px solid #ddd}.comment{margin:12px 0;padding:12px;background:#fff}"
    ".comment .who{font-weight:600}.comment time{color:#999;font-size:12px;margin-left:8px}"
    ".site-footer{padding:24px 32px;background:#2b1d14;color:#cbb;font:13px Helvetica,sans-serif}"
    ".site-footer a{color:#f3e9dc}.site-footer ul{columns:3;list-style:none;padding:0}"
    "@media (max-width:800px){.layout{grid-template-columns:1fr}.main-nav{display:none}}"
)

# The JS page's renderer: builds the article from the inline JSON after `load`.
RENDER_JS = (
    "window.addEventListener('load',function(){"
    "var data=JSON.parse(document.getElementById('page-data').textContent);"
    "var app=document.getElementById('app');"
    "data.blocks.forEach(function(block){"
    "var el=document.createElement(block.tag);"
    "block.parts.forEach(function(part){"
    "if(typeof part==='string'){el.appendChild(document.createTextNode(part));return;}"
    "var a=document.createElement('a');a.href=part.href;a.textContent=part.text;"
    "if(part.rel){a.rel=part.rel;}el.appendChild(a);});"
    "app.appendChild(el);});"
    "document.title=data.title+' | Roast & Grind';});"
)

ANALYTICS_JS = (
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
    "gtag('js',new Date());gtag('config','RG-000000');"
)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


class _PageMeta:
    __slots__ = ("i", "js", "title", "targets", "mention", "cross", "intext", "private", "search", "paras")

    def __init__(self, i: int) -> None:
        self.i = i
        self.js = False
        self.title = ""
        self.targets: list[tuple[str, str, str]] = []  # (url, anchor, rel)
        self.mention = False
        self.cross: list[int] = []  # "popular" sidebar links
        self.intext: list[int] = []  # links inside the article text
        self.private = False
        self.search = False
        self.paras: list[int] = []  # indexes into the paragraph pool


class Corpus:
    def __init__(
        self,
        pages: int = 1000,
        js_fraction: float = 0.2,
        seed: int = 1,
        host: str = HOST,
        port: int = 0,
        target_fraction: float = 0.15,
        js_target_fraction: float = 0.4,
        mention_fraction: float = 0.1,
    ) -> None:
        if pages < 1:
            raise ValueError("pages must be >= 1")
        self.pages = pages
        self.js_fraction = js_fraction
        self.seed = seed
        self.host = host
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._hits: Counter[str] = Counter()
        self._elsewhere_hits: Counter[str] = Counter()
        self.elsewhere_url = ""
        self.external_hosts = (
            {urlsplit(u).hostname for u in TARGET_URLS}
            | {urlsplit(u).hostname for u, _ in EXTERNAL_LINKS}
            | {
                "twitter.com",
                "www.facebook.com",
                "www.linkedin.com",
                "www.reddit.com",
                TARGET,
                "www." + TARGET,
            }
        )
        self._hits_lock = threading.Lock()

        rng = random.Random(f"{seed}:corpus")
        self._pool = [self._paragraph(rng) for _ in range(1500)]
        self._comment_pool = [self._sentence(rng, rng.randint(10, 30)) for _ in range(600)]
        js_ids = set(rng.sample(range(pages), round(pages * js_fraction)))
        self.meta: list[_PageMeta] = []
        for i in range(pages):
            prng = random.Random(f"{seed}:page:{i}")
            m = _PageMeta(i)
            m.js = i in js_ids
            m.title = " ".join(prng.choice(WORDS) for _ in range(prng.randint(4, 8))).capitalize()
            fraction = js_target_fraction if m.js else target_fraction
            if prng.random() < fraction:
                count = 2 if prng.random() < 0.2 else 1
                for url in prng.sample(TARGET_URLS, count):
                    rel = prng.choice(("", "", "", "nofollow", "sponsored", "ugc"))
                    m.targets.append((url, prng.choice(TARGET_ANCHORS), rel))
            m.mention = prng.random() < mention_fraction
            m.cross = [prng.randrange(pages) for _ in range(5)]
            m.intext = [prng.randrange(pages) for _ in range(prng.randint(1, 3))]
            m.private = prng.random() < 0.05
            m.search = prng.random() < 0.05
            m.paras = [prng.randrange(len(self._pool)) for _ in range(prng.randint(14, 26))]
            self.meta.append(m)

        self.js_paths = {f"/p/{m.i}" for m in self.meta if m.js}
        self.static_paths = {f"/p/{m.i}" for m in self.meta if not m.js}
        self.truth_backlinks = {(f"/p/{m.i}", url) for m in self.meta for url, _, _ in m.targets}
        self.static_truth_backlinks = {
            (f"/p/{m.i}", url) for m in self.meta if not m.js for url, _, _ in m.targets
        }
        self.truth_mention_paths = {
            f"/p/{m.i}"
            for m in self.meta
            if m.mention or any(BRAND.lower() in a.lower() for _, a, _ in m.targets)
        }
        self.all_paths = {"/"} | {f"/p/{i}" for i in range(pages)}
        self.static_depth, self.depth_histogram = self._bfs_depth()
        self._render = lru_cache(maxsize=256)(self._render_uncached)

    # --- text -------------------------------------------------------------------------------

    @staticmethod
    def _sentence(rng: random.Random, n: int) -> str:
        words = [rng.choice(WORDS) for _ in range(n)]
        return " ".join(words).capitalize() + rng.choice((".", ".", ".", "!", "?"))

    def _paragraph(self, rng: random.Random) -> str:
        return " ".join(self._sentence(rng, rng.randint(8, 22)) for _ in range(rng.randint(4, 8)))

    # --- structure --------------------------------------------------------------------------

    def children(self, i: int) -> list[int]:
        """Tree children of page i (-1 = the home page)."""
        first = FANOUT * (i + 1)
        return [c for c in range(first, first + FANOUT) if c < self.pages]

    def parent(self, i: int) -> int:
        return i // FANOUT - 1  # -1 = home

    def nav(self) -> list[int]:
        return list(range(min(NAV_LINKS, self.pages)))

    def static_links(self, i: int) -> list[int]:
        """Pages linked from page i's static HTML (i = -1: home)."""
        links = self.nav() + self.children(i)
        if i >= 0:
            m = self.meta[i]
            links += m.cross
            if not m.js:
                links += m.intext
            if self.parent(i) >= 0:
                links.append(self.parent(i))
            if not self.children(i):  # leaves: "related" falls back to random pages
                links += self._leaf_related(i)
        return links

    def _leaf_related(self, i: int) -> list[int]:
        rng = random.Random(f"{self.seed}:related:{i}")
        return [rng.randrange(self.pages) for _ in range(6)]

    def _bfs_depth(self) -> tuple[int, dict[int, int]]:
        depth = {-1: 0}
        queue = deque([-1])
        while queue:
            node = queue.popleft()
            for nxt in self.static_links(node):
                if nxt not in depth:
                    depth[nxt] = depth[node] + 1
                    queue.append(nxt)
        if len(depth) != self.pages + 1:
            raise RuntimeError("corpus bug: not every page is reachable from /")
        return max(depth.values()), dict(sorted(Counter(depth.values()).items()))

    # --- HTML -------------------------------------------------------------------------------

    def _link(self, i: int) -> str:
        return f'<a href="/p/{i}">{_esc(self.meta[i].title)}</a>'

    def _blocks(self, m: _PageMeta) -> list[dict]:
        """The article body as blocks of text parts and links (shared by static and JS pages)."""
        rng = random.Random(f"{self.seed}:body:{m.i}")
        blocks: list[dict] = []
        paras = [self._pool[p] for p in m.paras]
        # where to put links: in-text internal links, one external link, target links, mention
        spots = list(range(len(paras)))
        for n, para in enumerate(paras):
            parts: list = []
            sentences = para.split(". ")
            cut = max(1, len(sentences) // 2)
            parts.append(". ".join(sentences[:cut]) + ". ")
            if n < len(m.intext):
                j = m.intext[n]
                parts += [{"href": f"/p/{j}", "text": self.meta[j].title.lower()}, " is worth reading too. "]
            if n == len(spots) // 2:
                url, text = EXTERNAL_LINKS[rng.randrange(len(EXTERNAL_LINKS))]
                parts += ["See also ", {"href": url, "text": text}, ". "]
            for k, (url, anchor, rel) in enumerate(m.targets):
                if n == 1 + 3 * k:
                    parts += ["We tested ", {"href": url, "text": anchor, "rel": rel}, " for a month. "]
            if m.mention and n == len(paras) - 2:
                parts.append(f"Readers keep asking how this compares with the {BRAND} Mk2 grinder. ")
            parts.append(". ".join(sentences[cut:]))
            blocks.append({"tag": "p", "parts": parts})
        return blocks

    @staticmethod
    def _blocks_html(blocks: list[dict]) -> str:
        out = []
        for block in blocks:
            inner = []
            for part in block["parts"]:
                if isinstance(part, str):
                    inner.append(_esc(part))
                else:
                    rel = f' rel="{part["rel"]}"' if part.get("rel") else ""
                    inner.append(f'<a href="{_esc(part["href"])}"{rel}>{_esc(part["text"])}</a>')
            out.append(f"<{block['tag']}>{''.join(inner)}</{block['tag']}>")
        return "\n".join(out)

    def _render_uncached(self, i: int) -> bytes:
        """HTML of page i (-1 = home)."""
        rng = random.Random(f"{self.seed}:chrome:{i}")
        if i < 0:
            title = "Roast & Grind: coffee gear, guides and reviews"
            m = None
        else:
            m = self.meta[i]
            title = m.title
        nav = "".join(f'<li><a href="/p/{j}">{CATEGORIES[j % len(CATEGORIES)]}</a></li>' for j in self.nav())
        head = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_esc(title)} | Roast &amp; Grind</title>\n"
            f'<meta name="description" content="{_esc(title)}: notes from our test kitchen.">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<link rel="canonical" href="{"/" if i < 0 else f"/p/{i}"}">\n'
            f"<style>{CSS}</style>\n</head>\n<body>\n"
            '<header class="site-header"><a class="logo" href="/">Roast &amp; Grind</a>\n'
            f'<nav class="main-nav" aria-label="Sections"><ul>{nav}</ul></nav>\n'
            '<form class="search" action="/search" method="get">'
            '<input type="search" name="q" aria-label="Search the site"><button>Search</button></form>\n'
            "</header>\n"
        )
        parts = [head]
        if m is not None:
            parent = self.parent(i)
            crumb = '<a href="/">Home</a>'
            if parent >= 0:
                crumb += f" › {self._link(parent)}"
            parts.append(f'<div class="breadcrumbs">{crumb} › {_esc(title)}</div>\n')
        parts.append('<main class="layout">\n<article class="post">\n')
        if m is None:
            parts.append(f"<h1>{_esc(title)}</h1>\n")
            for j in self.children(-1):
                parts.append(f"<h2>{self._link(j)}</h2>\n<p>{_esc(self._pool[j % len(self._pool)])}</p>\n")
            blocks_html = ""
        else:
            author = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            parts.append(
                f'<h1>{_esc(title)}</h1>\n<p class="byline">By {author} · '
                f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} · {rng.randint(3, 14)} min read</p>\n"
            )
            blocks = self._blocks(m)
            if m.js:
                parts.append('<div id="app"></div>\n')
                blocks_html = ""
                data = json.dumps({"title": title, "blocks": blocks}, separators=(",", ":"))
                self_data = data.replace("</", "<\\/")
            else:
                blocks_html = self._blocks_html(blocks)
                parts.append(blocks_html + "\n")
        url = "http%3A%2F%2Froastgrind.example%2F" + ("" if i < 0 else f"p%2F{i}")
        parts.append(
            '<div class="share">'
            f'<a href="https://twitter.com/intent/tweet?url={url}">Share on X</a>'
            f'<a href="https://www.facebook.com/sharer/sharer.php?u={url}">Facebook</a>'
            f'<a href="https://www.linkedin.com/sharing/share-offsite/?url={url}">LinkedIn</a>'
            f'<a href="https://www.reddit.com/submit?url={url}">Reddit</a>'
            f'<a href="mailto:?subject=Roast%20%26%20Grind&amp;body={url}">Email</a>'
            "</div>\n</article>\n"
        )
        # sidebar: tree children (the site's reachability), popular cross links, archive
        related = self.children(i) or (self._leaf_related(i) if i >= 0 else [])
        parts.append('<aside class="sidebar">\n<section class="related"><h3>Related reading</h3><ul>')
        parts.append("".join(f"<li>{self._link(j)}</li>" for j in related))
        parts.append("</ul></section>\n")
        if m is not None:
            parts.append('<section class="popular"><h3>Popular this week</h3><ul>')
            parts.append("".join(f"<li>{self._link(j)}</li>" for j in m.cross))
            parts.append("</ul></section>\n")
            extra = []
            if m.private:
                extra.append(f'<li><a href="/private/drafts/{i}">Draft: {_esc(title)}</a></li>')
            if m.search:
                extra.append(
                    f'<li><a href="/search?q={m.title.split()[0]}">More on {m.title.split()[0]}</a></li>'
                )
            if extra:
                parts.append(
                    f'<section class="archive"><h3>From the archive</h3><ul>{"".join(extra)}</ul></section>\n'
                )
        parts.append(
            '<section class="newsletter"><h3>Newsletter</h3><p>One email a week with the best of '
            "the site. No spam, unsubscribe any time.</p></section>\n</aside>\n</main>\n"
        )
        if m is not None:
            parts.append('<section class="comments"><h2>Comments</h2>\n')
            for _ in range(rng.randint(2, 6)):
                who = f"{rng.choice(FIRST_NAMES)}{rng.randint(1, 99)}"
                text = " ".join(rng.choice(self._comment_pool) for _ in range(rng.randint(1, 3)))
                parts.append(
                    f'<div class="comment"><span class="who">{who}</span><time>2 days ago</time>'
                    f"<p>{_esc(text)}</p></div>\n"
                )
            parts.append("</section>\n")
        footer_links = "".join(
            f'<li><a href="/p/{j}">{_esc(self.meta[j].title)}</a></li>'
            for j in range(0, min(self.pages, NAV_LINKS), 4)
        )
        ext = "".join(f'<li><a href="{u}">{_esc(t)}</a></li>' for u, t in EXTERNAL_LINKS[:5])
        parts.append(
            f'<footer class="site-footer"><ul>{footer_links}{ext}</ul>'
            "<p>© 2025 Roast &amp; Grind. Independent coffee journalism. Prices may change.</p>"
            f"</footer>\n<script>{ANALYTICS_JS}</script>\n"
        )
        if m is not None and m.js:
            parts.append(f'<script type="application/json" id="page-data">{self_data}</script>\n')
            parts.append(f"<script>{RENDER_JS}</script>\n")
        parts.append("</body>\n</html>\n")
        return "".join(parts).encode("utf-8")

    def html(self, path: str) -> bytes | None:
        """The page at `path`, or None (404)."""
        if path == "/":
            return self._render(-1)
        if path.startswith("/p/"):
            try:
                i = int(path[3:])
            except ValueError:
                return None
            if 0 <= i < self.pages and path == f"/p/{i}":
                return self._render(i)
        return None

    def robots_txt(self) -> bytes:
        return b"User-agent: *\nDisallow: /private/\nDisallow: /search\n\nSitemap: /sitemap.xml\n"

    # --- serving ----------------------------------------------------------------------------

    def _handler(self, elsewhere: bool = False) -> type[BaseHTTPRequestHandler]:
        corpus = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
            server_version = "corpus/1"

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                self._head = head
                path = urlsplit(self.path).path
                with corpus._hits_lock:
                    (corpus._elsewhere_hits if elsewhere else corpus._hits)[
                        ("HEAD " if head else "") + self.path
                    ] += 1
                if elsewhere:
                    if path == "/robots.txt":
                        self._send(200, b"User-agent: *\nDisallow:\n", "text/plain")
                    elif path == "/sitemap.xml":
                        self._send(200, corpus.target_sitemap(), "application/xml")
                    else:
                        body = f"<!DOCTYPE html><title>{path}</title><h1>{path}</h1><p>Elsewhere.</p>"
                        self._send(200, body.encode(), "text/html; charset=utf-8")
                    return
                if path == "/robots.txt":
                    self._send(200, corpus.robots_txt(), "text/plain; charset=utf-8")
                    return
                if path.startswith(("/private/", "/search")):
                    self._send(200, b"<!DOCTYPE html><title>not for robots</title><p>x</p>", "text/html")
                    return
                body = corpus.html(path)
                if body is None:
                    self._send(404, b"<!DOCTYPE html><title>404</title><p>Not found</p>", "text/html")
                else:
                    self._send(200, body, "text/html; charset=utf-8")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not self._head:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def start(self) -> str:
        """Serve in background threads; returns the site's base URL (no trailing slash)."""
        self._servers = []
        for host, port, elsewhere in ((self.host, self.port, False), (ELSEWHERE_HOST, 0, True)):
            server = ThreadingHTTPServer((host, port), self._handler(elsewhere))
            server.daemon_threads = True
            server.request_queue_size = 256
            threading.Thread(target=server.serve_forever, name=f"corpus-{host}", daemon=True).start()
            self._servers.append(server)
        self._server = self._servers[0]
        self.port = self._servers[0].server_address[1]
        self.elsewhere_url = f"http://{ELSEWHERE_HOST}:{self._servers[1].server_address[1]}"
        return self.base_url

    def host_aliases(self) -> dict[str, str]:
        """HOST_ALIASES for the crawler: every host the pages link to, other than the site itself."""
        return {host: self.elsewhere_url for host in sorted(self.external_hosts)}

    def target_sitemap(self) -> bytes:
        urls = "".join(f"<url><loc>{_esc(u)}</loc></url>" for u in TARGET_URLS)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
        ).encode()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        for server in getattr(self, "_servers", []):
            server.shutdown()
            server.server_close()
        self._servers = []
        self._server = None

    def __enter__(self) -> Corpus:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def hits(self) -> Counter[str]:
        """Requests the site answered, by path ("HEAD /p/1" for HEAD requests)."""
        with self._hits_lock:
            return Counter(self._hits)

    def elsewhere_hits(self) -> Counter[str]:
        """Requests the elsewhere server answered (link checks, the target's sitemap and pages)."""
        with self._hits_lock:
            return Counter(self._elsewhere_hits)

    def reset_hits(self) -> None:
        with self._hits_lock:
            self._hits.clear()
            self._elsewhere_hits.clear()

    def describe(self) -> dict:
        sizes = [len(self.html(f"/p/{i}")) for i in range(0, self.pages, max(1, self.pages // 200))]
        return {
            "pages": self.pages + 1,
            "articles": self.pages,
            "js_pages": len(self.js_paths),
            "truth_backlinks": len(self.truth_backlinks),
            "truth_backlinks_static": len(self.static_truth_backlinks),
            "truth_backlinks_js": len(self.truth_backlinks) - len(self.static_truth_backlinks),
            "pages_with_target_link": len({p for p, _ in self.truth_backlinks}),
            "truth_mention_pages": len(self.truth_mention_paths),
            "static_depth": self.static_depth,
            "depth_histogram": self.depth_histogram,
            "page_kb_min": round(min(sizes) / 1024, 1),
            "page_kb_mean": round(sum(sizes) / len(sizes) / 1024, 1),
            "page_kb_max": round(max(sizes) / 1024, 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--js-fraction", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--port", type=int, default=0)
    ns = parser.parse_args()
    corpus = Corpus(ns.pages, ns.js_fraction, ns.seed, port=ns.port)
    print(json.dumps(corpus.describe(), indent=2))
    print(f"serving {corpus.start()}/  (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        corpus.stop()


if __name__ == "__main__":
    main()
