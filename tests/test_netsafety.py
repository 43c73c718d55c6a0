import asyncio
import ipaddress
from http.server import BaseHTTPRequestHandler

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest
from scrapy.statscollectors import StatsCollector
from scrapy.utils.test import get_crawler
from twisted.internet.error import DNSLookupError
from twisted.python.failure import Failure

from backlink_spider import netsafety
from backlink_spider.linkcheck import describe_failure
from backlink_spider.middlewares import (
    AddressRefusedError,
    PrivateAddressGuardMiddleware,
    UnresolvableHostError,
)
from backlink_spider.netsafety import AddressPolicy, parse_networks
from tests.conftest import run_crawl, serving


def refusal(policy, url):
    return asyncio.run(policy.url_refusal(url))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://172.16.5.4/",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[fe80::1]/",
        "http://[fd00::1]/",
        "http://100.64.0.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.1/",
    ],
)
def test_non_public_addresses_are_refused_by_default(url):
    assert refusal(AddressPolicy(), url) is not None


def test_refusal_names_the_address_and_the_way_out():
    assert refusal(AddressPolicy(), "http://169.254.169.254/") == (
        "link-local address 169.254.169.254 (open it with ALLOWED_PRIVATE_NETWORKS)"
    )
    assert refusal(AddressPolicy(), "http://localhost/") == (
        "localhost resolves to loopback address 127.0.0.1 (open it with ALLOWED_PRIVATE_NETWORKS)"
    )


def test_only_http_and_https():
    assert (
        refusal(AddressPolicy(), "file:///etc/passwd") == "scheme 'file' is not fetched (only http and https)"
    )
    assert refusal(AddressPolicy(), "ftp://8.8.8.8/") == "scheme 'ftp' is not fetched (only http and https)"


def test_allowed_networks_open_only_themselves():
    policy = AddressPolicy(parse_networks("127.0.0.0/8, fd00::/8"))
    assert refusal(policy, "http://127.0.10.1:8800/") is None
    assert refusal(policy, "http://[::ffff:127.0.0.1]/") is None
    assert refusal(policy, "http://[fd00::1]/") is None
    assert refusal(policy, "http://10.0.0.1/") is not None
    assert policy.ip_refusal(ipaddress.ip_address("8.8.8.8")) is None


def test_bad_network_setting_is_named():
    with pytest.raises(ValueError, match="ALLOWED_PRIVATE_NETWORKS: 'banana' is not a CIDR network"):
        parse_networks("127.0.0.0/8,banana")


# --- every spelling of a non-public address (issue 12, item 2) ----------------------------------

WAY_OUT = "(open it with ALLOWED_PRIVATE_NETWORKS)"


def check(policy, url):
    return asyncio.run(policy.check_url(url))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # IPv4 in the spellings browsers and the OS accept
        ("http://2130706433/", f"2130706433 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://017700000001/", f"017700000001 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://0x7f000001/", f"0x7f000001 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://0X7F.1/", f"0x7f.1 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://0177.0.0.1/", f"0177.0.0.1 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://127.1/", f"127.1 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://169.254.43518/", f"169.254.43518 resolves to link-local address 169.254.169.254 {WAY_OUT}"),
        ("http://127.0.0.1./", f"127.0.0.1. resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://127.0.0.1%2e/", f"127.0.0.1%2e resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://0.0.0.0/", f"unspecified address 0.0.0.0 {WAY_OUT}"),
        ("http://0/", f"0 resolves to unspecified address 0.0.0.0 {WAY_OUT}"),
        ("http://0.1.2.3/", f"this-network address 0.1.2.3 {WAY_OUT}"),
        ("http://100.64.0.1/", f"shared (CGNAT) address 100.64.0.1 {WAY_OUT}"),
        ("http://192.0.0.8/", f"IETF protocol address 192.0.0.8 {WAY_OUT}"),
        ("http://198.18.0.1/", f"benchmarking address 198.18.0.1 {WAY_OUT}"),
        ("http://203.0.113.7/", f"documentation address 203.0.113.7 {WAY_OUT}"),
        ("http://224.0.0.1/", f"multicast address 224.0.0.1 {WAY_OUT}"),
        ("http://240.0.0.1/", f"reserved address 240.0.0.1 {WAY_OUT}"),
        ("http://255.255.255.255/", f"broadcast address 255.255.255.255 {WAY_OUT}"),
        # IPv6, and IPv6 forms that embed an IPv4 address
        ("http://[::]/", f"unspecified address :: {WAY_OUT}"),
        ("http://[::1]/", f"loopback address ::1 {WAY_OUT}"),
        ("http://[::ffff:127.0.0.1]/", f"::ffff:127.0.0.1 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://[::ffff:7f00:1]/", f"loopback address 127.0.0.1 {WAY_OUT}"),
        (
            "http://[::ffff:a9fe:a9fe]/",
            f"link-local address 169.254.169.254 {WAY_OUT}",
        ),
        (
            "http://[::7f00:1]/",
            f"IPv4-compatible address ::7f00:1 (deprecated; embeds 127.0.0.1; {WAY_OUT[1:-1]})",
        ),
        (
            "http://[::127.0.0.1]/",
            f"::127.0.0.1 resolves to IPv4-compatible address ::7f00:1 (deprecated; embeds 127.0.0.1; "
            f"{WAY_OUT[1:]}",
        ),
        (
            "http://[::8.8.8.8]/",
            f"::8.8.8.8 resolves to IPv4-compatible address ::808:808 (deprecated; embeds 8.8.8.8; "
            f"{WAY_OUT[1:]}",
        ),
        ("http://[::ffff:0:7f00:1]/", f"reserved address ::ffff:0:7f00:1 {WAY_OUT}"),
        (
            "http://[64:ff9b::a9fe:a9fe]/",
            "NAT64 address 64:ff9b::a9fe:a9fe (embeds 169.254.169.254; open the NAT64 range with "
            "ALLOWED_PRIVATE_NETWORKS)",
        ),
        (
            "http://[64:ff9b::8.8.8.8]/",
            "64:ff9b::8.8.8.8 resolves to NAT64 address 64:ff9b::808:808 (embeds 8.8.8.8; open the NAT64 "
            "range with ALLOWED_PRIVATE_NETWORKS)",
        ),
        (
            "http://[64:ff9b:1::a00:1]/",
            "NAT64 address 64:ff9b:1::a00:1 (open the NAT64 range with ALLOWED_PRIVATE_NETWORKS)",
        ),
        ("http://[fec0::1]/", f"site-local address fec0::1 {WAY_OUT}"),
        ("http://[FEC0::1]/", f"site-local address fec0::1 {WAY_OUT}"),
        ("http://[fe80::1]/", f"link-local address fe80::1 {WAY_OUT}"),
        ("http://[fe80::1%25eth0]/", f"fe80::1%25eth0 resolves to link-local address fe80::1%eth0 {WAY_OUT}"),
        ("http://[fd00::1]/", f"private address fd00::1 {WAY_OUT}"),
        ("http://[ff02::1]/", f"multicast address ff02::1 {WAY_OUT}"),
        ("http://[2001:db8::1]/", f"documentation address 2001:db8::1 {WAY_OUT}"),
        ("http://[100::1]/", f"discard-only address 100::1 {WAY_OUT}"),
        ("http://[5f00::1]/", f"SRv6 SID address 5f00::1 {WAY_OUT}"),
        ("http://[4000::1]/", f"reserved address 4000::1 {WAY_OUT}"),
        ("http://[2002:7f00:1::1]/", f"loopback address 127.0.0.1 in 6to4 address 2002:7f00:1::1 {WAY_OUT}"),
        (
            "http://[2002:a9fe:a9fe::]/",
            f"link-local address 169.254.169.254 in 6to4 address 2002:a9fe:a9fe:: {WAY_OUT}",
        ),
        (
            # Teredo: server 65.54.227.120, client 127.0.0.1 (stored inverted: 80ff:fffe)
            "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",
            f"loopback address 127.0.0.1 as Teredo client of 2001:0:4136:e378:8000:63bf:80ff:fffe {WAY_OUT}",
        ),
        (
            "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # client 10.0.0.1
            f"private address 10.0.0.1 as Teredo client of 2001:0:4136:e378:8000:63bf:f5ff:fffe {WAY_OUT}",
        ),
        # names Chromium and the OS treat as loopback: refused by name, never looked up
        ("http://localhost/", f"localhost resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://LOCALHOST/", f"localhost resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://localhost./", f"localhost. resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://a.b.localhost./", f"a.b.localhost. resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://App.LocalHost:8080/", f"app.localhost resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        (
            "http://localhost.localdomain/",
            f"localhost.localdomain resolves to loopback address 127.0.0.1 {WAY_OUT}",
        ),
        ("http://localhost6/", f"localhost6 resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        ("http://%6c%6fcalhost/", f"%6c%6fcalhost resolves to loopback address 127.0.0.1 {WAY_OUT}"),
        (
            "http://ｌｏｃａｌｈｏｓｔ/",
            f"ｌｏｃａｌｈｏｓｔ resolves to loopback address 127.0.0.1 {WAY_OUT}",
        ),
        (
            "http://１２７。０。０。１/",
            f"１２７。０。０。１ resolves to loopback address 127.0.0.1 {WAY_OUT}",
        ),
        # hosts that end in a number but are no IPv4 address (browsers reject the URL)
        ("http://1.2.3.4.5/", "bad URL: host 1.2.3.4.5 is not a valid IPv4 address"),
        ("http://256.1.1.1/", "bad URL: host 256.1.1.1 is not a valid IPv4 address"),
        ("http://08.1.1.1/", "bad URL: host 08.1.1.1 is not a valid IPv4 address"),
    ],
)
def test_every_spelling_of_a_non_public_address_is_refused(url, reason):
    assert refusal(AddressPolicy(), url) == reason


@pytest.mark.parametrize(
    "url",
    [
        "http://8.8.8.8/",
        "http://134744072/",  # 8.8.8.8
        "http://[2606:4700:4700::1111]/",
        "http://[::ffff:8.8.8.8]/",
        "http://[2002:808:808::1]/",  # 6to4 of a public address
        "http://[2001:0:4136:e378:8000:63bf:f7f7:f7f7]/",  # Teredo, public client 8.8.8.8
        "http://192.0.0.9/",  # PCP anycast: globally reachable although in 192.0.0.0/24
        "http://[2001:4:112::1]/",  # AS112-v6: globally reachable although in 2001::/23
    ],
)
def test_public_addresses_in_any_spelling_pass(url):
    assert refusal(AddressPolicy(), url) is None


def test_kinds_of_refusal():
    policy = AddressPolicy()
    assert check(policy, "http://8.8.8.8/") is None
    assert check(policy, "http://10.0.0.1/").kind == netsafety.ADDRESS
    assert check(policy, "http://a.localhost/").kind == netsafety.LOOPBACK_NAME
    assert check(policy, "http://nowhere.invalid/").kind == netsafety.UNRESOLVABLE
    assert check(policy, "gopher://8.8.8.8/").kind == netsafety.SCHEME
    assert check(policy, "http://1.2.3.4.5/").kind == netsafety.BAD_URL
    assert asyncio.run(policy.refusal_kind("http://nowhere.invalid/")) == netsafety.UNRESOLVABLE
    assert asyncio.run(policy.refusal_kind("http://8.8.8.8/")) is None


def test_loopback_names_are_never_looked_up(monkeypatch):
    async def no_dns(*args, **kwargs):
        raise AssertionError("looked up")

    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", no_dns)
    policy = AddressPolicy()
    for host in ("localhost", "LOCALHOST.", "x.localhost", "a.b.localhost.", "localhost.localdomain"):
        assert check(policy, f"http://{host}/").kind == netsafety.LOOPBACK_NAME
        assert asyncio.run(policy.resolve(host)) == netsafety.LOOPBACK_ADDRESSES


def test_a_name_that_does_not_resolve_is_refused():
    # .invalid never resolves (RFC 2606); a refusal today, recorded as a DNS failure by the guard
    reason = refusal(AddressPolicy(), "http://nothing-here.invalid/page")
    assert reason.startswith("unresolvable host nothing-here.invalid: ")
    assert "\n" not in reason
    # opening every network does not make a name resolve
    assert refusal(AddressPolicy(parse_networks("0.0.0.0/0,::/0")), "http://x.invalid/").startswith(
        "unresolvable host x.invalid: "
    )


def test_an_allowed_network_opens_exactly_itself():
    policy = AddressPolicy(parse_networks("127.0.0.2/32"))
    assert refusal(policy, "http://127.0.0.2:8080/") is None
    assert refusal(policy, "http://[::ffff:127.0.0.2]/") is None
    assert refusal(policy, "http://127.0.0.1/") == f"loopback address 127.0.0.1 {WAY_OUT}"
    assert (
        refusal(policy, "http://localhost/") == f"localhost resolves to loopback address 127.0.0.1 {WAY_OUT}"
    )
    assert refusal(policy, "http://[::7f00:2]/") is not None  # not the IPv4 address: a deprecated form
    # a loopback name is every loopback address it stands for: 127.0.0.1 and ::1
    assert refusal(AddressPolicy(parse_networks("127.0.0.0/8")), "http://localhost/") == (
        f"localhost resolves to loopback address ::1 {WAY_OUT}"
    )
    assert refusal(AddressPolicy(parse_networks("127.0.0.0/8,::1/128")), "http://x.localhost/") is None


def test_nat64_opens_only_with_the_nat64_range():
    metadata = "http://[64:ff9b::a9fe:a9fe]/"
    assert refusal(AddressPolicy(parse_networks("169.254.0.0/16")), metadata) is not None
    assert refusal(AddressPolicy(parse_networks("64:ff9b::/96")), metadata) is None
    # the embedded IPv4 opens IPv4-mapped and 6to4 addresses, as before
    assert refusal(AddressPolicy(parse_networks("10.0.0.0/8")), "http://[2002:a00:1::1]/") is None


# --- the guard: an unresolvable name is a DNS failure, a non-public one a refusal ----------------


def guard(settings=None):
    crawler = get_crawler(settings_dict={"ALLOWED_PRIVATE_NETWORKS": "", **(settings or {})})
    crawler.stats = StatsCollector(crawler)
    return crawler, PrivateAddressGuardMiddleware.from_crawler(crawler)


def test_guard_raises_a_dns_failure_for_an_unresolvable_name():
    crawler, middleware = guard()
    with pytest.raises(UnresolvableHostError) as caught:
        asyncio.run(middleware.process_request(Request("http://dead-domain.invalid/page")))
    assert str(caught.value).startswith("unresolvable host dead-domain.invalid: ")
    assert not isinstance(caught.value, IgnoreRequest)  # a dead link, not a refused check
    assert isinstance(caught.value, CannotResolveHostError | DNSLookupError)  # what Scrapy raises
    assert describe_failure(Failure(caught.value)) == "DNS failure"
    assert crawler.stats.get_value("address_guard/unresolvable") == 1
    assert crawler.stats.get_value("address_guard/refused") is None


def test_guard_refuses_non_public_addresses_as_before():
    crawler, middleware = guard()
    with pytest.raises(AddressRefusedError, match=r"^refused: a\.localhost\. resolves to loopback"):
        asyncio.run(middleware.process_request(Request("http://a.localhost./")))
    assert crawler.stats.get_value("address_guard/refused") == 1
    with pytest.raises(AddressRefusedError) as caught:
        asyncio.run(middleware.process_request(Request("http://[64:ff9b::a9fe:a9fe]/")))
    assert describe_failure(Failure(caught.value)) == "refused by the address guard"


def test_dead_domain_in_a_crawl_is_still_a_dns_failure(tmp_path):
    """A seed on a name that does not resolve, and a page linking to one: the page record and the
    broken link read "DNS failure" as when Scrapy's resolver failed."""
    page = b'<html><body><p>BrewBird <a href="http://gone-shop.invalid/old">old shop</a></p></body></html>'

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_HEAD(self):
            self.do_GET(body=False)

        def do_GET(self, body=True):
            found = self.path == "/"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "text/html" if found else "text/plain")
            payload = page if found else b""
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if body:
                self.wfile.write(payload)

    with serving(Handler) as url:
        result = run_crawl(
            {
                "target": "brewbird.io",
                "depth": "0",
                "render": "never",
                "seeds": f"{url}/,http://dead-seed.invalid/",
            },
            tmp_path / "out",
            {"ALLOWED_HOSTS": "127.*,*.invalid", "RETRY_TIMES": "0"},
        )
    assert result.returncode == 0, result.stderr[-2000:]
    pages = {p["url"]: p["error"] for p in result.records("page")}
    assert pages[f"{url}/"] is None
    assert pages["http://dead-seed.invalid/"].startswith("DNS failure: unresolvable host dead-seed.invalid: ")
    [broken] = result.records("broken_link")
    assert (broken["broken_url"], broken["status"], broken["error"]) == (
        "http://gone-shop.invalid/old",
        None,
        "DNS failure",
    )
    assert result.stat("address_guard/refused") is None
