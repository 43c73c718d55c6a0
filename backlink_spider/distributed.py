"""Distributed crawling through Redis (scrapy-redis), switched on by the `REDIS_URL` setting.

    scrapy crawl mentions -a target=site.com -a seeds=seeds.txt \\
        -s REDIS_URL=redis://10.0.0.7:6379/0 -s CRAWL_ID=site-2026-05

Every process (or Scrapyd job, on any number of hosts) started with the same `REDIS_URL` and the
same `CRAWL_ID` works on one frontier: a page is fetched by one of them only, and a record is
written by one of them only. Without `REDIS_URL` nothing here imports redis and the crawl is the
ordinary single-process one.

`RedisAddon` (listed in ADDONS in settings.py) runs after the command-line and Scrapyd settings
are applied (Scrapy calls add-ons from `Crawler._apply_settings()`, when the crawl starts) and sets:

* SCHEDULER = `SharedFrontierScheduler` (scrapy-redis' scheduler, with a local queue for the
  requests whose answer only the process that asked can use, see below), DUPEFILTER_CLASS =
  scrapy-redis' `RFPDupeFilter`: the request queue and the request fingerprints live in Redis
  under `backlink_spider:<spider>:<CRAWL_ID>:requests` / `...:dupefilter`, so two crawls with
  different crawl ids never share a frontier, and the seeds that every process yields from
  `start()` are fetched once (the other processes' copies are dropped by the shared dupefilter).
* SCHEDULER_PERSIST = True: a process that finishes leaves the queue to the others.
* SCHEDULER_IDLE_BEFORE_CLOSE = 0: with the list queues it is a *blocking* BRPOP in the reactor
  thread (the whole process stalls for that long whenever the frontier is empty), and the priority
  queue we use ignores it. Closing when idle is `RedisIdleClose`'s job instead: a process stays
  open while the shared queue has requests or another process of the crawl is busy (and may add
  some), and closes once the frontier has been empty, with no busy peer, for
  `REDIS_IDLE_CLOSE_SECONDS`. Our spider is a plain `scrapy.Spider` with `async def start()`,
  not a `RedisSpider`, so scrapy-redis' own idle handling does not apply.
* DEDUPE_SEEN_SET = `RedisSeenSet`: the dedupe pipeline's seen-set is a Redis SET of 16-byte
  digests under `...:seen`, shared by all processes of the crawl.

Only *page* requests (callback `parse_page`, setting REDIS_SHARED_CALLBACKS) go to the shared
queue. The link checks and the target's sitemap/pages feed state kept in the process that asked
(waiting backlinks, the replacement-suggestion index), so they stay in a local in-memory queue of
that process. Consequence: each process checks the links of the pages it crawled, and fetches the
target's sitemap pages for its own index.

Security: the shared queue holds *pickled* requests (scrapy-redis' serializer; our meta holds
`PageMethod` objects, which need pickle). Unpickling is code execution: whoever can write to that
Redis runs code in every crawl process. Redis must be reachable only by the crawl hosts (bind to a
private address, `requirepass`/ACL user, TLS `rediss://` across networks), never public.

Settings (with their defaults here, not in settings.py):
    REDIS_URL                 ""   redis://[[user]:password@]host:port/db, rediss://..., unix://...
    REDIS_IDLE_CLOSE_SECONDS  10   frontier empty and no busy peer for this long: the process ends
                                   (checked every second)
    REDIS_KEYS_TTL            7 days  after a process closes, the crawl's keys expire this many
                                   seconds later (0: keep them; delete them yourself)
    REDIS_SHARED_CALLBACKS    ["parse_page"]  callbacks whose requests go to the shared queue
"""

from __future__ import annotations

import heapq
import itertools
import logging
import os
import socket
import time
import uuid
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy.settings import BaseSettings

from pipelines.state import key_digest

logger = logging.getLogger(__name__)

KEY_PREFIX = "backlink_spider"
# A peer that has not reported itself busy for this long is taken as idle (or gone).
BUSY_TTL_SECONDS = 15.0
BUSY_BEAT_SECONDS = 1.0


class DistributedConfigError(ValueError):
    """REDIS_URL is set but the distributed crawl cannot be configured."""


def crawl_key_prefix(crawl_id: str) -> str:
    """`backlink_spider:%(spider)s:<crawl id>` (a template: scrapy-redis fills in the spider name)."""
    return f"{KEY_PREFIX}:%(spider)s:{crawl_id.replace('%', '%%')}"


def crawl_key(settings: BaseSettings, name: str, spider_name: str) -> str:
    return f"{settings.get('REDIS_KEY_PREFIX_TEMPLATE')}:{name}" % {"spider": spider_name}


class RedisAddon:
    """Scrapy add-on: with `REDIS_URL` set, the crawl uses the shared frontier in Redis."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = str(settings.get("REDIS_URL") or "").strip()
        if not url:
            return  # single-process crawl: nothing to change, redis is never imported
        crawl_id = str(settings.get("CRAWL_ID") or "").strip()
        if not crawl_id:
            raise DistributedConfigError(
                "REDIS_URL is set but CRAWL_ID is empty: give every process of one distributed crawl "
                "the same -s CRAWL_ID=... (a Scrapyd job id or a timestamp would differ per process)"
            )
        prefix = crawl_key_prefix(crawl_id)
        values: dict[str, Any] = {
            "SCHEDULER": "backlink_spider.distributed.SharedFrontierScheduler",
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
            "SCHEDULER_QUEUE_KEY": f"{prefix}:requests",
            "SCHEDULER_DUPEFILTER_KEY": f"{prefix}:dupefilter",
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_FLUSH_ON_START": False,
            "SCHEDULER_IDLE_BEFORE_CLOSE": 0,
            "REDIS_KEY_PREFIX_TEMPLATE": prefix,
            "DEDUPE_SEEN_SET": "backlink_spider.distributed.RedisSeenSet",
            "DEDUPE_REDIS_KEY": f"{prefix}:seen",
        }
        for name, value in values.items():
            settings.set(name, value, priority="addon")
        settings.set("REDIS_URL", url, priority=settings.getpriority("REDIS_URL") or "addon")  # stripped
        settings.set_in_component_priority_dict("EXTENSIONS", RedisIdleClose, 500)


def _redis(settings: BaseSettings):  # noqa: ANN202
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


class RedisSeenSet:
    """Seen record keys shared by every process of a crawl: a Redis SET of 16-byte digests.

    Same interface and digest as `pipelines.dedupe.MemorySeenSet`."""

    def __init__(self, server: Any, key: str) -> None:
        self.server = server
        self.key = key

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSeenSet:
        settings = crawler.settings
        if not settings.get("REDIS_URL") or not settings.get("DEDUPE_REDIS_KEY"):
            raise NotConfigured("RedisSeenSet needs REDIS_URL and DEDUPE_REDIS_KEY (set by RedisAddon)")
        name = crawler.spider.name if crawler.spider is not None else crawler.spidercls.name
        return cls(_redis(settings), settings.get("DEDUPE_REDIS_KEY") % {"spider": name})

    def add(self, key: str) -> bool:
        """Remember `key`; True when it was new (to every process of the crawl)."""
        return self.server.sadd(self.key, key_digest(key)) == 1


def _build_scheduler_class(base: type) -> type:
    class _SharedFrontierScheduler(base):  # type: ignore[misc, valid-type]
        @classmethod
        def from_crawler(cls, crawler: Crawler) -> Any:
            instance = super().from_crawler(crawler)
            instance.crawler = crawler
            instance.shared_callbacks = set(crawler.settings.getlist("REDIS_SHARED_CALLBACKS"))
            instance.local_queue = []  # heap of (-priority, sequence, request)
            instance.local_seen = set()
            instance.sequence = itertools.count()
            return instance

        def is_shared(self, request: Request) -> bool:
            callback = request.callback
            return getattr(callback, "__name__", None) in self.shared_callbacks

        def enqueue_request(self, request: Request) -> bool:
            if self.is_shared(request):
                return super().enqueue_request(request)
            if not request.dont_filter:
                fingerprint = self.crawler.request_fingerprinter.fingerprint(request)
                if fingerprint in self.local_seen:
                    return False
                self.local_seen.add(fingerprint)
            heapq.heappush(self.local_queue, (-request.priority, next(self.sequence), request))
            if self.stats:
                self.stats.inc_value("scheduler/enqueued/local")
            return True

        def _shared_top_priority(self) -> int | None:
            top = self.server.zrange(self.queue.key, 0, 0, withscores=True)
            return int(-top[0][1]) if top else None

        def _pop_local(self) -> Request:
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/local")
            return heapq.heappop(self.local_queue)[2]

        def next_request(self) -> Request | None:
            if self.local_queue:
                local_top = -self.local_queue[0][0]
                shared_top = self._shared_top_priority()
                if shared_top is None or local_top >= shared_top:
                    return self._pop_local()
            request = super().next_request()
            if request is None and self.local_queue:
                return self._pop_local()
            return request

        def has_pending_requests(self) -> bool:
            return bool(self.local_queue) or super().has_pending_requests()

        def __len__(self) -> int:
            return len(self.local_queue) + super().__len__()

    _SharedFrontierScheduler.__name__ = _SharedFrontierScheduler.__qualname__ = "SharedFrontierScheduler"
    _SharedFrontierScheduler.__module__ = __name__
    return _SharedFrontierScheduler


def __getattr__(name: str) -> Any:
    """`backlink_spider.distributed.SharedFrontierScheduler`, built on first use (PEP 562): a
    subclass of `scrapy_redis.scheduler.Scheduler`, so redis is imported only when it is used.

    Page requests (REDIS_SHARED_CALLBACKS) go to the shared Redis queue and dupefilter; the rest
    to a local priority queue with a local dupefilter. `next_request` serves the higher priority
    of the two queues' heads (ties: local)."""
    if name == "SharedFrontierScheduler":
        from scrapy_redis.scheduler import Scheduler

        cls = _build_scheduler_class(Scheduler)
        globals()[name] = cls
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _wake(engine: Any) -> None:
    """Make the engine ask the scheduler for requests now.

    Scrapy's engine asks when one of its own downloads ends, and otherwise only at its 5 s
    heartbeat; requests that *other* processes put in the shared queue do not wake it. A process
    with nothing in flight (e.g. all its seeds were already taken) would wait up to 5 s before it
    joins in. No public API does this in Scrapy 2.19, so this uses the engine slot's `nextcall`
    (private, hence the guards: without it we simply fall back to the heartbeat)."""
    nextcall = getattr(getattr(engine, "_slot", None), "nextcall", None)
    schedule = getattr(nextcall, "schedule", None)
    if callable(schedule):
        schedule()


class RedisIdleClose:
    """Ends a process of a distributed crawl when the shared frontier has been empty for a while.

    Each process reports itself busy (a member of the sorted set `...:busy`, scored with Redis'
    clock) every BUSY_BEAT_SECONDS while it has requests in flight or queued, and at the same beat
    wakes its engine when the shared queue has work (see `_wake`). On `spider_idle`
    (nothing to do here, and the shared queue is empty) the spider is kept open
    (`DontCloseSpider`) while another process is busy, since it may still add pages, and then for
    REDIS_IDLE_CLOSE_SECONDS more. When it closes, the crawl's keys get REDIS_KEYS_TTL."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.idle_seconds = settings.getfloat("REDIS_IDLE_CLOSE_SECONDS")
        self.keys_ttl = settings.getint("REDIS_KEYS_TTL")
        self.server = _redis(settings)
        self.worker = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.idle_since: float | None = None
        self.beat = None
        self.busy_key = ""
        self.keys: list[str] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisIdleClose:
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def _now(self) -> float:
        seconds, micros = self.server.time()
        return seconds + micros / 1e6

    def spider_opened(self, spider: Spider) -> None:
        from scrapy.utils.asyncio import create_looping_call

        settings = self.crawler.settings
        self.busy_key = crawl_key(settings, "busy", spider.name)
        self.keys = [
            settings.get("SCHEDULER_QUEUE_KEY") % {"spider": spider.name},
            settings.get("SCHEDULER_DUPEFILTER_KEY") % {"spider": spider.name},
            settings.get("DEDUPE_REDIS_KEY") % {"spider": spider.name},
            self.busy_key,
        ]
        logger.info(
            "Distributed crawl: worker %s, shared frontier %s",
            self.worker,
            self.keys[0],
            extra={"spider": spider},
        )
        self.beat = create_looping_call(self._beat)
        self.beat.start(BUSY_BEAT_SECONDS, now=True)

    def _beat(self) -> None:
        engine = self.crawler.engine
        try:
            if engine is None or engine.scheduler is None:
                return
            if engine.spider_is_idle():
                self.server.zrem(self.busy_key, self.worker)
                _wake(engine)  # re-runs the idle check (spider_idle) now, not at the 5 s heartbeat
            else:
                self.idle_since = None
                self.server.zadd(self.busy_key, {self.worker: self._now()})
                if engine.scheduler.has_pending_requests() and not engine.needs_backout():
                    _wake(engine)  # work in the shared queue, room to take it
        except Exception:  # a failed beat must not stop the crawl
            logger.warning("Could not report to Redis", exc_info=True)

    def _busy_peers(self) -> int:
        now = self._now()
        self.server.zremrangebyscore(self.busy_key, "-inf", now - BUSY_TTL_SECONDS)
        self.server.zrem(self.busy_key, self.worker)
        return self.server.zcard(self.busy_key)

    def spider_idle(self, spider: Spider) -> None:
        peers = self._busy_peers()
        if peers:
            self.idle_since = None
            raise DontCloseSpider
        if self.idle_since is None:
            self.idle_since = time.monotonic()
            logger.info(
                "Shared frontier empty; closing in %.0fs unless work arrives",
                self.idle_seconds,
                extra={"spider": spider},
            )
        if time.monotonic() - self.idle_since < self.idle_seconds:
            raise DontCloseSpider

    def spider_closed(self, spider: Spider) -> None:
        if self.beat is not None and self.beat.running:
            self.beat.stop()
        try:
            self.server.zrem(self.busy_key, self.worker)
            if self.keys_ttl > 0:
                for key in self.keys:
                    self.server.expire(key, self.keys_ttl)
        except Exception:
            logger.warning("Could not clean up in Redis", exc_info=True)
