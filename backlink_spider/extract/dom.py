"""One walk over a parsed page: its visible text and its link elements, each with the part of the
page it sits in (content, comment, nav, ...) and whether a reader can see it.

Works the same on static HTML and on the rendered DOM snapshot (see render.py): the snapshot marks
visibility computed by the browser in `data-bl-hidden` attributes, and inlines open shadow roots
(`<bl-shadow-root>`) and same-origin iframes (`<bl-iframe>`), so this code never needs to know
where the HTML came from beyond the `rendered` flag.
"""

from __future__ import annotations

import bisect
import functools
import re
import threading
from collections import Counter
from dataclasses import dataclass, field

import lxml.html
from lxml import etree

from backlink_spider.extract.share import (
    FOLLOW,
    SHARE,
    is_share_intent,
    is_small,
    is_widget_label,
    widget_kind,
)

# Elements whose content is never visible text.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "head",
        "title",
        "meta",
        "link",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "option",
        "textarea",
        "input",
    }
)
# Elements that break text into separate blocks (so words of two cells never run together).
BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
        "bl-shadow-root",
        "bl-iframe",
        "option",
        "button",
    }
)

# `share`: share and follow widgets (extract/share.py); their labels are never brand mentions.
POSITIONS = ("content", "comment", "nav", "header", "footer", "sidebar", "profile", "share")

_STYLE_HIDDEN = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*(hidden|collapse)"
    r"|(?:^|;)\s*(left|top|text-indent)\s*:\s*-\d{4,}(px|em)?"
    r"|(?:^|;)\s*(font-size|opacity)\s*:\s*0(\.0+)?\s*(px|em|%)?\s*(;|$)",
    re.I,
)
_STYLE_VISIBLE = re.compile(r"visibility\s*:\s*visible", re.I)
_TOKEN_SPLIT = re.compile(r"[\s]+")
_WHITESPACE = re.compile(r"\s+")
_UNDERSCORES = re.compile(r"[_-]+")


def _token_re(words: str) -> re.Pattern[str]:
    return re.compile(rf"(?:^|-)(?:{words})(?:$|-)", re.I)


_COMMENT = _token_re(
    r"comments?|comment-?list|commentlist|comment-?body|comment-?content|replies|"
    r"disqus-thread|disqus|respond|reply|responses"
)
_NAV = _token_re(r"nav|navbar|navigation|menu|menubar|breadcrumbs?|pagination|skip-?links?")
_HEADER = _token_re(r"header|masthead|site-?header|topbar|top-?bar|banner")
_FOOTER = _token_re(r"footer|site-?footer|colophon|bottom-?bar|legal")
_SIDEBAR = _token_re(r"sidebar|side-?bar|aside|widget-?area|widgets?|secondary|rail|right-?rail")
_PROFILE = _token_re(
    r"profile|bio|user-?bio|author-?bio|p-note|h-card|about-?me|user-?info|"
    r"account-?header|linktree|links-?list"
)

_ROLE_POSITION = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "comment": "comment",
}
_ITEMTYPE_POSITION = (
    (re.compile(r"schema\.org/(Comment|UserComments)\b"), "comment"),
    (re.compile(r"schema\.org/(ProfilePage|Person)\b"), "profile"),
    (re.compile(r"schema\.org/SiteNavigationElement\b"), "nav"),
    (re.compile(r"schema\.org/WPHeader\b"), "header"),
    (re.compile(r"schema\.org/WPFooter\b"), "footer"),
    (re.compile(r"schema\.org/WPSideBar\b"), "sidebar"),
)


@dataclass
class LinkElement:
    """An `a[href]` or `area[href]` as found in the page (href not yet resolved)."""

    href: str
    text: str
    rel: list[str]
    position: str
    hidden: bool
    image_alt: str | None
    has_image: bool
    block: int  # index of the text block the link sits in (for its context snippet)
    start: int  # offset of the link's text in the page text
    end: int


@dataclass
class Segment:
    """A run of visible text: `page_text[start:end]`, in one position, maybe inside a link."""

    start: int
    end: int
    position: str
    link: int | None  # index into `links`


@dataclass
class WalkedPage:
    text: str = ""
    segments: list[Segment] = field(default_factory=list)
    links: list[LinkElement] = field(default_factory=list)
    block_bounds: list[tuple[int, int]] = field(default_factory=list)
    _block_starts: list[int] = field(default_factory=list, repr=False)

    @property
    def block_starts(self) -> list[int]:
        """Start offsets of the blocks (computed once: pages can have 100,000 links)."""
        if len(self._block_starts) != len(self.block_bounds):
            self._block_starts = [b[0] for b in self.block_bounds]
        return self._block_starts


# huge_tree lifts libxml2's limits on text node sizes and nesting (256 levels without it; 2,048
# with it, past which libxml2 stops parsing and drops the rest of the page: see parse_html). One
# parser per thread: the error log read after a parse must be that parse's.
_PARSERS = threading.local()


def _parser() -> lxml.html.HTMLParser:
    parser = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = _PARSERS.parser = lxml.html.HTMLParser(huge_tree=True)
    return parser


@functools.cache
def _compiled(expression: str) -> etree.XPath:
    return etree.XPath(expression)


def xpath(node: etree._Element, expression: str) -> list:
    """`node.xpath(expression)` with the expression compiled once per process (compiling it
    cost more than evaluating it on a typical page)."""
    return _compiled(expression)(node)


# End tags of the document: browsers ignore them and keep reading; libxml2 drops what follows.
_DOCUMENT_END = re.compile(r"</(?:body|html)\s*>", re.I)


# A comment, or a start or end tag (name, attributes, `/>`).
_TAG = re.compile(r"<!--.*?(?:-->|$)|<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>", re.S)
_VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
        "param",
        "keygen",
    }
)
# Elements whose content is text, not markup: a `<div>` written inside a script is no element.
_RAW_TEXT = frozenset({"script", "style", "textarea", "title", "xmp", "noembed", "noframes", "iframe"})
# Elements a new one of the same name closes (`<li>a<li>b`, `<a>x<a>y`): their repeats are
# siblings, not deeper levels.
_SELF_CLOSING_SIBLINGS = frozenset({"a", "p", "li", "dt", "dd", "tr", "td", "th", "option"})
# Chromium's HTML parser nests elements at most 512 deep and inserts deeper ones as siblings
# (kMaximumHTMLParserDOMTreeDepth): that is what a reader of such a page sees.
MAX_NESTING = 512
# Depths flatten_deep_nesting is tried with, in turn, until libxml2 parses the page whole.
_FLATTEN_LIMITS = (MAX_NESTING, 128, 32)


# Start tags that hide their element's content (statically, or in a rendered snapshot).
_HIDING_TAG = re.compile(
    r"\shidden(?:[\s=/>]|$)|display\s*:\s*none|visibility\s*:\s*hidden|data-bl-hidden\s*=\s*[\"']?1", re.I
)


def _skip_element(html: str, name: str, pos: int) -> int:
    """Where the element `name` whose start tag ends at `pos` ends (after its end tag, counting
    nested elements of the same name); the end of the page when it is never closed."""
    pattern = re.compile(rf"<(/?){re.escape(name)}(?=[\s/>])[^>]*>", re.I)
    depth = 1
    for match in pattern.finditer(html, pos):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return match.end()
    return len(html)


def flatten_deep_nesting(html: str, limit: int = MAX_NESTING) -> str:
    """The page with the elements that open deeper than `limit` levels made siblings at that
    level, as Chromium's parser does, instead of lost (libxml2 drops everything past 2,048
    levels, including the rest of the page). A flattened element keeps its attributes and its
    text; text that follows a flattened element's end goes back into its parent, which is
    re-opened for it (its start tag written again). Unlike in a browser, what a flattened
    element hides stays hidden (its flattened children are marked hidden too), and a flattened
    element that shows nothing (`<template>`, `<svg>`, `<select>`...) is written empty.

    Depth is counted as a tree builder would: an end tag closes its open element and those
    inside it, a stray end tag closes nothing, a new `<a>` (`<li>`, `<p>`, ...) closes the open
    one, so links never nest and are never flattened."""
    out: list[str] = []
    # open elements: [name, start tag as written, flattened, open in the output, hides]; of the
    # flattened ones only the innermost is open in the output (the others are its "parents")
    stack: list[list] = []
    open_names: Counter[str] = Counter()
    kept = 0  # open elements left nested: the depth libxml2 will see

    def close_to(name: str) -> None:
        nonlocal kept
        while stack:
            top, _, flat, written, _ = stack.pop()
            open_names[top] -= 1
            kept -= not flat
            if written:
                out.append(f"</{top}>")
            if top == name:
                break
        if stack and not stack[-1][3]:  # back into a flattened parent: re-open it
            out.append(stack[-1][1])
            stack[-1][3] = True

    pos = last = 0
    length = len(html)
    while (match := _TAG.search(html, pos)) is not None:
        pos = match.end()
        closing, name, self_closing = match.group(1), match.group(2), match.group(3)
        if name is None:  # a comment
            continue
        name = name.lower()
        if name in _VOID or (self_closing and not closing):
            continue
        if closing:
            if open_names[name]:  # (a stray end tag stays as written: parsers ignore it)
                out.append(html[last : match.start()])
                last = match.end()
                close_to(name)
            continue
        out.append(html[last : match.start()])
        last = match.end()
        if name in _SELF_CLOSING_SIBLINGS and stack and stack[-1][0] == name:
            close_to(name)
        elif name == "a" and open_names["a"]:
            close_to("a")
        tag = match.group(0)
        flat = kept >= limit and name != "a"
        hides = _HIDING_TAG.search(tag) is not None
        if flat:
            if name in SKIP_TAGS:  # shows nothing: its content goes, so no child escapes it
                out.append(f"{tag}</{name}>")
                pos = last = _skip_element(html, name, pos)
                continue
            if stack and stack[-1][2]:
                if stack[-1][3]:  # a sibling of the flattened element open before it
                    out.append(f"</{stack[-1][0]}>")
                    stack[-1][3] = False
                if stack[-1][4] and not hides:  # inside a hidden element: hidden too
                    tag = f'{tag[:-1].rstrip("/")} hidden data-bl-hidden="1">'
                    hides = True
        out.append(tag)
        stack.append([name, tag, flat, True, hides])
        kept += not flat
        open_names[name] += 1
        if name in _RAW_TEXT:  # its content is text up to its end tag
            end_tag = re.compile(rf"</{re.escape(name)}\s*>", re.I).search(html, pos)
            pos = end_tag.start() if end_tag else length
    out.append(html[last:])
    return "".join(out)


def _parse(html: str) -> tuple[etree._Element | None, bool]:
    """The parsed page, and whether libxml2 stopped at its nesting limit (dropping the rest)."""
    parser = _parser()
    try:
        root = lxml.html.document_fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        try:
            root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
        except (etree.ParserError, ValueError):
            return None, False
    # A fatal error ends libxml2's parse and is logged even past its cap of 100 logged errors;
    # reading the last one costs nothing on an ordinary page.
    error = parser.error_log.last_error
    too_deep = (
        error is not None and error.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT and "depth" in error.message
    )
    return root, too_deep


def parse_html(html: str) -> etree._Element | None:
    """Parse HTML leniently, as a browser would read it; None when there is nothing to parse.

    A page nested deeper than libxml2 allows is parsed again with its excess nesting flattened
    (flatten_deep_nesting), so it keeps all its text and links."""
    if not html or not html.strip():
        return None
    html = _DOCUMENT_END.sub("", html)
    root, too_deep = _parse(html)
    for limit in _FLATTEN_LIMITS:
        if not too_deep:
            break
        flattened, too_deep = _parse(flatten_deep_nesting(html, limit))
        if flattened is not None:
            root = flattened
    return root


def _tokens(el: etree._Element) -> list[str]:
    """Class and id tokens, lower case, with `_`/`__` (BEM) folded to `-`: `account__header` →
    `account-header`."""
    text = _UNDERSCORES.sub("-", f"{el.get('class') or ''} {el.get('id') or ''}".strip().lower())
    # state modifiers (`has-profile`, `is-sidebar-open`) say nothing about what the element is
    return [t for t in _TOKEN_SPLIT.split(text) if t and not t.startswith(("has-", "is-"))]


_POSITION_TAGS = frozenset({"nav", "aside", "header", "footer", "main", "article"})
_position_cache: dict[tuple, str | None] = {}


def classify_position(el: etree._Element, inside_article: bool) -> str | None:
    """The page part an element opens (one of POSITIONS, or `follow`: see walk), or None when it
    opens none."""
    tag = el.tag
    attrib = el.attrib
    if tag not in _POSITION_TAGS and not (
        "class" in attrib or "id" in attrib or "role" in attrib or "itemtype" in attrib
    ):
        return None  # the common case: a plain element opens nothing
    key = (
        tag,
        attrib.get("class"),
        attrib.get("id"),
        attrib.get("role"),
        attrib.get("itemtype"),
        inside_article,
    )
    if key in _position_cache:
        return _position_cache[key]
    if len(_position_cache) > 50_000:
        _position_cache.clear()
    result = _position_cache[key] = _classify(el, tag, inside_article)
    return result


def _classify(el: etree._Element, tag: str, inside_article: bool) -> str | None:
    role = (el.get("role") or "").lower()
    if role in _ROLE_POSITION:
        return _ROLE_POSITION[role]
    itemtype = el.get("itemtype") or ""
    if itemtype:
        for pattern, position in _ITEMTYPE_POSITION:
            if pattern.search(itemtype):
                return position
    tokens = _tokens(el)
    widget = widget_kind(tokens)
    if widget == SHARE:  # a share bar inside a comment or a nav is still a share bar
        return SHARE
    if any(_COMMENT.search(t) for t in tokens):
        return "comment"
    # a follow list (`.footer-social`, `nav.social-navigation`) rather than the part it sits in,
    # unless the element is a profile's own (`.profile-socials`)
    if widget == FOLLOW and not any(_PROFILE.search(t) for t in tokens):
        return FOLLOW
    if tag == "nav" or any(_NAV.search(t) for t in tokens):
        return "nav"
    # Inside an article or the main content, <aside>, <header> and <footer> are parts of that
    # content (a pull quote, a byline, an embedded link preview), not the page's own.
    if (tag == "aside" and not inside_article) or any(_SIDEBAR.search(t) for t in tokens):
        return "sidebar"
    if any(_PROFILE.search(t) for t in tokens):
        return "profile"
    if not inside_article:
        if tag == "header" or any(_HEADER.search(t) for t in tokens):
            return "header"
        if tag == "footer" or any(_FOOTER.search(t) for t in tokens):
            return "footer"
    if tag in ("main", "article") or role == "main":
        return "content"
    return None


def _static_hidden(el: etree._Element) -> bool | None:
    """Visibility an element sets by its own attributes: True hidden, False visible, None inherit."""
    if el.get("hidden") is not None or (el.get("aria-hidden") == "true" and el.tag in ("a", "area")):
        return True
    style = el.get("style")
    if style:
        if _STYLE_HIDDEN.search(style):
            return True
        if _STYLE_VISIBLE.search(style):
            return False
    if el.tag == "input" and (el.get("type") or "").lower() == "hidden":
        return True
    return None


def _rendered_hidden(el: etree._Element) -> bool | None:
    mark = el.get("data-bl-hidden")
    if mark == "1":
        return True
    if mark == "0":
        return False
    return None


def walk(root: etree._Element | None, *, rendered: bool, base_position: str = "content") -> WalkedPage:
    """Walk the page once. Returns its visible text (blocks separated by newlines), the text
    segments with their position and link, and every `a[href]`/`area[href]` element.

    Iterative (an explicit stack), so a page nested 100,000 levels deep cannot overflow Python.
    """
    page = WalkedPage()
    if root is None:
        return page
    body = root.find("body")
    start = body if body is not None else root
    hidden_of = _rendered_hidden if rendered else _static_hidden
    parts: list[str] = []
    length = 0
    block_start = 0
    link_stack: list[int] = []

    def new_block() -> None:
        nonlocal length, block_start
        if length > block_start:
            if parts[-1].endswith(" "):
                parts[-1] = parts[-1][:-1]
                length -= 1
            page.block_bounds.append((block_start, length))
            parts.append("\n")
            length += 1
        block_start = length

    def emit(text: str, position: str, hidden: bool, link: int | None) -> None:
        nonlocal length
        if hidden:
            return
        # (the regex only when there is whitespace to fold: most runs are plain words)
        if not text.isascii() or "\n" in text or "  " in text or "\t" in text or "\r" in text or "\f" in text:
            text = _WHITESPACE.sub(" ", text)
        if length == block_start or parts[-1].endswith(" "):
            text = text.lstrip(" ")
        if not text:
            return
        core = text.rstrip(" ")
        if core:
            lead = len(core) - len(core.lstrip(" "))
            page.segments.append(Segment(length + lead, length + len(core), position, link))
        parts.append(text)
        length += len(text)

    # Stack entries: ("open", element, position, hidden, in_article) | ("text", str, pos, hidden,
    # link) | ("close", element, ...)
    stack: list[tuple] = [("open", start, base_position, False, False)]
    while stack:
        entry = stack.pop()
        kind = entry[0]
        if kind == "text":
            emit(entry[1], entry[2], entry[3], entry[4])
            continue
        if kind == "close":
            el = entry[1]
            if el.tag in BLOCK_TAGS:
                new_block()
            if el.tag in ("a", "area") and entry[2] is not None:
                page.links[link_stack.pop()].end = length
            continue
        el, position, hidden, in_article = entry[1], entry[2], entry[3], entry[4]
        tag = el.tag
        if not isinstance(tag, str):  # comments, processing instructions
            continue
        tag = tag.lower()
        own = hidden_of(el)
        if own is True:
            hidden = True
        elif own is False and rendered:
            # Only the browser knows that `visibility:visible` re-shows a child of a
            # visibility:hidden parent (and nothing re-shows one of a display:none parent).
            hidden = False
        opened = classify_position(el, in_article)
        # Everything inside a share widget is the widget's; a follow list inside a profile is
        # the profile's own accounts. A "widget" holding a page's worth of text is not one.
        if opened is not None and position != SHARE:
            if opened in (SHARE, FOLLOW):
                if (opened == SHARE or position != "profile") and is_small(el, SKIP_TAGS):
                    position = SHARE
            else:
                position = opened
        if tag in ("article", "main") or (el.get("role") or "").lower() == "main":
            in_article = True
        if tag in SKIP_TAGS:
            continue
        link_index = None
        if tag in ("a", "area") and el.get("href") is not None:
            if position != SHARE and is_share_intent(el.get("href") or ""):
                position = SHARE
            link_index = len(page.links)
            alt, has_image = _image_of(el)
            page.links.append(
                LinkElement(
                    href=el.get("href") or "",
                    # a hidden link's text is not in the page text: take it from the element
                    text=" ".join(el.text_content().split()) if hidden else "",
                    rel=(el.get("rel") or "").lower().split(),
                    position=position,
                    hidden=hidden,
                    image_alt=alt,
                    has_image=has_image,
                    block=-1,
                    start=length,
                    end=length,
                )
            )
            if tag == "area":
                page.links[link_index].image_alt = el.get("alt")
        current_link = link_index if link_index is not None else (link_stack[-1] if link_stack else None)
        if tag in BLOCK_TAGS:
            new_block()
        items: list[tuple] = []
        if el.text:
            items.append(("text", el.text, position, hidden, current_link))
        for child in el:
            items.append(("open", child, position, hidden, in_article))
            if child.tail:
                items.append(("text", child.tail, position, hidden, current_link))
        items.append(("close", el, link_index))
        if link_index is not None:
            link_stack.append(link_index)
        stack.extend(reversed(items))
    new_block()
    page.text = "".join(parts)
    _finish_links(page)
    return page


def _image_of(el: etree._Element) -> tuple[str | None, bool]:
    for img in el.iter("img"):
        return img.get("alt"), True
    return None, False


def block_of(page: WalkedPage, start: int, empty: bool = False) -> int:
    """Index of the text block at offset `start` (-1 when the page has no text). An empty run
    (an image link) at a block boundary belongs to the block before it."""
    starts = page.block_starts
    index = (bisect.bisect_left if empty else bisect.bisect_right)(starts, start) - 1
    return max(index, 0) if starts else -1


def _finish_links(page: WalkedPage) -> None:
    """Fill each link's anchor text and the block it sits in from the page text; a link to a
    social network labelled like a share or follow button ("Follow us on Facebook") moves, with
    its text, to the `share` position."""
    relabelled: set[int] = set()
    for index, link in enumerate(page.links):
        if not link.hidden:
            link.text = " ".join(page.text[link.start : link.end].split())
        link.block = block_of(page, link.start, empty=link.start == link.end)
        if link.position not in (SHARE, "profile") and is_widget_label(link.href, link.text):
            link.position = SHARE
            relabelled.add(index)
    if relabelled:
        for segment in page.segments:
            if segment.link in relabelled:
                segment.position = SHARE
