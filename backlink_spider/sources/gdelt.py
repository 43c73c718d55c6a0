"""GDELT DOC 2.0: news articles that name the target.

What it finds: online news articles (worldwide, 65+ languages, machine-translated for search)
whose text names one of the target's brand terms or writes its domain (`brewbird.io`). Every
article is a MENTION candidate; the crawl fetches it and the page decides whether it links.

Endpoint: `GET {GDELT_API_URL}?query=...&mode=artlist&format=json&maxrecords=250&sort=datedesc`
with `timespan=GDELT_TIMESPAN`, or `startdatetime=YYYYMMDDHHMMSS` (UTC midnight of `since`) when
the crawl has a `since` date. The answer is `{"articles": [{"url", "url_mobile", "title",
"seendate", "socialimage", "domain", "language", "sourcecountry"}]}`, or `{}` for no match.
One request asks for every term at once: `(BrewBird OR "brewbird.io")`. A term with a space,
dot or dash is quoted as a phrase; a single word is not (GDELT refuses short quoted phrases
with "The specified phrase is too short."). GDELT's `domain:` operator is not used: it selects
the *publishing* site (articles on brewbird.io itself, which the crawl skips), not the sites an
article links to; writing the domain as a phrase finds articles that spell it out.

Settings: GDELT_API_URL, GDELT_TIMESPAN (GDELT's own syntax: `90min`, `24h`, `7d`, `2w`,
`3months`), GDELT_MIN_INTERVAL, DISCOVERY_MAX_CANDIDATES.

Limits and how they are kept:
- Rate: one request every 5 seconds (GDELT_MIN_INTERVAL becomes `min_interval`). Throttling is
  a plain-text notice, "Please limit requests to one every 5 seconds or contact ...", sent with
  HTTP 429 or with HTTP 200: any non-JSON answer saying so is `throttled` (the seconds in the
  notice, at least `min_interval`). Other plain-text answers are GDELT refusing the query
  ("The specified phrase is too short.", "Queries containing OR'd terms must be surrounded by
  ()."): a failure, no retry.
- Coverage: the API searches a rolling window of the last three months of news. A `since`
  older than that is sent as it is (a source never reads the clock, so it cannot clamp): GDELT
  answers with what it has.
- Results: artlist has no paging; one answer holds at most 250 articles (maxrecords=250), newest
  first. When an answer is full, the source asks again for the window ending at the oldest
  article seen (`startdatetime`..`enddatetime`), and so on back in time, while windows come back
  full; it stops once the query gave DISCOVERY_MAX_CANDIDATES articles (the crawl keeps no more)
  and the crawl's DISCOVERY_MAX_REQUESTS caps the walk too. Without `since`, the walk's windows
  start GDELT_TIMESPAN before the answer's `Date` header (the newest article when absent).
- No key. The User-Agent is the crawl's; GDELT asks for nothing else.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar
from urllib.parse import urlencode

from backlink_spider.sources.base import (
    MENTION,
    Source,
    SourceAnswer,
    SourceRequest,
    SourceResult,
    SourceSettingError,
)
from backlink_spider.target import Target

# GDELT's artlist never returns more than this many articles for one request.
MAX_RECORDS = 250
_STAMP = "%Y%m%d%H%M%S"
_SEEN = "%Y%m%dT%H%M%SZ"
_TIMESPAN = re.compile(r"^\s*(\d+)\s*(min|minutes?|h|hours?|d|days?|w|weeks?|m|months?)\s*$", re.I)
_THROTTLE_SECONDS = re.compile(r"one every (\d+(?:\.\d+)?) seconds?", re.I)


def parse_timespan(value: str) -> timedelta:
    """GDELT's TIMESPAN (`15min`, `24h`, `7d`, `2w`, `3months`) as a timedelta (a month is 31
    days: a window a little too long only asks for news GDELT no longer has)."""
    match = _TIMESPAN.match(str(value))
    if not match:
        raise SourceSettingError(f"GDELT_TIMESPAN {value!r} is not a GDELT timespan like 3months, 7d or 24h")
    count, unit = int(match.group(1)), match.group(2).lower()
    if count <= 0:
        raise SourceSettingError(f"GDELT_TIMESPAN {value!r} must be longer than zero")
    if unit.startswith("mi"):
        return timedelta(minutes=count)
    if unit.startswith("h"):
        return timedelta(hours=count)
    if unit.startswith("d"):
        return timedelta(days=count)
    if unit.startswith("w"):
        return timedelta(weeks=count)
    return timedelta(days=31 * count)


def gdelt_query(target: Target) -> str:
    """The brand terms and the domain OR'd together, in GDELT's query syntax."""
    terms: dict[str, str] = {}
    for term in (*target.brand_terms, target.host):
        term = " ".join(term.replace('"', " ").split())
        if term and term.lower() not in terms:
            terms[term.lower()] = f'"{term}"' if re.search(r"[\s.\-]", term) else term
    parts = list(terms.values())
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def _seen(value: Any) -> datetime | None:
    try:
        return datetime.strptime(str(value), _SEEN).replace(tzinfo=UTC)
    except ValueError:
        return None


class GdeltSource(Source):
    name = "gdelt"
    min_interval: ClassVar[float] = 5.0  # "Please limit requests to one every 5 seconds"

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        interval = settings.get("GDELT_MIN_INTERVAL")
        if interval is not None:
            self.min_interval = float(interval)

    @classmethod
    def from_settings(cls, settings: Any) -> Source:
        parse_timespan(settings.get("GDELT_TIMESPAN"))
        try:
            if float(settings.get("GDELT_MIN_INTERVAL")) < 0:
                raise ValueError
        except (TypeError, ValueError):
            raise SourceSettingError(
                f"GDELT_MIN_INTERVAL {settings.get('GDELT_MIN_INTERVAL')!r} is not a number of seconds"
            ) from None
        return super().from_settings(settings)

    def start_requests(self, target: Target, since: date | None) -> list[SourceRequest]:
        query = gdelt_query(target)
        start = datetime.combine(since, time(0), UTC) if since else None
        state = {
            "q": query,
            "start": start.strftime(_STAMP) if start else None,
            "end": None,
            "since": since.isoformat() if since else None,
            "seen": [],
            "count": 0,
        }
        described = f"GDELT news naming {query}" + (f" since {since.isoformat()}" if since else "")
        return [self._request(target, state, described)]

    def _request(self, target: Target, state: dict[str, Any], described: str) -> SourceRequest:
        params: dict[str, Any] = {
            "query": state["q"],
            "mode": "artlist",
            "format": "json",
            "maxrecords": MAX_RECORDS,
        }
        if state["start"] is None and state["end"] is None:
            params["timespan"] = self.settings.get("GDELT_TIMESPAN")
        else:
            params["startdatetime"] = state["start"]
            if state["end"]:
                params["enddatetime"] = state["end"]
        params["sort"] = "datedesc"
        url = str(self.settings.get("GDELT_API_URL")) + "?" + urlencode(params)
        return SourceRequest(url, query=described, kind=MENTION, state={**state, "target": target.host})

    def parse(self, request: SourceRequest, answer: SourceAnswer) -> SourceResult:
        data = answer.json()
        if data is None and answer.status == 200 and answer.content_type == "application/json":
            data = self._lenient_json(answer.body)
        if data is None or answer.status == 429:
            return self._not_json(answer)
        if answer.status != 200:
            return SourceResult.failed(f"GDELT: {answer.describe()}")
        if not isinstance(data, dict):
            return SourceResult.failed(f"GDELT: {answer.describe()}")
        articles = data.get("articles", [])
        if not isinstance(articles, list):
            return SourceResult.failed("GDELT: 'articles' is not a list")

        state = dict(request.state)
        target = Target(host=state["target"], brand_terms=())
        since = date.fromisoformat(state["since"]) if state["since"] else None
        seen = set(state["seen"])
        result = SourceResult()
        oldest: datetime | None = None
        newest: datetime | None = None
        for article in articles:
            if not isinstance(article, dict):
                continue
            when = _seen(article.get("seendate"))
            if when is not None:
                oldest = when if oldest is None or when < oldest else oldest
                newest = when if newest is None or when > newest else newest
            url = article.get("url")
            if not isinstance(url, str) or not url.lower().startswith(("http://", "https://")):
                continue
            url = url.strip()
            if url in seen or target.owns(url) or (since and when and when.date() < since):
                continue
            seen.add(url)
            result.candidates.append(self.candidate(url, request))

        count = state["count"] + len(result.candidates)
        limit = int(self.settings.get("DISCOVERY_MAX_CANDIDATES"))
        if len(articles) >= MAX_RECORDS and oldest is not None and count < limit:
            end = oldest.strftime(_STAMP)
            if end == state["end"]:  # a full window of one timestamp: step past it
                end = (oldest - timedelta(seconds=1)).strftime(_STAMP)
            start = state["start"]
            if start is None:
                anchor = self._answer_date(answer) or newest or oldest
                start = (anchor - parse_timespan(self.settings.get("GDELT_TIMESPAN"))).strftime(_STAMP)
            if start < end:
                state.update(start=start, end=end, seen=sorted(seen), count=count)
                described = request.query.split(" (before ")[0] + f" (before {oldest.strftime(_SEEN)})"
                result.next_requests.append(self._request(target, state, described))
        return result

    def _not_json(self, answer: SourceAnswer) -> SourceResult:
        text = " ".join(answer.body[:300].decode("utf-8", "replace").split())
        throttle = "limit requests" in text.lower() or answer.status == 429
        if throttle:
            match = _THROTTLE_SECONDS.search(text)
            wanted = answer.retry_after() or (float(match.group(1)) if match else 0.0)
            return SourceResult.throttled(max(wanted, self.min_interval), "GDELT: throttled")
        if answer.status == 200 and answer.content_type in ("text/html", "text/plain", "") and text:
            if "<" not in text[:1]:
                return SourceResult.failed(f"GDELT refused the query: {text[:120]}")
        return SourceResult.failed(f"GDELT: {answer.describe()}")

    @staticmethod
    def _lenient_json(body: bytes) -> Any:
        """GDELT's JSON sometimes carries raw control characters inside titles: parse those."""
        try:
            return json.loads(body.decode("utf-8", "replace"), strict=False)
        except ValueError:
            return None

    @staticmethod
    def _answer_date(answer: SourceAnswer) -> datetime | None:
        try:
            when = parsedate_to_datetime(answer.headers.get("date", ""))
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        return when if when.tzinfo else when.replace(tzinfo=UTC)
