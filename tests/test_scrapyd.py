"""Scrapyd deployment end to end: a real `scrapyd` on loopback with basic auth, the project deployed
with `scrapyd-deploy` (the egg built from this checkout, as on a fresh clone), `mentions` scheduled
on the demo web through the HTTP API, and the JSONL it wrote checked."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from configparser import ConfigParser
from pathlib import Path

import pytest

from backlink_spider.output import read_records
from tests.conftest import ROOT, demo_settings

BIN = Path(sys.executable).parent
USERNAME, PASSWORD = "deploy-test", "s3cret-for-tests-only"
JOB_TIMEOUT = 120
GENERATED_SETUP_PY = "# Automatically created by: scrapyd-deploy"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env() -> dict[str, str]:
    """Our environment without what would change Scrapyd's or a job's behaviour: SCRAPYD_* (they
    override scrapyd.conf), SCRAPY_* (project selection) and PYTHONPATH. Jobs inherit Scrapyd's
    environment; without PYTHONPATH and run outside the checkout, they import our code from the
    deployed egg (on sys.path ahead of the venv's editable install), as on a production host."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SCRAPYD_", "SCRAPY_")) and key != "PYTHONPATH"
    }


class Scrapyd:
    def __init__(self, base_url: str, data: Path) -> None:
        self.base_url = base_url
        self.data = data

    def call(self, path: str, data: list[tuple[str, str]] | None = None, auth: bool = True) -> dict:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)
        if auth:
            token = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def scrapyd(tmp_path_factory):
    """A real Scrapyd (the venv's) on a free loopback port, auth on, every directory in tmp."""
    home = tmp_path_factory.mktemp("scrapyd")
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        "bind_address = 127.0.0.1\n"
        f"http_port = {port}\n"
        f"username = {USERNAME}\n"
        f"password = {PASSWORD}\n"
        f"eggs_dir = {home / 'eggs'}\n"
        f"logs_dir = {home / 'logs'}\n"
        f"dbs_dir = {home / 'dbs'}\n"
        "items_dir =\n"
        "jobs_to_keep = 5\n"
        "max_proc = 2\n"
        "poll_interval = 0.5\n"
    )
    log = open(home / "scrapyd.log", "wb")
    # cwd: Scrapyd reads ./scrapyd.conf, and jobs run there (not in the checkout).
    process = subprocess.Popen(
        [str(BIN / "scrapyd")], cwd=home, env=clean_env(), stdout=log, stderr=subprocess.STDOUT
    )
    server = Scrapyd(f"http://127.0.0.1:{port}/", home)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                assert server.call("daemonstatus.json")["status"] == "ok"
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((home / "scrapyd.log").read_text()) from None
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def deploy(scrapyd: Scrapyd, tmp: Path) -> subprocess.CompletedProcess:
    """`scrapyd-deploy test` run in the checkout. The target `test` ([deploy:test], from a
    scrapy.cfg in $XDG_CONFIG_HOME) inherits project and `$SCRAPYD_USERNAME`-style credentials from
    the checkout's [deploy] and only points at our port. scrapyd-deploy writes a setup.py into the
    checkout when there is none (removed again here); DIST_EXTRA_CONFIG sends setuptools' build/
    and *.egg-info to tmp instead of the checkout."""
    (tmp / "xdg").mkdir()
    (tmp / "xdg" / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {scrapyd.base_url}\n")
    (tmp / "setup.cfg").write_text(
        f"[build]\nbuild_base = {tmp / 'build'}\n"
        f"[egg_info]\negg_base = {tmp}\n"
        f"[bdist_egg]\nbdist_dir = {tmp / 'bdist'}\n"
    )
    env = {
        **clean_env(),
        "XDG_CONFIG_HOME": str(tmp / "xdg"),
        "DIST_EXTRA_CONFIG": str(tmp / "setup.cfg"),
        "SCRAPYD_USERNAME": USERNAME,
        "SCRAPYD_PASSWORD": PASSWORD,
    }
    artifacts = [ROOT / "setup.py", ROOT / "build", ROOT / "project.egg-info"]
    existed = {path: path.exists() for path in artifacts}
    try:
        return subprocess.run(
            [str(BIN / "scrapyd-deploy"), "test", "--version", "test-1"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        setup_py = ROOT / "setup.py"
        if not existed[setup_py] and setup_py.exists():
            if setup_py.read_text().startswith(GENERATED_SETUP_PY):
                setup_py.unlink()
        for path in artifacts[1:]:
            if not existed[path] and path.exists():
                shutil.rmtree(path)
                pytest.fail(f"scrapyd-deploy left {path} in the checkout")


def test_project_deploy_target():
    config = ConfigParser(interpolation=None)
    config.read(ROOT / "scrapy.cfg")
    assert config["deploy"]["url"] == "http://127.0.0.1:6800/"
    assert config["deploy"]["project"] == "backlink_spider"
    assert config["deploy"]["username"] == "$SCRAPYD_USERNAME"
    assert config["deploy"]["password"] == "$SCRAPYD_PASSWORD"


def test_api_refuses_requests_without_valid_credentials(scrapyd):
    for auth in (None, base64.b64encode(f"{USERNAME}:wrong".encode()).decode()):
        request = urllib.request.Request(scrapyd.base_url + "daemonstatus.json")
        if auth:
            request.add_header("Authorization", f"Basic {auth}")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        assert error.value.code == 401
    request = urllib.request.Request(
        scrapyd.base_url + "schedule.json",
        data=urllib.parse.urlencode({"project": "backlink_spider", "spider": "mentions"}).encode(),
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=10)
    assert error.value.code == 401


# (site, path, target_url, position, target_status): the static backlinks of the pages the demo's
# home pages reach at depth 1 (demo/README.md); the forum's and social's are JS-only.
EXPECTED_BACKLINKS = {
    ("resources", "/", "https://brewbird.io/old-kettle-guide", "content", 404),
    ("resources", "/", "https://brewbird.io/guides/cold-brew", "content", 200),
    ("resources", "/", "https://www.brewbird.io/kettles/smart-kettle", "content", 200),
    *{
        ("directory", path, "https://www.brewbird.io/", "footer", 200)
        for path in ("/", "/best-coffee-tools/", "/submit/", "/legal/", "/partners/")
    },
    ("directory", "/partners/", "https://brewbird.io/kettles/smart-kettle", "content", 200),  # link farm
    (
        "directory",
        "/best-coffee-tools/",
        "https://brewbird.io/?utm_source=directory&utm_medium=listing",
        "content",
        200,
    ),
    ("directory", "/best-coffee-tools/", "https://brewbird.io/kettles/smart-kettle", "content", 200),
    ("blog", "/2026/03/cold-brew-at-home/", "https://blog.brewbird.io/guides/cold-brew", "content", 200),
    ("blog", "/2026/03/cold-brew-at-home/", "https://brewbird.io/", "content", 200),
    ("blog", "/2026/03/cold-brew-at-home/", "https://brewbird.io/pricing", "content", 200),
    ("blog", "/2026/03/cold-brew-at-home/", "https://brewbird.io/grinders/burr-grinder-pro", "comment", 200),
    ("news", "/archive/2019/11/smart-kettle-startup-launches/", "https://brewbird.io/", "content", 200),
}


def site_path(web, url: str) -> tuple[str | None, str]:
    for site, base in web.urls.items():
        if url.startswith(base):
            return site, url[len(base) :] or "/"
    return None, url


def test_deploy_schedule_and_crawl(scrapyd, demo_web, tmp_path):
    deployed = deploy(scrapyd, tmp_path)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    answer = json.loads(deployed.stdout.strip().splitlines()[-1])
    assert answer["status"] == "ok" and answer["project"] == "backlink_spider", answer
    assert answer["spiders"] >= 1

    # The egg Scrapyd stored: both packages and the entry point Scrapyd's runner needs.
    (egg,) = (scrapyd.data / "eggs" / "backlink_spider").glob("*.egg")
    with zipfile.ZipFile(egg) as archive:
        names = set(archive.namelist())
        entry_points = archive.read("EGG-INFO/entry_points.txt").decode()
    assert {"backlink_spider/spiders/mentions.py", "backlink_spider/distributed.py"} <= names
    assert {"pipelines/dedupe.py", "pipelines/jsonl.py"} <= names
    assert not any(name.startswith(("tests/", "demo/")) for name in names)
    assert "[scrapy]\nsettings = backlink_spider.settings" in entry_points
    assert "mentions" in scrapyd.call("listspiders.json?project=backlink_spider")["spiders"]

    out = tmp_path / "out"
    settings = {
        **demo_settings(demo_web),  # brewbird.io served by the demo; nothing outside 127.0.10.*
        "OUTPUT_DIR": str(out),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "AUTOTHROTTLE_ENABLED": "False",
    }
    scheduled = scrapyd.call(
        "schedule.json",
        [
            ("project", "backlink_spider"),
            ("spider", "mentions"),
            ("target", "brewbird.io"),
            ("seeds", ",".join(demo_web.seeds)),
            ("depth", "1"),
            ("render", "never"),
            *(("setting", f"{key}={value}") for key, value in settings.items()),
        ],
    )
    assert scheduled["status"] == "ok", scheduled
    job = scheduled["jobid"]

    deadline = time.monotonic() + JOB_TIMEOUT
    try:
        while True:
            jobs = scrapyd.call("listjobs.json?project=backlink_spider")
            finished = [j for j in jobs["finished"] if j["id"] == job]
            if finished:
                break
            assert time.monotonic() < deadline, f"job not finished after {JOB_TIMEOUT}s: {jobs}"
            time.sleep(0.5)
    except BaseException:
        scrapyd.call("cancel.json", [("project", "backlink_spider"), ("job", job)])
        raise

    log = (scrapyd.data / "logs" / "backlink_spider" / "mentions" / f"{job}.log").read_text()
    assert "Spider closed (finished)" in log, log[-3000:]
    # The crawl id is Scrapyd's job id (CRAWL_ID unset): the files are named after it.
    backlinks = list(read_records(out, "backlink", crawl_id=job))
    assert backlinks, log[-3000:]
    assert {b["crawl_id"] for b in backlinks} == {job}
    found = {
        (*site_path(demo_web, b["source_url"]), b["target_url"], b["position"], b["target_status"])
        for b in backlinks
    }
    assert found == EXPECTED_BACKLINKS
    pages = {site_path(demo_web, p["url"]) for p in read_records(out, "page", crawl_id=job)}
    assert {("resources", "/"), ("directory", "/best-coffee-tools/"), ("news", "/")} <= pages
    assert not (scrapyd.data / "items").exists()  # no items_dir: our pipeline wrote the records
