"""Alerts a team can act on: what changed in a crawl, as events, sent once to a webhook or by e-mail.

Pure parts first (no Scrapy here; the `CrawlAlerts` extension in alerting.py wires them to a crawl):

- `crawl_events(records, previous, ...)` / `recheck_events(link_status, ...)`: the events of one crawl
  (records as `report.read_crawl` returns them) — new, lost and changed links, new unlinked mentions.
- `Alert`: the events of one crawl for one channel; `subject`, `plain_text`, `html_text`,
  `webhook_body`, `slack_body`, `email_message` turn it into what a channel sends.
- `WebhookChannel`, `SmtpChannel`: blocking senders (run them in a thread); `deliver` retries one.
- `AnnouncedStore`: the event ids each channel has announced, and the events it still owes
  (delivery failed: they go out with the next alert), in one JSONL file rewritten atomically.
- `dispatch`: all of it for one crawl, under the store's lock.

An event's id is a hash of what it says (kind, source page, target URL, anchor, and for a changed
link the link before and after), not of the crawl that found it, so a link lost between two crawls
and found lost again by a `recheck` is announced once.
"""

from __future__ import annotations

import email.utils
import fcntl
import html
import json
import logging
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import orjson

from backlink_spider.linkdiff import page_gone
from backlink_spider.records import record_id
from backlink_spider.report.numbers import compare_crawls
from backlink_spider.report.render import safe_http_url
from backlink_spider.urls import url_key
from pipelines.storage import write_atomically

logger = logging.getLogger(__name__)

# Event kinds, in the order messages list them.
KINDS = ("new_link", "lost_link", "changed_link", "unlinked_mention")
# link_status statuses that are news; `live`, `unverified` and any status added later are not.
STATUS_KINDS = {"new": "new_link", "lost": "lost_link", "changed": "changed_link"}
# Lines of a Slack message (one per event) before "… and N more".
SLACK_MAX_LINES = 20
# Text taken from pages (anchors, titles, snippets) is cut to this many characters in messages.
TEXT_MAX = 200
# A Retry-After longer than this (seconds) is not waited for: the delivery fails, the events stay owed.
RETRY_AFTER_MAX = 300
# Seconds a webhook POST or an SMTP session may take.
NETWORK_TIMEOUT = 30


def _clip(text: object, limit: int = TEXT_MAX) -> str:
    """One line of at most `limit` characters (page text may hold newlines and control characters)."""
    flat = " ".join(str(text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def link_view(anchor_text: str | None, rel: Iterable[str] | None, target_url: str | None) -> dict:
    """A link as events show it: anchor, rel (sorted, each token once), target URL."""
    return {"anchor_text": anchor_text or "", "rel": sorted(set(rel or [])), "target_url": target_url}


def event_id(
    kind: str,
    source_url: str,
    target_url: str | None,
    anchor_text: str | None,
    before: dict | None,
    after: dict | None,
) -> str:
    """The stable id of an event: the same for the same news, whichever crawl or recheck found it."""
    parts: list[object] = [
        kind,
        url_key(source_url),
        url_key(target_url) if target_url else "",
        anchor_text or "",
    ]
    if kind == "changed_link":  # what changed is part of the news: a second change is a new event
        for view in (before or {}, after or {}):
            parts += [
                view.get("anchor_text") or "",
                " ".join(view.get("rel") or []),
                view.get("target_url") or "",
            ]
    return record_id(*parts)


@dataclass(frozen=True)
class Event:
    """One piece of news: `kind` is one of KINDS; `before`/`after` are link views (None for a link
    that did not exist / no longer exists, and for unlinked mentions)."""

    kind: str
    source_url: str
    target_url: str | None = None
    anchor_text: str | None = None
    before: dict | None = None
    after: dict | None = None
    reason: str | None = None
    page_title: str | None = None
    crawl_id: str | None = None  # the crawl that found it

    @property
    def id(self) -> str:
        return event_id(
            self.kind, self.source_url, self.target_url, self.anchor_text, self.before, self.after
        )

    def as_dict(self) -> dict:
        """The event as the webhook sends it (and the store keeps events still owed)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "source_url": self.source_url,
            "target_url": self.target_url,
            "anchor_text": self.anchor_text,
            "before": self.before,
            "after": self.after,
            "reason": self.reason,
            "page_title": self.page_title,
            "crawl_id": self.crawl_id,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Event:
        return cls(**{name: data.get(name) for name in cls.__dataclass_fields__})


def _order(event: Event) -> tuple:
    return (KINDS.index(event.kind), event.source_url, event.target_url or "", event.anchor_text or "")


def change_reason(before: dict, after: dict) -> str:
    """What changed between two link views, for people: "nofollow added, anchor changed"."""
    old, new = set(before.get("rel") or []), set(after.get("rel") or [])
    reasons = [f"{token} added" for token in sorted(new - old)]
    reasons += [f"{token} removed" for token in sorted(old - new)]
    if (before.get("anchor_text") or "") != (after.get("anchor_text") or ""):
        reasons.append("anchor changed")
    if before.get("target_url") and after.get("target_url") and before["target_url"] != after["target_url"]:
        reasons.append("target changed")
    return ", ".join(reasons) or "changed"


def _titles(pages: Iterable[dict]) -> dict[str, str]:
    """url_key -> page title, for the pages' URLs and final URLs."""
    titles: dict[str, str] = {}
    for page in pages:
        if page.get("title"):
            for url in (page.get("url"), page.get("final_url")):
                if url:
                    titles[url_key(url)] = page["title"]
    return titles


def _fetched(pages: Iterable[dict]) -> dict[str, dict]:
    """url_key -> page record (under its URL and where it redirected to)."""
    fetched: dict[str, dict] = {}
    for page in pages:
        for url in (page.get("url"), page.get("final_url")):
            if url:
                fetched[url_key(url)] = page
    return fetched


def crawl_events(
    records: dict[str, list[dict]],
    previous: dict[str, list[dict]] | None,
    *,
    crawl_id: str,
    previous_crawl_id: str | None = None,
    complete: bool = True,
) -> list[Event]:
    """The events of a discovery crawl (`mentions`): links new, lost and changed since `previous`
    (the latest complete earlier crawl of the target; None: this crawl is the baseline, and no link
    is news), and every lead as an unlinked mention (the store drops those announced before).

    A link counts as lost only when this crawl is `complete` and fetched its source page again
    (the page answered, or is gone: 404/410): a page the crawl did not reach this time proves nothing.
    """
    events: list[Event] = []
    pages = records.get("page") or []
    if previous is not None and pages:
        # lost: only links whose page this crawl judged (linkdiff.page_judgeable, or gone)
        diff = compare_crawls(records.get("backlink") or [], previous.get("backlink") or [], pages)
        current_rel = {
            (b.get("source_url"), b.get("target_url"), b.get("anchor_text")): b.get("rel")
            for b in records.get("backlink") or []
        }
        previous_rel = {
            (b.get("source_url"), b.get("target_url"), b.get("anchor_text")): b.get("rel")
            for b in previous.get("backlink") or []
        }
        titles, old_titles = _titles(pages), _titles(previous.get("page") or [])
        fetched = _fetched(pages)
        since = f" since crawl {previous_crawl_id}" if previous_crawl_id else ""
        for item in diff["new"]:
            key = (item["source_url"], item["target_url"], item["anchor_text"])
            events.append(
                Event(
                    kind="new_link",
                    source_url=item["source_url"],
                    target_url=item["target_url"],
                    anchor_text=item["anchor_text"],
                    after=link_view(item["anchor_text"], current_rel.get(key), item["target_url"]),
                    reason=f"new{since}",
                    page_title=titles.get(url_key(item["source_url"])),
                    crawl_id=crawl_id,
                )
            )
        for item in diff["lost"] if complete else ():
            page = fetched.get(url_key(item["source_url"])) or {}
            key = (item["source_url"], item["target_url"], item["anchor_text"])
            gone = page_gone(page)
            events.append(
                Event(
                    kind="lost_link",
                    source_url=item["source_url"],
                    target_url=item["target_url"],
                    anchor_text=item["anchor_text"],
                    before=link_view(item["anchor_text"], previous_rel.get(key), item["target_url"]),
                    reason=f"page gone: HTTP {page['status']}" if gone else "link removed",
                    page_title=old_titles.get(url_key(item["source_url"])),
                    crawl_id=crawl_id,
                )
            )
        for item in diff["changed"]:
            before = link_view(item["before"]["anchor_text"], item["before"]["rel"], item["target_url"])
            after = link_view(item["after"]["anchor_text"], item["after"]["rel"], item["target_url"])
            events.append(
                Event(
                    kind="changed_link",
                    source_url=item["source_url"],
                    target_url=item["target_url"],
                    anchor_text=item["anchor_text"],
                    before=before,
                    after=after,
                    reason=change_reason(before, after),
                    page_title=titles.get(url_key(item["source_url"])),
                    crawl_id=crawl_id,
                )
            )
    for lead in records.get("lead") or []:
        mentions = lead.get("mentions") or 0
        events.append(
            Event(
                kind="unlinked_mention",
                source_url=lead["source_url"],
                reason=f"names the brand {mentions} time{'s' if mentions != 1 else ''} without a link",
                page_title=lead.get("title"),
                crawl_id=crawl_id,
            )
        )
    return sorted(events, key=_order)


def recheck_events(link_status: Iterable[dict], *, crawl_id: str, complete: bool = True) -> list[Event]:
    """The events of a `recheck`: its `lost`, `changed` and `new` link_status records (a partial
    recheck announces no loss). `live`, `unverified` and any other status are not news."""
    events = []
    for record in link_status:
        kind = STATUS_KINDS.get(record.get("status") or "")
        if kind is None or (kind == "lost_link" and not complete):
            continue
        before, after = record.get("before"), record.get("after")
        if before is not None:
            before = link_view(before.get("anchor_text"), before.get("rel"), before.get("target_url"))
        if after is not None:
            after = link_view(after.get("anchor_text"), after.get("rel"), after.get("target_url"))
        # the anchor the link is known by: as now, else as last seen (the same as compare_crawls uses)
        anchor = (after or before or {}).get("anchor_text")
        events.append(
            Event(
                kind=kind,
                source_url=record["source_url"],
                target_url=record.get("target_url"),
                anchor_text=anchor,
                before=before,
                after=after,
                reason=record.get("reason"),
                crawl_id=crawl_id,
            )
        )
    return sorted(events, key=_order)


# --- messages ------------------------------------------------------------------------------------


@dataclass
class Alert:
    """The events one channel announces for one crawl."""

    target: str
    crawl_id: str
    spider: str
    events: list[Event]

    def counts(self) -> dict[str, int]:
        return {kind: sum(1 for e in self.events if e.kind == kind) for kind in KINDS}


def subject(alert: Alert) -> str:
    """ "brewbird.io: 2 new links, 1 lost, 1 changed, 3 new unlinked mentions" (zero counts left out)."""
    counts = alert.counts()

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    parts = []
    if counts["new_link"]:
        parts.append(plural(counts["new_link"], "new link"))
    if counts["lost_link"]:
        parts.append(f"{counts['lost_link']} lost")
    if counts["changed_link"]:
        parts.append(f"{counts['changed_link']} changed")
    if counts["unlinked_mention"]:
        parts.append(plural(counts["unlinked_mention"], "new unlinked mention"))
    return f"{_clip(alert.target, 100)}: {', '.join(parts) or 'nothing new'}"


LABELS = {
    "new_link": "New link",
    "lost_link": "Lost link",
    "changed_link": "Changed link",
    "unlinked_mention": "New unlinked mention",
}


def event_line(event: Event) -> str:
    """One line of plain text about an event."""
    if event.kind == "unlinked_mention":
        title = f' "{_clip(event.page_title)}"' if event.page_title else ""
        return f"{LABELS[event.kind]}: {event.source_url}{title} ({event.reason})"
    line = f"{LABELS[event.kind]}: {event.source_url} -> {event.target_url}"
    if event.anchor_text:
        line += f' (anchor "{_clip(event.anchor_text)}")'
    return line + (f": {event.reason}" if event.reason else "")


def plain_text(alert: Alert) -> str:
    """The e-mail's plain-text part."""
    lines = [f"{subject(alert)} (crawl {alert.crawl_id}, {alert.spider})", ""]
    lines += [event_line(event) for event in alert.events]
    return "\n".join(lines) + "\n"


def _html_url(url: str | None) -> str:
    """An escaped URL, a link when it is plain http(s) (page data may hold javascript: URLs)."""
    text = html.escape(_clip(url, 500))
    safe = safe_http_url(url)
    return f'<a href="{html.escape(safe, quote=True)}">{text}</a>' if safe else text


def html_text(alert: Alert) -> str:
    """The e-mail's HTML part: every value from a page escaped, links only to http(s) URLs."""
    items = []
    for event in alert.events:
        parts = [f"<strong>{LABELS[event.kind]}</strong>: {_html_url(event.source_url)}"]
        if event.page_title:
            parts.append(f"&ldquo;{html.escape(_clip(event.page_title))}&rdquo;")
        if event.kind != "unlinked_mention":
            parts.append(f"&rarr; {_html_url(event.target_url)}")
            if event.anchor_text:
                parts.append(f"(anchor &ldquo;{html.escape(_clip(event.anchor_text))}&rdquo;)")
        if event.reason:
            parts.append(f"&mdash; {html.escape(event.reason)}")
        items.append("<li>" + " ".join(parts) + "</li>")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        f"<h1>{html.escape(subject(alert))}</h1>\n"
        f"<p>Crawl {html.escape(alert.crawl_id)} ({html.escape(alert.spider)})</p>\n"
        "<ul>\n" + "\n".join(items) + "\n</ul>\n</body></html>\n"
    )


def webhook_body(alert: Alert) -> dict:
    """The JSON a webhook receives (see the README's *Alerts*)."""
    return {
        "target": alert.target,
        "crawl_id": alert.crawl_id,
        "spider": alert.spider,
        "events": [event.as_dict() for event in alert.events],
        "counts": alert.counts(),
    }


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn control characters: escaped, a page cannot write <!channel> or a fake link
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_url(url: str | None) -> str:
    safe = safe_http_url(url)
    if safe and "|" not in safe:
        return f"<{_slack_escape(safe)}>"
    return _slack_escape(_clip(url, 500))


def slack_body(alert: Alert, max_lines: int = SLACK_MAX_LINES) -> dict:
    """A Slack-compatible incoming-webhook body: {"text": mrkdwn}, one line per event, capped."""
    lines = [f"*{_slack_escape(subject(alert))}* (crawl {_slack_escape(alert.crawl_id)})"]
    for event in alert.events[:max_lines]:
        line = f"• {LABELS[event.kind]}: {_slack_url(event.source_url)}"
        if event.kind != "unlinked_mention":
            line += f" → {_slack_url(event.target_url)}"
            if event.anchor_text:
                line += f" (anchor “{_slack_escape(_clip(event.anchor_text))}”)"
        elif event.page_title:
            line += f" “{_slack_escape(_clip(event.page_title))}”"
        if event.reason:
            line += f": {_slack_escape(event.reason)}"
        lines.append(line)
    if len(alert.events) > max_lines:
        lines.append(f"… and {len(alert.events) - max_lines} more")
    return {"text": "\n".join(lines)}


def email_message(alert: Alert, sender: str, recipients: list[str]) -> EmailMessage:
    """A multipart/alternative e-mail: plain text and HTML."""
    message = EmailMessage()
    message["Subject"] = subject(alert)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain="backlink-spider")
    message.set_content(plain_text(alert))
    message.add_alternative(html_text(alert), subtype="html")
    return message


# --- channels ------------------------------------------------------------------------------------


class DeliveryError(Exception):
    """A channel could not deliver. `retry_after`: seconds the receiver asked us to wait;
    `permanent`: trying again will not help (a 4xx, a refused recipient)."""

    def __init__(self, message: str, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def send(self, alert: Alert) -> None:
        """Deliver the alert or raise DeliveryError (blocking)."""


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), None if absent/bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class WebhookChannel:
    """POST the alert as JSON (`fmt` "json": webhook_body; "slack": slack_body) to `url`."""

    url: str
    fmt: str = "json"
    timeout: float = NETWORK_TIMEOUT
    name: str = "webhook"

    def __post_init__(self) -> None:
        if self.fmt not in ("json", "slack"):
            raise ValueError(f"webhook format {self.fmt!r}: not json or slack")
        if not safe_http_url(self.url):
            raise ValueError("webhook URL: not an http(s) URL")

    def send(self, alert: Alert) -> None:
        body = slack_body(alert) if self.fmt == "slack" else webhook_body(alert)
        request = urllib.request.Request(
            self.url,
            data=json.dumps(body, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "backlink-spider alerts",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            retry_after = (
                parse_retry_after(exc.headers.get("Retry-After")) if exc.code in (429, 503) else None
            )
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"HTTP {exc.code}", retry_after, permanent) from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryError(" ".join(str(reason).split()) or type(exc).__name__) from exc


@dataclass
class SmtpChannel:
    """Send the alert as an e-mail through an SMTP server (STARTTLS and login when configured)."""

    host: str
    port: int
    sender: str
    recipients: list[str]
    starttls: bool = True
    user: str = ""
    password: str = ""
    timeout: float = NETWORK_TIMEOUT
    name: str = "email"

    def __post_init__(self) -> None:
        if not self.sender or not self.recipients:
            raise ValueError("e-mail alerts need a sender and at least one recipient")

    def send(self, alert: Alert) -> None:
        message = email_message(alert, self.sender, self.recipients)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(message, self.sender, self.recipients)
        except smtplib.SMTPResponseException as exc:
            text = (
                exc.smtp_error.decode("utf-8", "replace")
                if isinstance(exc.smtp_error, bytes)
                else exc.smtp_error
            )
            raise DeliveryError(
                f"SMTP {exc.smtp_code} {_clip(text, 120)}", permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError("every recipient refused", permanent=True) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(" ".join(str(exc).split()) or type(exc).__name__) from exc


def deliver(
    channel: Channel, alert: Alert, retries: int, backoff: float, sleep: Callable[[float], None] = time.sleep
) -> str | None:
    """Send `alert` on `channel`, trying up to 1 + `retries` times: waits `backoff` * 2**n seconds
    between tries, or what a Retry-After asked for. Returns None when delivered, else the last error."""
    attempt = 0
    while True:
        try:
            channel.send(alert)
            return None
        except DeliveryError as exc:
            error = f"{exc} (attempt {attempt + 1} of {retries + 1})"
            if exc.permanent or attempt >= retries:
                return error
            wait = exc.retry_after if exc.retry_after is not None else backoff * 2**attempt
            if wait > RETRY_AFTER_MAX:
                return f"{error}; Retry-After {wait:.0f} s is too long"
            sleep(wait)
            attempt += 1


# --- what was announced --------------------------------------------------------------------------


@dataclass
class Ledger:
    """Per channel: ids announced, and events owed (delivery failed), oldest first."""

    sent: dict[str, set[str]] = field(default_factory=dict)
    owed: dict[str, dict[str, dict]] = field(default_factory=dict)
    lines: list[dict] = field(default_factory=list)  # the `sent` lines as stored


class AnnouncedStore:
    """The ids each channel has announced, and the events it still owes, in a JSONL file.

    Lines: {"channel", "id", "kind", "crawl_id", "announced_at"} for each announced event and
    {"channel", "owed": event} for each event whose delivery failed. The file is rewritten
    atomically (a reader sees the old or the new file); `locked()` holds an exclusive lock on a
    sibling `.lock` file, so two jobs on one host do not announce the same event twice.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def load(self) -> Ledger:
        ledger = Ledger()
        if not self.path.exists():
            return ledger
        with open(self.path, "rb") as handle:
            for raw in handle:
                try:
                    line = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    continue  # never written by us (the file is replaced whole): skip, do not fail
                channel = line.get("channel")
                if not isinstance(channel, str):
                    continue
                if isinstance(line.get("owed"), dict) and line["owed"].get("id"):
                    ledger.owed.setdefault(channel, {})[line["owed"]["id"]] = line["owed"]
                elif isinstance(line.get("id"), str):
                    ledger.sent.setdefault(channel, set()).add(line["id"])
                    ledger.lines.append(line)
        for channel, owed in ledger.owed.items():
            for rid in ledger.sent.get(channel, set()) & owed.keys():
                del owed[rid]
        return ledger

    def save(self, ledger: Ledger) -> None:
        lines = [orjson.dumps(line) for line in ledger.lines]
        lines += [
            orjson.dumps({"channel": channel, "owed": event})
            for channel, owed in sorted(ledger.owed.items())
            for event in owed.values()
        ]
        write_atomically(self.path, b"".join(line + b"\n" for line in lines))


@dataclass
class Outcome:
    """What one channel did with one crawl's events."""

    channel: str
    sent: int = 0
    failed: int = 0
    error: str | None = None


def dispatch(
    target: str,
    crawl_id: str,
    spider: str,
    events: list[Event],
    channels: list[Channel],
    store: AnnouncedStore,
    retries: int,
    backoff: float,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Outcome]:
    """Announce on each channel the events it has not announced yet (this crawl's, then those it
    still owes from earlier crawls), and remember what went out. Blocking: run it in a thread."""
    outcomes = []
    with store.locked():
        ledger = store.load()
        for channel in channels:
            sent = ledger.sent.get(channel.name, set())
            owed = ledger.owed.setdefault(channel.name, {})
            fresh = {e.id: e for e in events if e.id not in sent}
            for rid, data in owed.items():
                fresh.setdefault(rid, Event.from_dict(data))
            if not fresh:
                continue
            alert = Alert(target, crawl_id, spider, sorted(fresh.values(), key=_order))
            error = deliver(channel, alert, retries, backoff, sleep)
            if error is None:
                now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                for event in alert.events:
                    owed.pop(event.id, None)
                    ledger.lines.append(
                        {
                            "channel": channel.name,
                            "id": event.id,
                            "kind": event.kind,
                            "crawl_id": event.crawl_id,
                            "announced_at": now,
                        }
                    )
                outcomes.append(Outcome(channel.name, sent=len(alert.events)))
            else:
                for event in alert.events:
                    owed.setdefault(event.id, event.as_dict())
                outcomes.append(Outcome(channel.name, failed=len(alert.events), error=error))
        store.save(ledger)
    return outcomes
