"""The Stack Exchange source against a fake API 2.3 on loopback (demo/fakes/stackexchange.py)."""

from __future__ import annotations

import gzip
import json
import zlib
from datetime import date

import pytest

from backlink_spider.sources.base import LINK, MENTION, Candidate, SourceAnswer, SourceSettingError
from backlink_spider.sources.stackexchange import (
    MAX_BODY_BYTES,
    StackExchangeSource,
    site_root,
)
from backlink_spider.target import Target
from demo.fakes.drive import walk
from demo.fakes.stackexchange import FakeStackExchange, excerpt_answer, excerpt_question, question

TARGET = Target.parse("brewbird.io")
ADVANCED = "search/advanced url=*brewbird.io* on stackoverflow"
EXCERPTS = 'search/excerpts q="brewbird" on stackoverflow'


def settings(se: FakeStackExchange | None = None, **overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "STACKEXCHANGE_API_URL": se.base_url if se else "http://127.0.0.1:9/2.3",
        "STACKEXCHANGE_SITES": ["stackoverflow"],
        "STACKEXCHANGE_KEY": "",
        "STACKEXCHANGE_MIN_INTERVAL": 1.0,
        "DISCOVERY_MAX_WAIT": 120,
    }
    values.update(overrides)
    return values


def source(se: FakeStackExchange | None = None, **overrides: object) -> StackExchangeSource:
    made = StackExchangeSource.from_settings(settings(se, **overrides))
    assert isinstance(made, StackExchangeSource)
    return made


def params(method: str, page: int, search: dict[str, str], site: str = "stackoverflow", **extra: str):
    return {
        "order": "desc",
        "sort": "creation",
        **search,
        "site": site,
        "filter": "default",
        "pagesize": "100",
        "page": str(page),
        **extra,
    }


LINK_SEARCH = {"url": "*brewbird.io*"}
TERM_SEARCH = {"q": '"brewbird"'}


def test_links_and_mentions_follow_has_more_through_an_empty_page() -> None:
    with FakeStackExchange(
        advanced={"stackoverflow": [[question(1), question(2)], [], [question(3)]]},
        excerpts={"stackoverflow": [[excerpt_question(10), excerpt_answer(11, 10)]]},
    ) as se:
        result = walk(source(se), TARGET)
    assert result.errors == [] and not result.stopped
    assert result.candidates == [
        Candidate("https://stackoverflow.com/questions/1/how-to-brew", "stackexchange", ADVANCED, LINK),
        Candidate("https://stackoverflow.com/questions/2/how-to-brew", "stackexchange", ADVANCED, LINK),
        Candidate("https://stackoverflow.com/q/10", "stackexchange", EXCERPTS, MENTION),
        Candidate("https://stackoverflow.com/a/11", "stackexchange", EXCERPTS, MENTION),
        Candidate("https://stackoverflow.com/questions/3/how-to-brew", "stackexchange", ADVANCED, LINK),
    ]
    assert [(r["path"], r["params"]) for r in se.requests] == [
        ("/search/advanced", params("advanced", 1, LINK_SEARCH)),
        ("/search/excerpts", params("excerpts", 1, TERM_SEARCH)),
        ("/search/advanced", params("advanced", 2, LINK_SEARCH)),
        ("/search/advanced", params("advanced", 3, LINK_SEARCH)),
    ]
    for request in se.requests:
        assert request["headers"]["User-Agent"] == "backlink-spider-test"  # the crawl's, untouched
        assert request["headers"]["Accept-Encoding"] == "gzip, deflate"
    assert result.pauses == [] and result.waits == []


def test_every_site_and_brand_term_is_asked_and_links_are_built_on_the_right_host() -> None:
    target = Target.parse("brewbird.io", brand="BrewBird,Brew Bird")
    with FakeStackExchange(
        advanced={"superuser": [[question(5, "https://superuser.com/questions/5/brew")]]},
        excerpts={"webapps": [[excerpt_answer(77, 70), excerpt_question(70)]]},
    ) as se:
        result = walk(source(se, STACKEXCHANGE_SITES="superuser, webapps"), target)
    assert [r.query for r in result.requests] == [
        "search/advanced url=*brewbird.io* on superuser",
        'search/excerpts q="BrewBird" on superuser',
        'search/excerpts q="Brew Bird" on superuser',
        "search/advanced url=*brewbird.io* on webapps",
        'search/excerpts q="BrewBird" on webapps',
        'search/excerpts q="Brew Bird" on webapps',
    ]
    assert result.candidates == [
        Candidate("https://superuser.com/questions/5/brew", "stackexchange", result.requests[0].query, LINK),
        Candidate(
            "https://webapps.stackexchange.com/a/77", "stackexchange", result.requests[4].query, MENTION
        ),
        Candidate(
            "https://webapps.stackexchange.com/q/70", "stackexchange", result.requests[4].query, MENTION
        ),
        Candidate(
            "https://webapps.stackexchange.com/a/77", "stackexchange", result.requests[5].query, MENTION
        ),
        Candidate(
            "https://webapps.stackexchange.com/q/70", "stackexchange", result.requests[5].query, MENTION
        ),
    ]
    assert se.requests[2]["params"]["q"] == '"Brew Bird"'


def test_key_and_since_are_sent() -> None:
    with FakeStackExchange(
        advanced={"stackoverflow": [[question(1)], [question(2)]]}, valid_keys=("Kx0((",)
    ) as se:
        result = walk(source(se, STACKEXCHANGE_KEY=" Kx0(( "), TARGET, since=date(2024, 3, 1))
    assert result.errors == []
    assert se.requests[0]["params"] == params("advanced", 1, LINK_SEARCH, fromdate="1709251200", key="Kx0((")
    assert se.requests[1]["params"] == params("excerpts", 1, TERM_SEARCH, fromdate="1709251200", key="Kx0((")
    assert se.requests[2]["params"] == params("advanced", 2, LINK_SEARCH, fromdate="1709251200", key="Kx0((")
    assert "Kx0((" not in " ".join(r.query for r in result.requests)


def test_backoff_is_a_pause_before_the_next_request() -> None:
    with FakeStackExchange(advanced={"stackoverflow": [[question(1)], [question(2)]]}, backoff={1: 7}) as se:
        result = walk(source(se), TARGET)
    assert result.pauses == [7.0]
    assert result.errors == [] and len(se.requests) == 3
    assert [c.url for c in result.candidates][-1] == "https://stackoverflow.com/questions/2/how-to-brew"


def test_backoff_violation_is_waited_for_then_asked_again() -> None:
    with FakeStackExchange(
        advanced={"stackoverflow": [[question(1)]]}, faults={1: "backoff_violation"}
    ) as se:
        result = walk(source(se), TARGET)
    assert result.waits == [30.0]
    assert result.errors == [] and not result.stopped
    assert [r["params"]["page"] for r in se.requests] == ["1", "1", "1"]  # advanced twice, excerpts
    assert result.candidates[0].url == "https://stackoverflow.com/questions/1/how-to-brew"


def test_quota_remaining_zero_stops_after_keeping_the_last_page() -> None:
    with FakeStackExchange(
        advanced={"stackoverflow": [[question(1)], [question(2)], [question(3)]]}, quota_remaining=2
    ) as se:
        result = walk(source(se), TARGET)
    assert result.stopped
    assert len(se.requests) == 2
    assert [c.url for c in result.candidates] == ["https://stackoverflow.com/questions/1/how-to-brew"]
    assert result.errors == [
        "Stack Exchange daily quota spent (quota_max 300); set STACKEXCHANGE_KEY for 10,000 requests a day"
    ]


def test_quota_throttle_violation_stops() -> None:
    with FakeStackExchange(advanced={"stackoverflow": [[question(1)]]}, faults={1: "quota_throttle"}) as se:
        result = walk(source(se), TARGET)
    assert result.stopped and result.waits == [] and len(se.requests) == 1
    assert result.errors == [
        "Stack Exchange throttle_violation (502): too many requests from this IP, "
        "more requests available in 82216 seconds"
    ]


def test_a_short_throttle_violation_is_waited_for() -> None:
    answer = SourceAnswer(
        400,
        {"content-type": "application/json; charset=utf-8"},
        b'{"error_id":502,"error_message":"too many requests from this IP, more requests available '
        b'in 40 seconds","error_name":"throttle_violation"}',
    )
    result = source().parse(source().start_requests(TARGET, None)[0], answer)
    assert result.retry_after == 40.0 and not result.stop


def test_a_refused_key_stops() -> None:
    with FakeStackExchange(advanced={"stackoverflow": [[question(1)]]}, valid_keys=("good",)) as se:
        result = walk(source(se, STACKEXCHANGE_KEY="bad"), TARGET)
    assert result.stopped and len(se.requests) == 1
    assert result.errors == ["Stack Exchange bad_parameter (400): key"]
    assert result.candidates == []


def test_an_unknown_site_fails_that_site_only() -> None:
    with FakeStackExchange(advanced={"superuser": [[question(4)]]}) as se:
        result = walk(source(se, STACKEXCHANGE_SITES=["nosuchsite", "superuser"]), TARGET)
    assert not result.stopped
    assert result.errors == ["Stack Exchange bad_parameter (400): No site found for name `nosuchsite`"] * 2
    assert [c.url for c in result.candidates] == ["https://stackoverflow.com/questions/4/how-to-brew"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("error", "Stack Exchange HTTP 503"),
        ("garbage", "Stack Exchange unexpected answer (application/json): "),
        ("html", "Stack Exchange unexpected answer (text/html): '<!DOCTYPE html>"),
    ],
)
def test_bad_answers_are_one_line_errors(fault: str, error: str) -> None:
    with FakeStackExchange(
        advanced={"stackoverflow": [[question(1)]]},
        excerpts={"stackoverflow": [[excerpt_question(9)]]},
        faults={1: fault},
    ) as se:
        result = walk(source(se), TARGET)
    assert not result.stopped and len(se.requests) == 2
    assert len(result.errors) == 1 and result.errors[0].startswith(error)
    assert "\n" not in result.errors[0]
    assert [c.url for c in result.candidates] == ["https://stackoverflow.com/q/9"]


def test_without_a_key_paging_stops_at_page_25() -> None:
    pages = [[question(n)] for n in range(1, 31)]
    with FakeStackExchange(advanced={"stackoverflow": pages}) as se:
        result = walk(source(se), TARGET)
    advanced = [r for r in se.requests if r["path"] == "/search/advanced"]
    assert [r["params"]["page"] for r in advanced] == [str(n) for n in range(1, 26)]
    assert result.errors == [] and len(result.candidates) == 25
    with FakeStackExchange(advanced={"stackoverflow": pages}) as se:
        result = walk(source(se, STACKEXCHANGE_KEY="k"), TARGET)
    assert len([r for r in se.requests if r["path"] == "/search/advanced"]) == 30
    assert result.errors == [] and len(result.candidates) == 30


def test_items_of_wrong_types_and_target_links_are_skipped() -> None:
    items = [
        "not-a-dict",
        {"item_type": "answer"},
        {"item_type": "answer", "answer_id": True, "question_id": 8},
        {"question_id": "12"},
        {"question_id": 13, "link": "javascript:alert(1)"},
        {"question_id": 14, "link": "https://blog.brewbird.io/from-the-api"},
        {"item_type": "question", "question_id": 15},
        {"item_type": "question", "question_id": 15},
    ]
    body = json.dumps({"items": items, "has_more": "yes", "quota_max": 300, "quota_remaining": 9}).encode()
    request = source().start_requests(TARGET, None)[1]
    result = source().parse(request, SourceAnswer(200, {"content-type": "application/json"}, body))
    assert [c.url for c in result.candidates] == [
        "https://stackoverflow.com/q/8",
        "https://stackoverflow.com/q/13",
        "https://stackoverflow.com/q/15",
    ]
    assert result.next_requests == [] and result.error is None  # has_more must be true, not truthy
    missing = source().parse(request, SourceAnswer(200, {}, b'{"items":{"a":1},"has_more":true}'))
    assert missing.error == "Stack Exchange answer has no `items` list"


def test_target_on_stack_exchange_itself_gives_no_candidates() -> None:
    with FakeStackExchange(advanced={"stackoverflow": [[question(1)]]}) as se:
        result = walk(source(se), Target.parse("stackoverflow.com"))
    assert se.requests[0]["params"]["url"] == "*stackoverflow.com*"
    assert result.candidates == []


def test_bodies_are_read_decoded_gzip_or_deflate() -> None:
    data = json.dumps({"items": [excerpt_answer(3, 2)], "has_more": False, "quota_remaining": 5}).encode()
    request = source().start_requests(TARGET, None)[1]
    expected = ["https://stackoverflow.com/a/3"]
    for headers, body in [
        ({}, data),  # already decoded by Scrapy
        ({"content-encoding": "gzip"}, gzip.compress(data)),
        ({}, gzip.compress(data)),  # gzip without the header: found by its magic number
        ({"content-encoding": "deflate"}, zlib.compress(data)),
        ({"content-encoding": "deflate"}, zlib.compress(data)[2:-4]),  # raw deflate
    ]:
        result = source().parse(request, SourceAnswer(200, headers, body))
        assert [c.url for c in result.candidates] == expected, headers
    bomb = gzip.compress(b" " * (MAX_BODY_BYTES + 1))
    result = source().parse(request, SourceAnswer(200, {"content-encoding": "gzip"}, bomb))
    assert (
        result.error
        == f"Stack Exchange answer could not be decompressed: gzip: more than {MAX_BODY_BYTES} bytes"
    )
    broken = source().parse(request, SourceAnswer(200, {"content-encoding": "deflate"}, b"\x00\x01junk"))
    assert broken.error == "Stack Exchange answer could not be decompressed: deflate: invalid data"


def test_http_429_with_retry_after_is_a_throttle() -> None:
    request = source().start_requests(TARGET, None)[0]
    result = source().parse(request, SourceAnswer(429, {"retry-after": "12"}, b"Too Many Requests"))
    assert result.retry_after == 12.0


def test_site_roots() -> None:
    assert site_root("stackoverflow") == "https://stackoverflow.com"
    assert site_root("webmasters") == "https://webmasters.stackexchange.com"
    assert site_root("ru.stackoverflow") == "https://ru.stackoverflow.com"
    assert site_root("meta") == "https://meta.stackexchange.com"
    assert site_root("meta.webapps") == "https://webapps.meta.stackexchange.com"
    assert site_root("meta.superuser") == "https://meta.superuser.com"
    assert site_root("mathoverflow.net") == "https://mathoverflow.net"


def test_settings_are_checked() -> None:
    assert source(STACKEXCHANGE_MIN_INTERVAL="2.5").min_interval == 2.5
    with pytest.raises(SourceSettingError, match="STACKEXCHANGE_SITES"):
        source(STACKEXCHANGE_SITES=[])
    with pytest.raises(SourceSettingError, match="STACKEXCHANGE_API_URL"):
        source(STACKEXCHANGE_API_URL="api.stackexchange.com/2.3")
    with pytest.raises(SourceSettingError, match="STACKEXCHANGE_MIN_INTERVAL"):
        source(STACKEXCHANGE_MIN_INTERVAL="fast")


def test_defaults_from_settings_py() -> None:
    from backlink_spider import settings as defaults

    made = StackExchangeSource.from_settings(vars(defaults))
    requests = made.start_requests(TARGET, None)
    assert requests[0].url.startswith("https://api.stackexchange.com/2.3/search/advanced?")
    assert len(requests) == 2 * len(defaults.STACKEXCHANGE_SITES)
