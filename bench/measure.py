"""What the benchmarks share: the settings every crawl gets, the command of a `mentions` crawl,
reading a crawl's records, and sampling the memory and CPU of a crawl's process tree (bench/run.py, bench/multirun.py)."""

from __future__ import annotations

import json
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import psutil

from bench.corpus import TARGET

ROOT = Path(__file__).resolve().parent.parent
MB = 1024 * 1024
# The same politeness settings for every crawl (bare and mentions alike).
COMMON_SETTINGS = {
    "CONCURRENT_REQUESTS": "32",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "32",
    "AUTOTHROTTLE_ENABLED": "False",
    "ROBOTSTXT_OBEY": "True",
    "LOG_LEVEL": "INFO",  # INFO (not WARNING) so that Scrapy's stats dump is in the log
}
# Rendering crawls: 8 pages rendered at once (Crawlee's crawls in multirun.py get the same), within
# the project's default 16 requests at once, so link checks and static fetches take no render place.
RENDER_SETTINGS = {"RENDER_CONCURRENCY": "8", "CONCURRENT_REQUESTS": "16"}


def mentions_command(
    seeds: str,
    depth: int,
    render: str,
    *,
    host_aliases: dict,
    output_dir: Path,
    crawl_id: str,
    browser: str,
    args: tuple[str, ...] = (),
) -> list[str]:
    """`scrapy crawl mentions` of the benchmark's target on loopback sites (HOST_ALIASES maps their
    names to addresses), with the common settings and, when it renders, the rendering ones."""
    settings = {
        **COMMON_SETTINGS,
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.0/8",
        "HOST_ALIASES": json.dumps(host_aliases),
        "OUTPUT_DIR": str(output_dir),
        "CRAWL_ID": crawl_id,
    }
    if render != "never":
        settings.update(RENDER_SETTINGS)
        settings["BROWSER_EXECUTABLE"] = browser
    command = [sys.executable, "-m", "scrapy", "crawl", "mentions", "-a", f"target={TARGET}"]
    command += ["-a", f"seeds={seeds}", "-a", f"depth={depth}", "-a", f"render={render}", *args]
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    return command


# --- sampling ---------------------------------------------------------------------------------


class TreeSampler(threading.Thread):
    """Samples the RSS of a process and its descendants every `interval` seconds, and their CPU
    time by kind of process (`cpu_by_kind`): the crawl itself, Playwright's driver, Chromium's
    browser process, its renderers, and its other processes (GPU, utility, zygote). CPU is each
    process's last sample, so a process that lives less than `interval` is missed; RUSAGE_CHILDREN
    misses more (Chromium's renderers are not reaped by the crawl)."""

    def __init__(self, pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.proc = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int, int, int, int]] = []  # t, python, chromium, other, n_chrom
        self._halt = threading.Event()
        self._proc_names: dict[int, str] = {}
        self._kinds: dict[int, str] = {}
        self._cpu: dict[int, float] = {}

    def _proc_name(self, proc: psutil.Process) -> str:
        name = self._proc_names.get(proc.pid)
        if name is None:
            try:
                name = proc.name()
            except psutil.Error:
                name = ""
            self._proc_names[proc.pid] = name
        return name

    def _kind(self, proc: psutil.Process) -> str:
        kind = self._kinds.get(proc.pid)
        # a renderer starts as a fork of the zygote, and Debian's chromium as a shell script
        if kind is None or kind in ("chromium other", "other"):
            try:
                command = proc.cmdline()
            except psutil.Error:
                return kind or "other"
            line = " ".join(command)
            program = os.path.basename(command[0]) if command else ""
            if proc.pid == self.proc.pid:
                kind = "crawl"
            elif "chrom" in program or "headless_shell" in program:
                kind = (
                    "chromium renderers"
                    if "--type=renderer" in line
                    else "chromium other"
                    if "--type=" in line
                    else "chromium browser"
                )
            elif program == "node" or "playwright" in line and "driver" in line:
                kind = "playwright driver"
            else:
                kind = "other"
            self._kinds[proc.pid] = kind
        return kind

    def cpu_by_kind(self) -> dict[str, float]:
        """CPU seconds (user + system) by kind of process, over the run."""
        totals: dict[str, float] = {}
        for pid, seconds in self._cpu.items():
            kind = self._kinds.get(pid, "other")
            totals[kind] = totals.get(kind, 0.0) + seconds
        return dict(sorted(totals.items()))

    def _account(self, proc: psutil.Process) -> None:
        try:
            times = proc.cpu_times()
        except psutil.Error:
            return
        self._kind(proc)
        self._cpu[proc.pid] = times.user + times.system

    def run(self) -> None:
        start = time.monotonic()
        while not self._halt.is_set():
            try:
                own = self.proc.memory_info().rss
                children = self.proc.children(recursive=True)
            except psutil.Error:
                break
            self._account(self.proc)
            chrom = other = n_chrom = 0
            for child in children:
                try:
                    rss = child.memory_info().rss
                except psutil.Error:
                    continue
                self._account(child)
                if "chrom" in self._proc_name(child).lower():
                    chrom += rss
                    n_chrom += 1
                else:
                    other += rss
            self.samples.append((time.monotonic() - start, own, chrom, other, n_chrom))
            self._halt.wait(self.interval)

    def stop(self) -> None:
        self._halt.set()
        self.join(timeout=5)


def thirds(values: list[int]) -> tuple[float, float]:
    third = max(1, len(values) // 3)
    return statistics.fmean(values[:third]) / MB, statistics.fmean(values[-third:]) / MB


# --- records ----------------------------------------------------------------------------------


def path_of(url: str) -> str:
    """A page URL's path and query: how the benchmarks name a page of one site."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def norm_target(url: str) -> str:
    """A target URL as the benchmarks compare them: scheme and host lowercased, path and query."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{(parts.hostname or '').lower()}{path_of(url)}"


def read_records(output_dir: Path, record_type: str) -> list[dict]:
    records = []
    for path in sorted(output_dir.glob(f"{record_type}/dt=*/*.jsonl")):
        with open(path, "rb") as handle:
            records += [orjson.loads(line) for line in handle if line.strip()]
    return records
