"""What a fetched response is, read from its headers and first bytes: its MIME type, a binary body
whatever its Content-Type says, HTML or not, a block page served instead of the page, and a
gzipped body decompressed with a size cap. Plain functions (Scrapy's Response in, values out)."""

from __future__ import annotations

import struct
import zlib

from scrapy.http import Response, TextResponse
from scrapy.utils.gz import gunzip

from backlink_spider.extract.blocked import Block, detect_block


def _media_type(content_type: str | bytes | None) -> str:
    if isinstance(content_type, bytes):  # as Scrapy's response.headers give it
        content_type = content_type.decode("latin-1")
    return (content_type or "").split(";", 1)[0].strip()


def mime_type(content_type: str | bytes | None) -> str:
    """The MIME type of a Content-Type value (str, the raw header bytes, or None), lower-case and
    without parameters: `"Text/HTML; charset=utf-8"` -> `"text/html"`; "" when there is none."""
    return _media_type(content_type).lower()


def content_type(response: Response) -> str:
    """The response's MIME type as the server wrote it (parameters dropped), "unknown" without a
    Content-Type: what a record says the body was."""
    return _media_type(response.headers.get(b"Content-Type")) or "unknown"


# File signatures of binary formats that servers mislabel as text/html.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
)


_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


def looks_binary(body: bytes) -> bool:
    """A body that is not text whatever its Content-Type says: a known file signature, or control
    bytes making up more than 5% of its first kilobyte (text has almost none; a stray NUL in a
    real page does not count), unless it starts with a UTF-16 byte-order mark."""
    head = body[:1024]
    if head.startswith(_BINARY_MAGIC):
        return True
    if not head or head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    control = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return control > len(head) // 20


def is_html(response: Response) -> bool:
    """A text response labelled HTML (or not labelled at all) whose body is not binary."""
    kind = mime_type(response.headers.get(b"Content-Type")) or "unknown"
    return (
        isinstance(response, TextResponse)
        and (kind in ("text/html", "application/xhtml+xml", "unknown") or kind.endswith("+html"))
        and not looks_binary(response.body)
    )


def not_html_reason(response: Response) -> str:
    """Why a response is no page: `not HTML: application/pdf`, or `not HTML: binary content
    served as text/html` for a binary body labelled HTML."""
    kind = content_type(response)
    if looks_binary(response.body) and "html" in kind.lower():
        kind = f"binary content served as {kind}"
    return f"not HTML: {kind}"


def signal_headers(response: Response) -> dict[str, str]:
    """The response headers extraction reads (lower-case names)."""
    x_robots = response.headers.get(b"X-Robots-Tag")
    return {"x-robots-tag": x_robots.decode("latin-1")} if x_robots else {}


def response_block(response: Response) -> Block | None:
    """A bot challenge, login wall or consent wall served instead of the page (extract/blocked.py),
    from a response of any status; None for a real page or a non-text body."""
    try:
        html = response.text
    except (AttributeError, UnicodeDecodeError):
        html = ""
    headers = {
        k.decode("latin-1").lower(): b", ".join(v).decode("latin-1") for k, v in response.headers.items()
    }
    return detect_block(html, headers, response.status)


# --- gzip bodies -------------------------------------------------------------------------------


class BodyTooLarge(ValueError):
    """A compressed body that decompresses to more than the cap (a decompression bomb)."""


class BadGzip(ValueError):
    """A body that is not gzip, or one whose first member yields nothing."""


def gunzip_at_most(body: bytes, max_size: int) -> bytes:
    """Every gzip member of `body` decompressed (Scrapy's `scrapy.utils.gz.gunzip`): a truncated
    or damaged tail keeps what came before it. Raises BodyTooLarge beyond `max_size` bytes, and
    BadGzip when nothing at all decompresses (its message is zlib's name for the fault in the
    header when zlib sees one, e.g. "Error -3 while decompressing data: unknown header flags set")."""
    try:
        return gunzip(body, max_size=max_size)
    except ValueError:  # Scrapy's _DecompressionMaxSizeExceeded (the only ValueError it raises)
        raise BodyTooLarge(f"more than {max_size} bytes once decompressed") from None
    except (OSError, EOFError, struct.error, zlib.error) as exc:
        raise BadGzip(_zlib_fault(body) or str(exc) or type(exc).__name__) from None


def _zlib_fault(body: bytes) -> str | None:
    """zlib's diagnosis of a bad gzip start (more telling than the gzip module's "ended early")."""
    try:
        zlib.decompressobj(wbits=31).decompress(body[:65536], 1)
    except zlib.error as exc:
        return str(exc)
    return None
