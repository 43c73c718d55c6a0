"""Rendering: how a page is driven in Chromium (bounded interaction) and how its live DOM is
snapshotted for extraction. When a page goes there under render=auto is renderpolicy.py's (the
policy) and fingerprints.py's (the evidence).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from importlib import resources

from playwright.async_api import TimeoutError as PlaywrightTimeoutError
from scrapy_playwright.page import PageMethod

RENDER_MODES = ("auto", "always", "never")

# The page script (snapshot.js): lets the page settle, scrolls and clicks "load more" within
# bounds, then serialises the DOM with open shadow roots (<bl-shadow-root>), same-origin iframes
# (<bl-iframe>) and computed visibility (data-bl-hidden="1" where an element becomes hidden, "0"
# where it becomes visible again). A file of its own, so editors and linters see JavaScript.
SNAPSHOT_JS = resources.files("backlink_spider").joinpath("snapshot.js").read_text(encoding="utf-8")
# The init script of every rendered page (pagewatch.js): keeps account, from before the page's own
# scripts run, of its requests in flight and its short timers, which snapshot.js then waits for.
PAGEWATCH_JS = resources.files("backlink_spider").joinpath("pagewatch.js").read_text(encoding="utf-8")


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
    """Wait for the DOM to settle (no change for `options["quietMs"]`, capped, and none of the
    page's own work in flight: pagewatch.js), scroll until a scroll adds nothing, click "load more"
    controls, and serialise the live DOM, all within the page's budget. A page opened without the
    page watch (not by the crawl's contexts) first waits for the network to go quiet (capped: pages
    that poll forever still get snapshotted). `options` are those of `RenderOptions.page_methods`;
    returns `{"html", "url", "clicks", "truncated", "timings"}`, `timings` being the phases'
    milliseconds (the page script's settle, scroll, clicks and serialise, plus `networkIdleMs` and
    `evaluateMs` seen from here: what evaluate took beyond the in-page phases is the transfer), for
    bench/breakdown.py."""

    async def run() -> dict:
        started = time.perf_counter()
        # one round trip when the page has the watch: the script answers `noWatch` at once otherwise
        result = await page.evaluate(SNAPSHOT_JS, {**options, "requireWatch": True})
        idle_done = started
        if result.get("noWatch"):
            try:
                await page.wait_for_load_state("networkidle", timeout=options["idleMs"])
            except PlaywrightTimeoutError:
                pass
            idle_done = time.perf_counter()
            result = await page.evaluate(SNAPSHOT_JS, options)
        timings = result.setdefault("timings", {})
        timings["networkIdleMs"] = (idle_done - started) * 1000
        timings["evaluateMs"] = (time.perf_counter() - idle_done) * 1000
        return result

    budget = options["budgetMs"] / 1000
    try:
        # the in-page interaction stops itself at the budget; the margin is for serialising
        return await asyncio.wait_for(run(), timeout=budget + 5)
    except TimeoutError:
        raise RenderBudgetExceeded(f"page did not finish rendering within {budget:g}s") from None
