"""Who to write to about a page: its author, e-mail addresses, contact page and the site's own
social profiles. Pure functions over a parsed page and its walked text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lxml import etree

from backlink_spider.extract.dom import WalkedPage, xpath
from backlink_spider.extract.signals import jsonld_objects

# not after "@": `@marco@brew.social` is a fediverse handle, not an address
_EMAIL = re.compile(
    r"(?<![\w.+@-])[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,24}\b"
)
# "name [at] site [dot] com", "name (at) site (dot) com", "name {at} site {dot} co {dot} uk"
_AT = r"\s*[\[\(\{<]\s*at\s*[\]\)\}>]\s*"
_DOT = r"\s*[\[\(\{<]\s*dot\s*[\]\)\}>]\s*"
_OBFUSCATED = re.compile(
    rf"(?<![\w.+-])([A-Za-z0-9][A-Za-z0-9._%+-]{{0,63}}){_AT}([A-Za-z0-9-]{{1,63}}(?:(?:{_DOT}|\.)[A-Za-z0-9-]{{1,63}})+)",
    re.I,
)
_DOT_SPLIT = re.compile(_DOT, re.I)
_BYLINE = re.compile(
    r"^\s*(?:by|written by|posted by|author:)\s+([^\n|,•·]{2,60}?)\s*(?:$|[|,•·\n]|\bon\b)", re.I
)
_CONTACT = re.compile(
    r"(^|/)(contact|contact-us|contactus|kontakt|impressum|write-for-us)(/|\.html?|$)", re.I
)
_CONTACT_TEXT = re.compile(r"^\s*(contact( us)?|get in touch|write for us|kontakt|impressum)\s*$", re.I)
_ABOUT = re.compile(r"(^|/)(about|about-us|team|press)(/|\.html?|$)", re.I)

# Social networks and the path shapes of a profile on them (share links and posts are not).
_ONE_SEGMENT = re.compile(r"^/@?[\w.-]+/?$")
SOCIAL_PROFILES = {
    "twitter.com": ("twitter", _ONE_SEGMENT),
    "x.com": ("twitter", _ONE_SEGMENT),
    "facebook.com": ("facebook", _ONE_SEGMENT),
    "instagram.com": ("instagram", _ONE_SEGMENT),
    "linkedin.com": ("linkedin", re.compile(r"^/(in|company|school)/[\w.-]+/?$")),
    "youtube.com": ("youtube", re.compile(r"^/(@[\w.-]+|c/[\w.-]+|channel/[\w-]+|user/[\w.-]+)/?$")),
    "github.com": ("github", _ONE_SEGMENT),
    "tiktok.com": ("tiktok", re.compile(r"^/@[\w.-]+/?$")),
    "pinterest.com": ("pinterest", _ONE_SEGMENT),
    "threads.net": ("threads", re.compile(r"^/@[\w.-]+/?$")),
    "bsky.app": ("bluesky", re.compile(r"^/profile/[\w.:-]+/?$")),
    "mastodon.social": ("mastodon", re.compile(r"^/@[\w.-]+/?$")),
    "reddit.com": ("reddit", re.compile(r"^/(user|u)/[\w-]+/?$")),
    "medium.com": ("medium", re.compile(r"^/@[\w.-]+/?$")),
    "t.me": ("telegram", _ONE_SEGMENT),
}
_NOT_PROFILES = frozenset(
    {
        "intent",
        "share",
        "sharer",
        "sharer.php",
        "home",
        "login",
        "search",
        "hashtag",
        "explore",
        "about",
        "privacy",
        "terms",
        "help",
        "settings",
    }
)


@dataclass
class Contacts:
    author: str | None = None
    emails: list[str] = field(default_factory=list)
    contact_url: str | None = None
    social_profiles: list[str] = field(default_factory=list)


def find_emails(text: str) -> list[str]:
    """Plain and obfuscated e-mail addresses in text, lower-cased, in order, without duplicates."""
    found: dict[str, None] = {}
    for match in _EMAIL.finditer(text):
        found.setdefault(match.group(0).lower().rstrip("."), None)
    for match in _OBFUSCATED.finditer(text):
        domain = _DOT_SPLIT.sub(".", match.group(2))
        if "." in domain:
            found.setdefault(f"{match.group(1)}@{domain}".lower(), None)
    return list(found)


def _jsonld_authors(root: etree._Element) -> list[str]:
    names: list[str] = []
    for node in jsonld_objects(root, skip=("author", "creator")):
        author = node.get("author") or node.get("creator")
        for a in author if isinstance(author, list) else [author]:
            if isinstance(a, dict) and isinstance(a.get("name"), str):
                names.append(a["name"])
            elif isinstance(a, str):
                names.append(a)
    return names


def find_author(root: etree._Element | None) -> str | None:
    """The page's author: meta author, schema.org author (JSON-LD or microdata), rel=author, byline."""
    if root is None:
        return None
    candidates: list[str] = []
    candidates += [
        str(v) for v in xpath(root, "//meta[@name='author' or @property='article:author']/@content")
    ]
    candidates += _jsonld_authors(root)
    for el in xpath(root, "//*[@itemprop='author']"):
        name = xpath(el, ".//*[@itemprop='name']")
        candidates.append((name[0] if name else el).text_content())
    candidates += [a.text_content() for a in xpath(root, "//a[contains(concat(' ', @rel, ' '), ' author ')]")]
    for el in xpath(
        root,
        "//*[contains(concat(' ', @class, ' '), ' byline ') or contains(concat(' ', @class, ' '), ' author ')"
        " or contains(@class, 'author-name') or contains(@class, 'entry-author')]",
    ):
        text = " ".join(el.text_content().split())
        match = _BYLINE.match(text)
        candidates.append(match.group(1) if match else text)
    for candidate in candidates:
        name = " ".join(candidate.split())
        match = _BYLINE.match(name)
        if match:
            name = match.group(1).strip()
        if name and len(name) <= 80 and not name.lower().startswith(("http", "www.")):
            return name
    return None


def social_profile(url: str) -> str | None:
    """The network name when `url` is a profile on a social network (not a share link or a post)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for prefix in ("www.", "m.", "mobile."):
        if host.startswith(prefix):
            host = host[len(prefix) :]
    known = SOCIAL_PROFILES.get(host)
    if known is None or parts.query:
        return None
    network, path_shape = known
    first = parts.path.strip("/").split("/", 1)[0].lower()
    if first in _NOT_PROFILES or not path_shape.match(parts.path):
        return None
    return network


def find_contacts(
    root: etree._Element | None,
    walked: WalkedPage,
    links: list[tuple[str, str, str, bool]],
    exclude_domains: tuple[str, ...] = (),
) -> Contacts:
    """Contacts of a page.

    `links`: (absolute url, anchor text, position, internal) of every link on the page; the site's
    own social profiles are those linked from the header, footer, sidebar, nav, profile area or a
    follow widget (a profile linked in an article is about someone else). E-mails on
    `exclude_domains` (the target's own) are left out.
    """
    contacts = Contacts(author=find_author(root))
    emails: dict[str, None] = {}
    if root is not None:
        for href in xpath(root, "//a[starts-with(translate(@href, 'MAILTO', 'mailto'), 'mailto:')]/@href"):
            address = unquote(str(href)[7:].split("?", 1)[0]).strip().lower()
            if _EMAIL.fullmatch(address):
                emails.setdefault(address, None)
    for address in find_emails(walked.text):
        emails.setdefault(address, None)
    contacts.emails = [
        e for e in emails if not any(e.endswith("@" + d) or e.endswith("." + d) for d in exclude_domains)
    ]
    profiles: dict[str, None] = {}
    about_url = None
    for url, text, position, internal in links:
        if internal and contacts.contact_url is None:
            path = urlsplit(url).path
            if _CONTACT.search(path) or _CONTACT_TEXT.match(text):
                contacts.contact_url = url
            elif about_url is None and _ABOUT.search(path):
                about_url = url
        if not internal and position in ("header", "footer", "sidebar", "nav", "profile", "share"):
            if social_profile(url):
                profiles.setdefault(url, None)
    contacts.social_profiles = list(profiles)
    contacts.contact_url = contacts.contact_url or about_url
    return contacts
