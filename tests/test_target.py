import pytest

from backlink_spider.target import Target, TargetError, derive_brand_terms


@pytest.mark.parametrize(
    "value",
    [
        "brewbird.io",
        "www.brewbird.io",
        "https://brewbird.io/some/path?x=1",
        "HTTP://WWW.BrewBird.IO:443/",
        " brewbird.io. ",
    ],
)
def test_target_forms_normalise_to_the_host(value):
    assert Target.parse(value).host == "brewbird.io"


def test_idn_target_in_unicode_or_punycode():
    assert Target.parse("bücher.de").host == "xn--bcher-kva.de"
    assert Target.parse("https://www.xn--bcher-kva.de/").host == "xn--bcher-kva.de"
    target = Target.parse("bücher.de")
    assert target.display_host == "bücher.de"
    assert target.domain_terms == ("xn--bcher-kva.de", "bücher.de")
    assert target.owns("https://shop.bücher.de/x")
    assert target.owns("https://XN--BCHER-KVA.DE/")


def test_subdomains_count_lookalikes_do_not():
    target = Target.parse("acme.com")
    assert target.owns("https://acme.com/")
    assert target.owns("http://shop.ACME.com/x")
    assert target.owns("//www.acme.com")
    assert not target.owns("https://notacme.com/")
    assert not target.owns("https://acme.com.evil.net/")
    assert not target.owns("https://acme.co/")
    assert not target.owns("mailto:press@acme.com")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing -a target=DOMAIN (the site to find backlinks and mentions of)"),
        ("", "missing -a target=DOMAIN (the site to find backlinks and mentions of)"),
        ("localhost", "target 'localhost' is not a valid domain name"),
        ("not a domain", "target 'not a domain' is not a valid domain name"),
        ("127.0.0.1", "target '127.0.0.1' is an IP address; give the site's domain name"),
        ("ftp://acme.com", "target 'ftp://acme.com' has scheme 'ftp'; give a domain or an http(s) URL"),
        ("acme.notatld", "target 'acme.notatld' has no known public suffix (like .com or .co.uk)"),
        ("acme..com", "target 'acme..com' is not a valid domain name"),
        ("-acme.com", "target '-acme.com' is not a valid domain name"),
        ("https://", "target 'https://' has no host name"),
    ],
)
def test_bad_targets_say_what_is_wrong(value, message):
    with pytest.raises(TargetError) as info:
        Target.parse(value)
    assert str(info.value) == message


def test_brand_terms_given_or_derived():
    assert Target.parse("brewbird.io").brand_terms == ("brewbird",)
    assert Target.parse("acme.com", brand="Acme, Acme Rockets ,Acme").brand_terms == ("Acme", "Acme Rockets")
    assert derive_brand_terms("shop.acme-tools.co.uk") == ("acme-tools", "acme tools")
    with pytest.raises(TargetError):
        Target.parse("acme.com", brand=" , ")
