"""The browser's tabs: how many pages render at once, in which browser context, and tabs kept open
from one rendered page to the next.

A page renders in a **lane**: a browser context of its own with one tab. There are
`RENDER_CONCURRENCY` lanes, so that many pages render at once, never more.

- **One tab per context, because Chromium only animates the front tab of a window.** In headless
  Chromium every context is a window of its own, and only a window's front tab gets animation
  frames. A page rendering in a tab behind another gets its scroll events late or never, so an
  infinite list stops loading. Seen with 4 pages rendering at once in one context: the feed of
  `tests/site/scroll.html` stopped at its third batch in 3 of the 4.
- **A lane keeps its tab.** A tab whose page rendered without error stays open, its DOM already
  emptied by the page script, and the lane's next page is navigated in it. A new tab costs
  Chromium a target and a renderer process; a navigation in an open tab costs neither
  (bench/README, "Reused tabs"). A tab whose page failed in any way is closed, never reused: a
  blown budget, a crash, a refused navigation or a download.
- **Contexts are recycled.** After `RENDER_CONTEXT_PAGES` pages a lane closes its context and
  opens a new one, because Chromium frees a context's memory only when the context closes. Nothing
  else is rendering in it then, so no page waits for it.

Idle lanes are taken last-in first-out, so a crawl that renders now and then (`render=auto`) keeps
reusing one tab instead of opening one per lane. A page in a reused tab is rendered like one in a
new tab. The page watch is a context init script, so it runs in every new document. Each document
starts from scratch, and what a context shares (cookies, cache) its pages shared before too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from playwright.async_api import Page

# Seconds closing a tab may take (a renderer spinning in a script can be slow to go).
CLOSE_TIMEOUT = 15


@dataclass
class Lease:
    """One rendered page's place. `context` is the browser context it renders in. `page` is the
    open tab it may reuse, or None when a new one must be opened. Whoever renders sets `page` to
    the tab it used, and sets `reusable` when the page ended well."""

    context: str
    page: Page | None
    reusable: bool = False


@dataclass
class _Lane:
    context: str | None = None  # None: no context yet
    page: Page | None = None  # its open tab
    served: int = 0  # pages rendered in the current context


async def close_page(page: Page | None) -> None:
    """Close a tab, bounded, whatever state its renderer or the browser is in."""
    if page is None or page.is_closed():
        return
    with contextlib.suppress(Exception):
        await asyncio.wait_for(page.close(), CLOSE_TIMEOUT)


class Tabs:
    """The lanes pages render in (see the module docstring). `close_context(name)` closes a context
    a lane retires, with its pages. `stats` counts `render/tabs_reused`."""

    def __init__(
        self,
        size: int,
        context_pages: int,
        close_context: Callable[[str], Awaitable[None]],
        stats=None,  # noqa: ANN001
    ) -> None:
        self.size = max(1, size)
        self.context_pages = max(1, context_pages)
        self._close_context = close_context
        self._stats = stats
        self._lanes: asyncio.LifoQueue[_Lane] = asyncio.LifoQueue()
        for _ in range(self.size):
            self._lanes.put_nowait(_Lane())
        self._contexts = 0  # contexts opened, for their names

    @contextlib.asynccontextmanager
    async def lease(self) -> AsyncIterator[Lease]:
        """Wait for a free lane, then yield the page's `Lease`. On leaving, a reusable tab stays
        with the lane; any other tab is closed."""
        lane = await self._lanes.get()
        lease = None
        try:
            if lane.context is None or lane.served >= self.context_pages:
                await self._renew(lane)
            lane.served += 1
            if lane.page is not None and lane.page.is_closed():
                lane.page = None
            if lane.page is not None and self._stats is not None:
                self._stats.inc_value("render/tabs_reused")
            lease = Lease(lane.context, lane.page)
            yield lease
        finally:
            page = lease.page if lease is not None else lane.page
            if lease is not None and lease.reusable and page is not None and not page.is_closed():
                lane.page = page
            else:
                await close_page(page)
                lane.page = None
            self._lanes.put_nowait(lane)

    async def _renew(self, lane: _Lane) -> None:
        """A new context for the lane; its old one (if any) closes, tab first."""
        if lane.context is not None:
            await close_page(lane.page)
            with contextlib.suppress(Exception):  # a dead browser's contexts are gone already
                await self._close_context(lane.context)
        lane.context = f"render-{self._contexts}"
        lane.page = None
        lane.served = 0
        self._contexts += 1
