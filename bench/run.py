"""Benchmark the `mentions` crawler against a synthetic loopback site (bench/corpus.py).

    python -m bench.run --preset static     # 20,000 static pages: mentions never vs bare Scrapy
    python -m bench.run --preset render     # 1,000 pages, 20% JS: never, always, auto
    python -m bench.run --preset memory     # 3,000 pages, always: Chromium RSS over time
    python -m bench.run --preset multisite  # 10 sites on their own hosts: ours x3 and Crawlee x2
    python -m bench.run --preset manysite   # 200 sites of 3 pages: auto twice, always (bench/multirun.py)
    python -m bench.run --pages 2000 --js-fraction 0.1 --modes never,auto --bare --json out.json

Every crawl is its own `scrapy` subprocess, run one after another against the same corpus
server (in this process). Measured per crawl: wall time (process start to exit), pages crawled
(`page` records; for the bare spider its `response_received_count` less robots.txt), pages/s,
peak RSS of the crawl process tree sampled every 0.1 s with psutil (Python process, Chromium =
children whose name contains "chrom", summed per sample, and the whole tree), pages rendered,
and recall of target links and of brand-mention pages against the corpus's ground truth. The
corpus server also counts what it served, so the page sets fetched by different crawls can be
compared (`served` columns) and a robots.txt violation would show.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

from bench.corpus import Corpus
from bench.measure import (
    COMMON_SETTINGS,
    MB,
    ROOT,
    TreeSampler,
    mentions_command,
    norm_target,
    path_of,
    read_records,
    thirds,
)

BARE_SPIDER = ROOT / "bench" / "bare_spider.py"

PRESETS = {
    "static": {
        "pages": 20000,
        "js_fraction": 0.0,
        "modes": ["never", "never:nocheck"],
        "bare": True,
        "bare_memo": True,
    },
    "render": {"pages": 1000, "js_fraction": 0.2, "modes": ["never", "always", "auto"], "bare": False},
    "memory": {"pages": 3000, "js_fraction": 0.2, "modes": ["always"], "bare": False},
}


# --- one crawl --------------------------------------------------------------------------------


@dataclass
class CrawlResult:
    name: str
    kind: str  # bare | mentions
    mode: str | None
    command: list[str]
    returncode: int | None = None
    error: str | None = None
    wall_s: float = 0.0
    scrapy_elapsed_s: float | None = None
    pages: int = 0
    pages_per_s: float = 0.0
    crawl_cpu_s: float = 0.0  # user+sys CPU of the crawl process and its waited-for descendants
    server_cpu_s: float = 0.0  # user+sys CPU of this process (corpus server + sampler) meanwhile
    cpu_ms_per_page: float = 0.0
    responses: int | None = None
    peak_rss_python_mb: float = 0.0
    peak_rss_chromium_mb: float = 0.0
    peak_rss_other_children_mb: float = 0.0
    peak_rss_tree_mb: float = 0.0
    max_chromium_processes: int = 0
    chromium_first_third_mb: float | None = None
    chromium_last_third_mb: float | None = None
    python_first_third_mb: float | None = None
    python_last_third_mb: float | None = None
    samples: int = 0
    served_pages: int = 0  # distinct site pages (/ and /p/*) the server sent in this crawl
    served_requests: int = 0  # all requests the server answered in this crawl
    served_page_requests: int = 0
    served_robots: int = 0
    served_disallowed: int = 0
    served_head: int = 0  # HEAD requests to the site (the crawler's link checks of internal links)
    elsewhere_requests: int = 0  # requests to the other hosts (link checks, the target's sitemap)
    rendered: int | None = None
    rendered_static: int | None = None
    rendered_js: int | None = None
    render_reasons: dict = field(default_factory=dict)
    page_records: int | None = None
    robots_forbidden_records: int | None = None
    page_errors: int | None = None
    backlinks_found: int | None = None
    recall: float | None = None
    recall_static_pages: float | None = None
    recall_js_pages: float | None = None
    false_backlinks: int | None = None
    mention_page_recall: float | None = None
    log_errors: list[str] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    # not serialised
    _found: set = field(default_factory=set, repr=False)
    _page_paths: set = field(default_factory=set, repr=False)
    _served_paths: set = field(default_factory=set, repr=False)
    _chromium_timeline: list = field(default_factory=list, repr=False)
    _python_timeline: list = field(default_factory=list, repr=False)


STAT_KEYS = (
    "response_received_count",
    "downloader/request_count",
    "downloader/response_count",
    "robotstxt/response_count",
    "robotstxt/forbidden",
    "elapsed_time_seconds",
    "memusage/max",
    "request_depth_max",
    "dupefilter/filtered",
    "scheduler/enqueued",
    "item_scraped_count",
    "item_dropped_count",
    "playwright/context_count",
    "render/tabs_opened",
    "render/tabs_reused",
    "finish_reason",
    "log_count/ERROR",
    "log_count/WARNING",
    "retry/count",
)


def run_crawl(
    name: str,
    kind: str,
    mode: str | None,
    corpus: Corpus,
    workdir: Path,
    depth: int,
    browser: str,
    timeout: float,
    py_spy: str | None,
) -> CrawlResult:
    base = corpus.base_url
    outdir = workdir / name
    outdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    if kind == "bare":
        stats_file = outdir / "stats.json"
        command = [
            sys.executable,
            "-m",
            "scrapy",
            "runspider",
            str(BARE_SPIDER),
            "-a",
            f"start={base}/",
            "-a",
            f"stats_out={stats_file}",
        ]
        if mode == "memo":
            command += ["-a", "remember=true"]
        settings = {**COMMON_SETTINGS, "DEPTH_LIMIT": str(depth)}
        for key, value in settings.items():
            command += ["-s", f"{key}={value}"]
        cwd = outdir  # no scrapy.cfg above it: plain Scrapy, not the project's settings
        env.pop("SCRAPY_SETTINGS_MODULE", None)
        env.pop("PYTHONPATH", None)
    else:
        crawl_id = name.replace(":", "-")  # a crawl id has no ':' (never:nocheck)
        stats_file = outdir / "out" / "stats" / f"{crawl_id}.json"  # the crawl's own stats file
        render, _, variant = mode.partition(":")
        command = mentions_command(
            f"{base}/",
            depth,
            render,
            host_aliases=corpus.host_aliases(),
            output_dir=outdir / "out",
            crawl_id=crawl_id,
            browser=browser,
            args=("-a", "check_links=false") if variant == "nocheck" else (),
        )
        cwd = ROOT
        env["PYTHONPATH"] = str(ROOT)
    result = CrawlResult(name=name, kind=kind, mode=mode, command=command)

    corpus.reset_hits()
    log_path = outdir / "crawl.log"
    self_before = resource.getrusage(resource.RUSAGE_SELF)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = TreeSampler(proc.pid)
        sampler.start()
        spy = None
        if py_spy:
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(proc.pid),
                    "--rate",
                    "100",
                    "--format",
                    "raw",
                    "--nonblocking",
                    "-o",
                    str(outdir / "py-spy.txt"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=open(outdir / "py-spy.log", "wb"),
            )
        try:
            result.returncode = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            result.error = f"timed out after {timeout:.0f} s (killed)"
            result.returncode = proc.returncode
        result.wall_s = time.monotonic() - started
        sampler.stop()
        if spy is not None:
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                spy.terminate()

    self_after = resource.getrusage(resource.RUSAGE_SELF)
    children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result.crawl_cpu_s = (children_after.ru_utime + children_after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    result.server_cpu_s = (self_after.ru_utime + self_after.ru_stime) - (
        self_before.ru_utime + self_before.ru_stime
    )
    samples = sampler.samples
    result.samples = len(samples)
    if samples:
        result.peak_rss_python_mb = max(s[1] for s in samples) / MB
        result.peak_rss_chromium_mb = max(s[2] for s in samples) / MB
        result.peak_rss_other_children_mb = max(s[3] for s in samples) / MB
        result.peak_rss_tree_mb = max(s[1] + s[2] + s[3] for s in samples) / MB
        result.max_chromium_processes = max(s[4] for s in samples)
        py = [s[1] for s in samples]
        result.python_first_third_mb, result.python_last_third_mb = thirds(py)
        result._python_timeline = [(round(s[0], 1), round(s[1] / MB, 1)) for s in samples]
        chrom = [s for s in samples if s[2] > 0]
        if chrom:
            # from Chromium's launch to its exit, so the idle start-up does not count as "first third"
            result.chromium_first_third_mb, result.chromium_last_third_mb = thirds([s[2] for s in chrom])
            result._chromium_timeline = [(round(s[0], 1), round(s[2] / MB, 1)) for s in chrom]

    log_text = log_path.read_text(encoding="utf-8", errors="replace")
    result.log_errors = [line for line in log_text.splitlines() if "] ERROR:" in line or "Traceback" in line][
        :20
    ]
    if result.returncode not in (0, None) and not result.error:
        tail = log_text.strip().splitlines()[-15:]
        result.error = f"exit status {result.returncode}: " + " | ".join(tail)

    all_stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    result.stats = {k: all_stats[k] for k in STAT_KEYS if k in all_stats}
    result.scrapy_elapsed_s = all_stats.get("elapsed_time_seconds")
    result.responses = all_stats.get("response_received_count")

    hits = corpus.hits()
    result.served_requests = sum(hits.values())
    result._served_paths = {p for p in hits if p in corpus.all_paths}
    result.served_pages = len(result._served_paths)
    result.served_page_requests = sum(n for p, n in hits.items() if p in corpus.all_paths)
    result.served_robots = hits.get("/robots.txt", 0)
    result.served_disallowed = sum(n for p, n in hits.items() if p.startswith(("/private/", "/search")))
    result.served_head = sum(n for p, n in hits.items() if p.startswith("HEAD "))
    result.elsewhere_requests = sum(corpus.elsewhere_hits().values())

    if kind == "bare":
        robots = all_stats.get("robotstxt/response_count", 0)
        result.pages = (result.responses or 0) - robots
    else:
        out = outdir / "out"
        pages = read_records(out, "page")
        backlinks = read_records(out, "backlink")
        mentions = read_records(out, "mention")
        fetched = [p for p in pages if p.get("status") is not None]
        result.page_records = len(pages)
        result.pages = len(fetched)  # records of pages that got a response (not robots-forbidden ones)
        result._page_paths = {path_of(p["url"]) for p in fetched}
        result.robots_forbidden_records = sum(1 for p in pages if p.get("error") == "Forbidden by robots.txt")
        result.page_errors = sum(1 for p in pages if p.get("error")) - result.robots_forbidden_records
        result.rendered = sum(1 for p in pages if p.get("rendered"))
        result.rendered_js = sum(
            1 for p in pages if p.get("rendered") and path_of(p["url"]) in corpus.js_paths
        )
        result.rendered_static = result.rendered - result.rendered_js
        result.render_reasons = dict(
            Counter(p.get("render_reason") or "-" for p in pages if p.get("rendered"))
        )
        found = {(path_of(b["source_url"]), norm_target(b["target_url"])) for b in backlinks}
        truth = {(p, norm_target(u)) for p, u in corpus.truth_backlinks}
        truth_static = {(p, norm_target(u)) for p, u in corpus.static_truth_backlinks}
        truth_js = truth - truth_static
        result._found = found
        result.backlinks_found = len(found)
        result.recall = len(found & truth) / len(truth) if truth else None
        result.recall_static_pages = len(found & truth_static) / len(truth_static) if truth_static else None
        result.recall_js_pages = len(found & truth_js) / len(truth_js) if truth_js else None
        result.false_backlinks = len(found - truth)
        mention_pages = {path_of(m["source_url"]) for m in mentions}
        if corpus.truth_mention_paths:
            result.mention_page_recall = len(mention_pages & corpus.truth_mention_paths) / len(
                corpus.truth_mention_paths
            )
    result.pages_per_s = result.pages / result.wall_s if result.wall_s else 0.0
    result.cpu_ms_per_page = 1000 * result.crawl_cpu_s / result.pages if result.pages else 0.0
    if not result.error and result.pages == 0:
        result.error = "no pages crawled"
    return result


# --- reporting --------------------------------------------------------------------------------


def _fmt(value: object, spec: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and spec:
        return format(value, spec)
    return str(value)


def table(results: list[CrawlResult]) -> str:
    header = (
        "crawl",
        "wall s",
        "pages",
        "pages/s",
        "CPU ms/page",
        "server CPU s",
        "py RSS MB",
        "chromium MB",
        "tree MB",
        "rendered",
        "recall",
        "served",
        "error",
    )
    rows = [header]
    for r in results:
        rows.append(
            (
                r.name,
                _fmt(r.wall_s, ".1f"),
                _fmt(r.pages),
                _fmt(r.pages_per_s, ".1f"),
                _fmt(r.cpu_ms_per_page, ".2f"),
                _fmt(r.server_cpu_s, ".1f"),
                _fmt(r.peak_rss_python_mb, ".0f"),
                _fmt(r.peak_rss_chromium_mb, ".0f") if r.peak_rss_chromium_mb else "-",
                _fmt(r.peak_rss_tree_mb, ".0f"),
                _fmt(r.rendered),
                f"{r.recall:.1%}" if r.recall is not None else "-",
                _fmt(r.served_pages),
                (r.error or "")[:60],
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def checks(results: list[CrawlResult], corpus: Corpus, preset: str | None) -> list[str]:
    by = {r.name: r for r in results}
    out: list[str] = []
    expected = len(corpus.all_paths)
    out.append(f"site pages (/ and /p/*): {expected}")
    for r in results:
        extra = (
            f"; page records {r.page_records}: {r.pages} fetched, {r.robots_forbidden_records} robots-forbidden"
            if r.kind == "mentions"
            else f"; response_received_count {r.responses} less robots.txt = {r.pages}"
        )
        out.append(
            f"{r.name}: served {r.served_pages} distinct pages in {r.served_page_requests} page requests "
            f"({r.served_requests} requests in all: robots.txt {r.served_robots}, disallowed {r.served_disallowed}, "
            f"HEAD {r.served_head}; {r.elsewhere_requests} requests to other hosts)" + extra
        )
    bare = by.get("bare")
    for never in (by.get("never"), by.get("never:nocheck")):
        if not (bare and never):
            continue
        same = bare._served_paths == never._served_paths
        out.append(
            f"same page set, bare vs {never.name} (server side, GET): {same}; bare {bare.served_pages}, "
            f"{never.name} {never.served_pages}; only bare {len(bare._served_paths - never._served_paths)}, "
            f"only {never.name} {len(never._served_paths - bare._served_paths)}"
        )
        if bare.pages_per_s:
            ratio = never.pages_per_s / bare.pages_per_s
            out.append(
                f"ratio {never.name} pages/s ÷ bare pages/s = {never.pages_per_s:.1f} / {bare.pages_per_s:.1f} "
                f"= {ratio:.2f} (bar ≥ 0.8: {'met' if ratio >= 0.8 else 'NOT met'})"
            )
        memo = by.get("bare:memo")
        if memo and memo.pages_per_s:
            out.append(
                f"for comparison (not the bar): {never.name} pages/s ÷ bare:memo pages/s = "
                f"{never.pages_per_s:.1f} / {memo.pages_per_s:.1f} = {never.pages_per_s / memo.pages_per_s:.2f}"
            )
        out.append(
            f"peak RSS of the {never.name} crawl: {never.peak_rss_python_mb:.0f} MB "
            f"(bar < 400 MB: {'met' if never.peak_rss_python_mb < 400 else 'NOT met'})"
        )
    always, auto = by.get("always"), by.get("auto")
    if always and auto and not always.error and not auto.error:
        common = auto._found & always._found
        share = len(common) / len(always._found) if always._found else 1.0
        time_ratio = auto.wall_s / always.wall_s if always.wall_s else float("nan")
        static_crawled = len(auto._page_paths & corpus.static_paths) or 1
        static_share = (auto.rendered_static or 0) / static_crawled
        out.append(
            f"auto finds {len(common)}/{len(always._found)} = {share:.1%} of the target links that always "
            f"finds (bar 100%: {'met' if share >= 1.0 else 'NOT met'}); auto misses "
            f"{len(always._found - auto._found)}, finds {len(auto._found - always._found)} always does not"
        )
        out.append(
            f"auto wall time ÷ always wall time = {auto.wall_s:.1f} / {always.wall_s:.1f} = {time_ratio:.2f} "
            f"(bar ≤ 0.33: {'met' if time_ratio <= 1 / 3 else 'NOT met'})"
        )
        out.append(
            f"auto rendered {auto.rendered_static} of {static_crawled} static pages = {static_share:.1%} "
            f"(bar ≤ 5%: {'met' if static_share <= 0.05 else 'NOT met'}); rendered {auto.rendered_js} of "
            f"{len(corpus.js_paths)} JS pages"
        )
    for r in results:
        if r.kind != "mentions" or r.error:
            continue
        pages_set = (
            ""
            if r._page_paths == corpus.all_paths
            else (f"; page records miss {len(corpus.all_paths - r._page_paths)} site pages")
        )
        out.append(
            f"{r.name}: recall {r.recall:.1%} (static pages {_pct(r.recall_static_pages)}, JS pages "
            f"{_pct(r.recall_js_pages)}), wrong backlinks {r.false_backlinks}, mention-page recall "
            f"{_pct(r.mention_page_recall)}, rendered {r.rendered} ({r.render_reasons}), page errors "
            f"{r.page_errors}{pages_set}"
        )
        if r.chromium_first_third_mb is not None:
            out.append(
                f"{r.name}: Chromium RSS mean first third {r.chromium_first_third_mb:.0f} MB, last third "
                f"{r.chromium_last_third_mb:.0f} MB (peak {r.peak_rss_chromium_mb:.0f} MB, up to "
                f"{r.max_chromium_processes} processes); Python RSS first third {r.python_first_third_mb:.0f} MB, "
                f"last third {r.python_last_third_mb:.0f} MB"
            )
    return out


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


# --- main -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark the mentions crawler on a synthetic loopback site."
    )
    parser.add_argument("--preset", choices=sorted(PRESETS) + ["manysite", "multisite"])
    parser.add_argument("--pages", type=int)
    parser.add_argument("--js-fraction", type=float)
    parser.add_argument(
        "--modes",
        help="comma-separated: never,always,auto (empty: none); a mode with "
        "the suffix :nocheck runs with -a check_links=false (e.g. never:nocheck)",
    )
    parser.add_argument("--bare", action="store_true", default=None, help="also run the bare Scrapy spider")
    parser.add_argument(
        "--bare-memo",
        action="store_true",
        default=None,
        help="also run the bare spider remembering the URLs it followed (bare:memo; for comparison)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--depth", type=int, help="link hops (default: max(20, the site's BFS depth + 3))")
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--timeout", type=float, default=3600, help="per crawl, seconds")
    parser.add_argument("--py-spy", help="path of py-spy: profile each crawl (slows it; for diagnosis only)")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the crawl output directories")
    ns = parser.parse_args(argv)
    if ns.preset in ("multisite", "manysite"):  # webs of many sites, with Crawlee side by side
        from bench import multirun

        crawls = [m for m in ns.modes.split(",") if m] if ns.modes else None
        return multirun.main(ns.preset, ns.browser, ns.timeout, ns.json, ns.keep, crawls)

    preset = PRESETS.get(
        ns.preset or "", {"pages": 1000, "js_fraction": 0.0, "modes": ["never"], "bare": False}
    )
    pages = ns.pages if ns.pages is not None else preset["pages"]
    js_fraction = ns.js_fraction if ns.js_fraction is not None else preset["js_fraction"]
    modes = [m for m in ns.modes.split(",") if m] if ns.modes is not None else preset["modes"]
    bare = ns.bare if ns.bare is not None else preset["bare"]
    bare_memo = ns.bare_memo if ns.bare_memo is not None else preset.get("bare_memo", False)
    for mode in modes:
        if mode.partition(":")[0] not in ("never", "always", "auto") or mode.partition(":")[2] not in (
            "",
            "nocheck",
        ):
            parser.error(f"unknown mode {mode!r}")

    started_at = datetime.now(UTC)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = bool(
        subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    )
    crawler_version = f"{commit}{' (uncommitted changes)' if dirty else ''}"
    print(f"crawler at commit {crawler_version}", flush=True)
    t0 = time.monotonic()
    corpus = Corpus(pages=pages, js_fraction=js_fraction, seed=ns.seed)
    info = corpus.describe()
    # Slack over the BFS depth: Scrapy's default crawl order is depth-first (LIFO), so a page is
    # often first reached by a longer path than its shortest one, and the duplicate filter then
    # drops the shorter one; with depth = BFS depth (+3 on 20,000 pages, too) both spiders miss
    # some (different) pages. The site is finite: a generous depth makes every crawl fetch it all.
    depth = ns.depth if ns.depth is not None else max(20, corpus.static_depth + 3)
    base = corpus.start()
    print(f"corpus: {base}/ {json.dumps(info)}; crawl depth {depth}", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    crawls = (
        ([("bare", "bare", None)] if bare else [])
        + ([("bare:memo", "bare", "memo")] if bare_memo else [])
        + [(m, "mentions", m) for m in modes]
    )
    results: list[CrawlResult] = []
    try:
        for name, kind, mode in crawls:
            print(f"running {name} ...", flush=True)
            r = run_crawl(name, kind, mode, corpus, workdir, depth, ns.browser, ns.timeout, ns.py_spy)
            results.append(r)
            print(
                f"  {name}: {r.wall_s:.1f} s, {r.pages} pages, {r.pages_per_s:.1f} pages/s, "
                f"peak RSS {r.peak_rss_python_mb:.0f} MB (chromium {r.peak_rss_chromium_mb:.0f} MB)"
                + (f", ERROR {r.error}" if r.error else ""),
                flush=True,
            )
    finally:
        corpus.stop()
    total = time.monotonic() - t0
    print()
    print(table(results))
    print()
    notes = checks(results, corpus, ns.preset)
    for line in notes:
        print("- " + line)
    print(
        f"\ntotal wall time of this run: {total:.0f} s (started {started_at:%Y-%m-%d %H:%M} UTC, "
        f"{psutil.cpu_count()} CPUs); crawl output in {workdir}" + ("" if ns.keep else " (removed)")
    )
    if ns.json:
        doc = {
            "started_at": started_at.isoformat(timespec="seconds"),
            "argv": sys.argv,
            "preset": ns.preset,
            "crawler_commit": crawler_version,
            "cpus": psutil.cpu_count(),
            "corpus": info,
            "depth": depth,
            "total_wall_s": round(total, 1),
            "checks": notes,
            "crawls": [
                {
                    **{k: v for k, v in asdict(r).items() if not k.startswith("_")},
                    "chromium_timeline": r._chromium_timeline,
                    "python_timeline": r._python_timeline,
                }
                for r in results
            ],
        }
        Path(ns.json).write_text(json.dumps(doc, indent=1, default=str))
        print(f"results written to {ns.json}")
    if not ns.keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
