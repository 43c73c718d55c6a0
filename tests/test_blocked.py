"""Recognising bot challenges, CAPTCHA walls, login walls and consent walls (extract/blocked.py).

Positive fixtures are trimmed from real challenge pages (sources in each fixture's first comment and
in blocked.py); negatives are real pages that carry the same words or widgets but are content.
"""

from pathlib import Path

import pytest

from backlink_spider.extract.blocked import Block, detect_block
from backlink_spider.extract.dom import parse_html

FIXTURES = Path(__file__).parent / "fixtures" / "blocked"


def read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


POSITIVES = [
    (
        "cloudflare_challenge.html",
        {},
        503,
        Block(
            "cloudflare",
            [
                "title 'Just a moment...'",
                "script _cf_chl_opt",
                "script /cdn-cgi/challenge-platform/",
                "element #cf-challenge-running",
                "element #challenge-form",
                "status 503",
            ],
        ),
    ),
    (
        "cloudflare_blocked.html",
        {"server": "cloudflare"},
        403,
        Block(
            "cloudflare",
            [
                "title 'Attention Required! | Cloudflare'",
                "element #cf-error-details",
                "header server: cloudflare",
                "status 403",
            ],
        ),
    ),
    (
        "akamai_denied.html",
        {"server": "AkamaiGHost"},
        403,
        Block(
            "akamai",
            [
                "text 'Reference #18.e834768.1638849804.2c1382d'",
                "text errors.edgesuite.net",
                "title 'Access Denied'",
                "header server: AkamaiGHost",
                "status 403",
            ],
        ),
    ),
    (
        # The page also loads an Imperva script; DataDome's own markers decide.
        "datadome_captcha.html",
        {"x-datadome": "protected"},
        403,
        Block(
            "datadome",
            [
                "script var dd={'cid': ...}",
                "script captcha-delivery.com",
                "header x-datadome: protected",
                "status 403",
            ],
        ),
    ),
    (
        "perimeterx_block.html",
        {},
        403,
        Block(
            "perimeterx",
            [
                "title 'Access to this page has been denied.'",
                "script _pxCaptcha",
                "script _pxAppId",
                "status 403",
            ],
        ),
    ),
    (
        # Imperva serves its block page with 200: the empty page is the second signal.
        "imperva_block.html",
        {"x-iinfo": "9-332984787-0 0NNN RT(1533438628522 0)"},
        200,
        Block(
            "imperva",
            [
                "iframe /_Incapsula_Resource",
                "text 'Incapsula incident ID'",
                "header x-iinfo",
                "0 words of visible text",
            ],
        ),
    ),
    (
        "imperva_jstest.html",
        {},
        200,
        Block(
            "imperva",
            [
                "iframe content.incapsula.com",
                "script ___utmvc",
                "script /_Incapsula_Resource",
                "0 words of visible text",
            ],
        ),
    ),
    (
        "captcha_recaptcha_wall.html",
        {},
        429,
        Block(
            "captcha",
            ["element .g-recaptcha", "script google.com/recaptcha/", "40 words outside the captcha"],
        ),
    ),
    (
        "captcha_turnstile_wall.html",
        {},
        200,
        Block(
            "captcha",
            [
                "element .cf-turnstile",
                "script challenges.cloudflare.com/turnstile/",
                "14 words outside the captcha",
            ],
        ),
    ),
    (
        "login_wall.html",
        {},
        200,
        Block("login", ["form with a password field", "12 words outside the form"]),
    ),
    (
        "consent_wall_onetrust.html",
        {},
        200,
        Block("consent", ["consent dialog #onetrust-consent-sdk", "0 words outside the dialog"]),
    ),
    (
        "consent_wall_google.html",
        {},
        200,
        Block(
            "consent",
            [
                "consent text: before you continue, cookies, accept all, reject all, personalised",
                "button 'Reject all'",
                "102 words of visible text",
            ],
        ),
    ),
]


@pytest.mark.parametrize(("name", "headers", "status", "expected"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_challenge_and_wall_pages_are_recognised(name, headers, status, expected):
    assert detect_block(read(name), headers, status) == expected


@pytest.mark.parametrize(("name", "headers", "status", "expected"), POSITIVES, ids=[p[0] for p in POSITIVES])
def test_a_parsed_tree_gives_the_same_verdict(name, headers, status, expected):
    assert detect_block(parse_html(read(name)), headers, status) == expected


def test_a_challenge_kept_by_the_browser_at_status_200_is_recognised_by_its_thin_page():
    # A rendered snapshot has no refusing status (or none at all): the near-empty page decides.
    block = detect_block(read("cloudflare_challenge.html"), {}, None)
    assert block == Block(
        "cloudflare",
        [
            "title 'Just a moment...'",
            "script _cf_chl_opt",
            "script /cdn-cgi/challenge-platform/",
            "element #cf-challenge-running",
            "element #challenge-form",
            "27 words of visible text",
        ],
    )


NEGATIVES = [
    ("article_recaptcha_comments.html", {}, 200),
    ("forum_login_cookie_banner.html", {}, 200),
    ("article_mentions_cloudflare.html", {"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f6a7b-FRA"}, 200),
    # Markers in an article's text are not markers, even when the server refuses the request.
    ("article_mentions_cloudflare.html", {"server": "cloudflare"}, 403),
    ("shop_with_bot_sensors.html", {"x-datadome": "protected", "x-iinfo": "10-1234"}, 200),
]


@pytest.mark.parametrize(("name", "headers", "status"), NEGATIVES, ids=[f"{n[0]}-{n[2]}" for n in NEGATIVES])
def test_real_pages_are_not_blocks(name, headers, status):
    assert detect_block(read(name), headers, status) is None


@pytest.mark.parametrize("body", ["", None, "   \n"])
def test_cf_mitigated_header_alone_is_a_cloudflare_challenge(body):
    assert detect_block(body, {"cf-mitigated": "challenge", "server": "cloudflare"}, 403) == Block(
        "cloudflare", ["header cf-mitigated: challenge", "status 403"]
    )


def test_empty_refusals_without_a_vendor_signal_are_not_named():
    assert detect_block("", {}, 403) is None
    assert detect_block(None, {"server": "cloudflare"}, 503) is None
    assert detect_block("<html><body><h1>403 Forbidden</h1><hr>nginx</body></html>", {}, 403) is None


def test_a_short_real_page_with_the_bot_management_script_is_not_a_challenge():
    html = (
        "<html><head><title>Contact</title>"
        '<script src="/cdn-cgi/challenge-platform/scripts/jsd/main.js"></script></head>'
        "<body><h1>Contact</h1><p>Write to hello@brewbird.io.</p></body></html>"
    )
    assert detect_block(html, {"server": "cloudflare"}, 200) is None
