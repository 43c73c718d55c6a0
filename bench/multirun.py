"""Side-by-side crawls of the webs of many sites (bench/webs.py): ours and Crawlee for Python's.

    python -m bench.run --preset multisite   # 10 sites x 30 pages: never, always, auto, Crawlee x2
    python -m bench.run --preset manysite    # 200 sites x 3 pages: auto, auto again, always

Every crawl is a subprocess run one after another against the same web (served by this
process): ours is `scrapy crawl mentions` with the sites' home pages as seeds; Crawlee's is
bench/crawlee_crawl.py run with bench/.venv-crawlee's python (`make bench-crawlee`). Measured:
wall time (subprocess start to exit), pages, pages/s, target-link recall against the web's ground
truth, pages rendered (ours: `page` records with `rendered: true`, and the `render/auto/<reason>`
keys of the crawl's stats file), peak Chromium RSS.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import psutil

from backlink_spider.browser import CHROMIUM_ARGS
from bench.corpus import TARGET
from bench.measure import (
    MB,
    RENDER_SETTINGS,
    ROOT,
    TreeSampler,
    mentions_command,
    norm_target,
    path_of,
    read_records,
)
from bench.webs import Web, manysite, multisite

CRAWLEE_PYTHON = ROOT / "bench" / ".venv-crawlee" / "bin" / "python"
CRAWLEE_SCRIPT = ROOT / "bench" / "crawlee_crawl.py"
CRAWLEE_CONCURRENCY = int(RENDER_SETTINGS["RENDER_CONCURRENCY"])  # = the pages ours renders at once

# crawl name -> (kind, render mode or Crawlee crawler, output directory shared with)
PRESETS = {
    "multisite": {
        "web": multisite,
        "depth": 4,
        "crawls": ["never", "always", "auto", "crawlee:playwright", "crawlee:adaptive"],
    },
    # the second auto crawl writes to the first one's output directory: it should reuse the
    # render decisions the first one stored (RENDER_DECISIONS_FILE)
    "manysite": {"web": manysite, "depth": 2, "crawls": ["auto", "auto:again", "always"]},
}


@dataclass
class Result:
    name: str
    wall_s: float = 0.0
    returncode: int | None = None
    error: str | None = None
    pages: int = 0
    pages_per_s: float = 0.0
    rendered: int | None = None
    rendered_static: int | None = None  # pages of static sites rendered
    static_pages: int | None = None  # pages of static sites crawled
    render_stats: dict = field(default_factory=dict)
    found: set = field(default_factory=set)
    recall: float | None = None
    recall_js: float | None = None
    wrong: int = 0
    peak_chromium_mb: float = 0.0
    cpu_s: dict = field(default_factory=dict)  # CPU seconds by kind of process (TreeSampler)
    crawler_wall_s: float | None = None  # Crawlee: crawler.run() alone


def _key(page_url: str, target_url: str) -> tuple[str, str, str]:
    return (urlsplit(page_url).hostname or "", path_of(page_url), norm_target(target_url))


def _run(
    command: list[str], cwd: Path, env: dict, log_path: Path, timeout: float
) -> tuple[int | None, float, float, dict[str, float]]:
    """Run a crawl; (exit status, wall s, peak Chromium RSS MB, CPU seconds by kind of process)."""
    with open(log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        sampler = TreeSampler(proc.pid, interval=0.2)
        sampler.start()
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = None
        wall = time.monotonic() - started
        sampler.stop()
    peak = max((s[2] for s in sampler.samples), default=0) / MB
    return code, wall, peak, sampler.cpu_by_kind()


def run_ours(
    name: str, web: Web, workdir: Path, seeds: Path, depth: int, browser: str, timeout: float
) -> Result:
    mode, _, variant = name.partition(":")
    outdir = workdir / ("out-" + mode)  # "auto:again" shares "auto"'s output directory
    crawl_id = name.replace(":", "-")
    command = mentions_command(
        str(seeds),
        depth,
        mode,
        host_aliases=web.host_aliases(),
        output_dir=outdir,
        crawl_id=crawl_id,
        browser=browser,
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    result = Result(name)
    outdir.mkdir(parents=True, exist_ok=True)
    result.returncode, result.wall_s, result.peak_chromium_mb, result.cpu_s = _run(
        command, ROOT, env, workdir / f"{crawl_id}.log", timeout
    )
    stats_file = outdir / "stats" / f"{crawl_id}.json"
    stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    if result.returncode != 0:
        result.error = f"exit status {result.returncode} (log {workdir / f'{crawl_id}.log'})"
    pages = [
        p
        for p in read_records(outdir, "page")
        if p.get("crawl_id") == crawl_id and p.get("status") is not None
    ]
    backlinks = [b for b in read_records(outdir, "backlink") if b.get("crawl_id") == crawl_id]
    result.pages = len(pages)
    result.rendered = sum(1 for p in pages if p.get("rendered"))
    result.render_stats = {k: v for k, v in sorted(stats.items()) if k.startswith("render/")}
    static = web.page_keys(js=False)
    static_pages = [p for p in pages if _key(p["url"], "")[:2] in static]
    result.static_pages = len(static_pages)
    result.rendered_static = sum(1 for p in static_pages if p.get("rendered"))
    result.found = {_key(b["source_url"], b["target_url"]) for b in backlinks}
    return result


def run_crawlee(
    name: str, web: Web, workdir: Path, seeds: Path, depth: int, browser: str, timeout: float
) -> Result:
    crawler = name.partition(":")[2]
    out = workdir / f"crawlee-{crawler}.json"
    args = list(CHROMIUM_ARGS) + (["--no-sandbox"] if os.geteuid() == 0 else [])
    command = [str(CRAWLEE_PYTHON), str(CRAWLEE_SCRIPT), "--crawler", crawler, "--seeds", str(seeds)]
    command += ["--target", TARGET, "--depth", str(depth), "--concurrency", str(CRAWLEE_CONCURRENCY)]
    command += ["--browser", browser, "--out", str(out)] + [f"--browser-arg={a}" for a in args]
    env = dict(os.environ, CRAWLEE_STORAGE_DIR=str(workdir / f"crawlee-{crawler}-storage"))
    result = Result(name)
    result.returncode, result.wall_s, result.peak_chromium_mb, result.cpu_s = _run(
        command, workdir, env, workdir / f"crawlee-{crawler}.log", timeout
    )
    if result.returncode != 0 or not out.exists():
        result.error = f"exit status {result.returncode} (log {workdir / f'crawlee-{crawler}.log'})"
        return result
    doc = json.loads(out.read_text())
    result.pages = doc["pages"]
    result.rendered = doc["rendered"]
    result.crawler_wall_s = doc["wall_s"]
    result.found = {_key(page, target) for page, target in doc["target_links"]}
    return result


def _score(result: Result, web: Web) -> None:
    truth = {(a, p, norm_target(u)) for a, p, u in web.truth}
    js = {(a, p, norm_target(u)) for a, p, u in web.js_truth}
    result.recall = len(result.found & truth) / len(truth)
    result.recall_js = len(result.found & js) / len(js) if js else None
    result.wrong = len(result.found - truth)
    result.pages_per_s = result.pages / result.wall_s if result.wall_s else 0.0


def table(results: list[Result]) -> str:
    header = (
        "crawl",
        "wall s",
        "pages",
        "pages/s",
        "recall",
        "recall JS",
        "rendered",
        "static rendered",
        "chromium MB",
    )
    rows = [header]
    for r in results:
        static = f"{r.rendered_static}/{r.static_pages}" if r.static_pages is not None else "-"
        rows.append(
            (
                r.name + (f" ({r.error})" if r.error else ""),
                f"{r.wall_s:.1f}",
                str(r.pages),
                f"{r.pages_per_s:.2f}",
                "-" if r.recall is None else f"{r.recall:.2f}",
                "-" if r.recall_js is None else f"{r.recall_js:.2f}",
                "-" if r.rendered is None else str(r.rendered),
                static,
                f"{r.peak_chromium_mb:.0f}" if r.peak_chromium_mb else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def checks(results: list[Result], preset: str) -> list[str]:
    by = {r.name: r for r in results}
    out = []
    for r in results:
        if r.render_stats:
            out.append(f"{r.name}: {json.dumps(r.render_stats)}")
        if r.cpu_s and r.pages:
            total = sum(r.cpu_s.values())
            split = ", ".join(f"{kind} {seconds:.1f}" for kind, seconds in r.cpu_s.items())
            out.append(f"{r.name}: CPU s {split}; {total:.1f} in all, {1000 * total / r.pages:.0f} ms a page")
        if r.crawler_wall_s is not None:
            out.append(f"{r.name}: crawler.run() {r.crawler_wall_s:.1f} s of {r.wall_s:.1f} s wall")
        if r.wrong:
            out.append(f"{r.name}: {r.wrong} target links not in the ground truth")
    always = by.get("always")
    for name in ("auto", "auto:again"):
        auto = by.get(name)
        if not (always and auto) or always.error or auto.error:
            continue
        common = auto.found & always.found
        share = len(common) / len(always.found) if always.found else 1.0
        out.append(
            f"{name} finds {len(common)}/{len(always.found)} = {share:.0%} of the target links always finds "
            f"(bar 100%: {'met' if share >= 1 else 'NOT met'})"
        )
    adaptive, auto = by.get("crawlee:adaptive"), by.get("auto")
    if adaptive and auto and not adaptive.error:
        out.append(
            f"auto wall {auto.wall_s:.1f} s vs Crawlee adaptive {adaptive.wall_s:.1f} s "
            f"(bar auto ≤ adaptive: {'met' if auto.wall_s <= adaptive.wall_s else 'NOT met'})"
        )
    pw = by.get("crawlee:playwright")
    if pw and always and not pw.error and pw.pages_per_s:
        ratio = always.pages_per_s / pw.pages_per_s
        out.append(
            f"always {always.pages_per_s:.2f} pages/s ÷ Crawlee PlaywrightCrawler {pw.pages_per_s:.2f} = {ratio:.2f} "
            f"(bar ≥ 1.5: {'met' if ratio >= 1.5 else 'NOT met'})"
        )
    if preset == "manysite":
        for name in ("auto", "auto:again"):
            r = by.get(name)
            if r and r.static_pages:
                share = r.rendered_static / r.static_pages
                sampled = r.render_stats.get("render/auto/sample", 0)
                out.append(
                    f"{name}: rendered {r.rendered_static} of {r.static_pages} static pages = {share:.1%} "
                    f"(bar ≤ 2%: {'met' if share <= 0.02 else 'NOT met'}); sampled {sampled}"
                    + (
                        f" (bar 0 on the second crawl: {'met' if not sampled else 'NOT met'})"
                        if name != "auto"
                        else ""
                    )
                )
    return out


def main(
    preset: str,
    browser: str,
    timeout: float,
    json_path: str | None,
    keep: bool,
    crawls: list[str] | None = None,
) -> int:
    """Run the preset's crawls (or `crawls`: never, always, auto, auto:again, crawlee:playwright,
    crawlee:adaptive) and print the table; 1 if a crawl failed."""
    spec = PRESETS[preset]
    crawls = crawls or spec["crawls"]
    if any(c.startswith("crawlee:") for c in crawls) and not CRAWLEE_PYTHON.exists():
        print(f"{CRAWLEE_PYTHON} is missing: run `make bench-crawlee` first", file=sys.stderr)
        return 2
    started_at = datetime.now(UTC)
    web: Web = spec["web"]().start()
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{preset}-"))
    seeds = workdir / "seeds.txt"
    seeds.write_text("\n".join(web.seeds) + "\n")
    print(f"{preset}: {json.dumps(web.describe())}; depth {spec['depth']}; output in {workdir}", flush=True)
    results = []
    try:
        for name in crawls:
            print(f"running {name} ...", flush=True)
            run = run_crawlee if name.startswith("crawlee:") else run_ours
            r = run(name, web, workdir, seeds, spec["depth"], browser, timeout)
            _score(r, web)
            results.append(r)
            print(
                f"  {name}: {r.wall_s:.1f} s, {r.pages} pages, recall {r.recall:.2f}"
                + (f", {r.error}" if r.error else "")
            )
    finally:
        web.stop()
    print()
    print(table(results))
    print()
    notes = checks(results, preset)
    for line in notes:
        print("- " + line)
    print(
        f"\nstarted {started_at:%Y-%m-%d %H:%M} UTC, {psutil.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    if json_path:
        doc = {
            "preset": preset,
            "started_at": started_at.isoformat(timespec="seconds"),
            "web": web.describe(),
            "checks": notes,
            "crawls": [{k: v for k, v in r.__dict__.items() if k != "found"} for r in results],
        }
        Path(json_path).write_text(json.dumps(doc, indent=1, default=str))
    if not keep:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if any(r.error for r in results) else 0
