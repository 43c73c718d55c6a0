"""Chromium for rendering: finding one, launching it, and guarding what it fetches.

Provisioning order: the `BROWSER_EXECUTABLE` setting; a Playwright-managed Chromium (what
`playwright install chromium` downloads); a system browser on PATH (`chromium`,
`chromium-browser`, `google-chrome`, ...). `render=never` never needs any of them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Request as PlaywrightRequest
from playwright.async_api import Route
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from backlink_spider.egress import EgressProxy
from backlink_spider.hostscope import HostScope
from backlink_spider.middlewares import AddressRefusedError
from backlink_spider.netsafety import AddressPolicy
from backlink_spider.render import PAGEWATCH_JS
from backlink_spider.tabs import Tabs
from backlink_spider.target import host_of

logger = logging.getLogger(__name__)

SYSTEM_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# Flags for a headless crawler: no background traffic to Google, no first-run UI. `--no-sandbox`
# is added only when running as root (Chromium refuses to start otherwise).
CHROMIUM_ARGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--no-first-run",
    "--disable-quic",
    "--disable-gpu",
    "--mute-audio",
)


class BrowserNotFound(RuntimeError):
    """No Chromium could be found and the crawl needs one."""


def playwright_chromium() -> str | None:
    """Path of the Playwright-managed Chromium when it is installed, else None (no network use)."""
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    if not root.is_dir():
        return None
    candidates = sorted(root.glob("chromium-*/chrome-linux*/chrome"), reverse=True)
    candidates += sorted(root.glob("chromium_headless_shell-*/chrome-*/headless_shell"), reverse=True)
    for path in candidates:
        if os.access(path, os.X_OK):
            return str(path)
    return None


def find_browser(configured: str | None = None) -> tuple[str | None, str]:
    """(executable path or None for Playwright's default, how it was found).

    Raises BrowserNotFound with a one-line message when nothing usable exists.
    """
    if configured:
        path = shutil.which(configured) or configured
        if not (os.path.isfile(path) and os.access(path, os.X_OK)):
            raise BrowserNotFound(f"BROWSER_EXECUTABLE={configured!r} is not an executable file")
        return path, "setting"
    managed = playwright_chromium()
    if managed:
        return None, "playwright"
    for name in SYSTEM_BROWSERS:
        path = shutil.which(name)
        if path:
            return path, "system"
    raise BrowserNotFound(
        "rendering needs Chromium and none was found: run `playwright install chromium`, install "
        "the `chromium` package, set BROWSER_EXECUTABLE, or use -a render=never"
    )


def launch_options(settings, executable: str | None) -> dict:  # noqa: ANN001
    """PLAYWRIGHT_LAUNCH_OPTIONS for this crawl (user-given options win, except the egress
    flags, which `confine` adds when the browser starts)."""
    options = dict(settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS"))
    options.setdefault("headless", True)
    args = list(options.get("args") or CHROMIUM_ARGS)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and "--no-sandbox" not in args:
        args.append("--no-sandbox")
    options["args"] = args
    if executable:
        options.setdefault("executable_path", executable)
    return options


def confine(options: dict, proxy_url: str, js_heap_mb: int) -> dict:
    """Launch options with every connection of the browser sent through the egress proxy:
    `--proxy-server` with loopback not bypassed, no WebRTC traffic outside the proxy, and a cap
    on each renderer's JavaScript heap. A proxy of the user's own is not allowed around it."""
    options = {k: v for k, v in options.items() if k != "proxy"}
    args = [
        a
        for a in options.get("args") or ()
        if not a.startswith(("--proxy-", "--no-proxy-server", "--proxy-auto-detect", "--host-resolver-rules"))
        and not a.startswith(
            ("--webrtc-ip-handling-policy", "--force-webrtc-ip-handling-policy", "--js-flags")
        )
    ]
    args += [
        f"--proxy-server={proxy_url}",
        "--proxy-bypass-list=<-loopback>",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--dns-prefetch-disable",
    ]
    if js_heap_mb > 0:
        args.append(f"--js-flags=--max-old-space-size={js_heap_mb}")
    options["args"] = args
    return options


# Pages may not open windows: window.open returns null (and a page opened anyway is closed).
NO_POPUPS_JS = "Object.defineProperty(window, 'open', {value: () => null, writable: false});"
# Seconds a new context's set-up (its init scripts) may take before the context is given up.
CONTEXT_SETUP_TIMEOUT = 15
# scrapy-playwright's per-context page limit, made never to bind (see RenderDownloadHandler).
UNBOUNDED = 2**31 - 1
_ERROR_URL = re.compile(r"\bat ((?:https?|wss?)://\S+)")


# Browser subrequests that robots.txt decides on, as for Scrapy's own requests.
ROBOTS_CHECKED_TYPES = frozenset({"document", "xhr", "fetch", "eventsource"})
# Resource types never needed to find links and text.
ABORTED_RESOURCE_TYPES = frozenset({"image", "media", "font"})


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's handler, with the crawler's rules applied to the browser's own
    subrequests (which bypass Scrapy's middlewares): non-public addresses refused as for any
    request, robots.txt obeyed for page loads and data requests (fetch/XHR), images/media/fonts
    and `RENDER_BLOCKED_HOSTS` aborted. Stats: `render/subrequests_refused`,
    `render/subrequests_robots_forbidden`, `render/subrequests_blocked`."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.policy = AddressPolicy.from_settings(crawler.settings)
        # Every connection of the browser goes through the egress proxy (see egress.py).
        self.egress = EgressProxy(
            self.policy, HostScope.from_settings(crawler.settings).refusal, crawler.stats
        )
        self.config.launch_options = confine(
            self.config.launch_options, self.egress.url, crawler.settings.getint("RENDER_JS_HEAP_MB")
        )
        self.blocked_hosts = tuple(h.lower() for h in crawler.settings.getlist("RENDER_BLOCKED_HOSTS"))
        self.abort_request = self._abort_subrequest
        self._crawler_stats = crawler.stats
        self._crawler = crawler
        self._robots = None  # the crawl's RobotsTxtMiddleware, found on first use
        # render=auto: the static response of a page being rendered, served to Chromium for its
        # main document instead of a second download (RENDER_REUSE_STATIC), by request URL
        self.reuse_static = crawler.settings.getbool("RENDER_REUSE_STATIC")
        self._static_documents: dict[str, dict] = {}
        # Pages rendered at once, each in a context of its own (recycled) and a tab of its own
        # (reused): tabs.py. Its lanes are the one bound on pages and contexts. scrapy-playwright's
        # own semaphores are not used: they count a page or context as gone only when its close
        # event arrives, so one close that failed would hold a lane forever.
        self.tabs = Tabs(
            crawler.settings.getint("RENDER_CONCURRENCY"),
            crawler.settings.getint("RENDER_CONTEXT_PAGES"),
            self._close_context,
            crawler.stats,
        )
        self.config.max_pages_per_context = UNBOUNDED
        self.config.max_contexts = None
        if hasattr(self, "context_semaphore"):
            del self.context_semaphore

    async def _launch(self) -> None:
        await self.egress.start()
        await super()._launch()

    async def _close(self) -> None:
        await super()._close()
        await self.egress.close()

    async def _create_browser_context(self, name, context_kwargs, spider=None):  # noqa: ANN001, ANN202
        """A context whose pages cannot open windows: window.open is gone, and any page the
        context opens by itself (target=_blank, a form's popup) is closed at once."""
        wrapper = await super()._create_browser_context(name, context_kwargs, spider)
        try:
            # bounded: scrapy-playwright holds its context lock meanwhile, and a browser killed at
            # this moment must fail this context, not stall every page of the crawl behind it
            await asyncio.wait_for(
                wrapper.context.add_init_script(NO_POPUPS_JS + "\n" + PAGEWATCH_JS), CONTEXT_SETUP_TIMEOUT
            )
        except (PlaywrightError, TimeoutError):
            self.context_wrappers.pop(name, None)
            try:
                await asyncio.wait_for(wrapper.context.close(), CONTEXT_SETUP_TIMEOUT)
            except (PlaywrightError, TimeoutError):
                pass
            raise
        wrapper.context.on("page", self._close_popup)
        return wrapper

    async def _close_popup(self, page) -> None:  # noqa: ANN001
        try:
            if await page.opener() is not None:
                self._crawler_stats.inc_value("render/popups_closed")
                await page.close()
        except PlaywrightError:
            pass

    async def _download_request(self, request, spider=None):  # noqa: ANN001, ANN202
        """A rendered page whose navigation the egress guard refused (directly or at a redirect
        hop) fails as refused, with the reason, never as the proxy's answer or an error page."""
        try:
            response = await self._download_in_context(request, spider)
        except PlaywrightError as exc:
            found = _ERROR_URL.search(str(exc))
            reason = self.egress.refusal_for(found.group(1)) if found else None
            if reason:
                raise AddressRefusedError(f"refused: {reason}") from None
            raise
        refused = response.headers.get(b"X-Egress-Refused")
        methods = request.meta.get("playwright_page_methods") or ()
        result = getattr(methods[-1], "result", None) if methods else None
        shown = result.get("url") if isinstance(result, dict) else None
        if refused is None and (
            response.url.startswith("chrome-error:") or str(shown).startswith("chrome-error:")
        ):
            refused = b"the page navigated to an address the egress guard refused"
        if refused is None and shown and self.egress.refusal_for(str(shown)):
            refused = f"the page navigated to {shown}: {self.egress.refusal_for(str(shown))}".encode(
                "latin-1", "replace"
            )
        if refused is not None:
            self._crawler_stats.inc_value("render/navigations_refused")
            raise AddressRefusedError(f"refused: {refused.decode('latin-1')}")
        return response

    def _make_request_handler(
        self,
        context_name: str,
        method: str,
        url: str,
        headers: Headers,
        body: bytes | None,
        encoding: str,
        spider: Spider,
        initial_request_done: asyncio.Event,
    ) -> Callable:
        """scrapy-playwright's route handler, except that the page's own document is answered from
        the static response already fetched (through every middleware: robots, the address guard)
        when there is one: the page is downloaded once, not twice."""
        handle = super()._make_request_handler(
            context_name, method, url, headers, body, encoding, spider, initial_request_done
        )

        async def handler(route: Route, playwright_request: PlaywrightRequest) -> None:
            static = self._static_documents.get(url)
            if (
                static is not None
                and not static.get("served")
                and playwright_request.is_navigation_request()
                and playwright_request.frame.parent_frame is None
                and playwright_request.url.rstrip("/") == url.rstrip("/")
            ):
                static["served"] = True
                initial_request_done.set()
                self._crawler_stats.inc_value("render/document_from_static")
                await route.fulfill(
                    status=static["status"] or 200,
                    headers={"content-type": "text/html; charset=utf-8", **static.get("headers", {})},
                    body=static["html"],
                )
                return
            await handle(route, playwright_request)

        return handler

    async def _download_in_context(self, request, spider=None):  # noqa: ANN001, ANN202
        """Every rendered page waits for a free lane (see tabs.py) and renders in its context, in
        its open tab when it has one. Contexts block service workers (whose requests escape the
        abort predicate) and downloads (never saved)."""
        async with self.tabs.lease() as lease:
            request.meta["playwright_context"] = lease.context
            request.meta.setdefault(
                "playwright_context_kwargs", {"service_workers": "block", "accept_downloads": False}
            )
            # the page stays open after the download (the handler closes it otherwise), so the
            # lease can keep the tab; it never leaves this method in the request's meta
            request.meta["playwright_include_page"] = True
            if lease.page is not None:
                request.meta["playwright_page"] = lease.page
            static = request.meta.get("static_page") if self.reuse_static else None
            if static is not None and static.get("url") == request.url and static.get("status") == 200:
                self._static_documents[request.url] = dict(static)
            try:
                response = await super()._download_request(request, spider)
                lease.reusable = True
                return response
            finally:
                self._static_documents.pop(request.url, None)
                lease.page = request.meta.pop("playwright_page", None)
                request.meta.pop("playwright_include_page", None)

    async def _close_context(self, name: str) -> None:
        """Close a context a lane retired, with its tab."""
        wrapper = self.context_wrappers.get(name)
        if wrapper is not None:
            self._crawler_stats.inc_value("render/contexts_recycled")
            await asyncio.wait_for(wrapper.context.close(), CONTEXT_SETUP_TIMEOUT)

    def _robots_middleware(self):  # noqa: ANN202
        if self._robots is None:
            self._robots = False
            engine = getattr(self._crawler, "engine", None)
            manager = getattr(getattr(engine, "downloader", None), "middleware", None)
            for middleware in getattr(manager, "middlewares", ()):
                if isinstance(middleware, RobotsTxtMiddleware):
                    self._robots = middleware
        return self._robots or None

    async def _robots_refuse(self, url: str) -> bool:
        """The same robots.txt rules as Scrapy's own requests, for the browser's page loads and
        data requests (scripts, styles and the like are fetched as a browser would)."""
        robots = self._robots_middleware()
        if robots is None:
            return False
        request = Request(url)
        try:
            robots.process_request_2(await robots.robot_parser(request), request)
        except IgnoreRequest:
            return True
        return False

    async def _abort_subrequest(self, request) -> bool:  # noqa: ANN001
        if request.resource_type in ABORTED_RESOURCE_TYPES:
            self._crawler_stats.inc_value("render/subrequests_blocked")
            return True
        url = request.url
        if url.startswith(("data:", "blob:")):
            return False
        host = host_of(url)
        if any(host == h or host.endswith("." + h) for h in self.blocked_hosts):
            self._crawler_stats.inc_value("render/subrequests_blocked")
            return True
        reason = await self.policy.url_refusal(url)
        if reason:
            self._crawler_stats.inc_value("render/subrequests_refused")
            logger.warning("Refused browser subrequest %s: %s", url, reason)
            return True
        if request.resource_type in ROBOTS_CHECKED_TYPES and await self._robots_refuse(url):
            self._crawler_stats.inc_value("render/subrequests_robots_forbidden")
            return True
        return False
