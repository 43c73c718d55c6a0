"""When `render=auto` sends a page to Chromium, and why: user rules, the page's own evidence
(fingerprints.py), samples of ambiguous sites, what samples taught about a site or a platform,
and what earlier crawls decided (renderstore.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from typing import Any

from lxml import etree
from scrapy import signals

from backlink_spider.extract.dom import parse_html
from backlink_spider.fingerprints import fingerprint, render_reason
from backlink_spider.renderstore import DecisionStore, Remembered, StoreUnreadable, store_path

logger = logging.getLogger(__name__)


@dataclass
class Learning:
    """What sampling showed about one site or one platform family."""

    samples: int = 0  # samples started
    static_samples: int = 0  # samples that revealed nothing
    verdict: str | None = None  # "render" | "static"
    evidence: str = ""
    family: str | None = None  # a site's: the family of its sampled pages
    remembered: bool = False  # the verdict comes from the store (an earlier crawl)
    decided_at: datetime | None = None


@dataclass(frozen=True)
class PageCounts:
    """What extraction found on one version of a page (compared static vs rendered)."""

    target_links: int
    mentions: int
    links: int
    text: int


@dataclass(frozen=True)
class Decision:
    """Whether to render a page, and why (the reason is counted in stats and written in records)."""

    render: bool
    reason: str


class RenderPolicy:
    """When `render=auto` sends a page to Chromium, and why. In order:

    1. `RENDER_NEVER_HOSTS` / `RENDER_ALWAYS_HOSTS` (fnmatch host patterns) win (`rule:never`,
       `rule:always`);
    2. a site sampling showed needs rendering is rendered (`site-learned`; `site-remembered` when
       an earlier crawl learnt it);
    3. app-shell evidence on the page renders it (`empty-app-root`, `thin-text`, ...: render_reason);
    4. the page's fingerprint: no scripts, a server-rendered platform or an SSR framework with its
       content present, or plenty of text and links, keep the static HTML (`no-scripts`,
       `platform:wordpress`, `ssr:nextjs`, `server-rendered`); a framework's mount with little
       text is rendered (`spa:nuxt`);
    5. what samples taught about the site (`site-learned-static`, `site-remembered-static`), else
       about its platform family, from other sites (`platform-learned:hugo`, rendered or not);
    6. otherwise (ambiguous) the page is a `sample`: at most `samples` per site and per family;
       its rendered and static versions are compared (`learn`): target links, mentions, or
       `reveal_ratio` times the links or text make the site and its family rendered; once all
       samples are taken, one that reveals nothing makes them static (a later reveal still
       wins); a page beyond the samples, while they render, is `samples-pending` (the spider
       parks it and asks again once a sample's outcome is learnt: spiders/base.py).

    With a `store`, verdicts are loaded when the first page is decided and saved by `save()`;
    `stats()` returns the crawl's stats collector (counts of the store's outcomes); `clock()`
    the time a verdict is recorded with.
    """

    def __init__(
        self,
        always: list[str],
        never: list[str],
        samples: int = 2,
        reveal_ratio: float = 1.5,
        *,
        store: DecisionStore | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stats: Callable[[], Any] | None = None,
    ) -> None:
        self.always = [p.lower() for p in always]
        self.never = [p.lower() for p in never]
        self.samples = samples
        self.reveal_ratio = reveal_ratio
        self.sites: dict[str, Learning] = {}
        self.platforms: dict[str, Learning] = {}
        self.store = store
        self.clock = clock
        self.stats = stats
        self._loaded = store is None

    @classmethod
    def from_settings(cls, settings, **kwargs: Any) -> RenderPolicy:  # noqa: ANN001
        return cls(
            settings.getlist("RENDER_ALWAYS_HOSTS"),
            settings.getlist("RENDER_NEVER_HOSTS"),
            settings.getint("RENDER_SAMPLE_PAGES"),
            settings.getfloat("RENDER_REVEAL_RATIO"),
            **kwargs,
        )

    @classmethod
    def from_crawler(cls, crawler) -> RenderPolicy:  # noqa: ANN001
        """The crawl's policy, with its decision store (saved when the spider closes)."""
        path = store_path(crawler.settings)
        now = datetime.now(UTC)  # the crawl's start: store entries expire relative to it
        store = DecisionStore(path, crawler.settings.getint("RENDER_DECISIONS_DAYS"), now) if path else None
        policy = cls.from_settings(crawler.settings, store=store, stats=lambda: crawler.stats)
        if store is not None:
            crawler.signals.connect(policy.save, signal=signals.spider_closed)
        return policy

    # --- deciding --------------------------------------------------------------------------

    def decide(self, host: str, site: str, html: str | etree._Element | None) -> str | None:
        """The reason to render this page, or None to keep its static HTML."""
        decision = self.decision(host, site, html)
        return decision.reason if decision.render else None

    def decision(self, host: str, site: str, html: str | etree._Element | None) -> Decision:
        """Whether to render this page of `site` (its registered domain) on `host`, and why."""
        self._load()
        host = host.lower()
        if any(fnmatch(host, p) for p in self.never):
            return Decision(False, "rule:never")
        if any(fnmatch(host, p) for p in self.always):
            return Decision(True, "rule:always")
        learning = self.sites.setdefault(site, Learning())
        if learning.verdict == "render":
            return Decision(True, "site-remembered" if learning.remembered else "site-learned")
        root = parse_html(html) if isinstance(html, str) else html
        reason = render_reason(root)
        if reason:
            return Decision(True, reason)
        found = fingerprint(root)
        if found.verdict is not None:
            return Decision(found.verdict == "render", found.reason)
        if learning.verdict == "static":
            return Decision(False, "site-remembered-static" if learning.remembered else "site-learned-static")
        family = self.platforms.setdefault(found.family, Learning()) if found.family else None
        if family is not None and family.verdict is not None:
            return Decision(family.verdict == "render", f"platform-learned:{found.family}")
        if learning.samples < self.samples and (family is None or family.samples < self.samples):
            learning.samples += 1
            learning.family = found.family
            if family is not None:
                family.samples += 1
            return Decision(True, "sample")
        return Decision(False, "samples-pending")

    # --- learning --------------------------------------------------------------------------

    def learn(self, site: str, static: PageCounts, rendered: PageCounts) -> bool:
        """Record a sample's outcome for its site and platform family; True when it showed the
        site needs rendering."""
        learning = self.sites.setdefault(site, Learning())
        revealed = (
            rendered.target_links > static.target_links
            or rendered.mentions > static.mentions
            or rendered.links > max(static.links * self.reveal_ratio, static.links + 5)
            or rendered.text > max(static.text * self.reveal_ratio, static.text + 500)
        )
        family = self.platforms.get(learning.family) if learning.family else None
        for learnt in (learning, family):
            if learnt is None or learnt.verdict == "render":
                continue
            if revealed:
                self._settle(learnt, "render", f"a sample of {site} revealed content")
            else:
                learnt.static_samples += 1
                # every sample spent and one shows nothing: static (a later reveal still wins)
                if learnt.samples >= self.samples and learnt.verdict is None:
                    self._settle(learnt, "static", f"{learnt.static_samples} sample(s) revealed nothing")
        return revealed

    def _settle(self, learning: Learning, verdict: str, evidence: str) -> None:
        learning.verdict, learning.evidence = verdict, evidence
        learning.remembered, learning.decided_at = False, self.clock()

    # --- the store -------------------------------------------------------------------------

    def _inc(self, name: str, count: int = 1) -> None:
        if self.stats is not None and count:
            self.stats().inc_value(name, count)

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        try:
            sites, platforms = self.store.load()
        except StoreUnreadable as exc:
            logger.warning("Render decisions not read, sampling afresh: %s", exc)
            self._inc("render/decisions/unreadable")
            return
        for target, remembered in ((self.sites, sites), (self.platforms, platforms)):
            for key, entry in remembered.items():
                target[key] = Learning(
                    verdict=entry.verdict,
                    evidence=entry.evidence,
                    family=entry.family,
                    remembered=True,
                    decided_at=entry.decided_at,
                )
        self._inc("render/decisions/remembered_sites", len(sites))
        self._inc("render/decisions/remembered_platforms", len(platforms))
        self._inc("render/decisions/expired", self.store.expired)

    def remembered(self) -> tuple[dict[str, Remembered], dict[str, Remembered]]:
        """The (sites, platforms) verdicts to keep for the next crawl: every verdict known, and
        sites sampled fewer than `samples` times (few pages) whose samples revealed nothing."""
        now = self.clock()
        sites = {}
        for key, learning in self.sites.items():
            if learning.verdict is None and learning.static_samples:
                evidence = f"{learning.static_samples} sample(s) revealed nothing (no more pages)"
                self._settle(learning, "static", evidence)
            if learning.verdict is not None:
                sites[key] = _remembered(learning, now)
        platforms = {k: _remembered(v, now) for k, v in self.platforms.items() if v.verdict is not None}
        return sites, platforms

    def save(self) -> None:
        """Write what is known to the store (a failure is a warning, never a crash)."""
        if self.store is None or not self._loaded:
            return  # no page was decided: nothing learnt, nothing to write
        sites, platforms = self.remembered()
        try:
            self.store.save(sites, platforms)
        except OSError as exc:
            logger.warning("Render decisions not saved to %s: %s", self.store.path, exc)
            self._inc("render/decisions/save_failed")
            return
        self._inc("render/decisions/saved_sites", len(sites))


def _remembered(learning: Learning, now: datetime) -> Remembered:
    return Remembered(learning.verdict, learning.evidence, learning.family, learning.decided_at or now)
