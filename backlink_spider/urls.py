"""The one URL canonicaliser, and the unwrapping of redirector links.

`canonical_url` is applied before a URL is scheduled and before it is written into a record;
`url_key` is the identity used for deduplication (it also forgets http vs https).
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize
from w3lib.url import safe_url_string

from backlink_spider.target import host_to_ascii

# Query parameters that only track a visit: dropping them never changes the page.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "hsctatracking",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wickedid",
        "ref_src",
        "s_cid",
        "spm",
        "si",
        # session identifiers in the query string
        "sid",
        "sessionid",
        "session_id",
        "phpsessid",
        "jsessionid",
        "aspsessionid",
        "cfid",
        "cftoken",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES)


@lru_cache(maxsize=65536)  # the same links (navigation, footers) recur on every page of a site
def canonical_url(url: str) -> str:
    """Canonical form of an absolute http(s) URL.

    Lower-case scheme and host (IDN to punycode), default port dropped, fragment dropped,
    tracking and session parameters dropped, remaining query sorted, percent-encoding normalised.
    The path is kept as is (a trailing slash can be a different page); `url_key` folds it.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    scheme = parts.scheme.lower()
    host = host_to_ascii(parts.hostname)
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if port is not None and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    path = _PATH_SESSION.sub("", parts.path) or "/"
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    return _w3lib_canonicalize(urlunsplit((scheme, netloc, path, query, "")), keep_blank_values=True)


def trailing_slash_key(url: str) -> str:
    """`url` without its fragment and with the trailing slash of its path removed (not the root's),
    so `https://x/a/` and `https://x/a` are one page: the one trailing-slash rule (url_key and the
    crawl scope use it). String operations only: it never raises, whatever the URL."""
    scheme, sep, rest = url.partition("#")[0].partition("://")
    path, mark, query = rest.partition("?")
    host, _, path = path.partition("/")
    return f"{scheme}{sep}{host}/{path.rstrip('/')}{mark}{query}"


def url_key(url: str) -> str:
    """Identity of a page for deduplication: the canonical URL without its scheme and without a
    trailing slash, so `http://x/a/`, `https://x/a#top` and `https://x/a?utm_source=y` are one."""
    return trailing_slash_key(canonical_url(url)).partition("://")[2]


# --- redirectors ---------------------------------------------------------------------------

# Known redirect hosts and the query parameter that carries the destination.
KNOWN_REDIRECTORS: dict[str, tuple[str, ...]] = {
    "google.com": ("q", "url"),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "l.instagram.com": ("u",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
    "l.messenger.com": ("u",),
    "away.vk.com": ("to",),
    "slack-redir.net": ("url",),
    "youtube.com": ("q",),
}
# Parameters that, on any site, carry the destination of a redirector when their value is an
# absolute http(s) URL.
GENERIC_REDIRECT_PARAMS = ("url", "u", "to", "target", "dest", "destination", "redirect", "q", "link", "out")
# Redirectors whose whole query string is the destination (`https://href.li/?https://x`).
QUERY_IS_DESTINATION = frozenset({"href.li", "anon.to", "nullrefer.com", "dereferer.me"})


def _decode_destination(value: str) -> str | None:
    for _ in range(3):  # percent-encoded once, twice, or not at all
        if value.lower().startswith(("http://", "https://")):
            return value
        decoded = unquote(value)
        if decoded == value:
            return None
        value = decoded
    return None


def unwrap_redirect(url: str) -> str | None:
    """The destination of a redirector link, or None when `url` is not one.

    `https://www.google.com/url?q=https%3A%2F%2Facme.com%2F` → `https://acme.com/`.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.query:
        return None
    host = (parts.hostname or "").lower()
    bare = host[4:] if host.startswith("www.") else host
    if bare in QUERY_IS_DESTINATION:
        return _decode_destination(parts.query)
    params = parse_qsl(parts.query, keep_blank_values=True)
    names = KNOWN_REDIRECTORS.get(bare)
    if names is None and bare.startswith("google."):
        names = KNOWN_REDIRECTORS["google.com"]
    for name in names or GENERIC_REDIRECT_PARAMS:
        for key, value in params:
            if key.lower() == name:
                dest = _decode_destination(value)
                if dest:
                    inner = unwrap_redirect(dest)
                    return inner or dest
    return None


@lru_cache(maxsize=64)
def _origin(base: str) -> str | None:
    """`scheme://netloc` of an http(s) base URL, as urljoin writes it; None for anything else."""
    try:
        parts = urlsplit(base)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def absolute_url(href: str, base: str) -> str | None:
    """Resolve an href against a base URL; None for non-http(s) links (mailto:, javascript:, ...)."""
    href = href.strip()
    if not href:
        return None
    # Most links are root-relative (`/p/2?x=1`): urljoin would only prefix the base's origin, so
    # do just that (a page has dozens of them). Not when urljoin changes the href itself: dot
    # segments, `;` params, control characters, an empty query or fragment.
    if (
        href[0] == "/"
        and href[1:2] not in ("/", "\\")
        and "/." not in href
        and ";" not in href
        and href.isascii()
        and href.isprintable()
        and " " not in href
        and "?#" not in href
        and not href.endswith(("?", "#"))
    ):
        origin = _origin(base)
        if origin is not None:
            return origin + href
    try:
        # safe_url_string (percent-encoding of spaces and non-ASCII) only when needed: it is costly
        url = urljoin(base, href if href.isascii() and " " not in href else safe_url_string(href))
    except ValueError:
        return None
    if not url.lower().startswith(("http://", "https://")):
        return None
    return url


def http_url(value: object) -> str | None:
    """`value` stripped when it is an absolute http(s) URL with a host (and a valid port, no space
    in the host part), else None: the one test of "is this a URL the crawler could fetch"."""
    if not isinstance(value, str) or not value:
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018  (raises on a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if any(c.isspace() for c in parts.netloc):
        return None
    return value
