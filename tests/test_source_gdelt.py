"""The GDELT DOC 2.0 source against a loopback GDELT (demo/fakes/gdelt.py), over real HTTP."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from backlink_spider import settings as default_settings
from backlink_spider.sources.base import MENTION, Candidate, SourceSettingError
from backlink_spider.sources.gdelt import GdeltSource
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.gdelt import NOW, FakeGdelt, article

TARGET = Target.parse("brewbird.io")


def make_source(fake: FakeGdelt, **overrides: object) -> GdeltSource:
    settings = {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}
    # The documented values, pinned so the test does not follow a change of the defaults.
    settings.update(GDELT_TIMESPAN="3months", GDELT_MIN_INTERVAL=5.0, DISCOVERY_MAX_CANDIDATES=300)
    settings.update(GDELT_API_URL=fake.api_url, **overrides)
    return GdeltSource.from_settings(settings)


def hourly(count: int, start: datetime = NOW - timedelta(hours=1)) -> list[dict]:
    """`count` articles, one an hour going back from `start`."""
    return [
        article(f"https://news{i}.example/story", (start - timedelta(hours=i)).strftime("%Y%m%dT%H%M%SZ"))
        for i in range(count)
    ]


def test_articles_become_mention_candidates_and_the_request_is_the_documented_one():
    articles = [
        article("https://news.example/brewbird-raises", "20261129T101500Z"),
        article("https://blog.brewbird.io/press", "20261129T090000Z"),  # on the target: skipped
        article("ftp://files.example/brewbird.txt", "20261128T090000Z"),  # not http(s): skipped
        article("https://zeitung.example/artikel?id=7", "20261128T081500Z"),
    ]
    with FakeGdelt({"brewbird": articles}) as fake:
        result = walk(make_source(fake), TARGET)
        sent = fake.requests

    query = 'GDELT news naming (brewbird OR "brewbird.io")'
    assert result.candidates == [
        Candidate("https://news.example/brewbird-raises", "gdelt", query, MENTION),
        Candidate("https://zeitung.example/artikel?id=7", "gdelt", query, MENTION),
    ]
    assert result.errors == [] and result.waits == [] and not result.stopped
    assert len(sent) == 1
    assert sent[0]["params"] == {
        "query": '(brewbird OR "brewbird.io")',
        "mode": "artlist",
        "format": "json",
        "maxrecords": "250",
        "timespan": "3months",
        "sort": "datedesc",
    }
    assert sent[0]["headers"]["user-agent"] == "backlink-spider-test"


def test_brand_terms_are_ored_single_words_bare_and_phrases_quoted():
    target = Target.parse("brewbird.io", brand="BrewBird,Brew Bird,brewbird")
    with FakeGdelt() as fake:
        result = walk(make_source(fake), target)
        params = fake.params
    assert params[0]["query"] == '(BrewBird OR "Brew Bird" OR "brewbird.io")'
    assert result.candidates == [] and result.errors == []  # GDELT's `{}` for no match


def test_since_sends_startdatetime_instead_of_timespan():
    articles = [
        article("https://news.example/new", "20261115T120000Z"),
        article("https://news.example/old", "20261020T120000Z"),
    ]
    with FakeGdelt({"brewbird": articles}) as fake:
        result = walk(make_source(fake), TARGET, since=date(2026, 11, 1))
        params = fake.params
    assert [c.url for c in result.candidates] == ["https://news.example/new"]
    assert result.candidates[0].query == 'GDELT news naming (brewbird OR "brewbird.io") since 2026-11-01'
    assert params == [
        {
            "query": '(brewbird OR "brewbird.io")',
            "mode": "artlist",
            "format": "json",
            "maxrecords": "250",
            "startdatetime": "20261101000000",
            "sort": "datedesc",
        }
    ]


def test_full_windows_walk_back_in_time_until_a_window_is_not_full():
    articles = hourly(600)
    with FakeGdelt({"brewbird": articles}) as fake:
        result = walk(make_source(fake, DISCOVERY_MAX_CANDIDATES=10_000), TARGET)
        params = fake.params
    assert [c.url for c in result.candidates] == [a["url"] for a in articles]  # each once, newest first
    assert len(params) == 3
    start = (NOW - timedelta(days=93)).strftime("%Y%m%d%H%M%S")  # the Date header minus 3 months
    oldest_1 = datetime.strptime(articles[249]["seendate"], "%Y%m%dT%H%M%SZ").strftime("%Y%m%d%H%M%S")
    oldest_2 = datetime.strptime(articles[498]["seendate"], "%Y%m%dT%H%M%SZ").strftime("%Y%m%d%H%M%S")
    assert "timespan" in params[0] and "startdatetime" not in params[0]
    assert (params[1]["startdatetime"], params[1]["enddatetime"]) == (start, oldest_1)
    assert (params[2]["startdatetime"], params[2]["enddatetime"]) == (start, oldest_2)
    assert "timespan" not in params[1]
    assert result.candidates[300].query == (
        f'GDELT news naming (brewbird OR "brewbird.io") (before {articles[249]["seendate"]})'
    )


def test_the_walk_stops_once_the_query_gave_the_crawls_candidate_cap():
    with FakeGdelt({"brewbird": hourly(900)}) as fake:
        result = walk(make_source(fake), TARGET)  # DISCOVERY_MAX_CANDIDATES = 300
        params = fake.params
    assert len(params) == 2
    assert len(result.candidates) == 499


def test_a_window_full_of_one_timestamp_steps_past_it_instead_of_looping():
    same = [article(f"https://n{i}.example/", "20261129T120000Z") for i in range(300)]
    with FakeGdelt({"brewbird": same}) as fake:
        result = walk(make_source(fake, DISCOVERY_MAX_CANDIDATES=10_000), TARGET, since=date(2026, 11, 1))
        params = fake.params
    assert [p.get("enddatetime") for p in params] == [None, "20261129120000", "20261129115959"]
    assert len(result.candidates) == 250


def test_with_since_every_window_starts_at_since():
    with FakeGdelt({"brewbird": hourly(400, start=datetime(2026, 11, 20, tzinfo=UTC))}) as fake:
        result = walk(make_source(fake, DISCOVERY_MAX_CANDIDATES=10_000), TARGET, since=date(2026, 11, 1))
        params = fake.params
    assert [p.get("startdatetime") for p in params] == ["20261101000000", "20261101000000"]
    assert [p.get("enddatetime") for p in params] == [None, "20261109150000"]
    assert len(result.candidates) == 400


@pytest.mark.parametrize("status", [429, 200])
def test_the_throttling_notice_is_waited_for_then_the_same_request_succeeds(status):
    with FakeGdelt({"brewbird": hourly(2)}, mode="throttle", throttle_status=status) as fake:
        result = walk(make_source(fake), TARGET)
        params = fake.params
    assert result.waits == [5.0]
    assert result.errors == []
    assert len(params) == 2 and params[0] == params[1]
    assert [c.url for c in result.candidates] == [
        "https://news0.example/story",
        "https://news1.example/story",
    ]


def test_a_second_throttle_of_the_same_request_is_an_error_not_a_loop():
    with FakeGdelt({"brewbird": hourly(2)}, mode="throttle", throttle_times=5) as fake:
        result = walk(make_source(fake), TARGET)
    assert result.waits == [5.0]
    assert result.errors == ["GDELT: throttled"]
    assert result.candidates == []


def test_throttle_wait_is_never_shorter_than_the_configured_interval():
    with FakeGdelt(mode="throttle") as fake:
        source = make_source(fake, GDELT_MIN_INTERVAL=8.0)
        result = walk(source, TARGET)
    assert source.min_interval == 8.0
    assert result.waits == [8.0]


def test_a_plain_text_query_refusal_is_a_one_line_failure_without_retry():
    with FakeGdelt(mode="refuse") as fake:
        result = walk(make_source(fake), TARGET)
        assert len(fake.requests) == 1
    assert result.errors == ["GDELT refused the query: The specified phrase is too short."]
    assert result.waits == [] and not result.stopped


def test_an_html_server_error_is_a_one_line_failure():
    with FakeGdelt(mode="error") as fake:
        result = walk(make_source(fake), TARGET)
    assert result.errors == ["GDELT: HTTP 500"]
    assert result.candidates == [] and result.waits == []


def test_truncated_json_is_a_one_line_failure():
    with FakeGdelt({"brewbird": hourly(3)}, mode="garbage") as fake:
        result = walk(make_source(fake), TARGET)
    assert len(result.errors) == 1
    assert result.errors[0].startswith("GDELT: unexpected answer (application/json)")
    assert "\n" not in result.errors[0]


def test_raw_control_characters_in_titles_do_not_lose_the_answer():
    with FakeGdelt({"brewbird": hourly(2)}, mode="control") as fake:
        result = walk(make_source(fake), TARGET)
    assert result.errors == []
    assert len(result.candidates) == 2


def test_wrong_types_are_failures_or_skipped_items():
    from backlink_spider.sources.base import SourceAnswer

    source = GdeltSource.from_settings(
        {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}
    )
    request = source.start_requests(TARGET, None)[0]
    json_headers = {"content-type": "application/json; charset=utf-8"}
    assert source.parse(request, SourceAnswer(200, json_headers, b'{"articles": "none"}')).error == (
        "GDELT: 'articles' is not a list"
    )
    assert source.parse(request, SourceAnswer(200, json_headers, b"[1, 2]")).error.startswith("GDELT: ")
    mixed = b'{"articles": [1, {"url": 5}, {"url": "https://ok.example/a", "seendate": "junk"}]}'
    outcome = source.parse(request, SourceAnswer(200, json_headers, mixed))
    assert [c.url for c in outcome.candidates] == ["https://ok.example/a"] and outcome.error is None


@pytest.mark.parametrize("name,value", [("GDELT_TIMESPAN", "forever"), ("GDELT_MIN_INTERVAL", "soon")])
def test_settings_that_cannot_work_are_refused_before_the_crawl(name, value):
    with FakeGdelt() as fake, pytest.raises(SourceSettingError):
        make_source(fake, **{name: value})
