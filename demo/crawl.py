"""`make demo`: serve the demo web on loopback, run the real `scrapy crawl mentions` on it, and
print what it found and where the output went.

    python -m demo.crawl [--render auto|always|never] [--output-dir output] [--port 8800] [--seeds]

By default the crawl is the headline command, `scrapy crawl mentions -a target=brewbird.io` with
no seeds: the discovery sources find the pages (their APIs are served by demo/discovery.py as the
demo web's world would answer them). `--seeds` crawls from the demo sites' home pages instead.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from demo.discovery import DemoSources
from demo.serve import COMPETITOR_DOMAIN, DemoWeb
from pipelines.warehouse.load import main as load_main

ROOT = Path(__file__).resolve().parent.parent


def print_outreach_queue(database: Path, limit: int = 5) -> None:
    """The top of the `outreach_queue` view: unlinked-mention pages to write to."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "SELECT source_url, title, mentions, snippet FROM outreach_queue "
            "WHERE target = 'brewbird.io' ORDER BY mentions DESC, source_url LIMIT ?",
            [limit],
        ).fetchall()
    print("\nTop of outreach_queue (pages that mention BrewBird without linking to it):")
    for url, title, mentions, snippet in rows:
        print(f"  - {title or url}\n    {url}\n    {mentions} mention(s): {snippet}")


def print_prospects(database: Path, limit: int = 5) -> None:
    """The top of the `prospects_latest` view: pages that invite a link."""
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        rows = connection.execute(
            "SELECT source_url, kind, niche_relevance, links_to_target FROM prospects_latest "
            "WHERE target = 'brewbird.io' ORDER BY rank_in_target LIMIT ?",
            [limit],
        ).fetchall()
    print("\nTop of prospects_latest (pages that invite a link):")
    for url, kind, relevance, linked in rows:
        niche = "unknown" if relevance is None else f"{relevance:.0%}"
        already = ", links to BrewBird already" if linked else ""
        print(f"  - {kind}: {url}\n    niche relevance {niche}{already}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--render", default="auto", choices=("auto", "always", "never"))
    parser.add_argument("--output-dir", default=str(ROOT / "output"))
    parser.add_argument("--port", type=int, default=8800, help="port of every demo site (0: any free)")
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--seeds", action="store_true", help="crawl from the home pages, no discovery")
    args = parser.parse_args(argv)

    try:
        web = DemoWeb(port=args.port)
        web.start()
    except OSError:
        web = DemoWeb(port=0)  # the fixed port is taken: any free one will do for a demo
        web.start()
    crawl_id = "demo-" + datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    stack = ExitStack()
    try:
        print("Demo web:", ", ".join(f"{name} {url}" for name, url in web.urls.items()), flush=True)
        arguments = {
            "target": "brewbird.io",
            "competitors": COMPETITOR_DOMAIN,  # KettleCraft, served by the rival site
            "depth": args.depth,
            "render": args.render,
        }
        if args.seeds:
            arguments["seeds"] = ",".join(web.seeds)
            discovery = {}
        else:  # the open web's APIs, answering as the demo web's world would
            discovery = stack.enter_context(DemoSources(web)).settings
        settings = {
            # brewbird.io is served on loopback, and nothing outside the demo web is ever fetched
            **web.crawl_settings(),
            **discovery,
            "OUTPUT_DIR": args.output_dir,
            "CRAWL_ID": crawl_id,
            "AUTOTHROTTLE_ENABLED": "False",
            "LOG_LEVEL": "WARNING",
        }
        command = [sys.executable, "-m", "scrapy", "crawl", "mentions"]
        command += [part for key, value in arguments.items() for part in ("-a", f"{key}={value}")]
        command += [part for key, value in settings.items() for part in ("-s", f"{key}={value}")]
        print("Running:", " ".join(command[2:]), flush=True)
        result = subprocess.run(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        if result.returncode != 0:
            print(f"crawl failed with exit status {result.returncode}", file=sys.stderr)
            return result.returncode
    finally:
        stack.close()
        web.stop()
    # The warehouse: load this and earlier demo crawls into DuckDB, show where outreach starts.
    database = Path(args.output_dir) / "warehouse.duckdb"
    print(f"\nLoading {args.output_dir} into {database}:", flush=True)
    if load_main([args.output_dir, "--duckdb", str(database)]) != 0:
        return 1
    print_outreach_queue(database)
    print_prospects(database)
    leads_csv = Path(args.output_dir) / "exports" / f"leads-{crawl_id}.csv"
    if leads_csv.exists():
        print(f"\nLeads for a spreadsheet: {leads_csv.resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
