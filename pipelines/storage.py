"""Where output goes: a local directory (the default), or a URI handled by one of Scrapy's own feed
storage backends (`s3://bucket/prefix`, `gs://bucket/prefix`, `ftp://...`, `file://...`; see
Scrapy's FEED_STORAGES, and its settings for credentials: AWS_ACCESS_KEY_ID, GCS_PROJECT_ID, ...).

With a URI, files are written to a local staging directory first and each is handed to the
backend once complete, so a remote reader never sees a half-written object either.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import weakref
from pathlib import Path
from urllib.parse import urlsplit

from scrapy.crawler import Crawler
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.misc import build_from_crawler, load_object


def is_uri(location: str) -> bool:
    scheme = urlsplit(location).scheme
    return len(scheme) > 1  # not a Windows drive letter


_LOCATIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def write_atomically(path: Path, data: str | bytes, encoding: str = "utf-8") -> Path:
    """Write `data` to `path` so that a reader sees the old file or the whole new one, never a part:
    a hidden temporary file beside it, fsynced, then renamed over it. Returns `path`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as handle:
            handle.write(data.encode(encoding) if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    finally:
        if partial.exists():
            partial.unlink()
    return path


class OutputLocation:
    """A local root to write under (`.local`), and `publish(path)` for completed files.

    One per crawl (`for_crawler`): the JSONL writer, the leads CSV, the summary and the report all
    write under the same local root, and the end-of-crawl summary reads the crawl's records back
    from there before the staging copies of a remote crawl are removed (`cleanup`). Under JOBDIR
    the staging directory lives in the job directory, so a killed run's parts can be recovered.
    """

    def __init__(self, crawler: Crawler, root: str) -> None:
        self.crawler = crawler
        self.root = root.rstrip("/")
        self.remote = is_uri(root)
        if not self.remote:
            self.local = Path(root)
        elif crawler.settings.get("JOBDIR"):
            self.local = Path(crawler.settings["JOBDIR"], "backlink_spider", "output-staging")
            self.local.mkdir(parents=True, exist_ok=True)
        else:
            self.local = Path(tempfile.mkdtemp(prefix="backlinks-output-"))
        self._pending: list = []

    @classmethod
    def for_crawler(cls, crawler: Crawler) -> OutputLocation:
        location = _LOCATIONS.get(crawler)
        if location is None:
            location = _LOCATIONS[crawler] = cls(crawler, crawler.settings.get("OUTPUT_DIR") or "output")
        return location

    def uri_of(self, path: Path) -> str:
        return f"{self.root}/{path.relative_to(self.local).as_posix()}"

    def publish(self, path: Path) -> str:
        """Hand a completed local file to its storage backend (no-op for a local root); returns
        where it ended up."""
        if not self.remote:
            return str(path)
        uri = self.uri_of(path)
        storages = self.crawler.settings.getwithbase("FEED_STORAGES")
        scheme = urlsplit(uri).scheme
        if scheme not in storages:
            raise ValueError(f"OUTPUT_DIR={self.root}: no feed storage for {scheme}:// (see FEED_STORAGES)")
        storage = build_from_crawler(
            load_object(storages[scheme]), self.crawler, uri, feed_options={"overwrite": True}
        )
        handle = storage.open(self.crawler.spider)
        with open(path, "rb") as source:
            shutil.copyfileobj(source, handle)
        result = storage.store(handle)
        if result is not None:
            self._pending.append(result)
        return uri

    async def flush(self) -> None:
        """Wait for uploads still in flight."""
        pending, self._pending = self._pending, []
        for deferred in pending:
            await maybe_deferred_to_future(deferred)

    def cleanup(self) -> None:
        """Remove the staging copies of a remote crawl (everything is published by then)."""
        if self.remote and self.local.exists():
            shutil.rmtree(self.local, ignore_errors=True)
