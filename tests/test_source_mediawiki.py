"""The Wikipedia / MediaWiki discovery source against a loopback MediaWiki API (demo/fakes/mediawiki.py)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from backlink_spider.sources.base import (
    LINK,
    MENTION,
    Candidate,
    SourceAnswer,
    SourceRequest,
    SourceSettingError,
)
from backlink_spider.sources.mediawiki import MediaWikiSource
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.mediawiki import FakeMediaWiki, FakeWiki

UA = "backlink-spider/0.1 (+https://github.com/backlink-spider/backlink-spider)"
BREWBIRD = Target.parse("brewbird.io")
BASE_PARAMS = {"action": "query", "format": "json", "formatversion": "2", "maxlag": "5"}
SITEINFO = {"meta": "siteinfo", "siprop": "general"}


def settings(api: FakeMediaWiki | None = None, **overrides: object) -> dict:
    values = {
        "MEDIAWIKI_WIKIS": ["en"],
        "MEDIAWIKI_API_URL": f"{api.base_url}/{{wiki}}/w/api.php"
        if api
        else "https://{wiki}.wikipedia.org/w/api.php",
        "MEDIAWIKI_MIN_INTERVAL": 1.0,
        "USER_AGENT": "backlink-spider/0.1 (+{contact})",
        "CONTACT_URL": "https://github.com/backlink-spider/backlink-spider",
    }
    return values | overrides


def source_for(api: FakeMediaWiki | None = None, **overrides: object) -> MediaWikiSource:
    return MediaWikiSource.from_settings(settings(api, **overrides))


def eu_params(protocol: str, **extra: str) -> dict:
    return {
        "list": "exturlusage",
        "euquery": "*.brewbird.io",
        "euprotocol": protocol,
        "eunamespace": "0",
        "euprop": "title|url",
        "eulimit": "max",
    } | extra


def sr_params(phrase: str, **extra: str) -> dict:
    return {
        "list": "search",
        "srsearch": f'"{phrase}"',
        "srwhat": "text",
        "srnamespace": "0",
        "srlimit": "max",
        "srprop": "",
        "srinfo": "totalhits",
    } | extra


def article(api: FakeMediaWiki, title: str, wiki: str = "en") -> str:
    return f"{api.base_url}/{wiki}/wiki/{title}"


def label(api: FakeMediaWiki, wiki: str = "en") -> str:
    return f"{api.base_url.split('://')[1]}/{wiki}"


def cand(url: str, query: str, kind: str) -> Candidate:
    return Candidate(url=url, source="wikipedia", query=query, kind=kind, via=None)


WIKI = FakeWiki(
    links=[
        ("BrewBird", "https://brewbird.io/"),
        ("Coffee roasting", "http://shop.brewbird.io/beans"),
        ("Café Olé (film)", "https://www.brewbird.io/x?y=1"),
        ("BrewBird", "https://brewbird.io/about"),  # a second link from the same article
        ("Talk:BrewBird", "https://brewbird.io/", 1),  # not an article: filtered by eunamespace
        ("Lookalike", "https://notbrewbird.io/"),  # not the target's domain
    ],
    pages={"brewbird": ["Home brewing", "Coffee roasting", ("User:Fan", 2)]},
)


def test_links_and_mentions_exact_candidates_requests_and_user_agent():
    with FakeMediaWiki({"en": WIKI}) as api:
        result = walk(source_for(api), BREWBIRD)
    on = label(api)
    assert result.errors == [] and result.waits == [] and not result.stopped
    assert result.candidates == [
        cand(article(api, "Coffee_roasting"), f"exturlusage *.brewbird.io (http) on {on}", LINK),
        cand(article(api, "BrewBird"), f"exturlusage *.brewbird.io (https) on {on}", LINK),
        cand(article(api, "Caf%C3%A9_Ol%C3%A9_(film)"), f"exturlusage *.brewbird.io (https) on {on}", LINK),
        cand(article(api, "Home_brewing"), f'search "brewbird" on {on}', MENTION),
        cand(article(api, "Coffee_roasting"), f'search "brewbird" on {on}', MENTION),
    ]
    assert api.params == [
        BASE_PARAMS | SITEINFO | eu_params("http"),
        BASE_PARAMS | SITEINFO | eu_params("https"),
        BASE_PARAMS | SITEINFO | sr_params("brewbird"),
    ]
    assert {r["path"] for r in api.requests} == {"/en/w/api.php"}
    assert {r["headers"]["User-Agent"] for r in api.requests} == {UA}
    assert all("Api-User-Agent" not in r["headers"] for r in api.requests)


def test_pages_on_continue_even_through_an_empty_batch():
    wiki = FakeWiki(
        links=[
            ("Talk:Alpha", "https://brewbird.io/a", 1),
            ("User:Bob", "https://blog.brewbird.io/b", 2),
            ("Alpha", "https://brewbird.io/a"),
            ("Beta", "https://brewbird.io/b"),
            ("Gamma", "https://brewbird.io/c"),
        ],
        pages={"brewbird": ["One", "Two", "Three", "Four", "Five"]},
        max_limit=2,
    )
    with FakeMediaWiki({"en": wiki}) as api:
        result = walk(source_for(api), BREWBIRD)
    on = label(api)
    https = f"exturlusage *.brewbird.io (https) on {on}"
    search = f'search "brewbird" on {on}'
    assert result.errors == []
    assert [c.url for c in result.candidates if c.query == https] == [
        article(api, "Alpha"),
        article(api, "Beta"),
        article(api, "Gamma"),
    ]
    assert [c.url for c in result.candidates if c.query == search] == [
        article(api, t) for t in ("One", "Two", "Three", "Four", "Five")
    ]
    # The first batch of the https walk was empty (both rows outside namespace 0) but continued;
    # every continuation merges the whole `continue` object and drops siteinfo.
    assert api.params == [
        BASE_PARAMS | SITEINFO | eu_params("http"),
        BASE_PARAMS | SITEINFO | eu_params("https"),
        BASE_PARAMS | SITEINFO | sr_params("brewbird"),
        BASE_PARAMS | eu_params("https", eucontinue="https://io.brewbird.|/a|2", **{"continue": "-||"}),
        BASE_PARAMS | sr_params("brewbird", sroffset="2", **{"continue": "-||"}),
        BASE_PARAMS | eu_params("https", eucontinue="https://io.brewbird.|/c|4", **{"continue": "-||"}),
        BASE_PARAMS | sr_params("brewbird", sroffset="4", **{"continue": "-||"}),
    ]


@pytest.mark.parametrize(
    ("answer", "retry_after", "wait"),
    [("maxlag", "5", 5.0), ("maxlag", "9", 9.0), ("ratelimited", "12", 12.0), ("ratelimited", None, 5.0)],
)
def test_throttling_waits_then_succeeds(answer, retry_after, wait):
    with FakeMediaWiki({"en": WIKI}, answers=[answer], retry_after=retry_after) as api:
        result = walk(source_for(api), BREWBIRD)
    assert result.waits == [wait]
    assert result.errors == [] and not result.stopped
    assert len(result.candidates) == 5
    assert api.params[0] == api.params[1] == BASE_PARAMS | SITEINFO | eu_params("http")
    assert len(api.requests) == 4


def test_a_second_throttle_of_the_same_request_is_an_error():
    with FakeMediaWiki({"en": WIKI}, answers=["maxlag", "maxlag"]) as api:
        result = walk(source_for(api), BREWBIRD)
    assert result.waits == [5.0]
    assert result.errors == [f"{label(api)}: maxlag: Waiting for 10.64.48.35: 7 seconds lagged."]
    assert len(result.candidates) == 4  # the http walk is lost, the others run


def test_refused_client_stops_the_source():
    with FakeMediaWiki({"en": WIKI}, answers=["blocked"]) as api:
        result = walk(source_for(api), BREWBIRD)
    assert result.stopped
    assert result.candidates == []
    assert len(api.requests) == 1
    assert result.errors == [
        f"{label(api)}: HTTP 403: the wiki refuses this client (User-Agent policy or blocked IP)"
    ]


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("error", "HTTP 503"),
        ("html", "unexpected answer (text/html): '<!DOCTYPE html><html><head><title>Log in</title>"),
        ("truncated", 'unexpected answer (application/json): \'{"batchcomplete":true,"query":{"exturl\''),
        ("wrongtypes", "unexpected answer (application/json)"),
        ("readapidenied", "API error readapidenied: You need read permission to use this module."),
    ],
)
def test_bad_answers_are_one_line_errors_and_the_walk_goes_on(answer, error):
    with FakeMediaWiki({"en": WIKI}, answers=[answer]) as api:
        result = walk(source_for(api), BREWBIRD)
    assert len(result.errors) == 1
    assert result.errors[0].startswith(f"{label(api)}: {error}")
    assert "\n" not in result.errors[0]
    assert not result.stopped
    assert len(api.requests) == 3
    assert [c.kind for c in result.candidates] == [LINK, LINK, MENTION, MENTION]


def test_since_is_ignored():
    with FakeMediaWiki({"en": WIKI}) as api:
        without = walk(source_for(api), BREWBIRD)
        with_since = walk(source_for(api), BREWBIRD, since=date(2024, 1, 1))
    assert with_since.candidates == without.candidates
    assert api.params[:3] == api.params[3:]


def test_search_never_asks_past_the_10000_hit_window():
    titles = [f"Page {n}" for n in range(10_600)]
    wiki = FakeWiki(pages={"brewbird": titles}, max_limit=500)
    with FakeMediaWiki({"en": wiki}) as api:
        result = walk(source_for(api), BREWBIRD, max_requests=100)
    offsets = [int(p.get("sroffset", "0")) for p in api.params if p["list"] == "search"]
    assert offsets == list(range(0, 10_000, 500))
    assert result.errors == []
    assert len(result.candidates) == 10_000
    assert result.candidates[-1].url == article(api, "Page_9999")


def test_several_wikis_codes_and_api_urls_and_every_brand_term():
    wikis = {"en": WIKI, "de": FakeWiki(links=[("Kaffee", "https://brewbird.io/de")]), "fr": FakeWiki()}
    target = Target.parse("brewbird.io", brand="BrewBird,Brew Bird")
    with FakeMediaWiki(wikis) as api:
        source = source_for(api, MEDIAWIKI_WIKIS=f"en, de,{api.base_url}/fr/w/api.php,en")
        result = walk(source, target)
    assert [(r["path"], r["params"]["list"], r["params"].get("srsearch")) for r in api.requests] == [
        (f"/{wiki}/w/api.php", module, term)
        for wiki in ("en", "de", "fr")
        for module, term in (
            ("exturlusage", None),
            ("exturlusage", None),
            ("search", '"BrewBird"'),
            ("search", '"Brew Bird"'),
        )
    ]
    assert (
        cand(article(api, "Kaffee", "de"), f"exturlusage *.brewbird.io (https) on {label(api, 'de')}", LINK)
        in result.candidates
    )
    assert result.errors == []


def test_settings():
    source = source_for(
        MEDIAWIKI_MIN_INTERVAL="2.5", MEDIAWIKI_WIKIS="en,de,https://wiki.example.org/api.php"
    )
    assert source.min_interval == 2.5 and source.concurrency == 1
    assert source.wikis() == [
        "https://en.wikipedia.org/w/api.php",
        "https://de.wikipedia.org/w/api.php",
        "https://wiki.example.org/api.php",
    ]
    assert source.headers() == {"User-Agent": UA}
    custom = source_for(USER_AGENT="acmebot/2.0")
    assert custom.headers() == {
        "User-Agent": "acmebot/2.0 (+https://github.com/backlink-spider/backlink-spider)"
    }
    for bad in (
        {"MEDIAWIKI_WIKIS": ""},
        {"MEDIAWIKI_WIKIS": "en wiki!"},
        {"MEDIAWIKI_WIKIS": "ftp://x/api.php"},
    ):
        with pytest.raises(SourceSettingError):
            source_for(**bad)
    with pytest.raises(SourceSettingError):
        source_for(MEDIAWIKI_MIN_INTERVAL="-1")


def _answer(body: dict) -> SourceAnswer:
    return SourceAnswer(200, {"content-type": "application/json; charset=utf-8"}, json.dumps(body).encode())


def test_article_urls_from_siteinfo_or_index_php_and_target_pages_skipped():
    source = source_for()
    (first, *_rest) = source.start_requests(Target.parse("wikipedia.org"), None)
    general = {"server": "//en.wikipedia.org", "articlepath": "/wiki/$1"}
    hits = [{"ns": 0, "title": "Wikipedia"}]
    result = source.parse(
        first, _answer({"batchcomplete": True, "query": {"general": general, "exturlusage": hits}})
    )
    assert result.candidates == [] and result.error is None  # the article is on the target itself

    (first, *_rest) = source_for(MEDIAWIKI_WIKIS="https://wiki.example.org/api.php").start_requests(
        BREWBIRD, None
    )
    hits = [{"ns": 0, "title": "Brew Bird / FAQ?"}]
    result = source.parse(first, _answer({"batchcomplete": True, "query": {"exturlusage": hits}}))
    assert [c.url for c in result.candidates] == [
        "https://wiki.example.org/index.php?title=Brew_Bird_/_FAQ%3F"
    ]
    assert result.candidates[0].query == "exturlusage *.brewbird.io (http) on wiki.example.org"


def test_a_continue_that_does_not_advance_ends_the_walk():
    source = source_for()
    first = source.start_requests(BREWBIRD, None)[0]
    body = {"continue": {"eucontinue": "x|1", "continue": "-||"}, "query": {"exturlusage": []}}
    second = source.parse(first, _answer(body)).next_requests[0]
    assert isinstance(second, SourceRequest)
    again = source.parse(second, _answer(body))
    assert again.next_requests == [] and "does not advance" in (again.error or "")
