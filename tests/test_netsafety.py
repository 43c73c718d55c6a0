import asyncio
import ipaddress

import pytest

from backlink_spider.netsafety import AddressPolicy, parse_networks


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
    assert refusal(AddressPolicy(), "http://localhost/").startswith("localhost resolves to loopback address")


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
