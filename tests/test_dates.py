"""Mention dates as pages write them, normalised to ISO 8601 (backlink_spider/dates.py)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backlink_spider.dates import from_timestamp, month_first_for, normalise_date
from backlink_spider.extract.page import PageSnapshot, extract_page
from backlink_spider.matching import BrandMatcher
from backlink_spider.target import Target


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        # <time datetime>, schema.org datePublished, Open Graph article:published_time
        ("2026-03-14", "2026-03-14"),
        ("2026-03-14T09:30:00Z", "2026-03-14T09:30:00Z"),
        ("2026-03-14T09:30Z", "2026-03-14T09:30:00Z"),
        ("2026-03-14T10:30:00+01:00", "2026-03-14T09:30:00Z"),
        ("2026-03-13T23:30:00-05:00", "2026-03-14T04:30:00Z"),
        ("2025-01-30T19:02:00+0000", "2025-01-30T19:02:00Z"),  # XenForo
        ("2025-02-11T15:02:00.000Z", "2025-02-11T15:02:00Z"),  # X, Mastodon
        ("2026-03-14T09:30:00.123456+00:00", "2026-03-14T09:30:00Z"),
        ("2025-01-12 10:00:00Z", "2025-01-12T10:00:00Z"),  # Stack Exchange's title
        # no zone: the site's local wall time, kept without Z
        ("2026-03-14 09:30:00", "2026-03-14T09:30:00"),
        ("2026-03-14T09:30:00", "2026-03-14T09:30:00"),
        # WordPress, Discourse, phpBB, XenForo, vBulletin visible dates
        ("March 14, 2026", "2026-03-14"),
        ("Mar 14, 2026", "2026-03-14"),
        ("March 14th, 2026", "2026-03-14"),
        ("January 23, 2025 at 7:45 am", "2025-01-23T07:45:00"),
        ("Sept. 3, 2025 at 12:05 pm", "2025-09-03T12:05:00"),
        ("Sat Mar 14, 2026 9:30 pm", "2026-03-14T21:30:00"),
        ("by bitrot » Thu Jan 09, 2025 7:40 pm", "2025-01-09T19:40:00"),
        ("Jan 1, 2026 12:10 am", "2026-01-01T00:10:00"),
        ("14 Mar 2026, 09:30", "2026-03-14T09:30:00"),
        ("14 March 2026", "2026-03-14"),
        ("14th March 2026 09:30 UTC", "2026-03-14T09:30:00Z"),
        ("14 Mar 2026 at 09:30 GMT", "2026-03-14T09:30:00Z"),
        ("14.03.2026", "2026-03-14"),
        ("14.03.2026, 09:30", "2026-03-14T09:30:00"),
        ("2026/03/14", "2026-03-14"),
        ("03-14-2026, 09:30 AM", "2026-03-14T09:30:00"),  # vBulletin (month first)
        ("14/03/2026", "2026-03-14"),
        ("03/14/2026", "2026-03-14"),
        # named zones: fixed, and the US ones with daylight saving (EST in February, EDT in July)
        ("Feb 26, 2025, 08:00 ET", "2025-02-26T13:00:00Z"),
        ("Jul 26, 2025, 08:00 ET.", "2025-07-26T12:00:00Z"),
        ("March 14, 2026 9:30 am PST", "2026-03-14T17:30:00Z"),
        ("14 Mar 2026 09:30 CET", "2026-03-14T08:30:00Z"),
        ("14 mars 2026 à 9h30 et 10h", "2026-03-14T09:30:00"),  # French "et" is no zone
        # German, French, Spanish month names
        ("14. März 2026", "2026-03-14"),
        ("14. Maerz 2026 um 09:30 Uhr", "2026-03-14T09:30:00"),
        ("3. Okt. 2025", "2025-10-03"),
        ("7. Jänner 2026", "2026-01-07"),
        ("14 Dez. 2025, 18:05", "2025-12-14T18:05:00"),
        ("14 mars 2026 à 09h30", "2026-03-14T09:30:00"),
        ("1er décembre 2025", "2025-12-01"),
        ("3 févr. 2026", "2026-02-03"),
        ("15 août 2025", "2025-08-15"),
        ("14 de marzo de 2026", "2026-03-14"),
        ("14 de marzo de 2026 a las 9:30", "2026-03-14T09:30:00"),
        ("2 ago 2025", "2025-08-02"),
        ("5 dic. 2025", "2025-12-05"),
        # Unix timestamps: XenForo's data-time (seconds), Discourse's (milliseconds)
        ("1773480600", "2026-03-14T09:30:00Z"),
        ("1773480600000", "2026-03-14T09:30:00Z"),
    ],
)
def test_a_written_date_is_normalised(written, iso):
    assert normalise_date(written) == iso


@pytest.mark.parametrize(
    "written",
    [
        None,
        "",
        "   ",
        # relative: never resolved against the clock
        "3 days ago",
        "yesterday at 9:30 am",
        "Today, 09:30 AM",
        "vor 3 Tagen",
        "il y a 2 jours",
        "hace 3 días",
        "just now",
        # no year: not taken from today
        "March 14",
        "14 Mar, 09:30",
        # day and month in an order the page does not tell
        "03/04/2026",
        "03-04-2026",
        # no such date, no such time
        "2026-02-30",
        "February 30, 2026",
        "March 14, 2026 13:30 pm",
        "Joined",
        "edited",
        "12345",  # an id, not a time
        "99999999999999",
    ],
)
def test_no_absolute_date_is_none(written):
    assert normalise_date(written) is None


def test_an_absolute_date_next_to_a_relative_one_is_the_date():
    assert normalise_date("3 days ago (March 14, 2026)") == "2026-03-14"


def test_timestamps_as_numbers():
    assert from_timestamp(1773480600) == "2026-03-14T09:30:00Z"
    assert from_timestamp("1773480600.5") == "2026-03-14T09:30:00Z"
    assert from_timestamp(42) is None
    assert from_timestamp("soon") is None
    assert from_timestamp("inf") is None and from_timestamp("nan") is None and from_timestamp(1e300) is None


@pytest.mark.parametrize(
    ("lang", "month_first", "iso"),
    [
        ("en", True, "2025-03-04T19:12:00"),  # vBulletin's default m-d-Y; bare `en` is US English
        ("en-US", True, "2025-03-04T19:12:00"),
        ("en-GB", False, "2025-04-03T19:12:00"),
        ("de-DE", False, "2025-04-03T19:12:00"),
        ("nl", False, "2025-04-03T19:12:00"),
        (None, None, None),
        ("", None, None),
    ],
)
def test_a_numeric_date_is_read_in_the_order_of_the_pages_language(lang, month_first, iso):
    assert month_first_for(lang) is month_first
    assert normalise_date("03-04-2025, 07:12 PM", month_first) == iso


def test_a_number_over_12_tells_the_order_whatever_the_language():
    assert normalise_date("03/14/2026", month_first=False) == "2026-03-14"
    assert normalise_date("14/03/2026", month_first=True) == "2026-03-14"


def _lead_dates(html, url="https://forum.example/t/kettles/9"):
    target = Target.parse("acme.com")
    found = extract_page(
        PageSnapshot(url, html), target, BrandMatcher(target.brand_terms, target.domain_terms)
    )
    return [(lead.author, lead.mention_date) for lead in found.leads]


@pytest.mark.parametrize(
    ("markup", "iso"),
    [
        # XenForo: a timestamp in seconds beside the ISO time; either alone is enough
        ('<time class="u-dt" data-time="1773480600">Mar 14, 2026</time>', "2026-03-14T09:30:00Z"),
        # Discourse: milliseconds
        ('<span class="relative-date" data-time="1773480600000">3d</span>', "2026-03-14T09:30:00Z"),
        # Disqus, Stack Exchange: "3 days ago" shown, the absolute time in its title
        (
            '<a class="time-ago" title="Saturday, March 14, 2026 9:30 AM">3 days ago</a>',
            "2026-03-14T09:30:00",
        ),
        (
            '<span class="relativetime" title="2026-03-14 09:30:00Z">Mar 14 at 9:30</span>',
            "2026-03-14T09:30:00Z",
        ),
        # WordPress without a datetime attribute, phpBB's date in its author line
        (
            '<div class="comment-metadata"><a href="#c1">March 14, 2026 at 9:30 am</a></div>',
            "2026-03-14T09:30:00",
        ),
        ('<p class="author">by <b>emma</b> » Sat Mar 14, 2026 9:30 am</p>', "2026-03-14T09:30:00"),
        # only a relative date: none
        ('<span class="date">3 days ago</span>', None),
    ],
)
def test_a_posts_date_in_each_forum_softwares_markup(markup, iso):
    html = (
        "<html lang='en'><body><main><div class='post' data-author='emma'>"
        f"{markup}<div class='content'><p>The Acme kettle, twice over.</p></div></div></main></body></html>"
    )
    assert _lead_dates(html) == [("emma", iso)]


def test_a_vbulletin_date_is_read_in_the_order_of_the_pages_language():
    post = (
        "<div class='postbit postcontainer'><span class='postdate'><span class='date'>03-04-2025, "
        "<span class='time'>07:12 PM</span></span></span><a class='username' href='member.php?u=1'>"
        "<strong>jen</strong></a><blockquote class='postcontent'>I use Acme.</blockquote></div>"
    )
    assert _lead_dates(f"<html lang='en-US'><body>{post}</body></html>") == [("jen", "2025-03-04T19:12:00")]
    assert _lead_dates(f"<html lang='de'><body>{post}</body></html>") == [("jen", "2025-04-03T19:12:00")]
    assert _lead_dates(f"<html><body>{post}</body></html>") == [("jen", None)]


def test_an_articles_visible_date_on_its_meta_line():
    html = """<html lang="en"><body><main><article>
    <p class="release-meta">NEWS PROVIDED BY <a href="/n/">Northwind</a> · Feb 26, 2025, 08:00 ET</p>
    <h1>Northwind moves to Acme</h1><p>Northwind moved to Acme this week.</p></article></main>
    <footer><p class="footer-meta">Last updated March 1, 2025</p></footer></body></html>"""
    assert _lead_dates(html, url="https://wire.example/r/1") == [(None, "2025-02-26T13:00:00Z")]


ISO_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z?)?$")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789 -/.:,TZ+apmAPMJanMärzdeéoûhUTCET")), max_size=40))
def test_any_text_gives_none_or_an_iso_date(text):
    for month_first in (None, True, False):
        value = normalise_date(text, month_first)
        assert value is None or ISO_SHAPE.match(value), value
