"""The private-address guard in real crawls: seeds, redirect hops and link checks to non-public
addresses are refused (and recorded) unless ALLOWED_PRIVATE_NETWORKS opens them."""

from __future__ import annotations

from http.server import BaseHTTPRequestHandler

import pytest

from tests.conftest import run_crawl, serving

ARGS = {"target": "brewbird.io", "depth": "1", "render": "never"}


def routes_handler(routes: dict[str, tuple[int, dict, bytes]], hits: list[str]):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_HEAD(self):
            self.do_GET(body=False)

        def do_GET(self, body=True):
            hits.append(self.path)
            status, headers, payload = routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in {"Content-Type": "text/html", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if body:
                self.wfile.write(payload)

    return Handler


@pytest.fixture
def two_hosts():
    """An "internal" host on 127.0.0.2 and a page on 127.0.0.1 that redirects and links to it."""
    internal_hits: list[str] = []
    internal = routes_handler({"/secret": (200, {}, b"<p>internal</p>")}, internal_hits)
    with serving(internal, "127.0.0.2") as internal_url:
        page = f"""<html><body><p>BrewBird fans: <a href="{internal_url}/secret">secret</a>
            <a href="/hop">hop</a></p></body></html>""".encode()
        routes = {
            "/": (200, {}, page),
            "/hop": (302, {"Location": f"{internal_url}/secret"}, b""),
            "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow:\n"),
        }
        with serving(routes_handler(routes, [])) as public_url:
            yield public_url, internal_url, internal_hits


def test_redirect_hops_and_link_checks_into_another_network_are_refused(two_hosts, tmp_path):
    public_url, internal_url, internal_hits = two_hosts
    result = run_crawl(
        {**ARGS, "seeds": f"{public_url}/"}, tmp_path, {"ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32"}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert internal_hits == []  # not one request reached the internal host
    errors = {p["url"].replace(public_url, ""): p["error"] for p in result.records("page")}
    assert errors["/hop"] == ("refused: loopback address 127.0.0.2 (open it with ALLOWED_PRIVATE_NETWORKS)")
    assert "'address_guard/refused'" in result.stderr
    assert result.records("broken_link") == []  # a refused check is not a dead link


def test_the_same_crawl_with_the_network_opened(two_hosts, tmp_path):
    public_url, internal_url, internal_hits = two_hosts
    result = run_crawl(
        {**ARGS, "seeds": f"{public_url}/"},
        tmp_path,
        {"ALLOWED_PRIVATE_NETWORKS": "127.0.0.1/32,127.0.0.2/32"},
    )
    assert result.returncode == 0
    assert "/secret" in internal_hits
    [hop] = [p for p in result.records("page") if p["url"].endswith("/hop")]
    assert (hop["status"], hop["final_url"], hop["error"]) == (200, f"{internal_url}/secret", None)


@pytest.mark.parametrize(
    ("seed", "error"),
    [
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: link-local address 169.254.169.254 (open it with ALLOWED_PRIVATE_NETWORKS)",
        ),
        (
            "http://2130706433:9/",
            "refused: 2130706433 resolves to loopback address 127.0.0.1 "
            "(open it with ALLOWED_PRIVATE_NETWORKS)",
        ),
        (
            "http://[::ffff:10.0.0.1]:9/",
            "refused: private address 10.0.0.1 (open it with ALLOWED_PRIVATE_NETWORKS)",
        ),
        ("http://0.0.0.0:9/", "refused: unspecified address 0.0.0.0 (open it with ALLOWED_PRIVATE_NETWORKS)"),
        (
            "http://localhost:9/",
            "refused: localhost resolves to loopback address 127.0.0.1 "
            "(open it with ALLOWED_PRIVATE_NETWORKS)",
        ),
    ],
)
def test_non_public_seeds_are_refused_before_any_connection(tmp_path, seed, error):
    result = run_crawl(
        {**ARGS, "seeds": seed, "check_links": "false"},
        tmp_path,
        {"ALLOWED_PRIVATE_NETWORKS": "", "ALLOWED_HOSTS": ""},
    )
    assert result.returncode == 0
    [page] = result.records("page")
    assert (page["status"], page["error"]) == (None, error)
