"""Input that must stop a crawl before any work (issue 12, item 4): a crawl id that is not a plain
file-name part, HOST_ALIASES that are not a JSON object of hosts to origins, and a seeds file
whose bad line must not be echoed whole. One line on stderr, exit status 2, nothing written."""

from __future__ import annotations

import pytest
from scrapy.utils.test import get_crawler

from backlink_spider.arguments import ArgumentError, check_crawl_id, excerpt, parse_host_aliases
from backlink_spider.middlewares import HostAliasMiddleware
from tests.conftest import run_crawl

ARGS = {"target": "x.com", "seeds": "https://x.com/"}
PREFIX = "scrapy crawl mentions: error: "
CRAWL_ID_RULE = (
    "a crawl id is 1 to 128 letters, digits, '.', '_' or '-', not starting with '.' and without '..'"
)


def files_under(path):
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# --- CRAWL_ID -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crawl_id", "shown"),
    [
        ("../evil", "'../evil'"),
        ("../../../evil", "'../../../evil'"),
        ("a/b", "'a/b'"),
        ("a\\b", "'a\\\\b'"),
        (".hidden", "'.hidden'"),
        ("two words", "'two words'"),
    ],
)
def test_a_crawl_id_that_is_not_a_file_name_part_stops_the_crawl(tmp_path, crawl_id, shown):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    result = run_crawl(ARGS, work / "out", {"CRAWL_ID": crawl_id})
    assert result.returncode == 2
    assert result.stderr == f"{PREFIX}CRAWL_ID={shown}: {CRAWL_ID_RULE}\n"
    assert files_under(tmp_path) == ["a", "a/b"]  # nothing written, inside OUTPUT_DIR or outside


def test_scrapyd_job_ids_are_checked_too(tmp_path):
    result = run_crawl({**ARGS, "_job": "../../x"}, tmp_path / "out", {"CRAWL_ID": ""})
    assert result.returncode == 2
    assert result.stderr == f"{PREFIX}-a _job='../../x': {CRAWL_ID_RULE}\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("settings", "args", "name"),
    [
        ({"CRAWL_ID": "6f1e2c1a-8d2b-11ef-9c3e-0242ac120002"}, {}, "6f1e2c1a-8d2b-11ef-9c3e-0242ac120002"),
        ({"CRAWL_ID": ""}, {"_job": "0123456789abcdef0123456789abcdef"}, "0123456789abcdef0123456789abcdef"),
    ],
)
def test_scrapyd_style_ids_still_crawl(tmp_path, settings, args, name):
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": "http://127.0.10.1:9/",
            "render": "never",
            "check_links": "false",
            **args,
        },
        tmp_path / "out",
        settings,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    [page] = result.records("page")
    assert page["crawl_id"] == name
    assert all(p.name.startswith(name) for p in (tmp_path / "out" / "page").rglob("*.jsonl"))


@pytest.mark.parametrize(
    "value",
    ["x\x00y", "x" * 129, "..", ".", "a..b", "é", "a:b", "a;rm -rf", "id\n"],
)
def test_bad_crawl_ids(value):
    with pytest.raises(ArgumentError, match="a crawl id is 1 to 128 letters"):
        check_crawl_id(value)


@pytest.mark.parametrize(
    "value", ["", None, "test", "2026-05-09T07-35-25Z", "job_1.2", "x" * 128, "20260509T073525Z"]
)
def test_good_crawl_ids(value):
    check_crawl_id(value)


# --- HOST_ALIASES ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aliases", "message"),
    [
        (
            "{bad",
            "HOST_ALIASES: not valid JSON (Expecting property name enclosed in double quotes: "
            'line 1 column 2 (char 1)); expected {"host": "http://origin:port"}',
        ),
        ('["brewbird.io"]', 'HOST_ALIASES: expected a JSON object {"host": "http://origin:port"}, not list'),
        (
            '{"brewbird.io/x": "http://127.0.0.1:8080"}',
            "HOST_ALIASES: key 'brewbird.io/x' is not a host name, IP address or *.domain pattern",
        ),
        (
            '{"brewbird.io": "ftp://127.0.0.1"}',
            "HOST_ALIASES['brewbird.io']: 'ftp://127.0.0.1' is not an http(s) URL; "
            "expected an origin like http://10.0.0.5:8080",
        ),
        (
            '{"brewbird.io": "http://127.0.0.1:8080/mirror"}',
            "HOST_ALIASES['brewbird.io']: 'http://127.0.0.1:8080/mirror' has a path, query or fragment; "
            "expected an origin like http://10.0.0.5:8080",
        ),
        (
            '{"brewbird.io": "http://user:s3cret@127.0.0.1"}',
            "HOST_ALIASES['brewbird.io']: the origin must not hold a user name or password; "
            "expected an origin like http://10.0.0.5:8080",
        ),
    ],
)
def test_bad_host_aliases_stop_before_any_work(tmp_path, aliases, message):
    result = run_crawl(ARGS, tmp_path / "out", {"HOST_ALIASES": aliases})
    assert result.returncode == 2
    assert result.stderr == f"{PREFIX}{message}\n"
    assert not (tmp_path / "out").exists()


def test_host_aliases_accept_hosts_patterns_and_origins():
    assert parse_host_aliases(
        '{"BrewBird.io": "http://127.0.0.1:8080/", "*.brewbird.io": "https://10.0.0.5", "10.1.2.3": "http://[::1]:81"}'
    ) == {
        "brewbird.io": "http://127.0.0.1:8080/",
        "*.brewbird.io": "https://10.0.0.5",
        "10.1.2.3": "http://[::1]:81",
    }
    assert parse_host_aliases({}) == {} and parse_host_aliases("") == {} and parse_host_aliases(None) == {}
    for bad in (
        '{"a..b": "http://x"}',
        '{"*": "http://x"}',
        '{"a.com": 8080}',
        '{"a.com": "http://x:99999"}',
    ):
        with pytest.raises(ArgumentError):
            parse_host_aliases(bad)


def test_the_middleware_reads_host_aliases_the_same_way():
    crawler = get_crawler(settings_dict={"HOST_ALIASES": '{"Brewbird.io": "http://127.0.0.1:8080/"}'})
    assert HostAliasMiddleware.from_crawler(crawler).aliases == {"brewbird.io": "http://127.0.0.1:8080"}
    with pytest.raises(ArgumentError, match="^HOST_ALIASES: not valid JSON"):
        HostAliasMiddleware.from_crawler(get_crawler(settings_dict={"HOST_ALIASES": "{bad"}))


# --- seeds files: never echo a whole line -------------------------------------------------------------

SECRET = "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY"


def test_a_credentials_file_given_as_seeds_is_not_echoed(tmp_path):
    seeds = tmp_path / "credentials"
    seeds.write_text(f"[default]\n{SECRET}\n")
    result = run_crawl({"target": "brewbird.io", "seeds": str(seeds)}, tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == f"{PREFIX}-a seeds: {seeds}: '[default]' is not an http(s) URL\n"
    seeds.write_text(f"http://127.0.10.1:9/\n{SECRET}\n")
    result = run_crawl({"target": "brewbird.io", "seeds": str(seeds)}, tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == f"{PREFIX}-a seeds: {seeds}: 'AWS_SECRET_A…' is not an http(s) URL\n"
    assert SECRET[12:] not in result.stderr and "wJalr" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_excerpts_are_cut_after_twelve_characters():
    assert excerpt("not-a-url") == "'not-a-url'"
    assert excerpt("123456789012") == "'123456789012'"
    assert excerpt("1234567890123") == "'123456789012…'"
    assert excerpt(SECRET) == "'AWS_SECRET_A…'"
