"""Link checking's rules: what counts as a dead link, how a failure is named, and which of the
target's pages could replace a dead link (TF-IDF over the target pages' titles, URLs and text).
The checks during a crawl (requests, waiting pages, pacing) are linkchecker.py's."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseNeverReceived

# Statuses after which a HEAD request is retried as GET (servers that refuse or mishandle HEAD).
HEAD_REFUSED = frozenset({400, 403, 405, 406, 501})


def is_dead(status: int | None, error: str | None) -> bool:
    """A link is dead on 404, 410, any 5xx, or a network failure. 401/403/429 are alive (the page
    exists, we are just not let in)."""
    if error is not None:
        return error not in ("robots.txt disallows checking", "refused by the address guard", "skipped")
    return status is not None and (status in (404, 410) or status >= 500)


def describe_failure(failure: Failure) -> str:
    """A short, stable name for why a request failed."""
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "DNS failure"
    if failure.check(ConnectionRefusedError, DownloadConnectionRefusedError):
        return "connection refused"
    if failure.check(TimeoutError, TCPTimedOutError, DownloadTimeoutError):
        return "timeout"
    text = str(failure.value)
    if "SSL" in text or "TLS" in text or "certificate" in text.lower() or "tlsv1" in text.lower():
        return "TLS error"
    if failure.check(ResponseDataLossError):
        return "connection lost"
    if failure.check(DownloadCancelledError):
        return "too large"  # over DOWNLOAD_MAXSIZE
    if failure.check(ResponseNeverReceived):
        inner = " ".join(str(r.value) for r in getattr(failure.value, "reasons", []))
        if "SSL" in inner or "TLS" in inner or "certificate" in inner:
            return "TLS error"
        return "connection lost"
    if failure.check(ConnectError):
        return "connection failed"
    if failure.check(IgnoreRequest):
        if "robots.txt" in text:
            return "robots.txt disallows checking"
        if text.startswith("refused:"):
            return "refused by the address guard"
        return "skipped"
    return type(failure.value).__name__


# --- replacement suggestions ------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]+", re.U)
STOPWORDS = frozenset(
    "a an and are as at be by for from has have how in is it its of on or our the this to was what when "
    "where which who why will with you your www com html htm php asp aspx index page pages guide".split()
)


def words(text: str) -> list[str]:
    """Lower-case content words (stopwords and one-letter tokens dropped; crude plural folding)."""
    out = []
    for word in _WORD.findall(text.lower()):
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if len(word) < 2 or word in STOPWORDS or word.isdigit():
            continue
        out.append(word)
    return out


def url_words(url: str) -> list[str]:
    parts = urlsplit(url)
    return words(unquote(parts.path).replace("-", " ").replace("_", " "))


@dataclass
class TargetPage:
    url: str
    title: str
    head: Counter[str] = field(default_factory=Counter)  # title and URL words
    body: Counter[str] = field(default_factory=Counter)  # main-content words


class TargetIndex:
    """The target site's own pages, to suggest a replacement for a dead link.

    Scoring: TF-IDF cosine of the dead link's words (anchor text and URL path) against each page's
    title and URL words (60%) and its main-content words (40%); site-wide boilerplate is not
    indexed, so navigation words do not make every page look alike.
    """

    HEAD_WEIGHT = 0.6

    def __init__(self) -> None:
        self.pages: dict[str, TargetPage] = {}
        self._idf: dict[str, float] | None = None

    def __len__(self) -> int:
        return len(self.pages)

    def add(self, url: str, title: str | None, content_text: str) -> None:
        """Index a target page by its title, URL and main-content text (first 1,000 words)."""
        head = Counter(words(title or "") + url_words(url))
        body = Counter(words(content_text)[:1000])
        self.pages[url] = TargetPage(url, title or "", head, body)
        self._idf = None

    def _weights(self) -> dict[str, float]:
        if self._idf is None:
            df: Counter[str] = Counter()
            for page in self.pages.values():
                df.update(set(page.head) | set(page.body))
            n = len(self.pages)
            self._idf = {term: math.log((n + 1) / (count + 0.5)) for term, count in df.items()}
        return self._idf

    @staticmethod
    def _cosine(query: dict[str, float], terms: Counter[str], idf: dict[str, float]) -> float:
        vec = {t: (1 + math.log(c)) * idf[t] for t, c in terms.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        q_norm = math.sqrt(sum(v * v for v in query.values()))
        if not norm or not q_norm:
            return 0.0
        return sum(w * vec.get(t, 0.0) for t, w in query.items()) / (norm * q_norm)

    def suggest(self, anchor_text: str, dead_url: str, min_score: float = 0.05) -> tuple[str, float] | None:
        """(target page URL, score in 0..1) best matching the dead link's anchor and URL words."""
        query_words = Counter(words(anchor_text) + url_words(dead_url))
        if not query_words or not self.pages:
            return None
        idf = self._weights()
        query = {t: c * idf.get(t, 0.0) for t, c in query_words.items()}
        best: tuple[str, float] | None = None
        for page in self.pages.values():
            score = self.HEAD_WEIGHT * self._cosine(query, page.head, idf) + (
                1 - self.HEAD_WEIGHT
            ) * self._cosine(query, page.body, idf)
            if best is None or score > best[1]:
                best = (page.url, score)
        if best is None or best[1] < min_score:
            return None
        return best[0], round(best[1], 3)


# --- a check's outcome ------------------------------------------------------------------------


@dataclass
class CheckResult:
    status: int | None
    error: str | None
    checked_at: str

    @property
    def dead(self) -> bool:
        return is_dead(self.status, self.error)
