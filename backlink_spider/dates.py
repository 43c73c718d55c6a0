"""Dates as pages write them, normalised to ISO 8601.

`normalise_date(text)` reads the forms pages publish a post's or an article's time in:

- machine forms: ISO 8601 (`<time datetime>`, schema.org `datePublished`, Open Graph
  `article:published_time`, `2025-01-12 10:00:00Z`), Unix timestamps in seconds or milliseconds
  (XenForo's and Discourse's `data-time`);
- visible forms of forum and blog software: `March 14, 2026`, `Sat Mar 14, 2026 9:30 am`,
  `14 Mar 2026, 09:30`, `14.03.2026`, `2026/03/14`, `03-14-2026, 09:30 AM`, and month names in
  English, German, French and Spanish (`14. März 2026`, `14 mars 2026 à 09h30`,
  `14 de marzo de 2026`).

Numeric dates whose order is not told by a number over 12 (`03-04-2026`) are read in the page's
language's order (month_first_for), and None on a page that gives no language.

Out comes `2026-03-14` (a date), `2026-03-14T09:30:00Z` (a time with a zone: an offset, `UTC`,
`CET`, `EST`, `ET`..., converted to UTC) or `2026-03-14T09:30:00` (a time the page gives without
a zone: the site's local wall time, kept as written, no `Z`). Never guessed, so None: relative
dates ("3 days ago", "yesterday"; nothing here reads the clock), a date without a year, and
anything else unreadable.

Plain standard library on purpose: python-dateutil (not installed here) fills a missing year from
today and knows no German, French or Spanish month names; dateparser would bring four
dependencies and resolves relative dates against the clock unless told not to.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS = {
    1: "january jan janvier janv enero ene januar janner",
    2: "february feb februar fevrier fevr febrero",
    3: "march mar marz maerz maer mars marzo",
    4: "april apr avril avr abril abr",
    5: "may mai mayo",
    6: "june jun juni juin junio",
    7: "july jul juli juillet juil julio",
    8: "august aug aout agosto ago",
    9: "september sep sept septembre septiembre setiembre",
    10: "october oct oktober okt octobre octubre",
    11: "november nov novembre noviembre",
    12: "december dec dezember dez decembre diciembre dic",
}
# month names without accents (see _fold), longest first so "mars" is not read as "mar"
MONTH_NAMES = {name: number for number, names in _MONTHS.items() for name in names.split()}
_MONTH = "(?P<month>" + "|".join(sorted(MONTH_NAMES, key=len, reverse=True)) + r")(?![a-z])\.?"

# Named zones: fixed offsets, and the US ones that follow daylight saving (ET, PT: "08:00 ET" in
# press releases; only at the end of the text or before punctuation, so French "et" is not one).
_FIXED_ZONES = {
    "z": 0, "utc": 0, "gmt": 0, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
    "pst": -8, "pdt": -7, "cet": 1, "cest": 2, "mez": 1, "mesz": 2, "bst": 1,
}  # fmt: skip
_US_ZONES = {
    "et": "America/New_York",
    "ct": "America/Chicago",
    "mt": "America/Denver",
    "pt": "America/Los_Angeles",
}
_ZONE = (
    r"(?P<zone>(?:" + "|".join(sorted(_FIXED_ZONES, key=len, reverse=True)) + r")(?![a-z])"
    r"|(?:et|ct|mt|pt)(?=\s*(?:$|[^\w\s]))|[+-]\d{2}:?\d{2}(?!\d))"
)
_TIME = (
    r"(?P<hour>\d{1,2})[:h](?P<minute>\d{2})(?::(?P<second>\d{2})(?:[.,]\d+)?)?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?(?:\s*" + _ZONE + r")?"
)
# what may stand between a date and its time: ", ", " at ", " um ", " à ", " a las ", " - ", " @ "
_JOIN = r"(?:\s*,?\s*(?:at|um|a|a las|-|@|,)?\s*)"
_AND_TIME = "(?:" + _JOIN + _TIME + ")?"  # a date's optional time
_ISO = re.compile(
    r"(?<!\d)(?P<year>\d{4})-(?P<mon>\d{2})-(?P<day>\d{2})(?:(?:t|\s+)" + _TIME + r")?(?![\d-])"
)
_DAY = r"(?P<day>\d{1,2})(?:st|nd|rd|th|er|º|o)?\.?"
_YEAR = r"(?P<year>\d{4})(?!\d)"
_TEXTUAL = [
    # "March 14, 2026", "Sat Mar 14, 2026 9:30 am"
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r",?\s+" + _YEAR + _AND_TIME),
    # "14 Mar 2026, 09:30", "14. März 2026", "14 de marzo de 2026", "1er mars 2026 à 9h30"
    re.compile(r"(?<!\d)" + _DAY + r"\s*(?:de\s+)?" + _MONTH + r",?\s+(?:de\s+)?" + _YEAR + _AND_TIME),
]
# 14.03.2026 (day first), 2026/03/14, 03-14-2026 or 14/03/2026 (order told by the number > 12)
_DOTTED = re.compile(r"(?<![\d.])(?P<day>\d{1,2})\.(?P<mon>\d{1,2})\.(?P<year>\d{4})(?!\d)" + _AND_TIME)
_YMD = re.compile(r"(?<!\d)(?P<year>\d{4})/(?P<mon>\d{1,2})/(?P<day>\d{1,2})(?!\d)" + _AND_TIME)
_NUMERIC = re.compile(r"(?<![\d/-])(?P<a>\d{1,2})([/-])(?P<b>\d{1,2})\2(?P<year>\d{4})(?!\d)" + _AND_TIME)
_TIMESTAMP = re.compile(r"^\s*(\d{9,10}|\d{12,13})(?:\.\d+)?\s*$")
# Unix times outside these years are not publication dates (ids, counters); nor written years
# outside the wider range
_FIRST_YEAR, _LAST_YEAR = 1995, 2100
_FIRST_WRITTEN_YEAR = 1900


def _fold(text: str) -> str:
    """Lower case without accents: "März" and "Marz", "décembre" and "decembre" are one name."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def from_timestamp(value: str | int | float) -> str | None:
    """A Unix time in seconds or milliseconds (by its size) as a UTC ISO time, or None."""
    try:
        seconds = float(value)
        if seconds > 1e11:  # milliseconds (Discourse), seconds would be past the year 5000
            seconds /= 1000
        when = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=int(seconds))
    except (TypeError, ValueError, OverflowError):  # not a number, nan, inf, past the year 9999
        return None
    if not _FIRST_YEAR <= when.year <= _LAST_YEAR:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _zone(text: str | None) -> tzinfo | None:
    if not text:
        return None
    if text in _FIXED_ZONES:
        return timezone(timedelta(hours=_FIXED_ZONES[text]))
    if text in _US_ZONES:
        try:
            return ZoneInfo(_US_ZONES[text])
        except ZoneInfoNotFoundError:  # no time zone database: the wall time is kept
            return None
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return timezone(sign * offset) if offset < timedelta(hours=24) else None


def _iso(year: int, month: int, day: int, match: re.Match) -> str | None:
    """The ISO form of a date and of the time `match` may hold after it (None: no such date)."""
    try:
        date = datetime(year, month, day)
    except ValueError:
        return None
    if not _FIRST_WRITTEN_YEAR <= year <= _LAST_YEAR:
        return None
    if match.group("hour") is None:
        return date.strftime("%Y-%m-%d")
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    ampm = (match.group("ampm") or "").replace(".", "")
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    try:
        when = date.replace(hour=hour, minute=minute, second=int(match.group("second") or 0))
    except ValueError:
        return None
    zone = _zone(match.group("zone"))
    if zone is None:
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    return when.replace(tzinfo=zone).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def month_first_for(lang: str | None) -> bool | None:
    """How a page in language `lang` (its `<html lang>`) writes `03-04-2026`: month first in US
    English (True; bare `en` is US English, as in CLDR, and vBulletin's default `m-d-Y`), day
    first in every other language and region (False), unknown without a language (None)."""
    if not lang or not lang.strip():
        return None
    parts = lang.strip().lower().replace("_", "-").split("-")
    return parts[0] == "en" and (len(parts) == 1 or parts[1] == "us")


def normalise_date(text: str | None, month_first: bool | None = None) -> str | None:
    """`text` (an attribute's value or an element's visible text) as an ISO 8601 date or time,
    None when it holds no absolute date (see the module docstring for the forms and outputs).

    `month_first` (see month_first_for) orders `03-04-2026` and `03/04/2026`; None: such a date
    is None, unless one of its numbers is over 12."""
    if not text or not text.strip():
        return None
    if _TIMESTAMP.match(text):
        return from_timestamp(text.strip())
    folded = " ".join(_fold(text).split())
    match = _ISO.search(folded)
    if match:
        return _iso(int(match["year"]), int(match["mon"]), int(match["day"]), match)
    for pattern in _TEXTUAL:
        match = pattern.search(folded)
        if match:
            month = MONTH_NAMES[match["month"]]
            return _iso(int(match["year"]), month, int(match["day"]), match)
    match = _DOTTED.search(folded)
    if match:
        return _iso(int(match["year"]), int(match["mon"]), int(match["day"]), match)
    match = _YMD.search(folded)
    if match:
        return _iso(int(match["year"]), int(match["mon"]), int(match["day"]), match)
    match = _NUMERIC.search(folded)
    if match:
        a, b = int(match["a"]), int(match["b"])
        if a > 12 >= b:
            return _iso(int(match["year"]), b, a, match)
        if b > 12 >= a:
            return _iso(int(match["year"]), a, b, match)
        if month_first is None:
            return None  # 03/04/2026: April 3rd or March 4th, the page does not say
        return _iso(int(match["year"]), *((a, b) if month_first else (b, a)), match)
    return None
