"""Who to write to about a page: its author, e-mail addresses, contact page and the site's own
social profiles. Pure functions over a parsed page and its walked text."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from lxml import etree

from backlink_spider.dates import month_first_for, normalise_date
from backlink_spider.extract.dom import WalkedPage, walk, xpath
from backlink_spider.extract.dom import xpath as _xpath
from backlink_spider.extract.signals import jsonld_objects
from backlink_spider.target import host_of, registered_domain
from backlink_spider.urls import absolute_url

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


def _jsonld_authors(root: etree._Element) -> list[tuple[str, str | None]]:
    """(name, url or None) of the page's schema.org authors."""
    found: list[tuple[str, str | None]] = []
    # (not into comments and answers: their authors are not the page's)
    for node in jsonld_objects(
        root, skip=("author", "creator", "comment", "suggestedAnswer", "acceptedAnswer")
    ):
        author = node.get("author") or node.get("creator")
        for a in author if isinstance(author, list) else [author]:
            if isinstance(a, dict) and isinstance(a.get("name"), str):
                url = a.get("url")
                found.append((a["name"], url if isinstance(url, str) else None))
            elif isinstance(a, str):
                found.append((a, None))
    return found


def find_author(root: etree._Element | None, posts: set | frozenset = frozenset()) -> str | None:
    """The page's author: meta author, schema.org author (JSON-LD or microdata), rel=author, byline;
    author markup inside one of `posts` (see is_post) names that post's author, not the page's."""
    if root is None:
        return None

    def xpath(node: etree._Element, expression: str) -> list:
        return [el for el in _xpath(node, expression) if not posts or _owner_post(el, posts) is None]

    candidates: list[str] = []
    candidates += [
        str(v) for v in xpath(root, "//meta[@name='author' or @property='article:author']/@content")
    ]
    candidates += [name for name, _ in _jsonld_authors(root)]
    for el in xpath(root, "//*[@itemprop='author']"):
        name = xpath(el, ".//*[@itemprop='name']")
        candidates.append((name[0] if name else el).text_content())
    candidates += [a.text_content() for a in xpath(root, "//a[contains(concat(' ', @rel, ' '), ' author ')]")]
    for el in xpath(
        root,
        "//*[contains(concat(' ', @class, ' '), ' byline ') or contains(concat(' ', @class, ' '), ' author ')"
        " or contains(@class, 'author-name') or contains(@class, 'entry-author')"
        " or contains(concat(' ', @class, ' '), ' p-author ')]",
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


# --- who wrote the text that names the brand ------------------------------------------------------


@dataclass
class Person:
    """Who wrote a part of a page: name, profile page, own website, when the part was published
    (ISO 8601, dates.normalise_date)."""

    name: str | None = None
    profile_url: str | None = None
    website: str | None = None
    published: str | None = None


@dataclass
class Authored:
    """page_text[start:end] is one post or comment; `person` wrote it (name None: not said there)."""

    start: int
    end: int
    person: Person


_POST_ITEMTYPE = re.compile(
    r"schema\.org/(Comment|Answer|Question|DiscussionForumPosting|SocialMediaPosting)\b", re.I
)
# Class tokens of one post or comment: WordPress/SE `comment`, Isso, phpBB/Disqus `post`, XenForo
# `message`, old Reddit `thing`, SE `question`/`answer`, vBulletin `postcontainer`/`postbit`,
# Mastodon `status`, Discourse `topic-body`.
_POST_CLASSES = frozenset(
    {
        "comment",
        "comment-body",
        "isso-comment",
        "post",
        "message",
        "thing",
        "question",
        "answer",
        "postcontainer",
        "postbit",
        "postbitlegacy",
        "status",
        "detailed-status",
        "topic-body",
        "crawler-post",
    }
)
# Elements naming a post's author, best first (the first found in the post, outside nested
# posts and quotes, is taken).
_AUTHOR_CLASSES = (
    "display-name",
    "status-display-name",
    "detailed-status-display-name",
    "username",
    "username-coloured",
    "fn",
    "p-author",
    "isso-author",
    "comment-author",
    "author",
    "post-author",
    "user-details",
    "comment-user",
    "message-name",
)
_AUTHOR_NAME_CLASSES = ("display-name-html", "fn", "p-name")
_SAYS = re.compile(r"\s*(?:says|wrote|writes)\s*:?\s*$", re.I)
_BY = re.compile(r"^\s*(?:by|posted by|written by)\s+", re.I)
_SHORTENERS = frozenset({"t.co", "bit.ly", "lnkd.in", "buff.ly", "ow.ly"})
_DOMAIN_TEXT = re.compile(r"^(?:https?://)?[\w-]+(?:\.[\w-]+)+(?:/\S*)?$", re.I)


def _class_tokens(el: etree._Element) -> set[str]:
    # `status__display-name` (BEM) is read as `status-display-name`
    return set(re.sub(r"_+", "-", (el.get("class") or "").lower()).split())


def is_post(el: etree._Element) -> bool:
    """True when the element is one post or comment (forum, Q&A, blog comment, social status)."""
    if not isinstance(el.tag, str) or el.tag in ("html", "body", "blockquote"):
        return False
    if el.get("data-author") or el.get("data-testid") == "tweet":
        return True
    if _POST_ITEMTYPE.search(el.get("itemtype") or ""):
        return True
    tokens = _class_tokens(el)
    return not _POST_CLASSES.isdisjoint(tokens) or any(t.endswith("-comment") for t in tokens)


def _owner_post(el: etree._Element, posts: set) -> etree._Element | None:
    """The innermost post holding `el` (None when it is in none); inside a quote: the quote."""
    node = el.getparent()
    while node is not None:
        if node.tag == "blockquote" or node in posts:
            return node
        node = node.getparent()
    return None


def _clean_name(text: str) -> str | None:
    name = _BY.sub("", _SAYS.sub("", " ".join(text.split())))
    name = name.split(" » ")[0].split(" \u00bb")[0].strip(" :»·|")
    if not name or len(name) > 80 or name.lower().startswith(("http", "www.")):
        return None
    return name


def _split_link(href: str | None, base_url: str) -> tuple[str | None, str | None]:
    """(profile URL, website) of an author's link: a page of the site itself or of a social
    network is their profile; a link elsewhere (a WordPress comment author's URL) their site."""
    url = absolute_url(href, base_url) if href else None  # (only ever an http(s) URL)
    if not url:
        return None, None
    site = registered_domain(host_of(base_url))
    if registered_domain(host_of(url)) == site or social_profile(url) or "disqus.com" in host_of(url):
        return url, None
    return None, url


def _post_author(post: etree._Element, posts: set, base_url: str, month_first: bool | None) -> Person:
    """The author named inside one post (not inside a post or quote nested in it), and its date."""
    person = Person()

    def own(nodes: list) -> list:
        return [n for n in nodes if _owner_post(n, posts) is post]

    if post.get("data-author"):
        person.name = _clean_name(post.get("data-author") or "")
    for el in own(xpath(post, ".//*[@itemprop='author']")):
        names = xpath(el, ".//*[@itemprop='name']")
        name_el = names[0] if names else el
        name = name_el.get("content") if name_el.tag == "meta" else name_el.text_content()
        person.name = person.name or _clean_name(name or "")
        links = xpath(el, "descendant-or-self::*[@itemprop='url']/@href | descendant-or-self::a/@href")
        if links:
            person.profile_url, person.website = _split_link(str(links[0]), base_url)
        break
    if person.name is None or (person.profile_url is None and person.website is None):
        elements = [el for el in own(xpath(post, ".//*[@class]")) if el.tag != "time"]
        for wanted in _AUTHOR_CLASSES:
            el = next((e for e in elements if wanted in _class_tokens(e)), None)
            if el is None:
                continue
            name_el = next(
                (
                    e
                    for e in el.iter()
                    if not _class_tokens(e).isdisjoint(_AUTHOR_NAME_CLASSES) and e is not el
                ),
                None,
            )
            link = el if el.tag == "a" and el.get("href") else next(iter(xpath(el, ".//a[@href]")), None)
            if name_el is None and link is not None and el.tag != "a":
                name_el = link
            if person.name is None:
                person.name = _clean_name((name_el if name_el is not None else el).text_content())
            if link is not None and person.profile_url is None and person.website is None:
                person.profile_url, person.website = _split_link(link.get("href"), base_url)
            if person.name:
                break
    if person.name is None:  # "<p><strong>Dana (Maker):</strong> We built it...</p>"
        first = next(iter(xpath(post, "(.//strong | .//b)[1]")), None)
        label = " ".join(first.text_content().split()) if first is not None else ""
        if label.endswith(":") and post.text_content().strip().startswith(label):
            person.name = _clean_name(re.sub(r"\s*\([^)]*\)\s*:?$|:$", "", label))
    person.published = _own_date(post, own, month_first)
    return person


# Class tokens of an element showing a post's date: `date`, `postdate`, `post-date`, `time-ago`,
# `relativetime`, `u-dt`, `dateline`, `comment-metadata`... (phpBB's date sits in `p.author`:
# "by x » Thu Jan 09, 2025")
_DATE_CLASS = re.compile(
    r"(?:^|-)(?:date|time|timestamp|dateline|published|posted|postdate|ago|relativetime|meta|metadata)"
    r"(?:$|-)|^u-dt$|^author$"
)
_DATE_ATTRIBUTES = ("datetime", "content", "data-time", "data-timestamp", "data-utime", "title")
_DATE_TEXT_CHARS = 120  # longer: a block holding a date, not the date


def _own_date(post: etree._Element, own, month_first: bool | None) -> str | None:  # noqa: ANN001
    """The post's published time, normalised (dates.normalise_date): its machine-readable forms
    first (`datetime`, schema.org `datePublished`, XenForo/Discourse `data-time`, the title of a
    "3 days ago"), then the visible date of a `<time>` or an element classed as a date."""
    marked = own(
        xpath(
            post,
            ".//*[@datetime or @itemprop='datePublished' or @itemprop='dateCreated'"
            " or @data-time or @data-timestamp or @data-utime]",
        )
    )
    shown = [
        el
        for el in own(xpath(post, ".//*[@class or self::time]"))
        if el.tag == "time" or any(_DATE_CLASS.search(t) for t in _class_tokens(el))
    ]
    for el in marked + [el for el in shown if el.get("title")]:
        for name in _DATE_ATTRIBUTES:
            value = normalise_date(el.get(name), month_first)
            if value:
                return value
    for el in shown:
        text = " ".join(el.text_content().split())
        value = normalise_date(text, month_first) if len(text) <= _DATE_TEXT_CHARS else None
        if value:
            return value
    return None


def find_posts(
    root: etree._Element | None,
    walked: WalkedPage,
    base_url: str,
    *,
    rendered: bool,
    lang: str | None = None,
) -> list[Authored]:
    """The posts and comments of a page, each with the span of page text it holds and its author.
    `lang`: the page's language (it orders numeric dates, dates.month_first_for).

    A post's text is found in the page text by walking the post alone (the same walk, so the same
    text); nested posts (replies in a comment thread) come after their parent, so the innermost
    span holding an offset is the post that offset was written in."""
    if root is None:
        return []
    posts = [el for el in root.iter() if isinstance(el.tag, str) and is_post(el)]
    post_set = set(posts)
    month_first = month_first_for(lang)
    found: list[Authored] = []
    wrapper: tuple[etree._Element, str] | None = None
    cursor = 0
    for post in posts:
        text = walk(post, rendered=rendered).text.strip()
        if not text:
            continue
        start = walked.text.find(text, cursor)
        if start < 0:  # hidden (or not shown as walked alone): it holds no mention
            continue
        cursor = start
        person = _post_author(post, post_set, base_url, month_first)
        if person.name is None and any(p in post_set for p in post.iterdescendants()):
            # a wrapper around the posts of a thread, nobody's post itself; a date of its own
            # (Stack Exchange's "Asked" above the question) is its first post's
            wrapper = (post, person.published) if person.published else wrapper
            continue
        if person.published is None and wrapper and wrapper[0] in post.iterancestors():
            person.published, wrapper = wrapper[1], None
        found.append(Authored(start, start + len(text), person))
    # a member's profile link shown on one of their posts is theirs on every post
    linked = {a.person.name: a.person for a in found if a.person.name and a.person.profile_url}
    for authored in found:
        known = linked.get(authored.person.name)
        if known is not None and authored.person.profile_url is None and authored.person.website is None:
            authored.person.profile_url, authored.person.website = known.profile_url, known.website
    return found


def _jsonld_profile_owner(root: etree._Element) -> str | None:
    for node in jsonld_objects(root):
        kind = node.get("@type")
        if kind == "ProfilePage" and isinstance(node.get("mainEntity"), dict):
            name = node["mainEntity"].get("name")
            if isinstance(name, str) and name.strip():
                return name.strip()
    return None


def _profile_website(root: etree._Element, base_url: str) -> str | None:
    """The profile owner's own site: their `rel=me` or website link off the network."""
    site = registered_domain(host_of(base_url))
    for link in xpath(
        root,
        "//a[contains(concat(' ', normalize-space(@rel), ' '), ' me ') or @data-testid='UserUrl'"
        " or @itemprop='url' or contains(@data-test-selector, 'website')][@href]",
    ):
        url = absolute_url(link.get("href") or "", base_url)  # (only ever an http(s) URL)
        if not url:
            continue
        text = " ".join(link.text_content().split())
        if host_of(url) in _SHORTENERS and _DOMAIN_TEXT.match(text):
            url = text if text.startswith("http") else f"https://{text}"  # t.co hides the address
        if registered_domain(host_of(url)) != site and not social_profile(url):
            return url
    return None


def profile_owner(root: etree._Element | None, base_url: str) -> Person:
    """The owner of a social profile page: name, the profile's URL and their own website."""
    person = Person(profile_url=base_url)
    if root is None:
        return person
    name = _jsonld_profile_owner(root)
    for expression in (
        "//*[@data-testid='UserName']//span",
        "//*[contains(@itemtype, 'schema.org/Person')]//*[@itemprop='name']",
        "//*[contains(@class, 'account__header')]//*[contains(@class, 'display-name__html')]",
        "//*[contains(concat(' ', @class, ' '), ' h-card ')]"
        "//*[contains(concat(' ', @class, ' '), ' p-name ')]",
        "//h1",
    ):
        if name:
            break
        found = xpath(root, expression)
        name = _clean_name(found[0].text_content()) if found else None
    if not name:
        title = xpath(root, "//meta[@property='og:title']/@content")
        name = _clean_name(re.split(r" \(@| [·|/-] ", str(title[0]))[0]) if title else None
    person.name = name
    person.website = _profile_website(root, base_url)
    return person


def page_person(
    root: etree._Element | None,
    base_url: str,
    posts: list[Authored] | None = None,
    lang: str | None = None,
) -> Person:
    """The author of the page's own text (the article), with their author page and its date
    (`lang`, the page's language, orders numeric dates).

    On a thread (`posts`: find_posts) with no author of its own, the page's text outside the
    posts (its title, its tags) is the first post's: the thread starter's, the asker's."""
    if root is None:
        return Person()
    post_set = {el for el in root.iter() if isinstance(el.tag, str) and is_post(el)}
    person = Person(name=find_author(root, post_set))
    if person.name is None and posts:
        first = posts[0].person
        return Person(first.name, first.profile_url, first.website, first.published)
    # their author page: a rel=author link, the schema.org author's url, a link named for them
    hrefs = [
        str(href)
        for href in xpath(
            root,
            "//a[contains(concat(' ', @rel, ' '), ' author ')]/@href"
            " | //a[contains(concat(' ', @class, ' '), ' p-author ')]/@href",
        )
    ]
    if person.name:
        hrefs += [url for name, url in _jsonld_authors(root) if url and _clean_name(name) == person.name]
        hrefs += [
            str(a.get("href"))
            for a in xpath(root, "//a[@href]")
            if _owner_post(a, post_set) is None and _clean_name(a.text_content()) == person.name
        ]
    for href in hrefs:
        person.profile_url, person.website = _split_link(href, base_url)
        if person.profile_url or person.website:
            break
    person.published = _page_date(root, post_set, month_first_for(lang))
    return person


# Where an article's visible date is: a line classed as its meta, byline or dateline, or the line
# just before or after its h1 ("Episode 142 · 54 min · March 4, 2025"); not in the site's
# navigation, sidebars or page footer.
_META_CLASS = re.compile(r"(?:^|-)(?:byline|info)(?:$|-)")  # with _DATE_CLASS
_OUTSIDE_ARTICLE = (
    "ancestor::nav or ancestor::aside or ancestor::footer[not(ancestor::article or ancestor::main)]"
)
_NEXT_TO_H1 = "//h1/preceding-sibling::*[1] | //h1/following-sibling::*[1]"


def _page_date(root: etree._Element, post_set: set, month_first: bool | None) -> str | None:
    """The article's published time, normalised: Open Graph, schema.org (JSON-LD, microdata),
    `<time datetime>`, then a visible date on its meta line (outside the page's posts)."""
    dates = [str(d) for d in xpath(root, "//meta[@property='article:published_time']/@content")]
    for node in jsonld_objects(root, skip=("author", "creator", "comment")):
        for key in ("datePublished", "dateCreated", "datePosted"):
            if isinstance(node.get(key), str) and node.get("@type") not in ("ProfilePage", "Person"):
                dates.append(node[key])
    for el in xpath(
        root,
        "//*[@itemprop='datePublished'] | //time[contains(@class, 'published') or @pubdate]"
        f" | //time[@datetime][not({_OUTSIDE_ARTICLE})]",
    ):
        if _owner_post(el, post_set) is None:
            dates.append(el.get("datetime") or el.get("content") or el.text_content())
    next_to_h1 = set(xpath(root, _NEXT_TO_H1))
    for el in xpath(root, f"(//*[@class] | {_NEXT_TO_H1})[not({_OUTSIDE_ARTICLE})]"):
        text = " ".join(el.text_content().split())
        if len(text) > _DATE_TEXT_CHARS or _owner_post(el, post_set) is not None:
            continue
        if el in next_to_h1 or any(_DATE_CLASS.search(t) or _META_CLASS.search(t) for t in _class_tokens(el)):
            dates.append(text)
    return next((when for when in (normalise_date(d, month_first) for d in dates) if when), None)
