"""Rendering: when a page goes through Chromium (the render policy), how it is driven there
(bounded interaction), and how its live DOM is snapshotted for extraction.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from fnmatch import fnmatch
from importlib import resources

from lxml import etree
from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.page import PageMethod

from backlink_spider.extract.dom import parse_html, walk

RENDER_MODES = ("auto", "always", "never")

# The page script (snapshot.js): lets the page settle, scrolls and clicks "load more" within
# bounds, then serialises the DOM with open shadow roots (<bl-shadow-root>), same-origin iframes
# (<bl-iframe>) and computed visibility (data-bl-hidden="1" where an element becomes hidden, "0"
# where it becomes visible again). A file of its own, so editors and linters see JavaScript.
SNAPSHOT_JS = resources.files("backlink_spider").joinpath("snapshot.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class RenderOptions:
    """How a page is driven in the browser. All bounds come from settings (see settings.py)."""

    wait_for_network_idle_ms: int
    dom_quiet_ms: int
    settle_timeout_ms: int
    scroll_steps: int
    click_selectors: tuple[str, ...]
    max_clicks: int
    budget_ms: int
    max_chars: int

    @classmethod
    def from_settings(cls, settings) -> RenderOptions:  # noqa: ANN001
        """The options of a crawl, from its Scrapy `settings`."""
        return cls(
            wait_for_network_idle_ms=settings.getint("RENDER_NETWORK_IDLE_TIMEOUT_MS"),
            dom_quiet_ms=settings.getint("RENDER_DOM_QUIET_MS"),
            settle_timeout_ms=settings.getint("RENDER_SETTLE_TIMEOUT_MS"),
            scroll_steps=settings.getint("RENDER_SCROLL_STEPS"),
            click_selectors=tuple(settings.getlist("RENDER_CLICK_SELECTORS")),
            max_clicks=settings.getint("RENDER_MAX_CLICKS"),
            budget_ms=settings.getint("RENDER_PAGE_BUDGET_MS"),
            max_chars=settings.getint("DOWNLOAD_MAXSIZE") or 2**31 - 1,
        )

    def page_methods(self) -> list[PageMethod]:
        """The scrapy-playwright page method that waits, interacts and snapshots the page within
        the time budget; the snapshot is its `.result`. A module-level function, so the request
        stays picklable (disk and Redis queues)."""
        return [
            PageMethod(
                snapshot_page,
                {
                    "idleMs": self.wait_for_network_idle_ms,
                    "quietMs": self.dom_quiet_ms,
                    "settleTimeoutMs": self.settle_timeout_ms,
                    "scrollSteps": self.scroll_steps,
                    "clickSelectors": list(self.click_selectors),
                    "maxClicks": self.max_clicks,
                    "budgetMs": self.budget_ms,
                    "maxChars": self.max_chars,
                },
            )
        ]


class RenderBudgetExceeded(Exception):
    """The page did not settle and snapshot within RENDER_PAGE_BUDGET_MS."""


async def snapshot_page(page, options: dict) -> dict:  # noqa: ANN001
    """Wait for the network to go quiet (capped: pages that poll forever still get snapshotted),
    then for the DOM to stay unchanged for `options["quietMs"]` (capped), scroll until a scroll adds
    nothing, click "load more" controls, and serialise the live DOM, all within the page's budget.
    `options` are those of `RenderOptions.page_methods`; returns `{"html", "url", "clicks",
    "truncated"}`."""

    async def run() -> dict:
        try:
            await page.wait_for_load_state("networkidle", timeout=options["idleMs"])
        except PlaywrightTimeoutError:
            pass
        return await page.evaluate(SNAPSHOT_JS, options)

    budget = options["budgetMs"] / 1000
    try:
        # the in-page interaction stops itself at the budget; the margin is for serialising
        return await asyncio.wait_for(run(), timeout=budget + 5)
    except TimeoutError:
        raise RenderBudgetExceeded(f"page did not finish rendering within {budget:g}s") from None


# --- the render policy (render=auto) --------------------------------------------------------

_APP_ROOT_IDS = ("app", "root", "__next", "__nuxt", "svelte", "main-app", "application", "ember-app")
_LOADING = re.compile(r"^\s*(loading|please wait|fetching)\b", re.I)
_LOADING_CLASS = re.compile(r"(?:^|[\s_-])(loading|spinner|skeleton|placeholder)(?:$|[\s_-])", re.I)
_ENABLE_JS = re.compile(
    r"enable\s+javascript|javascript\s+(is\s+)?(required|disabled)|requires\s+javascript", re.I
)
THIN_TEXT_CHARS = 200


def _empty(el: etree._Element) -> bool:
    return not " ".join(el.text_content().split()) and not len(el)


def render_reason(html: str | etree._Element | None) -> str | None:
    """Why the static HTML of a page needs a browser to show its content, or None.

    Reasons: `empty-app-root` (an SPA mount node with nothing in it), `noscript-requires-js`,
    `loading-placeholder` (content announced as loading), `custom-elements` (elements that carry
    shadow DOM), `thin-text` (scripts but almost no visible text). `html` may be the parsed tree.
    """
    root = parse_html(html) if isinstance(html, str) else html
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
    has_script = any(True for _ in root.iter("script"))
    if not has_script:
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
    # visible text, roughly: all text minus scripts and styles (the exact walk only when close)
    scripts = sum(len(el.text or "") for el in root.iter("script", "style", "noscript", "template"))
    if len(root.text_content()) - scripts > 4 * THIN_TEXT_CHARS:
        return None
    if len(walk(root, rendered=False).text) < THIN_TEXT_CHARS:
        return "thin-text"
    return None


# --- per-crawl policy: user rules, app-shell evidence, per-site learning ----------------------------


@dataclass
class SiteLearning:
    samples: int = 0
    verdict: str | None = None  # "render" | "static"


@dataclass(frozen=True)
class PageCounts:
    """What extraction found on one version of a page (compared static vs rendered)."""

    target_links: int
    mentions: int
    links: int
    text: int


class RenderPolicy:
    """When `render=auto` sends a page to Chromium, and why.

    In order: `RENDER_NEVER_HOSTS` and `RENDER_ALWAYS_HOSTS` (fnmatch host patterns) always win;
    a site learned to need rendering is rendered (`site-learned`); app-shell evidence in the static
    HTML (see `render_reason`); otherwise the first `RENDER_SAMPLE_PAGES` static-looking pages of
    each site are rendered as samples (`sample`) and compared with their static version: if
    rendering revealed target links or brand mentions, or clearly more links or text
    (`RENDER_REVEAL_RATIO`), the site's pages are rendered from then on; if no sample revealed
    anything, the site is static and costs one request per page.
    """

    def __init__(
        self, always: list[str], never: list[str], samples: int = 2, reveal_ratio: float = 1.5
    ) -> None:
        self.always = [p.lower() for p in always]
        self.never = [p.lower() for p in never]
        self.samples = samples
        self.reveal_ratio = reveal_ratio
        self.sites: dict[str, SiteLearning] = {}

    @classmethod
    def from_settings(cls, settings) -> RenderPolicy:  # noqa: ANN001
        return cls(
            settings.getlist("RENDER_ALWAYS_HOSTS"),
            settings.getlist("RENDER_NEVER_HOSTS"),
            settings.getint("RENDER_SAMPLE_PAGES"),
            settings.getfloat("RENDER_REVEAL_RATIO"),
        )

    def decide(self, host: str, site: str, html: str | etree._Element | None) -> str | None:
        """The reason to render this page, or None to keep its static HTML."""
        host = host.lower()
        if any(fnmatch(host, p) for p in self.never):
            return None
        if any(fnmatch(host, p) for p in self.always):
            return "rule:always"
        learning = self.sites.setdefault(site, SiteLearning())
        if learning.verdict == "render":
            return "site-learned"
        reason = render_reason(html)
        if reason:
            return reason
        if learning.verdict is None and learning.samples < self.samples:
            learning.samples += 1
            return "sample"
        return None

    def learn(self, site: str, static: PageCounts, rendered: PageCounts) -> bool:
        """Record a sample's outcome; True when it showed the site needs rendering."""
        learning = self.sites.setdefault(site, SiteLearning())
        revealed = (
            rendered.target_links > static.target_links
            or rendered.mentions > static.mentions
            or rendered.links > max(static.links * self.reveal_ratio, static.links + 5)
            or rendered.text > max(static.text * self.reveal_ratio, static.text + 500)
        )
        if revealed:
            learning.verdict = "render"
        elif learning.samples >= self.samples and learning.verdict is None:
            learning.verdict = "static"
        return revealed
