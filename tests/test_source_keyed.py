"""The keyed search sources (Brave, Marginalia, Mojeek) walked against their loopback fakes."""

from __future__ import annotations

from datetime import date

import pytest

from backlink_spider import settings as defaults
from backlink_spider.sources.base import MENTION, Candidate, SourceNotConfigured
from backlink_spider.sources.keyed import BraveSource, MarginaliaSource, MojeekSource, search_queries
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.keyed import FakeBrave, FakeMarginalia, FakeMojeek

TARGET = Target.parse("brewbird.io")
Q_BRAND = '"brewbird" -site:brewbird.io'
Q_DOMAIN = '"brewbird.io" -site:brewbird.io'
UA = "backlink-spider-test"  # what demo/fakes/drive.py sends

SETTING_NAMES = [
    f"{prefix}_{name}"
    for prefix in ("BRAVE", "MARGINALIA", "MOJEEK")
    for name in ("API_URL", "API_KEY", "MIN_INTERVAL")
]


def settings(**overrides):
    """The crawl's defaults for these sources, with the test's values."""
    values = {name: getattr(defaults, name) for name in SETTING_NAMES}
    values.update(overrides)
    return values


def brave(fake, key="test-key", **extra):
    return BraveSource.from_settings(settings(BRAVE_API_URL=fake.api_url, BRAVE_API_KEY=key, **extra))


def marginalia(fake, key="public", **extra):
    return MarginaliaSource.from_settings(
        settings(MARGINALIA_API_URL=fake.base_url, MARGINALIA_API_KEY=key, **extra)
    )


def mojeek(fake, key="test-key", **extra):
    return MojeekSource.from_settings(settings(MOJEEK_API_URL=fake.api_url, MOJEEK_API_KEY=key, **extra))


def urls(n, prefix="https://blog.example/post"):
    return [f"{prefix}{i}" for i in range(n)]


def mentions(source, query, found):
    return [Candidate(url=u, source=source, query=query, kind=MENTION, via=None) for u in found]


# Hits every source must drop: on the target (any subdomain), relative, not http(s), junk.
NOT_CANDIDATES = [
    "https://brewbird.io/pricing",
    "http://docs.brewbird.io/start",
    "/relative/page",
    "ftp://files.example/brewbird.zip",
    "javascript:alert(1)",
    "https://bad host.example/",
]


# --- the queries ---------------------------------------------------------------------------------


def test_queries_are_the_search_providers_brand_then_domain_queries():
    assert search_queries(TARGET) == [Q_BRAND, Q_DOMAIN]
    assert search_queries(Target.parse("brewbird.io", brand="BrewBird,Brew Bird")) == [
        '"BrewBird" -site:brewbird.io',
        '"Brew Bird" -site:brewbird.io',
        Q_DOMAIN,
    ]


@pytest.mark.parametrize(
    ("cls", "key_setting"),
    [
        (BraveSource, "BRAVE_API_KEY"),
        (MarginaliaSource, "MARGINALIA_API_KEY"),
        (MojeekSource, "MOJEEK_API_KEY"),
    ],
)
def test_a_source_without_its_key_is_not_configured(cls, key_setting):
    with pytest.raises(SourceNotConfigured, match=key_setting):
        cls.from_settings(settings(**{key_setting: ""}))
    with pytest.raises(SourceNotConfigured):
        cls.from_settings(settings(**{key_setting: "   "}))


def test_min_interval_comes_from_the_settings():
    assert BraveSource.from_settings(settings(BRAVE_API_KEY="k")).min_interval == defaults.BRAVE_MIN_INTERVAL
    assert BraveSource.from_settings(settings(BRAVE_API_KEY="k", BRAVE_MIN_INTERVAL=2.5)).min_interval == 2.5
    assert (
        MarginaliaSource.from_settings(
            settings(MARGINALIA_API_KEY="k", MARGINALIA_MIN_INTERVAL=3)
        ).min_interval
        == 3
    )
    assert (
        MojeekSource.from_settings(settings(MOJEEK_API_KEY="k", MOJEEK_MIN_INTERVAL=0.5)).min_interval == 0.5
    )


# --- Brave ---------------------------------------------------------------------------------------


def test_brave_pages_while_more_results_are_available():
    found = urls(45)
    with FakeBrave(
        {Q_BRAND: found[:3] + NOT_CANDIDATES + found[3:], Q_DOMAIN: ["https://news.example/a"]}
    ) as api:
        result = walk(brave(api), TARGET)
    assert result.errors == [] and result.waits == [] and not result.stopped
    # page 0 is 20 hits of which 6 are not candidates; the domain query comes before page 1
    assert result.candidates == (
        mentions("brave", Q_BRAND, found[:14])
        + mentions("brave", Q_DOMAIN, ["https://news.example/a"])
        + mentions("brave", Q_BRAND, found[14:])
    )
    assert api.params == [
        {"q": Q_BRAND, "count": "20", "offset": "0"},
        {"q": Q_DOMAIN, "count": "20", "offset": "0"},
        {"q": Q_BRAND, "count": "20", "offset": "1"},
        {"q": Q_BRAND, "count": "20", "offset": "2"},
    ]
    for request in api.requests:
        assert request["path"] == "/res/v1/web/search"
        assert request["headers"]["x-subscription-token"] == "test-key"
        assert request["headers"]["accept"] == "application/json"
        assert request["headers"]["user-agent"] == UA
    assert [r.query for r in result.requests] == [Q_BRAND, Q_DOMAIN, Q_BRAND, Q_BRAND]


def test_brave_goes_on_after_an_empty_page_that_says_more():
    found = urls(25)
    with FakeBrave({Q_BRAND: found}, blank_pages={1}) as api:
        result = walk(brave(api), TARGET)
    assert [p["offset"] for p in api.params if p["q"] == Q_BRAND] == ["0", "1", "2"]
    assert [c.url for c in result.candidates] == found
    assert result.errors == []


def test_brave_stops_at_offset_9_whatever_the_api_says():
    found = urls(300)
    with FakeBrave({Q_BRAND: found}) as api:
        result = walk(brave(api), TARGET)
    assert [p["offset"] for p in api.params if p["q"] == Q_BRAND] == [str(i) for i in range(10)]
    assert [c.url for c in result.candidates] == found[:200]


def test_brave_rate_limit_is_waited_for_then_the_request_is_sent_again():
    with FakeBrave({Q_BRAND: ["https://a.example/1"]}, throttle_first=1) as api:
        result = walk(brave(api), TARGET)
    assert result.waits == [1.0]  # X-RateLimit-Reset of the spent per-second window
    assert result.errors == [] and not result.stopped
    assert [c.url for c in result.candidates] == ["https://a.example/1"]
    assert [p["q"] for p in api.params] == [Q_BRAND, Q_BRAND, Q_DOMAIN]


def test_brave_spent_quota_stops_the_source():
    with FakeBrave({Q_BRAND: ["https://a.example/1"]}, mode="quota") as api:
        result = walk(brave(api), TARGET)
    assert result.stopped and result.candidates == [] and len(api.requests) == 1
    assert result.errors == [
        "brave: HTTP 429 QUOTA_LIMITED (Request quota limit exceeded for plan): the plan's quota is spent"
    ]


def test_brave_refused_key_stops_the_source():
    with FakeBrave({Q_BRAND: ["https://a.example/1"]}) as api:
        result = walk(brave(api, key="BSA-wrong"), TARGET)
    assert result.stopped and len(api.requests) == 1
    assert result.errors == [
        "brave: HTTP 422 SUBSCRIPTION_TOKEN_INVALID (The provided subscription token is invalid.): "
        "the key was refused"
    ]


def test_brave_since_drops_results_older_than_that_day():
    hits = [
        {"url": "https://old.example/a", "page_age": "2024-12-31T23:59:00"},
        {"url": "https://new.example/b", "page_age": "2025-01-01T00:00:00"},
        {"url": "https://undated.example/c"},
        {"url": "https://odd.example/d", "page_age": "last week"},
    ]
    with FakeBrave({Q_BRAND: hits}) as api:
        result = walk(brave(api), TARGET, since=date(2025, 1, 1))
        everything = walk(brave(api), TARGET)
    assert [c.url for c in result.candidates] == [
        "https://new.example/b",
        "https://undated.example/c",
        "https://odd.example/d",
    ]
    assert len(everything.candidates) == 4
    assert all("freshness" not in p for p in api.params)


# --- Marginalia ----------------------------------------------------------------------------------


def test_marginalia_pages_after_full_pages_only():
    found = urls(150)
    with FakeMarginalia({Q_BRAND: found[:1] + NOT_CANDIDATES + found[1:]}) as api:
        result = walk(marginalia(api), TARGET)
    assert result.errors == [] and result.waits == [] and not result.stopped
    assert api.params == [
        {"query": Q_BRAND, "count": "100", "page": "1"},
        {"query": Q_DOMAIN, "count": "100", "page": "1"},
        {"query": Q_BRAND, "count": "100", "page": "2"},
    ]
    assert result.candidates == mentions("marginalia", Q_BRAND, found)
    for request in api.requests:
        assert request["path"] == "/search"
        assert request["headers"]["api-key"] == "public"
        assert request["headers"]["user-agent"] == UA


def test_marginalia_a_full_last_page_costs_one_empty_request():
    with FakeMarginalia({Q_BRAND: urls(100)}) as api:
        result = walk(marginalia(api), TARGET)
    assert [p["page"] for p in api.params if p["query"] == Q_BRAND] == ["1", "2"]
    assert len(result.candidates) == 100 and result.errors == []


def test_marginalia_per_minute_limit_is_waited_for():
    with FakeMarginalia({Q_BRAND: ["https://a.example/1"]}, throttle_first=1) as api:
        result = walk(marginalia(api), TARGET)
    assert result.waits == [60.0]
    assert result.errors == [] and [c.url for c in result.candidates] == ["https://a.example/1"]
    assert [p["query"] for p in api.params] == [Q_BRAND, Q_BRAND, Q_DOMAIN]


def test_marginalia_daily_limit_stops_the_source():
    with FakeMarginalia({Q_BRAND: ["https://a.example/1"]}, mode="quota") as api:
        result = walk(marginalia(api), TARGET)
    assert result.stopped and len(api.requests) == 1
    assert result.errors == ["marginalia: HTTP 429 Daily Limit Exceeded: the key's daily limit"]


def test_marginalia_unknown_key_stops_the_source():
    with FakeMarginalia({Q_BRAND: ["https://a.example/1"]}) as api:
        result = walk(marginalia(api, key="not-a-key"), TARGET)
    assert result.stopped and result.errors == ["marginalia: HTTP 401: the key was refused"]


def test_marginalia_has_no_date_filter():
    with FakeMarginalia({Q_BRAND: ["https://a.example/1"]}) as api:
        result = walk(marginalia(api), TARGET, since=date(2025, 1, 1))
    assert [c.url for c in result.candidates] == ["https://a.example/1"]
    assert all(set(p) == {"query", "count", "page"} for p in api.params)


# --- Mojeek --------------------------------------------------------------------------------------


def test_mojeek_pages_by_start_position_up_to_the_total():
    found = urls(25)
    with FakeMojeek({Q_BRAND: NOT_CANDIDATES[:2] + found}) as api:
        result = walk(mojeek(api), TARGET)
    assert result.errors == [] and not result.stopped
    base = {"api_key": "test-key", "fmt": "json", "t": "10"}
    assert api.params == [
        {"q": Q_BRAND, **base, "s": "1"},
        {"q": Q_DOMAIN, **base, "s": "1"},
        {"q": Q_BRAND, **base, "s": "11"},
        {"q": Q_BRAND, **base, "s": "21"},
    ]
    assert result.candidates == mentions("mojeek", Q_BRAND, found)
    for request in api.requests:
        assert request["headers"]["user-agent"] == UA
        assert request["headers"]["accept"] == "application/json"
    assert all("test-key" not in r.query for r in result.requests)


def test_mojeek_goes_on_after_an_empty_page_within_the_total():
    found = urls(25)
    with FakeMojeek({Q_BRAND: found}, blank_pages={1}) as api:
        result = walk(mojeek(api), TARGET)
    assert [p["s"] for p in api.params if p["q"] == Q_BRAND] == ["1", "11", "21", "31"]
    assert [c.url for c in result.candidates] == found


def test_mojeek_since_is_sent_as_yyyymmdd():
    old, new = 1704067199, 1735689600  # 2023-12-31T23:59:59Z, 2025-01-01T00:00:00Z
    hits = [
        {"url": "https://old.example/a", "timestamp": old},
        {"url": "https://new.example/b", "timestamp": new},
    ]
    with FakeMojeek({Q_BRAND: hits}) as api:
        result = walk(mojeek(api), TARGET, since=date(2025, 1, 1))
    assert [p["since"] for p in api.params] == ["20250101", "20250101"]
    assert [c.url for c in result.candidates] == ["https://new.example/b"]


def test_mojeek_429_is_waited_for():
    with FakeMojeek({Q_BRAND: ["https://a.example/1"]}, throttle_first=1) as api:
        result = walk(mojeek(api), TARGET)
    assert result.waits == [3.0]  # its Retry-After
    assert result.errors == [] and [c.url for c in result.candidates] == ["https://a.example/1"]


def test_mojeek_daily_limit_stops_the_source():
    with FakeMojeek({Q_BRAND: ["https://a.example/1"]}, mode="quota") as api:
        result = walk(mojeek(api), TARGET)
    assert result.stopped and len(api.requests) == 1
    assert result.errors == ["mojeek: ERROR: Daily Limit Reached"]


def test_mojeek_refused_key_stops_the_source():
    with FakeMojeek({Q_BRAND: ["https://a.example/1"]}) as api:
        result = walk(mojeek(api, key="wrong"), TARGET)
    assert result.stopped and result.errors == ["mojeek: ERROR: Invalid API key"]


# --- bad answers, every source -------------------------------------------------------------------

SOURCES = [
    ("brave", FakeBrave, brave),
    ("marginalia", FakeMarginalia, marginalia),
    ("mojeek", FakeMojeek, mojeek),
]


@pytest.mark.parametrize(("name", "fake_cls", "make"), SOURCES)
@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("error", "HTTP 500"),
        ("garbage", "unexpected answer (application/json)"),
        ("html", "unexpected answer (text/html)"),
        ("types", "unexpected answer shape"),
    ],
)
def test_a_bad_answer_is_a_one_line_error_and_the_walk_goes_on(name, fake_cls, make, mode, expected):
    with fake_cls({Q_BRAND: ["https://a.example/1"]}, mode=mode) as api:
        result = walk(make(api), TARGET)
    assert result.candidates == [] and not result.stopped and result.waits == []
    assert len(api.requests) == 2  # both queries were asked; neither answer could go on
    assert len(result.errors) == 2
    for error in result.errors:
        assert error.startswith(f"{name}: ") and expected in error
        assert "\n" not in error and len(error) < 200


@pytest.mark.parametrize(("name", "fake_cls", "make"), SOURCES)
def test_a_second_throttle_of_the_same_request_is_a_failure(name, fake_cls, make):
    with fake_cls(
        {Q_BRAND: ["https://a.example/1"], Q_DOMAIN: ["https://b.example/2"]}, throttle_first=2
    ) as api:
        result = walk(make(api), TARGET)
    assert len(result.waits) == 1 and len(result.errors) == 1 and result.errors[0].startswith(f"{name}: ")
    assert [c.url for c in result.candidates] == ["https://b.example/2"]
    assert not result.stopped


@pytest.mark.parametrize(("name", "fake_cls", "make"), SOURCES)
def test_the_crawls_request_cap_bounds_a_walk(name, fake_cls, make):
    with fake_cls({Q_BRAND: urls(1000)}) as api:
        result = walk(make(api), TARGET, max_requests=3)
    assert len(api.requests) == 3 and len(result.requests) == 3
