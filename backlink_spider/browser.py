"""Chromium for rendering: finding one, launching it, driving each rendered page, and guarding
what it fetches.

Provisioning order: the `BROWSER_EXECUTABLE` setting; a Playwright-managed Chromium (what
`playwright install chromium` downloads); a system browser on PATH (`chromium`,
`chromium-browser`, `google-chrome`, ...). `render=never` never needs any of them.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import re
import shutil
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from playwright._impl._errors import TargetClosedError
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Route
from playwright.async_api import Request as PlaywrightRequest
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Headers, Response, TextResponse
from scrapy.responsetypes import responsetypes
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler
from scrapy_playwright.page import PageMethod

from backlink_spider.egress import EgressProxy
from backlink_spider.hostscope import HostScope
from backlink_spider.middlewares import AddressRefusedError
from backlink_spider.netsafety import AddressPolicy
from backlink_spider.render import PAGEWATCH_JS
from backlink_spider.subrequests import SubrequestGuard
from backlink_spider.tabs import Tabs, close_page

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
    if not any(a.startswith("--renderer-process-limit") for a in args):
        # Past the limit Chromium keeps no spare renderer warm. A spare belongs to one context,
        # and each page renders in a context of its own (tabs.py), so nearly every spare was
        # thrown away unused: two renderer processes started per page instead of one. Sites still
        # never share a process (site isolation holds past the limit).
        args.append(f"--renderer-process-limit={max(1, settings.getint('RENDER_CONCURRENCY'))}")
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
# Seconds a new context's set-up (its init scripts) or its closing may take before it is given up.
CONTEXT_SETUP_TIMEOUT = 15
_ERROR_URL = re.compile(r"\bat ((?:https?|wss?)://\S+)")


# Options of every rendering context: service workers blocked (their requests escape routing),
# downloads refused (never saved).
CONTEXT_OPTIONS = {"service_workers": "block", "accept_downloads": False}
# Times a page is tried again in a new tab when its tab died under it (the browser relaunched).
TAB_RETRIES = 3


@dataclass
class _Rendering:
    """What a tab's route handler knows of the page rendering in it."""

    url: str
    headers: dict[str, str]  # Scrapy's request headers, for the page's own request
    static: dict | None  # render=auto: the static response that answers the page's own request
    document_done: bool = False


class RenderDownloadHandler(ScrapyPlaywrightDownloadHandler):
    """scrapy-playwright's download handler (browser launch and relaunch, contexts), with the page
    driven by the crawler itself:

    - pages render in the lanes of tabs.py, a tab kept from one page to the next;
    - a tab's route handler (installed once per tab) applies the crawler's rules to the browser's
      own requests (subrequests.py) and answers the page's own document from the static response
      under render=auto; every connection goes through the egress proxy (egress.py);
    - a page is one navigation and its page methods; the response is the rendered snapshot.

    scrapy-playwright's own page flow spends a message round trip to the browser on every
    subrequest (its headers) and about eight per page (unrouting and routing the tab, the
    response's raw headers, security details and server address, a load-state wait, and
    `page.content()`, which also loads Playwright's injected script into every page). Under load a
    round trip costs 50-100 ms (bench/README, "Reused tabs"). Not supported here, because the
    spiders never use them: `playwright_include_page` and page event handlers or init callbacks in
    meta.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.policy = AddressPolicy.from_settings(crawler.settings)
        self.guard = SubrequestGuard(crawler, self.policy)
        # Every connection of the browser goes through the egress proxy (see egress.py).
        self.egress = EgressProxy(
            self.policy, HostScope.from_settings(crawler.settings).refusal, crawler.stats
        )
        self.config.launch_options = confine(
            self.config.launch_options, self.egress.url, crawler.settings.getint("RENDER_JS_HEAP_MB")
        )
        self._crawler_stats = crawler.stats
        # render=auto: a page's static response answers Chromium's request for its main document
        # instead of a second download (RENDER_REUSE_STATIC)
        self.reuse_static = crawler.settings.getbool("RENDER_REUSE_STATIC")
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
        self.config.max_contexts = None
        if hasattr(self, "context_semaphore"):
            del self.context_semaphore
        self._rendering: dict[Page, _Rendering] = {}

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
            # bounded: the context lock is held meanwhile, and a browser killed at this moment
            # must fail this context, not stall every page of the crawl behind it
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

    async def _close_popup(self, page: Page) -> None:
        try:
            if await page.opener() is not None:
                self._crawler_stats.inc_value("render/popups_closed")
                await page.close()
        except PlaywrightError:
            pass

    async def _close_context(self, name: str) -> None:
        """Close a context a lane retired, with its tab."""
        wrapper = self.context_wrappers.get(name)
        if wrapper is not None:
            self._crawler_stats.inc_value("render/contexts_recycled")
            await asyncio.wait_for(wrapper.context.close(), CONTEXT_SETUP_TIMEOUT)

    async def _download_request(self, request, spider=None):  # noqa: ANN001, ANN202
        """A rendered page whose navigation the egress guard refused (directly or at a redirect
        hop) fails as refused, with the reason, never as the proxy's answer or an error page."""
        try:
            response = await self._download_in_lane(request, spider)
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

    async def _download_in_lane(self, request: Request, spider: Spider | None) -> Response:
        """The page renders in a free lane (tabs.py), in its open tab or a new one; a tab that
        died under it (a crash, a relaunched browser) is replaced up to TAB_RETRIES times."""
        async with self.tabs.lease() as lease:
            retries = 0
            while True:
                try:
                    if lease.page is None:
                        lease.page = await self._open_tab(lease.context, request, spider)
                    response = await self._render(lease.page, request)
                except TargetClosedError:
                    retries += 1
                    if retries > TAB_RETRIES:
                        raise
                    await close_page(lease.page)
                    lease.page = None
                    continue
                lease.reusable = True
                return response

    async def _open_tab(self, context: str, request: Request, spider: Spider | None) -> Page:
        """A new tab in the lane's context (created first when needed), with its route handler.
        The context sends the crawl's User-Agent with every request the browser makes, while
        pages see Chromium's own (`navigator.userAgent`): sites that sniff it get a browser."""
        async with self.context_launch_lock:
            wrapper = self.context_wrappers.get(context)
            if wrapper is None:
                options = dict(CONTEXT_OPTIONS)
                agent = request.headers.get(b"User-Agent")
                if agent:
                    options["extra_http_headers"] = {"User-Agent": agent.decode("latin-1")}
                wrapper = await self._create_browser_context(context, options, spider)
        page = await wrapper.context.new_page()
        self._crawler_stats.inc_value("render/tabs_opened")
        if self.config.navigation_timeout_ms is not None:
            page.set_default_navigation_timeout(self.config.navigation_timeout_ms)

        async def route(route: Route, subrequest: PlaywrightRequest) -> None:
            await self._route(page, route, subrequest)

        await page.route("**", route)
        return page

    async def _render(self, page: Page, request: Request) -> Response:
        """Navigate the tab to the page, run its page methods (the snapshot), and answer with the
        rendered HTML as the body."""
        static = request.meta.get("static_page") if self.reuse_static else None
        usable = static is not None and static.get("url") == request.url and static.get("status") == 200
        self._rendering[page] = _Rendering(
            request.url, dict(request.headers.to_unicode_dict()), static if usable else None
        )
        try:
            started = time.monotonic()
            goto_options = request.meta.get("playwright_page_goto_kwargs") or {}
            navigation = await page.goto(request.url, **goto_options)
            # the server's answer, not the rendering: AutoThrottle reads this
            request.meta["download_latency"] = time.monotonic() - started
            result = None
            for method in request.meta.get("playwright_page_methods") or ():
                method.result = result = await _run_page_method(page, method)
        finally:
            self._rendering.pop(page, None)
        html = result.get("html") if isinstance(result, dict) else None
        if html is None:
            html = await page.content()
        headers = Headers(navigation.headers if navigation is not None else {})
        headers.pop("Content-Encoding", None)
        body = html.encode("utf-8")
        kind = responsetypes.from_args(headers=headers, url=page.url, body=body)
        return kind(
            url=page.url,
            status=navigation.status if navigation is not None else 200,
            headers=headers,
            body=body,
            request=request,
            flags=["playwright"],
            **({"encoding": "utf-8"} if issubclass(kind, TextResponse) else {}),
        )

    async def _route(self, page: Page, route: Route, subrequest: PlaywrightRequest) -> None:
        """Every request of the tab: refused by the guard, or the page's own document (answered
        from its static response, or sent with Scrapy's headers), or sent as the browser made it."""
        try:
            if await self.guard.refuse(subrequest):
                await route.abort()
                return
            now = self._rendering.get(page)
            if (
                now is not None
                and not now.document_done
                and subrequest.is_navigation_request()
                and subrequest.frame.parent_frame is None
                and subrequest.url.rstrip("/") == now.url.rstrip("/")
            ):
                now.document_done = True
                if now.static is not None:
                    self._crawler_stats.inc_value("render/document_from_static")
                    await route.fulfill(
                        status=now.static["status"] or 200,
                        headers={"content-type": "text/html; charset=utf-8", **now.static.get("headers", {})},
                        body=now.static["html"],
                    )
                    return
                await route.continue_(headers=now.headers)
                return
            await route.continue_()
        except PlaywrightError as exc:
            if not page.is_closed():  # a closing tab's requests need no answer
                logger.warning("Browser request %s not handled: %s", subrequest.url, exc)


async def _run_page_method(page: Page, method: PageMethod):  # noqa: ANN202
    """One of a request's `playwright_page_methods`: a callable of the page, or a page method by
    name, with the PageMethod's arguments."""
    call = partial(method.method, page) if callable(method.method) else getattr(page, method.method)
    result = call(*method.args, **method.kwargs)
    return await result if inspect.isawaitable(result) else result
