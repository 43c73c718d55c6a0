"""Where a rendered page's time goes: Playwright driven directly with the crawler's own page method.

    .venv/bin/python -m bench.breakdown                     # 20 static + 20 JS pages, one at a time
    .venv/bin/python -m bench.breakdown --parallel 8        # 8 at once, as a render crawl does
    .venv/bin/python -m bench.breakdown --fulfil            # main document fulfilled from a prefetch

The pages are bench/corpus.py's (the `render` preset's site: 1,000 pages, 20% JS). Chromium is
launched with the crawler's launch options (backlink_spider.browser.launch_options) and every page
goes through `backlink_spider.render.snapshot_page` with the crawl's RenderOptions from the
project's settings. Measured per page (ms): page creation; navigation (`page.goto`, to `load`);
the network-idle wait; the page script's phases from its `timings` (settle: the DOM-quiet wait,
scroll, clicks, serialise); transfer (what `page.evaluate` took beyond the in-page phases: the
snapshot crossing from Chromium to Python); parse (`parse_html` of the snapshot); page close.
Launch and context creation are measured once (a crawl pays them once per RENDER_CONTEXT_PAGES).
`--fulfil` answers the main document from a body fetched beforehand (what RENDER_REUSE_STATIC does
under render=auto), so navigation costs no second download.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import time
import urllib.request

from playwright.async_api import async_playwright
from scrapy.settings import Settings

from backlink_spider.browser import launch_options
from backlink_spider.extract.dom import parse_html
from backlink_spider.render import PAGEWATCH_JS, RenderOptions, snapshot_page
from bench.corpus import Corpus

PHASES = (
    "new page",
    "navigation",
    "network idle",
    "settle",
    "scroll",
    "clicks",
    "serialise",
    "transfer",
    "parse",
    "close",
)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000


async def one_page(context, url: str, options: dict, body: bytes | None) -> dict[str, float]:
    t = time.perf_counter()
    page = await context.new_page()
    times = {"new page": _ms(t)}
    if body is not None:

        async def fulfil(route) -> None:
            await route.fulfill(status=200, body=body, headers={"content-type": "text/html; charset=utf-8"})

        await page.route(url, fulfil)
    t = time.perf_counter()
    await page.goto(url, wait_until="load")
    times["navigation"] = _ms(t)
    result = await snapshot_page(page, options)
    inner = result["timings"]
    times["network idle"] = inner["networkIdleMs"]
    for key in ("settle", "scroll", "clicks", "serialise"):
        times[key] = inner[f"{key}Ms"]
    times["transfer"] = inner["evaluateMs"] - sum(
        inner[f"{k}Ms"] for k in ("settle", "scroll", "clicks", "serialise")
    )
    t = time.perf_counter()
    parse_html(result["html"])
    times["parse"] = _ms(t)
    t = time.perf_counter()
    await page.close()
    times["close"] = _ms(t)
    times["scrolls"] = inner["scrolls"]
    times["html KB"] = len(result["html"]) / 1024
    return times


async def measure(urls: dict[str, list[str]], browser: str, parallel: int, fulfil: bool) -> dict:
    settings = Settings()
    settings.setmodule("backlink_spider.settings")
    options = RenderOptions.from_settings(settings).page_methods()[0].args[0]
    bodies = {u: urllib.request.urlopen(u).read() for group in urls.values() for u in group} if fulfil else {}
    out: dict = {"parallel": parallel, "fulfil": fulfil, "groups": {}}
    async with async_playwright() as pw:
        t = time.perf_counter()
        chromium = await pw.chromium.launch(**launch_options(settings, browser))
        out["launch ms"] = _ms(t)
        t = time.perf_counter()
        context = await chromium.new_context(service_workers="block", accept_downloads=False)
        await context.add_init_script(PAGEWATCH_JS)  # as the crawl's contexts (browser.py) do
        out["new context ms"] = _ms(t)
        await one_page(context, next(iter(urls.values()))[0], options, None)  # warm-up, not counted
        gate = asyncio.Semaphore(parallel)

        async def gated(url: str) -> dict[str, float]:
            async with gate:
                return await one_page(context, url, options, bodies.get(url))

        for group, group_urls in urls.items():
            t = time.perf_counter()
            rows = await asyncio.gather(*(gated(u) for u in group_urls))
            out["groups"][group] = {"rows": rows, "wall s": _ms(t) / 1000}
        await context.close()
        await chromium.close()
    return out


def report(out: dict) -> str:
    lines = [
        f"launch {out['launch ms']:.0f} ms, new context {out['new context ms']:.0f} ms (once per crawl / "
        f"per RENDER_CONTEXT_PAGES); {out['parallel']} page(s) at once"
        + ("; main document fulfilled from a prefetch" if out["fulfil"] else ""),
        "",
    ]
    groups = out["groups"]
    header = "| phase | " + " | ".join(f"{g}: median ms | {g}: mean ms | {g}: share" for g in groups) + " |"
    lines += [header, "|" + "---|" * (1 + 3 * len(groups))]
    totals = {g: statistics.fmean(sum(r[p] for p in PHASES) for r in d["rows"]) for g, d in groups.items()}
    for phase in (*PHASES, "total"):
        cells = []
        for g, d in groups.items():
            values = [sum(r[p] for p in PHASES) if phase == "total" else r[phase] for r in d["rows"]]
            mean = statistics.fmean(values)
            cells += [f"{statistics.median(values):.0f}", f"{mean:.0f}", f"{mean / totals[g]:.0%}"]
        lines.append(f"| {phase} | " + " | ".join(cells) + " |")
    for g, d in groups.items():
        rows = d["rows"]
        lines.append(
            f"\n{g}: {len(rows)} pages in {d['wall s']:.1f} s = {len(rows) / d['wall s']:.2f} pages/s; "
            f"scrolls per page {statistics.fmean(r['scrolls'] for r in rows):.1f}, "
            f"snapshot {statistics.fmean(r['html KB'] for r in rows):.0f} KB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=20, help="pages of each kind (static, JS)")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--fulfil", action="store_true")
    parser.add_argument("--browser", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--json", help="write the per-page figures here")
    ns = parser.parse_args()
    corpus = Corpus(pages=1000, js_fraction=0.2, seed=1)
    base = corpus.start()
    try:
        static = sorted(corpus.static_paths, key=lambda p: int(p[3:]))[: ns.pages]
        js = sorted(corpus.js_paths, key=lambda p: int(p[3:]))[: ns.pages]
        urls = {"static": [base + p for p in static], "JS": [base + p for p in js]}
        out = asyncio.run(measure(urls, ns.browser, ns.parallel, ns.fulfil))
    finally:
        corpus.stop()
    print(report(out))
    if ns.json:
        with open(ns.json, "w") as handle:
            json.dump(out, handle, indent=1)


if __name__ == "__main__":
    main()
