"""Distributed crawling through Redis (backlink_spider/distributed.py): a real `redis-server` on
loopback, two `scrapy crawl mentions` processes sharing one frontier, compared with one process
without Redis."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import backlink_spider.settings as project_settings
from backlink_spider.output import read_records
from tests.conftest import ROOT, demo_settings

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
needs_redis = pytest.mark.skipif(
    not os.path.exists(REDIS_SERVER), reason="redis-server is not installed (make test-deps)"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    """A throwaway redis-server on a free loopback port, no persistence, stopped at the end."""
    import redis

    workdir = tmp_path_factory.mktemp("redis")
    port = free_port()
    log = open(workdir / "redis.log", "wb")
    server = subprocess.Popen(
        [
            REDIS_SERVER,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
        ],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((workdir / "redis.log").read_text()) from None
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def crawl_command(args: dict[str, str], output_dir: Path, settings: dict[str, str]) -> list[str]:
    """The command line tests.conftest.run_crawl builds (same defaults)."""
    command = [sys.executable, "-m", "scrapy", "crawl", "mentions"]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    merged = {
        "OUTPUT_DIR": str(output_dir),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "ALLOWED_HOSTS": "127.*",
        "AUTOTHROTTLE_ENABLED": "False",
        "CRAWL_ID": "test",
        **settings,
    }
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    return command


def start_crawl(command: list[str], log_path: Path) -> tuple[subprocess.Popen, object]:
    log = open(log_path, "wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT), log


def finish(process: subprocess.Popen, log, timeout: float) -> int:
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
    finally:
        log.close()


def record_keys(output_dir: Path, skip: tuple[str, ...] = ()) -> Counter:
    keys: Counter = Counter()
    for type_dir in output_dir.iterdir() if output_dir.exists() else ():
        if type_dir.is_dir() and type_dir.name not in skip:
            for record in read_records(output_dir, type_dir.name):
                keys[(type_dir.name, record["record_id"])] += 1
    return keys


# --- end to end: two processes, one frontier ----------------------------------------------------


@needs_redis
def test_two_processes_crawl_one_frontier_like_one_process(demo_web, redis_url, tmp_path):
    args = {"target": "brewbird.io", "seeds": ",".join(demo_web.seeds), "depth": "2", "render": "never"}
    base = {**demo_settings(demo_web), "CRAWL_ID": "dist-test"}
    # The demo web answers in milliseconds: whichever process takes the seeds first could crawl
    # everything before the other one (woken once a second) joins in. Fewer requests in flight
    # and a small delay keep both busy; the assertions hold either way.
    shared = {
        **base,
        "REDIS_URL": redis_url,
        "REDIS_IDLE_CLOSE_SECONDS": "2",
        "CONCURRENT_REQUESTS": "4",
        "DOWNLOAD_DELAY": "0.05",
    }
    outs = {name: tmp_path / name for name in ("single", "node1", "node2")}
    runs = {
        # All three at once: the single-process crawl shares nothing (no REDIS_URL).
        "single": start_crawl(crawl_command(args, outs["single"], base), tmp_path / "single.log"),
        "node1": start_crawl(crawl_command(args, outs["node1"], shared), tmp_path / "node1.log"),
        "node2": start_crawl(crawl_command(args, outs["node2"], shared), tmp_path / "node2.log"),
    }
    codes = {name: finish(process, log, timeout=120) for name, (process, log) in runs.items()}
    logs = {name: (tmp_path / f"{name}.log").read_text(errors="replace") for name in runs}
    for name, code in codes.items():
        assert code == 0, f"{name} exited {code}:\n{logs[name][-3000:]}"
    assert "scrapy_redis" not in logs["single"] and "Distributed crawl: worker" not in logs["single"]
    for name in ("node1", "node2"):
        assert "Distributed crawl: worker" in logs[name]

    # `summary` is per process (what that process wrote; identity: the crawl id), not a record of
    # the crawl's findings: each process writes its own, compared below.
    single = record_keys(outs["single"], skip=("summary",))
    node1, node2 = record_keys(outs["node1"], ("summary",)), record_keys(outs["node2"], ("summary",))
    assert single and max(single.values()) == 1
    both = node1 + node2
    assert [key for key, count in both.items() if count > 1] == []  # no record written twice
    assert set(both) == set(single)  # together, exactly what one process finds

    pages1 = [p["url"] for p in read_records(outs["node1"], "page")]
    pages2 = [p["url"] for p in read_records(outs["node2"], "page")]
    assert set(pages1).isdisjoint(pages2)  # no page fetched by both
    # Both processes yielded the six seeds from start(); the shared dupefilter let each through once.
    # (Had the frontier not been shared, both would have crawled everything: duplicates above.)
    all_pages = Counter(pages1 + pages2)
    assert all(all_pages[seed] == 1 for seed in demo_web.seeds)
    print(f"pages: node1 {len(pages1)}, node2 {len(pages2)}")

    summaries = {name: list(read_records(out, "summary")) for name, out in outs.items()}
    assert all(len(found) == 1 for found in summaries.values()), summaries
    assert summaries["node1"][0]["pages"] + summaries["node2"][0]["pages"] == summaries["single"][0]["pages"]


# --- pieces ---------------------------------------------------------------------------------------


def test_without_redis_url_nothing_changes_and_redis_is_not_imported():
    code = (
        "import sys\n"
        "from scrapy.utils.project import get_project_settings\n"
        "from backlink_spider.distributed import RedisAddon\n"
        "settings = get_project_settings()\n"
        "assert 'backlink_spider.distributed.RedisAddon' in settings.getdict('ADDONS')\n"
        "before = dict(settings.copy_to_dict())\n"
        "RedisAddon().update_settings(settings)\n"
        "assert dict(settings.copy_to_dict()) == before\n"
        "assert not settings.get('DEDUPE_SEEN_SET')\n"
        "assert not {'redis', 'scrapy_redis'} & set(sys.modules), sorted(sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def addon_settings(**values: str):
    from scrapy.settings import Settings

    from backlink_spider.distributed import RedisAddon

    settings = Settings({"ADDONS": {}})
    settings.setdict(values, priority="cmdline")
    RedisAddon().update_settings(settings)
    return settings


def test_addon_namespaces_keys_by_spider_and_crawl_id():
    settings = addon_settings(REDIS_URL="redis://127.0.0.1:1/0", CRAWL_ID="acme-2026")
    assert settings["SCHEDULER"] == "backlink_spider.distributed.SharedFrontierScheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings.getbool("SCHEDULER_PERSIST") is True
    assert settings.getint("SCHEDULER_IDLE_BEFORE_CLOSE") == 0
    assert (
        settings["SCHEDULER_QUEUE_KEY"] % {"spider": "mentions"}
        == "backlink_spider:mentions:acme-2026:requests"
    )
    assert settings["SCHEDULER_DUPEFILTER_KEY"] % {"spider": "mentions"} == (
        "backlink_spider:mentions:acme-2026:dupefilter"
    )
    assert settings["DEDUPE_SEEN_SET"] == "backlink_spider.distributed.RedisSeenSet"
    assert settings["DEDUPE_REDIS_KEY"] % {"spider": "mentions"} == "backlink_spider:mentions:acme-2026:seen"
    other = addon_settings(REDIS_URL="redis://127.0.0.1:1/0", CRAWL_ID="100%-other")
    assert (
        other["SCHEDULER_QUEUE_KEY"] % {"spider": "mentions"}
        == "backlink_spider:mentions:100%-other:requests"
    )
    # Command-line settings win over the add-on's.
    assert (
        addon_settings(REDIS_URL="redis://x:1/0", CRAWL_ID="a", SCHEDULER_PERSIST="False").getbool(
            "SCHEDULER_PERSIST"
        )
        is False
    )


def test_addon_refuses_a_distributed_crawl_without_crawl_id():
    from backlink_spider.distributed import DistributedConfigError

    with pytest.raises(DistributedConfigError, match="CRAWL_ID"):
        addon_settings(REDIS_URL="redis://127.0.0.1:1/0")


def make_spider():
    from scrapy.utils.test import get_crawler

    from backlink_spider.spiders.mentions import MentionsSpider
    from tests.conftest import project_settings as with_project_settings

    settings = with_project_settings(CRAWL_ID="pickle-test", ADDONS={}, USER_AGENT="test")
    crawler = get_crawler(MentionsSpider, settings)
    return MentionsSpider.from_crawler(
        crawler, target="brewbird.io", seeds="http://127.0.10.1:8800/", render="never"
    )


def test_rendered_request_survives_the_redis_queue_pickle():
    """The shared queue pickles requests (scrapy-redis): a rendered request carries PageMethods."""
    from scrapy_playwright.page import PageMethod
    from scrapy_redis.queue import PriorityQueue

    spider = make_spider()
    request = spider.page_request(
        "http://127.0.10.2:8800/@marco",
        {"hop": 1},
        spider.parse_page,
        spider.page_failed,
        render_reason="empty-app-root",  # as under render=auto; render=always builds the same
    )
    methods = request.meta["playwright_page_methods"]
    assert request.meta["playwright"] is True and all(isinstance(m, PageMethod) for m in methods)
    methods[-1].result = {"html": "<p>x</p>", "url": request.url}  # as after a render (then a retry)
    queue = PriorityQueue(server=None, spider=spider, key="%(spider)s:test")
    back = queue._decode_request(queue._encode_request(request))
    assert back.url == request.url and back.dont_filter is True and back.priority == request.priority
    assert back.callback == spider.parse_page and back.errback == spider.page_failed
    assert [(m.method, m.args, m.kwargs) for m in back.meta["playwright_page_methods"]] == [
        (m.method, m.args, m.kwargs) for m in methods
    ]
    assert back.meta["playwright_page_methods"][-1].result == methods[-1].result
    assert {k: v for k, v in back.meta.items() if k != "playwright_page_methods"} == {
        k: v for k, v in request.meta.items() if k != "playwright_page_methods"
    }


def test_only_page_requests_go_to_the_shared_queue():
    from backlink_spider import distributed

    spider = make_spider()
    scheduler_cls = distributed.SharedFrontierScheduler
    scheduler = scheduler_cls.__new__(scheduler_cls)
    scheduler.shared_callbacks = set(project_settings.REDIS_SHARED_CALLBACKS)
    assert scheduler.is_shared(spider.crawl_request("http://127.0.10.1:8800/faq", hop=1))
    # Link checks feed state of the process that asked (waiting backlinks): they stay local.
    assert not scheduler.is_shared(spider.link_checker.request("https://brewbird.io/old-kettle-guide"))


@needs_redis
def test_redis_seen_set_is_shared_and_stores_16_byte_digests(redis_url):
    import redis

    from backlink_spider.distributed import RedisSeenSet
    from pipelines.dedupe import MemorySeenSet

    client = redis.Redis.from_url(redis_url)
    key = "backlink_spider:mentions:seen-set-test:seen"
    client.delete(key)
    one, two, memory = RedisSeenSet(client, key), RedisSeenSet(client, key), MemorySeenSet()
    assert one.add("page:abc") is True and memory.add("page:abc") is True
    assert two.add("page:abc") is False and memory.add("page:abc") is False
    assert two.add("backlink:abc") is True and memory.add("backlink:abc") is True
    assert client.smembers(key) == memory._seen  # the same 16-byte digests as in memory
    assert {len(member) for member in client.smembers(key)} == {16}
    client.delete(key)
