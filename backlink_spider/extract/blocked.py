"""Recognise pages that are not the page: bot challenges (Cloudflare, Akamai, DataDome,
PerimeterX, Imperva), whole-page CAPTCHA walls, login walls and consent walls.

`detect_block(html_or_tree, headers, status)` returns a `Block(kind, evidence)` or None. Pure
functions over the response (HTML or an lxml tree, lower-case header names, status); no Scrapy.

How a page qualifies: each vendor detector looks for structural markers of that vendor's
interstitial (script sources, inline script variables, element ids, the title, the block page's
reference line), never for words an article could merely mention. A marker alone is not enough,
because vendors inject their sensor scripts into normal pages too; it must come with a refusing
status (403/429/503) or with a page that has almost no visible text. Cloudflare's
`cf-mitigated: challenge` header is the one signal that decides on its own (Cloudflare documents
it as set on every challenge response). CAPTCHA, login and consent walls are recognised by the
widget / password form / consent dialog being essentially all of the page's visible text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from backlink_spider.extract.dom import parse_html, walk, xpath

KINDS = ("cloudflare", "akamai", "datadome", "perimeterx", "imperva", "captcha", "login", "consent")

# Statuses with which vendors serve their interstitials.
REFUSING_STATUSES = frozenset({403, 429, 503})
# A vendor page with markers and at most this many words of visible text is an interstitial served
# with 200 (Imperva serves its block page with 200; a rendered challenge keeps the original status).
# The longest real interstitial in the fixtures (Cloudflare's "Sorry, you have been blocked") has
# about 130 words; a real article has several hundred.
THIN_PAGE_WORDS = 200
# A CAPTCHA or login wall: at most this many visible words outside the form that holds the widget
# or password field (site header, footer, "why am I seeing this" text).
WALL_OUTSIDE_WORDS = 120
LOGIN_OUTSIDE_WORDS = 80
# A consent wall: at most this many visible words outside the consent dialog.
CONSENT_OUTSIDE_WORDS = 40
# A page without a recognisable consent container counts as a consent wall only when it is this
# short and consent vocabulary (with an accept/reject button) is all it has.
CONSENT_PAGE_WORDS = 250


@dataclass
class Block:
    """Why a page is not the content it was fetched for: `kind` (one of KINDS) and `evidence`,
    short strings saying what matched (e.g. "header cf-mitigated: challenge")."""

    kind: str
    evidence: list[str]


class _Page:
    """What the detectors look at, each part computed once and only when asked for."""

    def __init__(
        self,
        root: etree._Element | None,
        headers: Mapping[str, str],
        status: int | None,
        visible_text: str | None = None,
    ):
        self.root = root
        self.headers = headers
        self.status = status
        if visible_text is not None:  # extraction walked the page already: its text is this one
            self.__dict__["text"] = visible_text

    def header(self, name: str) -> str:
        return (self.headers.get(name) or "").strip()

    @functools.cached_property
    def title(self) -> str:
        if self.root is None:
            return ""
        return " ".join(" ".join(xpath(self.root, "//title//text()")).split())

    @functools.cached_property
    def scripts(self) -> list[tuple[str, str]]:
        """(src, inline text) of every script element, in document order."""
        if self.root is None:
            return []
        return [(s.get("src") or "", s.text or "") for s in xpath(self.root, "//script")]

    @functools.cached_property
    def iframe_srcs(self) -> list[str]:
        return [] if self.root is None else [str(s) for s in xpath(self.root, "//iframe/@src")]

    @functools.cached_property
    def ids(self) -> list[str]:
        return [] if self.root is None else [str(i) for i in xpath(self.root, "//@id")]

    @functools.cached_property
    def text(self) -> str:
        """The visible text (what a reader sees; scripts, hidden elements and iframes excluded)."""
        return walk(self.root, rendered=False).text if self.root is not None else ""

    @functools.cached_property
    def words(self) -> int:
        return len(self.text.split())

    @functools.cached_property
    def all_text(self) -> str:
        """Every text node of the body, visible or not (iframe fallback text included)."""
        if self.root is None:
            return ""
        return " ".join(" ".join(xpath(self.root, "//body//text()[not(parent::script)]")).split())

    def refusing(self) -> bool:
        return self.status in REFUSING_STATUSES

    def reason(self) -> str | None:
        """The second signal a vendor marker needs: a refusing status or an almost empty page."""
        if self.refusing():
            return f"status {self.status}"
        if self.words <= THIN_PAGE_WORDS:
            return f"{self.words} words of visible text"
        return None


def _words_of(el: etree._Element) -> int:
    return len(walk(el, rendered=False).text.split())


def _decide(
    kind: str, page: _Page, strong: list[str], weak: list[str], textual: Sequence[str] = ()
) -> Block | None:
    """A vendor's verdict: at least one strong (structural) marker plus a refusing status or a thin
    page. `textual` markers are words of the block page's text: an article can quote them, so they
    count only on a thin page, whatever the status."""
    if not strong and not (textual and page.words <= THIN_PAGE_WORDS):
        return None
    reason = page.reason()
    if reason is None:
        return None
    return Block(kind, _unique([*strong, *textual, *weak, reason]))


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- Cloudflare --------------------------------------------------------------------------------
# Markers from FlareSolverr's detector (FlareSolverr/FlareSolverr src/flaresolverr_service.py:
# CHALLENGE_TITLES, CHALLENGE_SELECTORS, ACCESS_DENIED_TITLES/SELECTORS) and its captured pages
# (FlareSolverr/FlareSolverr html_samples/cloudflare_spinner_v1.html, cloudflare_captcha_hcaptcha_v1.html:
# `window._cf_chl_opt`, `/cdn-cgi/challenge-platform/h/.../orchestrate/...`, `#challenge-form`
# posting `__cf_chl_f_tk`); the block page from KawaiiNET/kcdn jscripts/s_f8b0311b....js
# ("Attention Required! | Cloudflare", `#cf-error-details`). The header: Cloudflare's
# "Detect a Challenge Page response" (developers.cloudflare.com/cloudflare-challenges/
# challenge-types/challenge-pages/detect-response): `cf-mitigated: challenge` on every challenge.
_CF_TITLES = frozenset({"just a moment...", "just a moment…", "attention required! | cloudflare"})
_CF_IDS = (
    "cf-challenge-running",
    "challenge-running",
    "challenge-form",
    "challenge-stage",
    "challenge-error-text",
    "turnstile-wrapper",
    "cf-error-details",
)


def _cloudflare(page: _Page) -> Block | None:
    if page.header("cf-mitigated").lower() == "challenge":
        evidence = ["header cf-mitigated: challenge"]
        if page.refusing():
            evidence.append(f"status {page.status}")
        return Block("cloudflare", evidence)
    strong: list[str] = []
    if page.title.lower() in _CF_TITLES:
        strong.append(f"title {page.title!r}")
    for src, inline in page.scripts:
        if "_cf_chl_opt" in inline:
            strong.append("script _cf_chl_opt")
        # Normal pages behind Cloudflare Bot Management load `/cdn-cgi/challenge-platform/scripts/
        # jsd/main.js` too; only the challenge's own orchestration scripts count.
        if "/cdn-cgi/challenge-platform/" in src and "/scripts/jsd/" not in src:
            strong.append("script /cdn-cgi/challenge-platform/")
    ids = set(page.ids)
    strong.extend(f"element #{i}" for i in _CF_IDS if i in ids)
    weak = ["header server: cloudflare"] if page.header("server").lower() == "cloudflare" else []
    return _decide("cloudflare", page, strong, weak)


# --- Akamai ------------------------------------------------------------------------------------
# Akamai's edge refusal ("Access Denied ... You don't have permission to access ... on this server.
# Reference #18.e834768.1638849804.2c1382d", errors.edgesuite.net link), as quoted in
# nodesource/distributions#1220 and netbirdio/netbird#3670, with `Server: AkamaiGHost`
# (SuperXiaoxiong/ARL code/taskfile/whatweb/reviews.myrepi.com: 403, title "Access Denied").
# The page writes its reference as HTML entities; the parsed text has them decoded.
_AKAMAI_REFERENCE = re.compile(r"Reference #\d+\.[0-9a-f]+\.\d+\.[0-9a-f]+")


def _akamai(page: _Page) -> Block | None:
    if page.root is None:
        return None
    textual: list[str] = []
    match = _AKAMAI_REFERENCE.search(page.text)
    if match:
        textual.append(f"text {match.group(0)!r}")
    if "errors.edgesuite.net" in page.text:
        textual.append("text errors.edgesuite.net")
    weak: list[str] = []
    if page.title.lower() == "access denied":
        weak.append(f"title {page.title!r}")
    if page.header("server").lower().startswith("akamaighost"):
        weak.append(f"header server: {page.header('server')}")
    return _decide("akamai", page, [], weak, textual)


# --- DataDome ----------------------------------------------------------------------------------
# DataDome's block page as posted in psf/requests#5331 (`<p id="cmsg">Please enable JS and disable
# any ad blocker</p><script>var dd={'cid':...,'host':...}</script><script src=".../c.js">`), with
# today's hosts (geo./ct.captcha-delivery.com) as in Yusu-f/captcha-extension data.js. Normal
# pages of DataDome customers load js.datadome.co/tags.js, which is not a marker.
_DD_VAR = re.compile(r"\bvar\s+dd\s*=\s*\{[^}]*'cid'", re.S)
_DD_HOSTS = ("captcha-delivery.com", "datado.me")


def _datadome(page: _Page) -> Block | None:
    strong: list[str] = []
    for src, inline in page.scripts:
        host = next((h for h in _DD_HOSTS if h in src), None)
        if host:
            strong.append(f"script {host}")
        if _DD_VAR.search(inline):
            strong.append("script var dd={'cid': ...}")
    for src in page.iframe_srcs:
        host = next((h for h in _DD_HOSTS if h in src), None)
        if host:
            strong.append(f"iframe {host}")
    weak: list[str] = []
    if page.header("x-datadome"):
        weak.append(f"header x-datadome: {page.header('x-datadome')}")
    return _decide("datadome", page, strong, weak)


# --- PerimeterX (HUMAN) ------------------------------------------------------------------------
# PerimeterX's block page as captured in silverfoxy/JSCryptoMinerStudy pagesource/adorama.com
# (title "Access to this page has been denied.", `_pxCaptcha` cookie set by the captcha callback,
# `window._pxAppId`), and the enforcers' documented block-page contract (`<div id="px-captcha">`,
# captcha.px-cdn.net/<APP_ID>/captcha.js; PerimeterX enforcer READMEs). `_pxAppId` alone is the
# sensor every protected page loads, so it is only supporting evidence.
def _perimeterx(page: _Page) -> Block | None:
    strong: list[str] = []
    if page.title.lower().rstrip(".") == "access to this page has been denied":
        strong.append(f"title {page.title!r}")
    if "px-captcha" in page.ids:
        strong.append("element #px-captcha")
    weak: list[str] = []
    for src, inline in page.scripts:
        if "px-cdn.net" in src and "captcha" in src:
            strong.append("script captcha.px-cdn.net")
        if "_pxCaptcha" in inline:
            strong.append("script _pxCaptcha")
        if "_pxAppId" in inline:
            weak.append("script _pxAppId")
    return _decide("perimeterx", page, strong, weak)


# --- Imperva (Incapsula) -----------------------------------------------------------------------
# wafw00f's fingerprint (EnableSecurity/wafw00f wafw00f/plugins/incapsula.py: "Incapsula incident
# ID:", "/_Incapsula_Resource"), the block page (`<iframe id="main-iframe" src="/_Incapsula_Resource?
# ...">Request unsuccessful. Incapsula incident ID: ...</iframe>`, served with 200) and the older JS
# test page (ziplokk1/incapsula-cracker-py3 tests/whoscored/index.html: `___utmvc` cookie, hidden
# iframe to content.incapsula.com/jsTest.html). Normal Imperva pages load an
# `/_Incapsula_Resource?SWJIYLWA=` script too (tests/whoscored/whoscored-index_unblocked.html in
# the same repository), so a script reference is only supporting evidence.
def _imperva(page: _Page) -> Block | None:
    if page.root is None:
        return None
    strong: list[str] = []
    for src in page.iframe_srcs:
        if "/_Incapsula_Resource" in src:
            strong.append("iframe /_Incapsula_Resource")
        if "content.incapsula.com" in src:
            strong.append("iframe content.incapsula.com")
    textual = ["text 'Incapsula incident ID'"] if "Incapsula incident ID" in page.all_text else []
    weak: list[str] = []
    for src, inline in page.scripts:
        if "___utmvc" in inline:
            strong.append("script ___utmvc")
        if "/_Incapsula_Resource" in src or "/_Incapsula_Resource" in inline:
            weak.append("script /_Incapsula_Resource")
    if page.header("x-iinfo"):
        weak.append("header x-iinfo")
    return _decide("imperva", page, strong, weak, textual)


# --- CAPTCHA walls -----------------------------------------------------------------------------
# The widgets' documented embeds: reCAPTCHA (`div.g-recaptcha`, www.google.com/recaptcha/api.js or
# recaptcha.net), hCaptcha (`div.h-captcha`, js.hcaptcha.com/1/api.js), Turnstile (`div.cf-turnstile`,
# challenges.cloudflare.com/turnstile/v0/api.js); the wall shape after Google's /sorry/ page
# ("Our systems have detected unusual traffic ...", a captcha form and little else).
_CAPTCHA_CLASSES = (("g-recaptcha", "reCAPTCHA"), ("h-captcha", "hCaptcha"), ("cf-turnstile", "Turnstile"))
_CAPTCHA_SCRIPTS = (
    ("google.com/recaptcha/", "google.com/recaptcha/"),
    ("recaptcha.net/recaptcha/", "recaptcha.net/recaptcha/"),
    ("hcaptcha.com/1/api.js", "hcaptcha.com/1/api.js"),
    ("challenges.cloudflare.com/turnstile/", "challenges.cloudflare.com/turnstile/"),
)


def _captcha(page: _Page) -> Block | None:
    if page.root is None:
        return None
    evidence: list[str] = []
    widgets: list[etree._Element] = []
    for cls, _name in _CAPTCHA_CLASSES:
        found = xpath(page.root, f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {cls} ')]")
        if found:
            evidence.append(f"element .{cls}")
            widgets.extend(found)
    for src, _inline in page.scripts:
        evidence.extend(f"script {label}" for needle, label in _CAPTCHA_SCRIPTS if needle in src)
    if not evidence:
        return None
    # What a reader sees besides the challenge: the page minus the form holding the widget.
    holders = _outermost([_enclosing_form(w) for w in widgets]) if widgets else []
    outside = page.words - sum(_words_of(h) for h in holders)
    if outside > WALL_OUTSIDE_WORDS:
        return None
    return Block("captcha", _unique([*evidence, f"{outside} words outside the captcha"]))


def _enclosing_form(el: etree._Element) -> etree._Element:
    for ancestor in el.iterancestors("form"):
        return ancestor
    return el


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    """The elements not inside another of them (so no text is subtracted twice)."""
    chosen = set(elements)
    return [el for el in dict.fromkeys(elements) if not any(a in chosen for a in el.iterancestors())]


# --- Login walls -------------------------------------------------------------------------------
# A form with a password field and next to nothing else on the page. A site header's quick-login
# form (phpBB, vBulletin) sits above a whole thread, so the text outside it rules it out.
def _login(page: _Page) -> Block | None:
    if page.root is None:
        return None
    forms = [
        f
        for f in xpath(page.root, "//form")
        if any((i.get("type") or "").lower() == "password" for i in f.iter("input"))
    ]
    if not forms:
        return None
    outside = page.words - sum(_words_of(f) for f in _outermost(forms))
    if outside > LOGIN_OUTSIDE_WORDS:
        return None
    return Block("login", ["form with a password field", f"{outside} words outside the form"])


# --- Consent walls -----------------------------------------------------------------------------
# Consent managers' containers: OneTrust (`#onetrust-banner-sdk`, `#onetrust-consent-sdk`,
# `#onetrust-pc-sdk`, as handled in danielanderssonberlin/OptanonWrapper OptanonWrapper.js), Didomi,
# Quantcast (`qc-cmp`), Sourcepoint (`sp_message`), Cookiebot, Usercentrics, TrustArc, cookieconsent
# (`cc-window`). Google's "Before you continue to Google" page has no stable ids: it is recognised
# by being short and consent-only, with an accept/reject button.
_CONSENT_CONTAINER = re.compile(
    r"onetrust|didomi|qc-cmp|sp_message|cookiebot|usercentrics|truste|cc-window|cookie|consent|gdpr|\bcmp\b",
    re.I,
)
_CONSENT_WORDS = re.compile(r"\b(?:cookies?|consent|privacy|partners|accept all|reject all)\b", re.I)
_CONSENT_BUTTON = re.compile(
    r"^\s*(?:accept(?: all)?(?: cookies)?|reject all|i agree|agree|allow all|i accept)\s*$", re.I
)
_CONSENT_PHRASES = (
    "before you continue",
    "cookies",
    "consent",
    "accept all",
    "reject all",
    "partners",
    "personalised",
    "personalized",
)


def _consent(page: _Page) -> Block | None:
    if page.root is None:
        return None
    containers = [
        el
        for el in xpath(page.root, "//*[@id or @class]")
        if el.tag not in ("html", "body", "main", "article")
        and _CONSENT_CONTAINER.search(f"{el.get('id') or ''} {el.get('class') or ''}")
    ]
    dialogs = [el for el in _outermost(containers) if _CONSENT_WORDS.search(el.text_content())]
    if dialogs:
        inside = sum(_words_of(d) for d in dialogs)
        outside = page.words - inside
        if inside and outside <= CONSENT_OUTSIDE_WORDS:
            return Block(
                "consent", [f"consent dialog {_name(dialogs[0])}", f"{outside} words outside the dialog"]
            )
        return None
    if page.words > CONSENT_PAGE_WORDS:
        return None
    buttons = [
        b
        for b in xpath(page.root, "//button | //input[@type='submit'] | //a[@role='button']")
        if _CONSENT_BUTTON.match(b.text_content() or b.get("value") or "")
    ]
    lowered = page.text.lower()
    phrases = [p for p in _CONSENT_PHRASES if p in lowered]
    if not buttons or len(phrases) < 3:
        return None
    label = " ".join((buttons[0].text_content() or buttons[0].get("value") or "").split())
    return Block(
        "consent",
        [f"consent text: {', '.join(phrases)}", f"button {label!r}", f"{page.words} words of visible text"],
    )


def _name(el: etree._Element) -> str:
    if el.get("id"):
        return f"#{el.get('id')}"
    return "." + (el.get("class") or "").split()[0]


_DETECTORS = (_cloudflare, _akamai, _datadome, _perimeterx, _imperva, _login, _captcha, _consent)


# Every detector needs a refusing status, a challenge header, or a page that shows little text
# (vendors: at most THIN_PAGE_WORDS; walls: a few dozen words outside the wall's form or dialog).
# A page showing more than this many words, served with neither, is none of them: not checked.
PLAIN_PAGE_WORDS = 600


def _plainly_a_page(page: _Page) -> bool:
    return (
        page.root is not None
        and page.status not in REFUSING_STATUSES
        and "cf-mitigated" not in page.headers
        and page.words > PLAIN_PAGE_WORDS
    )


def detect_block(
    html: str | etree._Element | None,
    headers: Mapping[str, str],
    status: int | None,
    visible_text: str | None = None,
) -> Block | None:
    """The bot challenge, CAPTCHA, login or consent wall a response is, or None for a real page.

    `html`: the body (str) or a tree from `dom.parse_html`; None or "" for an empty body.
    `headers`: response headers with lower-case names (one value each). `status`: the HTTP status,
    None when unknown (a rendered snapshot). `visible_text`: the page's visible text when the
    caller has it already (extraction's `PageExtraction.text`), so the page is not walked twice.
    Vendors are checked before the generic walls, so a Cloudflare challenge that shows a
    Turnstile widget is "cloudflare", not "captcha".
    """
    root = parse_html(html) if isinstance(html, str) else html
    page = _Page(root, headers, status, visible_text)
    if _plainly_a_page(page):
        return None
    for detector in _DETECTORS:
        block = detector(page)
        if block is not None:
            return block
    return None
