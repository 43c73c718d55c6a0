"""One page that builds a ~200 MB DOM, crawled with render=always: peak memory of the crawl
process and of Chromium, with the rendered-page limits on (the defaults: DOWNLOAD_MAXSIZE,
RENDER_JS_HEAP_MB, RENDER_PAGE_BUDGET_MS) and off.

    python -m bench.hugedom            # both runs, a table on stdout
    python -m bench.hugedom --mb 100   # a smaller page

"Off" is `-s DOWNLOAD_MAXSIZE=0 -s RENDER_JS_HEAP_MB=0`: the rendered HTML is not cut and the
renderer's JavaScript heap has Chromium's own limit, as before the limits existed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from backlink_spider.output import read_records
from bench.measure import MB, TreeSampler
from demo.serve import LoopbackHTTPServer

ROOT = Path(__file__).resolve().parent.parent


def page(mb: int) -> bytes:
    # 1 KB of text per element, `mb` * 1024 elements: the DOM holds `mb` MB of text.
    return f"""<!DOCTYPE html><html><head><title>Huge</title></head><body>
<p><a href="https://brewbird.io/first">BrewBird</a></p><div id="grow"></div>
<script>
const grow = document.getElementById("grow");
const text = "x".repeat(1000) + " BrewBird ";
for (let i = 0; i < {mb} * 1024; i++) {{
  const d = document.createElement("div"); d.textContent = text + i; grow.appendChild(d);
}}
</script></body></html>""".encode()


def serve(mb: int) -> tuple[LoopbackHTTPServer, str]:
    body = page(mb)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            data = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else body
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = LoopbackHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/huge"


def crawl(url: str, out: Path, limits: bool) -> dict:
    command = [sys.executable, "-m", "scrapy", "crawl", "mentions", "-a", "target=brewbird.io"]
    command += ["-a", f"seeds={url}", "-a", "depth=0", "-a", "render=always", "-a", "check_links=false"]
    settings = {
        "OUTPUT_DIR": str(out),
        "ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32",
        "AUTOTHROTTLE_ENABLED": "False",
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": "120000",
        "LOG_LEVEL": "WARNING",
    }
    if not limits:  # and time for the page to finish building its DOM
        settings.update(DOWNLOAD_MAXSIZE="0", RENDER_JS_HEAP_MB="0", RENDER_PAGE_BUDGET_MS="60000")
    for key, value in settings.items():
        command += ["-s", f"{key}={value}"]
    proc = subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True
    )
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, stderr = proc.communicate(timeout=900)
    sampler.stop()
    pages = list(read_records(out, "page"))
    return {
        "limits": "on (defaults)" if limits else "off",
        "exit": proc.returncode,
        "crawl_peak_mb": max(s[1] for s in sampler.samples) / MB,
        "chromium_peak_mb": max(s[2] for s in sampler.samples) / MB,
        "page": pages[0] if pages else {},
        "stderr": stderr[-400:],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--only", choices=("on", "off"), help="run one of the two crawls")
    ns = parser.parse_args(argv)
    server, url = serve(ns.mb)
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for limits in (True, False):
                if ns.only and ns.only != ("on" if limits else "off"):
                    continue
                rows.append(crawl(url, Path(tmp) / str(limits), limits))
    finally:
        server.shutdown()
    print(f"one page building a {ns.mb} MB DOM, render=always")
    print("| limits | exit | crawl process peak RSS | Chromium peak RSS | page record |")
    print("| --- | --- | --- | --- | --- |")
    for row in rows:
        p = row["page"]
        outcome = p.get("error") or p.get("render_error") or f"status {p.get('status')}"
        print(
            f"| {row['limits']} | {row['exit']} | {row['crawl_peak_mb']:.0f} MB | "
            f"{row['chromium_peak_mb']:.0f} MB | {str(outcome)[:90]} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
