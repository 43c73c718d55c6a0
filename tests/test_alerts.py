"""Alerts: what changed in a crawl, sent once to a real webhook receiver and a real SMTP server on
loopback (both started here), from crafted crawls and from real crawls of the demo web."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import orjson
import pytest
from aiosmtpd.controller import Controller
from scrapy.utils.test import get_crawler

from backlink_spider import settings as project_settings
from backlink_spider.alerting import CrawlAlerts
from backlink_spider.alerts import (
    Alert,
    AnnouncedStore,
    Event,
    WebhookChannel,
    deliver,
    dispatch,
    recheck_events,
    slack_body,
)
from backlink_spider.records import Backlink, Lead, Page, Record
from demo.serve import DemoWeb
from pipelines.jsonl import JsonlWriterPipeline
from tests.conftest import run_crawl

TARGET = "brewbird.io"
T1 = "2026-11-01T10:00:00.000000Z"
T2 = "2026-11-08T10:00:00.000000Z"
HOSTILE_TITLE = '<script>alert("x")</script> Grinders & beans'
HOSTILE_ANCHOR = "<b>great</b> beans"
EXTENSIONS = json.dumps({**project_settings.EXTENSIONS, "backlink_spider.alerting.CrawlAlerts": 600})


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


# --- the receivers --------------------------------------------------------------------------------


class WebhookReceiver:
    """An HTTP server on 127.0.0.1 recording every POSTed JSON body; `replies` (status, headers)
    are answered first, in order, then 200 (or `status` for every request when set)."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        self.status = 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                status, headers = receiver.replies.pop(0) if receiver.replies else (receiver.status, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Mailbox:
    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []


@pytest.fixture
def webhook():
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture
def smtp():
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield SimpleNamespace(mailbox=mailbox, port=controller.port)
    controller.stop()


def alert_settings(webhook: WebhookReceiver, smtp, state: Path, **extra: object) -> dict:
    return {
        "ALERT_WEBHOOK_URL": webhook.url,
        "ALERT_WEBHOOK_FORMAT": "json",
        "ALERT_SMTP_HOST": "127.0.0.1",
        "ALERT_SMTP_PORT": str(smtp.port),
        "ALERT_SMTP_STARTTLS": "False",
        "ALERT_EMAIL_FROM": "spider@example.org",
        "ALERT_EMAIL_TO": "team@example.org",
        "ALERT_RETRIES": "2",
        "ALERT_RETRY_BACKOFF": "0",
        "ALERT_STATE": str(state),
        **{k: str(v) for k, v in extra.items()},
    }


def parts(message) -> tuple[str, str]:
    """The plain-text and HTML parts, with the line ends a mail reader shows (SMTP sends CRLF)."""
    return tuple(message.get_body((kind,)).get_content().replace("\r\n", "\n") for kind in ("plain", "html"))


# --- crafted crawls -------------------------------------------------------------------------------


def write_crawl(output_dir: Path, crawl_id: str, records: list[Record], summaries: list[dict] = ()) -> None:
    """Write records as the crawler does (JsonlWriterPipeline), and summary records as given."""
    crawler = get_crawler(settings_dict={"OUTPUT_DIR": str(output_dir)})
    crawler.spider = SimpleNamespace(crawl_id=crawl_id)
    pipeline = JsonlWriterPipeline.from_crawler(crawler)
    for record in records:
        pipeline.process_item(record)
    asyncio.run(pipeline.close_spider())
    if summaries:
        path = output_dir / "summary" / "dt=2000-01-01" / f"{crawl_id}-00001.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"".join(orjson.dumps({"crawl_id": crawl_id, **s}) + b"\n" for s in summaries))


def page(crawl_id, at, url, title, status=200, error=None):
    return Page(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        url=url,
        status=status,
        rendered=False,
        title=title,
        error=error,
    )


def backlink(crawl_id, at, source_url, target_url, anchor, rel=()):
    return Backlink(
        crawl_id=crawl_id,
        target=TARGET,
        crawled_at=at,
        source_url=source_url,
        target_url=target_url,
        anchor_text=anchor,
        rel=list(rel),
        nofollow="nofollow" in rel,
    )


FORUM, BLOG, NEWS, SHOP = (
    "https://forum.example/t/1",
    "https://blog.example/post",
    "https://news.example/a",
    "https://shop.example/p",
)
REDDIT = "https://reddit.example/r/2"
MENTIONED_TWICE = "names the brand 2 times without a link"


def crafted_pair(out: Path, current_summary: dict | None = None) -> None:
    """c1, then c2: a nofollow added, an anchor changed, a page gone (404), a page not fetched again
    (its link is not announced lost), a new link and a new unlinked mention with hostile text."""
    write_crawl(
        out,
        "c1",
        [
            page("c1", T1, FORUM, "Best grinders"),
            page("c1", T1, BLOG, "Old post"),
            page("c1", T1, NEWS, "News"),
            backlink("c1", T1, FORUM, "https://brewbird.io/", "BrewBird"),
            backlink("c1", T1, FORUM, "https://brewbird.io/pricing", "pricing"),
            backlink("c1", T1, BLOG, "https://brewbird.io/", "beans"),
            backlink("c1", T1, NEWS, "https://brewbird.io/x", "x"),
        ],
    )
    write_crawl(
        out,
        "c2",
        [
            page("c2", T2, FORUM, "Best grinders"),
            page("c2", T2, BLOG, None, status=404, error="HTTP 404"),
            page("c2", T2, SHOP, "Shop"),
            backlink("c2", T2, FORUM, "https://brewbird.io/", "BrewBird", ["nofollow"]),
            backlink("c2", T2, FORUM, "https://brewbird.io/pricing", "pricing plans"),
            backlink("c2", T2, SHOP, "https://brewbird.io/", HOSTILE_ANCHOR),
            Lead(
                crawl_id="c2",
                target=TARGET,
                crawled_at=T2,
                source_url=REDDIT,
                source_domain="reddit.example",
                title=HOSTILE_TITLE,
                mentions=2,
            ),
        ],
        [current_summary] if current_summary else [],
    )


def run_extension(settings: dict, crawl_id: str, spider: str = "mentions"):
    """The real extension on a crawler with these settings, its spider_closed run for `crawl_id`."""
    crawler = get_crawler(settings_dict=settings)
    extension = CrawlAlerts.from_crawler(crawler)
    closed = SimpleNamespace(
        crawl_id=crawl_id, name=spider, config=SimpleNamespace(target=SimpleNamespace(host=TARGET))
    )
    asyncio.run(extension.spider_closed(closed, "finished"))
    return crawler.stats.get_stats()


def view(anchor, rel, target):
    return {"anchor_text": anchor, "rel": rel, "target_url": target}


EXPECTED_EVENTS = [
    ("new_link", SHOP, "https://brewbird.io/", HOSTILE_ANCHOR, None, view(HOSTILE_ANCHOR, [], "https://brewbird.io/"),
     "new since crawl c1", "Shop"),
    ("lost_link", BLOG, "https://brewbird.io/", "beans", view("beans", [], "https://brewbird.io/"), None,
     "page gone: HTTP 404", "Old post"),
    ("changed_link", FORUM, "https://brewbird.io/", "BrewBird", view("BrewBird", [], "https://brewbird.io/"),
     view("BrewBird", ["nofollow"], "https://brewbird.io/"), "nofollow added", "Best grinders"),
    ("changed_link", FORUM, "https://brewbird.io/pricing", "pricing plans",
     view("pricing", [], "https://brewbird.io/pricing"), view("pricing plans", [], "https://brewbird.io/pricing"),
     "anchor changed", "Best grinders"),
    ("unlinked_mention", REDDIT, None, None, None, None, MENTIONED_TWICE, HOSTILE_TITLE),
]  # fmt: skip

EXPECTED_TEXT = f"""brewbird.io: 1 new link, 1 lost, 2 changed, 1 new unlinked mention (crawl c2, mentions)

New link: {SHOP} -> https://brewbird.io/ (anchor "<b>great</b> beans"): new since crawl c1
Lost link: {BLOG} -> https://brewbird.io/ (anchor "beans"): page gone: HTTP 404
Changed link: {FORUM} -> https://brewbird.io/ (anchor "BrewBird"): nofollow added
Changed link: {FORUM} -> https://brewbird.io/pricing (anchor "pricing plans"): anchor changed
New unlinked mention: {REDDIT} "{HOSTILE_TITLE}" (names the brand 2 times without a link)
"""


def test_a_crafted_pair_of_crawls_gives_exactly_these_messages(tmp_path, webhook, smtp):
    out = tmp_path / "output"
    crafted_pair(out)
    stats = run_extension(
        {"OUTPUT_DIR": str(out), **alert_settings(webhook, smtp, tmp_path / "sent.jsonl")}, "c2"
    )

    [body] = webhook.bodies
    assert {k: body[k] for k in ("target", "crawl_id", "spider", "counts")} == {
        "target": TARGET,
        "crawl_id": "c2",
        "spider": "mentions",
        "counts": {"new_link": 1, "lost_link": 1, "changed_link": 2, "unlinked_mention": 1},
    }
    fields = ("kind", "source_url", "target_url", "anchor_text", "before", "after", "reason", "page_title")
    assert [tuple(e[f] for f in fields) for e in body["events"]] == EXPECTED_EVENTS
    assert len({e["id"] for e in body["events"]}) == 5 and all(e["crawl_id"] == "c2" for e in body["events"])

    [message] = smtp.mailbox.messages
    assert message["Subject"] == "brewbird.io: 1 new link, 1 lost, 2 changed, 1 new unlinked mention"
    assert (message["From"], message["To"]) == ("spider@example.org", "team@example.org")
    assert message.get_content_type() == "multipart/alternative"
    text, markup = parts(message)
    assert text == EXPECTED_TEXT
    # what the hostile page wrote is text in the HTML part, never markup
    assert "<script" not in markup and "<b>" not in markup
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Grinders &amp; beans" in markup
    assert "(anchor &ldquo;&lt;b&gt;great&lt;/b&gt; beans&rdquo;)" in markup
    assert f'<a href="{SHOP}">{SHOP}</a>' in markup
    assert (stats["alerts/webhook/sent"], stats["alerts/email/sent"]) == (5, 5)


def test_events_are_sent_once_across_runs(tmp_path, webhook, smtp):
    out = tmp_path / "output"
    crafted_pair(out)
    settings = {"OUTPUT_DIR": str(out), **alert_settings(webhook, smtp, tmp_path / "state" / "sent.jsonl")}
    run_extension(settings, "c2")
    stats = run_extension(settings, "c2")  # a second job over the same crawl: nothing new to say
    assert len(webhook.bodies) == 1 and len(smtp.mailbox.messages) == 1
    assert "alerts/webhook/sent" not in stats and stats["alerts/events"] == 5
    lines = [orjson.loads(line) for line in (tmp_path / "state" / "sent.jsonl").read_bytes().splitlines()]
    assert sorted((line["channel"], line["id"]) for line in lines) == sorted(
        (channel, e["id"]) for channel in ("email", "webhook") for e in webhook.bodies[0]["events"]
    )


def test_a_partial_crawl_announces_no_loss(tmp_path, webhook, smtp):
    out = tmp_path / "output"
    worker = f"{socket.gethostname()}:{os.getpid()}"
    crafted_pair(out, {"worker": worker, "crawled_at": T2, "partial": True})
    run_extension({"OUTPUT_DIR": str(out), **alert_settings(webhook, smtp, tmp_path / "sent.jsonl")}, "c2")
    [body] = webhook.bodies
    assert body["counts"] == {"new_link": 1, "lost_link": 0, "changed_link": 2, "unlinked_mention": 1}
    assert smtp.mailbox.messages[0]["Subject"] == "brewbird.io: 1 new link, 2 changed, 1 new unlinked mention"


def link_status(status, before=None, after=None, reason=None, source=FORUM):
    return {
        "source_url": source,
        "target_url": (after or before)["target_url"],
        "status": status,
        "reason": reason,
        "before": before,
        "after": after,
    }


def test_unverified_and_live_links_are_never_alerted():
    home = view("BrewBird", [], "https://brewbird.io/")
    records = [
        link_status("live", home, home),
        link_status("unverified", home, None, "timeout", source=BLOG),
        link_status("page_gone_maybe", home, None, "something new", source=NEWS),
        link_status("lost", home, None, "link removed", source=SHOP),
    ]
    events = recheck_events(records, crawl_id="r1")
    assert [(e.kind, e.source_url, e.reason) for e in events] == [("lost_link", SHOP, "link removed")]
    assert recheck_events(records, crawl_id="r1", complete=False) == []


def test_a_failing_webhook_is_retried_warned_and_its_events_go_out_next_time(tmp_path, webhook, smtp, caplog):
    out = tmp_path / "output"
    crafted_pair(out)
    settings = {"OUTPUT_DIR": str(out), **alert_settings(webhook, smtp, tmp_path / "sent.jsonl")}
    webhook.status = 500
    stats = run_extension(settings, "c2")
    assert len(webhook.bodies) == 3  # 1 + ALERT_RETRIES
    assert (stats["alerts/webhook/failed"], stats["alerts/email/sent"]) == (5, 5)
    [warning] = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning == (
        "Alerts: webhook could not deliver 5 events (they go out next time): HTTP 500 (attempt 3 of 3)"
    )
    webhook.status = 200
    run_extension(settings, "c2")
    assert webhook.bodies[3] == webhook.bodies[0] and len(webhook.bodies) == 4
    assert len(smtp.mailbox.messages) == 1  # e-mail had delivered them: not again


def test_retry_after_of_a_503_is_respected(tmp_path, webhook):
    webhook.replies = [(503, {"Retry-After": "7"})]
    waits: list[float] = []
    alert = Alert(
        TARGET, "c9", "recheck", [Event("lost_link", FORUM, "https://brewbird.io/", "x", reason="gone")]
    )
    assert deliver(WebhookChannel(webhook.url), alert, retries=2, backoff=0.5, sleep=waits.append) is None
    assert waits == [7.0] and len(webhook.bodies) == 2
    # a Retry-After beyond what we wait for fails the delivery at once
    webhook.replies = [(429, {"Retry-After": "3600"})]
    error = deliver(WebhookChannel(webhook.url), alert, retries=2, backoff=0.5, sleep=waits.append)
    assert error == "HTTP 429 (attempt 1 of 3); Retry-After 3600 s is too long" and waits == [7.0]


def test_slack_format_is_one_escaped_line_per_event_capped(tmp_path, webhook):
    events = [
        Event("new_link", SHOP, "https://brewbird.io/", "<!channel> & co", after=view("x", [], "https://brewbird.io/"),
              reason="new since crawl c1"),
        Event("lost_link", BLOG, "https://brewbird.io/", "beans", reason="link removed"),
        Event("unlinked_mention", REDDIT, page_title=HOSTILE_TITLE, reason=MENTIONED_TWICE),
    ]  # fmt: skip
    alert = Alert(TARGET, "c2", "mentions", events)
    assert slack_body(alert, max_lines=2) == {
        "text": "*brewbird.io: 1 new link, 1 lost, 1 new unlinked mention* (crawl c2)\n"
        f"• New link: <{SHOP}> → <https://brewbird.io/> (anchor “&lt;!channel&gt; &amp; co”): "
        "new since crawl c1\n"
        f"• Lost link: <{BLOG}> → <https://brewbird.io/> (anchor “beans”): link removed\n"
        "… and 1 more"
    }
    outcomes = dispatch(
        TARGET,
        "c2",
        "mentions",
        events,
        [WebhookChannel(webhook.url, "slack")],
        AnnouncedStore(tmp_path / "sent.jsonl"),
        0,
        0,
    )
    assert [(o.channel, o.sent, o.failed) for o in outcomes] == [("webhook", 3, 0)]
    assert webhook.bodies[0]["text"].count("\n") == 3 and "… and" not in webhook.bodies[0]["text"]


# --- real crawls of the demo web ------------------------------------------------------------------


BLOG_POST = "/2026/03/cold-brew-at-home/"


def test_real_crawls_and_a_recheck_alert_each_change_once(tmp_path, webhook, smtp):
    state = tmp_path / "alerts" / "sent.jsonl"
    port = free_port("127.0.10.1")
    args = {"render": "never", "check_links": "false", "depth": "2", "target": TARGET}

    def crawl(web, crawl_id, out, spider="mentions", **extra):
        run_args = {**args, "seeds": ",".join(web.seeds)} if spider == "mentions" else {**args, **extra}
        if spider == "recheck":
            run_args.pop("depth")
            run_args.pop("check_links")
        settings = {
            **web.crawl_settings(),
            "CRAWL_ID": crawl_id,
            "EXTENSIONS": EXTENSIONS,
            **alert_settings(webhook, smtp, state),
        }
        result = run_crawl(run_args, out, settings, spider=spider)
        assert result.returncode == 0, result.stderr[-3000:]
        return result

    with DemoWeb(port=port) as web:
        crawl(web, "before", tmp_path / "out")
    # what the recheck will know: the first crawl's links (it reads each page's latest crawl)
    for path in (tmp_path / "out" / "backlink").glob("dt=*/before-*.jsonl"):
        copy = tmp_path / "known" / path.relative_to(tmp_path / "out")
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
    # the first crawl is the baseline: only its leads are news (the news roundup's among them)
    [first] = webhook.bodies
    assert first["counts"] == {"new_link": 0, "lost_link": 0, "changed_link": 0, "unlinked_mention": 4}
    assert smtp.mailbox.messages[0]["Subject"] == "brewbird.io: 4 new unlinked mentions"

    with DemoWeb(port=port, overlay="changed") as web:
        blog = web.urls["blog"] + BLOG_POST
        webhook.status = 500  # the webhook is down for this crawl
        result = crawl(web, "after", tmp_path / "out")
        assert len(webhook.bodies) == 4  # tried 3 times
        warnings = [line for line in result.stderr.splitlines() if "could not deliver" in line]
        assert len(warnings) == 1 and warnings[0].endswith(
            "Alerts: webhook could not deliver 2 events (they go out next time): HTTP 500 (attempt 3 of 3)"
        )
        assert (result.stat("alerts/webhook/failed"), result.stat("alerts/email/sent")) == (
            2,
            2,
        )
        mail = smtp.mailbox.messages[1]
        assert mail["Subject"] == "brewbird.io: 1 lost, 1 changed"
        assert parts(mail)[0] == (
            "brewbird.io: 1 lost, 1 changed (crawl after, mentions)\n\n"
            f"Lost link: {blog} -> https://blog.brewbird.io/guides/cold-brew "
            '(anchor "the BrewBird cold brew guide"): link removed\n'
            f"Changed link: {blog} -> https://brewbird.io/: nofollow added\n"
        )

        webhook.status = 200
        crawl(web, "again", tmp_path / "out")  # nothing changed since `after`: only what the webhook owes
        owed = webhook.bodies[4]
        assert owed["crawl_id"] == "again" and len(webhook.bodies) == 5 and len(smtp.mailbox.messages) == 2
        assert [
            (e["kind"], e["source_url"], e["target_url"], e["reason"], e["crawl_id"]) for e in owed["events"]
        ] == [
            ("lost_link", blog, "https://blog.brewbird.io/guides/cold-brew", "link removed", "after"),
            ("changed_link", blog, "https://brewbird.io/", "nofollow added", "after"),
        ]

        # a recheck of the first crawl's links finds the same two changes: already announced everywhere
        result = crawl(
            web, "recheck", tmp_path / "recheck-out", spider="recheck", known=str(tmp_path / "known")
        )
        assert len(webhook.bodies) == 5 and len(smtp.mailbox.messages) == 2
        assert result.stat("alerts/events") == 2 and result.stat("alerts/webhook/sent") is None
