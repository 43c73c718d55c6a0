"""Webs of many small sites for the side-by-side benchmarks, each site on its own loopback address.

    from bench.webs import multisite, manysite
    web = multisite()              # 10 sites of 30 pages: 2 client-rendered apps, 8 static blogs
    web.start()                    # one ThreadingHTTPServer per site (127.0.21.1 .. 127.0.21.10)
    web.seeds                      # the sites' home pages
    web.truth                      # {("127.0.21.3", "/posts/some-slug/", "https://brewbird.io/pricing"), ...}
    web.stop()

CLI (serve until Ctrl-C): python -m bench.webs multisite|manysite

Every site is built from one content model (index pages listing posts, posts with paragraphs,
in-text links to the target, prev/next links, a few external links) rendered by a platform
template: server-rendered blogs that look like WordPress, Hugo, Jekyll, Ghost, Discourse's
crawler view or a hand-written site (no generator, no script), or client-rendered apps whose
static HTML is an empty mount node plus a bundle that builds the whole page (its links too) from
inline JSON (`app-next`, a Next.js-like `__NEXT_DATA__`) or from a JSON API on the same host
(`app-api`, a Vite/React-like SPA). Ground truth: every target link a browser shows
(`truth`), and the part of it only JavaScript shows (`js_truth`).

Other hosts the pages link to (the target, share and reference sites) are answered by one
"elsewhere" server; `host_aliases()` gives the crawler's HOST_ALIASES for them. Standard library
only, deterministic.
"""

from __future__ import annotations

import argparse
import json
import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from bench.corpus import BRAND, EXTERNAL_LINKS, TARGET, TARGET_ANCHORS, TARGET_URLS, WORDS, _esc

STATIC_PLATFORMS = ("wordpress", "hugo", "jekyll", "ghost", "discourse", "plain")
APP_PLATFORMS = ("app-next", "app-api")
HTML = "text/html; charset=utf-8"


@dataclass
class Page:
    path: str
    title: str
    kind: str  # index | post
    links: list[tuple[str, str]]  # internal links besides the nav: (path, text)
    blocks: list[list]  # paragraphs: text parts and {"href", "text"} links
    targets: list[str] = field(default_factory=list)  # target URLs linked from this page
    date: str = "2025-01-01"


@dataclass
class Site:
    n: int
    address: str
    platform: str
    name: str
    pages: dict[str, Page]
    port: int = 0
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, body)

    @property
    def js(self) -> bool:
        return self.platform in APP_PLATFORMS

    @property
    def base_url(self) -> str:
        return f"http://{self.address}:{self.port}"


def _words(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def _sentence(rng: random.Random) -> str:
    return _words(rng, rng.randint(8, 20)).capitalize() + "."


def _slug(title: str) -> str:
    return "-".join(title.lower().split()[:6])


def _post_path(platform: str, slug: str, n: int, date: str) -> str:
    y, m, d = date.split("-")
    return {
        "wordpress": f"/{y}/{m}/{slug}/",
        "hugo": f"/posts/{slug}/",
        "jekyll": f"/{y}/{m}/{d}/{slug}.html",
        "ghost": f"/{slug}/",
        "discourse": f"/t/{slug}/{100 + n}",
        "plain": f"/articles/{slug}.html",
        "app-next": f"/post/{slug}",
        "app-api": f"/articles/{slug}",
    }[platform]


def _index_path(platform: str, k: int) -> str:
    if k == 1:
        return "/"
    return {
        "jekyll": f"/page{k}/",
        "discourse": f"/latest?page={k - 1}",
        "plain": f"/archive-{k}.html",
        "app-next": f"/page/{k}",
        "app-api": f"/page/{k}",
    }.get(platform, f"/page/{k}/")


def build_site(
    n: int, address: str, platform: str, posts: int, indexes: int, targets: int, seed: int
) -> Site:
    """A site of `indexes` index pages listing `posts` posts, `targets` of which link to the target."""
    rng = random.Random(f"{seed}:site:{n}")
    name = f"{_words(rng, 2).title()} {rng.choice(('Journal', 'Notes', 'Blog', 'Forum', 'Review', 'Lab'))}"
    if platform == "discourse":
        name = f"{_words(rng, 1).title()} Community"
    post_pages: list[Page] = []
    for i in range(posts):
        title = _words(rng, rng.randint(4, 7)).capitalize()
        date = f"2025-{1 + (n + i) % 12:02d}-{1 + (3 * i + n) % 28:02d}"
        path = _post_path(platform, _slug(title) + f"-{i}", i, date)
        blocks = []
        for _ in range(rng.randint(4, 8)):
            blocks.append([" ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))])
        post_pages.append(Page(path, title, "post", [], blocks, date=date))
    for k, post in enumerate(rng.sample(post_pages, targets)):
        url = TARGET_URLS[(n + k) % len(TARGET_URLS)]
        anchor = TARGET_ANCHORS[(n + 2 * k) % len(TARGET_ANCHORS)]
        where = min(1, len(post.blocks) - 1)
        post.blocks[where] += [" We tested ", {"href": url, "text": anchor}, " for a month. "]
        post.targets.append(url)
    for i, post in enumerate(post_pages):
        if i > 0:
            post.links.append((post_pages[i - 1].path, "← " + post_pages[i - 1].title))
        if i + 1 < len(post_pages):
            post.links.append((post_pages[i + 1].path, post_pages[i + 1].title + " →"))
        ext_url, ext_text = EXTERNAL_LINKS[(n + i) % len(EXTERNAL_LINKS)]
        post.blocks[-1] += [" See also ", {"href": ext_url, "text": ext_text}, "."]
        if i % 5 == 4:
            post.blocks[-1] += [f" Readers ask how this compares with the {BRAND} Mk2."]
    pages: dict[str, Page] = {}
    per_index = -(-posts // indexes)
    for k in range(1, indexes + 1):
        listed = post_pages[(k - 1) * per_index : k * per_index]
        links = [(p.path, p.title) for p in listed]
        if k > 1:
            links.append((_index_path(platform, k - 1), "Newer posts"))
        if k < indexes:
            links.append((_index_path(platform, k + 1), "Older posts"))
        blocks = [[_sentence(rng)] for _ in range(2)]
        pages[_index_path(platform, k)] = Page(_index_path(platform, k), name, "index", links, blocks)
    for post in post_pages:
        pages[post.path] = post
    site = Site(n, address, platform, name, pages)
    site.files = render_site(site)
    return site


# --- platform templates -----------------------------------------------------------------------


def _parts_html(parts: list) -> str:
    return "".join(
        _esc(p) if isinstance(p, str) else f'<a href="{_esc(p["href"])}">{_esc(p["text"])}</a>' for p in parts
    )


def _body_html(page: Page, p_class: str = "") -> str:
    cls = f' class="{p_class}"' if p_class else ""
    return "\n".join(f"<p{cls}>{_parts_html(b)}</p>" for b in page.blocks)


def _list_html(page: Page, item: str = "li") -> str:
    return "".join(f'<{item}><a href="{_esc(h)}">{_esc(t)}</a></{item}>' for h, t in page.links)


def _footer(site: Site) -> str:
    ext = "".join(f'<a href="{u}">{_esc(t)}</a> ' for u, t in EXTERNAL_LINKS[:3])
    return f"<p>© 2025 {_esc(site.name)}. {ext}</p>"


def _wordpress(site: Site, page: Page) -> str:
    body_class = "home blog" if page.kind == "index" else "post-template-default single single-post"
    main = (
        f'<div class="wp-block-post-content entry-content">{_body_html(page)}</div>'
        f'<nav class="navigation post-navigation"><ul>{_list_html(page)}</ul></nav>'
        '<div id="comments" class="comments-area"><h2 class="comments-title">2 thoughts</h2>'
        '<ol class="comment-list"><li class="comment"><article class="comment-body"><p>'
        "Great write-up, thanks.</p></article></li></ol></div>"
    )
    return (
        f'<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n<title>{_esc(page.title)} – '
        f"{_esc(site.name)}</title>\n"
        "<link rel='stylesheet' id='astra-theme-css-css' href='/wp-content/themes/astra/assets/css/minified/main.min.css?ver=4.8.3' media='all' />\n"
        '<link rel="https://api.w.org/" href="/wp-json/" />\n'
        '<meta name="generator" content="WordPress 6.6.2" />\n'
        "<script src='/wp-includes/js/jquery/jquery.min.js?ver=3.7.1' id='jquery-core-js'></script>\n"
        f'</head>\n<body class="{body_class} wp-embed-responsive">\n<div id="page" class="hfeed site">'
        f'<header id="masthead" class="site-header"><p class="site-title"><a href="/" rel="home">{_esc(site.name)}</a></p></header>\n'
        f'<main id="main" class="site-main"><article class="post type-post status-publish format-standard hentry">'
        f'<h1 class="entry-title">{_esc(page.title)}</h1><div class="entry-meta"><time class="entry-date published" '
        f'datetime="{page.date}T08:00:00+00:00">{page.date}</time></div>{main}</article></main>\n'
        f'<footer class="site-footer">{_footer(site)}</footer></div>\n'
        "<script src='/wp-content/plugins/contact-form-7/includes/js/index.js?ver=5.9.8' id='contact-form-7-js'></script>\n"
        "</body>\n</html>\n"
    )


def _hugo(site: Site, page: Page) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en" dir="auto">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="generator" content="Hugo 0.134.2">\n<title>{_esc(page.title)} | {_esc(site.name)}</title>\n'
        '<link crossorigin="anonymous" href="/assets/css/stylesheet.b609c58d.css" rel="preload stylesheet" as="style">\n'
        f'</head>\n<body class="list" id="top">\n<header class="header"><nav class="nav"><div class="logo">'
        f'<a href="/" accesskey="h">{_esc(site.name)}</a></div></nav></header>\n<main class="main">\n'
        f'<article class="post-single"><header class="post-header"><h1 class="post-title entry-hint-parent">'
        f'{_esc(page.title)}</h1><div class="post-meta"><span title="{page.date}">{page.date}</span></div></header>\n'
        f'<div class="post-content">{_body_html(page)}</div>\n'
        f'<footer class="post-footer"><nav class="paginav">{_list_html(page, "span")}</nav></footer></article>\n'
        f'</main>\n<footer class="footer">{_footer(site)}<span>Powered by <a href="https://gohugo.io/">Hugo</a></span></footer>\n'
        '<script src="/js/menu.min.js"></script>\n</body>\n</html>\n'
    )


def _jekyll(site: Site, page: Page) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head>\n<meta charset="utf-8">\n<!-- Begin Jekyll SEO tag v2.8.0 -->\n'
        f"<title>{_esc(page.title)} | {_esc(site.name)}</title>\n"
        '<meta name="generator" content="Jekyll v4.3.3" />\n<!-- End Jekyll SEO tag -->\n'
        '<link rel="stylesheet" href="/assets/main.css">\n<link type="application/atom+xml" rel="alternate" href="/feed.xml" />\n'
        f'</head>\n<body><header class="site-header" role="banner"><div class="wrapper">'
        f'<a class="site-title" rel="author" href="/">{_esc(site.name)}</a></div></header>\n'
        f'<main class="page-content" aria-label="Content"><div class="wrapper">\n'
        f'<article class="post h-entry" itemscope itemtype="http://schema.org/BlogPosting">\n'
        f'<header class="post-header"><h1 class="post-title p-name" itemprop="name headline">{_esc(page.title)}</h1>'
        f'<p class="post-meta"><time class="dt-published" datetime="{page.date}T00:00:00+00:00">{page.date}</time></p></header>\n'
        f'<div class="post-content e-content" itemprop="articleBody">{_body_html(page)}</div>\n'
        f'<ul class="post-list">{_list_html(page)}</ul>\n</article>\n</div></main>\n'
        f'<footer class="site-footer h-card"><div class="wrapper">{_footer(site)}</div></footer>\n</body>\n</html>\n'
    )


def _ghost(site: Site, page: Page) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{_esc(page.title)}</title>\n'
        '<link rel="stylesheet" type="text/css" href="/assets/built/screen.css?v=8f2c1a9b3e">\n'
        '<meta name="generator" content="Ghost 5.96">\n'
        f'<link rel="alternate" type="application/rss+xml" title="{_esc(site.name)}" href="/rss/">\n'
        '<script defer src="/assets/built/casper.js?v=8f2c1a9b3e"></script>\n'
        f'</head>\n<body class="post-template tag-coffee is-head-left-logo has-cover">\n<div class="viewport">\n'
        f'<header id="gh-head" class="gh-head outer"><div class="gh-head-inner inner"><div class="gh-head-brand">'
        f'<a class="gh-head-logo" href="/">{_esc(site.name)}</a></div></div></header>\n'
        f'<div class="site-content"><main id="site-main" class="site-main"><article class="article post">'
        f'<header class="article-header gh-canvas"><h1 class="article-title">{_esc(page.title)}</h1>'
        f'<time class="byline-meta-date" datetime="{page.date}">{page.date}</time></header>\n'
        f'<section class="gh-content gh-canvas">{_body_html(page)}</section>\n</article>\n'
        f'<aside class="read-more-wrap outer"><div class="read-more inner">{_list_html(page, "div")}</div></aside>\n'
        f'</main></div>\n<footer class="site-footer outer"><div class="inner">{_footer(site)}'
        '<div class="gh-powered-by"><a href="https://ghost.org/" target="_blank" rel="noopener">Powered by Ghost</a></div>'
        "</div></footer>\n</div>\n</body>\n</html>\n"
    )


def _discourse(site: Site, page: Page) -> str:
    if page.kind == "index":
        rows = "".join(
            f'<tr class="topic-list-item"><td class="main-link"><meta itemprop="position" content="{i}">'
            f'<span class="link-top-line"><a itemprop="url" href="{_esc(h)}" class="title raw-link raw-topic-link">'
            f"{_esc(t)}</a></span></td><td class=\"replies\"><span class='posts'>{3 + i}</span></td></tr>"
            for i, (h, t) in enumerate(page.links)
        )
        main = f'<div class="topic-list-container" itemscope itemtype="http://schema.org/ItemList"><table class="topic-list">{rows}</table></div>'
    else:
        main = (
            f'<div id="topic-title"><h1><a href="{_esc(page.path)}">{_esc(page.title)}</a></h1></div>\n'
            '<div itemscope itemtype="http://schema.org/DiscussionForumPosting"><div id="post_1" class="topic-body crawler-post">'
            '<div class="crawler-post-meta"><span class="creator" itemprop="author"><span itemprop="name">ana</span></span>'
            f'<time itemprop="datePublished" datetime="{page.date}T09:00:00Z" class="post-time">{page.date}</time></div>'
            f'<div class="post" itemprop="text">{_body_html(page)}</div></div></div>\n'
            f'<div role="navigation" itemscope itemtype="http://schema.org/SiteNavigationElement" class="topic-body crawler-post">'
            f"{_list_html(page, 'span')}</div>"
        )
    return (
        f'<!DOCTYPE html>\n<html lang="en" class="desktop-view not-mobile-device text-size-normal anon">\n<head>\n'
        f'<meta charset="utf-8">\n<title>{_esc(page.title)} - {_esc(site.name)}</title>\n'
        '<meta name="generator" content="Discourse 3.3.2 - https://github.com/discourse/discourse version 1cd5e6b6c6">\n'
        '<link href="/stylesheets/desktop_d7e4f5b1.css?__ws=forum" media="all" rel="stylesheet" data-target="desktop"/>\n'
        f'</head>\n<body class="crawler ">\n<header><a href="/"><span>{_esc(site.name)}</span></a></header>\n'
        f'<div id="main-outlet" class="wrap" role="main">{main}</div>\n'
        f'<footer class="container wrap"><nav class="crawler-nav"><ul><li><a href="/">Home</a></li>'
        f"</ul></nav>{_footer(site)}"
        '<p class="powered-by-link">Powered by <a href="https://www.discourse.org">Discourse</a>, best viewed with JavaScript enabled</p></footer>\n'
        "</body>\n</html>\n"
    )


def _plain(site: Site, page: Page) -> str:
    return (
        f'<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>{_esc(page.title)}</title>\n'
        '<link rel="stylesheet" href="/style.css">\n</head>\n<body>\n'
        f'<p><a href="/">{_esc(site.name)}</a></p>\n<h1>{_esc(page.title)}</h1>\n{_body_html(page)}\n'
        f"<ul>{_list_html(page)}</ul>\n<hr>\n{_footer(site)}\n</body>\n</html>\n"
    )


def _view(site: Site, page: Page) -> dict:
    """What a client-rendered app's bundle builds the page from (inline JSON or its API)."""
    return {
        "site": site.name,
        "title": page.title,
        "date": page.date,
        "blocks": page.blocks,
        "links": [{"href": h, "text": t} for h, t in page.links],
    }


# The apps' bundle: builds the page, its links and the links to the target, into the mount node.
APP_BUNDLE = (
    "(function(){function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x)e.textContent=x;return e;}"
    "function link(l){var a=document.createElement('a');a.href=l.href;a.textContent=l.text;return a;}"
    "function render(root,v){document.title=v.title+' | '+v.site;var h=el('header','app-header');var home=link({href:'/',text:v.site});"
    "h.appendChild(home);root.appendChild(h);var m=el('main','app-main');m.appendChild(el('h1','',v.title));"
    "m.appendChild(el('time','',v.date));v.blocks.forEach(function(b){var p=el('p');b.forEach(function(x){"
    "p.appendChild(typeof x==='string'?document.createTextNode(x):link(x));});m.appendChild(p);});"
    "var ul=el('ul','app-links');v.links.forEach(function(l){var li=el('li');li.appendChild(link(l));ul.appendChild(li);});"
    "m.appendChild(ul);root.appendChild(m);}"
    "var next=document.getElementById('__NEXT_DATA__');"
    "if(next){render(document.getElementById('__next'),JSON.parse(next.textContent).props.pageProps);return;}"
    "fetch('/api/page?path='+encodeURIComponent(location.pathname+location.search)).then(function(r){return r.json();})"
    ".then(function(v){render(document.getElementById('root'),v);});})();"
)


def _app_next(site: Site, page: Page) -> str:
    data = {"props": {"pageProps": _view(site, page)}, "page": "/post/[slug]", "buildId": "k3Jx9"}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/><title>{_esc(site.name)}</title>'
        '<meta name="viewport" content="width=device-width"/><link rel="preload" href="/_next/static/css/app.css" as="style"/>'
        '<link rel="stylesheet" href="/_next/static/css/app.css"/></head><body><div id="__next"></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{payload}</script>'
        '<script src="/_next/static/chunks/main-3f9a1c.js" defer=""></script></body></html>\n'
    )


def _app_api(site: Site, page: Page) -> str:
    return (
        f'<!doctype html>\n<html lang="en">\n<head>\n<meta charset="UTF-8" />\n<title>{_esc(site.name)}</title>\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0" />\n'
        '<script type="module" crossorigin src="/assets/index-Bx3kP9.js"></script>\n'
        '<link rel="stylesheet" crossorigin href="/assets/index-D4e1.css">\n</head>\n<body>\n<div id="root"></div>\n'
        "</body>\n</html>\n"
    )


TEMPLATES = {
    "wordpress": _wordpress,
    "hugo": _hugo,
    "jekyll": _jekyll,
    "ghost": _ghost,
    "discourse": _discourse,
    "plain": _plain,
    "app-next": _app_next,
    "app-api": _app_api,
}
ASSETS = {  # what the templates reference, so a browser gets 200s on its own host
    "wordpress": (
        "/wp-content/themes/astra/assets/css/minified/main.min.css",
        "/wp-includes/js/jquery/jquery.min.js",
        "/wp-content/plugins/contact-form-7/includes/js/index.js",
    ),
    "hugo": ("/assets/css/stylesheet.b609c58d.css", "/js/menu.min.js"),
    "jekyll": ("/assets/main.css",),
    "ghost": ("/assets/built/screen.css", "/assets/built/casper.js"),
    "discourse": ("/stylesheets/desktop_d7e4f5b1.css",),
    "plain": ("/style.css",),
    "app-next": ("/_next/static/css/app.css", "/_next/static/chunks/main-3f9a1c.js"),
    "app-api": ("/assets/index-D4e1.css", "/assets/index-Bx3kP9.js"),
}


def render_site(site: Site) -> dict[str, tuple[str, bytes]]:
    files: dict[str, tuple[str, bytes]] = {}
    for path, page in site.pages.items():
        files[path] = (HTML, TEMPLATES[site.platform](site, page).encode())
        if site.platform == "app-api":
            files["/api/page?path=" + path] = ("application/json", json.dumps(_view(site, page)).encode())
    for asset in ASSETS[site.platform]:
        if asset.endswith(".js"):
            body = APP_BUNDLE if site.js else "window.siteReady=true;"
            files[asset] = ("application/javascript", body.encode())
        else:
            files[asset] = ("text/css", b"body{font:16px/1.5 sans-serif;max-width:46em;margin:auto}")
    files["/robots.txt"] = ("text/plain", b"User-agent: *\nDisallow: /wp-admin/\n")
    return files


# --- the web ----------------------------------------------------------------------------------


class Web:
    """Sites on their own loopback addresses plus the elsewhere server; counts what it served."""

    def __init__(self, name: str, sites: list[Site], elsewhere_address: str) -> None:
        self.name = name
        self.sites = sites
        self.elsewhere_address = elsewhere_address
        self.elsewhere_url = ""
        self._servers: list[ThreadingHTTPServer] = []
        self._hits: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    # ground truth: (address, path, target URL)
    @property
    def truth(self) -> set[tuple[str, str, str]]:
        return {(s.address, p.path, u) for s in self.sites for p in s.pages.values() for u in p.targets}

    @property
    def js_truth(self) -> set[tuple[str, str, str]]:
        return {
            (s.address, p.path, u) for s in self.sites if s.js for p in s.pages.values() for u in p.targets
        }

    @property
    def seeds(self) -> list[str]:
        return [s.base_url + "/" for s in self.sites]

    def page_keys(self, js: bool | None = None) -> set[tuple[str, str]]:
        """(address, path) of the sites' pages; js=True/False: of the app / static sites only."""
        return {(s.address, p) for s in self.sites if js is None or s.js == js for p in s.pages}

    def external_hosts(self) -> set[str]:
        hosts = {urlsplit(u).hostname for u in TARGET_URLS} | {
            urlsplit(u).hostname for u, _ in EXTERNAL_LINKS
        }
        return hosts | {TARGET, "www." + TARGET, "gohugo.io", "ghost.org", "www.discourse.org"}

    def host_aliases(self) -> dict[str, str]:
        return {host: self.elsewhere_url for host in sorted(self.external_hosts())}

    def describe(self) -> dict:
        platforms = Counter(s.platform for s in self.sites)
        return {
            "sites": len(self.sites),
            "pages": sum(len(s.pages) for s in self.sites),
            "platforms": dict(sorted(platforms.items())),
            "truth_backlinks": len(self.truth),
            "truth_backlinks_js": len(self.js_truth),
            "addresses": f"{self.sites[0].address} .. {self.sites[-1].address}",
        }

    def _handler(self, site: Site | None) -> type[BaseHTTPRequestHandler]:
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            server_version = "nginx"

            def do_HEAD(self) -> None:
                self.do_GET(head=True)

            def do_GET(self, head: bool = False) -> None:
                with web._lock:
                    web._hits[
                        (site.address if site else "elsewhere", ("HEAD " if head else "") + self.path)
                    ] += 1
                if site is None:
                    body = f"<!DOCTYPE html><title>{_esc(self.path)}</title><p>Elsewhere.</p>".encode()
                    if urlsplit(self.path).path == "/robots.txt":
                        self._send(200, "text/plain", b"User-agent: *\nDisallow:\n", head)
                    else:
                        self._send(200, HTML, body, head)
                    return
                parts = urlsplit(self.path)
                key = parts.path + (f"?{parts.query}" if parts.query else "")
                if parts.path == "/api/page":
                    key = "/api/page?path=" + parse_qs(parts.query).get("path", [""])[0]
                found = site.files.get(key) or site.files.get(parts.path.split("?")[0])
                if found is None:
                    self._send(404, HTML, b"<!DOCTYPE html><title>Not found</title><p>Not found</p>", head)
                else:
                    self._send(200, found[0], found[1], head)

            def _send(self, status: int, ctype: str, body: bytes, head: bool) -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

    def _serve(self, address: str, site: Site | None) -> int:
        server = ThreadingHTTPServer((address, 0), self._handler(site))
        server.daemon_threads = True
        server.request_queue_size = 128
        threading.Thread(target=server.serve_forever, name=f"web-{address}", daemon=True).start()
        self._servers.append(server)
        return server.server_address[1]

    def start(self) -> Web:
        for site in self.sites:
            site.port = self._serve(site.address, site)
        self.elsewhere_url = f"http://{self.elsewhere_address}:{self._serve(self.elsewhere_address, None)}"
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers = []

    def hits(self) -> Counter[tuple[str, str]]:
        with self._lock:
            return Counter(self._hits)

    def reset_hits(self) -> None:
        with self._lock:
            self._hits.clear()


def multisite(seed: int = 1) -> Web:
    """10 sites of 30 pages on 127.0.21.1 .. 127.0.21.10: 2 client-rendered apps holding 20 of the
    44 target links, 8 static blogs holding 24."""
    platforms = [
        "app-next",
        "app-api",
        "wordpress",
        "wordpress",
        "hugo",
        "hugo",
        "jekyll",
        "ghost",
        "discourse",
        "plain",
    ]
    sites = [
        build_site(
            n, f"127.0.21.{n + 1}", p, posts=27, indexes=3, targets=10 if p in APP_PLATFORMS else 3, seed=seed
        )
        for n, p in enumerate(platforms)
    ]
    return Web("multisite", sites, "127.0.21.100")


def manysite(sites: int = 200, js_fraction: float = 0.1, seed: int = 1) -> Web:
    """`sites` sites of 3 pages (a home page and 2 posts: one links to the target, and on every third
    site the other one too) on 127.0.22.1 ..., a `js_fraction` of them client-rendered (half
    `app-next`, half `app-api`), the others cycling through the static platforms."""
    if sites > 240:
        raise ValueError("at most 240 sites (127.0.22.1 .. 127.0.22.240)")
    rng = random.Random(f"{seed}:manysite")
    js = set(rng.sample(range(sites), round(sites * js_fraction)))
    built, js_order = [], []
    for n in range(sites):
        platform = (
            APP_PLATFORMS[len(js_order) % 2] if n in js else STATIC_PLATFORMS[n % len(STATIC_PLATFORMS)]
        )
        if n in js:
            js_order.append(n)
        built.append(
            build_site(
                n, f"127.0.22.{n + 1}", platform, posts=2, indexes=1, targets=1 + (n % 3 == 0), seed=seed
            )
        )
    return Web("manysite", built, "127.0.22.250")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("web", choices=("multisite", "manysite"))
    ns = parser.parse_args()
    web = (multisite if ns.web == "multisite" else manysite)().start()
    print(json.dumps(web.describe(), indent=2))
    for site in web.sites[:12]:
        print(f"  {site.platform:10} {site.base_url}/")
    print("serving (Ctrl-C to stop)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        web.stop()


if __name__ == "__main__":
    main()
