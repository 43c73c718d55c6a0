"""The Lemmy source against loopback Lemmy instances (demo/fakes/lemmy.py), over real HTTP."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from backlink_spider import settings as default_settings
from backlink_spider.sources.base import LINK, MENTION, Candidate, SourceAnswer, SourceSettingError
from backlink_spider.sources.lemmy import LemmySource
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.lemmy import FakeLemmy, comment_view, post_view

TARGET = Target.parse("brewbird.io")
W = "https://lemmy.world"


def make_source(*fakes: FakeLemmy, **overrides: object) -> LemmySource:
    settings = {name: getattr(default_settings, name) for name in dir(default_settings) if name.isupper()}
    settings.update(LEMMY_MIN_INTERVAL=1.0, DISCOVERY_MAX_CANDIDATES=300)
    settings["LEMMY_INSTANCES"] = [f.base_url for f in fakes]
    settings.update(overrides)
    return LemmySource.from_settings(settings)


def site(fake: FakeLemmy) -> str:
    return fake.base_url.removeprefix("http://")


def daily(count: int, start: datetime = datetime(2026, 11, 30, 9)) -> list[dict]:
    """`count` posts linking to the target, one a day going back from `start`."""
    return [
        post_view(
            100 + i,
            url=f"https://brewbird.io/p/{i}",
            published=(start - timedelta(days=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        for i in range(count)
    ]


def test_links_posts_and_comments_become_candidates_from_the_documented_searches():
    posts = [
        post_view(
            1,
            url="https://brewbird.io/blog/launch",
            name="BrewBird launches",
            published="2026-11-20T10:00:00Z",
        ),
        post_view(
            2, url="https://web.archive.org/web/2026/https://brewbird.io/", published="2026-11-19T10:00:00Z"
        ),
        post_view(
            3, url="https://news.example/x", name="A brewbird review", published="2026-11-18T10:00:00Z"
        ),
        post_view(4, url="https://brewbird.io/gone", published="2026-11-17T10:00:00Z", deleted=True),
        post_view(5, url="ftp://brewbird.io/file", published="2026-11-16T10:00:00Z"),
    ]
    comments = [comment_view(10, content="Try https://brewbird.io, it is good", post_id=1)]
    with FakeLemmy(posts, comments) as fake:
        result = walk(make_source(fake), TARGET)
        sent = fake.requests
    s = site(fake)
    linking = f"lemmy posts linking to brewbird.io on {s}"
    assert result.candidates == [
        Candidate(f"{W}/post/1", "lemmy", linking, LINK),
        Candidate(
            "https://web.archive.org/web/2026/https://brewbird.io/", "lemmy", linking, MENTION, f"{W}/post/2"
        ),
        Candidate(f"{W}/post/3", "lemmy", f'lemmy posts naming "brewbird" on {s}', MENTION),
        Candidate(
            f"{W}/comment/10", "lemmy", f'lemmy comments naming "brewbird" on {s}', MENTION, f"{W}/post/1"
        ),
    ]
    assert result.errors == [] and result.waits == [] and not result.stopped
    assert [(r["params"]["type_"], r["params"]["page"]) for r in sent] == [
        ("Url", "1"),
        ("Posts", "1"),
        ("Comments", "1"),
        ("Url", "2"),
        ("Posts", "2"),
        ("Comments", "2"),
    ]
    assert sent[0]["path"] == "/api/v3/search"
    assert sent[0]["params"] == {
        "q": "brewbird.io",
        "type_": "Url",
        "sort": "New",
        "listing_type": "All",
        "limit": "50",
        "page": "1",
    }
    assert sent[1]["params"]["q"] == "brewbird" and sent[2]["params"]["q"] == "brewbird"
    assert all(r["headers"]["user-agent"] == "backlink-spider-test" for r in sent)
    assert all(r["headers"]["accept"] == "application/json" for r in sent)


def test_pages_until_an_empty_page_even_after_a_short_one():
    with FakeLemmy(daily(120)) as fake:
        result = walk(make_source(fake), TARGET)
        url_pages = [p["page"] for p in fake.params if p["type_"] == "Url"]
    assert url_pages == ["1", "2", "3", "4"]  # 50, 50, 20, then the empty page
    assert [c.url for c in result.candidates] == [f"{W}/post/{100 + i}" for i in range(120)]
    assert result.candidates[50].query == f"lemmy posts linking to brewbird.io on {site(fake)} (page 2)"


def test_since_filters_on_published_and_stops_paging_at_older_results():
    comments = [
        comment_view(20, content="brewbird rocks", published="2026-11-12T08:00:00Z"),
        comment_view(21, content="brewbird, old news", published="2026-10-01T08:00:00Z"),
    ]
    with FakeLemmy(daily(60), comments) as fake:
        result = walk(make_source(fake), TARGET, since=date(2026, 11, 10))
        params = fake.params
    assert [c.url for c in result.candidates] == [f"{W}/post/{100 + i}" for i in range(21)] + [
        f"{W}/comment/20"
    ]
    # Url: page 1 ends before `since` (no page 2); Posts: nothing, so one empty page; Comments: the
    # last comment is older than `since`, so no page 2.
    assert [(p["type_"], p["page"]) for p in params] == [("Url", "1"), ("Posts", "1"), ("Comments", "1")]


def test_timestamps_without_z_from_older_lemmy_are_utc():
    posts = [post_view(1, url="https://brewbird.io/", published="2026-11-20T10:00:00.123456")]
    with FakeLemmy(posts) as fake:
        result = walk(make_source(fake), TARGET, since=date(2026, 11, 20))
    assert [c.url for c in result.candidates] == [f"{W}/post/1"]


def test_every_instance_is_searched_a_federated_post_is_one_candidate_and_a_broken_instance_is_an_error():
    shared = [post_view(1, url="https://brewbird.io/", instance="https://lemmy.ml")]
    with FakeLemmy(shared) as world, FakeLemmy(shared) as ml, FakeLemmy(mode="error") as broken:
        result = walk(make_source(world, broken, ml), TARGET)
        counts = (len(world.requests), len(broken.requests), len(ml.requests))
    assert result.candidates == [
        Candidate(
            "https://lemmy.ml/post/1", "lemmy", f"lemmy posts linking to brewbird.io on {site(world)}", LINK
        )
    ]
    assert counts == (4, 3, 4)  # Url pages 1 and 2, one empty page each for Posts and Comments
    assert result.errors == [f"lemmy {site(broken)}: HTTP 502"] * 3
    assert not result.stopped


@pytest.mark.parametrize("status,body", [(400, True), (429, True), (429, False)])
def test_rate_limited_answers_of_each_lemmy_version_are_waited_for(status, body):
    with FakeLemmy(daily(2), mode="rate_limit", rate_limit_status=status, rate_limit_body=body) as fake:
        result = walk(make_source(fake), TARGET)
        params = fake.params
    assert result.waits == [10.0]
    assert result.errors == []
    assert params[0] == params[1]
    assert [c.url for c in result.candidates] == [f"{W}/post/100", f"{W}/post/101"]


def test_a_second_rate_limit_of_the_same_request_is_an_error():
    with FakeLemmy(daily(2), mode="rate_limit", rate_limit_times=2) as fake:
        result = walk(make_source(fake), TARGET)
    assert result.waits == [10.0]
    assert result.errors == [f"lemmy {site(fake)}: rate limited"]
    assert result.candidates == [] and not result.stopped
    assert [(p["type_"], p["page"]) for p in fake.params] == [
        ("Url", "1"),
        ("Url", "1"),
        ("Posts", "1"),
        ("Comments", "1"),
    ]


@pytest.mark.parametrize(
    "mode,start",
    [("garbage", "unexpected answer (text/html)"), ("truncated", "unexpected answer (application/json)")],
)
def test_html_and_truncated_answers_are_one_line_failures(mode, start):
    with FakeLemmy(daily(2), mode=mode) as fake:
        result = walk(make_source(fake), TARGET)
    assert len(result.errors) == 3
    assert all(e.startswith(f"lemmy {site(fake)}: {start}") and "\n" not in e for e in result.errors)
    assert result.candidates == []


def test_lemmy_errors_and_wrong_types_are_failures():
    source = LemmySource.from_settings(
        {
            **{n: getattr(default_settings, n) for n in dir(default_settings) if n.isupper()},
            "LEMMY_INSTANCES": [W],
        }
    )
    request = source.start_requests(TARGET, None)[0]
    headers = {"content-type": "application/json"}
    assert source.parse(request, SourceAnswer(400, headers, b'{"error":"couldnt_get_posts"}')).error == (
        "lemmy lemmy.world: couldnt_get_posts (HTTP 400)"
    )
    assert source.parse(request, SourceAnswer(200, headers, b'{"posts": {}}')).error == (
        "lemmy lemmy.world: 'posts' is not a list"
    )
    odd = (
        b'{"posts": [1, {"post": 2}, {"post": {"ap_id": 3, "url": "https://brewbird.io/"}}], "comments": []}'
    )
    outcome = source.parse(request, SourceAnswer(200, headers, odd))
    assert outcome.error is None and outcome.candidates == [] and len(outcome.next_requests) == 1


def test_paging_stops_once_a_query_gave_the_crawls_candidate_cap():
    with FakeLemmy(daily(120)) as fake:
        result = walk(make_source(fake, DISCOVERY_MAX_CANDIDATES=60), TARGET)
        url_pages = [p["page"] for p in fake.params if p["type_"] == "Url"]
    assert url_pages == ["1", "2"]
    assert len(result.candidates) == 100


def test_settings():
    with FakeLemmy() as fake:
        assert make_source(fake, LEMMY_MIN_INTERVAL=2.5).min_interval == 2.5
        with pytest.raises(SourceSettingError):
            make_source(fake, LEMMY_INSTANCES=["ftp://lemmy.example"])
        with pytest.raises(SourceSettingError):
            make_source(fake, LEMMY_MIN_INTERVAL="fast")
    assert LemmySource.instance_url("lemmy.world/") == "https://lemmy.world"
