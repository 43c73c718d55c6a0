"""The benchmark webs (bench/webs.py) serve what their ground truth claims. No browser: the static
blogs' target links are read from their HTML, the apps' from the data their bundle renders."""

from __future__ import annotations

import json
import re
import urllib.request
from collections import Counter, deque

import pytest
from lxml import html as lxml_html

from bench.webs import APP_PLATFORMS, STATIC_PLATFORMS, Site, manysite, multisite


def _get(url: str) -> tuple[str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers["Content-Type"], response.read()


def _app_view(site: Site, path: str) -> dict:
    """What the app's bundle renders on `path`: the inline __NEXT_DATA__ or the JSON API's answer."""
    _, body = _get(site.base_url + path)
    if site.platform == "app-next":
        payload = re.search(rb'<script id="__NEXT_DATA__" type="application/json">(.*?)</script>', body, re.S)
        return json.loads(payload.group(1))["props"]["pageProps"]
    _, api = _get(site.base_url + "/api/page?path=" + urllib.request.quote(path, safe=""))
    return json.loads(api)


def _links(site: Site, path: str) -> list[str]:
    """Every link href the page shows (static HTML, or the app view)."""
    if site.js:
        view = _app_view(site, path)
        hrefs = [p["href"] for block in view["blocks"] for p in block if isinstance(p, dict)]
        return ["/"] + hrefs + [link["href"] for link in view["links"]]
    _, body = _get(site.base_url + path)
    return lxml_html.fromstring(body).xpath("//a/@href")


@pytest.fixture(scope="module")
def web():
    web = multisite().start()
    yield web
    web.stop()


def test_multisite_ground_truth_counts() -> None:
    web = multisite()
    assert [s.address for s in web.sites] == [f"127.0.21.{n}" for n in range(1, 11)]
    assert [len(s.pages) for s in web.sites] == [30] * 10
    assert Counter(s.js for s in web.sites) == {True: 2, False: 8}
    assert len(web.truth) == 44
    assert len(web.js_truth) == 20
    assert {s.platform for s in web.sites if not s.js} == {
        "wordpress",
        "hugo",
        "jekyll",
        "ghost",
        "discourse",
        "plain",
    }


def test_multisite_serves_its_truth(web) -> None:
    found = set()
    for site in web.sites:
        for path in site.pages:
            for href in _links(site, path):
                if "brewbird.io" in href:
                    found.add((site.address, path, href))
    assert found == web.truth


def test_multisite_apps_show_nothing_without_javascript(web) -> None:
    for site in web.sites:
        if not site.js:
            continue
        for path in list(site.pages)[:5]:
            content_type, body = _get(site.base_url + path)
            tree = lxml_html.fromstring(body)
            assert content_type.startswith("text/html")
            assert tree.xpath("//a") == []
            mount = tree.xpath("//div[@id='__next' or @id='root']")
            assert len(mount) == 1 and len(mount[0]) == 0 and not (mount[0].text or "").strip()
        bundle = [a for a in site.files if a.endswith(".js")]
        assert bundle and _get(site.base_url + bundle[0])[0] == "application/javascript"


def test_multisite_every_page_is_within_depth_4_of_home(web) -> None:
    for site in web.sites:
        depth = {"/": 0}
        queue = deque(["/"])
        while queue:
            path = queue.popleft()
            for href in _links(site, path):
                if href.startswith("/") and href in site.pages and href not in depth:
                    depth[href] = depth[path] + 1
                    queue.append(href)
        assert set(depth) == set(site.pages), site.platform
        assert max(depth.values()) <= 4


def test_multisite_static_blogs_look_like_their_platform(web) -> None:
    generators = {
        "wordpress": "WordPress 6.6.2",
        "hugo": "Hugo 0.134.2",
        "jekyll": "Jekyll v4.3.3",
        "ghost": "Ghost 5.96",
        "discourse": "Discourse 3.3.2",
    }
    for site in web.sites:
        if site.js:
            continue
        _, body = _get(site.base_url + "/")
        tree = lxml_html.fromstring(body)
        generator = tree.xpath("//meta[@name='generator']/@content")
        if site.platform == "plain":
            assert generator == [] and tree.xpath("//script") == []
        else:
            assert generator[0].startswith(generators[site.platform])
        if site.platform == "wordpress":
            assert b"/wp-content/" in body
        for asset in tree.xpath("//script/@src | //link[@rel='stylesheet']/@href"):
            assert _get(site.base_url + asset)[1]


def test_manysite_counts() -> None:
    web = manysite()
    assert len(web.sites) >= 200
    assert len({s.address for s in web.sites}) == len(web.sites)
    assert all(len(s.pages) == 3 for s in web.sites)
    assert sum(s.js for s in web.sites) == len(web.sites) // 10
    assert Counter(s.platform for s in web.sites if s.js) == {p: len(web.sites) // 20 for p in APP_PLATFORMS}
    assert {s.platform for s in web.sites if not s.js} == set(STATIC_PLATFORMS)
    assert {a for a, _, _ in web.js_truth} == {s.address for s in web.sites if s.js}
    assert {a for a, _, _ in web.truth} == {s.address for s in web.sites}
