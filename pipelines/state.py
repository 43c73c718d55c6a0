"""JobState: what a crawl with `JOBDIR` keeps on disk so that a run killed at any point (SIGKILL,
OOM killer, a lost container) and started again with the same command ends with the same records
as a run that was never interrupted: none lost, none written twice, every JSONL file valid.

Files, all under JOBDIR/backlink_spider/:

* `state.sqlite3` (SQLite, WAL journal): table `meta` (crawl id, the date partition the crawl
  writes into, `status` = running/closed and the last finish reason) and table `seen`: the 16-byte
  blake2b digests of the `type:record_id` keys of every record in a *complete* part file or in an
  fsynced-then-committed stretch of a partial one (see "Ordering" below). This is the dedupe
  pipeline's seen-set under JOBDIR: a B-tree on disk, so memory stays bounded (the page cache is
  capped at SEEN_CACHE_KIB) however many records the crawl writes. Measured for 1M records: +8 MiB
  RSS and 36 MiB on disk, ~80k adds/s and ~220k lookups/s, reopened in 0.01 s; the in-memory set
  of the same digests (MemorySeenSet) costs +93 MiB RSS.
* `lock`: an exclusive `flock` held while the crawl runs: two processes never share a JOBDIR. The
  kernel drops it when the process dies, also on SIGKILL.

What Scrapy 2.19 itself keeps in JOBDIR, and what of it survives SIGKILL (checked in its sources):

* `requests.seen` (RFPDupeFilter): a fingerprint is appended for every request *enqueued* (not
  completed), through an 8 KiB-buffered file that is flushed only when the buffer fills or at a
  clean close. After SIGKILL it lists (most of) the requests ever scheduled, including those still
  queued or in flight, whose pages were never processed: a restart refuses those URLs, also the
  seeds that `start()` yields again, and the crawl ends at once with pages missing.
* `requests.queue/` (the disk priority queues): which queues exist is in `active.json`, and
  queuelib's queues keep their size/positions in a header or `info.json`; all of these are
  written only on a clean close. After SIGKILL the scheduler starts with no (or a stale) view of
  the queue: the queued requests are lost; requests already popped and in flight are lost anyway.
* `spider.state`: pickled on `spider_closed` only, so not at all after SIGKILL.

Moreover our spider keeps crawl state in memory that Scrapy does not persist (sites of seeds found
in sitemaps/feeds/search, backlinks waiting for their link check, the target-page index for
replacement suggestions), so even a clean pause/resume through Scrapy's queue would not give the
records of an uninterrupted crawl.

Design, chosen from that: **a job that did not finish is re-crawled from its seeds, and writing is
idempotent.** When the previous run of a JOBDIR did not close with reason `finished` (killed, or
stopped with Ctrl-C, or closed by a CLOSESPIDER_* limit), this module deletes Scrapy's
`requests.seen` and `requests.queue/` before the scheduler opens them (pipelines are built before
the scheduler), so the seeds `start()` yields are fetched again and every page is reached as in an
uninterrupted crawl. The records already written are recovered (jsonl.py: partial part files
trimmed of a torn last line and renamed) and their digests are in `seen`, so re-crawled pages do not
write them again. Scrapy's disk queue and dupefilter stay in use *during* the run (the frontier
stays on disk, bounded memory). A job that finished is left to Scrapy: started again, the
persisted dupefilter refuses the seeds and nothing is fetched or written again.

The cost is that pages fetched before the kill are fetched again (the records are not written
again). Persisting only the dupefilter minus the in-flight fingerprints would not do: the queued
requests behind those fingerprints are lost with the queue, and so would be the outlinks of every
page whose request was queued.

Ordering (why `seen` never claims a record that is not in a file): the dedupe pipeline checks
`seen` and a small in-memory `pending` set (records on their way to the writer); the digest is
inserted into `seen` only by the writer, *after* the record's line was written to the OS (an
unbuffered write: a SIGKILL cannot lose it), and the inserts are committed at the writer's sync
points: every SYNC_SECONDS (and before a part file is renamed to its final name), after an fsync of
the open part files. So: committed digests ⊆ lines on disk (also after a power loss), and the lines
of a partial file whose digests were not committed yet are re-inserted by the recovery.
Non-JOBDIR crawls are unchanged (MemorySeenSet, or DEDUPE_SEEN_SET such as the Redis one).

Crawl id: the crawl id and date partition are stored at the first run. `-s CRAWL_ID` wins; without
it the stored id is adopted (the spider's generated timestamp would differ per run). A different
explicit CRAWL_ID with the same JOBDIR starts a new job there (state and Scrapy's files reset).
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import shutil
import sqlite3
import time
import weakref
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)

STATE_DIRNAME = "backlink_spider"
# Commit the seen-set (after an fsync of the open part files) at most this often (seconds).
SYNC_SECONDS = 1.0
# SQLite page cache of the seen-set: its memory bound.
SEEN_CACHE_KIB = 8192

RUNNING = "running"
CLOSED = "closed"

_states: weakref.WeakKeyDictionary[Crawler, JobState] = weakref.WeakKeyDictionary()


def record_key(record_type: Any, record_id: Any) -> str:
    """The dedupe key of a record (the same string `DedupePipeline` builds)."""
    return f"{record_type}:{record_id}"


def key_digest(key: str) -> bytes:
    """16-byte digest of a dedupe key (as MemorySeenSet and RedisSeenSet digest it)."""
    return hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest()


class JobDirInUse(RuntimeError):
    """Another process is running a crawl with this JOBDIR."""


def stored_meta(jobdir: str | os.PathLike[str] | None) -> dict[str, str]:
    """What an earlier run stored about the job in JOBDIR (read-only): `crawl_id`, `date`,
    `started_at` (the job's first start, UTC ISO 8601), `status`, `finish_reason`. {} if none."""
    if not jobdir:
        return {}
    path = Path(jobdir, STATE_DIRNAME, "state.sqlite3")
    if not path.exists():
        return {}
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return dict(db.execute("SELECT key, value FROM meta"))
        finally:
            db.close()
    except sqlite3.Error:
        return {}


def stored_crawl_id(jobdir: str | os.PathLike[str] | None) -> str | None:
    """The crawl id stored in JOBDIR by an earlier run, if any (for `crawl_id_for`)."""
    return stored_meta(jobdir).get("crawl_id") or None


class JobState:
    """The on-disk state of one crawl job (one JOBDIR). One instance per crawler, shared by the
    dedupe and JSONL pipelines: `JobState.for_crawler(crawler)` (None without JOBDIR)."""

    def __init__(
        self,
        jobdir: str | os.PathLike[str],
        crawl_id: str,
        *,
        explicit_crawl_id: bool = True,
        sync_seconds: float = SYNC_SECONDS,
        today: str | None = None,
    ) -> None:
        self.jobdir = Path(jobdir)
        self.dir = self.jobdir / STATE_DIRNAME
        self.dir.mkdir(parents=True, exist_ok=True)
        self.sync_seconds = sync_seconds
        self._lock = open(self.dir / "lock", "a+b")  # held for the process' life
        try:
            fcntl.flock(self._lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._lock.close()
            raise JobDirInUse(f"JOBDIR {self.jobdir} is in use by another crawl process") from None
        self.pending: set[bytes] = set()
        self.writer_attached = False
        self._in_tx = False
        self._uncommitted = 0
        self._last_sync = time.monotonic()
        self._sync_hooks: list[Any] = []
        self.db = sqlite3.connect(self.dir / "state.sqlite3", isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit may be lost on power loss, never half-applied; losing a
        # commit only means the recovery re-inserts those digests from the part files.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(f"PRAGMA cache_size=-{SEEN_CACHE_KIB}")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        self.db.execute("CREATE TABLE IF NOT EXISTS seen (digest BLOB PRIMARY KEY) WITHOUT ROWID")
        meta = dict(self.db.execute("SELECT key, value FROM meta"))
        self.previous_status: str | None = meta.get("status")
        self.previous_reason: str | None = meta.get("finish_reason")
        stored_id = meta.get("crawl_id")
        if stored_id and not explicit_crawl_id:
            crawl_id = stored_id
        self.new_job = stored_id is None or stored_id != crawl_id
        if stored_id and stored_id != crawl_id:
            logger.warning(
                "JOBDIR %s held crawl %r; CRAWL_ID is %r: starting a new job there",
                self.jobdir,
                stored_id,
                crawl_id,
            )
            self.db.execute("DELETE FROM seen")
            self.db.execute("DELETE FROM meta")
            self.previous_status = self.previous_reason = None
            self._discard_scrapy_frontier("it belonged to crawl " + repr(stored_id))
        self.crawl_id = crawl_id
        self.date = (
            (None if self.new_job else meta.get("date")) or today or datetime.now(UTC).strftime("%Y-%m-%d")
        )
        # A run that started and did not finish: its frontier cannot be trusted (see the docstring).
        self.resumed = self.previous_status == RUNNING or (
            self.previous_status == CLOSED and self.previous_reason != "finished"
        )
        if self.resumed:
            how = "was killed" if self.previous_status == RUNNING else f"closed with {self.previous_reason!r}"
            self._discard_scrapy_frontier(f"the previous run {how}")
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        self.started_at = (None if self.new_job else meta.get("started_at")) or now
        self._set_meta(
            crawl_id=crawl_id, date=self.date, started_at=self.started_at, status=RUNNING, finish_reason=""
        )

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> JobState | None:
        """The crawler's JobState, opened on first use; None when JOBDIR is not set."""
        state = _states.get(crawler)
        if state is not None:
            return state
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            return None
        spider = crawler.spider
        explicit = str(crawler.settings.get("CRAWL_ID") or "").strip()
        crawl_id = explicit or getattr(spider, "crawl_id", None) or "crawl"
        state = cls(jobdir, crawl_id, explicit_crawl_id=bool(explicit))
        if spider is not None and getattr(spider, "crawl_id", None) not in (None, state.crawl_id):
            # Without -s CRAWL_ID the spider generated a new timestamp for this run; the job's id
            # is the stored one (a no-op once crawl_id_for reads it itself, see stored_crawl_id).
            logger.info("Resuming crawl id %s from JOBDIR", state.crawl_id)
            spider.crawl_id = state.crawl_id
        if state.resumed:
            logger.warning("JOBDIR %s: previous run did not finish; re-crawling from the seeds", jobdir)
            crawler.stats.set_value("jobdir/resumed", 1)
        crawler.signals.connect(state.spider_closed, signal=signals.spider_closed)
        _states[crawler] = state
        return state

    def spider_closed(self, spider: Any = None, reason: str = "finished") -> None:
        """The last thing of a run (after the pipelines closed and the scheduler saved its queue)."""
        self.sync(fsync=False)
        self._set_meta(status=CLOSED, finish_reason=reason)
        self.close()

    def close(self) -> None:
        if self.db is not None:
            self.commit()
            self.db.close()
            self.db = None  # type: ignore[assignment]
        if not self._lock.closed:
            self._lock.close()  # releases the flock

    def _set_meta(self, **values: str) -> None:
        self.commit()
        self.db.execute("BEGIN")
        self.db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", values.items())
        self.db.execute("COMMIT")

    def _discard_scrapy_frontier(self, why: str) -> None:
        removed = []
        seen = self.jobdir / "requests.seen"
        if seen.exists():
            seen.unlink()
            removed.append(seen.name)
        queue = self.jobdir / "requests.queue"
        if queue.exists():
            shutil.rmtree(queue)
            removed.append(queue.name)
        if removed:
            logger.info("Discarded Scrapy's %s in %s: %s", " and ".join(removed), self.jobdir, why)

    # --- the seen-set --------------------------------------------------------------------------

    def contains(self, digest: bytes) -> bool:
        if digest in self.pending:
            return True
        return self.db.execute("SELECT 1 FROM seen WHERE digest = ?", (digest,)).fetchone() is not None

    def add_pending(self, digest: bytes) -> None:
        """A record passed dedupe. With a writer, its digest is stored once its line is written
        (`written`); without one, at once."""
        if self.writer_attached:
            self.pending.add(digest)
        else:
            self._insert([digest])

    def written(self, digests: Iterable[bytes]) -> None:
        """These records' lines are in a part file (written to the OS): remember them."""
        digests = list(digests)
        self.pending.difference_update(digests)
        self._insert(digests)

    def _insert(self, digests: list[bytes]) -> None:
        if not self._in_tx:
            self.db.execute("BEGIN")
            self._in_tx = True
        self.db.executemany("INSERT OR IGNORE INTO seen (digest) VALUES (?)", ((d,) for d in digests))
        self._uncommitted += len(digests)

    def commit(self) -> None:
        if self._in_tx:
            self.db.execute("COMMIT")
            self._in_tx = False
            self._uncommitted = 0

    def on_sync(self, hook: Any) -> None:
        """`hook()` runs before each commit (the writer fsyncs its open part files there)."""
        self._sync_hooks.append(hook)

    def sync(self, fsync: bool = True) -> None:
        """Make the written lines durable, then commit their digests."""
        if fsync:
            for hook in self._sync_hooks:
                hook()
        self.commit()
        self._last_sync = time.monotonic()

    def maybe_sync(self) -> None:
        if self._in_tx and time.monotonic() - self._last_sync >= self.sync_seconds:
            self.sync()

    def __len__(self) -> int:
        return self.db.execute("SELECT count(*) FROM seen").fetchone()[0]


class SqliteSeenSet:
    """The dedupe seen-set under JOBDIR: `JobState`'s on-disk `seen` table (same interface and
    digest as `pipelines.dedupe.MemorySeenSet`)."""

    def __init__(self, state: JobState) -> None:
        self.state = state

    def add(self, key: str) -> bool:
        """Remember `key`; True when it was new (in this run or any earlier run of the job)."""
        digest = key_digest(key)
        if self.state.contains(digest):
            return False
        self.state.add_pending(digest)
        return True
