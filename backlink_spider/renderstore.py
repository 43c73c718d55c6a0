"""render=auto's memory across crawls: what sampling decided about each site (and platform),
in one small JSON file, so a scheduled crawl of the same sites does not sample them again.

    {"version": 1,
     "sites": {"example.com": {"verdict": "static", "evidence": "2 static samples",
                               "family": "hugo", "decided_at": "2026-05-01T02:00:00Z"}},
     "platforms": {"hugo": {"verdict": "static", "evidence": "2 static samples", ...}}}

Entries older than RENDER_DECISIONS_DAYS (compared with the crawl's start) are dropped when read.
The file is rewritten atomically (pipelines.storage.write_atomically) at the end of the crawl, merged
with what is in it then: the processes of a distributed crawl (or two crawls) sharing one store each
add their decisions, and of two decisions about one site the newer is kept. A lock file beside the
store (`.render-decisions.json.lock`) keeps two merges from interleaving.
"""

from __future__ import annotations

import fcntl
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from pipelines.storage import is_uri, write_atomically

STORE_VERSION = 1
VERDICTS = ("render", "static")
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class StoreUnreadable(Exception):
    """The store exists but cannot be read or is not a store (the crawl goes on without it)."""


@dataclass(frozen=True)
class Remembered:
    """One decision: `verdict` (render | static), what it rests on, the platform family of the
    sampled pages (or None), and when it was made (UTC)."""

    verdict: str
    evidence: str
    family: str | None
    decided_at: datetime

    def to_json(self) -> dict:
        return {**asdict(self), "decided_at": self.decided_at.strftime(_TIME_FORMAT)}

    @classmethod
    def from_json(cls, entry: object) -> Remembered:
        if not isinstance(entry, dict) or entry.get("verdict") not in VERDICTS:
            raise ValueError(f"not a decision: {entry!r:.80}")
        decided = datetime.strptime(entry["decided_at"], _TIME_FORMAT).replace(tzinfo=UTC)
        return cls(entry["verdict"], str(entry.get("evidence") or ""), entry.get("family"), decided)


def store_path(settings) -> Path | None:  # noqa: ANN001
    """Where the store of a crawl lives: RENDER_DECISIONS_FILE, else `<JOBDIR>/render-decisions.json`,
    else `<OUTPUT_DIR>/state/render-decisions.json`; None when it is off (RENDER_DECISIONS_ENABLED)
    or OUTPUT_DIR is remote (s3://...) with no JOBDIR."""
    if not settings.getbool("RENDER_DECISIONS_ENABLED"):
        return None
    if settings.get("RENDER_DECISIONS_FILE"):
        return Path(settings.get("RENDER_DECISIONS_FILE"))
    if settings.get("JOBDIR"):
        return Path(settings.get("JOBDIR"), "render-decisions.json")
    output = settings.get("OUTPUT_DIR")
    if is_uri(output):
        return None
    return Path(output, "state", "render-decisions.json")


class DecisionStore:
    """The store at `path`; decisions older than `days` before `now` (the crawl's start) expire."""

    def __init__(self, path: Path, days: int, now: datetime) -> None:
        self.path = Path(path)
        self.cutoff = now - timedelta(days=days)
        self.expired = 0

    def load(self) -> tuple[dict[str, Remembered], dict[str, Remembered]]:
        """The unexpired (sites, platforms); empty when there is no store yet. Raises
        StoreUnreadable for a file that cannot be read or parsed."""
        try:
            data = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}, {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise StoreUnreadable(f"{self.path}: {exc}") from None
        if not isinstance(data, dict) or data.get("version") != STORE_VERSION:
            raise StoreUnreadable(f"{self.path}: not a render-decisions store (version {STORE_VERSION})")
        try:
            return self._fresh(data.get("sites") or {}), self._fresh(data.get("platforms") or {})
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise StoreUnreadable(f"{self.path}: {exc}") from None

    def _fresh(self, entries: dict) -> dict[str, Remembered]:
        fresh = {}
        for key, entry in entries.items():
            remembered = Remembered.from_json(entry)
            if remembered.decided_at < self.cutoff:
                self.expired += 1
            else:
                fresh[str(key)] = remembered
        return fresh

    def save(self, sites: dict[str, Remembered], platforms: dict[str, Remembered]) -> None:
        """Write the decisions, merged with the store's unexpired ones of now (raises OSError when
        the file cannot be written). An unreadable store is replaced."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "wb") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            try:
                stored_sites, stored_platforms = self.load()
            except StoreUnreadable:
                stored_sites, stored_platforms = {}, {}
            sites, platforms = _newest(stored_sites, sites), _newest(stored_platforms, platforms)
            data = {
                "version": STORE_VERSION,
                "sites": {key: sites[key].to_json() for key in sorted(sites)},
                "platforms": {key: platforms[key].to_json() for key in sorted(platforms)},
            }
            write_atomically(self.path, orjson.dumps(data, option=orjson.OPT_INDENT_2))


def _newest(stored: dict[str, Remembered], ours: dict[str, Remembered]) -> dict[str, Remembered]:
    """Both sets of decisions; of two about one key, the newer (ours when as new)."""
    merged = dict(stored)
    for key, remembered in ours.items():
        if key not in merged or remembered.decided_at >= merged[key].decided_at:
            merged[key] = remembered
    return merged
