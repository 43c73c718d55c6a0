"""The target site: normalising what the user typed, and deciding what points at it.

`Target.parse("https://www.Bücher.de/x")` gives the site's host in ASCII (punycode) form without
`www.`; `target.owns(url)` is true for that host and every subdomain of it.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

import tldextract

# The Public Suffix List snapshot bundled with tldextract: never fetched at run time, so a crawl
# (or a test) never reaches out to the internet just to split a host name.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


class TargetError(ValueError):
    """The `target` argument is not a site we can look for."""


def host_to_ascii(host: str) -> str:
    """Lower-case a host name and convert IDN labels to punycode (`bücher.de` → `xn--bcher-kva.de`)."""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        # Python's codec is IDNA 2003 and refuses some valid IDNA 2008 labels; per-label punycode
        # is what browsers send for those.
        return ".".join(
            label if label.isascii() else "xn--" + label.encode("punycode").decode("ascii")
            for label in host.split(".")
        )


@lru_cache(maxsize=65536)
def host_of(url: str) -> str:
    """The ASCII host of an absolute URL, '' when there is none. As in browsers, a backslash ends
    the host (`http://evil.net\\@acme.com/` is on evil.net)."""
    try:
        return host_to_ascii(urlsplit(url.replace("\\", "/")).hostname or "")
    except ValueError:
        return ""


@lru_cache(maxsize=65536)
def registered_domain(host: str) -> str:
    """The registrable domain of a host (`forum.example.co.uk` → `example.co.uk`).

    An IP address, or a host without a public suffix, is its own site.
    """
    host = host_to_ascii(host)
    if _is_ip(host):
        return host
    parts = _EXTRACT(host)
    return parts.top_domain_under_public_suffix or host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Target:
    """The site whose backlinks and mentions a crawl looks for.

    `host` is the normalised host (ASCII, lower case, no `www.`); `brand_terms` are the words to
    find in text (derived from the host when the user gives none).
    """

    host: str
    brand_terms: tuple[str, ...]

    @classmethod
    def parse(cls, value: str | None, brand: str | None = None, *, what: str = "target") -> Target:
        """Normalise a user's `target` (domain, `www.` form, URL with path, IDN) or raise TargetError.

        `what` names the site in error messages (`target`, `competitor`)."""
        if value is None or not value.strip():
            raise TargetError("missing -a target=DOMAIN (the site to find backlinks and mentions of)")
        raw = value.strip()
        text = raw if "://" in raw else "//" + raw
        try:
            parts = urlsplit(text)
            hostname = parts.hostname or ""
            parts.port  # noqa: B018  (raises on a bad port)
        except ValueError as exc:
            raise TargetError(f"{what} {raw!r} is not a domain or URL: {exc}") from None
        if parts.scheme not in ("", "http", "https"):
            raise TargetError(f"{what} {raw!r} has scheme {parts.scheme!r}; give a domain or an http(s) URL")
        try:
            host = host_to_ascii(hostname)
        except UnicodeError:
            raise TargetError(f"{what} {raw!r} is not a valid domain name") from None
        if host.startswith("www."):
            host = host[4:]
        if not host:
            raise TargetError(f"{what} {raw!r} has no host name")
        if _is_ip(host):
            raise TargetError(f"{what} {raw!r} is an IP address; give the site's domain name")
        labels = host.split(".")
        if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
            raise TargetError(f"{what} {raw!r} is not a valid domain name")
        if not _EXTRACT(host).suffix:
            raise TargetError(f"{what} {raw!r} has no known public suffix (like .com or .co.uk)")
        terms = parse_terms(brand) if brand is not None else ()
        if brand is not None and not terms:
            raise TargetError("-a brand= is empty; give comma-separated brand names or leave it out")
        return cls(host=host, brand_terms=terms or derive_brand_terms(host))

    @property
    def display_host(self) -> str:
        """The host in Unicode form, for people."""
        try:
            return self.host.encode("ascii").decode("idna")
        except UnicodeError:
            return self.host

    def owns_host(self, host: str) -> bool:
        """True when `host` (any case, Unicode or punycode) is the target or a subdomain of it."""
        host = host_to_ascii(host)
        return host == self.host or host.endswith("." + self.host)

    def owns(self, url: str) -> bool:
        """True when the absolute `url` points at the target site (any subdomain, http or https)."""
        url = url.strip()
        if not url.lower().startswith(("http://", "https://", "//")) and "://" in url:
            return False
        return self.owns_host(host_of(url))

    @property
    def domain_terms(self) -> tuple[str, ...]:
        """Domain forms of the target that also count as mentions (`acme.com`, and its IDN form)."""
        forms = [self.host]
        if self.display_host != self.host:
            forms.append(self.display_host)
        return tuple(forms)


def parse_terms(value: str | None) -> tuple[str, ...]:
    """Split a comma-separated argument into distinct, stripped terms, in order."""
    if not value:
        return ()
    seen: dict[str, None] = {}
    for part in value.split(","):
        term = " ".join(part.split())
        if term:
            seen.setdefault(term, None)
    return tuple(seen)


def derive_brand_terms(host: str) -> tuple[str, ...]:
    """Brand words guessed from a host: `brewbird.io` → ('brewbird',); `acme-tools.com` →
    ('acme-tools', 'acme tools'). The domain form itself is always matched separately."""
    registered = registered_domain(host)
    suffix = _EXTRACT(registered).suffix
    label = registered[: -len(suffix) - 1] if suffix and registered.endswith("." + suffix) else registered
    try:
        label = label.encode("ascii").decode("idna")
    except UnicodeError:
        pass
    terms = [label]
    if "-" in label:
        terms.append(label.replace("-", " "))
    return tuple(terms)
