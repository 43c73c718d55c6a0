"""Bad input: one line on stderr, exit status 2, no request and no output."""

import pytest

from tests.conftest import run_crawl


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            {"seeds": "http://127.0.10.1:9/"},
            "missing -a target=DOMAIN (the site to find backlinks and mentions of)",
        ),
        (
            {"target": "localhost", "seeds": "http://127.0.10.1:9/"},
            "target 'localhost' is not a valid domain name",
        ),
        (
            {"target": "http://10.0.0.1/x", "seeds": "http://127.0.10.1:9/"},
            "target 'http://10.0.0.1/x' is an IP address; give the site's domain name",
        ),
        (
            {"target": "brewbird.io", "sources": "none"},
            "nothing to crawl: -a sources=none turns discovery off, so give -a seeds=FILE_OR_URLS",
        ),
        (
            {"target": "brewbird.io", "sources": "wikipedia,altavista"},
            "-a sources: unknown discovery source 'altavista' (known: wikipedia, hackernews, "
            "stackexchange, gdelt, lemmy, searxng, brave, marginalia, mojeek, bluesky, reddit, or none)",
        ),
        (
            {"target": "brewbird.io", "sources": "brave"},
            "-a sources: source 'brave' cannot run: brave needs BRAVE_API_KEY",
        ),
        (
            {"target": "brewbird.io", "since": "last week"},
            "-a since='last week': expected a date, YYYY-MM-DD",
        ),
        (
            {"target": "brewbird.io", "seeds": "/no/such/seeds.txt"},
            "-a seeds=/no/such/seeds.txt: no such file",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/,gopher://x"},
            "-a seeds: 'gopher://x' is not an http(s) URL",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/", "depth": "-1"},
            "-a depth='-1': expected a whole number of link hops, 0 or more",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/", "render": "sometimes"},
            "-a render='sometimes': expected one of auto, always, never",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/", "max_pages": "lots"},
            "-a max_pages='lots': expected a whole number, 0 or more",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/", "brand_case": "upper"},
            "-a brand_case='upper': expected insensitive or sensitive",
        ),
        (
            {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/", "dept": "2"},
            "unknown argument -a dept=... "
            "(known: target, brand, seeds, depth, render, brand_case, exclude, context, check_links, "
            "max_pages, sources, since, wikis, competitors)",
        ),
    ],
)
def test_bad_arguments_stop_before_any_work(tmp_path, args, message):
    result = run_crawl(args, tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == f"scrapy crawl mentions: error: {message}\n"
    assert not (tmp_path / "out").exists()


def test_seed_file_with_a_bad_line_is_named(tmp_path):
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# forum\nhttp://127.0.10.1:9/\n\nnot-a-url  # typo\n")
    result = run_crawl({"target": "brewbird.io", "seeds": str(seeds)}, tmp_path / "out")
    assert result.returncode == 2
    assert (
        result.stderr
        == f"scrapy crawl mentions: error: -a seeds: {seeds}: 'not-a-url' is not an http(s) URL\n"
    )


def test_missing_browser_is_one_line_and_render_never_needs_none(tmp_path):
    args = {"target": "brewbird.io", "seeds": "http://127.0.10.1:9/"}
    result = run_crawl({**args, "render": "always"}, tmp_path / "out", {"BROWSER_EXECUTABLE": "/no/chromium"})
    assert result.returncode == 2
    assert result.stderr == (
        "scrapy crawl mentions: error: BROWSER_EXECUTABLE='/no/chromium' is not an executable file\n"
    )
    result = run_crawl({**args, "render": "never"}, tmp_path / "out", {"BROWSER_EXECUTABLE": "/no/chromium"})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            {"ALLOWED_PRIVATE_NETWORKS": "10.0.0.0/8,intranet"},
            "ALLOWED_PRIVATE_NETWORKS: 'intranet' is not a CIDR network",
        ),
        (
            {"REDIS_URL": "redis://127.0.0.1:9/0", "CRAWL_ID": ""},
            "REDIS_URL is set: give -s CRAWL_ID=NAME, the same on every process, to name the shared crawl",
        ),
        (
            {"GC_THRESHOLDS": "20000,lots"},
            "GC_THRESHOLDS: give up to three whole numbers >= 0 (like 20000,20,100), not ['20000', 'lots']",
        ),
        (
            {"GC_THRESHOLDS": "-1"},
            "GC_THRESHOLDS: give up to three whole numbers >= 0 (like 20000,20,100), not ['-1']",
        ),
        (
            {"PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": "4"},
            "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT is not used by this crawler: set RENDER_CONCURRENCY "
            "(pages rendered at once, each in a browser context of its own)",
        ),
        ({"RENDER_CONCURRENCY": "0"}, "RENDER_CONCURRENCY='0': expected a whole number, 1 or more"),
        ({"RENDER_CONTEXT_PAGES": "many"}, "RENDER_CONTEXT_PAGES='many': expected a whole number, 1 or more"),
    ],
)
def test_bad_settings_stop_before_any_work(tmp_path, settings, message):
    result = run_crawl({"target": "brewbird.io", "seeds": "http://127.0.10.1:9/"}, tmp_path / "out", settings)
    assert result.returncode == 2
    assert result.stderr == f"scrapy crawl mentions: error: {message}\n"
    assert not (tmp_path / "out").exists()


def test_a_crawl_whose_every_page_is_refused_says_why_last(tmp_path):
    # loopback is not opened (the demo README's first command once forgot it): every seed refused
    result = run_crawl(
        {
            "target": "brewbird.io",
            "seeds": "http://127.0.10.1:9/,http://127.0.10.2:9/",
            "check_links": "false",
        },
        tmp_path / "out",
        {"ALLOWED_PRIVATE_NETWORKS": ""},
    )
    assert result.returncode == 0
    assert result.stdout.rstrip().splitlines()[-1] == (
        "  every page was refused: refused: loopback address 127.0.10.1 "
        "(open it with ALLOWED_PRIVATE_NETWORKS)"
    )
