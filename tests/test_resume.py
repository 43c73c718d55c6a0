"""Crash-safe resume: a crawl with JOBDIR, killed with SIGKILL at any point and started again with
the same command until it exits 0, ends with the records of an uninterrupted crawl: none lost,
none written twice, every JSONL file valid, no `.partial` file left (design: pipelines/state.py).

The site is served here on loopback: PAGES pages, each answering after 20-50 ms, linking to a few
others and (some) to https://brewbird.io/..., some mentioning BrewBird (with and without a link,
some with a contact address: leads). The kills happen at different points of the crawl (by
records on disk, so a slow machine hits the same phase) and, in one case, twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import orjson
import pytest
from scrapy.utils.test import get_crawler

from pipelines.dedupe import DedupePipeline, DuplicateRecord
from pipelines.jsonl import JsonlWriterPipeline
from pipelines.state import JobState, stored_crawl_id
from tests.conftest import serving

ROOT = Path(__file__).resolve().parent.parent
PAGES = 300


def page_html(n: int) -> str:
    links = sorted({(n * 7 + 1) % PAGES, (n * 13 + 5) % PAGES, min(n + 1, PAGES - 1)} - {n})
    body = [f"<h1>Page {n}</h1>", f"<p>Some text about coffee number {n}, and more words here.</p>"]
    body += [f'<p><a href="/p/{m}">to page {m}</a></p>' for m in links]
    if n % 3 == 0:
        body.append(
            f'<p>We use <a href="https://brewbird.io/feature/{n % 17}">BrewBird {n % 5}</a> daily.</p>'
        )
    if n % 4 == 1:
        body.append("<p>I heard BrewBird is a nice tool for small roasters.</p>")
    if n % 10 == 5:
        body.append(f'<p>Write to <a href="mailto:author{n}@example.org">author{n}@example.org</a>.</p>')
    return (
        f"<!doctype html><html lang=en><head><title>Page {n}</title></head>"
        f"<body><article>{''.join(body)}</article></body></html>"
    )


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path.startswith("/p/") and path[3:].isdigit() and int(path[3:]) < PAGES:
            n = int(path[3:])
            time.sleep((20 + (n * 37) % 31) / 1000)
            body = page_html(n).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
        else:
            body = b"not found"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the crawler was killed
            pass

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site():
    with serving(_Handler) as url:
        yield url


def crawl_command(site: str, output: Path, jobdir: Path | None) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "mentions"]
    for key, value in {
        "target": "brewbird.io",
        "seeds": f"{site}/p/0",
        "depth": "1000",  # never binds: every reachable page is crawled, whatever the order
        "render": "never",
        "check_links": "false",
    }.items():
        command += ["-a", f"{key}={value}"]
    settings = {
        "OUTPUT_DIR": str(output),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "ALLOWED_HOSTS": "127.*",
        "AUTOTHROTTLE_ENABLED": "False",
        "CONCURRENT_REQUESTS": "8",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
        "OUTPUT_ROTATE_RECORDS": "40",  # complete parts and partial ones at any kill
        "REPORT_ENABLED": "False",
        "CRAWL_ID": "resume",
        "LOG_LEVEL": "INFO",
    }
    if jobdir is not None:
        settings["JOBDIR"] = str(jobdir)
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return command


def run(command: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open(log, "ab") as handle:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT)


def lines_on_disk(output: Path) -> int:
    """Record lines in this crawl's files, complete or partial (the kill trigger)."""
    total = 0
    for path in output.rglob("*"):
        if path.is_file() and "summary" not in path.parts and ".jsonl" in path.name:
            with open(path, "rb") as handle:
                total += sum(1 for _ in handle)
    return total


def records(output: Path) -> list[tuple[str, str]]:
    """(type, record_id) of every record in the complete files; each line must parse."""
    found = []
    for path in sorted(output.rglob("*.jsonl")):
        for number, line in enumerate(path.read_bytes().splitlines(keepends=True), 1):
            assert line.endswith(b"\n"), f"{path}:{number}: no newline"
            record = orjson.loads(line)  # raises on an invalid line
            assert record["crawl_id"] == "resume", f"{path}:{number}"
            if record["type"] != "summary":
                found.append((record["type"], record["record_id"]))
    return found


@pytest.fixture(scope="module")
def reference(site, tmp_path_factory):
    """The uninterrupted crawl (no JOBDIR)."""
    output = tmp_path_factory.mktemp("reference")
    log = output.parent / "reference.log"
    started = time.monotonic()
    process = run(crawl_command(site, output, None), log)
    assert process.wait(timeout=120) == 0, log.read_text()[-3000:]
    found = records(output)
    assert len(found) == len(set(found))
    kinds = Counter(kind for kind, _ in found)
    assert kinds["page"] == PAGES and kinds["backlink"] and kinds["mention"] and kinds["lead"], kinds
    return set(found), time.monotonic() - started


# Each case: the stops of one job, each as (when, at least how many, signal); "records": record
# lines on disk (all runs), "seconds": since the process started. After them the same command is
# run until it exits 0.
KILLS = {
    "at-startup": [("seconds", 0.8, signal.SIGKILL)],
    "mid": [("records", 450, signal.SIGKILL)],
    "early-then-late": [("records", 30, signal.SIGKILL), ("records", 350, signal.SIGKILL)],
    # Ctrl-C-like graceful stop (finish reason "shutdown"), then a kill of the resumed run
    "graceful-then-killed": [("records", 150, signal.SIGTERM), ("records", 300, signal.SIGKILL)],
}


def stop_at(process: subprocess.Popen, output: Path, unit: str, amount: float, sig: int) -> None:
    started = time.monotonic()
    while process.poll() is None and time.monotonic() - started < 60:
        if (unit == "seconds" and time.monotonic() - started >= amount) or (
            unit == "records" and lines_on_disk(output) >= amount
        ):
            process.send_signal(sig)
            break
        time.sleep(0.02)
    process.wait(timeout=60)


@pytest.mark.parametrize("case", list(KILLS))
def test_killed_crawl_resumes_to_the_same_records(case, site, reference, tmp_path):
    expected, _ = reference
    output, jobdir, log = tmp_path / "output", tmp_path / "job", tmp_path / "crawl.log"
    command = crawl_command(site, output, jobdir)
    for unit, amount, sig in KILLS[case]:
        process = run(command, log)
        stop_at(process, output, unit, amount, sig)
        if unit == "records" and sig == signal.SIGKILL:  # lands mid-crawl: ~625 records in all
            assert process.returncode == -signal.SIGKILL, log.read_text()[-3000:]
    for _ in range(2):  # started again until it exits 0 (once is enough)
        if run(command, log).wait(timeout=120) == 0:
            break
    else:
        pytest.fail(log.read_text()[-3000:])
    assert not [p for p in output.rglob("*") if p.name.endswith(".partial")]
    found = records(output)
    duplicates = [key for key, count in Counter(found).items() if count > 1]
    assert not duplicates, duplicates[:5]
    assert set(found) == expected, (len(set(found) - expected), len(expected - set(found)))
    log_text = log.read_text()
    if case != "at-startup":
        assert "re-crawling from the seeds" in log_text
        assert "Recovered" in log_text  # the killed run's partial files became parts


def test_finished_job_started_again_writes_nothing(site, tmp_path):
    output, jobdir, log = tmp_path / "output", tmp_path / "job", tmp_path / "crawl.log"
    command = crawl_command(site, output, jobdir)
    assert run(command, log).wait(timeout=120) == 0
    first = sorted(records(output))
    assert run(command, log).wait(timeout=120) == 0
    assert sorted(records(output)) == first


# --- the pieces, driven directly --------------------------------------------------------------


class FakeSpider:
    name = "mentions"

    def __init__(self, crawl_id: str) -> None:
        self.crawl_id = crawl_id


def pipelines(tmp_path: Path, crawl_id: str = "c1", settings: dict | None = None):
    crawler = get_crawler(
        settings_dict={
            "OUTPUT_DIR": str(tmp_path / "out"),
            "JOBDIR": str(tmp_path / "job"),
            "OUTPUT_ROTATE_RECORDS": 3,
            **(settings or {}),
        }
    )
    crawler.spider = FakeSpider(crawl_id)
    return crawler, DedupePipeline.from_crawler(crawler), JsonlWriterPipeline.from_crawler(crawler)


def item(n: int) -> dict:
    return {"type": "page", "record_id": f"r{n}", "crawl_id": "c1", "url": f"https://x.example/{n}"}


def feed(dedupe, writer, numbers) -> None:
    for n in numbers:
        try:
            writer.process_item(dedupe.process_item(item(n)))
        except DuplicateRecord:
            pass


def kill(crawler) -> None:
    """What SIGKILL leaves: nothing closed, nothing committed that was not committed already."""
    state = JobState.for_crawler(crawler)
    state.db.close()  # uncommitted inserts are lost, as with a killed process
    state._lock.close()


def test_partial_files_are_recovered_and_not_written_again(tmp_path):
    crawler, dedupe, writer = pipelines(tmp_path)
    feed(dedupe, writer, range(5))  # one complete part (3) and a partial one (2)
    partial = next((tmp_path / "out").rglob(".*.partial"))
    with open(partial, "ab") as handle:
        handle.write(b'{"type": "page", "record_id": "r99", "url": "htt')  # a torn write
    kill(crawler)

    crawler, dedupe, writer = pipelines(tmp_path)
    assert crawler.stats.get_value("output/recovered_records") == 2
    assert not list((tmp_path / "out").rglob(".*.partial"))
    feed(dedupe, writer, range(8))  # a re-crawl: r0-r4 known, r5-r7 new
    asyncio.run(writer.close_spider())
    JobState.for_crawler(crawler).spider_closed(None, "finished")
    names = sorted(p.name for p in (tmp_path / "out").rglob("*.jsonl"))
    assert names == ["c1-00001.jsonl", "c1-00002.jsonl", "c1-00003.jsonl"]  # 3 + 2 recovered + 3 new
    found = records_of(tmp_path / "out")
    assert sorted(found) == [f"r{n}" for n in range(8)]


def records_of(output: Path) -> list[str]:
    return [
        orjson.loads(line)["record_id"]
        for p in output.rglob("*.jsonl")
        for line in p.read_bytes().splitlines()
    ]


def test_killed_run_discards_scrapys_frontier_and_keeps_the_crawl_id(tmp_path):
    crawler, dedupe, writer = pipelines(tmp_path, crawl_id="20260101T000000Z")
    (tmp_path / "job" / "requests.seen").write_bytes(b"\x00\x14" + b"f" * 20)
    (tmp_path / "job" / "requests.queue").mkdir()
    kill(crawler)
    assert stored_crawl_id(tmp_path / "job") == "20260101T000000Z"
    # started again without CRAWL_ID: the spider made up a new timestamp; the job's id wins
    crawler, dedupe, writer = pipelines(tmp_path, crawl_id="20260101T000500Z")
    assert crawler.spider.crawl_id == "20260101T000000Z"
    assert not (tmp_path / "job" / "requests.seen").exists()
    assert not (tmp_path / "job" / "requests.queue").exists()
    assert crawler.stats.get_value("jobdir/resumed") == 1


def test_a_jobdir_is_used_by_one_process_at_a_time(tmp_path):
    pipelines(tmp_path)
    from pipelines.state import JobDirInUse

    with pytest.raises(JobDirInUse):
        pipelines(tmp_path)
