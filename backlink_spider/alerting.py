"""CrawlAlerts extension: after each crawl or recheck, announce what changed (backlinks new, lost and
changed; new unlinked mentions) on a webhook and/or by e-mail, each event once (backlink_spider/alerts.py).

It acts on `spider_closed`, after CrawlSummary has written the crawl's summary record (it waits for
it: the record says whether the crawl was partial, and a partial crawl announces no loss). It reads
the crawl's records back with report.read_crawl, and the latest complete earlier crawl of the target
found in OUTPUT_DIR (report.find_previous_crawl). Delivery runs in a thread, so the reactor is not
blocked; a channel that fails is retried, then logged as a one-line warning and counted in the
stats (`alerts/<channel>/sent`, `alerts/<channel>/failed`: events), and the crawl's outcome is
unchanged; the events it could not deliver go out with its next alert.

Settings: ALERT_WEBHOOK_URL, ALERT_WEBHOOK_FORMAT, ALERT_SMTP_HOST, ALERT_SMTP_PORT,
ALERT_SMTP_STARTTLS, ALERT_SMTP_USER, ALERT_SMTP_PASSWORD, ALERT_EMAIL_FROM, ALERT_EMAIL_TO,
ALERT_RETRIES, ALERT_RETRY_BACKOFF, ALERT_STATE (see settings.py). Not configured without a channel.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

from backlink_spider.alerts import (
    AnnouncedStore,
    Channel,
    Event,
    SmtpChannel,
    WebhookChannel,
    crawl_events,
    dispatch,
    recheck_events,
)
from backlink_spider.output import read_records
from backlink_spider.report import find_previous_crawl, read_crawl
from backlink_spider.report.files import is_partial
from backlink_spider.report.numbers import earliest_crawled_at
from pipelines.storage import OutputLocation, is_uri

logger = logging.getLogger(__name__)

# How long to wait for CrawlSummary's summary record (seconds).
SUMMARY_WAIT = 10.0


def channels_from_settings(settings: BaseSettings) -> list[Channel]:
    """The channels the settings configure: a webhook (ALERT_WEBHOOK_URL), e-mail (ALERT_SMTP_HOST
    and ALERT_EMAIL_TO). Raises ValueError for a channel configured wrongly."""
    channels: list[Channel] = []
    if settings.get("ALERT_WEBHOOK_URL"):
        channels.append(WebhookChannel(settings["ALERT_WEBHOOK_URL"], settings.get("ALERT_WEBHOOK_FORMAT")))
    recipients = [r.strip() for r in settings.getlist("ALERT_EMAIL_TO") if r.strip()]
    if settings.get("ALERT_SMTP_HOST") and recipients:
        channels.append(
            SmtpChannel(
                host=settings["ALERT_SMTP_HOST"],
                port=settings.getint("ALERT_SMTP_PORT"),
                sender=settings.get("ALERT_EMAIL_FROM"),
                recipients=recipients,
                starttls=settings.getbool("ALERT_SMTP_STARTTLS"),
                user=settings.get("ALERT_SMTP_USER") or "",
                password=settings.get("ALERT_SMTP_PASSWORD") or "",
            )
        )
    elif settings.get("ALERT_SMTP_HOST") or recipients:
        raise ValueError("e-mail alerts need both ALERT_SMTP_HOST and ALERT_EMAIL_TO")
    return channels


class CrawlAlerts:
    def __init__(
        self, crawler: Crawler, channels: list[Channel], store: AnnouncedStore, retries: int, backoff: float
    ) -> None:
        self.crawler = crawler
        self.channels = channels
        self.store = store
        self.retries = retries
        self.backoff = backoff
        self.location = OutputLocation.for_crawler(crawler)
        self.summary_enabled = crawler.settings.getbool("SUMMARY_ENABLED")
        self.worker = f"{socket.gethostname()}:{os.getpid()}"  # as CrawlSummary names this process

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlAlerts:
        settings = crawler.settings
        try:
            channels = channels_from_settings(settings)
        except ValueError as exc:
            raise NotConfigured(f"alerts: {exc}") from exc  # also logged by Scrapy, and the crawl runs
        if not channels:
            raise NotConfigured
        state = settings.get("ALERT_STATE") or ""
        if not state:
            output = settings.get("OUTPUT_DIR") or ""
            if is_uri(output):
                logger.warning("Alerts are off: with OUTPUT_DIR=%s, set ALERT_STATE to a local file", output)
                raise NotConfigured("alerts: ALERT_STATE must be set when OUTPUT_DIR is a URI")
            state = str(Path(output, "alerts", "sent.jsonl"))
        extension = cls(
            crawler,
            channels,
            AnnouncedStore(state),
            settings.getint("ALERT_RETRIES"),
            settings.getfloat("ALERT_RETRY_BACKOFF"),
        )
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    async def spider_closed(self, spider: Spider, reason: str) -> None:
        crawl_id = getattr(spider, "crawl_id", None)
        config = getattr(spider, "config", None)
        if crawl_id is None or config is None:  # the crawl never started
            return
        target = config.target.host
        try:
            summaries = await self._summaries(crawl_id)
            events = self.events(crawl_id, target, summaries)
        except Exception:  # an alert problem must never fail the crawl
            logger.exception("Could not work out the alerts of crawl %s", crawl_id)
            return
        stats = self.crawler.stats
        stats.set_value("alerts/events", len(events))
        try:
            outcomes = await asyncio.to_thread(
                dispatch,
                target,
                crawl_id,
                spider.name,
                events,
                self.channels,
                self.store,
                self.retries,
                self.backoff,
            )
        except Exception:
            logger.exception("Could not send the alerts of crawl %s", crawl_id)
            return
        for outcome in outcomes:
            if outcome.sent:
                stats.inc_value(f"alerts/{outcome.channel}/sent", outcome.sent)
                logger.info("Alerts: %d events sent by %s", outcome.sent, outcome.channel)
            if outcome.failed:
                stats.inc_value(f"alerts/{outcome.channel}/failed", outcome.failed)
                logger.warning(
                    "Alerts: %s could not deliver %d events (they go out next time): %s",
                    outcome.channel,
                    outcome.failed,
                    outcome.error,
                )

    async def _summaries(self, crawl_id: str) -> list[dict]:
        """This crawl's summary records, once CrawlSummary (a spider_closed handler too) has written
        this process's (signal handlers run concurrently: their order is not a guarantee)."""
        waited = 0.0
        while True:
            summaries = list(read_records(self.location.local, "summary", crawl_id))
            mine = any(s.get("worker") == self.worker for s in summaries)
            if mine or not self.summary_enabled or waited >= SUMMARY_WAIT:
                return summaries
            await asyncio.sleep(0.1)
            waited += 0.1

    def events(self, crawl_id: str, target: str, summaries: list[dict]) -> list[Event]:
        """The events of this crawl (blocking file reads; small next to the crawl)."""
        local = self.location.local
        records = read_crawl(local, crawl_id)
        complete = not is_partial(summaries, self.worker)
        events = recheck_events(records["link_status"], crawl_id=crawl_id, complete=complete)
        if records["page"] or records["lead"]:
            previous_id, previous = self._previous(local, target, records, crawl_id)
            events += crawl_events(
                records, previous, crawl_id=crawl_id, previous_crawl_id=previous_id, complete=complete
            )
        return events

    def _previous(
        self, local: Path, target: str, records: dict[str, list[dict]], crawl_id: str
    ) -> tuple[str | None, dict[str, list[dict]] | None]:
        """The latest earlier crawl of the target that is complete (a partial one would make links it
        did not reach look new), and its records."""
        previous_id = find_previous_crawl(
            local, target, earliest_crawled_at(records), crawl_id, complete=True
        )
        return (previous_id, read_crawl(local, previous_id)) if previous_id else (None, None)
