"""`-a help=1` and the hint for a seed URL typed without its scheme, through the real command."""

import re

from backlink_spider.help import MENTIONS_HELP, RECHECK_HELP
from tests.conftest import run_crawl

MENTIONS_ARGUMENTS = [
    "target",
    "seeds",
    "depth",
    "render",
    "brand",
    "brand_case",
    "exclude",
    "context",
    "check_links",
    "max_pages",
    "sources",
    "since",
    "wikis",
    "competitors",
]


def test_help_lists_every_argument_and_exits_before_any_work(tmp_path):
    result = run_crawl({"help": "1"}, tmp_path / "out")
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == MENTIONS_HELP
    # one line each, in this order, then examples
    named = re.findall(r"^  (\w+)=\S+ +\S", result.stdout, flags=re.MULTILINE)
    assert named == MENTIONS_ARGUMENTS
    assert "\nExamples:\n  scrapy crawl mentions -a target=brewbird.io\n" in result.stdout
    assert not (tmp_path / "out").exists()


def test_help_wins_over_other_arguments_even_bad_ones(tmp_path):
    result = run_crawl({"target": "localhost", "depth": "-1", "help": "yes"}, tmp_path / "out")
    assert (result.returncode, result.stdout) == (0, MENTIONS_HELP)


def test_recheck_help(tmp_path):
    result = run_crawl({"help": "1"}, tmp_path / "out", spider="recheck")
    assert (result.returncode, result.stdout) == (0, RECHECK_HELP)
    assert re.findall(r"^  (\w+)=\S+ +\S", result.stdout, flags=re.MULTILINE) == ["target", "known", "render"]


def test_a_seed_url_without_its_scheme_gets_a_hint(tmp_path):
    result = run_crawl({"target": "brewbird.io", "seeds": "www.example.com/blog"}, tmp_path / "out")
    assert result.returncode == 2
    assert result.stderr == (
        "scrapy crawl mentions: error: -a seeds=www.example.com/blog: no such file "
        "(did you mean https://www.example.com/blog?)\n"
    )
    assert not (tmp_path / "out").exists()


def test_a_missing_seed_file_gets_no_url_hint(tmp_path):
    result = run_crawl({"target": "brewbird.io", "seeds": "lists/seeds.txt"}, tmp_path / "out")
    assert (result.returncode, result.stderr) == (
        2,
        "scrapy crawl mentions: error: -a seeds=lists/seeds.txt: no such file\n",
    )
