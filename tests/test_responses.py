"""responses.py: the MIME type of a Content-Type, HTML or not, and gzip bodies with a size cap."""

from __future__ import annotations

import gzip

import pytest
from scrapy.http import HtmlResponse, Response, TextResponse

from backlink_spider.responses import (
    BadGzip,
    BodyTooLarge,
    gunzip_at_most,
    is_html,
    mime_type,
    not_html_reason,
)


@pytest.mark.parametrize(
    ("value", "mime"),
    [
        ("Text/HTML; charset=utf-8", "text/html"),
        (b"application/pdf", "application/pdf"),
        ("  image/png ;q=1", "image/png"),
        ("", ""),
        (None, ""),
    ],
)
def test_mime_type(value, mime):
    assert mime_type(value) == mime


def test_html_or_not_and_why_not():
    page = HtmlResponse("https://a.example/", body=b"<p>hi</p>", headers={"Content-Type": "text/html"})
    assert is_html(page)
    pdf = Response("https://a.example/f", body=b"%PDF-1.7", headers={"Content-Type": "Application/PDF; x=1"})
    assert not is_html(pdf)
    assert not_html_reason(pdf) == "not HTML: Application/PDF"  # as the server wrote it
    png = TextResponse("https://a.example/i", body=b"\x89PNG\r\n", headers={"Content-Type": "text/html"})
    assert not is_html(png)
    assert not_html_reason(png) == "not HTML: binary content served as text/html"
    assert not_html_reason(Response("https://a.example/n", body=b"x")) == "not HTML: unknown"


def test_gunzip_at_most_keeps_a_truncated_body_and_refuses_a_bomb():
    data = b"<urlset>" + b"<url><loc>https://a.example/</loc></url>" * 200 + b"</urlset>"
    body = gzip.compress(data) + gzip.compress(b"<!-- second member -->")
    assert gunzip_at_most(body, len(data) + 100) == data + b"<!-- second member -->"
    cut = gunzip_at_most(gzip.compress(data)[:-40], len(data))
    assert data.startswith(cut) and 0 < len(cut) < len(data)
    with pytest.raises(BodyTooLarge) as too_large:
        gunzip_at_most(gzip.compress(b"\0" * 10_000), 1000)
    assert str(too_large.value) == "more than 1000 bytes once decompressed"
    with pytest.raises(BadGzip) as bad:
        gunzip_at_most(b"\x1f\x8b\x08not deflate at all", 1000)
    assert str(bad.value) == "Error -3 while decompressing data: unknown header flags set"
