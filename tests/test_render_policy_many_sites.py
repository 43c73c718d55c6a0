"""render=auto on a crawl of many small sites, in a real Chromium: platform fingerprints keep
WordPress and Discourse pages static without samples, two samples of Hugo sites decide for every
Hugo site, client-rendered apps and a site that adds its target links with JavaScript are
rendered, every target link a browser shows is found, and a second crawl with the decisions of
the first samples nothing (until a decision expires)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

import orjson
import pytest

from tests.conftest import run_crawl, serving

ADDRESS = "127.0.47.{}"  # one loopback address per site: each its own site (registered domain)
PAGES = ("/", "/one", "/two")
WORDS = "Notes on brewing: grind size, water temperature, bloom time and the pour. "


@dataclass(frozen=True)
class Site:
    kind: str  # wordpress | hugo | discourse | app | ambiguous | sneaky
    name: str

    def page(self, path: str) -> tuple[str, str | None]:
        """The HTML of `path`, and the target link a browser shows there (or None)."""
        slug = f"{self.name}{path.replace('/', '-') if path != '/' else '-home'}"
        target = f"https://brewbird.io/{slug}"
        nav = "".join(f"<a href='{p}'>{p}</a> " for p in PAGES)
        link = f"<p>We use <a href='{target}'>BrewBird</a> for timing.</p>"
        inserted = (
            f"<script>document.getElementById('extra').innerHTML = "
            f'"<p>Recommended: <a href=\\"{target}\\">BrewBird</a></p>";</script>'
        )
        if self.kind == "wordpress":
            head = (
                "<meta name='generator' content='WordPress 6.4.2'>"
                "<link rel='stylesheet' href='/wp-content/themes/brew/style.css'>"
            )
            body = f"<nav>{nav}</nav><article>{link}<p>{WORDS * 8}</p></article>"
            scripts = "<script src='/wp-includes/js/jquery/jquery.min.js'></script>"
        elif self.kind == "discourse":
            head = (
                "<meta name='generator' content='Discourse 3.2.0 - https://github.com/discourse/discourse'>"
            )
            body = (
                f"<header>{nav}</header><div id='main-outlet'><div class='post'>{link}<p>{WORDS * 8}</p>"
                "</div></div><noscript><p>Powered by Discourse, best viewed with JavaScript enabled</p>"
                "</noscript>"
            )
            scripts = "<script src='/assets/discourse-4f1c2a.js'></script>"
        elif self.kind == "hugo":  # a short page: the generator alone does not vouch for it
            head = "<meta name='generator' content='Hugo 0.121.1'>"
            body = f"<nav>{nav}</nav><main>{link}<p>{WORDS * 3}</p></main>"
            scripts = "<script src='/js/search.min.js'></script>"
        elif self.kind == "app":
            head = ""
            body = f"<nav>{nav}</nav><div id='app'></div>"
            scripts = (
                "<script>document.getElementById('app').innerHTML = "
                f'"<p>Timed with <a href=\\"{target}\\">BrewBird</a></p>";</script>'
            )
        else:  # ambiguous: scripts of its own and a modest page; "sneaky" adds its link by script
            head = ""
            own = link if self.kind == "ambiguous" else ""
            body = f"<nav>{nav}</nav><main><h1>{self.name}</h1>{own}<p>{WORDS * 4}</p>"
            body += "<div id='extra'></div></main>"
            scripts = f"<script src='/js/{self.name}-widgets.js'></script>"
            scripts += inserted if self.kind == "sneaky" else ""
        head = f"<title>{slug}</title>{head}"
        return f"<!DOCTYPE html><html><head>{head}</head><body>{body}{scripts}</body></html>", target


SITES = [
    *(Site("wordpress", f"wp{n}") for n in "abcdef"),
    *(Site("hugo", f"hugo{n}") for n in "abcdef"),
    *(Site("discourse", f"forum{n}") for n in "abc"),
    *(Site("app", f"app{n}") for n in "ab"),
    Site("ambiguous", "alpha"),
    Site("ambiguous", "bravo"),
    Site("sneaky", "sneaky"),
]


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path in PAGES:
                body, kind = site.page(self.path)[0].encode(), "text/html"
            elif self.path == "/robots.txt":
                body, kind = b"User-agent: *\nAllow: /\n", "text/plain"
            else:  # scripts and styles: nothing that changes the page
                body, kind = b"", "text/javascript" if self.path.endswith(".js") else "text/css"
            self.send_response(200)
            self.send_header("Content-Type", f"{kind}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


@pytest.fixture(scope="module")
def web():
    """{site name: base URL}, every site on its own loopback address."""
    with ExitStack() as stack:
        yield {
            site.name: stack.enter_context(serving(handler_for(site), ADDRESS.format(n)))
            for n, site in enumerate(SITES, start=1)
        }


def truth(web) -> set[tuple[str, str]]:
    """(page URL, target URL) of every target link a browser shows."""
    return {(web[site.name] + path, site.page(path)[1]) for site in SITES for path in PAGES}


def crawl(web, out, **settings):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": ",".join(url + "/" for url in web.values()),
            "depth": "1",
            "render": "auto",
            "check_links": "false",
        },
        out,
        settings,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = {(b["source_url"], b["target_url"]) for b in result.records("backlink")}
    assert found == truth(web)
    assert len(result.records("page")) == len(SITES) * len(PAGES)
    return result


def reasons(result) -> dict[str, int]:
    return {
        k.removeprefix("render/auto/"): v for k, v in result.stats.items() if k.startswith("render/auto/")
    }


def rendered(result, web) -> dict[str, list[str]]:
    """{site name: the render reasons of its rendered pages}"""
    names = {url: name for name, url in web.items()}
    out: dict[str, list[str]] = {}
    for page in result.records("page"):
        if page["rendered"]:
            out.setdefault(names[page["url"].rsplit("/", 1)[0]], []).append(page["render_reason"])
    return {name: sorted(found) for name, found in sorted(out.items())}


# static pages whose reason depends on when the samples' verdicts arrive
PENDING = ("static/platform-learned:hugo", "static/site-learned-static")


@pytest.fixture(scope="module")
def first(web, tmp_path_factory):
    return crawl(web, tmp_path_factory.mktemp("first"))


def test_first_crawl_samples_only_ambiguous_pages(web, first):
    stats = reasons(first)
    kept_by_timing = {k: stats.pop(k) for k in list(stats) if k.startswith("static/") and k in PENDING}
    stats.pop("parked", None)  # pages that waited for samples in flight (then counted by their reason)
    # how many pages wait for samples in flight and how many come after the verdict depends on
    # timing; their sum does not: 16 Hugo pages not sampled, 1 page of alpha and of bravo
    assert sum(kept_by_timing.values()) == 16 + 2
    assert stats == {
        "static/platform:wordpress": 18,
        "static/platform:discourse": 9,
        "empty-app-root": 6,
        # two Hugo samples decide for all six Hugo sites; two samples of alpha, of bravo; one of
        # sneaky reveals its target link, so its two other pages are rendered
        "sample": 2 + 2 + 2 + 1,
        "site-learned": 2,
        "sites_learned_render": 1,
    }
    by_site = rendered(first, web)
    assert by_site.pop("sneaky") == ["sample", "site-learned", "site-learned"]
    assert by_site.pop("appa") == by_site.pop("appb") == ["empty-app-root"] * 3
    assert by_site.pop("alpha") == by_site.pop("bravo") == ["sample", "sample"]
    assert all(name.startswith("hugo") for name in by_site)  # the two Hugo samples
    assert sorted(r for found in by_site.values() for r in found) == ["sample", "sample"]
    assert (first.output_dir / "state" / "render-decisions.json").exists()


def test_a_second_crawl_samples_nothing_and_an_expired_decision_is_sampled_again(web, first, tmp_path):
    store = first.output_dir / "state" / "render-decisions.json"
    hugo_sampled = sorted(name for name in rendered(first, web) if name.startswith("hugo"))
    second = crawl(web, tmp_path / "second", RENDER_DECISIONS_FILE=str(store))
    assert reasons(second) == {
        "static/platform:wordpress": 18,
        "static/platform:discourse": 9,
        "empty-app-root": 6,
        "site-remembered": 3,  # sneaky
        "static/site-remembered-static": 3 * len(hugo_sampled) + 6,  # and alpha, bravo
        "static/platform-learned:hugo": 3 * (6 - len(hugo_sampled)),
    }
    assert second.stat("render/decisions/remembered_sites") == 3 + len(hugo_sampled)
    assert not (second.output_dir / "state").exists()  # the store named by RENDER_DECISIONS_FILE

    # sneaky's decisions (its site and its scripts' family) dated long ago: expired, sampled again
    data = orjson.loads(store.read_bytes())
    sneaky = data["sites"][web["sneaky"].split("//")[1].split(":")[0]]
    for entry in (sneaky, data["platforms"][sneaky["family"]]):
        entry["decided_at"] = "2000-01-01T00:00:00Z"
    store.write_bytes(orjson.dumps(data))
    third = crawl(web, tmp_path / "third", RENDER_DECISIONS_FILE=str(store))
    assert third.stat("render/decisions/expired") == 2
    assert reasons(third)["sample"] == 1 and reasons(third)["site-learned"] == 2
    assert "sample" not in {
        r for name, found in rendered(third, web).items() if name != "sneaky" for r in found
    }


def test_the_store_can_be_turned_off(web, tmp_path):
    result = crawl(web, tmp_path, RENDER_DECISIONS_ENABLED="False")
    assert not (tmp_path / "state").exists()
    assert result.stat("render/auto/sample") == 7
