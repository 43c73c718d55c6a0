"""Backlink exports downloaded from SEO vendors, read as seeds (`-a seeds=FILE`).

A pure reader: bytes in, claimed links out. Nothing is fetched and nothing is trusted: every
claimed linking page is crawled and judged by the page itself, like any other seed. The crawl
drops the target's own URLs (Search Console's "Top linking sites" lists the site itself, too).

`sniff_export(data)` names the format by its header row, or gives None (then the caller reads the
file as a plain URL list, sitemap or feed). `read_export(data, name)` gives an `Export` whose
`claims` are `ClaimedLink`s, one per data row, with the 1-based line on which the row starts.

Formats and the columns read (header names are matched without regard to case, spaces and
punctuation, so `Flag NoFollow` and `FlagNoFollow` are one column; other columns are ignored):

- `ahrefs`, Site Explorer > Backlinks, current (v3) exports: linking page "Referring page URL",
  target "Target URL", anchor "Anchor", flags "Nofollow", "UGC", "Sponsored", dates "First seen",
  "Last seen". Old (v2) exports: "Referring Page URL", "Link URL", "Link Anchor", flags from
  "Type" (dofollow / nofollow / ugc / sponsored), "First Seen", "Last Check".
- `semrush`, Backlink Analytics > Backlinks: "Source url", "Target url", "Anchor", "Nofollow",
  "Ugc", "Sponsored", "First seen", "Last seen" (older exports have no Ugc / Sponsored).
- `majestic`, Site Explorer backlinks download: "Source URL", "Target URL", "Anchor Text",
  "FlagNoFollow", first seen "Source First Found Date" (or "First Indexed Date"), last seen
  "Last Seen Date" (or "Source Crawl Date").
- `moz`, Link Explorer / Open Site Explorer inbound links: "URL", "Target URL", "Anchor Text",
  nofollow from "Only rel=nofollow" / "Only follow" (or a "Link Type"), "Date First Seen",
  "Date Last Seen" when present.
- `gsc_links`, Search Console > Links > "Latest links" / "More sample links": "Linking page",
  last seen "Last crawled" (when present); no target, anchor or flags.
- `gsc_sites`, Search Console > Links > "Top linking sites": "Site"; the site's home page
  `https://<Site>/` is the claim, with no target.

Encodings: UTF-16 (LE or BE, with a BOM, or without one when the NUL bytes give it away: Ahrefs'
default export is UTF-16LE with a BOM, tab-separated), UTF-8 with or without a BOM, and Windows-1252
(a CSV re-saved by Excel). Delimiters: tab, comma or semicolon, told apart by which one makes a
known header row (an Excel `sep=;` first line is honoured); quoted fields may hold delimiters,
quotes and newlines. The header may follow a few preamble lines (old Moz exports have five).

Values: URLs go through `canonical_url` (tracking parameters dropped); a row whose linking page is
not an absolute http(s) URL is skipped and its line listed in `Export.skipped`. Flags are
true/false, yes/no, 1/0, or Majestic's `+` (an empty Majestic flag is false; elsewhere an empty
value is unknown: None). Dates become ISO dates (`2026-09-15`) from `2026-09-15[ 10:11:12 UTC]`,
`2026/09/15`, `Sep 15, 2026` or `15 Sep 2026`; a date in another form (`15/09/2026`: day or
month first?) is None rather than a guess.

An unreadable file (binary data, a ZIP/XLSX workbook, text that is not UTF-8/UTF-16/1252, a quoted
field that never ends, no known header row for `read_export`) raises `ExportError` with a one-line
message naming the line; it quotes at most a short, marked excerpt of the file, so a secrets file
passed by mistake is not printed. Search Console exports in another UI language than English are
not recognised (their headers are translated).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from backlink_spider.target import host_to_ascii
from backlink_spider.urls import canonical_url, http_url

AHREFS = "ahrefs"
SEMRUSH = "semrush"
MAJESTIC = "majestic"
MOZ = "moz"
GSC_LINKS = "gsc_links"
GSC_SITES = "gsc_sites"
VENDORS = (AHREFS, SEMRUSH, MAJESTIC, MOZ, GSC_LINKS, GSC_SITES)

# How many records (from the top of the file) may come before the header row, and how much text
# is looked at to find it.
_HEADER_SEARCH_ROWS = 20
_HEADER_SEARCH_CHARS = 65536
# The longest excerpt of the file an error message quotes.
_EXCERPT = 16


class ExportError(ValueError):
    """A vendor export that cannot be read; the one-line message names the line."""


@dataclass(frozen=True)
class ClaimedLink:
    """One row of an export: the vendor claims `source_url` links to the target (or, for
    `gsc_sites`, that some page on that site does)."""

    source_url: str
    target_url: str | None
    anchor: str | None
    nofollow: bool | None
    ugc: bool | None
    sponsored: bool | None
    first_seen: str | None
    last_seen: str | None
    vendor: str
    line: int


@dataclass
class Export:
    """A read export: its vendor, its claimed links in file order, and the lines of data rows
    skipped because their linking page is not an absolute http(s) URL (or not a domain)."""

    vendor: str
    claims: list[ClaimedLink]
    skipped: list[int] = field(default_factory=list)
    name: str = ""  # the file's name, as given to read_export


# --- the header rows -----------------------------------------------------------------------
#
# Columns are matched by `_norm` (lower case, letters and digits only). For each field, the first
# alias present in the header is read.
#
# Ahrefs, current exports (v3, Site Explorer > Backlinks): "Referring page title", "Referring page
# URL", "Language", "Platform", "Referring page HTTP code", "Domain rating", "UR", "Domain
# traffic", "Referring domains", "Linked domains", "External links", "Page traffic", "Keywords",
# "Target URL", "Left context", "Anchor", "Right context", "Type", "Content", "Nofollow", "UGC",
# "Sponsored", "Rendered", "Raw", "Lost status", "Drop reason", "Discovered status", "First seen",
# "Last seen", "Lost", "Links in group" -- as listed by public importers of these exports (a
# TypeScript `AhrefsEntry` interface, Python column maps for Backlinks / Broken backlinks found
# through code search), UTF-16 + tab per Ahrefs' export dialog and those importers' notes.
# Ahrefs, old exports (v2): "#", "Domain Rating", "URL Rating", "Referring Page URL", "Referring
# Page Title", "Internal Links Count", "External Links Count", "Link URL", "TextPre", "Link
# Anchor", "TextPost", "Type", "Backlink Status", "First Seen", "Last Check", "Day Lost", ...
_AHREFS = {
    "source": ("referringpageurl",),
    "target": ("targeturl", "linkurl"),
    "anchor": ("anchor", "linkanchor", "anchortext"),
    "nofollow": ("nofollow",),
    "ugc": ("ugc",),
    "sponsored": ("sponsored",),
    "type": ("linktype", "type"),
    "first_seen": ("firstseen",),
    "last_seen": ("lastseen", "lastcheck", "lastchecked"),
}
# Semrush, Backlink Analytics > Backlinks: "Page ascore", "Source title", "Source url", "Target
# url", "Anchor", "External links", "Internal links", "Nofollow", "Sponsored", "Ugc", "Text",
# "Frame", "Form", "Image", "Sitewide", "First seen", "Last seen", "New link", "Lost link" (the
# column list quoted from a real 50,000-row export in a public audit write-up, and read by name in
# several public importers); older exports: "Page score", "Page trust score", "Source title",
# "Source url", "Target url", "Anchor", "External links", "Internal links", "Nofollow", "Frame",
# "Form", "Image", "Sitewide", "First seen", "Last seen" (bowrain0117/Hostelz,
# app/Http/Controllers/IncomingLinksController.php, `importFromFile`).
_SEMRUSH = {
    "source": ("sourceurl",),
    "target": ("targeturl",),
    "anchor": ("anchor",),
    "nofollow": ("nofollow",),
    "ugc": ("ugc",),
    "sponsored": ("sponsored",),
    "first_seen": ("firstseen",),
    "last_seen": ("lastseen",),
}
# Majestic, backlinks download: "Target URL", "Source URL", "Anchor Text", "Source Crawl Date",
# "Source First Found Date", "FlagNoFollow", "FlagImageLink", "FlagRedirect", "FlagFrame",
# "FlagOldCrawl", "FlagAltText", "FlagMention", "SourceCitationFlow", "SourceTrustFlow",
# "TargetCitationFlow", "TargetTrustFlow", "SourceTopicalTrustFlow_Topic_0", ... (Majestic's
# developer docs, api/commands/download-backlinks, as quoted in bowrain0117/Hostelz
# IncomingLinksController.php; an empty flag is unset). Newer Site Explorer exports spell the
# columns with spaces ("Flag No Follow") and add "First Indexed Date" / "Last Seen Date".
_MAJESTIC = {
    "source": ("sourceurl",),
    "target": ("targeturl",),
    "anchor": ("anchortext",),
    "nofollow": ("flagnofollow",),
    "ugc": ("flagugc",),
    "sponsored": ("flagsponsored",),
    "first_seen": ("firstindexeddate", "sourcefirstfounddate"),
    "last_seen": ("lastseendate", "sourcecrawldate"),
}
# Moz, inbound links (Open Site Explorer / Link Explorer): five preamble lines, then "URL",
# "Title", "Anchor Text", "Spam Score", "Page Authority", "Domain Authority", "Number of Domains
# Linking to this Page", "Number of Domains Linking to Domain", "Origin", "Target URL", "Link
# Equity", "No Link Equity", "Only rel=nofollow", "Only follow", "301" (bowrain0117/Hostelz,
# IncomingLinksController.php, which skips lines 1-6). Link Explorer's later exports keep "URL",
# "Anchor Text", "Spam Score" and "Target URL"; a "Link Type" / dates column is read when present.
_MOZ = {
    "source": ("url",),
    "target": ("targeturl",),
    "anchor": ("anchortext",),
    "nofollow": ("onlyrelnofollow", "nofollow"),
    "follow": ("onlyfollow",),
    "type": ("linktype",),
    "first_seen": ("datefirstseen", "firstseen"),
    "last_seen": ("datelastseen", "lastseen"),
}
# Google Search Console, Links > External links > "Latest links" / "More sample links":
# "Linking page", "Last crawled" (dates as 2026-08-01 or "Sep 15, 2026"); "Top linking sites":
# "Site", "Linking pages", "Target pages" (counts like "1,240"). As in the Search Console export
# fixtures of public link-import tests found through code search.
_GSC_LINKS = {"source": ("linkingpage",), "last_seen": ("lastcrawled",)}
_GSC_SITES = {"source": ("site",)}

_COLUMNS = {
    AHREFS: _AHREFS,
    SEMRUSH: _SEMRUSH,
    MAJESTIC: _MAJESTIC,
    MOZ: _MOZ,
    GSC_LINKS: _GSC_LINKS,
    GSC_SITES: _GSC_SITES,
}


def _norm(cell: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", cell.lower())


def _vendor_of(header: set[str]) -> str | None:
    """Which export a row of normalised cells is the header of, if any."""
    if "referringpageurl" in header and header & {"targeturl", "linkurl"}:
        return AHREFS
    if {"sourceurl", "targeturl"} <= header:
        if header & {"flagnofollow", "sourcecrawldate", "sourcefirstfounddate", "sourcetrustflow"}:
            return MAJESTIC
        if "anchortext" in header and "anchor" not in header:
            return MAJESTIC
        if "anchor" in header:
            return SEMRUSH
    if {"url", "anchortext", "spamscore"} <= header:
        return MOZ
    if "linkingpage" in header:
        return GSC_LINKS
    if {"site", "linkingpages"} <= header:
        return GSC_SITES
    return None


# --- decoding --------------------------------------------------------------------------------

# C0 controls other than tab, LF and CR, and DEL: not in any text export.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _excerpt(text: str) -> str:
    """A short, clearly cut quotation of `text` for an error message."""
    text = text.strip()
    if len(text) <= _EXCERPT:
        return repr(text)
    return f"{text[:_EXCERPT]!r}... (first {_EXCERPT} of {len(text)} characters)"


def _line_of(text: str, index: int) -> int:
    return text.count("\n", 0, index) + text.count("\r", 0, index) - text.count("\r\n", 0, index) + 1


def _guess_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII text in UTF-16 has a NUL in every other byte."""
    sample = data[:4096]
    if len(sample) < 4:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    if odd > len(sample) // 4 and even == 0:
        return "utf-16-le"
    if even > len(sample) // 4 and odd == 0:
        return "utf-16-be"
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"PK\x03\x04"):
        raise ExportError("line 1: a ZIP file (an .xlsx workbook?), not a text export: export it as CSV")
    if data.startswith(b"\x1f\x8b"):
        raise ExportError("line 1: gzip-compressed data, not a text export: unpack it first")
    if data.startswith(codecs.BOM_UTF8):
        encoding, body = "utf-8", data[3:]
    elif data.startswith(codecs.BOM_UTF16_LE):
        encoding, body = "utf-16-le", data[2:]
    elif data.startswith(codecs.BOM_UTF16_BE):
        encoding, body = "utf-16-be", data[2:]
    else:
        encoding, body = _guess_utf16(data) or "utf-8", data
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if encoding == "utf-8" and b"\x00" not in body:
            try:  # a CSV re-saved by Excel on Windows
                return _checked(body.decode("cp1252"))
            except UnicodeDecodeError:
                pass
        done = body[: exc.start].decode(encoding, errors="replace")
        line = _line_of(done, len(done))
        if encoding.startswith("utf-16") and exc.start >= len(body) - 1:
            raise ExportError(
                f"line {line}: the UTF-16 text is cut off (an odd number of bytes): "
                "was the download complete?"
            ) from None
        what = "UTF-16" if encoding.startswith("utf-16") else "UTF-8 or Windows-1252"
        raise ExportError(f"line {line}: binary data, or text that is not {what}") from None
    return _checked(text)


def _checked(text: str) -> str:
    bad = _CONTROL.search(text)
    if bad:
        line = _line_of(text, bad.start())
        raise ExportError(
            f"line {line}: binary data (control character {ord(bad.group()):#04x}), not a text export"
        )
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


# --- finding the header ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    vendor: str
    delimiter: str
    skip_lines: int  # lines up to and including the header row
    columns: dict[str, int]  # field -> index in a row


def _records(text: str, delimiter: str, *, strict: bool = False) -> Iterator[tuple[int, list[str], int]]:
    """(first line, cells, last line) of each record; a record may span lines (quoted newlines).
    A csv.Error becomes a _CsvError naming the line of the record being read."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=strict)
    previous = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _CsvError(previous + 1, str(exc)) from None
        start = previous + 1
        previous = reader.line_num
        yield start, row, previous


class _CsvError(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def _layout(text: str) -> _Layout | None:
    head = text[:_HEADER_SEARCH_CHARS]
    first_line = head.split("\n", 1)[0].strip("\r")
    forced = re.fullmatch(r'"?sep=(.)"?', first_line.strip())
    if forced:
        delimiters: tuple[str, ...] = (forced.group(1),)
    else:
        delimiters = tuple(sorted(("\t", ",", ";"), key=lambda d: -first_line.count(d)))
    for delimiter in delimiters:
        try:
            for count, (_, row, end) in enumerate(_records(head, delimiter)):
                if count >= _HEADER_SEARCH_ROWS:
                    break
                names = [_norm(cell) for cell in row]
                vendor = _vendor_of(set(names))
                if vendor is None:
                    continue
                columns: dict[str, int] = {}
                for name, aliases in _COLUMNS[vendor].items():
                    for alias in aliases:
                        if alias in names:
                            columns[name] = names.index(alias)
                            break
                return _Layout(vendor, delimiter, end, columns)
        except _CsvError:
            continue
    return None


# --- values ----------------------------------------------------------------------------------

_TRUE = frozenset({"true", "yes", "y", "1", "+", "t", "x"})
_FALSE = frozenset({"false", "no", "n", "0", "-", "f"})
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:$|[ T])")
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$")
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})$")


def _flag(value: str | None, empty: bool | None = None) -> bool | None:
    if value is None:
        return None
    value = value.strip().lower()
    if not value:
        return empty
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    return None


def _type_flags(value: str | None) -> tuple[bool | None, bool | None, bool | None]:
    """(nofollow, ugc, sponsored) from a link type like `dofollow`, `nofollow, ugc`."""
    words = set(re.findall(r"[a-z]+", (value or "").lower()))
    nofollow = True if "nofollow" in words else False if words & {"dofollow", "follow"} else None
    return nofollow, True if "ugc" in words else None, True if "sponsored" in words else None


def _iso_date(value: str | None) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    iso = _ISO.match(value)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        named = _MONTH_DAY_YEAR.match(value)
        if named:
            month_name, day_text, year_text = named.groups()
        else:
            named = _DAY_MONTH_YEAR.match(value)
            if not named:
                return None
            day_text, month_name, year_text = named.groups()
        month = _MONTHS.get(month_name.lower(), 0)
        year, day = int(year_text), int(day_text)
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


_HOST = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


def _http_url(value: str | None) -> str | None:
    """The canonical form of an absolute http(s) URL; a URL written without its scheme
    (`blog.example/post`, as some Moz exports do) is taken as http://. None for anything else."""
    value = (value or "").strip()
    if not value.lower().startswith(("http://", "https://")):
        if "://" in value or not _HOST.match(host_to_ascii(re.split(r"[/?#]", value, maxsplit=1)[0])):
            return None
        value = "http://" + value
    url = canonical_url(value)
    return http_url(url)


def _site_home(value: str | None) -> str | None:
    """`https://<domain>/` for a Search Console "Site" cell (a domain, or now and then a URL)."""
    value = (value or "").strip()
    if "://" in value:
        url = _http_url(value)
        if url is None:
            return None
        value = url.split("://", 1)[1].split("/", 1)[0]
    try:
        host = host_to_ascii(value)
    except UnicodeError:
        return None
    return f"https://{host}/" if _HOST.match(host) else None


# --- the API ---------------------------------------------------------------------------------


def sniff_export(data: bytes) -> str | None:
    """The vendor format of an export ("ahrefs", "semrush", "majestic", "moz", "gsc_links",
    "gsc_sites") by its header row, or None for anything else (a URL list, a sitemap, a feed, a
    file that cannot be read)."""
    try:
        layout = _layout(_decode(data))
    except ExportError:
        return None
    return layout.vendor if layout else None


def read_export(data: bytes, name: str = "") -> Export:
    """The claimed links of a vendor export; ExportError (one line, naming the line) when the
    file cannot be read or is not an export of a known vendor."""
    where = f"{name}: " if name else ""
    try:
        text = _decode(data)
    except ExportError as exc:
        raise ExportError(f"{where}{exc}") from None
    layout = _layout(text)
    if layout is None:
        stripped = text.lstrip()
        line = _line_of(text, len(text) - len(stripped))
        if not stripped:
            raise ExportError(f"{where}line 1: the file is empty")
        first = stripped.splitlines()[0]
        raise ExportError(
            f"{where}line {line}: no header row of an Ahrefs, Semrush, Majestic, Moz or Search "
            f"Console export in the first {_HEADER_SEARCH_ROWS} rows (it starts {_excerpt(first)})"
        )
    export = Export(vendor=layout.vendor, claims=[], name=name)
    try:
        for start, row, _ in _records(text, layout.delimiter, strict=True):
            if start <= layout.skip_lines:
                continue
            if not any(cell.strip() for cell in row):
                continue
            claim = _claim(layout, row, start)
            if claim is None:
                export.skipped.append(start)
            else:
                export.claims.append(claim)
    except _CsvError as exc:
        if "end of data" in exc.reason or "field larger" in exc.reason:
            detail = "a quoted field that never ends"
        else:
            detail = exc.reason
        raise ExportError(f"{where}line {exc.line}: unreadable CSV ({detail})") from None
    return export


def _claim(layout: _Layout, row: list[str], line: int) -> ClaimedLink | None:
    columns = layout.columns

    def cell(field_name: str) -> str | None:
        index = columns.get(field_name)
        if index is None or index >= len(row):
            return None
        return row[index]

    vendor = layout.vendor
    if vendor == GSC_SITES:
        source = _site_home(cell("source"))
    else:
        source = _http_url(cell("source"))
    if source is None:
        return None
    target = _http_url(cell("target"))
    anchor = (cell("anchor") or "").strip() or None
    empty_flag = False if vendor == MAJESTIC else None
    nofollow = _flag(cell("nofollow"), empty_flag) if "nofollow" in columns else None
    ugc = _flag(cell("ugc"), empty_flag) if "ugc" in columns else None
    sponsored = _flag(cell("sponsored"), empty_flag) if "sponsored" in columns else None
    if nofollow is None and "follow" in columns and _flag(cell("follow")):
        nofollow = False
    if "type" in columns and (nofollow is None or ugc is None or sponsored is None):
        type_nofollow, type_ugc, type_sponsored = _type_flags(cell("type"))
        nofollow = type_nofollow if nofollow is None else nofollow
        ugc = type_ugc if ugc is None else ugc
        sponsored = type_sponsored if sponsored is None else sponsored
    return ClaimedLink(
        source_url=source,
        target_url=target,
        anchor=anchor,
        nofollow=nofollow,
        ugc=ugc,
        sponsored=sponsored,
        first_seen=_iso_date(cell("first_seen")),
        last_seen=_iso_date(cell("last_seen")),
        vendor=vendor,
        line=line,
    )
