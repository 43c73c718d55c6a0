"""The project as a user installs it: a wheel built from the repository, installed into a fresh virtual
environment, run from a directory that is not the repository.

Offline, so the wheel's dependencies cannot be installed: the fresh environment gets the wheel alone
(`pip install --no-deps`) and a `.pth` file that appends the project environment's site-packages *after*
its own, so `backlink_spider` and `pipelines` are the wheel's copies and everything else (Scrapy,
DuckDB, ...) the project's. A package-data file left out of the wheel, or code that reads a file
relative to the repository, fails here and nowhere else.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import duckdb
import pytest
from scrapy.utils.test import get_crawler

from backlink_spider.help import MENTIONS_HELP
from backlink_spider.records import Backlink, Mention, Page, Record
from pipelines.jsonl import JsonlWriterPipeline

ROOT = Path(__file__).resolve().parent.parent
TARGET = "brewbird.io"
AT = "2026-11-01T10:00:00.000000Z"
CRAWL = "w1"
# the package data pyproject.toml declares, as globs relative to the repository
PACKAGE_DATA = ("backlink_spider/*.js", "backlink_spider/report/templates/*", "pipelines/warehouse/*.sql")


def clean_env(venv: Path) -> dict[str, str]:
    """The environment of a user's shell with `venv` activated: no PYTHONPATH, no user site."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(venv),
        PYTHONNOUSERSITE="1",
        PIP_NO_INDEX="1",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
    )
    return env


def run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


class Installed:
    def __init__(self, wheel: Path, venv: Path, home: Path) -> None:
        self.wheel = wheel
        self.venv = venv
        self.home = home  # a working directory outside the repository
        self.env = clean_env(venv)
        self.python = str(venv / "bin" / "python")

    def run(self, args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
        return run(args, cwd or self.home, self.env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    if importlib.util.find_spec("setuptools") is None:
        pytest.skip(
            "no setuptools (the build backend) in the project environment: no wheel can be built offline"
        )
    tmp = tmp_path_factory.mktemp("wheel")
    # Build from a copy: an in-tree build would leave build/ and *.egg-info in the shared checkout.
    source = tmp / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("backlink_spider", "pipelines"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    dist, home = tmp / "dist", tmp / "home"
    home.mkdir()
    env = clean_env(Path(sys.prefix))
    # --no-build-isolation: the build backend (setuptools) comes from the project environment, offline
    built = run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(source),
        ],
        home,
        env,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    (wheel,) = dist.glob("backlink_spider-*.whl")
    venv = tmp / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)], home, env)
    assert made.returncode == 0, made.stderr
    target = Installed(wheel, venv, home)
    pip = [sys.executable, "-m", "pip", "--python", target.python, "install", "--no-deps", "--no-index"]
    done = run([*pip, str(wheel)], home, target.env)
    assert done.returncode == 0, done.stderr
    site = run([target.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], home, env)
    project_site = sysconfig.get_paths()["purelib"]
    # appended after the fresh environment's own site-packages (a .pth line is added at the end)
    Path(site.stdout.strip(), "project_dependencies.pth").write_text(project_site + "\n")
    return target


def test_the_wheel_carries_every_package_data_file(installed):
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    expected = {str(p.relative_to(ROOT)) for glob in PACKAGE_DATA for p in ROOT.glob(glob) if p.is_file()}
    assert {"backlink_spider/snapshot.js", "pipelines/warehouse/views.sql"} <= expected
    assert expected - names == set()
    assert not [n for n in names if n.startswith(("tests/", "demo/", "bench/"))]


def test_the_installed_packages_are_the_wheels(installed):
    code = "import backlink_spider, pipelines, scrapy; print(backlink_spider.__file__, pipelines.__file__)"
    done = installed.run([installed.python, "-c", code])
    assert done.returncode == 0, done.stderr
    site = installed.venv / "lib"
    for path in done.stdout.split():
        assert Path(path).is_relative_to(site), path
        assert not Path(path).is_relative_to(ROOT / "backlink_spider")


def write_output(out: Path) -> None:
    """A small crawl as the crawler writes it: two linking sites, one unlinked mention."""
    common = {"crawl_id": CRAWL, "target": TARGET, "crawled_at": AT}
    blog, forum = "https://blog.example/review", "https://forum.example/t/1"
    records: list[Record] = [
        Page(**common, url=blog, status=200, rendered=False, title="A review", backlinks=1, mentions=1),
        Page(**common, url=forum, status=200, rendered=False, title="Forum thread", backlinks=1, mentions=1),
        Backlink(
            **common,
            source_url=blog,
            target_url="https://brewbird.io/",
            anchor_text="BrewBird",
            rel=[],
            source_domain="blog.example",
            target_domain=TARGET,
        ),
        Backlink(
            **common,
            source_url=forum,
            target_url="https://brewbird.io/kettle",
            anchor_text="kettle",
            rel=["nofollow"],
            nofollow=True,
            source_domain="forum.example",
            target_domain=TARGET,
            position="comment",
        ),
        Mention(
            **common, source_url=blog, term="brewbird", matched_text="BrewBird", snippet="BrewBird is great"
        ),
    ]
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(out), "OUTPUT_ROTATE_RECORDS": 1000})

    class Spider:
        crawl_id = CRAWL

    crawler.spider = Spider()
    pipeline = JsonlWriterPipeline.from_crawler(crawler)
    for record in records:
        pipeline.process_item(record)
    asyncio.run(pipeline.close_spider())


def test_backlinks_load_and_the_report_run_from_the_wheel(installed, tmp_path):
    out = tmp_path / "output"
    write_output(out)
    loaded = installed.run([str(installed.venv / "bin" / "backlinks-load"), str(out)])
    assert loaded.returncode == 0, loaded.stderr
    assert "[duckdb] backlink: 1 files (1 loaded, 0 unchanged), 2 rows loaded" in loaded.stdout
    views_sql = zipfile.ZipFile(installed.wheel).read("pipelines/warehouse/views.sql").decode()
    views = set(re.findall(r"CREATE OR REPLACE VIEW (\w+)", views_sql))
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as db:
        found = {
            row[0] for row in db.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        }
        assert views and views <= found
        assert db.execute("SELECT count(*) FROM backlink").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM referring_domains").fetchone() == (2,)

    report = installed.run([installed.python, "-m", "backlink_spider.report", str(out), CRAWL])
    assert report.returncode == 0, report.stderr
    path = Path(report.stdout.strip())
    assert path == (out / "reports" / f"{CRAWL}.html").resolve()
    html = path.read_text(encoding="utf-8")
    css = zipfile.ZipFile(installed.wheel).read("backlink_spider/report/templates/report.css").decode()
    assert css.strip().splitlines()[0] in html  # the stylesheet, inlined from package data
    assert "blog.example" in html and "forum.example" in html


def test_scrapy_crawl_from_a_project_directory(installed, tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "scrapy.cfg").write_text("[settings]\ndefault = backlink_spider.settings\n")
    scrapy = [installed.python, "-m", "scrapy", "crawl", "mentions"]
    helped = installed.run([*scrapy, "-a", "help=1"], cwd=project)
    assert (helped.returncode, helped.stderr, helped.stdout) == (0, "", MENTIONS_HELP)
    refused = installed.run(
        [*scrapy, "-a", "target=localhost", "-s", f"OUTPUT_DIR={tmp_path / 'out'}"], project
    )
    assert (refused.returncode, refused.stdout) == (2, "")
    assert refused.stderr == "scrapy crawl mentions: error: target 'localhost' is not a valid domain name\n"
    assert not (tmp_path / "out").exists()
