"""What the static HTML of a page says about needing a browser, without rendering it.

`render_reason` finds app-shell evidence (the page needs a browser); `fingerprint` names the
platform or framework that made the page (generator tags, known asset paths, hydration data) and
says whether its content is already in the HTML. Pure functions over the parsed page: the render
policy (renderpolicy.py) decides from them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from lxml import etree

from backlink_spider.extract.dom import parse_html, walk
from backlink_spider.responses import mime_type

_APP_ROOT_IDS = ("app", "root", "__next", "__nuxt", "svelte", "main-app", "application", "ember-app")
_LOADING = re.compile(r"^\s*(loading|please wait|fetching)\b", re.I)
_LOADING_CLASS = re.compile(r"(?:^|[\s_-])(loading|spinner|skeleton|placeholder)(?:$|[\s_-])", re.I)
_ENABLE_JS = re.compile(
    r"enable\s+javascript|javascript\s+(is\s+)?(required|disabled)|requires\s+javascript", re.I
)
THIN_TEXT_CHARS = 200
# A known platform's or SSR framework's page "has its content" with this much visible text.
CONTENT_CHARS = 2 * THIN_TEXT_CHARS
# An unknown page with this much visible text and this many links is server-rendered.
PLENTY_TEXT_CHARS = 2000
PLENTY_LINKS = 20
# <script type=...> values a browser runs (other types are data: JSON-LD, import maps, templates).
_JS_TYPES = frozenset(
    {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript"}
)


def _empty(el: etree._Element) -> bool:
    return not " ".join(el.text_content().split()) and not len(el)


def _root(html: str | etree._Element | None) -> etree._Element | None:
    return parse_html(html) if isinstance(html, str) else html


def scripts(root: etree._Element) -> list[etree._Element]:
    """The `<script>` elements a browser runs."""
    return [el for el in root.iter("script") if mime_type(el.get("type")) in _JS_TYPES]


def _rough_text(root: etree._Element) -> int:
    """All text minus scripts and styles: at least the visible text's length."""
    hidden = sum(len(el.text or "") for el in root.iter("script", "style", "noscript", "template"))
    return len(root.text_content()) - hidden


def render_reason(html: str | etree._Element | None) -> str | None:
    """Why the static HTML of a page needs a browser to show its content, or None.

    Reasons: `empty-app-root` (an SPA mount node with nothing in it), `noscript-requires-js`,
    `loading-placeholder` (content announced as loading), `custom-elements` (elements that carry
    shadow DOM), `thin-text` (scripts but almost no visible text). `html` may be the parsed tree.
    """
    root = _root(html)
    if root is None:
        return None
    for el in root.iter("div", "main", "section", "app-root"):
        ident = (el.get("id") or "").lower()
        if (
            el.tag == "app-root" or ident in _APP_ROOT_IDS or el.get("data-reactroot") is not None
        ) and _empty(el):
            return "empty-app-root"
    for noscript in root.iter("noscript"):
        if _ENABLE_JS.search(noscript.text_content() or ""):
            return "noscript-requires-js"
    if not scripts(root):
        return None
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if _LOADING_CLASS.search(el.get("class") or "") and len(" ".join(el.text_content().split())) < 40:
            return "loading-placeholder"
        if el.text and _LOADING.match(el.text) and len(el.text.strip()) < 40:
            return "loading-placeholder"
        if "-" in el.tag and el.tag not in ("bl-shadow-root", "bl-iframe"):
            return "custom-elements"
    if _rough_text(root) > 4 * THIN_TEXT_CHARS:  # the exact walk only when close
        return None
    if len(walk(root, rendered=False).text) < THIN_TEXT_CHARS:
        return "thin-text"
    return None


# --- platforms and frameworks ------------------------------------------------------------------

# Server-rendered platforms, by their <meta name="generator"> (matched in lower case).
_GENERATORS = (
    ("wordpress", "wordpress"),
    ("ghost", "ghost"),
    ("hugo", "hugo"),
    ("jekyll", "jekyll"),
    ("drupal", "drupal"),
    ("joomla", "joomla"),
    ("discourse", "discourse"),
    ("phpbb", "phpbb"),
    ("vbulletin", "vbulletin"),
    ("xenforo", "xenforo"),
    ("mediawiki", "mediawiki"),
    ("blogger", "blogger"),
    ("medium", "medium"),
    ("eleventy", "eleventy"),
    ("hexo", "hexo"),
    ("pelican", "pelican"),
    ("mkdocs", "mkdocs"),
    ("sphinx", "sphinx"),
    ("docusaurus", "docusaurus"),
    ("gatsby", "gatsby"),
    ("typo3", "typo3"),
    ("squarespace", "squarespace"),
    ("wix.com", "wix"),
    ("hubspot", "hubspot"),
    ("discuz", "discuz"),
    ("invision", "invision"),
    ("mybb", "mybb"),
    ("nodebb", "nodebb"),
    ("flarum", "flarum"),
)
# Server-rendered platforms, by a fragment of an asset URL (link href, script src).
_ASSET_MARKERS = (
    ("/wp-content/", "wordpress"),
    ("/wp-includes/", "wordpress"),
    ("/sites/default/files/", "drupal"),
    ("/media/jui/", "joomla"),
    ("cdn.shopify.com", "shopify"),
    ("static1.squarespace.com", "squarespace"),
    ("www.blogger.com/", "blogger"),
    ("/clientscript/vbulletin", "vbulletin"),
    ("/load.php?", "mediawiki"),
)
# Frameworks that hydrate in the browser: their HTML holds the content when rendered on the server.
_HYDRATION_IDS = (("__NEXT_DATA__", "nextjs"), ("__nuxt", "nuxt"), ("___gatsby", "gatsby"))
_HYDRATION_ATTRS = (
    ("data-reactroot", "react"),
    ("ng-version", "angular"),
    ("data-server-rendered", "vue"),
    ("data-sveltekit-preload-data", "sveltekit"),
)
_HYDRATION_SCRIPTS = (
    ("window.__NUXT__", "nuxt"),
    ("__remixContext", "remix"),
    ("__sveltekit", "sveltekit"),
    ("/_next/", "nextjs"),
)
_HASHISH = re.compile(r"[.-][0-9a-f]{6,}(?=\.)|\d+")
_STRINGS = re.compile(r"\"[^\"]*\"|'[^']*'|`[^`]*`|\d+|\s+")


@dataclass(frozen=True)
class Fingerprint:
    """What made a page and what its static HTML is worth.

    `family`: the platform or framework (`wordpress`, `hugo`, `nextjs`, ...), else a signature of
    its scripts (`scripts:1a2b3c4d5e`: sites built from one template share it), else None.
    `verdict`: `static` (the HTML holds the page: no render, no sample), `render` (a framework's
    mount with little in it), or None (ambiguous: only a sample tells). `reason` names the verdict
    (`no-scripts`, `platform:wordpress`, `ssr:nextjs`, `server-rendered`, `spa:nuxt`); `evidence`
    is what identified the family (`generator=Hugo 0.120`, `/wp-content/`, `__NEXT_DATA__`).
    """

    family: str | None = None
    verdict: str | None = None
    reason: str | None = None
    evidence: str = ""


def platform_of(root: etree._Element) -> tuple[str | None, str]:
    """A server-rendered platform named by the page (generator tag, asset paths, platform
    markers), with the evidence; (None, "") when none."""
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").lower()
        content = (meta.get("content") or "").strip()
        if name == "generator":
            lowered = content.lower()
            for needle, platform in _GENERATORS:
                if needle in lowered:
                    return platform, f"generator={content[:60]}"
        elif name.startswith("discourse_"):
            return "discourse", f"meta {name}"
        elif name == "al:ios:app_name" and content.lower() == "medium":
            return "medium", "meta al:ios:app_name=Medium"
    body = root.find("body")
    if root.get("id") == "XF":
        return "xenforo", "html#XF"
    if body is not None:
        if body.get("id") == "phpbb":
            return "phpbb", "body#phpbb"
        if "mediawiki" in (body.get("class") or "").split():
            return "mediawiki", "body.mediawiki"
    for el in root.iter("link", "script"):
        url = el.get("href") or el.get("src") or ""
        for needle, platform in _ASSET_MARKERS:
            if needle in url:
                return platform, needle
    return None, ""


def framework_of(root: etree._Element, page_scripts: list[etree._Element]) -> tuple[str | None, str]:
    """A hydrating JavaScript framework named by the page (mount ids, hydration data, framework
    attributes, bundle paths), with the evidence; (None, "") when none."""
    for ident, framework in _HYDRATION_IDS:
        if root.xpath("//*[@id=$ident]", ident=ident):
            return framework, ident
    for attr, framework in _HYDRATION_ATTRS:
        if root.xpath(f"//*[@{attr}]"):
            return framework, attr
    for el in page_scripts:
        code = (el.get("src") or "") + (el.text or "")[:2000]
        for needle, framework in _HYDRATION_SCRIPTS:
            if needle in code:
                return framework, needle
    return None, ""


def script_signature(page_scripts: list[etree._Element]) -> str | None:
    """A short name for a page's scripts (their file names without hashes and numbers, and the
    shape of inline code), so pages built from the same template share it; None without scripts."""
    parts = set()
    for el in page_scripts:
        src = el.get("src")
        if src:
            name = src.split("?")[0].split("#")[0].rstrip("/").rsplit("/", 1)[-1].lower()
            parts.add("src:" + _HASHISH.sub("", name))
        else:
            parts.add("inline:" + _STRINGS.sub("", el.text or "")[:40])
    if not parts:
        return None
    return "scripts:" + hashlib.sha1("\n".join(sorted(parts)).encode()).hexdigest()[:10]


def fingerprint(html: str | etree._Element | None) -> Fingerprint:
    """The page's Fingerprint (see there). `html` may be the parsed tree."""
    root = _root(html)
    if root is None:
        return Fingerprint(verdict="static", reason="no-scripts")
    page_scripts = scripts(root)
    if not page_scripts and not any(True for _ in root.iter("iframe")):
        return Fingerprint(verdict="static", reason="no-scripts")
    platform, evidence = platform_of(root)
    framework, framework_evidence = (None, "") if platform else framework_of(root, page_scripts)
    family = platform or framework or script_signature(page_scripts)
    evidence = evidence or framework_evidence
    # the rough measure when it is far above the bar; the exact walk only when close
    text, links = _rough_text(root), sum(1 for el in root.iter("a") if el.get("href") is not None)
    if CONTENT_CHARS <= text < 2 * (PLENTY_TEXT_CHARS if links >= PLENTY_LINKS else CONTENT_CHARS):
        walked = walk(root, rendered=False)
        text, links = len(walked.text), len(walked.links)
    if platform and text >= CONTENT_CHARS:
        return Fingerprint(platform, "static", f"platform:{platform}", evidence)
    if framework:
        if text >= CONTENT_CHARS:
            return Fingerprint(framework, "static", f"ssr:{framework}", evidence)
        return Fingerprint(framework, "render", f"spa:{framework}", evidence)
    if text >= PLENTY_TEXT_CHARS and links >= PLENTY_LINKS:
        return Fingerprint(family, "static", "server-rendered", evidence)
    return Fingerprint(family, None, None, evidence)
