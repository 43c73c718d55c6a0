"""`recheck` reports a link lost only with evidence: the page answered 404/410, or it loaded
completely as a real page without the link. A 503, a 429, a bot challenge, a login wall or a
refused fetch leave the link `unverified`, with the reason. Each page of a small loopback site
changes from its first state (every page links to the target) to the state named in its path."""

from __future__ import annotations

import re
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from tests.conftest import run_crawl, serving

CHALLENGE = (Path(__file__).parent / "fixtures" / "blocked" / "cloudflare_challenge.html").read_bytes()
LOGIN_WALL = (Path(__file__).parent / "fixtures" / "blocked" / "login_wall.html").read_bytes()
PAGES = ["/unavailable", "/throttled", "/challenge", "/login", "/removed", "/gone", "/changed", "/same"]


def article(anchor: str | None) -> bytes:
    link = f'<p>We use <a href="https://brewbird.io/kettles">{anchor}</a> every day.</p>' if anchor else ""
    words = " ".join(["Coffee brewing notes and a long enough article text."] * 20)
    body = f"<main><p>{words}</p>{link}</main>"
    return f"<html><head><title>Notes</title></head><body>{body}</body></html>".encode()


class Site(BaseHTTPRequestHandler):
    after = False  # False: every page links to the target; True: each page as its path says

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = self.path
        if path == "/robots.txt":
            return self._send(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if path == "/":
            return self._send(200, "".join(f'<a href="{p}">{p}</a> ' for p in PAGES).encode(), "text/html")
        if not type(self).after:
            return self._send(200, article("BrewBird kettles"), "text/html")
        answers = {
            "/unavailable": (503, b"<html><body>Service Unavailable</body></html>", {}),
            "/throttled": (429, b"<html><body>Too many requests</body></html>", {"Retry-After": "0"}),
            "/challenge": (403, CHALLENGE, {"cf-mitigated": "challenge", "Server": "cloudflare"}),
            "/login": (200, LOGIN_WALL, {}),
            "/removed": (200, article(None), {}),
            "/gone": (404, b"<html><body>Not found</body></html>", {}),
            "/changed": (200, article("the kettle people"), {}),
            "/same": (200, article("BrewBird kettles"), {}),
        }
        status, body, headers = answers[path]
        return self._send(status, body, "text/html", headers)

    def _send(self, status, body, kind, headers=None):
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def rechecked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("evidence")
    Site.after = False
    with serving(Site, "127.0.0.3") as base:
        first = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": base + "/",
                "depth": "1",
                "render": "never",
                "check_links": "false",
            },
            tmp / "crawl",
        )
        assert first.returncode == 0, first.stderr[-2000:]
        Site.after = True
        result = run_crawl(
            {"target": "brewbird.io", "known": str(tmp / "crawl"), "render": "never"},
            tmp / "recheck",
            spider="recheck",
        )
    assert result.returncode == 0, result.stderr[-2000:]
    return base, result


def test_only_a_confirmed_loss_is_lost(rechecked):
    base, result = rechecked
    statuses = {
        r["source_url"][len(base) :]: (r["status"], r["reason"], r["page_status"])
        for r in result.records("link_status")
    }
    assert statuses == {
        "/unavailable": ("unverified", "HTTP 503", 503),
        "/throttled": ("unverified", "HTTP 429", 429),
        "/challenge": ("unverified", "blocked by a bot challenge (cloudflare)", 403),
        "/login": ("unverified", "blocked by a login wall", 200),
        "/removed": ("lost", "link removed", 200),
        "/gone": ("lost", "page gone: HTTP 404", 404),
        "/changed": ("changed", "anchor changed", 200),
        "/same": ("live", None, 200),
    }


def test_transient_failures_are_retried_before_they_are_unverified(rechecked):
    _, result = rechecked
    assert result.stat("retry/count") == 4  # 503 and 429, twice each (RETRY_TIMES)
    assert result.stat("recheck/unverified") == 4 and result.stat("recheck/lost") == 2


def test_the_recheck_report_shows_its_own_results(rechecked):
    _, result = rechecked
    report = (result.output_dir / "reports" / "test.html").read_text(encoding="utf-8")
    assert "Known links, checked again" in report and "First crawl of this target" not in report
    numbers = {
        label: value
        for value, label in re.findall(
            r'<div class="kpi-value">(\d+)</div><div class="kpi-label">(\w+)</div>', report
        )
    }
    assert numbers == {"Lost": "2", "Changed": "1", "Unverified": "4", "New": "0", "Live": "1"}
    assert "8</strong> pages re-fetched for <strong>8</strong> known links" in report


def test_a_link_unverified_run_after_run_is_reported_as_such_never_lost(tmp_path):
    Site.after = False
    with serving(Site, "127.0.0.3") as base:
        first = run_crawl(
            {
                "target": "brewbird.io",
                "seeds": base + "/",
                "depth": "1",
                "render": "never",
                "check_links": "false",
            },
            tmp_path,
        )
        assert first.returncode == 0, first.stderr[-2000:]
        Site.after = True
        runs = []
        for n in range(1, 4):  # rechecks written into the crawl's own folder, as the README suggests
            result = run_crawl(
                {"target": "brewbird.io", "known": str(tmp_path), "render": "never"},
                tmp_path,
                {"CRAWL_ID": f"recheck-{n}", "RETRY_TIMES": "0"},
                spider="recheck",
            )
            assert result.returncode == 0, result.stderr[-2000:]
            runs.append({r["source_url"][len(base) :]: r for r in result.records("link_status")})
    assert [run["/unavailable"]["unverified_runs"] for run in runs] == [1, 2, 3]
    assert {run["/unavailable"]["status"] for run in runs} == {"unverified"}
    assert runs[-1]["/same"]["unverified_runs"] == 0
    assert result.stat("recheck/unverified_repeatedly") == 4  # 503, 429, challenge, login wall
    assert (
        "Link " + base + "/unavailable -> https://brewbird.io/kettles unverified 3 runs in a row"
        in result.stderr
    )
