"""Shared fixtures: the demo web on loopback, and running the real `scrapy crawl`."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from backlink_spider.output import read_records
from demo.serve import DemoWeb, LoopbackHTTPServer
from tests.warehouse_db import postgres_server, warehouse  # noqa: F401  (fixtures shared by every module)

ROOT = Path(__file__).resolve().parent.parent


def project_settings(**overrides) -> dict:
    """The project's settings (backlink_spider/settings.py, where every default is written once)
    with `overrides`: for components built with scrapy.utils.test.get_crawler in unit tests."""
    import backlink_spider.settings as defaults

    return {name: getattr(defaults, name) for name in dir(defaults) if name.isupper()} | overrides


@contextmanager
def serving(handler, address: str = "127.0.0.1") -> Iterator[str]:
    """A LoopbackHTTPServer on `address` and a free port for the duration; yields its base URL."""
    server = LoopbackHTTPServer((address, 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://{address}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def demo_web():
    """The demo web, every site on its own loopback address and a free port."""
    web = DemoWeb(port=0)
    web.start()
    yield web
    web.stop()


@dataclass
class CrawlResult:
    returncode: int
    stdout: str
    stderr: str
    output_dir: Path

    def records(self, record_type: str) -> list[dict]:
        return list(read_records(self.output_dir, record_type))

    crawl_id: str = "test"

    @property
    def stats(self) -> dict:
        """The crawl's final stats, as the crawl wrote them (OUTPUT_DIR/stats/<crawl_id>.json)."""
        path = self.output_dir / "stats" / f"{self.crawl_id}.json"
        return orjson.loads(path.read_bytes()) if path.exists() else {}

    def stat(self, name: str) -> int | None:
        """One of the crawl's final stats; None when the stat is absent."""
        return self.stats.get(name)


def demo_settings(web: DemoWeb) -> dict[str, str]:
    """Settings every crawl of the demo web needs (no outside host in a test)."""
    return web.crawl_settings()


def run_crawl(
    args: dict[str, str],
    output_dir: Path,
    settings: dict[str, str] | None = None,
    spider: str = "mentions",
    timeout: float = 300,
) -> CrawlResult:
    """Run `scrapy crawl SPIDER -a k=v ... -s K=V ...` in the project, as a user would.

    Only loopback hosts are fetched unless `settings` say otherwise: a test never reaches outside."""
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in args.items():
        command += ["-a", f"{key}={value}"]
    merged = {
        "OUTPUT_DIR": str(output_dir),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "ALLOWED_HOSTS": "127.*",
        "AUTOTHROTTLE_ENABLED": "False",
        "CRAWL_ID": "test",
        **(settings or {}),
    }
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return CrawlResult(done.returncode, done.stdout, done.stderr, output_dir, merged["CRAWL_ID"])
