"""Vendor backlink exports (Ahrefs, Semrush, Majestic, Moz, Search Console) read as seeds."""

from __future__ import annotations

import codecs
import time
from pathlib import Path

import pytest

from backlink_spider.exports import ClaimedLink, ExportError, read_export, sniff_export

FIXTURES = Path(__file__).parent / "fixtures" / "exports"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def claim(source, target, anchor, nofollow, ugc, sponsored, first, last, vendor, line) -> ClaimedLink:
    return ClaimedLink(source, target, anchor, nofollow, ugc, sponsored, first, last, vendor, line)


AHREFS_V3 = [
    claim(
        "http://blog.example/espresso-gear",
        "https://brewbird.io/",
        "BrewBird",
        False,
        False,
        False,
        "2026-03-04",
        "2026-09-28",
        "ahrefs",
        2,
    ),
    # the title of the row above holds a newline: this row starts on line 4
    claim(
        "https://forum.example/t/grinders/812?page=2",  # utm_source dropped by canonical_url
        "https://brewbird.io/grinders?ref=forum",
        "this grinder guide",
        True,
        True,
        False,
        "2026-06-11",
        "2026-09-30",
        "ahrefs",
        4,
    ),
    claim(
        "https://news.example/2026/05/roundup",
        "https://brewbird.io/kettles/bird",
        'the "Bird" kettle',
        False,
        False,
        True,
        "2026-05-02",
        "2026-08-31",
        "ahrefs",
        5,
    ),
    claim(
        "https://photos.example/gallery/42",  # fragment dropped
        "https://brewbird.io/img/kettle.jpg",
        None,  # an image link: empty anchor
        False,
        False,
        False,
        "2026-01-20",
        "2026-09-12",
        "ahrefs",
        6,
    ),
    claim(
        "http://xn--kaffee-bcher-klb.example/tipps",  # IDN host in punycode
        "https://brewbird.io/de/",
        "BrewBird Deutschland",
        False,
        False,
        False,
        "2025-12-24",
        "2026-09-29",
        "ahrefs",
        7,
    ),
]


def test_ahrefs_v3_utf16_tab_separated_with_bom():
    data = fixture("ahrefs_v3_backlinks.tsv")
    assert data.startswith(codecs.BOM_UTF16_LE) and b"\t\x00" in data
    assert sniff_export(data) == "ahrefs"
    export = read_export(data, "ahrefs_v3_backlinks.tsv")
    assert export.vendor == "ahrefs"
    assert export.claims == AHREFS_V3
    assert export.skipped == []


def test_ahrefs_v3_in_the_other_encodings_and_delimiters_reads_the_same():
    text = fixture("ahrefs_v3_backlinks.tsv")[2:].decode("utf-16-le")
    variants = [
        text.encode("utf-8"),  # Ahrefs' "UTF-8" export option, tab-separated
        codecs.BOM_UTF8 + text.encode("utf-8"),
        text.encode("utf-16-le"),  # no BOM
        codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
        text.replace('"\t"', '","').encode("utf-8"),  # comma-separated
        text.replace('"\t"', '";"').encode("utf-8"),  # semicolon-separated
        ("sep=;\r\n" + text.replace('"\t"', '";"')).encode("utf-8"),  # Excel's delimiter line
    ]
    for data in variants:
        assert sniff_export(data) == "ahrefs"
        claims = read_export(data).claims
        shift = 1 if data.startswith(b"sep=") else 0
        assert [(c.source_url, c.anchor, c.line - shift) for c in claims] == [
            (c.source_url, c.anchor, c.line) for c in AHREFS_V3
        ]


def test_ahrefs_v2_old_export():
    data = fixture("ahrefs_v2_backlinks.csv")
    assert sniff_export(data) == "ahrefs"
    assert read_export(data).claims == [
        claim(
            "http://blog.example/espresso-gear",
            "https://brewbird.io/",
            "BrewBird",
            False,
            None,
            None,
            "2019-05-12",
            "2019-09-01",
            "ahrefs",
            2,
        ),
        claim(
            "https://forum.example/t/grinders/812",
            "https://brewbird.io/grinders",
            "this grinder guide",
            True,
            None,
            None,
            "2019-06-01",
            "2019-09-02",
            "ahrefs",
            3,
        ),
        claim(
            "https://news.example/2019/05/roundup",
            "https://brewbird.io/kettles/bird",
            "the Bird kettle",
            True,
            None,
            True,  # Type "sponsored, nofollow"
            "2019-05-02",
            "2019-08-30",
            "ahrefs",
            4,
        ),
        claim(
            "https://photos.example/gallery/42",
            "https://brewbird.io/img/kettle.jpg",
            None,
            False,
            None,
            None,
            "2019-01-20",
            "2019-09-03",
            "ahrefs",
            5,
        ),
        claim(
            "https://comments.example/post/9",
            "https://brewbird.io/",
            "brewbird.io",
            True,
            True,  # Type "ugc, nofollow"
            None,
            "2019-07-07",
            "2019-09-04",
            "ahrefs",
            6,
        ),
    ]


def test_semrush_backlinks_utf8_bom_with_quoted_newline_and_a_skipped_row():
    data = fixture("semrush_backlinks.csv")
    assert data.startswith(codecs.BOM_UTF8)
    assert sniff_export(data) == "semrush"
    export = read_export(data)
    assert export.claims == [
        claim(
            "http://blog.example/espresso-gear",
            "https://brewbird.io/",
            "BrewBird",
            False,
            False,
            False,
            "2025-11-02",
            "2026-09-27",
            "semrush",
            2,
        ),
        claim(
            "https://forum.example/t/grinders/812",
            "https://brewbird.io/grinders",
            "Brewing, grinding\nand more",
            True,
            True,
            False,
            "2026-06-11",
            "2026-09-30",
            "semrush",
            3,
        ),
        claim(
            "https://news.example/2026/05/roundup",
            "https://brewbird.io/kettles/bird",
            'the "Bird" kettle',
            False,
            False,
            True,
            "2026-05-02",
            "2026-08-31",
            "semrush",
            5,
        ),
        claim(
            "https://photos.example/gallery/42",
            "https://brewbird.io/img/kettle.jpg",
            None,
            False,
            False,
            False,
            "2026-01-20",
            "2026-09-12",
            "semrush",
            6,
        ),
        claim(
            "https://links.example/coffee?sort=new",
            "https://brewbird.io/",  # ?utm_source=semrush dropped
            "brewbird.io",
            False,
            False,
            False,
            "2024-12-31",
            "2026-09-29",
            "semrush",
            8,
        ),
    ]
    assert export.skipped == [7]  # an ftp:// source


def test_semrush_older_export_semicolon_separated():
    data = fixture("semrush_backlinks_semicolon.csv")
    assert sniff_export(data) == "semrush"
    claims = read_export(data).claims
    assert claims[0] == claim(
        "http://blog.example/espresso-gear",
        "https://brewbird.io/",
        "BrewBird; the kettle people",
        False,
        None,  # no Ugc / Sponsored columns in older exports
        None,
        "2019-11-02",
        "2020-03-27",
        "semrush",
        2,
    )
    assert [(c.source_url, c.nofollow, c.line) for c in claims] == [
        ("http://blog.example/espresso-gear", False, 2),
        ("https://forum.example/t/grinders/812", True, 3),
        ("https://news.example/2019/05/roundup", False, 4),
        ("https://photos.example/gallery/42", False, 5),
        ("https://links.example/coffee", False, 6),
    ]


def test_majestic_backlinks_flags():
    data = fixture("majestic_backlinks.csv")
    assert sniff_export(data) == "majestic"
    assert read_export(data).claims == [
        claim(
            "http://blog.example/espresso-gear",
            "https://brewbird.io/",
            "BrewBird",
            False,
            None,
            None,
            "2026-03-05",
            "2026-09-20",
            "majestic",
            2,
        ),
        claim(
            "https://forum.example/t/grinders/812",
            "https://brewbird.io/grinders",
            "this grinder guide",
            True,
            None,
            None,
            "2026-06-12",
            "2026-09-25",
            "majestic",
            3,
        ),
        claim(
            "https://photos.example/gallery/42",
            "https://brewbird.io/img/kettle.jpg",
            None,
            False,
            None,
            None,
            "2026-01-21",
            "2026-09-11",
            "majestic",
            4,
        ),
        claim(
            "http://news.example/2026/05/roundup",
            "https://brewbird.io/kettles/bird",
            "the Bird kettle",
            True,
            None,
            None,
            "2026-05-03",
            "2026-08-30",
            "majestic",
            5,
        ),
        claim(
            "https://directory.example/coffee/shops",
            "https://brewbird.io/",
            "BrewBird Ltd",
            False,
            None,
            None,
            "2025-10-10",
            "2026-09-01",
            "majestic",
            6,
        ),
    ]


def test_moz_inbound_links_after_preamble_lines():
    data = fixture("moz_inbound_links.csv")
    assert sniff_export(data) == "moz"
    assert read_export(data).claims == [
        # a URL without its scheme (as Moz writes some) is taken as http://
        claim(
            "http://blog.example/espresso-gear",
            "https://brewbird.io/",
            "BrewBird",
            False,
            None,
            None,
            None,
            None,
            "moz",
            7,
        ),
        claim(
            "http://blog.example/espresso-gear",
            "https://brewbird.io/",
            "BrewBird",
            False,
            None,
            None,
            None,
            None,
            "moz",
            8,
        ),
        claim(
            "https://forum.example/t/grinders/812",
            "https://brewbird.io/grinders",
            "this grinder guide",
            True,  # Only rel=nofollow: Yes
            None,
            None,
            None,
            None,
            "moz",
            9,
        ),
        claim(
            "https://news.example/2026/05/roundup",
            "https://brewbird.io/kettles/bird",
            "the Bird kettle",
            False,
            None,
            None,
            None,
            None,
            "moz",
            10,
        ),
        claim(
            "https://photos.example/gallery/42",
            "https://brewbird.io/img/kettle.jpg",
            None,
            False,
            None,
            None,
            None,
            None,
            "moz",
            11,
        ),
        claim(
            "https://links.example/coffee",
            "https://brewbird.io/",
            "brewbird.io",
            True,
            None,
            None,
            None,
            None,
            "moz",
            12,
        ),
    ]


def test_search_console_latest_links():
    data = fixture("gsc_latest_links.csv")
    assert sniff_export(data) == "gsc_links"

    def gsc(url, last, line):
        return claim(url, None, None, None, None, None, None, last, "gsc_links", line)

    assert read_export(data).claims == [
        gsc("http://blog.example/espresso-gear", "2026-09-28", 2),
        gsc("https://forum.example/t/grinders/812", "2026-09-21", 3),
        gsc("https://news.example/2026/05/roundup", "2026-09-15", 4),  # "Sep 15, 2026"
        gsc("https://search.example/q?a=1%2C2&b=brewbird", "2026-08-01", 5),  # quoted comma
        gsc("https://photos.example/gallery/42", "2026-07-30", 6),
        # the target's own pages are kept here: the crawl drops them
        gsc("https://www.brewbird.io/blog/hello", "2026-07-02", 7),
    ]


def test_search_console_more_sample_links_single_column():
    data = b"Linking page\nhttps://a.example/1\nhttps://b.example/2\n"
    assert sniff_export(data) == "gsc_links"
    assert [(c.source_url, c.last_seen, c.line) for c in read_export(data).claims] == [
        ("https://a.example/1", None, 2),
        ("https://b.example/2", None, 3),
    ]


def test_search_console_top_linking_sites_become_home_pages():
    data = fixture("gsc_top_linking_sites.csv")
    assert sniff_export(data) == "gsc_sites"
    export = read_export(data)
    assert export.claims == [
        claim(f"https://{host}/", None, None, None, None, None, None, None, "gsc_sites", line)
        for line, host in [
            (2, "blog.example"),
            (3, "forum.example"),
            (4, "brewbird.io"),
            (5, "news.example"),
            (6, "xn--kaffee-bcher-klb.example"),
            (7, "photos.example"),
        ]
    ]
    bad = b"Site,Linking pages,Target pages\nnot a domain!,3,1\nok.example,1,1\n"
    export = read_export(bad)
    assert [c.source_url for c in export.claims] == ["https://ok.example/"]
    assert export.skipped == [2]


@pytest.mark.parametrize(
    "data",
    [
        b"https://blog.example/a\nhttps://forum.example/b\n",
        b"# seeds\nhttps://blog.example/a\n",
        b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>',
        b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>',
        b"URL,Title\nhttps://blog.example/a,A\n",  # a CSV, but no vendor's header
        b"Target page,Incoming links,Linking sites\nhttps://brewbird.io/,2100,80\n",  # GSC: own pages
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00",  # a gzipped sitemap
        b"",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00",
    ],
)
def test_anything_else_is_not_an_export(data):
    assert sniff_export(data) is None


def test_a_plain_url_list_is_refused_by_read_export_with_a_short_excerpt():
    with pytest.raises(ExportError) as info:
        read_export(b"\n\nhttps://blog.example/a-very-long-path/with/more\n", "seeds.txt")
    message = str(info.value)
    assert message.startswith("seeds.txt: line 3: no header row of an Ahrefs, Semrush")
    assert "'https://blog.exa'... (first 16 of 47 characters)" in message
    assert "a-very-long-path" not in message


def test_a_secrets_file_is_refused_without_printing_it():
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    data = f"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\nAWS_SECRET_ACCESS_KEY={secret}\n".encode()
    with pytest.raises(ExportError) as info:
        read_export(data, ".env")
    message = str(info.value)
    assert "\n" not in message and len(message) < 220
    assert secret[:6] not in message and "AKIAIOSFODNN7" not in message
    assert "line 1:" in message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00", "line 1: binary data"),
        (b"Source url,Target url,Anchor\n\x01\x02\x03\x04binary", "line 2: binary data"),
        (b"PK\x03\x04\x14\x00\x06\x00", "line 1: a ZIP file (an .xlsx workbook?)"),
        (b"\x1f\x8b\x08\x00", "line 1: gzip-compressed data"),
        (b"", "line 1: the file is empty"),
        (b"  \n\n", "line 1: the file is empty"),
        (codecs.BOM_UTF16_LE + "Linking page\nhttps://a.example/\n".encode("utf-16-le")[:-1], "line 2:"),
    ],
)
def test_unreadable_files_raise_a_one_line_error_naming_the_line(data, expected):
    with pytest.raises(ExportError) as info:
        read_export(data, "links.csv")
    message = str(info.value)
    assert message.startswith("links.csv: ")
    assert expected in message, message
    assert "\n" not in message and len(message) < 220
    assert "\\x" not in message  # no raw bytes echoed


def test_a_quoted_field_that_never_ends_names_its_line():
    data = (
        b'Source url,Target url,Anchor\nhttps://a.example/,https://brewbird.io/,ok\n"https://b.example/,x,y\n'
    )
    with pytest.raises(ExportError, match=r"^line 3: unreadable CSV \(a quoted field that never ends\)$"):
        read_export(data)


def test_an_excel_resave_in_windows_1252_is_read():
    data = "Linking page,Last crawled\nhttps://caf\u00e9.example/men\u00fc,2026-09-01\n".encode("cp1252")
    claims = read_export(data).claims
    assert [(c.source_url, c.last_seen) for c in claims] == [
        ("https://xn--caf-dma.example/men%C3%BC", "2026-09-01")
    ]


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2026-09-15", "2026-09-15"),
        ("2026-09-15 10:11:12 UTC", "2026-09-15"),
        ("2026-09-15T10:11:12Z", "2026-09-15"),
        ("2026/9/5", "2026-09-05"),
        ("Sep 15, 2026", "2026-09-15"),
        ("September 5 2026", "2026-09-05"),
        ("15 Sep 2026", "2026-09-15"),
        ("15-Sep-2026", "2026-09-15"),
        ("15/09/2026", None),  # day or month first: not guessed
        ("2026-02-30", None),
        ("soon", None),
        ("", None),
    ],
)
def test_dates_become_iso_dates(value, iso):
    data = f'Linking page,Last crawled\nhttps://a.example/,"{value}"\n'.encode()
    assert read_export(data).claims[0].last_seen == iso


def test_a_5_mb_export_reads_in_reasonable_time():
    header = fixture("semrush_backlinks.csv").decode("utf-8-sig").splitlines()[0]
    row = (
        '{n},"Post {n}, with a comma",https://site{s}.example/posts/{n}?utm_source=x&p={n},'
        'https://brewbird.io/p/{n},"Brew ""{n}"" Bird",3,4,false,false,true,true,false,false,false,false,'
        "2025-01-02,2026-03-04,false,false"
    )
    lines = [header]
    size = len(header)
    n = 0
    while size < 5_000_000:
        lines.append(row.format(n=n, s=n % 997))
        size += len(lines[-1]) + 2
        n += 1
    data = "\r\n".join(lines).encode("utf-8")
    started = time.perf_counter()
    assert sniff_export(data) == "semrush"
    export = read_export(data)
    elapsed = time.perf_counter() - started
    assert len(export.claims) == n and export.skipped == []
    last = export.claims[-1]
    assert last.source_url == f"https://site{(n - 1) % 997}.example/posts/{n - 1}?p={n - 1}"
    assert last.anchor == f'Brew "{n - 1}" Bird' and last.ugc is True and last.line == n + 1
    assert elapsed < 20, f"{elapsed:.1f} s for {len(data) / 1e6:.1f} MB"
