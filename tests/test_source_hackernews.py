"""The Hacker News source (Algolia HN Search API) against a fake API on loopback, over real HTTP."""

from __future__ import annotations

from datetime import date

import orjson
import pytest

from backlink_spider import settings as defaults
from backlink_spider.sources.base import LINK, MENTION, Candidate, SourceAnswer, SourceSettingError
from backlink_spider.sources.hackernews import HackerNewsSource
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.hackernews import FakeHackerNews, comment, story

BREWBIRD = Target.parse("brewbird.io", brand="BrewBird")
LQ = "stories linking to brewbird.io on Hacker News"
MQ = 'stories and comments naming "BrewBird" on Hacker News'
T = 1_750_000_000  # a fixed moment: no test reads the clock


def item(object_id: int) -> str:
    return f"https://news.ycombinator.com/item?id={object_id}"


def link(url: str, via: str | None = None) -> Candidate:
    return Candidate(url, "hackernews", LQ, LINK, via)


def mention(url: str, via: str | None = None, query: str = MQ) -> Candidate:
    return Candidate(url, "hackernews", query, MENTION, via)


def settings_for(hn: FakeHackerNews, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "HACKERNEWS_API_URL": hn.api_url,
        "HACKERNEWS_ITEM_URL": defaults.HACKERNEWS_ITEM_URL,
        "HACKERNEWS_MIN_INTERVAL": defaults.HACKERNEWS_MIN_INTERVAL,
        # proposed setting (not in settings.py yet); 100 is its proposed default
        "HACKERNEWS_HITS_PER_PAGE": defaults.HACKERNEWS_HITS_PER_PAGE,
    }
    values.update(overrides)
    return values


def source_for(hn: FakeHackerNews, **overrides: object) -> HackerNewsSource:
    source = HackerNewsSource.from_settings(settings_for(hn, **overrides))
    assert isinstance(source, HackerNewsSource)
    return source


def on_target(n: int, start: int = T, step: int = 1) -> list[dict]:
    return [story(1000 + i, start - i * step, url=f"https://brewbird.io/p/{i}") for i in range(n)]


# --- candidates and the requests sent ----------------------------------------------------------


def test_links_and_mentions_with_the_exact_requests():
    hits = {
        "brewbird.io": [
            story(100, T, url="https://blog.brewbird.io/launch", title="BrewBird launches"),
            story(200, T - 10, url="https://github.com/someone/brewbird.io", title="Show HN: a client"),
            story(300, T - 20, url="ftp://brewbird.io.mirror.example/x"),
        ],
        "BrewBird": [
            comment(701, T - 30, story_id=900, story_url="https://other.example/", text="I use BrewBird"),
            story(400, T - 5, url="https://coffee.example/review", title="BrewBird review"),
            story(500, T - 15, url="https://www.brewbird.io/pricing", title="BrewBird pricing"),
            story(600, T - 25, title="Ask HN: BrewBird?", story_text="Anyone using it?"),
            comment(702, T - 31, story_id=900, text="BrewBird too"),
            comment(703, T - 32, story_id=None, text="BrewBird, orphaned"),
        ],
    }
    with FakeHackerNews(hits) as hn:
        source = source_for(hn)
        result = walk(source, BREWBIRD)
        sent = list(hn.requests)

    assert result.errors == [] and not result.stopped and result.waits == []
    assert result.candidates == [
        link(item(100)),  # its story links to the target's own page: the discussion is the backlink
        link("https://github.com/someone/brewbird.io", via=item(200)),
        mention(item(200), query=LQ),
        # the ftp:// story gives nothing
        mention("https://coffee.example/review", via=item(400)),
        mention(item(400)),
        mention(item(500)),  # its linked page is the target's own: only the discussion
        mention(item(600)),  # Ask HN, no URL
        mention(item(900)),  # comments 701 and 702, both on story 900: once
        mention(item(703)),  # a comment without story_id: its own page
    ]
    assert [r["path"] for r in sent] == ["/api/v1/search_by_date", "/api/v1/search_by_date"]
    assert [r["params"] for r in sent] == [
        {
            "query": '"brewbird.io"',
            "restrictSearchableAttributes": "url",
            "tags": "story",
            "hitsPerPage": "100",
            "page": "0",
        },
        {"query": '"BrewBird"', "tags": "(story,comment)", "hitsPerPage": "100", "page": "0"},
    ]
    # Keyless: no key header of its own, the crawl's User-Agent goes out.
    assert source.headers() == {}
    assert all(r["headers"]["User-Agent"] == "backlink-spider-test" for r in sent)
    assert [r.query for r in result.requests] == [LQ, MQ]
    assert [r.kind for r in result.requests] == [LINK, MENTION]


def test_every_domain_form_and_brand_term_is_asked():
    target = Target.parse("bücher.de", brand="Bücher, Buch Haus")
    with FakeHackerNews() as hn:
        requests = source_for(hn).start_requests(target, None)
    assert [r.query for r in requests] == [
        "stories linking to xn--bcher-kva.de on Hacker News",
        "stories linking to bücher.de on Hacker News",
        'stories and comments naming "Bücher" on Hacker News',
        'stories and comments naming "Buch Haus" on Hacker News',
    ]
    assert [r.kind for r in requests] == [LINK, LINK, MENTION, MENTION]
    assert "query=%22Buch+Haus%22" in requests[3].url


# --- paging, the 1,000-hit window, date windows --------------------------------------------------


def test_pages_follow_nbpages_through_an_empty_page():
    with FakeHackerNews({"brewbird.io": on_target(5)}, empty_pages={1}) as hn:
        result = walk(source_for(hn, HACKERNEWS_HITS_PER_PAGE=2), BREWBIRD)
        pages = [(p["query"], p["page"]) for p in hn.params]
    assert pages == [
        ('"brewbird.io"', "0"),
        ('"BrewBird"', "0"),
        ('"brewbird.io"', "1"),
        ('"brewbird.io"', "2"),
    ]
    # page 1 came back empty (nbPages still 3): the walk went on to page 2
    assert result.candidates == [link(item(1000)), link(item(1001)), link(item(1004))]
    assert result.errors == []


def test_past_the_window_the_walk_goes_on_in_an_older_date_window():
    hits = on_target(4)  # T .. T-3
    hits.insert(4, story(2000, T - 3, url="https://brewbird.io/tie"))  # shares the window's last second
    hits += [story(2001, T - 4, url="https://brewbird.io/a"), story(2002, T - 5, url="https://brewbird.io/b")]
    with FakeHackerNews({"brewbird.io": hits}, pagination_limit=4) as hn:
        result = walk(source_for(hn, HACKERNEWS_HITS_PER_PAGE=2), BREWBIRD)
        sent = [p for p in hn.params if p["query"] == '"brewbird.io"']
    assert [(p.get("numericFilters"), p["page"]) for p in sent] == [
        (None, "0"),
        (None, "1"),
        (f"created_at_i<={T - 3}", "0"),
        (f"created_at_i<={T - 3}", "1"),
    ]
    # every hit once: story 1003 (second T-3, seen in the first window) is not repeated
    assert result.candidates == [link(item(i)) for i in (1000, 1001, 1002, 1003, 2000, 2001, 2002)]


def test_a_window_that_is_one_second_ends():
    hits = [story(3000 + i, T, url=f"https://brewbird.io/{i}") for i in range(3)]
    with FakeHackerNews({"brewbird.io": hits}, pagination_limit=2) as hn:
        result = walk(source_for(hn, HACKERNEWS_HITS_PER_PAGE=2), BREWBIRD)
        filters = [p.get("numericFilters") for p in hn.params if p["query"] == '"brewbird.io"']
    assert filters == [None, f"created_at_i<={T}", f"created_at_i<{T}"]
    assert result.candidates == [link(item(3000)), link(item(3001))]


def test_never_asks_past_the_first_1000_hits_of_a_query():
    # A fake that (unlike the real API) would page past 1,000: the source stops at 1,000 itself.
    with FakeHackerNews({"brewbird.io": on_target(1100)}, pagination_limit=5000) as hn:
        result = walk(source_for(hn, HACKERNEWS_HITS_PER_PAGE=100), BREWBIRD)
        sent = [p for p in hn.params if p["query"] == '"brewbird.io"']
    oldest = T - 999
    assert [(p.get("numericFilters"), p["page"]) for p in sent] == [
        *[(None, str(page)) for page in range(10)],
        (f"created_at_i<={oldest}", "0"),
        (f"created_at_i<={oldest}", "1"),
    ]
    assert result.candidates == [link(item(1000 + i)) for i in range(1100)]


def test_since_filters_by_date_from_utc_midnight():
    start = 1_704_067_200  # 2024-01-01T00:00:00Z
    hits = [
        story(10, start + 5, url="https://brewbird.io/new"),
        story(11, start, url="https://brewbird.io/midnight"),
        story(12, start - 1, url="https://brewbird.io/old"),
    ]
    with FakeHackerNews({"brewbird.io": hits}, pagination_limit=1) as hn:
        result = walk(source_for(hn, HACKERNEWS_HITS_PER_PAGE=1), BREWBIRD, since=date(2024, 1, 1))
        filters = [p["numericFilters"] for p in hn.params]
    assert filters == [
        f"created_at_i>={start}",
        f"created_at_i>={start}",
        f"created_at_i>={start},created_at_i<={start + 5}",
        # that window (one hit wide here) held only the hit already seen: the next one is strict
        f"created_at_i>={start},created_at_i<{start + 5}",
    ]
    assert result.candidates == [link(item(10)), link(item(11))]


# --- throttling, refusal, errors -----------------------------------------------------------------


def test_a_429_is_waited_for_then_the_walk_goes_on():
    with FakeHackerNews({"brewbird.io": on_target(1)}, throttle=1) as hn:
        result = walk(source_for(hn), BREWBIRD)
    assert result.waits == [60.0]
    assert result.errors == [] and not result.stopped
    assert result.candidates == [link(item(1000))]
    assert len(result.requests) == 3  # the throttled request sent again, then the mention query


def test_a_retry_after_header_is_honoured():
    with FakeHackerNews({"brewbird.io": on_target(1)}, throttle=1, retry_after="7") as hn:
        result = walk(source_for(hn), BREWBIRD)
    assert result.waits == [7.0]
    assert result.candidates == [link(item(1000))]


def test_a_second_429_in_a_row_means_the_hourly_budget_is_spent():
    with FakeHackerNews({"brewbird.io": on_target(1)}, throttle=5) as hn:
        result = walk(source_for(hn), BREWBIRD)
        count = len(hn.requests)
    assert result.waits == [60.0]
    assert result.stopped
    assert result.errors == [
        "HTTP 429 again after waiting: the rate limit (10,000 requests an hour) is spent"
    ]
    assert count == 2 and result.candidates == []


def test_a_refused_caller_stops_the_source():
    with FakeHackerNews(mode="refuse") as hn:
        result = walk(source_for(hn), BREWBIRD)
    assert result.stopped
    assert result.errors == ["HTTP 403: Invalid Application-ID or API key"]
    assert len(result.requests) == 1


def test_a_bad_parameter_answer_is_a_one_line_error_per_query():
    with FakeHackerNews(mode="bad_request") as hn:
        result = walk(source_for(hn), BREWBIRD)
    message = 'HTTP 400: Invalid value for "hitsPerPage" parameter, expected integer between 0 and 1000'
    assert result.errors == [message, message]
    assert not result.stopped and result.candidates == []


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("error", "HTTP 503"),
        ("truncated", "unexpected answer (application/json): "),
        ("html", "unexpected answer (text/html): "),
        ("wrongtypes", "unexpected answer (application/json): "),
    ],
)
def test_unusable_answers_are_one_line_errors(mode, error):
    with FakeHackerNews({"brewbird.io": on_target(3)}, mode=mode) as hn:
        result = walk(source_for(hn), BREWBIRD)
    assert len(result.errors) == 2 and all(e.startswith(error) for e in result.errors)
    assert all("\n" not in e for e in result.errors)
    assert not result.stopped and result.candidates == []


def test_hits_of_the_wrong_types_are_skipped_without_raising():
    with FakeHackerNews() as hn:
        source = source_for(hn)
        link_request, mention_request = source.start_requests(BREWBIRD, None)
    body = {
        "hits": [
            1,
            "x",
            {"objectID": None, "url": "https://brewbird.io/"},
            {"objectID": "12", "url": 5, "created_at_i": "soon"},
            {"objectID": True, "url": "https://brewbird.io/"},
            {"objectID": "../13", "url": "https://brewbird.io/"},
            {"objectID": 14, "url": "https://brewbird.io/", "created_at_i": T},
        ],
        "nbPages": 1,
        "page": 0,
        "nbHits": 7,
        "hitsPerPage": 100,
    }
    answer = SourceAnswer(200, {"content-type": "application/json"}, orjson.dumps(body))
    assert source.parse(link_request, answer).candidates == [link(item(14))]
    body["hits"] = [
        {"objectID": "15", "_tags": ["comment"], "story_id": "16"},
        {"objectID": "17", "_tags": 3},
    ]
    answer = SourceAnswer(200, {"content-type": "application/json"}, orjson.dumps(body))
    assert source.parse(mention_request, answer).candidates == [mention(item(15)), mention(item(17))]
    no_pages = SourceAnswer(200, {}, b'{"hits": []}')
    assert source.parse(link_request, no_pages).error == "unexpected answer: nbPages is None"


# --- settings ------------------------------------------------------------------------------------


def test_settings_are_read_and_checked():
    with FakeHackerNews() as hn:
        assert source_for(hn).min_interval == defaults.HACKERNEWS_MIN_INTERVAL
        assert source_for(hn, HACKERNEWS_MIN_INTERVAL="2.5").min_interval == 2.5
        assert source_for(hn, HACKERNEWS_HITS_PER_PAGE=1000).hits_per_page == 1000
        for name, value in [
            ("HACKERNEWS_ITEM_URL", "https://news.ycombinator.com/item"),
            ("HACKERNEWS_API_URL", "hn.algolia.com/api/v1"),
            ("HACKERNEWS_HITS_PER_PAGE", 0),
            ("HACKERNEWS_HITS_PER_PAGE", 1001),
            ("HACKERNEWS_HITS_PER_PAGE", "many"),
            ("HACKERNEWS_MIN_INTERVAL", -1),
        ]:
            with pytest.raises(SourceSettingError):
                source_for(hn, **{name: value})
