"""Crawl seeds with Crawlee for Python (1.11) and write what it found, for bench/multirun.py.

Runs with the benchmark's own environment (`make bench-crawlee`), not the project's:

    bench/.venv-crawlee/bin/python bench/crawlee_crawl.py --crawler playwright --seeds seeds.txt \
        --target brewbird.io --depth 4 --concurrency 8 --browser /usr/bin/chromium --out result.json

`--crawler playwright` is PlaywrightCrawler (every page in Chromium); `--crawler adaptive` is
AdaptivePlaywrightCrawler with the parsel static parser (it predicts per URL whether a page needs
the browser, and renders some pages both ways to learn). The same rules as our crawl: links
followed within the seed's origin (`same-origin`: every site is its own host) up to `--depth`
hops, robots.txt obeyed, `--concurrency` pages at once (min = max = desired, so the autoscaled
pool does not start at 1). In the browser, the handler waits for the network to go quiet
(`networkidle`, capped at 5 s like our crawler's first wait) before reading the links: the
client-rendered apps fetch their content after the `load` event that Crawlee's navigation waits
for. Every `<a href>` whose host is the target or a subdomain is a target link.

Output JSON: wall_s (crawler.run only; the interpreter's start-up is in the caller's wall time),
pages, rendered (pages handled in the browser), target_links [[page URL, target URL], ...],
stats (Crawlee's final statistics).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from crawlee import ConcurrencySettings
from crawlee.crawlers import AdaptivePlaywrightCrawler, PlaywrightCrawler
from crawlee.storage_clients import MemoryStorageClient


def is_target(url: str, target: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == target or host.endswith("." + target)


async def crawl(ns: argparse.Namespace) -> dict:
    seeds = [line.strip() for line in Path(ns.seeds).read_text().splitlines() if line.strip()]
    found: set[tuple[str, str]] = set()
    pages: set[str] = set()
    rendered: set[str] = set()
    launch = {"executable_path": ns.browser, "args": ns.browser_arg or []}
    common = {
        "max_crawl_depth": ns.depth,
        "concurrency_settings": ConcurrencySettings(
            min_concurrency=ns.concurrency, desired_concurrency=ns.concurrency, max_concurrency=ns.concurrency
        ),
        "respect_robots_txt_file": True,
        "storage_client": MemoryStorageClient(),
        "request_handler_timeout": timedelta(seconds=60),
        "configure_logging": False,
    }

    def record(url: str, hrefs: list[str]) -> None:
        pages.add(url)
        for href in hrefs:
            absolute = urljoin(url, href)
            if is_target(absolute, ns.target):
                found.add((url, absolute))

    if ns.crawler == "playwright":
        crawler = PlaywrightCrawler(headless=True, browser_launch_options=launch, **common)

        @crawler.router.default_handler
        async def handler(context) -> None:
            try:
                await context.page.wait_for_load_state("networkidle", timeout=5000)
            except Exception:  # noqa: BLE001 - a page that never goes quiet is read as it is
                pass
            hrefs = await context.page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
            url = context.request.loaded_url or context.request.url
            rendered.add(url)
            record(url, hrefs)
            await context.enqueue_links(strategy="same-origin")

    else:
        crawler = AdaptivePlaywrightCrawler.with_parsel_static_parser(
            playwright_crawler_specific_kwargs={"headless": True, "browser_launch_options": launch}, **common
        )

        @crawler.router.default_handler
        async def handler(context) -> None:
            url = context.request.loaded_url or context.request.url
            try:
                page = context.page  # only in the browser sub-crawler
            except Exception:  # noqa: BLE001 - AdaptiveContextError in the static sub-crawler
                page = None
            if page is not None:
                rendered.add(url)
                try:
                    await page.wait_for_load_state("networkidle", timeout=5000)
                except Exception:  # noqa: BLE001
                    pass
            selector = await context.parse_with_static_parser()  # the rendered DOM in the browser
            record(url, selector.css("a[href]::attr(href)").getall())
            await context.enqueue_links(strategy="same-origin")

    started = time.monotonic()
    stats = await crawler.run(seeds)
    wall = time.monotonic() - started
    return {
        "crawler": ns.crawler,
        "wall_s": round(wall, 2),
        "pages": len(pages),
        "rendered": len(rendered),
        "target_links": sorted(found),
        "stats": json.loads(stats.model_dump_json()) if hasattr(stats, "model_dump_json") else str(stats),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Crawl seeds with Crawlee for Python.")
    parser.add_argument("--crawler", choices=("playwright", "adaptive"), required=True)
    parser.add_argument("--seeds", required=True, help="a file of seed URLs, one a line")
    parser.add_argument("--target", required=True)
    parser.add_argument("--depth", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--browser", required=True, help="the Chromium executable")
    parser.add_argument("--browser-arg", action="append", help="a Chromium command-line flag (repeatable)")
    parser.add_argument("--out", required=True)
    ns = parser.parse_args()
    result = asyncio.run(crawl(ns))
    Path(ns.out).write_text(json.dumps(result, indent=1))
    print(
        f"{ns.crawler}: {result['pages']} pages, {len(result['target_links'])} target links, {result['wall_s']} s"
    )


if __name__ == "__main__":
    main()
