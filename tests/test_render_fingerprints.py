"""render=auto without samples where the page tells: platform and framework fingerprints, what a
sample teaches other sites of a platform, and decisions remembered across crawls (no Scrapy)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from scrapy.settings import Settings

from backlink_spider.fingerprints import Fingerprint, fingerprint
from backlink_spider.renderpolicy import Decision, PageCounts, RenderPolicy
from backlink_spider.renderstore import DecisionStore, store_path
from tests.conftest import project_settings

NOW = datetime(2025, 3, 1, 2, 0, tzinfo=UTC)
ARTICLE = "<p>" + "A server-rendered article about pour-over kettles and scales. " * 12 + "</p>"
LINKS = "".join(f"<a href='/p/{n}'>Post {n}</a> " for n in range(25))
SCRIPT = "<script src='/assets/theme.js'></script>"


def page(head: str = "", body: str = ARTICLE, scripts: str = SCRIPT, attrs: str = "") -> str:
    return f"<html {attrs}><head>{head}</head><body>{body}{scripts}</body></html>"


def generator(name: str) -> str:
    return f"<meta name='generator' content='{name}'>"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        (page(scripts=""), Fingerprint(None, "static", "no-scripts", "")),
        (
            page(scripts='<script type=\'application/ld+json\'>{"@type": "Article"}</script>'),
            Fingerprint(None, "static", "no-scripts", ""),
        ),
        (
            page(generator("WordPress 6.4.2")),
            Fingerprint("wordpress", "static", "platform:wordpress", "generator=WordPress 6.4.2"),
        ),
        (
            page("<link rel='stylesheet' href='https://blog.example/wp-content/themes/x/style.css'>"),
            Fingerprint("wordpress", "static", "platform:wordpress", "/wp-content/"),
        ),
        (
            page(generator("Hugo 0.121.1")),
            Fingerprint("hugo", "static", "platform:hugo", "generator=Hugo 0.121.1"),
        ),
        (
            page("<meta name='discourse_theme_id' content='2'>"),
            Fingerprint("discourse", "static", "platform:discourse", "meta discourse_theme_id"),
        ),
        (page(attrs="id='XF'"), Fingerprint("xenforo", "static", "platform:xenforo", "html#XF")),
        (
            page(
                body="<div id='__next'>" + ARTICLE + "</div>",
                scripts="<script id='__NEXT_DATA__'>{}</script>",
            ),
            Fingerprint("nextjs", "static", "ssr:nextjs", "__NEXT_DATA__"),
        ),
        (
            page(body="<div id='main' ng-version='17.0.1'><p>Welcome to the shop, sign in.</p></div>"),
            Fingerprint("angular", "render", "spa:angular", "ng-version"),
        ),
        (
            page(
                body="<div>Short intro to our shop and its offers.</div>",
                scripts="<script>window.__NUXT__={}</script>",
            ),
            Fingerprint("nuxt", "render", "spa:nuxt", "window.__NUXT__"),
        ),
        # no platform, but a page's worth of text and links
        (page(body=ARTICLE * 3 + LINKS), Fingerprint("scripts:", "static", "server-rendered", "")),
        # ambiguous: scripts and a modest page, nothing names it
        (page(), Fingerprint("scripts:", None, None, "")),
        # a known platform with too little text to tell
        (
            page(generator("Hugo 0.121.1"), body="<p>Hi there.</p>" * 30),
            Fingerprint("hugo", None, None, "generator=Hugo 0.121.1"),
        ),
    ],
)
def test_fingerprints(html, expected):
    found = fingerprint(html)
    if expected.family == "scripts:":  # a signature of the page's scripts: only its form is fixed
        assert found.family.startswith("scripts:") and len(found.family) == len("scripts:") + 10
        found = Fingerprint("scripts:", found.verdict, found.reason, found.evidence)
    assert found == expected


def test_the_script_signature_is_shared_by_pages_of_one_template():
    def of(scripts: str) -> str | None:
        return fingerprint(page(scripts=scripts)).family

    theme = of("<script src='/static/theme.3f9a2b1c.js'></script><script>init({page: 17})</script>")
    assert theme == of(
        "<script src='https://other.example/static/theme.77aa00ff.js'></script>"
        "<script>init({page: 9})</script>"
    )
    assert theme != of("<script src='/static/theme.3f9a2b1c.js'></script><script>loadWidget('x')</script>")


def decide(policy: RenderPolicy, site: str, html: str) -> Decision:
    return policy.decision(site, site, html)


NOTHING = PageCounts(target_links=0, mentions=0, links=10, text=900)
REVEALS = PageCounts(target_links=1, mentions=0, links=10, text=900)
HUGO = page(generator("Hugo 0.121.1"), body="<p>Hi there.</p>" * 30)  # too thin to trust
SHELL = page(body="<div id='root'></div>")


def test_platform_evidence_needs_no_sample_and_app_shells_still_render():
    policy = RenderPolicy([], [], samples=2)
    assert decide(policy, "blog.example", page(generator("WordPress 6.4"))) == Decision(
        False, "platform:wordpress"
    )
    assert decide(policy, "blog.example", SHELL) == Decision(True, "empty-app-root")
    assert decide(policy, "plain.example", page(scripts="")) == Decision(False, "no-scripts")
    assert policy.sites["blog.example"].samples == 0


def test_samples_of_one_platform_decide_for_its_other_sites():
    policy = RenderPolicy([], [], samples=2)
    assert decide(policy, "a.example", HUGO) == Decision(True, "sample")
    assert decide(policy, "b.example", HUGO) == Decision(True, "sample")
    # two Hugo samples in flight: a third Hugo site waits for them rather than sampling
    assert decide(policy, "c.example", HUGO) == Decision(False, "samples-pending")
    assert policy.learn("a.example", NOTHING, NOTHING) is False
    assert policy.learn("b.example", NOTHING, NOTHING) is False
    assert policy.platforms["hugo"].verdict == "static"
    assert decide(policy, "d.example", HUGO) == Decision(False, "platform-learned:hugo")
    # user rules and a page's own evidence still win over what the platform taught
    ruled = RenderPolicy(["d.example"], [], samples=2)
    ruled.platforms = policy.platforms
    assert decide(ruled, "d.example", HUGO) == Decision(True, "rule:always")
    assert decide(policy, "d.example", SHELL) == Decision(True, "empty-app-root")


def test_a_revealing_sample_renders_its_site_and_platform():
    policy = RenderPolicy([], [], samples=2)
    assert decide(policy, "a.example", HUGO) == Decision(True, "sample")
    assert policy.learn("a.example", NOTHING, REVEALS) is True
    assert decide(policy, "a.example", HUGO) == Decision(True, "site-learned")
    assert decide(policy, "z.example", HUGO) == Decision(True, "platform-learned:hugo")
    # a site's own verdict comes before its platform's
    policy.sites["s.example"] = type(policy.sites["a.example"])(verdict="static")
    assert decide(policy, "s.example", HUGO) == Decision(False, "site-learned-static")


def test_rules_win():
    policy = RenderPolicy(["*.forum.example"], ["app.example"], samples=2)
    assert decide(policy, "www.forum.example", page(generator("WordPress"))) == Decision(True, "rule:always")
    assert decide(policy, "app.example", SHELL) == Decision(False, "rule:never")


# --- remembered across crawls -------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def inc_value(self, name: str, count: int = 1) -> None:
        self.values[name] = self.values.get(name, 0) + count


def crawl_policy(path, now: datetime, stats: Stats | None = None, days: int = 30) -> RenderPolicy:
    store = DecisionStore(path, days, now)
    return RenderPolicy([], [], samples=2, store=store, clock=lambda: now, stats=lambda: stats or Stats())


def ambiguous(name: str) -> str:
    """A modest page with scripts of its own: no family in common with another site's."""
    return page(scripts=f"<script src='/{name}.js'></script>")


def entry(verdict: str, evidence: str, family: str | None) -> dict:
    return {"verdict": verdict, "evidence": evidence, "family": family, "decided_at": "2025-03-01T02:00:00Z"}


def test_a_second_crawl_does_not_sample_again_until_its_decisions_expire(tmp_path):
    path = tmp_path / "state" / "render-decisions.json"
    first = crawl_policy(path, NOW)
    pages = {site: ambiguous(site.split(".")[0]) for site in ("a.example", "b.example", "app.example")}
    assert [decide(first, "a.example", pages["a.example"]).reason for _ in range(3)] == [
        "sample",
        "sample",
        "samples-pending",
    ]
    assert decide(first, "b.example", pages["b.example"]).reason == "sample"  # a one-page site
    assert decide(first, "app.example", pages["app.example"]).reason == "sample"
    first.learn("a.example", NOTHING, NOTHING)
    first.learn("b.example", NOTHING, NOTHING)
    first.learn("app.example", NOTHING, REVEALS)
    first.save()
    family = {site: fingerprint(html).family for site, html in pages.items()}
    revealed = "a sample of app.example revealed content"
    assert orjson.loads(path.read_bytes()) == {
        "version": 1,
        "sites": {
            "a.example": entry("static", "1 sample(s) revealed nothing", family["a.example"]),
            "app.example": entry("render", revealed, family["app.example"]),
            "b.example": entry("static", "1 sample(s) revealed nothing (no more pages)", family["b.example"]),
        },
        "platforms": {
            family["a.example"]: entry("static", "1 sample(s) revealed nothing", None),
            family["app.example"]: entry("render", revealed, None),
        },
    }

    stats = Stats()
    nightly = crawl_policy(path, NOW + timedelta(days=1), stats)
    assert decide(nightly, "a.example", pages["a.example"]) == Decision(False, "site-remembered-static")
    assert decide(nightly, "b.example", pages["b.example"]) == Decision(False, "site-remembered-static")
    assert decide(nightly, "app.example", pages["app.example"]) == Decision(True, "site-remembered")
    assert stats.values == {
        "render/decisions/remembered_sites": 3,
        "render/decisions/remembered_platforms": 2,
    }

    stats = Stats()
    later = crawl_policy(path, NOW + timedelta(days=31), stats)
    assert decide(later, "a.example", pages["a.example"]) == Decision(True, "sample")
    assert stats.values == {"render/decisions/expired": 5}


def test_crawls_sharing_a_store_keep_each_others_decisions_and_the_newer_of_two(tmp_path):
    # two processes of one distributed crawl, both started before either saved
    path = tmp_path / "render-decisions.json"
    early, late = crawl_policy(path, NOW), crawl_policy(path, NOW + timedelta(hours=1))
    for policy, sites in ((early, ("a.example", "shared.example")), (late, ("b.example", "shared.example"))):
        for site in sites:
            assert decide(policy, site, ambiguous(site.split(".")[0])).reason == "sample"
    early.learn("a.example", NOTHING, NOTHING)
    early.learn("shared.example", NOTHING, NOTHING)
    late.learn("b.example", NOTHING, NOTHING)
    late.learn("shared.example", NOTHING, REVEALS)
    late.save()
    early.save()  # saves last, but its decision about shared.example is the older one
    sites = orjson.loads(path.read_bytes())["sites"]
    assert {site: (e["verdict"], e["decided_at"]) for site, e in sites.items()} == {
        "a.example": ("static", "2025-03-01T02:00:00Z"),
        "b.example": ("static", "2025-03-01T03:00:00Z"),
        "shared.example": ("render", "2025-03-01T03:00:00Z"),
    }


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"[]",
        b'{"version": 1, "sites": {"a.example": {"verdict": "maybe"}}}',
        b'{"version": 99}',
    ],
)
def test_an_unreadable_store_is_a_warning_and_a_stat(tmp_path, content, caplog):
    path = tmp_path / "render-decisions.json"
    path.write_bytes(content)
    stats = Stats()
    policy = crawl_policy(path, NOW, stats)
    assert decide(policy, "a.example", page()) == Decision(True, "sample")
    assert stats.values == {"render/decisions/unreadable": 1}
    assert "Render decisions not read, sampling afresh" in caplog.text
    policy.learn("a.example", NOTHING, NOTHING)
    policy.save()  # replaced by a good store
    assert list(orjson.loads(path.read_bytes())["sites"]) == ["a.example"]


def test_a_store_that_cannot_be_written_is_a_warning_and_a_stat(tmp_path, caplog):
    (tmp_path / "file").write_text("")
    stats = Stats()
    policy = crawl_policy(tmp_path / "file" / "render-decisions.json", NOW, stats)
    decide(policy, "a.example", page())
    policy.save()
    # (reading it failed too: a path under a file)
    assert stats.values == {"render/decisions/unreadable": 1, "render/decisions/save_failed": 1}
    assert "Render decisions not saved to" in caplog.text


def test_a_forum_whose_posts_are_only_in_noscript_is_rendered():
    # Discourse's view for browsers: the posts in <noscript> (which extraction does not read)
    posts = "<noscript><div id='main-outlet'>" + ARTICLE + "</div></noscript>"
    html = page(generator("Discourse 3.2.0"), body=posts, scripts="<script src='/assets/ember.js'></script>")
    assert decide(RenderPolicy([], []), "forum.example", html) == Decision(True, "thin-text")
    crawler_view = page(generator("Discourse 3.2.0"), body="<div id='main-outlet'>" + ARTICLE + "</div>")
    assert decide(RenderPolicy([], []), "forum.example", crawler_view) == Decision(
        False, "platform:discourse"
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, "out/state/render-decisions.json"),
        ({"JOBDIR": "job"}, "job/render-decisions.json"),
        ({"JOBDIR": "job", "RENDER_DECISIONS_FILE": "shared/decisions.json"}, "shared/decisions.json"),
        ({"OUTPUT_DIR": "s3://bucket/crawls"}, None),
        ({"RENDER_DECISIONS_ENABLED": False}, None),
    ],
)
def test_where_the_store_lives(settings, expected):
    found = store_path(Settings(project_settings(**{"OUTPUT_DIR": "out", **settings})))
    assert (str(found) if found else None) == expected
