"""The account-based social sources (Bluesky, Reddit) walked against their loopback fakes."""

from __future__ import annotations

import base64
import json
from datetime import date

import pytest

from backlink_spider.sources.base import LINK, MENTION, Candidate, SourceAnswer, SourceNotConfigured
from backlink_spider.sources.social import BlueskySource, RedditSource
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.social import FakeBluesky, FakeReddit, bluesky_post, reddit_post

TARGET = Target.parse("brewbird.io")
HANDLE, APP_PASSWORD = "crawler.bsky.social", "abcd-efgh-ijkl-mnop"
CLIENT_ID, CLIENT_SECRET = "p-jcoLKBynTLew", "gko_LXELoV07ZBNUXrvWZfzE3aI"
REDDIT_UA = "python:io.brewbird.backlinks:v1.0 (by /u/brewbird_bot)"


def bluesky(fake, **extra):
    values = {
        "BLUESKY_API_URL": fake.base_url,
        "BLUESKY_HANDLE": HANDLE,
        "BLUESKY_APP_PASSWORD": APP_PASSWORD,
        "BLUESKY_MIN_INTERVAL": 1.0,
        **extra,
    }
    return BlueskySource.from_settings(values)


def reddit(fake, **extra):
    values = {
        "REDDIT_AUTH_URL": fake.auth_url,
        "REDDIT_API_URL": fake.base_url,
        "REDDIT_CLIENT_ID": CLIENT_ID,
        "REDDIT_CLIENT_SECRET": CLIENT_SECRET,
        "REDDIT_USER_AGENT": REDDIT_UA,
        "REDDIT_MIN_INTERVAL": 1.0,
        **extra,
    }
    return RedditSource.from_settings(values)


def bsky_url(handle, rkey):
    return f"https://bsky.app/profile/{handle}/post/{rkey}"


# --- Bluesky -------------------------------------------------------------------------------------


def test_bluesky_needs_a_handle_and_an_app_password():
    with pytest.raises(SourceNotConfigured, match="BLUESKY_HANDLE, BLUESKY_APP_PASSWORD"):
        BlueskySource.from_settings(
            {"BLUESKY_HANDLE": "", "BLUESKY_APP_PASSWORD": " ", "BLUESKY_MIN_INTERVAL": 1}
        )


def test_bluesky_logs_in_then_searches_links_and_mentions_with_the_token():
    linking = [bluesky_post("alice.bsky.social", "3kalice1"), bluesky_post("bob.example.com", "3kbob2")]
    naming = [
        bluesky_post("carol.bsky.social", "3kcarol3"),
        bluesky_post("handle.invalid", "3kdave4", did="did:plc:dave"),
        {"uri": "at://did:plc:x/app.bsky.feed.like/3kx", "author": {"handle": "x.bsky.social"}},
        {"uri": "not-an-at-uri", "author": {"handle": "y.bsky.social"}},
    ]
    with FakeBluesky({("brewbird.io", "brewbird.io"): linking, ('"brewbird"', None): naming}) as api:
        result = walk(bluesky(api), TARGET)
    assert result.errors == [] and result.waits == [] and not result.stopped
    assert result.candidates == [
        Candidate(
            bsky_url("alice.bsky.social", "3kalice1"), "bluesky", "brewbird.io domain:brewbird.io", LINK
        ),
        Candidate(bsky_url("bob.example.com", "3kbob2"), "bluesky", "brewbird.io domain:brewbird.io", LINK),
        Candidate(bsky_url("carol.bsky.social", "3kcarol3"), "bluesky", '"brewbird"', MENTION),
        Candidate(bsky_url("did:plc:dave", "3kdave4"), "bluesky", '"brewbird"', MENTION),
    ]
    login, *searches = api.requests
    assert (login["method"], login["path"]) == ("POST", "/xrpc/com.atproto.server.createSession")
    assert json.loads(login["body"]) == {"identifier": HANDLE, "password": APP_PASSWORD}
    assert login["headers"]["content-type"] == "application/json"
    assert "authorization" not in login["headers"]
    assert [r["params"] for r in searches] == [
        {"q": "brewbird.io", "domain": "brewbird.io", "sort": "latest", "limit": "100"},
        {"q": '"brewbird"', "sort": "latest", "limit": "100"},
    ]
    for request in searches:
        assert request["method"] == "GET" and request["path"] == "/xrpc/app.bsky.feed.searchPosts"
        assert request["headers"]["authorization"] == "Bearer " + FakeBluesky.TOKEN


def test_bluesky_pages_on_the_cursor_until_there_is_none():
    posts = [bluesky_post(f"u{i}.bsky.social", f"3k{i}") for i in range(250)]
    with FakeBluesky({('"brewbird"', None): posts}) as api:
        result = walk(bluesky(api), TARGET)
    mention_pages = [r["params"].get("cursor") for r in api.requests[1:] if r["params"]["q"] == '"brewbird"']
    assert mention_pages == [None, "100", "200"]
    assert [c.url for c in result.candidates] == [bsky_url(f"u{i}.bsky.social", f"3k{i}") for i in range(250)]


def test_bluesky_since_is_sent_as_an_iso_datetime():
    with FakeBluesky() as api:
        walk(bluesky(api), TARGET, since=date(2025, 1, 1))
    assert [r["params"]["since"] for r in api.requests[1:]] == ["2025-01-01T00:00:00.000Z"] * 2


def test_bluesky_refused_login_stops_the_source():
    with FakeBluesky({("brewbird.io", "brewbird.io"): [bluesky_post("a.bsky.social", "3ka")]}) as api:
        result = walk(bluesky(api, BLUESKY_APP_PASSWORD="wrong-pass-word-xxxx"), TARGET)
    assert result.stopped and result.candidates == [] and len(api.requests) == 1
    assert result.errors == [
        "bluesky: login HTTP 401 AuthenticationRequired (Invalid identifier or password): "
        "the login was refused"
    ]


def test_bluesky_expired_token_stops_the_source():
    with FakeBluesky(
        {("brewbird.io", "brewbird.io"): [bluesky_post("a.bsky.social", "3ka")]}, expire_after=1
    ) as api:
        result = walk(bluesky(api), TARGET)
    assert result.stopped and [c.url for c in result.candidates] == [bsky_url("a.bsky.social", "3ka")]
    assert result.errors == [
        "bluesky: search HTTP 400 ExpiredToken (Token has expired): the session token was refused"
    ]
    assert len(api.requests) == 3


def test_bluesky_rate_limit_waits_until_the_reset_time_of_the_answer():
    with FakeBluesky(
        {("brewbird.io", "brewbird.io"): [bluesky_post("a.bsky.social", "3ka")]}, throttle_first=1
    ) as api:
        result = walk(bluesky(api), TARGET)
    assert result.waits == [42.0]  # ratelimit-reset (a Unix time) minus the answer's Date
    assert result.errors == [] and [c.url for c in result.candidates] == [bsky_url("a.bsky.social", "3ka")]
    assert [r["params"].get("q") for r in api.requests] == [None, "brewbird.io", "brewbird.io", '"brewbird"']


# --- Reddit --------------------------------------------------------------------------------------


def test_reddit_needs_client_id_secret_and_user_agent():
    with pytest.raises(SourceNotConfigured, match="REDDIT_USER_AGENT"):
        RedditSource.from_settings(
            {
                "REDDIT_CLIENT_ID": "a",
                "REDDIT_CLIENT_SECRET": "b",
                "REDDIT_USER_AGENT": "",
                "REDDIT_MIN_INTERVAL": 1,
            }
        )


def test_reddit_gets_an_app_token_then_searches_links_and_mentions():
    link_posts = [
        reddit_post("coffee", "abc1", url="https://brewbird.io/blog/launch"),
        reddit_post("startups", "abc2", url="https://docs.brewbird.io/start"),
    ]
    mention_posts = [
        reddit_post("coffee", "def1"),  # a self post: nothing else to crawl
        reddit_post("news", "def2", url="https://news.example/brewbird-review"),
        reddit_post("pics", "def3", url="https://i.redd.it/x1y2.jpg"),
        {"kind": "t1", "data": {"permalink": "/r/x/comments/zz/c/comment1/"}},
    ]
    with FakeReddit({"site:brewbird.io": link_posts, '"brewbird"': mention_posts}) as api:
        result = walk(reddit(api), TARGET)
    assert result.errors == [] and result.waits == [] and result.pauses == [] and not result.stopped
    rd = "https://www.reddit.com"
    assert result.candidates == [
        Candidate(rd + "/r/coffee/comments/abc1/a_post_abc1/", "reddit", "site:brewbird.io", LINK),
        Candidate(rd + "/r/startups/comments/abc2/a_post_abc2/", "reddit", "site:brewbird.io", LINK),
        Candidate(rd + "/r/coffee/comments/def1/a_post_def1/", "reddit", '"brewbird"', MENTION),
        Candidate(
            rd + "/r/news/comments/def2/a_post_def2/",
            "reddit",
            '"brewbird"',
            MENTION,
            via="https://news.example/brewbird-review",
        ),
        Candidate(rd + "/r/pics/comments/def3/a_post_def3/", "reddit", '"brewbird"', MENTION),
    ]
    token, *searches = api.requests
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    assert (token["method"], token["path"], token["body"]) == (
        "POST",
        "/api/v1/access_token",
        b"grant_type=client_credentials",
    )
    assert token["headers"]["authorization"] == "Basic " + basic
    assert token["headers"]["user-agent"] == REDDIT_UA
    base = {"limit": "100", "sort": "new", "t": "all", "type": "link", "raw_json": "1"}
    assert [r["params"] for r in searches] == [{"q": "site:brewbird.io", **base}, {"q": '"brewbird"', **base}]
    for request in searches:
        assert request["headers"]["authorization"] == "bearer " + FakeReddit.TOKEN
        assert request["headers"]["user-agent"] == REDDIT_UA


def test_reddit_pages_on_after():
    posts = [reddit_post("coffee", f"p{i}") for i in range(230)]
    with FakeReddit({'"brewbird"': posts}) as api:
        result = walk(reddit(api), TARGET)
    assert [r["params"].get("after") for r in api.requests[2:]] == [None, "t3_p99", "t3_p199"]
    assert len(result.candidates) == 230 and result.candidates[-1].url.endswith("/p229/a_post_p229/")


def test_reddit_refused_client_stops_the_source():
    with FakeReddit({"site:brewbird.io": [reddit_post("a", "x")]}) as api:
        result = walk(reddit(api, REDDIT_CLIENT_SECRET="wrong"), TARGET)
    assert result.stopped and result.candidates == [] and len(api.requests) == 1
    assert result.errors == ["reddit: token HTTP 401: the client id or secret was refused"]


def test_reddit_429_is_waited_for_and_a_spent_window_pauses():
    with FakeReddit({"site:brewbird.io": [reddit_post("a", "x")]}, throttle_first=1, remaining=1) as api:
        result = walk(reddit(api), TARGET)
    assert result.waits == [17.0]  # X-Ratelimit-Reset of the 429
    assert result.pauses == [23.0]  # the second search left 0 in the window: wait for its reset
    assert result.errors == [] and [c.url for c in result.candidates] == [
        "https://www.reddit.com/r/a/comments/x/a_post_x/"
    ]


def test_reddit_since_drops_older_posts_and_stops_paging():
    new, old = 1735689600.0, 1735689599.0  # 2025-01-01T00:00:00Z and one second before
    posts = [reddit_post("a", f"n{i}", created=new) for i in range(99)] + [
        reddit_post("a", f"o{i}", created=old) for i in range(50)
    ]
    with FakeReddit({'"brewbird"': posts}) as api:
        result = walk(reddit(api), TARGET, since=date(2025, 1, 1))
    assert len(result.candidates) == 99 and all("/n" in c.url for c in result.candidates)
    assert [r["params"].get("after") for r in api.requests[2:]] == [None]  # page 2 is all older


# --- bad answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "content_type", "body", "expected"),
    [
        (502, "text/html", b"<html><h1>502 Bad Gateway</h1></html>", "HTTP 502"),
        (200, "text/html", b"<html><p>Please sign in</p></html>", "unexpected answer (text/html)"),
        (200, "application/json", b'{"posts": [', "unexpected answer (application/json)"),
        (
            200,
            "application/json",
            b'{"posts": "none", "kind": "Listing", "data": []}',
            "unexpected answer shape",
        ),
    ],
)
def test_a_bad_search_answer_is_a_one_line_error_that_does_not_stop(status, content_type, body, expected):
    answer = SourceAnswer(status, {"content-type": content_type}, body)
    state = {"host": "brewbird.io", "since": None, "token": "t", "q": '"brewbird"', "domain": None}
    for source in (
        BlueskySource({"BLUESKY_API_URL": "http://x", "BLUESKY_MIN_INTERVAL": 1}),
        RedditSource({"REDDIT_API_URL": "http://x", "REDDIT_USER_AGENT": "ua", "REDDIT_MIN_INTERVAL": 1}),
    ):
        result = source.parse(source.search_request(state), answer)
        assert result.candidates == [] and result.next_requests == [] and not result.stop
        assert result.error.startswith(f"{source.name}: ") and expected in result.error
        assert "\n" not in result.error
